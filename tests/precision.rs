//! Precision-based stopping (docs/model.md, Precision) and parameters.csv.

mod common;

use std::path::Path;
use std::process::Command;

use policysim::precision::quantile_ranks;
use rand::{Rng, SeedableRng};

fn policysim(args: &[&str], block: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_policysim"))
        .args(args)
        .env("POLICYSIM_BLOCK", block)
        .output()
        .expect("policysim runs")
}

fn scenario() -> String {
    common::scenario_path("parameters_per_replication.toml")
        .display()
        .to_string()
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn assert_same_files(a: &Path, b: &Path) {
    for name in [
        "replications.csv",
        "series.csv",
        "parameters.csv",
        "summary.csv",
        "targets.csv",
        "budget.csv",
        "timeseries.csv",
        "report.html",
    ] {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    let (mut ma, mut mb) = (manifest(a), manifest(b));
    for m in [&mut ma, &mut mb] {
        m.as_object_mut().unwrap().remove("execution");
    }
    assert_eq!(ma, mb);
}

/// The distribution-free interval [X_(l), X_(u)] of the p quantile covers it with
/// probability P(l ≤ B < u), B ~ Binomial(n, p): at least 95 %, and over many samples of
/// a uniform distribution (exact quantile p) the share covered is that rate within 4σ.
#[test]
fn order_statistic_interval_covers_the_quantile_at_its_rate() {
    let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(common::seed());
    let trials = 4000;
    for (n, p) in [(40, 0.5), (200, 0.95), (1000, 0.99)] {
        let (l, u) = quantile_ranks(n, p);
        let pmf = common::binomial_pmf(n as u64, p);
        // X_(l+1) ≤ q (0-based l) iff at least l + 1 values fall below q.
        let rate: f64 = pmf[l + 1..=u].iter().sum();
        assert!(rate >= 0.945, "n {n} p {p}: stated rate {rate}");
        let mut covered = 0;
        let mut v = vec![0.0; n];
        for _ in 0..trials {
            v.iter_mut().for_each(|x| *x = rng.random::<f64>());
            v.sort_by(f64::total_cmp);
            covered += usize::from(v[l] <= p && p <= v[u]);
        }
        common::assert_proportion(&format!("coverage n {n} p {p}"), covered, trials, rate);
    }
}

/// A precision run writes the files a --reps run of the count it reached writes.
#[test]
fn precision_run_equals_a_reps_run_of_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let (p, r) = (dir.path().join("p"), dir.path().join("r"));
    let s = scenario();
    let out = policysim(
        &[
            "run",
            &s,
            "--precision",
            "outlay.total:mean:5%",
            "--precision",
            "outlay.total:p95:10%",
            "--max-reps",
            "5000",
            "--out",
            p.to_str().unwrap(),
        ],
        "100",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("every rule holds"), "{stdout}");
    let m = manifest(&p);
    let reached = m["replications"].as_u64().unwrap();
    assert!(reached < 5000 && reached % 100 == 0, "reached {reached}");
    for o in m["execution"]["precision"].as_array().unwrap() {
        assert_eq!(o["held"], true, "{o}");
    }
    let n = reached.to_string();
    let out = policysim(
        &["run", &s, "--reps", &n, "--out", r.to_str().unwrap(), "-q"],
        "100",
    );
    assert!(out.status.success());
    assert_same_files(&p, &r);
}

#[test]
fn rule_that_cannot_be_met_stops_at_max_reps() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p");
    let out = policysim(
        &[
            "run",
            &scenario(),
            "--precision",
            "outlay.total:mean:0.01%",
            "--max-reps",
            "300",
            "--out",
            p.to_str().unwrap(),
        ],
        "100",
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("stopped at --max-reps after 300") && stdout.contains("did NOT hold"),
        "{stdout}"
    );
    let m = manifest(&p);
    assert_eq!(m["replications"], 300);
    assert_eq!(m["execution"]["precision"][0]["held"], false);
}

#[test]
fn bad_rules_exit_2_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("x");
    for rule in [
        "outlay.nothing:mean:1%",
        "outlay.total:median:1%",
        "outlay.total:mean:0",
        "outlay.total:mean:-1%",
        "outlay.total:mean",
        "target.nope:probability:0.01",
    ] {
        let out = policysim(
            &[
                "run",
                &scenario(),
                "--precision",
                rule,
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "100",
        );
        assert_eq!(out.status.code(), Some(2), "{rule}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(rule),
            "{rule}"
        );
        assert!(!out_dir.exists(), "{rule}: nothing written");
    }
}

/// parameters.csv: one row per replication, the same bytes whatever the threads or
/// shards, and merged exactly.
#[test]
fn parameters_csv_is_the_same_across_threads_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let s = scenario();
    for (name, extra) in [
        ("one", vec!["--threads", "1"]),
        ("two", vec!["--threads", "2"]),
        ("s0", vec!["--shard", "0/2"]),
        ("s1", vec!["--shard", "1/2"]),
    ] {
        let mut args = vec!["run", &s, "--reps", "250", "-q", "--out"];
        let out = d(name);
        args.push(&out);
        args.extend(extra);
        assert!(policysim(&args, "64").status.success());
    }
    let out = policysim(&["merge", &d("s0"), &d("s1"), "--out", &d("m"), "-q"], "64");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let one = Path::new(&d("one")).to_path_buf();
    assert_same_files(&one, Path::new(&d("two")));
    assert_same_files(&one, Path::new(&d("m")));
    let text = std::fs::read_to_string(one.join("parameters.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "replication,entry.rate_per_year,instrument[reward].take_up"
    );
    assert_eq!(lines.len(), 251);
    assert!(manifest(&one)["outputs"]["parameters.csv"].is_string());
}
