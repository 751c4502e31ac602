//! An as-of run: the actuals a run starts from and the day it starts from them, resolved
//! once (the `--actuals` / `--as-of` flags over the scenario's `[actuals]` section),
//! loaded and validated before any work, and recorded so that `--resume`, `merge` and
//! `verify` can find the same folder again and refuse a changed one.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{folder_hash, load, Actuals};
use crate::error::Error;
use crate::scenario::types::Scenario;

/// A run from actuals: the folder, what it holds (validated against the scenario), and
/// the as-of date. The folder's SHA-256 is `actuals.sha256`.
#[derive(Debug, Clone)]
pub struct AsOfRun {
    /// The folder as the run names it: a flag's path as given (relative to the folder
    /// the command was started in), or the scenario's `[actuals] dir` resolved against
    /// the scenario file.
    pub dir: PathBuf,
    pub as_of: NaiveDate,
    pub actuals: Actuals,
}

impl PartialEq for AsOfRun {
    /// Two as-of runs are the same run when they name the same folder content and date.
    fn eq(&self, other: &AsOfRun) -> bool {
        self.dir == other.dir && self.as_of == other.as_of && self.hash() == other.hash()
    }
}

/// What a checkpoint and a manifest record of an as-of run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedActuals {
    /// The folder as the run named it (relative paths: to the recorded working folder).
    pub dir: String,
    /// `YYYY-MM-DD`.
    pub as_of: String,
    pub sha256: String,
}

impl AsOfRun {
    /// The SHA-256 of the folder's files (see `actuals::folder_hash`).
    pub fn hash(&self) -> &str {
        &self.actuals.sha256
    }

    /// The as-of date as a day of the scenario's calendar (the first day not observed is
    /// the next one: the run simulates from the end of this day, see docs/model.md).
    pub fn day(&self, s: &Scenario) -> f64 {
        s.calendar.day(self.as_of)
    }

    pub fn record(&self) -> RecordedActuals {
        RecordedActuals {
            dir: self.dir.display().to_string(),
            as_of: self.as_of.to_string(),
            sha256: self.hash().to_string(),
        }
    }

    /// Loads the folder and date the flags or, failing them, the scenario's `[actuals]`
    /// section name. A flag overrides its half of the section; a flag with neither the
    /// other flag nor a section to complete it is refused. Bad actuals are bad input
    /// (exit code 2) naming the file, line and column.
    pub fn resolve(
        dir: Option<&Path>,
        as_of: Option<NaiveDate>,
        s: &Scenario,
    ) -> Result<Option<AsOfRun>, Error> {
        let section = s.actuals.as_ref();
        let (dir, as_of) = match (dir, as_of, section) {
            (None, None, None) => return Ok(None),
            (Some(d), Some(a), _) => (d.to_path_buf(), a),
            (Some(d), None, Some(sec)) => (d.to_path_buf(), sec.as_of),
            (None, Some(a), Some(sec)) => (sec.dir.clone(), a),
            (None, None, Some(sec)) => (sec.dir.clone(), sec.as_of),
            (Some(_), None, None) => {
                return Err(Error::bad_input(
                    "--actuals needs --as-of DATE (or an [actuals] as_of in the scenario): \
                     the day the actuals are known to",
                ))
            }
            (None, Some(_), None) => {
                return Err(Error::bad_input(
                    "--as-of needs --actuals DIR (or an [actuals] dir in the scenario): the \
                     folder of what has happened up to that day",
                ))
            }
        };
        AsOfRun::load(dir, as_of, s).map(Some)
    }

    /// Loads and validates `dir` for a run from `as_of`.
    pub fn load(dir: PathBuf, as_of: NaiveDate, s: &Scenario) -> Result<AsOfRun, Error> {
        let actuals = load(&dir, s, Some(as_of)).map_err(|e| Error::bad_input(e.to_string()))?;
        Ok(AsOfRun {
            dir,
            as_of,
            actuals,
        })
    }

    /// The as-of run `recorded` describes, found again (a relative folder under
    /// `working_dir`, as for the scenario path, see `recorded::scenario_path`) and
    /// refused if its files changed since: `what` names the command refusing.
    pub fn reload(
        recorded: &RecordedActuals,
        working_dir: Option<&str>,
        s: &Scenario,
        what: &str,
    ) -> Result<AsOfRun, Error> {
        let dir = crate::recorded::scenario_path(&recorded.dir, working_dir, None);
        let as_of = NaiveDate::parse_from_str(&recorded.as_of, "%Y-%m-%d").map_err(|_| {
            Error::bad_input(format!(
                "{what}: the recorded as-of date `{}` is not a date YYYY-MM-DD",
                recorded.as_of
            ))
        })?;
        if !dir.is_dir() {
            return Err(Error::bad_input(format!(
                "{what}: the actuals folder {} the run recorded is not there (a relative path \
                 is looked up in the folder the run was started in)",
                dir.display()
            )));
        }
        let now = folder_hash(&dir).map_err(|e| Error::bad_input(e.to_string()))?;
        if now != recorded.sha256 {
            return Err(Error::bad_input(format!(
                "{what}: the actuals folder {} has changed since the run (its SHA-256 is {now}, \
                 the run's {})",
                dir.display(),
                recorded.sha256
            )));
        }
        let run = AsOfRun::load(dir, as_of, s)?;
        Ok(AsOfRun {
            dir: PathBuf::from(&recorded.dir),
            ..run
        })
    }
}
