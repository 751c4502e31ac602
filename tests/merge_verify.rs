//! `merge` and `verify` refuse what they cannot vouch for: a scenario changed since the
//! shards ran, shard rows tampered with after their run; and `verify` names the file
//! that differs (and only it) and how.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn policysim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policysim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("POLICYSIM_SHARD_COUNT")
        .output()
        .expect("policysim runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A self-contained scenario copied into `dir`, so the test can change it.
fn scenario_copy(dir: &Path) -> PathBuf {
    let path = dir.join("scenario.toml");
    std::fs::copy(scenario_path("fixed_binomial.toml"), &path).expect("copy the scenario");
    path
}

fn shard(scenario: &Path, spec: &str, out: &Path) {
    policysim_ok(&[
        "run",
        s(scenario),
        "--reps",
        "60",
        "--seed",
        "5",
        "--quiet",
        "--shard",
        spec,
        "--out",
        s(out),
    ]);
}

/// Asserts `merge` of `shards` into `out` is refused as bad input (exit code 2) with
/// `message`, and writes nothing.
fn assert_merge_refused(shards: &[&Path], out: &Path, message: &str) {
    let mut args = vec!["merge", "--quiet", "--out", s(out)];
    args.extend(shards.iter().map(|d| s(d)));
    let o = policysim(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{message}: {err}");
    assert!(err.contains(message), "`{message}` not in: {err}");
    assert!(!out.exists(), "a refused merge wrote {}", out.display());
}

/// Replaces the first occurrence of `from` after the header line of `path` by `to`.
fn tamper(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("readable");
    let body = text.find('\n').expect("a header line") + 1;
    let at = body + text[body..].find(from).expect("the value to change");
    let changed = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
    std::fs::write(path, changed).expect("writable");
}

#[test]
fn merge_refuses_a_scenario_changed_since_the_shards_ran() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_copy(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    shard(&scenario, "0/2", &a);
    shard(&scenario, "1/2", &b);
    let text = std::fs::read_to_string(&scenario).expect("scenario");
    std::fs::write(&scenario, text.replace("take_up = 0.3", "take_up = 0.31")).expect("write");
    let out = tmp.path().join("merged");
    assert_merge_refused(&[&a, &b], &out, "has changed since the run");
    // `verify` re-runs nothing from a changed scenario either, and says so with merge's
    // exit code: the same cause is the same bad input (2) whichever command meets it.
    let o = policysim(&["verify", "--quiet", s(&a)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "verify of a changed scenario: {err}"
    );
    assert!(err.contains("has changed since the run"), "{err}");
    // Put back, the same shards merge.
    std::fs::write(&scenario, text).expect("write");
    policysim_ok(&["merge", "--quiet", "--out", s(&out), s(&a), s(&b)]);
}

#[test]
fn merge_refuses_shard_rows_changed_after_their_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_copy(tmp.path());
    for file in ["replications.csv", "series.csv"] {
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
        shard(&scenario, "0/2", &a);
        shard(&scenario, "1/2", &b);
        // Replication 30's row, the first of shard b: its index field stays a valid row,
        // only a value changes, so only the recorded SHA-256 can tell.
        tamper(&b.join(file), ",0", ",1");
        let out = tmp.path().join("merged");
        assert_merge_refused(&[&a, &b], &out, "has changed since its run wrote it");
        let o = policysim(&["merge", "--quiet", "--out", s(&out), s(&a), s(&b)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(file), "the message names {file}: {err}");
    }
}

/// The verdict line `verify` prints for `file`.
fn verdict<'t>(stdout: &'t str, file: &str) -> &'t str {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(file))
        .unwrap_or_else(|| panic!("no line for {file} in:\n{stdout}"))
}

#[test]
fn verify_names_the_file_that_differs_and_only_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_copy(tmp.path());
    let dir = tmp.path().join("run");
    policysim_ok(&[
        "run",
        s(&scenario),
        "--reps",
        "50",
        "--quiet",
        "--out",
        s(&dir),
    ]);
    let files = [
        "replications.csv",
        "series.csv",
        "summary.csv",
        "targets.csv",
        "budget.csv",
        "timeseries.csv",
        "report.html",
    ];
    let o = policysim(&["verify", "--quiet", s(&dir)]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    for f in files {
        assert_eq!(
            verdict(&stdout, f).split_whitespace().nth(1),
            Some("ok"),
            "{f}"
        );
    }
    // Every output the manifest records gets a verdict line, then the summary.
    let outputs = stdout.lines().count() - 1;

    tamper(&dir.join("budget.csv"), "main", "mainx");
    std::fs::remove_file(dir.join("timeseries.csv")).expect("remove");
    let o = policysim(&["verify", "--quiet", s(&dir)]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        verdict(&stdout, "budget.csv").contains("CHANGED since the run"),
        "{stdout}"
    );
    assert!(
        verdict(&stdout, "timeseries.csv").contains("MISSING from the folder"),
        "{stdout}"
    );
    for f in files {
        if f != "budget.csv" && f != "timeseries.csv" {
            assert!(
                verdict(&stdout, f).ends_with("ok"),
                "{f} flagged:\n{stdout}"
            );
        }
    }
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("2 of {outputs} outputs")), "{err}");
}
