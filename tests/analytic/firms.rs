//! Firms: exits, entry, Poisson occurrences, the IPO regime, certification of a random
//! walk, tiers reviewed on dates of their own, and the model's events counted by kind.

use crate::common::*;
use policysim::calendar::DAYS_PER_YEAR;

// --- 4b. exits, entry, Poisson occurrences, the IPO regime ------------------------------

/// tests/scenarios/lifecycle.toml: 1000 unicorns with exit hazard h, each hiring as a
/// Poisson process (rate r, 1000 a hire) while it lives; entry at λ a year; 500 untiered
/// firms part-way through a one-stage pipeline whose pass probability the replication's
/// regime sets (open 0.4: 0.7; tight 0.6: 0.35), 1e5 a listing. Horizon T = 731 days.
#[test]
fn exits_entry_occurrences_and_listings_follow_their_closed_forms() {
    let (n, h, r, lambda) = (1000.0, 0.2, 0.5, 50.0);
    let t = (day("2025-12-31") + 1.0) / DAYS_PER_YEAR;
    let run = simulate("lifecycle.toml", 20000);

    // Alive at the end: Binomial(n, e^{-hT}); alive at the review: Binomial(n, e^{-h t_c}).
    let survive = (-h * t).exp();
    let alive = run.col("firms.count.unicorn");
    assert_binomial("unicorns alive", &alive, n, survive);
    for (a, e) in alive.iter().zip(run.col("firms.exited")) {
        assert_eq!(a + e, n, "only unicorns can exit");
    }
    let at_review = (-h * day("2024-06-30") / DAYS_PER_YEAR).exp();
    assert_mean(
        "unicorns re-certified",
        &run.col("firms.certified.unicorn"),
        n * at_review,
        (n * at_review * (1.0 - at_review)).sqrt(),
    );

    // Entry: Poisson(λT), mean and variance.
    let entered = run.col("firms.entered");
    let mu = lambda * t;
    assert_mean("firms entered", &entered, mu, mu.sqrt());
    assert_variance("firms entered", &entered, mu, mu + 3.0 * mu * mu);

    // Hires: a firm's count is Poisson(r·L) with L = min(Exp(h), T), so the mean is
    // r·E[L] and the variance r·E[L] + r²·Var(L).
    let e_l = (1.0 - survive) / h;
    let e_l2 = 2.0 / (h * h) * (1.0 - survive * (1.0 + h * t));
    let per_firm_var = r * e_l + r * r * (e_l2 - e_l * e_l);
    assert_mean(
        "hire rewards",
        &run.col("outlay.instrument.hire_reward"),
        1000.0 * n * r * e_l,
        1000.0 * (n * per_firm_var).sqrt(),
    );

    // Listings: Binomial(500, p_regime) given the regime, which is tight with probability 0.6.
    let regime = run.col("ipo.regime");
    let listings = run.col("listings.new");
    let tight = regime.iter().filter(|g| **g == 1.0).count();
    assert_proportion("tight regime", tight, regime.len(), 0.6);
    for (g, p) in [(0.0, 0.7), (1.0, 0.35)] {
        let given: Vec<f64> = listings
            .iter()
            .zip(&regime)
            .filter(|(_, x)| **x == g)
            .map(|(l, _)| *l)
            .collect();
        assert_binomial(&format!("listings in regime {g}"), &given, 500.0, p);
    }
    assert_paid_per_count(&run, "listing_reward", &listings, 1.0e5);
}

/// Asserts that in every replication `instrument` paid exactly `amount` per count.
pub(crate) fn assert_paid_per_count(run: &Run, instrument: &str, counts: &[f64], amount: f64) {
    let paid = run.col(&format!("outlay.instrument.{instrument}"));
    for (r, (count, paid)) in counts.iter().zip(paid).enumerate() {
        assert_eq!(paid, amount * count, "{instrument}, replication {r}");
    }
}

/// tests/scenarios/certification_walk.toml: a firm's log-valuation at the review (t years
/// in) is ln V0 + μt + σ√t·Z + K·ln 1.2 with K ~ Poisson(ρt), so it clears a bar b with
/// probability Σ_k P(K = k)·Φ((ln V0 + μt + k ln 1.2 − ln b)/(σ√t)). A firm qualifies by
/// the young route if it is at most 3 years old at the review (probability (3 − t − 2)/2)
/// and by the other route otherwise; it is certified if it also applies (0.8).
#[test]
fn certification_of_a_random_walk_follows_the_normal_and_poisson_closed_form() {
    let (v0, mu, sigma, rho, step, apply, n) = (1.0e8f64, 0.1, 0.5, 0.7, 1.2f64, 0.8, 2000.0);
    let t = day("2024-07-01") / DAYS_PER_YEAR;
    let clears = |bar: f64| -> f64 {
        let mut p_k = (-rho * t).exp();
        let mut p = 0.0;
        for k in 0..60 {
            let z = (v0.ln() + mu * t + k as f64 * step.ln() - bar.ln()) / (sigma * t.sqrt());
            p += p_k * normal_cdf(z);
            p_k *= rho * t / (k + 1) as f64;
        }
        p
    };
    let young = (3.0 - t - 2.0) / 2.0;
    let p = apply * (young * clears(5.0e7) + (1.0 - young) * clears(1.5e8));

    let run = simulate("certification_walk.toml", 20000);
    let certified = run.col("firms.first_certified.potential");
    assert_binomial("firms certified", &certified, n, p);
}

// --- The model's events, counted by kind -------------------------------------------

/// Replication by replication: the rows of a scenario and the model's events, by kind.
fn events_by_replication(
    loaded: &policysim::scenario::LoadedScenario,
    reps: u64,
) -> (Run, Vec<policysim::engine::events::ModelEvents>) {
    let model = policysim::engine::Model::new(&loaded.scenario);
    let mut rep = policysim::engine::Replication::default();
    let (mut row, mut series) = (
        vec![0.0; model.layout.len()],
        vec![0.0; model.layout.series_len()],
    );
    let (mut metrics, mut all_series, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..reps {
        rep.run(&model, seed(), r, &mut row, &mut series);
        metrics.extend_from_slice(&row);
        all_series.extend_from_slice(&series);
        counts.push(rep.model_events);
    }
    let run = Run::new(&model.layout, reps as usize, metrics, all_series);
    (run, counts)
}

#[test]
fn the_fixed_pool_has_one_review_per_firm_and_one_payment_per_reward() {
    // 40 firms that never grow, exit, list or enter; one certification date.
    let (run, counts) = events_by_replication(&load("fixed_binomial.toml"), 200);
    let outlay = run.col("outlay.total");
    for (c, x) in counts.iter().zip(&outlay) {
        assert_eq!(c.certification_reviews, 40);
        assert_eq!(c.payments as f64, x / 1.0e6, "one payment per 1e6 reward");
        assert_eq!(c.total(), 40 + c.payments, "nothing else happens: {c:?}");
    }
}

#[test]
fn stipend_months_are_payments() {
    // 20 firms that live, one postdoc hire each, 24 monthly payments of 5000 each.
    let (run, counts) = events_by_replication(&load("stipend.toml"), 20);
    for (c, x) in counts.iter().zip(run.col("outlay.total")) {
        assert_eq!(c.occurrences, 20, "{c:?}");
        assert_eq!(c.payments, 20 * 24, "{c:?}");
        assert_eq!(c.payments as f64 * 5000.0, x);
    }
}

#[test]
fn baseline_event_counts_agree_with_its_metrics() {
    let baseline = policysim::scenario::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .expect("baseline loads");
    let (run, counts) = events_by_replication(&baseline, 50);
    let stage_entries: Vec<Vec<f64>> = (0..run.names.len())
        .filter(|&j| run.names[j].starts_with("listings.stage."))
        .map(|j| run.col_at(j))
        .collect();
    assert!(!stage_entries.is_empty());
    let (entered, exited, listed) = (
        run.col("firms.entered"),
        run.col("firms.exited"),
        run.col("listings.new"),
    );
    for (r, c) in counts.iter().enumerate() {
        assert_eq!(c.entries as f64, entered[r]);
        assert_eq!(c.exits as f64, exited[r]);
        let steps = stage_entries.iter().map(|col| col[r]).sum::<f64>() + listed[r];
        assert!(c.listing_steps as f64 >= steps, "{c:?} vs {steps}");
        assert!(c.certification_reviews > 0 && c.payments > 0 && c.district > 0);
    }
}

// --- Tiers reviewed on dates of their own ------------------------------------------------

#[test]
fn each_tier_is_certified_on_its_own_dates() {
    // tests/scenarios/certification_by_tier.toml: seed reviewed on 2024-03-31, unicorn on
    // 2024-09-30; 40 firms meet both, 10 seed and 5 unicorn firms meet neither.
    let run = simulate("certification_by_tier.toml", 20);
    for r in 0..run.reps {
        let v = |name: &str| run.col(name)[r];
        assert_eq!(v("firms.first_certified.seed"), 40.0, "the seed review");
        assert_eq!(
            v("firms.first_certified.unicorn"),
            40.0,
            "promoted at the unicorn review"
        );
        assert_eq!(v("outlay.instrument.reward_seed"), 40.0 * 1.0e6);
        assert_eq!(v("outlay.instrument.reward_unicorn"), 40.0 * 2.0e6);
        assert_eq!(
            v("firms.count.seed"),
            0.0,
            "fallen seed firms dropped, the pool promoted"
        );
        assert_eq!(
            v("firms.count.unicorn"),
            40.0,
            "fallen unicorns dropped at their review"
        );
    }
    // Without a unicorn review, the pool stays seed and the fallen unicorns keep their tier:
    // a seed review does not judge a unicorn.
    let run = simulate("certification_seed_only.toml", 20);
    for r in 0..run.reps {
        let v = |name: &str| run.col(name)[r];
        assert_eq!(v("firms.first_certified.unicorn"), 0.0);
        assert_eq!(v("firms.count.seed"), 40.0);
        assert_eq!(v("firms.count.unicorn"), 5.0);
        assert_eq!(v("outlay.total"), 40.0 * 1.0e6);
    }
}

#[test]
fn an_assessment_probability_can_differ_by_tier() {
    // tests/scenarios/assessment_by_tier.toml: 100 firms a tier, p = 0.2 (seed), 0.6
    // (unicorn); each tier's reward pays 1e6 × Binomial(100, p).
    let run = simulate("assessment_by_tier.toml", 4000);
    for (name, p) in [("seed_reward", 0.2), ("unicorn_reward", 0.6)] {
        let paid = run.col(&format!("outlay.instrument.{name}"));
        let (n, a) = (100.0, 1.0e6);
        assert_mean(name, &paid, n * p * a, (n * p * (1.0 - p)).sqrt() * a);
    }
}
