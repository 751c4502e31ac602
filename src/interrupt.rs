//! SIGINT and SIGTERM: the first asks the running command to stop, the second ends the
//! process at once (exit code 130) after removing the scratch files nothing can reuse.
//!
//! Long loops (replications, the statistics pass, merging rows) read [`requested`]
//! between items, not only between blocks, so a stop takes effect within one
//! replication's time; the job then keeps its checkpoint so `run --resume` can finish it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::error::Error;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Scratch files to remove if the process is ended by a second signal: they are only
/// useful to the process that writes them.
static SCRATCH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Whether a stop was asked for (by a signal, or by [`request`]).
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Asks running work to stop, as a signal would.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// `Err` once a stop was asked for; `what` says what was stopped.
pub fn check(what: &str) -> Result<(), Error> {
    if requested() {
        Err(Error::interrupted(format!(
            "interrupted: stopped {what}; no output of this run was kept"
        )))
    } else {
        Ok(())
    }
}

/// Installs the handler (once per process; later calls do nothing).
pub fn install_handler() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            if let Ok(paths) = SCRATCH.lock() {
                for p in paths.iter() {
                    let _ = std::fs::remove_file(p);
                }
            }
            eprintln!("\npolicysim: second interrupt: ended at once");
            std::process::exit(130);
        }
        eprintln!("\npolicysim: interrupt received, stopping (press Ctrl-C again to end at once)");
    });
}

/// Removes `path` if a second signal ends the process.
pub fn remove_on_abort(path: &Path) {
    if let Ok(mut paths) = SCRATCH.lock() {
        paths.push(path.to_path_buf());
    }
}

/// `path` is gone or no longer scratch: a second signal leaves it alone.
pub fn forget(path: &Path) {
    if let Ok(mut paths) = SCRATCH.lock() {
        paths.retain(|p| p != path);
    }
}
