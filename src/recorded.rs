//! The scenario a checkpoint or a manifest records, found again for `run --resume`,
//! `merge` and `verify`, and checked unchanged.
//!
//! A run records the scenario path as given on its command line and the folder it was
//! started in, so these commands work from any folder: a relative path is looked up
//! where the run started.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::scenario::{self, LoadedScenario};

/// Where the scenario recorded as `recorded` (by a command started in `working_dir`) is
/// now: `given` if the user named it, else `recorded` itself when absolute or when no
/// folder was recorded (checkpoints and manifests of engine 0.2.2), else `recorded` under
/// `working_dir`.
pub fn scenario_path(recorded: &str, working_dir: Option<&str>, given: Option<&Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_path_buf();
    }
    let path = Path::new(recorded);
    match working_dir {
        // Started here: the path as recorded, so that the scenario's files are named (in
        // a merged manifest, say) exactly as the run named them.
        Some(dir) if path.is_relative() && !is_current_dir(dir) => Path::new(dir).join(path),
        _ => path.to_path_buf(),
    }
}

fn is_current_dir(dir: &str) -> bool {
    let here = std::env::current_dir().and_then(|d| d.canonicalize());
    matches!((here, Path::new(dir).canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Loads the scenario at `path` (found by [`scenario_path`]) and checks that its hash is
/// still `hash`, the one the run recorded: bad input (exit code 2) otherwise. `option`
/// names the flag that gives another path.
pub fn load(path: &Path, hash: &str, option: &str) -> Result<LoadedScenario, Error> {
    if !path.exists() {
        return Err(Error::bad_input(format!(
            "the scenario file {} the run recorded is not there (a relative path is looked \
             up in the folder the run was started in); pass {option} FILE to name it",
            path.display()
        )));
    }
    let loaded = scenario::load(path)?;
    if loaded.hash != hash {
        return Err(Error::bad_input(format!(
            "the scenario {} has changed since the run (its hash is {}, the run's {hash})",
            path.display(),
            loaded.hash
        )));
    }
    Ok(loaded)
}
