//! What the command line refuses, and how (issue 11, items 3, 4, 7 and 8): runs this
//! machine cannot hold, values out of their ranges, output folders that are files,
//! leftovers of killed runs, commands started from another folder, and the messages a
//! new user reads. Each case asserts its exit code and the words of its message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BASELINE: &str = "scenarios/baseline.toml";
const STIPEND: &str = "tests/scenarios/stipend.toml";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn command(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
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
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Runs policysim in `cwd`, giving up (and failing) after two minutes: a hang is a
/// failure of what these tests check, not a reason to wait for ever.
fn policysim_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
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

fn policysim(args: &[&str], env: &[(&str, &str)]) -> Output {
    policysim_in(root(), args, env)
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Exit code 2 and every one of `words` in the message.
fn refused(o: &Output, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(code(o), 2, "{err}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

fn ok(o: &Output) {
    assert_eq!(code(o), 0, "{}{}", stdout(o), stderr(o));
}

#[test]
fn a_trillion_replications_are_refused_with_the_estimate_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for force in [false, true] {
        let mut args = vec![
            "run",
            BASELINE,
            "--reps",
            "1000000000000",
            "--quiet",
            "--out",
            s(&out),
        ];
        if force {
            args.push("--force");
        }
        let o = policysim(&args, &[]);
        refused(
            &o,
            &[
                "cannot fit this machine",
                "1000000000000 replications",
                "firms per replication",
                "--force does not override",
            ],
        );
        assert!(!out.exists(), "a refused run created {}", out.display());
    }
}

/// The machine's limits faked through the documented test seam: memory and disk each
/// refuse a run that fits the other, and the refused run leaves an old run untouched.
#[test]
fn a_run_is_refused_when_memory_or_disk_is_short() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let args = ["run", STIPEND, "--reps", "50", "--quiet", "--out", s(&out)];
    ok(&policysim(&args, &[]));
    let before = std::fs::read(out.join("replications.csv")).unwrap();
    let forced = [&args[..], &["--force"]].concat();
    let o = policysim(&forced, &[("POLICYSIM_TEST_MEMORY_AVAILABLE", "1000")]);
    refused(&o, &["memory", "1.0 kB available", "estimate"]);
    let o = policysim(&forced, &[("POLICYSIM_TEST_DISK_FREE", "1000")]);
    refused(&o, &["disk", "1.0 kB free", "estimate"]);
    assert_eq!(std::fs::read(out.join("replications.csv")).unwrap(), before);
    let o = policysim(&forced, &[("POLICYSIM_TEST_DISK_FREE", "-5")]);
    refused(&o, &["POLICYSIM_TEST_DISK_FREE"]);
    // Enough of both: the run goes ahead, and says what it estimated first.
    let loud = ["run", STIPEND, "--reps", "50", "--force", "--out", s(&out)];
    let o = policysim(
        &loud,
        &[("POLICYSIM_TEST_MEMORY_AVAILABLE", "100000000000")],
    );
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("estimate:") && err.contains("firms per replication"),
        "{err}"
    );
}

#[test]
fn compare_is_refused_when_memory_is_short() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let args = [
        "compare",
        STIPEND,
        STIPEND,
        "--reps",
        "20",
        "--quiet",
        "--out",
        s(&out),
    ];
    let o = policysim(&args, &[("POLICYSIM_TEST_MEMORY_AVAILABLE", "1000")]);
    refused(&o, &["cannot fit this machine", "memory"]);
    assert!(!out.exists());
}

#[test]
fn numbers_out_of_range_are_refused_with_their_range() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--reps", "-1"],
            &["--reps", "from 1 to 9007199254740992", "negative"],
        ),
        (&["--reps", "0"], &["--reps", "from 1 to"]),
        (
            &["--reps", "9007199254740993"],
            &["from 1 to 9007199254740992"],
        ),
        (
            &["--seed", "-1"],
            &["--seed", "from 0 to 18446744073709551615"],
        ),
        (
            &["--threads", "0"],
            &["--threads", "thread count must be from 1"],
        ),
        (
            &["--threads", "10000"],
            &["--threads", "4 ×", "at most 256"],
        ),
        (&["--shard", "-1/2"], &["shard", "K is not a whole number"]),
        (
            &["--shard", "0/99999999999999999999"],
            &["shard", "N is not a whole number"],
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for (flags, words) in cases {
        let mut args = vec!["run", STIPEND, "--quiet", "--out", s(&out)];
        args.extend_from_slice(flags);
        refused(&policysim(&args, &[]), words);
        assert!(!out.exists(), "{flags:?} wrote {}", out.display());
    }
    let envs: &[(&str, &str, &str)] = &[
        (
            "POLICYSIM_BLOCK",
            "0",
            "POLICYSIM_BLOCK=\"0\" must be a whole number from 1",
        ),
        (
            "SLURM_ARRAY_TASK_ID",
            "-3",
            "SLURM_ARRAY_TASK_ID=\"-3\" is not a whole number",
        ),
    ];
    for (var, value, words) in envs {
        let args = ["run", STIPEND, "--reps", "10", "--quiet", "--out", s(&out)];
        refused(&policysim(&args, &[(var, value)]), &[words]);
    }
    let o = policysim(&["compare", STIPEND, STIPEND, "--threads", "100000"], &[]);
    refused(&o, &["thread count"]);
    let o = policysim(&["merge", "x", "--threads", "-1"], &[]);
    refused(&o, &["thread count", "negative"]);
}

#[test]
fn an_output_folder_that_is_a_file_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "mine").unwrap();
    for command in [
        vec!["run", STIPEND, "--reps", "10", "--quiet", "--out", s(&file)],
        vec![
            "compare",
            STIPEND,
            STIPEND,
            "--reps",
            "10",
            "--quiet",
            "--out",
            s(&file),
        ],
    ] {
        let o = policysim(&command, &[]);
        refused(
            &o,
            &[
                "notes.txt as the output folder",
                "it is a file, not a folder",
            ],
        );
        let o = policysim(&[&command[..], &["--force"]].concat(), &[]);
        refused(&o, &["it is a file, not a folder"]);
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"mine");
}

/// Amounts whose sums overflow f64 once made `run` loop for ever drawing the report's
/// histogram, deaf to signals. Now the run ends with exit code 2: refused where the
/// scenario is read, or where the first replication's rows are not finite.
#[test]
fn amounts_too_large_to_add_up_end_with_exit_2_not_a_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(STIPEND)).unwrap();
    assert!(text.contains("amount = 5000"));
    let huge = tmp.path().join("huge.toml");
    std::fs::write(&huge, text.replace("amount = 5000", "amount = 1e308")).unwrap();
    let out = tmp.path().join("run");
    let o = policysim(
        &["run", s(&huge), "--reps", "20", "--quiet", "--out", s(&out)],
        &[],
    );
    refused(&o, &["amount"]);
    assert!(!out.join("summary.csv").exists());
    assert!(std::fs::read_dir(&out).map_or(true, |d| d.count() == 0));
}

/// The rows of a replication that overflowed are refused, naming the replication and
/// the metric, whatever the scenario reader accepts.
#[test]
fn non_finite_rows_are_refused_naming_replication_and_metric() {
    let loaded = policysim::scenario::load(&root().join(STIPEND)).unwrap();
    let model = policysim::engine::Model::new(&loaded.scenario);
    let mut block = policysim::montecarlo::run_block(&model, 1, 10..13, &|| {});
    assert!(block.check_finite(&model.layout, 10).is_ok());
    let m = model.layout.len();
    block.metrics[m + model.layout.outlay_total] = f64::INFINITY;
    let err = block.check_finite(&model.layout, 10).unwrap_err();
    assert_eq!(err.exit, policysim::error::Exit::BadInput);
    assert!(
        err.message.contains("replication 11: outlay.total is inf"),
        "{}",
        err.message
    );
    block.metrics[m + model.layout.outlay_total] = 0.0;
    let sl = model.layout.series_len();
    block.series[2 * sl] = f64::NAN;
    let err = block.check_finite(&model.layout, 10).unwrap_err();
    assert!(
        err.message.contains("replication 12: series"),
        "{}",
        err.message
    );
}

/// The report of statistics holding infinities, NaN and values near f64::MAX is written
/// (charts that cannot be drawn say so) instead of looping for ever.
#[test]
fn the_report_of_extreme_or_non_finite_statistics_is_written() {
    let loaded = policysim::scenario::load(&root().join(STIPEND)).unwrap();
    let s = &loaded.scenario;
    let model = policysim::engine::Model::new(s);
    let block = policysim::montecarlo::run_block(&model, 1, 0..40, &|| {});
    let rows = Rows {
        m: model.layout.len(),
        sl: model.layout.series_len(),
        n: 40,
        block,
    };
    let stats = policysim::stats::compute(s, &model.layout, &rows);
    for scale in [1.0e300, f64::MAX, f64::INFINITY, f64::NAN] {
        let mut st = stats.clone();
        for m in &mut st.metrics {
            m.mean *= scale;
            m.quantiles = m.quantiles.map(|q| q * scale + scale);
            m.cvar95 = m.cvar95 * scale + scale;
        }
        for b in &mut st.series {
            b.quantiles = b.quantiles.map(|q| q * scale + scale);
        }
        let totals: Vec<f64> = st.outlay_total.iter().map(|v| v * scale + scale).collect();
        let html = policysim::output::report::run_report(s, &st, &totals, 1);
        assert!(
            html.ends_with("</html>\n") || html.contains("</html>"),
            "{scale}"
        );
        if !scale.is_finite() {
            assert!(html.contains("not drawn"), "{scale}");
        }
    }
}

struct Rows {
    m: usize,
    sl: usize,
    n: usize,
    block: policysim::montecarlo::Block,
}

impl policysim::stats::Columns for Rows {
    fn replications(&self) -> usize {
        self.n
    }
    fn metric(&self, j: usize) -> Vec<f64> {
        (0..self.n)
            .map(|i| self.block.metrics[i * self.m + j])
            .collect()
    }
    fn series(&self, j: usize) -> Vec<f64> {
        (0..self.n)
            .map(|i| self.block.series[i * self.sl + j])
            .collect()
    }
}

/// A signal stops a run inside a block, not after it: with one block of all 20,000
/// replications, an uninterrupted run would finish, and an interrupt honoured only
/// between blocks would too.
#[test]
fn sigint_stops_a_run_inside_its_block() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let child = command(
        root(),
        &[
            "run",
            BASELINE,
            "--reps",
            "20000",
            "--quiet",
            "--out",
            s(&dir),
        ],
        &[("POLICYSIM_BLOCK", "20000")],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // The checkpoint of zero replications is written before the first block starts.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join(".progress.json").exists() {
        assert!(Instant::now() < deadline, "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted after 0 of 20000"), "{err}");
    assert!(!dir.join("summary.csv").exists());
}

/// After a SIGKILL, `run --force` into the folder removes every leftover policysim
/// wrote (temporary row files, checkpoint, scratch) and keeps the user's own files.
#[test]
fn force_removes_a_killed_runs_leftovers_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let mut child = command(
        root(),
        &[
            "run",
            BASELINE,
            "--reps",
            "20000",
            "--quiet",
            "--out",
            s(&dir),
        ],
        &[("POLICYSIM_BLOCK", "20")],
    )
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(dir.join(".progress.json")).unwrap_or_default();
        if text.contains("\"completed\"") && !text.contains("\"completed\": 0,") {
            break;
        }
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is cleaned.
    child.wait().unwrap();
    // The scratch a spilling run leaves (too large to make in a test: written by hand),
    // and the user's own files, one named like ours but not ours.
    std::fs::write(dir.join(".rows.scratch.partial"), vec![0u8; 4096]).unwrap();
    std::fs::write(dir.join(".rows-1.scratch.partial"), b"compare scratch").unwrap();
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    std::fs::write(dir.join(".draft.partial"), b"mine too").unwrap();
    let leftovers = [
        ".progress.json",
        ".replications.csv.partial",
        ".series.csv.partial",
        ".rows.scratch.partial",
        ".rows-1.scratch.partial",
    ];
    for f in leftovers {
        assert!(dir.join(f).exists(), "{f} should be left by the killed run");
    }
    let o = policysim(
        &["run", STIPEND, "--reps", "10", "--quiet", "--out", s(&dir)],
        &[],
    );
    refused(&o, &["interrupted run", "--force"]);
    let o = policysim(
        &[
            "run",
            STIPEND,
            "--reps",
            "10",
            "--quiet",
            "--force",
            "--out",
            s(&dir),
        ],
        &[],
    );
    ok(&o);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".draft.partial",
            "budget.csv",
            "manifest.json",
            "notes.txt",
            "replications.csv",
            "report.html",
            "series.csv",
            "summary.csv",
            "targets.csv",
            "timeseries.csv"
        ]
    );
}

/// A scenario in a folder of its own, so that tests can move, change or remove it.
fn own_scenario(tmp: &Path) -> PathBuf {
    let dir = tmp.join("work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join(STIPEND), dir.join("stipend.toml")).unwrap();
    dir
}

/// `verify`, `merge` and `run --resume` started in another folder find the scenario
/// where the run was started (it recorded a relative path).
#[test]
fn resume_merge_and_verify_work_from_another_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let work = own_scenario(tmp.path());
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let stopped = [
        "run",
        "stipend.toml",
        "--reps",
        "60",
        "--quiet",
        "--out",
        "stopped",
    ];
    let env = [
        ("POLICYSIM_BLOCK", "20"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "1"),
    ];
    assert_eq!(code(&policysim_in(&work, &stopped, &env)), 130);
    let stopped_dir = work.join("stopped");
    let o = policysim_in(
        &elsewhere,
        &["run", "--resume", s(&stopped_dir), "--quiet"],
        &[],
    );
    ok(&o);
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("shard-{k}");
        let args = [
            "run",
            "stipend.toml",
            "--reps",
            "60",
            "--quiet",
            "--shard",
            &shard,
            "--out",
            &out,
        ];
        ok(&policysim_in(&work, &args, &[]));
    }
    let merged = tmp.path().join("merged");
    let (a, b) = (work.join("shard-0"), work.join("shard-1"));
    let o = policysim_in(
        &elsewhere,
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    ok(&o);
    let o = policysim_in(&elsewhere, &["verify", "--quiet", s(&merged)], &[]);
    ok(&o);
    assert!(stdout(&o).contains("verified"), "{}", stdout(&o));
    // The merged folder, the resumed one and one run of all 60 hold the same rows.
    let single = tmp.path().join("single");
    let args = [
        "run",
        "stipend.toml",
        "--reps",
        "60",
        "--quiet",
        "--out",
        s(&single),
    ];
    ok(&policysim_in(&work, &args, &[]));
    for f in ["replications.csv", "summary.csv", "report.html"] {
        let one = std::fs::read(single.join(f)).unwrap();
        assert!(one == std::fs::read(merged.join(f)).unwrap(), "{f} merged");
        assert!(
            one == std::fs::read(stopped_dir.join(f)).unwrap(),
            "{f} resumed"
        );
    }
}

/// A scenario changed since the run is bad input under `verify` as under `merge`; a
/// missing one is named with the option that gives it, which `verify` has.
#[test]
fn a_changed_or_missing_scenario_is_exit_2_under_verify_and_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let work = own_scenario(tmp.path());
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("shard-{k}");
        let args = [
            "run",
            "stipend.toml",
            "--reps",
            "40",
            "--quiet",
            "--shard",
            &shard,
            "--out",
            &out,
        ];
        ok(&policysim_in(&work, &args, &[]));
    }
    let file = work.join("stipend.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("amount = 5000", "amount = 6000")).unwrap();
    let (a, b) = (work.join("shard-0"), work.join("shard-1"));
    let merged = tmp.path().join("merged");
    let o = policysim(
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    refused(&o, &["cannot merge", "has changed since the run"]);
    let o = policysim(&["verify", "--quiet", s(&a)], &[]);
    refused(&o, &["cannot re-run", "has changed since the run"]);
    std::fs::remove_file(&file).unwrap();
    let o = policysim(&["verify", "--quiet", s(&a)], &[]);
    refused(&o, &["is not there", "--scenario"]);
    assert!(!stderr(&o).contains("merge"), "{}", stderr(&o));
    // The original, named with --scenario, verifies.
    let original = root().join(STIPEND);
    let o = policysim(
        &["verify", "--quiet", "--scenario", s(&original), s(&a)],
        &[],
    );
    ok(&o);
}

#[test]
fn help_lists_every_output_and_help_of_help_succeeds() {
    for args in [
        &["run", "--help"][..],
        &["help", "run"],
        &["help", "--help"],
        &["help"],
    ] {
        let o = policysim(args, &[]);
        ok(&o);
        if args.contains(&"run") {
            let text = stdout(&o);
            for f in [
                "summary.csv",
                "series.csv",
                "timeseries.csv",
                "report.html",
                "manifest.json",
            ] {
                assert!(text.contains(f), "{args:?}: {f} not in {text}");
            }
        }
    }
    refused(
        &policysim(&["help", "nothing"], &[]),
        &["no command \"nothing\""],
    );
}

/// `merge` reports what it did (combined rows), not a simulation rate it did not reach;
/// the target table gives each district's threshold.
#[test]
fn merge_reports_no_throughput_and_targets_show_their_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for k in 0..2 {
        let dir = tmp.path().join(format!("shard-{k}"));
        let shard = format!("{k}/2");
        let args = [
            "run",
            BASELINE,
            "--reps",
            "40",
            "--quiet",
            "--shard",
            &shard,
            "--out",
            s(&dir),
        ];
        ok(&policysim(&args, &[]));
        dirs.push(dir);
    }
    let merged = tmp.path().join("merged");
    let o = policysim(
        &["merge", "--out", s(&merged), s(&dirs[0]), s(&dirs[1])],
        &[],
    );
    ok(&o);
    let text = stdout(&o);
    assert!(
        text.contains("merged 40 replications from 2 shard folders"),
        "{text}"
    );
    assert!(
        !text.contains("reps/s") && !text.contains("events/s"),
        "{text}"
    );
    let scale = text
        .lines()
        .position(|l| l.trim_start().starts_with("scale in 2025 ≥"))
        .unwrap_or_else(|| panic!("no scale row in {text}"));
    let thresholds = text.lines().nth(scale + 1).unwrap();
    assert!(
        thresholds.trim_start().starts_with("threshold") && thresholds.contains("1450"),
        "{thresholds}"
    );
}
