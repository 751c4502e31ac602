//! SIGINT and SIGTERM during a run (src/interrupt.rs, issue 11 item 4): the first stops
//! the run cleanly (exit code 130, its checkpoint kept for `--resume`, no output file and
//! no scratch left); a second ends the process at once, still with exit code 130 and
//! without the scratch only that process could use.
//!
//! The runs spill their rows to scratch (the POLICYSIM_TEST_IN_MEMORY_VALUES seam), so
//! that there is scratch to leave behind.

mod process;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use process::start_long_run;

const SCRATCH: &str = ".rows.scratch.partial";

/// A long run into `dir` whose rows spill, past its first block and with its scratch.
fn start_spilling_run(dir: &Path) -> Child {
    start_long_run(dir, &[("POLICYSIM_TEST_IN_MEMORY_VALUES", "1")], &[SCRATCH])
}

/// Sends `signal` (`INT`, `TERM`) to the child; false if it had already ended.
fn signal(child: &Child, signal: &str) -> bool {
    Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .expect("kill runs")
        .success()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// No output file of the run, and no scratch.
fn assert_nothing_kept(dir: &Path, err: &str) {
    for f in ["summary.csv", "replications.csv", "manifest.json", SCRATCH] {
        assert!(!dir.join(f).exists(), "{f} left after the signal: {err}");
    }
}

/// One SIGTERM (what `kill`, a scheduler or a container stop sends) stops a run as one
/// Ctrl-C does: exit code 130, a message, the checkpoint kept so `--resume` can finish
/// it, and nothing else left.
#[test]
fn sigterm_during_a_run_stops_it_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let child = start_spilling_run(&dir);
    assert!(signal(&child, "TERM"), "the run ended before the signal");
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupt received, stopping"), "{err}");
    assert!(err.contains("interrupted after"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(dir.join(".progress.json").exists(), "no checkpoint: {err}");
    assert_nothing_kept(&dir, &err);
}

/// A second Ctrl-C ends the run at once, whatever it is doing: exit code 130 and no
/// scratch. The first one's clean stop takes milliseconds, so the second signal can come
/// too late (the run already stopped by itself); such an attempt proves nothing and is
/// tried again, up to ten times.
#[test]
fn a_second_sigint_ends_a_run_at_once_and_leaves_no_scratch() {
    for attempt in 1..=10 {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let child = start_spilling_run(&dir);
        assert!(
            signal(&child, "INT"),
            "the run ended before the first signal"
        );
        let second_sent = signal(&child, "INT");
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(130), "attempt {attempt}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_nothing_kept(&dir, &err);
        if second_sent && err.contains("second interrupt: ended at once") {
            assert!(
                !err.contains("interrupted after"),
                "stopped cleanly, not at once: {err}"
            );
            return;
        }
    }
    panic!("in ten attempts the second SIGINT never came before the run stopped by itself");
}
