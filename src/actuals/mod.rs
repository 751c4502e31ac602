//! What has happened: an actuals folder (docs/actuals-format.md) of the firms a bureau
//! knows, the events it observed, the payments it made and aggregate observations, read
//! and validated against a scenario once per run, before any simulation.

mod as_of;
pub mod error;
mod events;
mod firms;
pub mod ledger;
mod observations;
mod payments;
mod table;

use std::path::Path;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

pub use as_of::{AsOfRun, RecordedActuals};
pub use error::ActualsError;
pub use events::{Event, EventKind};
pub use firms::KnownFirm;
pub use ledger::{Ledger, ObservedFrom, TargetStatus};
pub use observations::{Observation, ObservedWindow};
pub use payments::LedgerPayment;

use crate::scenario::types::Scenario;

/// The four files of an actuals folder, in the order they are read and hashed.
pub const FILES: [&str; 4] = [
    "firms.csv",
    "events.csv",
    "payments.csv",
    "observations.csv",
];

/// A validated actuals folder. Dates are day numbers of the scenario's calendar.
#[derive(Debug, Clone, Default)]
pub struct Actuals {
    pub firms: Vec<KnownFirm>,
    /// Sorted by day, ties in file order.
    pub events: Vec<Event>,
    pub payments: Vec<LedgerPayment>,
    pub observations: Vec<Observation>,
    /// SHA-256 over the files present (name, then content, in `FILES` order), so a run
    /// can refuse to be merged or verified against a changed folder.
    pub sha256: String,
}

/// The dates every dated row must fall between: the scenario's start (for a successor
/// policy, one that starts on or after the as-of date: any date) and, for an as-of run,
/// the as-of date (inclusive: what happened on that day is known).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub start: NaiveDate,
    pub as_of: Option<NaiveDate>,
}

impl Bounds {
    /// Why `date` cannot be a date of something that happened, if it cannot.
    fn check(&self, date: NaiveDate) -> Option<String> {
        if date < self.start {
            return Some(format!(
                "{date} is before the scenario's start {}",
                self.start
            ));
        }
        match self.as_of {
            Some(as_of) if date > as_of => Some(format!("{date} is after the as-of date {as_of}")),
            _ => None,
        }
    }
}

/// Reads and validates the actuals in `dir` against `s`; `as_of` bounds every date.
pub fn load(dir: &Path, s: &Scenario, as_of: Option<NaiveDate>) -> Result<Actuals, ActualsError> {
    if !dir.is_dir() {
        return Err(ActualsError::file(
            dir.to_path_buf(),
            "expected a folder of actuals (docs/actuals-format.md)",
        ));
    }
    let start = s.calendar.date(0.0);
    // A scenario that starts on or after the as-of date is a successor policy: the
    // actuals are the history it starts from, and may all precede its start.
    let bounds = match as_of {
        Some(a) if a <= start => Bounds {
            start: crate::scenario::spec::first_date(),
            as_of,
        },
        _ => Bounds { start, as_of },
    };
    let firms = firms::read(dir, s, &bounds)?;
    let events = events::read(dir, s, &bounds, &firms)?;
    let payments = payments::read(dir, s, &bounds, &firms)?;
    let observations = observations::read(dir, s, &bounds)?;
    Ok(Actuals {
        firms,
        events,
        payments,
        observations,
        sha256: folder_hash(dir)?,
    })
}

/// SHA-256 of the files of the folder present, each as its name then its bytes.
pub fn folder_hash(dir: &Path) -> Result<String, ActualsError> {
    let mut hash = Sha256::new();
    for name in FILES {
        let path = dir.join(name);
        if path.exists() {
            let bytes = std::fs::read(&path)
                .map_err(|e| ActualsError::file(path.clone(), format!("cannot read: {e}")))?;
            hash.update(name.as_bytes());
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(&bytes);
        }
    }
    Ok(format!("{:x}", hash.finalize()))
}

/// The index of the firm a row names in `firm_id` among the known firms (`index`: their
/// sorted ids), refused when firms.csv does not list it.
fn row_firm(index: &[(String, usize)], row: &table::Row<'_>) -> error::Result<usize> {
    let id = row.required("firm_id")?;
    index
        .binary_search_by(|(k, _)| k.as_str().cmp(id))
        .map(|k| index[k].1)
        .map_err(|_| {
            row.error(
                "firm_id",
                format!("unknown firm `{id}`; expected a firm_id of firms.csv"),
            )
        })
}

/// The date in a row's `column` of something that happened, refused outside `bounds`.
fn happened_on(row: &table::Row<'_>, column: &str, bounds: &Bounds) -> error::Result<NaiveDate> {
    let date = row.required_date(column)?;
    match bounds.check(date) {
        Some(why) => Err(row.error(column, why)),
        None => Ok(date),
    }
}

/// The known firms' ids, sorted, with each firm's index.
fn firm_ids(firms: &[KnownFirm]) -> Vec<(String, usize)> {
    let mut ids: Vec<(String, usize)> = firms
        .iter()
        .enumerate()
        .map(|(k, f)| (f.id.clone(), k))
        .collect();
    ids.sort();
    ids
}
