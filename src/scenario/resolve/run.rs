//! The `[scenario]` and `[run]` tables: name, horizon, exchange rate, replications, seed.

use chrono::{Months, NaiveDate};

use super::super::error::{Result, ScenarioError};
use super::super::read::TableReader;
use super::super::spec::HORIZON_YEARS_MAX;
use super::super::types::ActualsSection;

/// The `[scenario]` table, read.
pub struct Header {
    pub name: String,
    pub title: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub payments_until: NaiveDate,
    pub fx_cny_per_usd: f64,
}

/// The longest scenario name.
pub const NAME_MAX_CHARS: usize = 100;

pub fn resolve_header(top: &TableReader<'_>) -> Result<Header> {
    let s = top.table("scenario")?;
    let name = s.string("name")?;
    // At most NAME_MAX_CHARS: the default folder `<name>-<seed>-shard-K-of-N` must stay
    // within the 255 bytes a file name may have.
    if name.is_empty()
        || name.len() > NAME_MAX_CHARS
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        let shown: String = name.chars().take(NAME_MAX_CHARS).collect();
        let more = if name.chars().count() > NAME_MAX_CHARS {
            "..."
        } else {
            ""
        };
        return Err(ScenarioError::at(
            &s.required("name")?.origin,
            "scenario.name",
            format!("expected a name of 1 to {NAME_MAX_CHARS} ASCII letters, digits, `_`, `-` or `.` (it names the output folder), found `{shown}`{more}"),
        ));
    }
    let title = s.opt_string("title")?.unwrap_or_default();
    let start = s.date("start")?;
    let end = s.date("end")?;
    if end <= start {
        return Err(ScenarioError::at(
            &s.required("end")?.origin,
            "scenario.end",
            "expected a date after scenario.start",
        ));
    }
    let payments_until = match s.opt_date("payments_until")? {
        Some(d) if d < end => {
            return Err(ScenarioError::at(
                &s.required("payments_until")?.origin,
                "scenario.payments_until",
                "expected a date on or after scenario.end",
            ))
        }
        Some(d) => d,
        None => end.checked_add_months(Months::new(36)).expect(
            "scenario.end is at most 2200-12-31, so 36 months later is a date chrono holds",
        ),
    };
    let fx_cny_per_usd = s.f64("fx_cny_per_usd")?;
    if fx_cny_per_usd <= 0.0 {
        return Err(ScenarioError::at(
            &s.required("fx_cny_per_usd")?.origin,
            "scenario.fx_cny_per_usd",
            "expected a positive exchange rate",
        ));
    }
    s.finish()?;
    Ok(Header {
        name,
        title,
        start,
        end,
        payments_until,
        fx_cny_per_usd,
    })
}

/// `[run]`: (replications, seed).
pub fn resolve_run(top: &TableReader<'_>) -> Result<(u64, u64)> {
    match top.opt_table("run")? {
        Some(run) => {
            let reps = run.opt_u64("replications")?.unwrap_or(1000);
            if reps == 0 {
                return Err(ScenarioError::at(
                    &run.required("replications")?.origin,
                    "run.replications",
                    "expected at least 1",
                ));
            }
            let seed = run.opt_u64("seed")?.unwrap_or(0);
            run.finish()?;
            Ok((reps, seed))
        }
        None => Ok((1000, 0)),
    }
}

/// `[actuals]`: the folder of what has happened (relative to the file that names it)
/// and the day a run starts from it. Both keys or neither: an as-of date means nothing
/// without the folder, and a folder without a date does not say what is known.
pub fn resolve_actuals(top: &TableReader<'_>) -> Result<Option<ActualsSection>> {
    let Some(t) = top.opt_table("actuals")? else {
        return Ok(None);
    };
    let dir_node = t.required("dir")?;
    let dir = t.string("dir")?;
    if dir.is_empty() {
        return Err(ScenarioError::at(
            &dir_node.origin,
            "actuals.dir",
            "expected the path of an actuals folder (docs/actuals-format.md), found an empty string",
        ));
    }
    let as_of = t.date("as_of")?;
    t.finish()?;
    let base = dir_node
        .origin
        .file
        .path
        .parent()
        .unwrap_or(std::path::Path::new("."));
    Ok(Some(ActualsSection {
        dir: base.join(dir),
        as_of,
    }))
}

/// Refuses a calendar longer than `HORIZON_YEARS_MAX`, from `from` (the earlier of
/// `scenario.start` and `nev.start`) to `payments_until`: every replication keeps
/// monthly and yearly series over it.
pub fn check_horizon(top: &TableReader<'_>, header: &Header, from: NaiveDate) -> Result<()> {
    let limit = from
        .checked_add_months(Months::new(12 * HORIZON_YEARS_MAX as u32))
        .expect("`from` is at most 2200-12-31, and chrono holds dates far past 2300");
    if header.payments_until < limit {
        return Ok(());
    }
    let s = top.table("scenario")?;
    let key = if s.get("payments_until").is_some() {
        "payments_until"
    } else {
        "end"
    };
    Err(ScenarioError::at(
        &s.required(key)?.origin,
        &format!("scenario.{key}"),
        format!(
            "expected a calendar of at most {HORIZON_YEARS_MAX} years: from {from} payments may run until before {limit}, found payments until {}",
            header.payments_until
        ),
    ))
}
