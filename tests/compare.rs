//! `compare` contracts: common random numbers make paired differences sharp
//! (docs/model.md, Reproducibility); switching every instrument off pays nothing; a scenario compared
//! with itself differs by exactly zero.

use std::path::{Path, PathBuf};
use std::process::Command;

use policysim::compare::{self, ScenarioRows};
use policysim::scenario::{self, Scenario};
use policysim::stats::Columns;

const SEED: u64 = 20230908;
const REPS: u64 = 300;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rows(path: &str) -> (Scenario, ScenarioRows) {
    rows_in(path, &std::env::temp_dir().join("unused.scratch"), 2)
}

/// The rows of `path`, as one of `stores` scenarios held at once (`usize::MAX`: so many
/// that the rows spill to `scratch`).
fn rows_in(path: &str, scratch: &Path, stores: usize) -> (Scenario, ScenarioRows) {
    let loaded = scenario::load(&root().join(path)).expect("scenario loads");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let place = compare::RowsPlace { scratch, stores };
    let r = pool
        .install(|| compare::run_rows(&loaded.scenario, SEED, REPS, place, &|| {}))
        .expect("runs");
    (loaded.scenario, r)
}

#[test]
fn spilled_rows_compare_as_rows_in_memory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sa, a) = rows("scenarios/baseline.toml");
    let (sb, b) = rows("scenarios/rewards_doubled.toml");
    let a_file = dir.path().join("a.scratch");
    let (_, a_spilled) = rows_in("scenarios/baseline.toml", &a_file, usize::MAX);
    let (_, b_spilled) = rows_in(
        "scenarios/rewards_doubled.toml",
        &dir.path().join("b"),
        usize::MAX,
    );
    assert!(a_file.exists(), "the rows went to the scratch file");
    assert_eq!(
        compare::compare(&sa, &a, &sb, &b).unwrap(),
        compare::compare(&sa, &a_spilled, &sb, &b_spilled).unwrap()
    );
    drop(a_spilled);
    assert!(!a_file.exists(), "the scratch file goes with the rows");
}

fn is_money(name: &str) -> bool {
    ["outlay.", "demand.", "carried."]
        .iter()
        .any(|p| name.starts_with(p))
}

#[test]
fn crn_an_amount_change_moves_only_the_money_and_scales_it_exactly() {
    let (sa, a) = rows("scenarios/baseline.toml");
    let (sb, b) = rows("tests/scenarios/compare_listed_doubled.toml");
    let c = compare::compare(&sa, &a, &sb, &b).unwrap();
    assert_eq!(c.metrics.len(), a.layout.len());
    for (j, name) in a.layout.names.iter().enumerate() {
        if is_money(name) {
            continue;
        }
        let jb = b.layout.index_of(name).expect("same metrics");
        assert_eq!(
            a.metric(j).unwrap(),
            b.metric(jb).unwrap(),
            "{name} differs between replications"
        );
        let d = &c.metric(name).unwrap().diff;
        assert_eq!(
            (d.mean_diff, d.ci95_low, d.ci95_high),
            (0.0, 0.0, 0.0),
            "{name}"
        );
    }
    let la = a
        .metric_named("outlay.instrument.listing_listed")
        .unwrap()
        .unwrap();
    let lb = b
        .metric_named("outlay.instrument.listing_listed")
        .unwrap()
        .unwrap();
    assert!(
        la.iter().any(|x| *x > 0.0),
        "no listing reward paid: test is vacuous"
    );
    for (r, (x, y)) in la.iter().zip(&lb).enumerate() {
        assert_eq!(*y, 2.0 * x, "replication {r}: listing reward not doubled");
    }
    // Every other instrument pays exactly the same.
    for i in &sa.instruments {
        if i.id != "listing_listed" {
            let name = format!("outlay.instrument.{}", i.id);
            assert_eq!(
                a.metric_named(&name).unwrap().unwrap(),
                b.metric_named(&name).unwrap().unwrap(),
                "{name}"
            );
        }
    }
    for t in &c.targets {
        assert_eq!(t.change, 0.0, "{}", t.target);
    }
}

#[test]
fn no_policy_pays_exactly_zero_in_every_replication() {
    let (_, r) = rows("scenarios/no_policy.toml");
    let total = r.metric_named("outlay.total").unwrap().unwrap();
    assert_eq!(total.len(), REPS as usize);
    assert!(total.iter().all(|x| *x == 0.0), "no_policy paid something");
    for (j, name) in r.layout.names.iter().enumerate() {
        if name.starts_with("outlay.") {
            assert!(
                r.metric(j).unwrap().iter().all(|x| *x == 0.0),
                "{name} is not zero"
            );
        }
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(path).expect("csv readable");
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let baseline = root().join("scenarios/baseline.toml");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_policysim"))
            .arg("compare")
            .arg(&baseline)
            .arg(&baseline)
            .args(["--reps", "200", "--threads", "2", "--quiet", "--out"])
            .arg(&out)
            .args(extra)
            .status()
            .expect("binary runs")
    };
    assert!(run(&[]).success());

    let (header, rows) = read_csv(&out.join("comparison.csv"));
    assert_eq!(
        header,
        [
            "scenario_a",
            "scenario_b",
            "metric",
            "mean_a",
            "mean_b",
            "mean_diff",
            "diff_ci95_low",
            "diff_ci95_high",
            "p_b_greater"
        ]
    );
    assert!(rows.iter().any(|r| r[2] == "outlay.total"));
    for r in &rows {
        assert_eq!(r[3], r[4], "{}: means differ", r[2]);
        for k in 5..9 {
            assert_eq!(
                r[k].parse::<f64>().unwrap(),
                0.0,
                "{}: {} = {}",
                r[2],
                header[k],
                r[k]
            );
        }
    }
    let (theader, trows) = read_csv(&out.join("comparison_targets.csv"));
    assert_eq!(theader[6], "change");
    assert!(!trows.is_empty());
    for r in &trows {
        assert_eq!(r[4], r[5]);
        for k in 6..9 {
            assert_eq!(r[k].parse::<f64>().unwrap(), 0.0, "{}", r[2]);
        }
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("could not be drawn"));
    assert!(out.join("manifest.json").exists());

    // An existing comparison is never overwritten without --force (exit code 2).
    assert_eq!(run(&[]).code(), Some(2));
    assert!(run(&["--force"]).success());
}

/// A paired interval comes from the spread of the differences, which one replication
/// does not have: `compare` refuses it as bad input, before writing anything.
#[test]
fn compare_refuses_a_single_replication() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let baseline = root().join("scenarios/baseline.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("compare")
        .arg(&baseline)
        .arg(&baseline)
        .args(["--reps", "1", "--quiet", "--out"])
        .arg(&out)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(
        stderr.contains("compare needs at least 2 replications (--reps is 1)"),
        "stderr:\n{stderr}"
    );
    assert!(!out.exists(), "wrote {}", out.display());
}
