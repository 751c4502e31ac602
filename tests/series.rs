//! The monthly series (series.csv) and their bands (timeseries.csv) against closed forms,
//! and `payments_until`: a payment dated after it counts in `outlay.after_horizon` and in
//! `outlay.total`, in no year and in no month of the series (docs/model.md, "Time").

mod common;

use chrono::{Datelike, NaiveDate};
use common::*;
use policysim::calendar::{DAYS_PER_MONTH, DAYS_PER_YEAR};
use policysim::stats;

const REPS: u64 = 4000;
const MILLION: f64 = 1.0e6;
/// The levels of timeseries.csv's bands, as its header names them (p05 … p95).
const BAND_LEVELS: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// tests/scenarios/series_months.toml: the certification day, the lag's length and
/// payments_until (exclusive), in days from 2024-01-01.
const CERTIFIED_DAY: f64 = 90.0;
const LAG_DAYS: f64 = 18.0 * DAYS_PER_MONTH;

fn payments_until() -> f64 {
    day("2025-06-30") + 1.0
}

/// The months of the series, 2024-01 to 2025-06: (label, day the month ends, exclusive).
fn months() -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    while d <= NaiveDate::from_ymd_opt(2025, 6, 1).expect("date") {
        let next = d.checked_add_months(chrono::Months::new(1)).expect("date");
        let label = format!("{:04}-{:02}", d.year(), d.month());
        out.push((label, day(&next.format("%Y-%m-%d").to_string())));
        d = next;
    }
    out
}

/// Each series' value at the end of a month (exclusive day `end`) as a closed form.
fn series_closed_form(series: &str, end: f64) -> Pmf {
    match series {
        // 20 firms certified on day 90, all of them.
        "firms.first_certified.cumulative" => {
            Pmf::constant(if end > CERTIFIED_DAY { 20.0 } else { 0.0 })
        }
        // Paid (take-up 0.5) and dated before the month's end and payments_until.
        "outlay.cumulative" => {
            let until = end.min(payments_until());
            let share = ((until - CERTIFIED_DAY) / LAG_DAYS).clamp(0.0, 1.0);
            Pmf::binomial(20, 0.5 * share, MILLION)
        }
        // Passes (0.5) with U'·365.25 days before the month's end.
        "listings.cumulative" => Pmf::binomial(30, 0.5 * (end / DAYS_PER_YEAR).min(1.0), 1.0),
        other => panic!("unexpected series {other}"),
    }
}

/// Every band of every month: exactly its definition (mean and type-7 quantiles of the
/// month's column), and within sampling error of the closed form. About 300 checks at 5σ:
/// a false alarm in all of them together about once in 10⁴ seeds.
#[test]
fn monthly_bands_are_the_closed_forms_of_each_month() {
    let loaded = load("series_months.toml");
    let run = run_loaded(&loaded, seed(), REPS);
    let layout = policysim::metrics::MetricLayout::new(&loaded.scenario);
    let stats = stats::compute(&loaded.scenario, &layout, &run).unwrap();
    let months = months();
    assert_eq!(layout.month_labels.len(), months.len());
    assert_eq!(
        stats.series.len(),
        3 * months.len(),
        "one band per series and month"
    );
    let n = REPS as usize;
    for band in &stats.series {
        let m = months
            .iter()
            .position(|(label, _)| *label == band.month)
            .unwrap_or_else(|| panic!("month {}", band.month));
        let what = format!("{} {}", band.series, band.month);
        let col = run.series_col(&band.series, m);
        assert_close(&format!("{what} mean"), band.mean, mean(&col), 1e-12);
        for (q, p) in band.quantiles.iter().zip(BAND_LEVELS) {
            assert_close(&format!("{what} p{p}"), *q, type7_quantile(&col, p), 1e-12);
        }
        let pmf = series_closed_form(&band.series, months[m].1);
        let se = pmf.sd_of(|x| x) / (n as f64).sqrt();
        assert_within_z(&format!("{what} mean"), band.mean, pmf.mean(), se, 5.0);
        for (q, p) in band.quantiles.iter().zip(BAND_LEVELS) {
            assert_quantile_of_z(&format!("{what} p{p}"), *q, p, &pmf, n, 5.0);
        }
    }
}

/// Replication by replication, the series are cumulative sums of what the metrics count:
/// never decreasing, the outlay series reaching what was paid before payments_until
/// (outlay.total less outlay.after_horizon) and passing through each year's outlay.
#[test]
fn series_accumulate_the_rows_metrics_and_stop_at_payments_until() {
    let run = simulate("series_months.toml", 500);
    let last = run.months - 1;
    let dec_2024 = 11;
    let col = |name: &str| run.col(name);
    let (total, after, y2024, y2025) = (
        col("outlay.total"),
        col("outlay.after_horizon"),
        col("outlay.year.2024"),
        col("outlay.year.2025"),
    );
    let (listed, certified) = (col("listings.new"), col("firms.first_certified.unicorn"));
    for r in 0..run.reps {
        for name in &run.series_names {
            let path: Vec<f64> = (0..run.months)
                .map(|m| run.series_col(name, m)[r])
                .collect();
            assert!(
                path.windows(2).all(|w| w[0] <= w[1]),
                "{name} decreases in replication {r}: {path:?}"
            );
        }
        let outlay = |m: usize| run.series_col("outlay.cumulative", m)[r];
        assert_eq!(outlay(dec_2024), y2024[r], "replication {r}: 2024");
        assert_close("through 2025-06", outlay(last), y2024[r] + y2025[r], 1e-12);
        assert_close("total", total[r], outlay(last) + after[r], 1e-12);
        assert_eq!(run.series_col("listings.cumulative", last)[r], listed[r]);
        assert_eq!(
            run.series_col("firms.first_certified.cumulative", last)[r],
            certified[r]
        );
    }
}

/// outlay.after_horizon, outlay.year.2024 and outlay.year.2025 against their closed forms:
/// a payment U·18 months after day 90 falls in 2024 before day 366, in 2025 before
/// payments_until (day 547), after the horizon from then on.
#[test]
fn payments_after_payments_until_count_only_after_the_horizon() {
    let run = simulate("series_months.toml", REPS);
    let until = payments_until();
    let share = |from: f64, to: f64| 0.5 * ((to - from) / LAG_DAYS);
    let end = CERTIFIED_DAY + LAG_DAYS;
    for (name, p) in [
        ("outlay.year.2024", share(CERTIFIED_DAY, 366.0)),
        ("outlay.year.2025", share(366.0, until)),
        ("outlay.after_horizon", share(until, end)),
    ] {
        let x: Vec<f64> = run.col(name).iter().map(|v| v / MILLION).collect();
        assert!(x.iter().all(|v| v.fract() == 0.0), "{name}: whole rewards");
        assert_binomial(name, &x, 20.0, p);
    }
    assert!(run.col("outlay.after_horizon").iter().any(|x| *x > 0.0));
}

/// series.csv and timeseries.csv from the binary are the library's rows and bands: the
/// files a user reads hold the numbers the closed-form tests above check.
#[test]
fn series_csv_and_timeseries_csv_hold_the_library_rows_and_bands() {
    let reps = 300;
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    run_binary("series_months.toml", reps, &dir);
    let loaded = load("series_months.toml");
    let run = run_loaded(&loaded, seed(), reps);
    let csv = Csv::read(&dir.join("series.csv"));
    assert_eq!(csv.rows.len(), reps as usize);
    for (k, name) in run.series_names.iter().enumerate() {
        for (m, (label, _)) in months().iter().enumerate() {
            let column = format!("{name}@{label}");
            assert_eq!(
                csv.numbers(&column),
                run.series_col(name, m),
                "{column} in series.csv"
            );
            assert_eq!(csv.column_index(&column), 1 + k * run.months + m);
        }
    }
    let layout = policysim::metrics::MetricLayout::new(&loaded.scenario);
    let stats = stats::compute(&loaded.scenario, &layout, &run).unwrap();
    let mut text = Vec::new();
    policysim::output::tables::write_timeseries(&mut text, &stats).expect("write");
    let file = std::fs::read(dir.join("timeseries.csv")).expect("timeseries.csv");
    assert!(
        text == file,
        "timeseries.csv differs from the library's bands"
    );
}
