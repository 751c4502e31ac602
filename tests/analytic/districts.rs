//! Districts: Poisson and binomial counts and their attainment tails, and district
//! scale with its volatility and correlation.

use crate::common::*;
use policysim::calendar::{DAYS_PER_MONTH, DAYS_PER_YEAR};

// --- 8. Poisson and binomial district counts ---------------------------------------------

pub(crate) fn attained(run: &Run, target: &str, threshold: f64) -> usize {
    run.col(&format!("target.{target}"))
        .iter()
        .filter(|v| **v >= threshold)
        .count()
}

#[test]
fn project_counts_are_poisson_and_attainment_is_the_poisson_tail() {
    let reps = 20000;
    let loaded = load("nev_counts.toml");
    let run = run_loaded(&loaded, seed(), reps);
    let lambda = 6.0;

    // By 2025-06-30: T = 547 days; N ~ Poisson(λT); target at_least 10.
    let mu = lambda * (day("2025-06-30") + 1.0) / DAYS_PER_YEAR;
    let counts = run.col("target.projects_by_mid_2025");
    assert_mean("projects by mid-2025", &counts, mu, mu.sqrt());
    assert_proportion(
        "P(N ≥ 10)",
        attained(&run, "projects_by_mid_2025", 10.0),
        reps as usize,
        poisson_tail(mu, 10),
    );

    // The year 2024: T = 366 days.
    let mu = lambda * 366.0 / DAYS_PER_YEAR;
    assert_proportion(
        "P(N_2024 ≥ 6)",
        attained(&run, "projects_in_2024", 6.0),
        reps as usize,
        poisson_tail(mu, 6),
    );

    // Thinning: over the whole window (731 days), mid (10–30亿, prob 1/2), large (≥ 30亿,
    // prob 1/4) and head (prob 0.3) projects are Poisson with the thinned means.
    let mu = lambda * 731.0 / DAYS_PER_YEAR;
    for (metric, share) in [
        ("nev.projects.count.d1", 1.0),
        ("nev.projects.mid.d1", 0.5),
        ("nev.projects.large.d1", 0.25),
        ("nev.projects.head.d1", 0.3),
    ] {
        let x = run.col(metric);
        let m = mu * share;
        assert_mean(metric, &x, m, m.sqrt());
        // Poisson: variance m, fourth central moment m + 3m².
        assert_variance(metric, &x, m, m + 3.0 * m * m);
    }
    // E[investment] = count × 20亿.
    assert_mean(
        "nev.projects.investment.d1",
        &run.col("nev.projects.investment.d1"),
        mu * 20.0,
        // compound Poisson: Var = λT·E[X²] = μ·(40²/3)
        (mu * 1600.0 / 3.0).sqrt(),
    );

    // The same probabilities through the statistics layer (targets.csv).
    let stats = policysim::stats::compute(
        &loaded.scenario,
        &policysim::metrics::MetricLayout::new(&loaded.scenario),
        &run,
    )
    .unwrap();
    let t = stats
        .targets
        .iter()
        .find(|t| t.id == "projects_by_mid_2025")
        .expect("target");
    assert_eq!(
        t.attained as usize,
        attained(&run, "projects_by_mid_2025", 10.0)
    );
    assert!(t.ci_low <= t.probability && t.probability <= t.ci_high);
}

#[test]
fn specialized_batch_is_binomial_and_attainment_is_the_binomial_tail() {
    let reps = 20000;
    let run = simulate("nev_counts.toml", reps);
    let (m, q) = (30u64, 0.2);
    let x = run.col("target.specialized_by_2024");
    let (mu, var, mu4) = moments(&binomial_pmf(m, q));
    assert_mean("specialized", &x, mu, var.sqrt());
    assert_variance("specialized", &x, var, mu4);
    assert!(x.iter().all(|v| v.fract() == 0.0 && *v <= m as f64));
    assert_proportion(
        "P(Bin(30, 0.2) ≥ 7)",
        attained(&run, "specialized_by_2024", 7.0),
        reps as usize,
        binomial_tail(m, q, 7),
    );
}

/// tests/scenarios/nev_district.toml. Above-scale firms are an immigration–death process:
/// at T, Binomial(n₀, e^{-hT}) survivors plus Poisson((b/h)(1 − e^{-hT})) births still alive.
/// Upgrades are compound Poisson: count Poisson(λT), investment mean λT·E[X] and variance
/// λT·E[X²]. A district candidate part-way through `s1` has U·6 months of it left (U
/// uniform), then 20 months of `s2`: it lists iff both pass (0.8 × 0.5) and U·6 + 20 months
/// fall in the horizon. The 50 NEV firms of the unicorn track list with probability 0.5 and
/// count in the district too.
#[test]
fn above_scale_firms_upgrades_and_district_listings_follow_their_closed_forms() {
    let t_days = day("2025-12-31") + 1.0;
    let t = t_days / DAYS_PER_YEAR;
    let run = simulate("nev_district.toml", 20000);

    let (n0, births, h) = (200.0, 30.0, 0.1);
    let survive = (-h * t).exp();
    let (var_b, mu_p) = (n0 * survive * (1.0 - survive), births / h * (1.0 - survive));
    let above = run.col("nev.above_scale_firms.d1");
    let var = var_b + mu_p;
    assert_mean("above-scale firms", &above, n0 * survive + mu_p, var.sqrt());
    let mu4 = binomial_mu4(n0, survive) + mu_p + 3.0 * mu_p * mu_p + 6.0 * var_b * mu_p;
    assert_variance("above-scale firms", &above, var, mu4);

    let (rate, median, sigma) = (8.0, 4.0f64, 0.5f64);
    let mu = rate * t;
    let count = run.col("nev.upgrades.count.d1");
    assert_mean("upgrades", &count, mu, mu.sqrt());
    assert_variance("upgrades", &count, mu, mu + 3.0 * mu * mu);
    let (m1, m2) = (
        median * (sigma * sigma / 2.0).exp(),
        median * median * (2.0 * sigma * sigma).exp(),
    );
    assert_mean(
        "upgrade investment",
        &run.col("nev.upgrades.investment.d1"),
        mu * m1,
        (mu * m2).sqrt(),
    );

    let in_time = (t_days / DAYS_PER_MONTH - 20.0) / 6.0;
    let p = 0.8 * 0.5 * in_time;
    let firms_listed = run.col("listings.new");
    assert_mean(
        "NEV firms listed",
        &firms_listed,
        25.0,
        50.0f64.sqrt() * 0.5,
    );
    let candidates_listed: Vec<f64> = run
        .col("nev.new_listed.d1")
        .iter()
        .zip(&firms_listed)
        .map(|(all, firms)| all - firms)
        .collect();
    assert_binomial("district candidates listed", &candidates_listed, 100.0, p);
}

// --- 9. district scale ------------------------------------------------------------------

#[test]
fn zero_volatility_scale_targets_are_attained_with_probability_0_or_1() {
    let reps = 500;
    let loaded = load("nev_scale.toml");
    let run = run_loaded(&loaded, seed(), reps);
    // Base year 2023, drift 0.05 per year: 2026 is three steps on, 2024 one.
    let s2026 = 1000.0 * (0.05f64 * 3.0).exp();
    let s2024 = 1000.0 * 0.05f64.exp();
    for x in run.col("target.flat_below") {
        assert_close("flat 2026", x, s2026, 1e-12);
    }
    for x in run.col("nev.scale.flat") {
        assert_close("flat at the end", x, s2026, 1e-12);
    }
    for x in run.col("target.flat_2024") {
        assert_close("flat 2024", x, s2024, 1e-12);
    }
    let stats = policysim::stats::compute(
        &loaded.scenario,
        &policysim::metrics::MetricLayout::new(&loaded.scenario),
        &run,
    )
    .unwrap();
    let p = |id: &str| {
        let t = stats.targets.iter().find(|t| t.id == id).expect("target");
        t.probability
    };
    assert!(1161.8342 < s2026 && s2026 < 1161.8343 && 1051.2710 < s2024);
    assert_eq!(p("flat_below"), 1.0);
    assert_eq!(p("flat_above"), 0.0);
    assert_eq!(p("flat_at_most_below"), 0.0);
    assert_eq!(p("flat_2024"), 1.0);
    // The Wilson interval contains the estimate, also at exactly 0 and 1.
    for t in &stats.targets {
        assert!(
            t.ci_low <= t.probability && t.probability <= t.ci_high,
            "{t:?}"
        );
        assert!(t.ci_low < t.ci_high);
    }
}

fn log_growth(run: &Run, district: &str, base: f64) -> Vec<f64> {
    run.col(&format!("nev.scale.{district}"))
        .iter()
        .map(|s| (s / base).ln())
        .collect()
}

#[test]
fn with_correlation_1_every_district_moves_together() {
    let run = simulate("nev_scale.toml", 20000);
    let a = log_growth(&run, "a", 100.0);
    let b = log_growth(&run, "b", 500.0);
    let c = log_growth(&run, "c", 2000.0);
    for i in 0..run.reps {
        assert!(
            (a[i] - b[i]).abs() < 1e-9 && (a[i] - c[i]).abs() < 1e-9,
            "rep {i}: {} {} {}",
            a[i],
            b[i],
            c[i]
        );
    }
    // Three annual steps from 2023 to 2026: log-growth ~ N(3·0.03, 3·0.2²).
    let (m, v): (f64, f64) = (3.0 * 0.03, 3.0 * 0.04);
    assert_mean("log-growth", &a, m, v.sqrt());
    assert_variance("log-growth", &a, v, 3.0 * v * v);
}

#[test]
fn with_correlation_one_half_log_growths_correlate_at_one_half() {
    let run = simulate("nev_scale_half.toml", 20000);
    let a = log_growth(&run, "a", 100.0);
    let b = log_growth(&run, "b", 500.0);
    let (ma, mb) = (mean(&a), mean(&b));
    let cov: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / (a.len() as f64 - 1.0);
    let r = cov / (variance(&a) * variance(&b)).sqrt();
    // Sample correlation of a bivariate normal: se ≈ (1 − ρ²)/√n.
    let tol = 4.0 * (1.0 - 0.25) / (a.len() as f64).sqrt();
    assert!(
        (r - 0.5).abs() <= tol,
        "correlation {r}, expected 0.5 ± {tol}"
    );
    assert_variance("log-growth a", &a, 0.12, 3.0 * 0.12 * 0.12);
}
