//! A run from actuals reports the ledger apart from the simulation (docs/model.md, "Runs
//! from actuals"): `outlay.actual.*` is the ledger summed by every breakdown, the same in
//! every replication; `outlay.remaining.*` what is paid from the as-of date on; every
//! outlay and demand metric their sum. The ledger's payments use the appropriation first,
//! closed targets are read from the actuals. Closed forms only, no recorded numbers.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use policysim::actuals::{AsOfRun, Ledger, ObservedFrom, TargetStatus};
use policysim::engine::Model;
use policysim::scenario::types::Overflow;
use policysim::scenario::LoadedScenario;

use common::{load, seed, Run};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// Runs `reps` replications of `model`.
fn run(model: &Model<'_>, reps: u64) -> Run {
    common::run_model(model, seed(), reps)
}

/// An actuals folder of one known firm `K1`: `payments` (date, amount) of the `reward`
/// instrument triggered on 2024-06-30 or, before it, on the day paid; `observations` the
/// body of observations.csv.
fn ledger_folder(payments: &[(&str, f64)], observations: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: String| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "firms.csv",
        "firm_id,district,nev,founded\nK1,,false,2020-01-01\n".into(),
    );
    let mut rows = String::from("paid_on,firm_id,instrument,amount,triggered_on\n");
    for (paid_on, amount) in payments {
        let trigger = if *paid_on >= "2024-06-30" {
            "2024-06-30"
        } else {
            paid_on
        };
        rows.push_str(&format!("{paid_on},K1,reward,{amount},{trigger}\n"));
    }
    write("payments.csv", rows);
    write(
        "observations.csv",
        format!("metric,window,value\n{observations}"),
    );
    dir
}

fn as_of_run(loaded: &LoadedScenario, dir: &Path, as_of: &str) -> AsOfRun {
    AsOfRun::load(dir.to_path_buf(), date(as_of), &loaded.scenario).expect("valid actuals")
}

/// The cohorts' model of `loaded` reporting the ledger of `dir`: the ledger's accounting
/// does not depend on where a replication's firms come from, so the closed forms use the
/// cohorts' known demand (fixed_binomial: 1e6 × Binomial(40, 0.3) on 2024-06-30).
fn cohorts_with_ledger<'s>(loaded: &'s LoadedScenario, run: &AsOfRun) -> Model<'s> {
    Model::new(&loaded.scenario).with_ledger(Ledger::new(&loaded.scenario, &run.actuals, run.as_of))
}

/// P(X ≥ k) for X ~ Binomial(n, p).
fn binomial_tail(n: u64, p: f64, k: u64) -> f64 {
    let mut term = (1.0 - p).powi(n as i32);
    let mut below = 0.0;
    for j in 0..k {
        below += term;
        term *= (n - j) as f64 / (j + 1) as f64 * p / (1.0 - p);
    }
    1.0 - below
}

/// The outlay section's names (`outlay.total` through `outlay.instrument.<id>.<year>`).
fn outlay_section(model: &Model<'_>) -> Vec<String> {
    let l = &model.layout;
    l.names[l.outlay_total..l.demand_line_year].to_vec()
}

/// Every outlay metric is remaining plus actual and every demand per line-year remaining
/// plus paid to date, exactly, in every replication; `outlay.actual.*` is `expected` (by
/// name, absent: 0) in every replication.
fn assert_adds_up(model: &Model<'_>, run: &Run, expected: &BTreeMap<String, f64>) {
    for name in outlay_section(model) {
        let part = name.trim_start_matches("outlay.");
        let (sum, actual) = (run.col(&name), run.col(&format!("outlay.actual.{part}")));
        let remaining = run.col(&format!("outlay.remaining.{part}"));
        let want = expected.get(&name).copied().unwrap_or(0.0);
        for i in 0..run.reps {
            assert_eq!(actual[i], want, "outlay.actual.{part}, replication {i}");
            assert_eq!(sum[i], remaining[i] + actual[i], "{name}, replication {i}");
        }
        if let Some(rest) = part.strip_prefix("line.").filter(|r| r.contains('.')) {
            let demand = run.col(&format!("demand.line.{rest}"));
            let remaining = run.col(&format!("demand.remaining.line.{rest}"));
            for i in 0..run.reps {
                assert_eq!(demand[i], remaining[i] + want, "demand.line.{rest}, {i}");
            }
        }
    }
}

/// `outlay.actual.*` of the example folder is the ledger summed independently here from
/// payments.csv's text, by year, instrument, budget line, line-year and funder.
#[test]
fn actual_outlay_is_the_example_ledger_by_every_breakdown() {
    let loaded = policysim::scenario::load(&root().join("scenarios/baseline.toml")).unwrap();
    let s = &loaded.scenario;
    let dir = root().join("actuals/example");
    let run_from = as_of_run(&loaded, &dir, "2026-03-31");
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    let mut add = |name: String, x: f64| *expected.entry(name).or_insert(0.0) += x;
    let text = std::fs::read_to_string(dir.join("payments.csv")).unwrap();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (year, id, amount) = (&f[0][..4], f[2], f[3].parse::<f64>().unwrap());
        let inst = s.instruments.iter().find(|i| i.id == id).unwrap();
        let line_id = &s.budget_lines[inst.budget_line].id;
        add("outlay.total".into(), amount);
        add(format!("outlay.year.{year}"), amount);
        add(format!("outlay.instrument.{id}"), amount);
        add(format!("outlay.instrument.{id}.{year}"), amount);
        add("outlay.funder.city".into(), amount * inst.city_share);
        add(
            "outlay.funder.district".into(),
            amount * (1.0 - inst.city_share),
        );
        add(format!("outlay.line.{line_id}"), amount);
        add(format!("outlay.line.{line_id}.{year}"), amount);
    }
    assert!(expected["outlay.total"] > 0.0);
    let model = Model::starting(s, Some(&run_from));
    let rows = run(&model, 6);
    assert_adds_up(&model, &rows, &expected);
}

/// A `defer` line appropriated 1.5e7 in 2024 whose ledger paid 2e6 before the as-of date:
/// the claims D = 1e6 × Binomial(40, 0.3) share the 1.3e7 left, so the year pays
/// 2e6 + min(D, 1.3e7) and its demand 2e6 + D exceeds the appropriation with probability
/// P(Binomial(40, 0.3) ≥ 14); `prorate` pays the same total.
#[test]
fn the_ledger_uses_the_appropriation_first_and_the_claims_share_the_rest() {
    for overflow in [Overflow::Defer, Overflow::Prorate] {
        let mut loaded = load("ledger_room.toml");
        let capped = loaded
            .scenario
            .budget_lines
            .iter()
            .position(|l| l.id == "capped")
            .unwrap();
        loaded.scenario.budget_lines[capped].overflow = overflow;
        let dir = ledger_folder(&[("2024-03-01", 2.0e6)], "");
        let from = as_of_run(&loaded, dir.path(), "2024-03-31");
        let model = cohorts_with_ledger(&loaded, &from);
        let n = 4000;
        let rows = run(&model, n);
        let mut expected = BTreeMap::new();
        for name in [
            "outlay.total",
            "outlay.year.2024",
            "outlay.instrument.reward",
            "outlay.instrument.reward.2024",
        ] {
            expected.insert(name.to_string(), 2.0e6);
        }
        expected.insert("outlay.funder.city".into(), 2.0e6 * 0.7);
        expected.insert("outlay.funder.district".into(), 2.0e6 * (1.0 - 0.7));
        expected.insert("outlay.line.capped".into(), 2.0e6);
        expected.insert("outlay.line.capped.2024".into(), 2.0e6);
        assert_adds_up(&model, &rows, &expected);
        let demand = rows.col("demand.remaining.line.capped.2024");
        let outlay = rows.col("outlay.line.capped.2024");
        for i in 0..rows.reps {
            assert_eq!(demand[i] % 1.0e6, 0.0, "{overflow:?} {i}: {}", demand[i]);
            assert_eq!(outlay[i], 2.0e6 + demand[i].min(1.3e7), "{overflow:?} {i}");
        }
        let stats = policysim::stats::compute(&loaded.scenario, &model.layout, &rows).unwrap();
        let row = stats
            .budget
            .iter()
            .find(|b| b.line == "capped" && b.year == 2024)
            .unwrap();
        let part = row.ledger.expect("a run from actuals splits the line-year");
        assert_eq!(part.paid_to_date, 2.0e6);
        let p = binomial_tail(40, 0.3, 14);
        let tolerance = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
        let got = row.p_exceed.unwrap();
        assert!(
            (got - p).abs() < tolerance,
            "{overflow:?}: P(exceed) {got}, exact {p}"
        );
        let sd = 1.0e6 * (40.0f64 * 0.3 * 0.7).sqrt() / (n as f64).sqrt();
        let mean = part.mean_remaining_demand;
        assert!(
            (mean - 1.2e7).abs() < 4.0 * sd,
            "{overflow:?}: mean demand {mean}"
        );
        assert_eq!(
            row.mean_demand,
            common::mean(&rows.col("demand.line.capped.2024"))
        );
    }
}

/// A ledger that paid 1.6e7 of an appropriation of 1.5e7: P(exceed) = 1, and under
/// `defer` the claims wait for 2025 (appropriated 1e7): 2024 pays the ledger's 1.6e7,
/// 2025 pays min(D, 1e7) of the D carried.
#[test]
fn a_ledger_past_the_appropriation_exceeds_it_in_every_replication() {
    let loaded = load("ledger_room.toml");
    let dir = ledger_folder(&[("2024-02-01", 1.0e7), ("2024-03-01", 6.0e6)], "");
    let from = as_of_run(&loaded, dir.path(), "2024-03-31");
    let model = cohorts_with_ledger(&loaded, &from);
    let rows = run(&model, 300);
    let carried = rows.col("carried.line.capped.2024");
    let demand = rows.col("demand.remaining.line.capped.2024");
    let (y2024, y2025) = (
        rows.col("outlay.line.capped.2024"),
        rows.col("outlay.line.capped.2025"),
    );
    for i in 0..rows.reps {
        assert_eq!(y2024[i], 1.6e7, "replication {i}");
        assert_eq!(carried[i], demand[i], "replication {i}");
        assert_eq!(y2025[i], demand[i].min(1.0e7), "replication {i}");
    }
    let stats = policysim::stats::compute(&loaded.scenario, &model.layout, &rows).unwrap();
    let row = stats
        .budget
        .iter()
        .find(|b| b.line == "capped" && b.year == 2024)
        .unwrap();
    assert_eq!(row.p_exceed, Some(1.0));
    assert_eq!(row.ledger.unwrap().paid_to_date, 1.6e7);
    assert_eq!(row.ledger.unwrap().mean_remaining_outlay, 0.0);
}

/// A ledger that covers the whole horizon (the as-of date after payments_until) of a
/// world whose only firm the actuals know: nothing is left to simulate, so every
/// outlay metric is the ledger's in every replication (zero variance); the closed
/// targets are read from the ledger (a year's outlay) and observations.csv (listings),
/// with probability 0 or 1, and one without an observation is unknown.
#[test]
fn a_ledger_past_the_horizon_is_the_whole_outlay_and_closes_every_target() {
    let loaded = load("ledger_whole.toml");
    let payments = [
        ("2024-06-30", 1.0e6),
        ("2024-06-30", 1.0e6),
        ("2025-02-03", 1.0e6),
    ];
    let dir = ledger_folder(
        &payments,
        "listings.new,in 2025,0\nlistings.new,by 2025-12-31,1\n",
    );
    let from = as_of_run(&loaded, dir.path(), "2029-01-15");
    let model = Model::starting(&loaded.scenario, Some(&from));
    let rows = run(&model, 50);
    let mut expected = BTreeMap::new();
    for (name, x) in [
        ("outlay.total", 3.0e6),
        ("outlay.year.2024", 2.0e6),
        ("outlay.year.2025", 1.0e6),
        ("outlay.instrument.reward", 3.0e6),
        ("outlay.instrument.reward.2024", 2.0e6),
        ("outlay.instrument.reward.2025", 1.0e6),
        ("outlay.line.capped", 3.0e6),
        ("outlay.line.capped.2024", 2.0e6),
        ("outlay.line.capped.2025", 1.0e6),
    ] {
        expected.insert(name.to_string(), x);
    }
    expected.insert(
        "outlay.funder.city".into(),
        0.0 + 1.0e6 * 0.7 + 1.0e6 * 0.7 + 1.0e6 * 0.7,
    );
    let district = 1.0e6 * (1.0 - 0.7);
    expected.insert(
        "outlay.funder.district".into(),
        0.0 + district + district + district,
    );
    assert_adds_up(&model, &rows, &expected);
    for name in outlay_section(&model) {
        let want = expected.get(&name).copied().unwrap_or(0.0);
        assert!(
            rows.col(&name).iter().all(|x| *x == want),
            "{name}: not the ledger's {want}"
        );
    }
    let ledger = model.ledger.as_ref().unwrap();
    let status = |id: &str| {
        let k = loaded
            .scenario
            .targets
            .iter()
            .position(|t| t.id == id)
            .unwrap();
        ledger.targets[k]
    };
    assert_eq!(
        status("outlay_2024"),
        TargetStatus::Observed(2.0e6, ObservedFrom::Payments)
    );
    assert_eq!(
        status("capped_2025"),
        TargetStatus::Observed(1.0e6, ObservedFrom::Payments)
    );
    assert_eq!(
        status("no_listing"),
        TargetStatus::Observed(1.0, ObservedFrom::Observations)
    );
    assert_eq!(status("entered"), TargetStatus::Unknown);

    let mut stats = policysim::stats::compute(&loaded.scenario, &model.layout, &rows).unwrap();
    stats.mark_targets(ledger);
    let target = |id: &str| stats.targets.iter().find(|t| t.id == id).unwrap();
    // outlay 2024 = 2e6 ≥ 1e6; capped 2025 = 1e6, not ≤ 0; listings 1, not ≤ 0.
    for (id, p) in [
        ("outlay_2024", 1.0),
        ("capped_2025", 0.0),
        ("no_listing", 0.0),
    ] {
        let t = target(id);
        assert_eq!((t.probability, t.ci_low, t.ci_high), (p, p, p), "{id}");
        assert_eq!(t.attained, (p * rows.reps as f64) as u64, "{id}");
    }
    let mut csv = Vec::new();
    policysim::output::tables::write_targets(&mut csv, &stats).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",p95,status"), "{}", lines[0]);
    let line = |id: &str| {
        *lines
            .iter()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap()
    };
    assert!(line("outlay_2024").ends_with(",50,50,1,1,1,2000000,2000000,2000000,2000000,observed"));
    assert!(
        line("no_listing").ends_with(",50,0,0,0,0,1,1,1,1,observed"),
        "{}",
        line("no_listing")
    );
    assert!(
        line("entered").ends_with(",50,,,,,,,,,unknown"),
        "{}",
        line("entered")
    );
}

/// A plain run's files carry none of the ledger's columns.
#[test]
fn a_plain_run_has_no_ledger_columns() {
    let loaded = load("ledger_room.toml");
    let model = Model::new(&loaded.scenario);
    assert!(model.layout.ledger.is_none());
    assert!(!model
        .layout
        .names
        .iter()
        .any(|n| n.contains(".actual.") || n.contains(".remaining.")));
    let rows = run(&model, 20);
    let stats = policysim::stats::compute(&loaded.scenario, &model.layout, &rows).unwrap();
    let (mut targets, mut budget) = (Vec::new(), Vec::new());
    policysim::output::tables::write_targets(&mut targets, &stats).unwrap();
    policysim::output::tables::write_budget(&mut budget, &stats).unwrap();
    assert!(String::from_utf8(targets)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .ends_with(",p95"));
    let budget = String::from_utf8(budget).unwrap();
    assert!(budget
        .lines()
        .next()
        .unwrap()
        .ends_with(",mean_carried_over"));
}
