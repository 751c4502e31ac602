//! budget.csv against closed forms: every column a budget user reads (mean demand and
//! outlay, outlay quantiles, P(exceed), expected overrun, CVaR95 of demand, mean
//! carried-over liability) under `none`, `defer` and `prorate`, on lines capped in some
//! years and not in others, and the liability still owed after the last year.
//!
//! The definitions tested are those of docs/model.md ("Budget lines") and
//! `stats::BudgetRow`: P(exceed) = P(demand > appropriation), strictly; expected overrun =
//! E[max(demand − appropriation, 0)]; CVaR95 = the mean of the worst ⌈5 %·n⌉ demands;
//! demand includes liability carried in. Each column is checked twice: exactly, against its
//! definition applied to the replications.csv columns of the same run, and within 4
//! Monte Carlo standard errors of the closed form of the scenario.

mod common;

use std::path::Path;

use common::*;

const REPS: u64 = 8000;
const MILLION: f64 = 1.0e6;

/// One budget.csv row's expected figures: the distribution of the year's demand, the
/// appropriation, and what is paid and carried as functions of the demand.
struct LineYear {
    line: &'static str,
    year: i32,
    overflow: &'static str,
    appropriation: Option<f64>,
    demand: Pmf,
    outlay: fn(f64) -> f64,
    carried: fn(f64) -> f64,
}

fn paid_all(d: f64) -> f64 {
    d
}

fn nothing(_: f64) -> f64 {
    0.0
}

fn up_to_4m(d: f64) -> f64 {
    d.min(4.0 * MILLION)
}

fn above_4m(d: f64) -> f64 {
    (d - 4.0 * MILLION).max(0.0)
}

fn up_to_1m(d: f64) -> f64 {
    d.min(MILLION)
}

fn above_1m(d: f64) -> f64 {
    (d - MILLION).max(0.0)
}

/// tests/scenarios/budget_exposure.toml: each line's claims in 2024, 2025 and 2026 are
/// X = 1e6 × Binomial(10, 0.35), independent, and the `scaled` line's 2024 claims 5e6 more;
/// none in 2027.
fn expected_rows() -> Vec<LineYear> {
    let x = Pmf::binomial(10, 0.35, MILLION);
    let zero = Pmf::constant(0.0);
    let row = |line, year, overflow, appropriation, demand: &Pmf, outlay, carried| LineYear {
        line,
        year,
        overflow,
        appropriation,
        demand: demand.clone(),
        outlay,
        carried,
    };
    let cap = Some(4.0 * MILLION);
    // `defer`: 2025 has no limit, so it pays what 2024 left plus its own claims; 2027
    // (1e6) meets only what 2026 left.
    let deferred_2025 = x.map(above_4m).plus(&x);
    let deferred_2027 = x.map(above_4m);
    // `prorate` in 2024: X plus the ten first-certification rewards of 5e5.
    let scaled_2024 = x.map(|v| v + 5.0 * MILLION);
    let mut rows = Vec::new();
    for year in 2024..=2026 {
        rows.push(row("exposed", year, "none", cap, &x, paid_all, nothing));
    }
    rows.push(row("exposed", 2027, "none", None, &zero, paid_all, nothing));
    rows.extend([
        row("deferred", 2024, "defer", cap, &x, up_to_4m, above_4m),
        row(
            "deferred",
            2025,
            "none",
            None,
            &deferred_2025,
            paid_all,
            nothing,
        ),
        row("deferred", 2026, "defer", cap, &x, up_to_4m, above_4m),
        row(
            "deferred",
            2027,
            "defer",
            Some(MILLION),
            &deferred_2027,
            up_to_1m,
            above_1m,
        ),
        row(
            "scaled",
            2024,
            "prorate",
            cap,
            &scaled_2024,
            up_to_4m,
            nothing,
        ),
        row("scaled", 2025, "none", None, &x, paid_all, nothing),
        row("scaled", 2026, "prorate", cap, &x, up_to_4m, nothing),
        row("scaled", 2027, "none", None, &zero, paid_all, nothing),
    ]);
    rows
}

fn number(field: &str) -> f64 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {field:?}"))
}

fn optional(field: &str) -> Option<f64> {
    (!field.is_empty()).then(|| number(field))
}

/// Every budget.csv column of `row`, exactly as its definition gives it from the
/// replication columns (`demand`, `outlay`, `carried`) of the same run.
fn assert_row_is_its_definition(
    what: &str,
    csv: &Csv,
    row: &[String],
    demand: &[f64],
    outlay: &[f64],
    carried: &[f64],
) {
    let field = |name: &str| row[csv.column_index(name)].as_str();
    let appropriation = optional(field("appropriation"));
    let n = demand.len() as f64;
    let exact = |name: &str, value: f64| {
        assert_close(&format!("{what} {name}"), number(field(name)), value, 1e-12)
    };
    exact("mean_demand", mean(demand));
    exact("mean_outlay", mean(outlay));
    exact("p50_outlay", type7_quantile(outlay, 0.5));
    exact("p95_outlay", type7_quantile(outlay, 0.95));
    exact("cvar95_demand", mean_of_worst(demand, 0.95));
    exact("mean_carried_over", mean(carried));
    match appropriation {
        Some(a) => {
            let over = demand.iter().filter(|d| **d > a).count() as f64;
            exact("p_exceed", over / n);
            let overrun: f64 = demand.iter().map(|d| (d - a).max(0.0)).sum();
            exact("expected_overrun", overrun / n);
        }
        None => {
            assert_eq!(field("p_exceed"), "", "{what}: P(exceed) without a limit");
            assert_eq!(
                field("expected_overrun"),
                "",
                "{what}: overrun without a limit"
            );
        }
    }
}

/// Every budget.csv column of `row` within 4 Monte Carlo standard errors of the closed
/// form `e` (exactly, where the figure does not vary).
fn assert_row_is_its_closed_form(what: &str, csv: &Csv, row: &[String], e: &LineYear) {
    let field = |name: &str| number(&row[csv.column_index(name)]);
    let n = REPS as usize;
    let root_n = (n as f64).sqrt();
    let d = &e.demand;
    assert_within(
        &format!("{what} mean_demand"),
        field("mean_demand"),
        d.mean(),
        d.sd_of(|x| x) / root_n,
    );
    assert_within(
        &format!("{what} mean_outlay"),
        field("mean_outlay"),
        d.expect(e.outlay),
        d.sd_of(e.outlay) / root_n,
    );
    let outlay = d.map(e.outlay);
    assert_quantile_of(&format!("{what} p50"), field("p50_outlay"), 0.5, &outlay, n);
    assert_quantile_of(
        &format!("{what} p95"),
        field("p95_outlay"),
        0.95,
        &outlay,
        n,
    );
    assert_within(
        &format!("{what} cvar95_demand"),
        field("cvar95_demand"),
        d.expected_shortfall(0.95),
        d.expected_shortfall_se(0.95, n),
    );
    assert_within(
        &format!("{what} mean_carried_over"),
        field("mean_carried_over"),
        d.expect(e.carried),
        d.sd_of(e.carried) / root_n,
    );
    if let Some(a) = e.appropriation {
        let p = 1.0 - d.cdf(a);
        assert_within(
            &format!("{what} p_exceed"),
            field("p_exceed"),
            p,
            (p * (1.0 - p)).sqrt() / root_n,
        );
        let overrun = |x: f64| (x - a).max(0.0);
        assert_within(
            &format!("{what} expected_overrun"),
            field("expected_overrun"),
            d.expect(overrun),
            d.sd_of(overrun) / root_n,
        );
    }
}

#[test]
fn budget_csv_matches_its_definitions_and_closed_forms_under_every_overflow_rule() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    run_binary("budget_exposure.toml", REPS, &dir);
    let budget = Csv::read(&dir.join("budget.csv"));
    let reps = Csv::read(&dir.join("replications.csv"));
    let expected = expected_rows();
    assert_eq!(
        budget.rows.len(),
        expected.len(),
        "one row per line and year"
    );
    for e in &expected {
        let year = e.year.to_string();
        let what = format!("{} {}", e.line, e.year);
        let found = budget.find(&[("budget_line", e.line), ("year", &year)]);
        assert_eq!(found.len(), 1, "{what}: one row");
        let row = found[0];
        assert_eq!(row[budget.column_index("overflow")], e.overflow, "{what}");
        assert_eq!(
            optional(&row[budget.column_index("appropriation")]),
            e.appropriation,
            "{what}: appropriation"
        );
        let col = |metric: &str| reps.numbers(&format!("{metric}.{}.{}", e.line, e.year));
        let (demand, outlay, carried) =
            (col("demand.line"), col("outlay.line"), col("carried.line"));
        // Replication by replication, the rule: what is paid and carried out of the
        // demand, exactly.
        for (r, d) in demand.iter().enumerate() {
            assert_eq!(outlay[r], (e.outlay)(*d), "{what} replication {r}: outlay");
            assert_eq!(
                carried[r],
                (e.carried)(*d),
                "{what} replication {r}: carried"
            );
        }
        assert_row_is_its_definition(&what, &budget, row, &demand, &outlay, &carried);
        assert_row_is_its_closed_form(&what, &budget, row, e);
    }
    assert_deferred_liability_settles(&reps);
    assert_prorate_scales_every_claim(&reps);
}

/// `prorate` scales every claim of a year that binds by appropriation / demand, not just
/// the year's total: the 5e5 rewards, all due in 2024, are paid 5e6 × 4e6 / demand.
fn assert_prorate_scales_every_claim(reps: &Csv) {
    let demand = reps.numbers("demand.line.scaled.2024");
    let paid = reps.numbers("outlay.instrument.reward_scaled_first");
    for (r, (d, p)) in demand.iter().zip(&paid).enumerate() {
        assert!(*d > 4.0 * MILLION, "replication {r}: 2024 binds");
        assert_close(
            &format!("replication {r}: 5e5 rewards scaled"),
            *p,
            5.0 * MILLION * 4.0 * MILLION / d,
            1e-9,
        );
    }
    let below_twice = demand.iter().filter(|d| **d <= 8.0 * MILLION).count();
    assert!(
        below_twice > 0,
        "no year binds by less than twice: the test is vacuous"
    );
}

/// `defer` moves money in time and loses none: what 2024 carries is part of 2025's
/// demand, what 2027 (the last year) still carries is paid after the horizon, and the
/// line pays in all exactly what was claimed.
fn assert_deferred_liability_settles(reps: &Csv) {
    let col = |name: &str| reps.numbers(name);
    let carried_2024 = col("carried.line.deferred.2024");
    let demand_2025 = col("demand.line.deferred.2025");
    let carried_2026 = col("carried.line.deferred.2026");
    let demand_2027 = col("demand.line.deferred.2027");
    let carried_2027 = col("carried.line.deferred.2027");
    let after = col("outlay.after_horizon");
    let line_total = col("outlay.line.deferred");
    let claimed = col("outlay.instrument.reward_deferred");
    let years: Vec<Vec<f64>> = (2024..=2027)
        .map(|y| col(&format!("outlay.line.deferred.{y}")))
        .collect();
    for r in 0..reps.rows.len() {
        assert!(demand_2025[r] >= carried_2024[r], "replication {r}");
        assert_eq!(
            demand_2027[r], carried_2026[r],
            "replication {r}: 2027 demand"
        );
        assert_eq!(
            after[r], carried_2027[r],
            "replication {r}: after the horizon"
        );
        let paid_in_years: f64 = years.iter().map(|y| y[r]).sum();
        assert_close("line total", line_total[r], paid_in_years + after[r], 1e-12);
        assert_eq!(
            line_total[r], claimed[r],
            "replication {r}: the line pays the claims"
        );
    }
    assert!(
        after.iter().any(|x| *x > 0.0),
        "no liability left after the last year: the test is vacuous"
    );
}

/// tests/scenarios/budget_uniform.toml: demand D ~ U(0, 1e7) against 6e6 on a `none` line.
/// No ties, so each statistic reads a rank of its own: an off-by-one in the tail length or
/// a quantile rank moves it.
#[test]
fn continuous_demand_gives_the_uniform_closed_forms() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    run_binary("budget_uniform.toml", REPS, &dir);
    let budget = Csv::read(&dir.join("budget.csv"));
    let reps = Csv::read(&dir.join("replications.csv"));
    let row = budget.find(&[("budget_line", "main"), ("year", "2024")])[0];
    let demand = reps.numbers("demand.line.main.2024");
    let outlay = reps.numbers("outlay.line.main.2024");
    let carried = reps.numbers("carried.line.main.2024");
    assert_eq!(demand, outlay, "`none` pays everything");
    assert_row_is_its_definition("uniform", &budget, row, &demand, &outlay, &carried);

    let field = |name: &str| number(&row[budget.column_index(name)]);
    let (h, a, n) = (1.0e7, 6.0e6, REPS as f64);
    let se = |sd: f64| sd / n.sqrt();
    // U(0, h): mean h/2, sd h/√12; P(D > a) = (h − a)/h; (D − a)⁺ has mean (h − a)²/(2h)
    // and second moment (h − a)³/(3h).
    assert_within(
        "mean demand",
        field("mean_demand"),
        h / 2.0,
        se(h / 12f64.sqrt()),
    );
    let p = (h - a) / h;
    assert_within(
        "P(exceed)",
        field("p_exceed"),
        p,
        se((p * (1.0 - p)).sqrt()),
    );
    let (m1, m2) = ((h - a).powi(2) / (2.0 * h), (h - a).powi(3) / (3.0 * h));
    assert_within(
        "overrun",
        field("expected_overrun"),
        m1,
        se((m2 - m1 * m1).sqrt()),
    );
    // The worst 5 % of U(0, h) average 0.975h; (D − 0.95h)⁺ has sd of 0.05h·√(0.05·(4/3 −
    // 0.05)) (a mixture of 0 and U(0, 0.05h)).
    let tail_sd = 0.05 * h * (0.05f64 * (4.0 / 3.0 - 0.05)).sqrt();
    assert_within(
        "CVaR95",
        field("cvar95_demand"),
        0.975 * h,
        se(tail_sd) / 0.05,
    );
    // Sample quantiles: se = √(p(1 − p)/n) / density, density 1/h.
    for (name, p) in [("p50_outlay", 0.5), ("p95_outlay", 0.95)] {
        assert_within(name, field(name), p * h, se((p * (1.0 - p)).sqrt() * h));
    }
    assert_eq!(field("mean_carried_over"), 0.0);
}

/// The numbers a user reads come out of the statistics layer the same whether it reads
/// the library's rows or the binary's files: compute over the library's rows agrees with
/// budget.csv to the bit.
#[test]
fn budget_rows_of_the_library_equal_budget_csv() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("run");
    run_binary("budget_exposure.toml", 500, &dir);
    let loaded = load("budget_exposure.toml");
    let run = run_loaded(&loaded, seed(), 500);
    let layout = policysim::metrics::MetricLayout::new(&loaded.scenario);
    let stats = policysim::stats::compute(&loaded.scenario, &layout, &run).unwrap();
    let mut text = Vec::new();
    policysim::output::tables::write_budget(&mut text, &stats).expect("write");
    let file = std::fs::read(Path::new(&dir).join("budget.csv")).expect("budget.csv");
    assert!(text == file, "budget.csv differs from the library's rows");
}
