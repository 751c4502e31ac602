//! What the command line refuses, and how (issue 11, items 3, 4 and 7): runs this
//! machine cannot hold, values out of their ranges, output folders that are files,
//! amounts too large to add up, signals inside a block, and the leftovers of killed runs.
//! Each case asserts its exit code and the words of its message.

mod process;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use process::*;

#[test]
fn a_trillion_replications_are_refused_with_the_estimate_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    for force in [false, true] {
        let flags: &[&str] = if force { &["--force"] } else { &[] };
        let o = run_in(root(), BASELINE, 1_000_000_000_000, s(&out), flags, &[]);
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
        refused(
            &run_in(root(), STIPEND, 10, s(&out), &[], &[(var, value)]),
            &[words],
        );
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
    let stats = policysim::stats::compute(s, &model.layout, &rows).unwrap();
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
        let html = policysim::output::report::run_report(s, &st, &totals, &[], 1, None);
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
    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        Ok((0..self.n)
            .map(|i| self.block.metrics[i * self.m + j])
            .collect())
    }
    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        Ok((0..self.n)
            .map(|i| self.block.series[i * self.sl + j])
            .collect())
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
    // Its rows spill (the test seam), so that the kill leaves real scratch.
    let mut child = start_long_run(
        &dir,
        &[("POLICYSIM_TEST_IN_MEMORY_VALUES", "1")],
        &[".rows.scratch.partial"],
    );
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is cleaned.
    child.wait().unwrap();
    // A comparison's scratch, and the user's own files, one named like ours but not ours.
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
    let o = run_in(root(), STIPEND, 10, s(&dir), &["--force"], &[]);
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
            "parameters.csv",
            "replications.csv",
            "report.html",
            "report.xlsx",
            "series.csv",
            "summary.csv",
            "targets.csv",
            "timeseries.csv"
        ]
    );
}
