//! Running the `policysim` binary in the command-line tests: in a chosen folder, with the
//! shard and test-seam variables cleared, and a hang counted as a failure.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BASELINE: &str = "scenarios/baseline.toml";
pub const STIPEND: &str = "tests/scenarios/stipend.toml";

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn command(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_policysim"));
    cmd.current_dir(cwd).args(args);
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "JOB_COMPLETION_INDEX",
        "POLICYSIM_SHARD_COUNT",
        "POLICYSIM_BLOCK",
        "POLICYSIM_STOP_AFTER_BLOCKS",
        "POLICYSIM_TEST_MEMORY_AVAILABLE",
        "POLICYSIM_TEST_DISK_FREE",
        "POLICYSIM_TEST_IN_MEMORY_VALUES",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs policysim in `cwd`, giving up (and failing) after two minutes: a hang is a
/// failure of what these tests check, not a reason to wait for ever.
pub fn policysim_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = command(cwd, args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("policysim starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("policysim {args:?} did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

pub fn policysim(args: &[&str], env: &[(&str, &str)]) -> Output {
    policysim_in(root(), args, env)
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Exit code 2 and every one of `words` in the message.
pub fn refused(o: &Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(code(o), 2, "{err}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

pub fn ok(o: &Output) {
    assert_eq!(code(o), 0, "{}{}", stdout(o), stderr(o));
}
