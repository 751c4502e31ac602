//! What the binary writes agrees with the library: targets.csv, and no `-0`.

use crate::common::*;
use crate::districts::attained;

// --- 10. targets.csv from the binary agrees with the library ---------------------------

#[test]
fn targets_csv_agrees_with_the_replications_and_the_wilson_interval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("run");
    let reps = 1000u64;
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("run")
        .arg(scenario_path("nev_counts.toml"))
        .args([
            "--reps",
            &reps.to_string(),
            "--seed",
            &seed().to_string(),
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .status()
        .expect("run the binary");
    assert!(status.success());
    let mut reader = csv::Reader::from_path(out.join("targets.csv")).expect("targets.csv");
    let header = reader.headers().expect("header").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (id, attained_col, probability, lo, hi) = (
        col("target"),
        col("attained"),
        col("probability"),
        col("ci95_low"),
        col("ci95_high"),
    );
    let run = simulate("nev_counts.toml", reps);
    let thresholds = [
        ("projects_by_mid_2025", 10.0),
        ("projects_in_2024", 6.0),
        ("specialized_by_2024", 7.0),
    ];
    let mut seen = 0;
    for rec in reader.records() {
        let rec = rec.expect("record");
        let (name, threshold) = thresholds
            .iter()
            .find(|(n, _)| *n == &rec[id])
            .expect("a known target");
        let k: u64 = rec[attained_col].parse().expect("attained");
        assert_eq!(k as usize, attained(&run, name, *threshold), "{name}");
        let p: f64 = rec[probability].parse().expect("probability");
        assert_close("probability", p, k as f64 / reps as f64, 1e-12);
        let (l, h) = policysim::stats::wilson::wilson_interval(k, reps, policysim::stats::Z95);
        assert_close("ci low", rec[lo].parse().expect("ci low"), l, 1e-12);
        assert_close("ci high", rec[hi].parse().expect("ci high"), h, 1e-12);
        seen += 1;
    }
    assert_eq!(seen, thresholds.len());
}

// --- Zero is written as 0 ----------------------------------------------------------------

/// A sum over nothing (no project in a window, no claim on a budget line in a year) is 0,
/// not the -0 that Rust's `Sum` for f64 gives, which the CSV files would print as `-0`.
#[test]
fn no_metric_is_negative_zero() {
    for name in ["baseline.toml", "capped_defer.toml", "capped_prorate.toml"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name);
        let loaded = policysim::scenario::load(&path).expect("scenario loads");
        let run = run_loaded(&loaded, seed(), 300);
        for (k, x) in run.metrics.iter().enumerate() {
            assert!(
                !(*x == 0.0 && x.is_sign_negative()),
                "{name}: {} is -0 in replication {}",
                run.names[k % run.names.len()],
                k / run.names.len()
            );
        }
    }
}
