//! Run metrics that are flows read over a window (docs/model.md, "Metrics over a
//! window"): `year = Y` is the flow during calendar year Y and `by = D` the flow from the
//! start through D, for every flow metric; a level, a parameter or a window the run does
//! not simulate is refused with exit code 2.

mod common;

use std::process::Command;

use common::*;

/// P(X ≥ k) for X ~ Poisson(mu) is poisson_tail; this is its pmf's moments check.
fn assert_poisson(what: &str, x: &[f64], mu: f64) {
    assert!(x.iter().all(|v| v.fract() == 0.0), "{what}: counts");
    assert_mean(what, x, mu, mu.sqrt());
    assert_variance(what, x, mu, mu + 3.0 * mu * mu);
}

/// tests/scenarios/flow_windows.toml.
#[test]
fn flows_over_a_year_or_up_to_a_date_have_their_closed_forms() {
    let run = simulate("flow_windows.toml", 20000);
    let col = |name: &str| run.col(name);
    assert_binomial(
        "first certified by 2024-12-31",
        &col("target.first_by_2024"),
        50.0,
        0.4,
    );
    assert_binomial(
        "first certified in 2025",
        &col("target.first_2025"),
        50.0,
        0.6 * 0.4,
    );
    assert_binomial(
        "certified in 2025 (again or for the first time)",
        &col("target.certified_2025"),
        50.0,
        0.4,
    );
    // The 2025 batch is on 2025-06-30: a window ending the day before holds only 2024's.
    assert_eq!(col("target.first_by_mid_2025"), col("target.first_by_2024"));
    assert_poisson(
        "entries in 2024 (366 days)",
        &col("target.entered_2024"),
        30.0 * 366.0 / 365.25,
    );
    assert_poisson(
        "entries in 2025",
        &col("target.entered_2025"),
        30.0 * 365.0 / 365.25,
    );
    // The windows of a partition add up to the whole run, replication by replication.
    let whole = col("firms.first_certified.unicorn");
    let parts: Vec<f64> = col("target.first_by_2024")
        .iter()
        .zip(col("target.first_2025"))
        .map(|(a, b)| a + b)
        .collect();
    assert_eq!(parts, whole);
    let entered: Vec<f64> = col("target.entered_2024")
        .iter()
        .zip(col("target.entered_2025"))
        .map(|(a, b)| a + b)
        .collect();
    assert_eq!(entered, col("firms.entered"));
    // The reward is paid on the day of each first certification; the city pays 70 %.
    let reward: Vec<f64> = col("target.first_2025").iter().map(|k| k * 1e6).collect();
    assert_eq!(col("target.reward_2025"), reward);
    assert_eq!(col("target.reward_2025"), col("outlay.year.2025"));
    for (city, r) in col("target.city_2025").iter().zip(&reward) {
        assert_close("city share in 2025", *city, 0.7 * r, 1e-12);
    }
}

/// `flow_windows.toml` with one more target, `lines` added to its `[[target]]` table;
/// the exit code and stderr of `check` on it.
fn check_with_target(lines: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario_path("flow_windows.toml")).unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        format!("{text}\n[[target]]\nid = \"extra\"\n{lines}\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_window_on_a_level_or_a_parameter_is_refused_naming_the_key() {
    let (code, err) =
        check_with_target("metric = \"firms.count.unicorn\"\nyear = 2024\nat_least = 1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("target[extra].year"), "{err}");
    assert!(err.contains("a level at the scenario's end"), "{err}");
    let (code, err) =
        check_with_target("metric = \"ipo.regime\"\nby = \"2025-03-31\"\nat_least = 1");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("target[extra].by"), "{err}");
    assert!(err.contains("parameter"), "{err}");
    let (code, err) = check_with_target("metric = \"outlay.year.2024\"\nyear = 2025\nat_least = 1");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("already the value of calendar year 2024"),
        "{err}"
    );
    // The level at the end and the year's own outlay metric in its year are fine.
    let (code, err) =
        check_with_target("metric = \"firms.count.unicorn\"\nyear = 2025\nat_least = 1");
    assert_eq!(code, 0, "{err}");
    let (code, err) = check_with_target("metric = \"outlay.year.2024\"\nyear = 2024\nat_least = 1");
    assert_eq!(code, 0, "{err}");
}
