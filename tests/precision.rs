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

/// `compare --precision` on a paired difference of known law: compare_pair_doubled −
/// compare_pair_base is 1e6·X in every replication, X ~ Binomial(10, 0.3). The rule
/// `outlay.total:mean:W` holds once Z95·s/√n ≤ W·|x̄|, near n* = (Z95·σ/(W·μ))²; the
/// sample ratio (s/x̄)² has relative sd √(v/n) (delta method from the moments of X), so the
/// stop count lies within n*·(1 ± 4√(v/n*)), plus one block. Exactly: the rule holds in
/// comparison.csv at the count reached and not one block earlier, and the files are those
/// of `compare --reps` of that count.
#[test]
fn compare_precision_stops_where_the_paired_interval_is_narrow_enough() {
    const Z95: f64 = 1.959963984540054;
    const BLOCK: u64 = 20;
    const WIDTH: f64 = 0.05;
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let (a, b) = (
        common::scenario_path("compare_pair_base.toml"),
        common::scenario_path("compare_pair_doubled.toml"),
    );
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let seed = common::seed().to_string();
    let compare = |extra: &[&str], out: &str| {
        let mut args = vec!["compare", a, b, "--seed", &seed, "-q", "--out", out];
        args.extend(extra);
        let o = policysim(&args, &BLOCK.to_string());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    compare(
        &["--precision", "outlay.total:mean:5%", "--max-reps", "5000"],
        &d("p"),
    );
    let m = manifest(Path::new(&d("p")));
    let n = m["replications"].as_u64().unwrap();
    let outcome = &m["precision"][0];
    assert_eq!(outcome["held"], true, "{outcome}");
    assert_eq!(outcome["held_at"].as_u64(), Some(n));
    assert_eq!(n % BLOCK, 0);

    // The closed-form bound.
    let pmf = common::binomial_pmf(10, 0.3);
    let moment = |f: &dyn Fn(f64) -> f64| -> f64 {
        pmf.iter().enumerate().map(|(k, p)| p * f(k as f64)).sum()
    };
    let mu = moment(&|x| x);
    let var = moment(&|x| (x - mu).powi(2));
    let (m3, m4) = (moment(&|x| (x - mu).powi(3)), moment(&|x| (x - mu).powi(4)));
    let n_star = (Z95 * var.sqrt() / (WIDTH * mu)).powi(2);
    // Var of log s² − 2 log x̄, times n.
    let v = (m4 - var * var) / (var * var) + 4.0 * var / (mu * mu) - 4.0 * m3 / (var * mu);
    let spread = 4.0 * (v / n_star).sqrt();
    let (lo, hi) = (
        n_star * (1.0 - spread),
        n_star * (1.0 + spread) + BLOCK as f64,
    );
    assert!(
        (lo..=hi).contains(&(n as f64)),
        "stopped at {n}, expected {lo:.0}..{hi:.0} (n* {n_star:.0})"
    );

    // Exactly where comparison.csv says it holds.
    let relative_half_width = |folder: &str| -> f64 {
        let text = std::fs::read_to_string(Path::new(folder).join("comparison.csv")).unwrap();
        let row: Vec<f64> = text
            .lines()
            .find(|l| l.split(',').nth(2) == Some("outlay.total"))
            .unwrap()
            .split(',')
            .skip(3)
            .map(|x| x.parse().unwrap())
            .collect();
        let (mean_diff, low, high) = (row[2], row[3], row[4]);
        (high - low) / 2.0 / mean_diff.abs()
    };
    assert!(relative_half_width(&d("p")) <= WIDTH);
    compare(&["--reps", &(n - BLOCK).to_string()], &d("before"));
    assert!(relative_half_width(&d("before")) > WIDTH);

    // The files of a --reps comparison of that count.
    compare(&["--reps", &n.to_string()], &d("r"));
    for name in [
        "comparison.csv",
        "comparison_targets.csv",
        "report.html",
        "report.xlsx",
    ] {
        let (x, y) = (
            std::fs::read(Path::new(&d("p")).join(name)).unwrap(),
            std::fs::read(Path::new(&d("r")).join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs from the --reps {n} comparison's");
    }
    let (mut mp, mut mr) = (m, manifest(Path::new(&d("r"))));
    for m in [&mut mp, &mut mr] {
        let m = m.as_object_mut().unwrap();
        m.remove("precision");
        m.remove("outputs");
        for s in m["scenarios"].as_array_mut().unwrap() {
            s.as_object_mut().unwrap().remove("path");
        }
    }
    assert_eq!(mp, mr);
}

#[test]
fn compare_bad_rules_exit_2_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("x");
    let path = |n: &str| common::scenario_path(n).display().to_string();
    for (rule, second) in [
        ("outlay.nothing:mean:1%", "compare_pair_doubled.toml"),
        ("outlay.total:median:1%", "compare_pair_doubled.toml"),
        ("outlay.total:mean:0", "compare_pair_doubled.toml"),
        ("target.nope:probability:0.01", "compare_pair_doubled.toml"),
        // A target of the first scenario that the second lacks.
        ("target.paid_4m:probability:0.01", "fixed_binomial.toml"),
    ] {
        let out = policysim(
            &[
                "compare",
                &path("compare_pair_base.toml"),
                &path(second),
                "--precision",
                rule,
                "--out",
                out_dir.to_str().unwrap(),
            ],
            "100",
        );
        assert_eq!(out.status.code(), Some(2), "{rule}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(rule), "{rule}: {stderr}");
        assert!(!out_dir.exists(), "{rule}: nothing written");
    }
}
