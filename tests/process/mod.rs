//! Running the `policysim` binary in the command-line tests: in a chosen folder, with the
//! shard and test-seam variables cleared, and a hang counted as a failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
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

/// `policysim run SCENARIO --reps REPS --quiet --out OUT` with `extra` arguments, in
/// `cwd`: the run most command-line tests start from.
pub fn run_in(
    cwd: &Path,
    scenario: &str,
    reps: u64,
    out: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let reps = reps.to_string();
    let mut args = vec!["run", scenario, "--reps", &reps, "--quiet", "--out", out];
    args.extend_from_slice(extra);
    policysim_in(cwd, &args, env)
}

/// Runs the `n` shards K/n of `scenario` (REPS replications in all) in `cwd`, each into
/// `dir/shard-K`; every one must succeed. Returns their folders, in order.
pub fn run_shards(cwd: &Path, scenario: &str, reps: u64, n: u32, dir: &Path) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let out = dir.join(format!("shard-{k}"));
            let shard = format!("{k}/{n}");
            ok(&run_in(
                cwd,
                scenario,
                reps,
                s(&out),
                &["--shard", &shard],
                &[],
            ));
            out
        })
        .collect()
}

/// Starts a long run of the baseline (20,000 replications in blocks of 20, one thread)
/// into `dir`, with `env` added, and waits until it has finished a block and written
/// each of `files` in `dir`: a run to signal or kill in the middle.
pub fn start_long_run(dir: &Path, env: &[(&str, &str)], files: &[&str]) -> Child {
    let mut all_env = vec![("POLICYSIM_BLOCK", "20")];
    all_env.extend_from_slice(env);
    let args = [
        "run",
        BASELINE,
        "--reps",
        "20000",
        "--threads",
        "1",
        "--quiet",
        "--out",
        s(dir),
    ];
    let mut child = command(root(), &args, &all_env)
        .stderr(Stdio::piped())
        .spawn()
        .expect("policysim starts");
    if !wait_for_a_block(dir, files) {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "no block and {files:?} in {} within a minute",
            dir.display()
        );
    }
    child
}

/// Whether, within a minute, the run in `dir` checkpointed a block and wrote `files`.
fn wait_for_a_block(dir: &Path, files: &[&str]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let progress = std::fs::read_to_string(dir.join(".progress.json")).unwrap_or_default();
        let past_first_block =
            progress.contains("\"completed\"") && !progress.contains("\"completed\": 0,");
        if past_first_block && files.iter().all(|f| dir.join(f).exists()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// Runs policysim from the crate root with no time limit: for the batch tests, whose
/// larger runs in a debug build may rightly take longer than `policysim_in` waits.
pub fn policysim_untimed(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(root(), args, env)
        .output()
        .expect("policysim starts")
}

/// `policysim run BASELINE --reps REPS --quiet --out OUT EXTRA...` from the crate root,
/// with no time limit (see `policysim_untimed`).
pub fn run_baseline_untimed(out: &Path, reps: u64, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let reps = reps.to_string();
    let mut args = vec!["run", BASELINE, "--reps", &reps, "--quiet", "--out", s(out)];
    args.extend_from_slice(extra);
    policysim_untimed(&args, env)
}

/// The manifest of `dir` without its `execution` section (timings, paths, threads), the
/// part two runs of the same scenario, seed and count share.
pub fn manifest_without_execution(dir: &Path) -> serde_json::Value {
    let text = std::fs::read(dir.join("manifest.json")).expect("manifest");
    let mut v: serde_json::Value = serde_json::from_slice(&text).expect("json");
    v.as_object_mut().expect("object").remove("execution");
    v
}

/// Every one of `files` byte-identical in `a` and `b`, the manifests too once `execution`
/// is dropped, and no file in `b` that `leftover` flags.
pub fn assert_same_outputs(a: &Path, b: &Path, files: &[&str], leftover: impl Fn(&str) -> bool) {
    for f in files {
        let x = std::fs::read(a.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", a.display()));
        let y = std::fs::read(b.join(f)).unwrap_or_else(|e| panic!("{}/{f}: {e}", b.display()));
        assert!(x == y, "{f} differs: {} vs {}", a.display(), b.display());
    }
    assert_eq!(manifest_without_execution(a), manifest_without_execution(b));
    let left: Vec<_> = std::fs::read_dir(b)
        .expect("read the run folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| leftover(n))
        .collect();
    assert!(left.is_empty(), "leftovers in {}: {left:?}", b.display());
}
