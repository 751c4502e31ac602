//! Batch-job contracts (README.md; docs/model.md, Reproducibility): shards merged equal one run, bad shard sets are
//! refused, an interrupted run resumed equals an uninterrupted one, runs are never
//! overwritten without --force, and outputs do not depend on the thread count. These run
//! the `policysim` binary, from the crate root so manifests record the same scenario path.

mod process;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use process::{code, s, BASELINE as SCENARIO};
const FILES: &[&str] = &[
    "summary.csv",
    "targets.csv",
    "budget.csv",
    "replications.csv",
    "series.csv",
    "timeseries.csv",
    "report.html",
    "report.xlsx",
];

fn policysim(args: &[&str], env: &[(&str, &str)]) -> Output {
    process::policysim_untimed(args, env)
}

fn ok(args: &[&str], env: &[(&str, &str)]) {
    process::ok(&policysim(args, env));
}

fn run_output(out: &Path, reps: u64, extra: &[&str], env: &[(&str, &str)]) -> Output {
    process::run_baseline_untimed(out, reps, extra, env)
}

fn run(out: &Path, reps: u64, extra: &[&str], env: &[(&str, &str)]) {
    process::ok(&run_output(out, reps, extra, env));
}

/// The event loop's count and the model's events by kind.
fn events(dir: &Path) -> (u64, serde_json::Value) {
    let text = std::fs::read(dir.join("manifest.json")).expect("manifest");
    let v: serde_json::Value = serde_json::from_slice(&text).expect("json");
    let kinds = v["execution"]["model_events"].clone();
    assert!(kinds.is_object(), "model_events by kind");
    (v["execution"]["events"].as_u64().expect("events"), kinds)
}

/// Every output byte-identical, the manifest too once `execution` is dropped, the same
/// events, and no leftover temporary file in `b`.
fn assert_same_run(a: &Path, b: &Path) {
    process::assert_same_outputs(a, b, FILES, |n| n.starts_with('.'));
    assert_eq!(events(a), events(b), "event counts differ");
}

fn shards_then_merge(tmp: &Path, reps: u64, n: u64, env: &[(&str, &str)]) -> PathBuf {
    let mut dirs = Vec::new();
    for k in 0..n {
        let dir = tmp.join(format!("n{n}-shard{k}"));
        run(&dir, reps, &["--shard", &format!("{k}/{n}")], env);
        dirs.push(dir);
    }
    let merged = tmp.join(format!("n{n}-merged"));
    let mut args = vec!["merge", "--quiet", "--out", s(&merged)];
    // Any order: merge sorts the shards by their replication ranges.
    args.extend(dirs.iter().rev().map(|d| s(d)));
    ok(&args, env);
    merged
}

#[test]
fn shards_merged_equal_one_run_for_1_2_3_and_7_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 300, &[], &[]);
    for n in [1, 2, 3, 7] {
        let merged = shards_then_merge(tmp.path(), 300, n, &[]);
        assert_same_run(&single, &merged);
    }
}

#[test]
fn shards_merged_equal_one_run_across_block_boundaries() {
    // Small blocks: each shard runs several blocks, and shard edges fall inside blocks.
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 500, &[], &[]);
    let merged = shards_then_merge(tmp.path(), 500, 3, &[("POLICYSIM_BLOCK", "64")]);
    assert_same_run(&single, &merged);
    let small_blocks = tmp.path().join("small-blocks");
    run(&small_blocks, 500, &[], &[("POLICYSIM_BLOCK", "7")]);
    assert_same_run(&single, &small_blocks);
}

#[test]
fn overlapping_missing_or_foreign_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let shard = |name: &str, spec: &str, extra: &[&str]| {
        let dir = t.join(name);
        let mut args = vec!["--shard", spec];
        args.extend_from_slice(extra);
        run(&dir, 90, &args, &[]);
        dir
    };
    let a = shard("a", "0/3", &[]);
    let b = shard("b", "1/3", &[]);
    let c = shard("c", "2/3", &[]);
    let a2 = shard("a2", "0/2", &[]);
    let other_seed = shard("seed", "2/3", &["--seed", "7"]);
    let out = t.join("merged");
    let refused = |dirs: &[&PathBuf], what: &str| {
        let mut args = vec!["merge", "--quiet", "--out", s(&out)];
        args.extend(dirs.iter().map(|d| s(d)));
        let o = policysim(&args, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{what}: {err}");
        assert!(err.contains(what), "{what} not in: {err}");
        assert!(!out.join("manifest.json").exists());
    };
    refused(&[&a, &b], "missing");
    refused(&[&a, &c], "missing");
    refused(&[&a, &b, &b, &c], "overlap");
    refused(&[&a2, &b, &c], "overlap");
    refused(&[&a, &b, &other_seed], "seed");
    refused(&[&a, &t.join("nowhere")], "not a finished run folder");
    // A comparison folder is named as such.
    let comparison = t.join("comparison");
    ok(
        &[
            "compare",
            SCENARIO,
            SCENARIO,
            "--reps",
            "20",
            "--quiet",
            "--out",
            s(&comparison),
        ],
        &[],
    );
    refused(&[&a, &comparison], "it holds a comparison");
    let o = policysim(&["verify", "--quiet", s(&comparison)], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "verify of a comparison folder: {err}");
    assert!(err.contains("it holds a comparison"), "{err}");
    ok(
        &["merge", "--quiet", "--out", s(&out), s(&c), s(&a), s(&b)],
        &[],
    );
}

#[test]
fn interrupted_then_resumed_run_equals_uninterrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 300, &[], &[]);
    let dir = tmp.path().join("resumed");
    // The test hook raises the interrupt flag after 2 blocks, as SIGINT would.
    let env = [
        ("POLICYSIM_BLOCK", "50"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "2"),
    ];
    let o = run_output(&dir, 300, &[], &env);
    assert_eq!(code(&o), 130, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    for f in FILES.iter().chain(&["manifest.json"]) {
        assert!(
            !dir.join(f).exists(),
            "{f} looks complete after an interrupt"
        );
    }
    assert!(dir.join(".progress.json").exists());

    // An interrupted run is neither overwritten nor silently restarted.
    let o = run_output(&dir, 300, &[], &[]);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
    // Resuming with other settings is refused.
    let o = policysim(&["run", "--resume", s(&dir), "--seed", "1", "--quiet"], &[]);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));

    // Rows written after the last checkpoint (a crash mid-block) are cut off on resume.
    use std::io::Write;
    let mut partial = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join(".replications.csv.partial"))
        .unwrap();
    partial.write_all(b"100,1,2,3\n101,4").unwrap();
    drop(partial);

    // Interrupted once more, then resumed to the end, with other block sizes and threads.
    let env = [
        ("POLICYSIM_BLOCK", "30"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "1"),
    ];
    let o = policysim(&["run", "--resume", s(&dir), "--quiet"], &env);
    assert_eq!(code(&o), 130, "{}", String::from_utf8_lossy(&o.stderr));
    ok(
        &["run", "--resume", s(&dir), "--quiet", "--threads", "1"],
        &[],
    );
    assert_same_run(&single, &dir);
}

#[test]
fn resumed_shard_merges_like_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let single = tmp.path().join("single");
    run(&single, 200, &[], &[]);
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    run(&a, 200, &["--shard", "0/2"], &[]);
    let env = [
        ("POLICYSIM_BLOCK", "40"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "1"),
    ];
    let o = run_output(&b, 200, &["--shard", "1/2"], &env);
    assert_eq!(code(&o), 130);
    ok(&["run", "--resume", s(&b), "--quiet"], &[]);
    let merged = tmp.path().join("merged");
    ok(
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    assert_same_run(&single, &merged);
}

#[test]
fn sigint_stops_at_a_block_boundary_and_the_run_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let child = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            SCENARIO,
            "--reps",
            "20000",
            "--quiet",
            "--out",
            s(&dir),
        ])
        .env("POLICYSIM_BLOCK", "20")
        .env_remove("POLICYSIM_STOP_AFTER_BLOCKS")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for a checkpoint past the first block, then send a real SIGINT.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(dir.join(".progress.json")).unwrap_or_default();
        if text.contains("\"completed\"") && !text.contains("\"completed\": 0,") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no progress");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 130, "{err}");
    assert!(err.contains("interrupt"), "{err}");
    for f in FILES.iter().chain(&["manifest.json"]) {
        assert!(!dir.join(f).exists(), "{f} looks complete after SIGINT");
    }
    let progress: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(".progress.json")).unwrap()).unwrap();
    let done = progress["completed"].as_u64().unwrap();
    assert!(
        done > 0 && done < 20000 && done % 20 == 0,
        "completed {done}"
    );
    // Finish it with fewer replications' worth of checking: the resumed run must be a
    // complete, consistent run folder.
    ok(&["run", "--resume", s(&dir), "--quiet"], &[]);
    assert!(dir.join("manifest.json").exists());
    assert!(!dir.join(".progress.json").exists());
    let rows = std::fs::read_to_string(dir.join("replications.csv")).unwrap();
    assert_eq!(rows.lines().count(), 20001);
}

#[test]
fn existing_run_is_not_overwritten_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run(&dir, 100, &[], &[]);
    let before: Vec<Vec<u8>> = FILES
        .iter()
        .chain(&["manifest.json"])
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    let o = run_output(&dir, 120, &[], &[]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    let after: Vec<Vec<u8>> = FILES
        .iter()
        .chain(&["manifest.json"])
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    assert!(before == after, "a refused run changed the old files");
    run(&dir, 120, &["--force"], &[]);
    let rows = std::fs::read_to_string(dir.join("replications.csv")).unwrap();
    assert_eq!(rows.lines().count(), 121);
}

#[test]
fn outputs_identical_for_1_2_and_8_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("t1");
    run(&one, 300, &["--threads", "1"], &[]);
    for t in ["2", "8"] {
        let dir = tmp.path().join(format!("t{t}"));
        run(&dir, 300, &["--threads", t], &[("POLICYSIM_BLOCK", "100")]);
        assert_same_run(&one, &dir);
    }
}

#[test]
fn output_folder_under_a_file_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = file.join("run");
    let o = policysim(
        &["run", SCENARIO, "--reps", "50", "--quiet", "--out", s(&out)],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("a-file is a file, not a folder"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), b"not a folder");
}

#[test]
fn invalid_shards_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o_ = s(&out);
    for spec in ["3/3", "0/0", "a/2", "1", "-1/2", "1/2/3"] {
        let flag = format!("--shard={spec}");
        let o = policysim(
            &[
                "run", SCENARIO, "--reps", "50", "--quiet", &flag, "--out", o_,
            ],
            &[],
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "--shard {spec}: {err}");
        assert!(err.contains("shard"), "{err}");
    }
    // More shards than replications: a shard would be empty.
    let o = policysim(
        &[
            "run", SCENARIO, "--reps", "3", "--quiet", "--shard", "0/4", "--out", o_,
        ],
        &[],
    );
    assert_eq!(code(&o), 2);
    let bad_env: &[&[(&str, &str)]] = &[
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
        &[("SLURM_ARRAY_TASK_ID", "0")],
        &[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
        &[("JOB_COMPLETION_INDEX", "1")],
        &[
            ("JOB_COMPLETION_INDEX", "2"),
            ("POLICYSIM_SHARD_COUNT", "2"),
        ],
    ];
    for env in bad_env {
        let o = policysim(
            &["run", SCENARIO, "--reps", "50", "--quiet", "--out", o_],
            env,
        );
        assert_eq!(
            code(&o),
            2,
            "{env:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(!out.exists());
}

#[test]
fn shard_comes_from_flag_then_slurm_then_kubernetes() {
    let tmp = tempfile::tempdir().unwrap();
    let shard_of = |dir: &Path| process::manifest_without_execution(dir)["shard"].clone();
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], (u64, u64));
    let cases: &[Case] = &[
        (
            &["--shard", "1/5"],
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            (1, 5),
        ),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("JOB_COMPLETION_INDEX", "0"),
            ],
            (2, 4),
        ),
        (
            &[],
            &[
                ("JOB_COMPLETION_INDEX", "3"),
                ("POLICYSIM_SHARD_COUNT", "6"),
            ],
            (3, 6),
        ),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "1"),
                ("POLICYSIM_SHARD_COUNT", "4"),
            ],
            (3, 4),
        ),
    ];
    for (i, (flags, env, (k, n))) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        run(&dir, 60, flags, env);
        assert_eq!(shard_of(&dir), serde_json::json!({"index": k, "count": n}));
    }
}

#[test]
fn verify_reproduces_a_run_and_flags_a_changed_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run(&dir, 120, &["--shard", "1/2"], &[]);
    let o = policysim(&["verify", "--quiet", s(&dir)], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("summary.csv") && text.contains("ok"),
        "{text}"
    );
    let mut summary = std::fs::read(dir.join("summary.csv")).unwrap();
    summary.extend_from_slice(b"x\n");
    std::fs::write(dir.join("summary.csv"), summary).unwrap();
    let o = policysim(&["verify", "--quiet", s(&dir)], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 1, "{text}");
    assert!(text.contains("CHANGED"), "{text}");
}
