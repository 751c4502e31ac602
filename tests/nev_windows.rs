//! District windows when `nev.start` lies before the scenario's `start`, as in the
//! baseline (docs/model.md, "NEV districts" and "Targets"): flows count from `nev.start`,
//! `year = Y` reads calendar year Y even before the policy starts, and levels step from
//! `nev.start` through each year end.

mod common;

use common::*;
use policysim::calendar::DAYS_PER_YEAR;

/// Days from 2024-01-01 (the policy start) back to 2023-07-01 (the district start).
const BEFORE: f64 = 184.0;

fn assert_poisson(what: &str, x: &[f64], mu: f64) {
    assert!(x.iter().all(|v| v.fract() == 0.0), "{what}: counts");
    assert_mean(what, x, mu, mu.sqrt());
    assert_variance(what, x, mu, mu + 3.0 * mu * mu);
}

/// tests/scenarios/nev_before_start.toml.
#[test]
fn district_flows_and_levels_count_from_nev_start_before_the_policy() {
    let run = simulate("nev_before_start.toml", 20000);
    let col = |name: &str| run.col(name);
    let rate = 6.0;
    // Projects: Poisson on [2023-07-01, end of window).
    assert_poisson(
        "projects in 2023",
        &col("target.projects_2023"),
        rate * BEFORE / DAYS_PER_YEAR,
    );
    assert_poisson(
        "projects by 2024-06-30",
        &col("target.projects_by_mid_2024"),
        rate * (BEFORE + day("2024-06-30") + 1.0) / DAYS_PER_YEAR,
    );
    let whole = BEFORE + day("2025-12-31") + 1.0;
    assert_poisson(
        "projects, whole run",
        &col("nev.projects.count.d1"),
        rate * whole / DAYS_PER_YEAR,
    );
    assert_eq!(col("nev.projects.count.d1"), col("nev.projects.mid.d1"));

    // 专精特新: the 2023 batch is Binomial(30, 0.2); both batches recognise
    // Binomial(30, 1 − 0.8²) between them.
    assert_binomial(
        "recognised in 2023",
        &col("target.specialized_2023"),
        30.0,
        0.2,
    );
    assert_binomial(
        "recognised in all",
        &col("nev.new_specialized.d1"),
        30.0,
        1.0 - 0.8 * 0.8,
    );

    // Candidates list U·365.25 days after 2023-07-01 with probability 0.5: in 2023 iff
    // U·365.25 < 184.
    assert_binomial(
        "listed in 2023",
        &col("target.listed_2023"),
        100.0,
        0.5 * BEFORE / DAYS_PER_YEAR,
    );
    assert_binomial("listed in all", &col("nev.new_listed.d1"), 100.0, 0.5);

    // Above-scale firms: Binomial(200, e^{−ht}) survivors and Poisson((b/h)(1 − e^{−ht}))
    // births alive, t from 2023-07-01 to the year end read.
    for (what, values, days) in [
        (
            "above-scale firms, end of 2023",
            col("target.above_scale_2023"),
            BEFORE,
        ),
        (
            "above-scale firms, end of 2025",
            col("nev.above_scale_firms.d1"),
            whole,
        ),
    ] {
        let (n0, births, h) = (200.0, 30.0, 0.1);
        let survive = (-h * days / DAYS_PER_YEAR).exp();
        let var_b = n0 * survive * (1.0 - survive);
        let mu_p = births / h * (1.0 - survive);
        let var = var_b + mu_p;
        assert_mean(what, &values, n0 * survive + mu_p, var.sqrt());
        let mu4 = binomial_mu4(n0, survive) + mu_p + 3.0 * mu_p * mu_p + 6.0 * var_b * mu_p;
        assert_variance(what, &values, var, mu4);
    }

    // Scale: the base year's level is the base, then one log step of 0.1 a year.
    for r in 0..run.reps {
        assert_eq!(col("target.scale_2023")[r], 100.0);
        assert_close(
            "scale 2024",
            col("target.scale_2024")[r],
            100.0 * 0.1f64.exp(),
            1e-12,
        );
        assert_close(
            "scale 2025",
            col("nev.scale.d1")[r],
            100.0 * 0.2f64.exp(),
            1e-12,
        );
    }
}

/// The case above is the baseline's: its district plan starts on 2023-01-01, before its
/// policy (2023-09-08), so its year-2023 targets read days before day 0 of the run, and
/// its years (budget and targets) start in 2023.
#[test]
fn the_baselines_district_plan_starts_before_its_policy() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = policysim::scenario::load(&path).expect("baseline loads");
    let s = &loaded.scenario;
    assert_eq!(
        s.nev.start, -250.0,
        "2023-01-01 is 250 days before 2023-09-08"
    );
    assert_eq!(s.calendar.first_year(), 2023);
}
