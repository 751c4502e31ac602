//! `policysim backtest`: observations scored against an exact predictive distribution
//! (docs/model.md, Backtest). In tests/scenarios/flow_windows.toml first certifications
//! by 2024-12-31 are Binomial(50, 0.4) and in 2025 Binomial(50, 0.24), so each score has
//! a closed form; the ensemble's estimates must fall within 4 Monte Carlo standard errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

const REPS: u64 = 4000;

fn backtest(observations: &str, out: &Path, threads: &str) -> Output {
    let actuals = out.parent().unwrap().join(format!(
        "actuals-{}",
        out.file_name().unwrap().to_string_lossy()
    ));
    std::fs::create_dir_all(&actuals).unwrap();
    std::fs::write(actuals.join("observations.csv"), observations).unwrap();
    Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("backtest")
        .arg(scenario_path("flow_windows.toml"))
        .arg("--actuals")
        .arg(&actuals)
        .args(["--reps", &REPS.to_string(), "--seed", &seed().to_string()])
        .args(["--threads", threads, "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

/// mid-PIT, CRPS and the standard errors of their ensemble estimates for `y` under the
/// distribution `pmf` on 0, 1, ...
struct Exact {
    pit: f64,
    pit_se: f64,
    crps: f64,
    crps_se: f64,
    q: [f64; 5],
}

fn exact(pmf: &[f64], y: f64, reps: f64) -> Exact {
    let cdf: Vec<f64> = pmf
        .iter()
        .scan(0.0, |c, p| {
            *c += p;
            Some(*c)
        })
        .collect();
    let below: f64 = pmf
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as f64) < y)
        .map(|(_, p)| p)
        .sum();
    let at: f64 = pmf
        .iter()
        .enumerate()
        .filter(|(k, _)| *k as f64 == y)
        .map(|(_, p)| p)
        .sum();
    let pit = below + 0.5 * at;
    let pit_se = ((below + 0.25 * at - pit * pit) / reps).sqrt();
    // CRPS = ∫ (F(x) − 1{x ≥ y})² dx: F is a step function on the integers.
    let crps: f64 = cdf
        .iter()
        .enumerate()
        .map(|(k, f)| (f - if k as f64 >= y { 1.0 } else { 0.0 }).powi(2))
        .sum();
    // The fair estimator is a U-statistic; to first order it is the mean of
    // h(X) = |X − y| − E'|X − X'|, so its variance is Var h(X) / n.
    let g = |x: usize| -> f64 {
        pmf.iter()
            .enumerate()
            .map(|(j, p)| p * (x as f64 - j as f64).abs())
            .sum()
    };
    let h: Vec<f64> = (0..pmf.len())
        .map(|x| (x as f64 - y).abs() - g(x))
        .collect();
    let mh: f64 = pmf.iter().zip(&h).map(|(p, v)| p * v).sum();
    let vh: f64 = pmf.iter().zip(&h).map(|(p, v)| p * (v - mh).powi(2)).sum();
    let quantile = |p: f64| cdf.iter().position(|&c| c >= p).unwrap() as f64;
    Exact {
        pit,
        pit_se,
        crps,
        crps_se: (vh / reps).sqrt(),
        q: [0.05, 0.25, 0.5, 0.75, 0.95].map(quantile),
    }
}

/// Poisson(mu) on 0..200 (the tail beyond is negligible for the means used here).
fn poisson_pmf(mu: f64) -> Vec<f64> {
    let mut p = (-mu).exp();
    (0..200)
        .map(|k| {
            let here = p;
            p *= mu / (k + 1) as f64;
            here
        })
        .collect()
}

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    csv_text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn pit_intervals_and_crps_match_the_exact_binomial_scores() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("one");
    // Binomial(50, 0.4): quantiles 5..95 % are 14, 18, 20, 22, 26; Binomial(50, 0.24):
    // 7, 10, 12, 14, 17; entries in 2024, Poisson(30.06): 21, 26, 30, 34, 39; entries by
    // the end, Poisson(60.04): 48, 55, 60, 65, 73. Each observation is away from the
    // atoms its interval bounds sit on, so the ensemble's membership is the exact one.
    let observations = "metric,window,value\n\
        firms.first_certified.unicorn,by 2024-12-31,20\n\
        firms.first_certified.unicorn,by 2024-12-31,24\n\
        firms.first_certified.unicorn,by 2024-12-31,9\n\
        firms.first_certified.unicorn,in 2025,12\n\
        firms.first_certified.unicorn,in 2025,5\n\
        firms.entered,in 2024,30\n\
        firms.entered,in 2024,45\n\
        firms.entered,by 2025-12-31,60\n\
        firms.entered,by 2025-12-31,52\n";
    let o = backtest(observations, &out, "2");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = std::fs::read_to_string(out.join("backtest.csv")).unwrap();
    let rows = rows(&table);
    let entries_2024 = poisson_pmf(30.0 * 366.0 / 365.25);
    let entries_all = poisson_pmf(30.0 * 731.0 / 365.25);
    let cases = [
        (binomial_pmf(50, 0.4), 20.0),
        (binomial_pmf(50, 0.4), 24.0),
        (binomial_pmf(50, 0.4), 9.0),
        (binomial_pmf(50, 0.24), 12.0),
        (binomial_pmf(50, 0.24), 5.0),
        (entries_2024.clone(), 30.0),
        (entries_2024, 45.0),
        (entries_all.clone(), 60.0),
        (entries_all, 52.0),
    ];
    assert_eq!(rows.len(), cases.len());
    let mut inside = 0;
    for (row, (pmf, y)) in rows.iter().zip(&cases) {
        let e = exact(pmf, *y, REPS as f64);
        let num = |i: usize| row[i].parse::<f64>().unwrap();
        let (pit, crps) = (num(9), num(12));
        assert!(
            (pit - e.pit).abs() <= 4.0 * e.pit_se + 1e-12,
            "{row:?}: PIT {pit} vs exact {} (se {})",
            e.pit,
            e.pit_se
        );
        assert!(
            (crps - e.crps).abs() <= 4.0 * e.crps_se,
            "{row:?}: CRPS {crps} vs exact {} (se {})",
            e.crps,
            e.crps_se
        );
        // Interval membership as the exact quantiles say. The cases are chosen with the
        // observation away from every bound, where the ensemble cannot disagree.
        let in50 = e.q[1] <= *y && *y <= e.q[3];
        let in90 = e.q[0] <= *y && *y <= e.q[4];
        assert_eq!(row[10], in50.to_string(), "{row:?}: in50, exact {:?}", e.q);
        assert_eq!(row[11], in90.to_string(), "{row:?}: in90, exact {:?}", e.q);
        inside += usize::from(in90);
    }
    assert!(
        stdout.contains(&format!(
            "{inside} of {} observations inside their 90 % interval",
            cases.len()
        )),
        "{stdout}"
    );
    // The same bytes whatever the thread count.
    let again = dir.path().join("two");
    assert!(backtest(observations, &again, "1").status.success());
    for f in ["backtest.csv", "report.html"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains(&format!("data-charts=\"{}\"", cases.len())),
        "one strip per observation"
    );
}

#[test]
fn an_observation_without_a_window_value_is_refused_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (line, expected) in [
        (
            "firms.count.unicorn,by 2024-12-31,3",
            "a level at the scenario's end",
        ),
        ("ipo.regime,in 2024,0", "parameter"),
        (
            "firms.first_certified.unicorn,in 2026,3",
            "and the window in 2026 ends after it",
        ),
        (
            "outlay.year.2024,in 2025,3",
            "already the value of calendar year 2024",
        ),
    ] {
        let out = dir.path().join("refused");
        let o = backtest(&format!("metric,window,value\n{line}\n"), &out, "1");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{line}: {err}");
        assert!(
            err.contains("observations.csv:2:2: column `window`"),
            "{line}: {err}"
        );
        assert!(err.contains(expected), "{line}: {err}");
        assert!(!out.exists(), "{line}: nothing written");
    }
}

#[test]
fn ensembles_that_cannot_fit_in_memory_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let actuals = dir.path().join("actuals");
    std::fs::create_dir_all(&actuals).unwrap();
    std::fs::write(
        actuals.join("observations.csv"),
        "metric,window,value\nfirms.entered,in 2024,30\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("backtest")
        .arg(scenario_path("flow_windows.toml"))
        .arg("--actuals")
        .arg(&actuals)
        .args(["--reps", "1000", "--quiet", "--out"])
        .arg(&out)
        // 1000 replications × (1 observation + a sorted copy) × 8 bytes = 16 kB > 20 kB / 2.
        .env("POLICYSIM_TEST_MEMORY_AVAILABLE", "20000")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("lower --reps"), "{err}");
    assert!(!out.exists());
}

fn verify(dir: &Path, cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("verify")
        .arg(dir)
        .args(["--quiet", "--threads", "2"])
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// `verify` re-runs a backtest folder from anywhere (from another folder than the one it
/// was started in, here with relative scenario and actuals paths): it reproduces, a
/// changed backtest.csv is reported (exit 1), and a changed actuals folder is refused
/// before any work (exit 2).
#[test]
fn verify_re_runs_a_backtest_and_refuses_changed_actuals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("actuals")).unwrap();
    std::fs::copy(
        scenario_path("flow_windows.toml"),
        dir.path().join("scenario.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("actuals/observations.csv"),
        "metric,window,value\nfirms.first_certified.unicorn,by 2024-12-31,19\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .args(["backtest", "scenario.toml", "--actuals", "actuals"])
        .args(["--reps", "300", "--quiet", "--out", "bt"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let folder = dir.path().join("bt");
    let elsewhere = std::env::temp_dir();
    let o = verify(&folder, &elsewhere);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("backtest.csv  ok") && out.contains("report.html   ok"),
        "{out}"
    );

    let table = folder.join("backtest.csv");
    let original = std::fs::read(&table).unwrap();
    std::fs::write(&table, [original.as_slice(), b"\n"].concat()).unwrap();
    let o = verify(&folder, &elsewhere);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("backtest.csv  CHANGED"), "{out}");
    std::fs::write(&table, original).unwrap();

    std::fs::write(
        dir.path().join("actuals/observations.csv"),
        "metric,window,value\nfirms.first_certified.unicorn,by 2024-12-31,20\n",
    )
    .unwrap();
    let o = verify(&folder, &elsewhere);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("has changed since the backtest"), "{err}");
}
