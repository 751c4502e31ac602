//! Analytic cases: small scenarios (tests/scenarios/) whose outlays, budget settlements and
//! district outcomes have closed forms, checked within Monte Carlo error (4σ) or exactly
//! where the model is deterministic.

mod common;

use common::*;
use policysim::calendar::{DAYS_PER_MONTH, DAYS_PER_YEAR};

// --- 1. fixed × take-up ------------------------------------------------------------

#[test]
fn fixed_reward_with_take_up_is_amount_times_binomial() {
    let (n, p, a) = (40u64, 0.3, 1.0e6);
    let run = simulate("fixed_binomial.toml", 20000);
    let outlay = run.col("outlay.total");
    let certified = run.col("firms.first_certified.unicorn");
    assert!(
        certified.iter().all(|c| *c == n as f64),
        "every firm of the pool is certified once"
    );
    // Every replication pays a whole number of rewards, between 0 and n.
    for x in &outlay {
        let k = x / a;
        assert!(
            k.fract() == 0.0 && (0.0..=n as f64).contains(&k),
            "outlay {x}"
        );
    }
    let (mu, var, mu4) = moments(&binomial_pmf(n, p));
    assert_close("binomial mean", mu, n as f64 * p, 1e-9);
    assert_close("binomial variance", var, n as f64 * p * (1.0 - p), 1e-9);
    assert_mean("outlay", &outlay, n as f64 * p * a, var.sqrt() * a);
    assert_variance(
        "outlay",
        &outlay,
        n as f64 * p * (1.0 - p) * a * a,
        mu4 * a.powi(4),
    );
}

/// docs/scenario-format.md: for certification triggers, eligibility is judged on the tier
/// certified (the firm's tier before does not matter).
#[test]
fn certification_rewards_are_judged_on_the_tier_certified() {
    let run = simulate("eligibility_certified_tier.toml", 50);
    for (x, y) in run
        .col("outlay.instrument.reward")
        .iter()
        .zip(run.col("outlay.instrument.reward_unicorn_only"))
    {
        assert_eq!(
            *x, 0.0,
            "eligible for `none` only: nobody is certified `none`"
        );
        assert_eq!(
            y,
            40.0 * 1.0e6,
            "eligible for `unicorn`: all 40 firms certified unicorn are paid"
        );
    }
}

// --- 2. up_to never above its cap ---------------------------------------------------

#[test]
fn up_to_never_pays_above_its_cap() {
    let run = simulate("up_to.toml", 20000);
    // One firm, one trigger each: the instrument's outlay is a single payment.
    let cert = run.col("outlay.instrument.cert_up_to");
    let occ = run.col("outlay.instrument.occ_up_to");
    assert!(run
        .col("firms.first_certified.unicorn")
        .iter()
        .all(|c| *c == 1.0));
    assert!(max(&cert) <= 2.0e6, "cert_up_to paid {} > cap", max(&cert));
    assert!(max(&occ) <= 5.0e5, "occ_up_to paid {} > cap", max(&occ));
    // fraction ~ U(0.5, 1): payments in [cap/2, cap], mean 0.75 cap.
    assert!(min(&cert) >= 1.0e6);
    let cap = 2.0e6;
    assert_mean("cert_up_to", &cert, 0.75 * cap, cap * 0.5 / 12f64.sqrt());
    // fraction ~ Beta(2, 5): mean 2/7, variance αβ/((α+β)²(α+β+1)) = 10/392.
    let cap = 5.0e5;
    assert!(min(&occ) > 0.0);
    assert_mean(
        "occ_up_to",
        &occ,
        cap * 2.0 / 7.0,
        cap * (10.0f64 / 392.0).sqrt(),
    );
}

// --- 1b. parameters drawn once per replication -------------------------------------------

/// A mixture's probability mass function on 0..len: Simpson's rule over `x` in [lo, hi] of
/// `density(x)·pmf_given(x)[k]`.
fn mixture_pmf(
    len: usize,
    (lo, hi): (f64, f64),
    density: impl Fn(f64) -> f64,
    pmf_given: impl Fn(f64) -> Vec<f64>,
) -> Vec<f64> {
    let mut pmf = vec![0.0; len];
    for (x, w) in simpson_nodes(lo, hi, 2000) {
        for (k, p) in pmf_given(x).iter().take(len).enumerate() {
            pmf[k] += w * density(x) * p;
        }
    }
    pmf
}

/// tests/scenarios/parameters_per_replication.toml: a take-up drawn Beta(3, 7) once per
/// replication makes the rewards paid beta-binomial (variance n·p̄(1 − p̄) + n(n − 1)·Var(p),
/// ≈ 4.5× the binomial's), and an entry rate drawn Uniform(20, 80) once per replication
/// makes the entrants a mixed Poisson count (variance λ̄T + Var(λ)·T²).
#[test]
fn parameters_are_drawn_once_per_replication() {
    let run = simulate("parameters_per_replication.toml", 20000);

    let (n, a, b) = (40u64, 3.0f64, 7.0f64);
    let beta_density = |p: f64| p.powi(2) * (1.0 - p).powi(6) * 252.0;
    let pmf = mixture_pmf(n as usize + 1, (0.0, 1.0), beta_density, |p| {
        binomial_pmf(n, p)
    });
    let (mu, var, mu4) = moments(&pmf);
    let (p_bar, var_p) = (a / (a + b), a * b / ((a + b).powi(2) * (a + b + 1.0)));
    let nf = n as f64;
    assert_close("beta-binomial mean", mu, nf * p_bar, 1e-9);
    let closed_var = nf * p_bar * (1.0 - p_bar) + nf * (nf - 1.0) * var_p;
    assert_close("beta-binomial variance", var, closed_var, 1e-9);
    let paid: Vec<f64> = run
        .col("outlay.instrument.reward")
        .iter()
        .map(|x| x / 1.0e6)
        .collect();
    assert_mean("rewards paid", &paid, mu, var.sqrt());
    assert_variance("rewards paid", &paid, var, mu4);

    let t = (day("2025-12-31") + 1.0) / DAYS_PER_YEAR;
    let poisson = |lambda_t: f64| {
        let mut pmf = vec![(-lambda_t).exp()];
        for k in 1..400 {
            let next = pmf[k - 1] * lambda_t / k as f64;
            pmf.push(next);
        }
        pmf
    };
    let pmf = mixture_pmf(400, (20.0, 80.0), |_| 1.0 / 60.0, |rate| poisson(rate * t));
    let (mu, var, mu4) = moments(&pmf);
    assert_close("mixed Poisson mean", mu, 50.0 * t, 1e-9);
    assert_close(
        "mixed Poisson variance",
        var,
        50.0 * t + 300.0 * t * t,
        1e-9,
    );
    let entered = run.col("firms.entered");
    assert_mean("firms entered", &entered, mu, var.sqrt());
    assert_variance("firms entered", &entered, var, mu4);
}

// --- 2b. every distribution kind an amount can take -----------------------------------

/// Excess kurtosis of Beta(α, β).
fn beta_excess_kurtosis(a: f64, b: f64) -> f64 {
    6.0 * ((a - b).powi(2) * (a + b + 1.0) - a * b * (a + b + 2.0))
        / (a * b * (a + b + 2.0) * (a + b + 3.0))
}

/// tests/scenarios/amount_distributions.toml: each instrument pays one draw of its
/// distribution, so its outlay has the distribution's mean and variance (the variance's
/// standard error from its kurtosis).
#[test]
fn amounts_follow_each_distribution_kind() {
    let run = simulate("amount_distributions.toml", 40000);
    for x in run.col("outlay.instrument.fixed") {
        assert_eq!(x, 2.5e5);
    }
    let check = |id: &str, mean: f64, var: f64, excess_kurtosis: f64| {
        let x = run.col(&format!("outlay.instrument.{id}"));
        assert_mean(id, &x, mean, var.sqrt());
        assert_variance(id, &x, var, (3.0 + excess_kurtosis) * var * var);
    };
    let (lo, mode, hi) = (1.0e5, 2.0e5, 6.0e5);
    check("uniform", 3.0e5, (4.0e5f64).powi(2) / 12.0, -1.2);
    check(
        "triangular",
        (lo + mode + hi) / 3.0,
        (lo * lo + mode * mode + hi * hi - lo * mode - lo * hi - mode * hi) / 18.0,
        -0.6,
    );
    // Beta-PERT with shape 4: Beta(α, β) on [lo, hi].
    let (a, b) = (
        1.0 + 4.0 * (mode - lo) / (hi - lo),
        1.0 + 4.0 * (hi - mode) / (hi - lo),
    );
    let pert_mean = (lo + 4.0 * mode + hi) / 6.0;
    assert_close("PERT mean", lo + (hi - lo) * a / (a + b), pert_mean, 1e-12);
    check(
        "pert",
        pert_mean,
        (pert_mean - lo) * (hi - pert_mean) / 7.0,
        beta_excess_kurtosis(a, b),
    );
    let (median, s2) = (3.0e5f64, 0.25f64);
    check(
        "lognormal",
        median * (s2 / 2.0).exp(),
        ((s2).exp() - 1.0) * median * median * s2.exp(),
        (4.0 * s2).exp() + 2.0 * (3.0 * s2).exp() + 3.0 * (2.0 * s2).exp() - 6.0,
    );
    let (k, theta) = (2.5, 1.0e5);
    check("gamma", k * theta, k * theta * theta, 6.0 / k);
    let (values, weights) = ([1.0e5, 3.0e5, 1.0e6], [0.5, 0.25, 0.25]);
    let moment = |c: f64, p: i32| -> f64 {
        values
            .iter()
            .zip(weights)
            .map(|(v, w)| w * (v - c).powi(p))
            .sum()
    };
    let mu = moment(0.0, 1);
    let var = moment(mu, 2);
    check("discrete", mu, var, moment(mu, 4) / (var * var) - 3.0);
    let (a, b, cap) = (8.0, 2.0, 2.0e6);
    check(
        "beta_fraction",
        cap * a / (a + b),
        cap * cap * a * b / ((a + b).powi(2) * (a + b + 1.0)),
        beta_excess_kurtosis(a, b),
    );
}

// --- 3. matching / cost_share caps ------------------------------------------------------

#[test]
fn matching_and_cost_share_caps_bind_exactly_where_they_should() {
    let run = simulate("caps.toml", 20000);
    let cap = 5.0e6;
    for (name, expected) in [
        ("matching_small", 1.0 * 1.0e6), // ratio × magnitude below the cap
        ("matching_large", cap),         // 1.0 × 1e8 above the cap: the cap
        ("matching_uncapped", 0.5 * 1.0e8),
        ("cost_share_small", 0.3 * 1.0e6),
        ("cost_share_large", cap), // 0.3 × 1e8 = 3e7 above the cap
    ] {
        for x in run.col(&format!("outlay.instrument.{name}")) {
            assert_close(name, x, expected, 1e-12);
        }
    }
    // cost_share 0.5 × U(0, 2e7) = U(0, 1e7), capped at 5e6: Y = min(U(0, 2c), c),
    // E[Y] = 3c/4, E[Y²] = 2c²/3, Var = 5c²/48.
    let spread = run.col("outlay.instrument.cost_share_spread");
    assert!(max(&spread) <= cap, "paid {} above the cap", max(&spread));
    let at_cap = spread.iter().filter(|x| **x == cap).count();
    assert_proportion("P(cap binds)", at_cap, spread.len(), 0.5);
    assert_mean(
        "cost_share_spread",
        &spread,
        0.75 * cap,
        (5.0f64 / 48.0).sqrt() * cap,
    );
}

// --- 3b. every certification, max_per_firm, cap_per_firm, tiered brackets ---------------

/// tests/scenarios/instrument_rules.toml. Each of the 100 firms is certified twice (two
/// `certified` payments, one `first_certified`), then hires N ~ Poisson(T) times while a
/// unicorn (T from the first review to the end): `hire_twice` pays 1000·min(N, 2) a firm
/// and `hire_capped` pays 3e5 a hire up to 1e6 a firm. Each of the two assessments pays a
/// firm with probability 0.6 the bracket of a Uniform(0, 4e6) magnitude (0, 1e5, 3e5 or
/// 6e5, a quarter each).
#[test]
fn every_certification_per_firm_limits_and_brackets_pay_as_their_rules_say() {
    let firms = 100.0;
    let run = simulate("instrument_rules.toml", 20000);
    for x in run.col("outlay.instrument.every_certification") {
        assert_eq!(x, firms * 2.0 * 1000.0);
    }
    for x in run.col("outlay.instrument.first_certification") {
        assert_eq!(x, firms * 1000.0);
    }

    // Per-firm payment as a function of the hires N; mean and variance over N's law.
    let t = (day("2025-12-31") + 1.0 - day("2024-03-31")) / DAYS_PER_YEAR;
    let hires: Vec<f64> = (0..80)
        .scan((-t).exp(), |p, k| {
            let this = *p;
            *p *= t / (k + 1) as f64;
            Some(this)
        })
        .collect();
    let per_firm = |pay: &dyn Fn(f64) -> f64| {
        let mean: f64 = hires
            .iter()
            .enumerate()
            .map(|(n, p)| p * pay(n as f64))
            .sum();
        let var: f64 = hires
            .iter()
            .enumerate()
            .map(|(n, p)| p * (pay(n as f64) - mean).powi(2))
            .sum();
        (firms * mean, (firms * var).sqrt())
    };
    let (mean, sd) = per_firm(&|n| 1000.0 * n.min(2.0));
    assert_mean(
        "at most twice a firm",
        &run.col("outlay.instrument.hire_twice"),
        mean,
        sd,
    );
    let (mean, sd) = per_firm(&|n| (3.0e5 * n).min(1.0e6));
    let capped = run.col("outlay.instrument.hire_capped");
    assert_mean("at most 1e6 a firm", &capped, mean, sd);
    assert!(capped.iter().all(|x| *x <= firms * 1.0e6));

    let pays = [0.0, 1.0e5, 3.0e5, 6.0e5];
    let e1: f64 = pays.iter().map(|x| 0.6 * 0.25 * x).sum();
    let e2: f64 = pays.iter().map(|x| 0.6 * 0.25 * x * x).sum();
    let assessments = firms * 2.0;
    assert_mean(
        "bracket payments",
        &run.col("outlay.instrument.rd_tiered"),
        assessments * e1,
        (assessments * (e2 - e1 * e1)).sqrt(),
    );
}

// --- 3c. payment lags across years; entering the listing pipeline ---------------------------

/// tests/scenarios/lag_and_pipeline_entry.toml: 40 rewards of 1e6 triggered on 2024-06-30
/// and paid U·12 months later fall in 2025 iff U·365.25 days > 185 days (to 2025-01-01), so
/// the 2025 outlay is 1e6 × Binomial(40, 1 − 185/365.25). Each firm, a unicorn from the
/// review on, joins the reserve at 0.5 a year: by the end with probability 1 − e^{−0.5·t}.
#[test]
fn payment_lags_split_years_and_firms_join_the_pipeline_at_their_hazard() {
    let run = simulate("lag_and_pipeline_entry.toml", 20000);
    let review = day("2024-06-30");
    let p_next_year = 1.0 - (day("2025-01-01") - review) / DAYS_PER_YEAR;
    let in_2025: Vec<f64> = run
        .col("outlay.line.main.2025")
        .iter()
        .map(|x| x / 1.0e6)
        .collect();
    for (a, b) in in_2025.iter().zip(run.col("outlay.line.main.2024")) {
        assert_eq!(
            a * 1.0e6 + b,
            40.0e6,
            "every reward is paid in 2024 or 2025"
        );
    }
    assert_binomial("rewards paid in 2025", &in_2025, 40.0, p_next_year);

    let p_join = 1.0 - (-0.5 * (day("2025-12-31") + 1.0 - review) / DAYS_PER_YEAR).exp();
    let joined = run.col("listings.stage.reserve");
    assert_binomial("firms joining the reserve", &joined, 40.0, p_join);
    assert_paid_per_count(&run, "reserve_entry", &joined, 1000.0);
}

// --- 4. stipends ------------------------------------------------------------------------

#[test]
fn stipend_pays_in_full_to_a_firm_that_lives() {
    let run = simulate("stipend.toml", 200);
    for x in run.col("outlay.instrument.postdoc_stipend") {
        assert_eq!(x, 20.0 * 5000.0 * 24.0);
    }
}

/// With exit hazard h from day 0 (the firms' tier never changes), a firm alive at the hire
/// day t0 is paid month k (day t0 + k·DAYS_PER_MONTH) iff it is still alive then, and a
/// firm that left before t0 is never hired. Months paid N: P(N ≥ j) = e^{−h(t0 + (j−1)d)/365.25},
/// so E[N] = e^{−h t0/365.25} Σ_{k=0}^{23} e^{−h k/12} and E[N²] = Σ_j (2j − 1) P(N ≥ j).
#[test]
fn stipend_stops_when_the_firm_exits() {
    let (h, firms, amount, months) = (0.4, 20.0, 5000.0, 24);
    let t0 = day("2024-07-01");
    let tail: Vec<f64> = (0..months)
        .map(|k| (-h * (t0 + k as f64 * DAYS_PER_MONTH) / DAYS_PER_YEAR).exp())
        .collect();
    let e_n: f64 = tail.iter().sum();
    let closed = (-h * t0 / DAYS_PER_YEAR).exp() * (1.0 - (-h * 2.0f64).exp())
        / (1.0 - (-h / 12.0f64).exp());
    assert_close("geometric sum", e_n, closed, 1e-12);
    let e_n2: f64 = tail
        .iter()
        .enumerate()
        .map(|(j, p)| (2 * j + 1) as f64 * p)
        .sum();
    let var_n = e_n2 - e_n * e_n;

    let run = simulate("stipend_exit.toml", 20000);
    let outlay = run.col("outlay.instrument.postdoc_stipend");
    for x in &outlay {
        assert!(*x <= firms * amount * months as f64);
        assert!((x / amount).fract() == 0.0, "whole months only: {x}");
    }
    assert!(mean(&outlay) < firms * amount * months as f64);
    assert_mean(
        "stipend with exits",
        &outlay,
        firms * amount * e_n,
        (firms * var_n).sqrt() * amount,
    );
}

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
fn assert_paid_per_count(run: &Run, instrument: &str, counts: &[f64], amount: f64) {
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

// --- 5. validity windows ------------------------------------------------------------------

#[test]
fn nothing_is_paid_for_a_trigger_outside_the_validity_window() {
    let run = simulate("validity.toml", 100);
    for (name, expected) in [
        ("ends_day_before", 0.0),
        ("starts_day_after", 0.0),
        ("that_day_only", 3.0e5), // valid_from = valid_to = the assessment day: inclusive
        ("default_window", 3.0e5),
        ("paid_after_window", 3.0e5), // the trigger is inside; the payment may fall after
    ] {
        for x in run.col(&format!("outlay.instrument.{name}")) {
            assert_eq!(x, expected, "{name}");
        }
    }
    // The lagged payment is reported in 2025, the others in 2024.
    for (a, b) in run
        .col("outlay.year.2024")
        .iter()
        .zip(run.col("outlay.year.2025"))
    {
        assert_eq!((*a, b), (6.0e5, 3.0e5));
    }
}

// --- 6. funding shares ----------------------------------------------------------------------

fn assert_funders_add_up(run: &Run) {
    let total = run.col("outlay.total");
    let city = run.col("outlay.funder.city");
    let district = run.col("outlay.funder.district");
    for i in 0..run.reps {
        assert_close(
            "city + district = total",
            city[i] + district[i],
            total[i],
            1e-6,
        );
    }
}

#[test]
fn funding_shares_add_up_to_the_total_outlay() {
    assert_funders_add_up(&simulate("caps.toml", 500));
    assert_funders_add_up(&simulate("budget_prorate.toml", 500));
    let baseline = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let loaded = policysim::scenario::load(&baseline).expect("baseline loads");
    let run = run_loaded(&loaded, seed(), 300);
    assert!(mean(&run.col("outlay.total")) > 0.0);
    assert_funders_add_up(&run);
}

#[test]
fn a_single_instruments_city_share_is_exactly_as_configured() {
    let run = simulate("fixed_binomial.toml", 500);
    let total = run.col("outlay.total");
    let city = run.col("outlay.funder.city");
    let district = run.col("outlay.funder.district");
    assert!(mean(&total) > 0.0);
    for i in 0..run.reps {
        assert_close("city share", city[i], 0.7 * total[i], 1e-12);
        assert_close("district share", district[i], 0.3 * total[i], 1e-12);
    }
    // caps.toml: each instrument pays a fixed sum, so the funders' totals are exact.
    let run = simulate("caps.toml", 50);
    let ci = |name: &str| run.col(&format!("outlay.instrument.{name}"));
    let shares = [
        ("matching_small", 0.5),
        ("matching_large", 0.2),
        ("matching_uncapped", 0.0),
        ("cost_share_small", 1.0),
        ("cost_share_large", 0.3),
        ("cost_share_spread", 0.6),
    ];
    let cols: Vec<(Vec<f64>, f64)> = shares.iter().map(|(n, s)| (ci(n), *s)).collect();
    let city = run.col("outlay.funder.city");
    for (i, c) in city.iter().enumerate() {
        let expected: f64 = cols.iter().map(|(col, s)| col[i] * s).sum();
        assert_close("city = Σ share × instrument outlay", *c, expected, 1e-12);
    }
}

// --- 7. budget lines ----------------------------------------------------------------------

#[test]
fn defer_carries_exactly_the_excess_into_the_next_year() {
    // Claims D = 1e7 in 2024; appropriations 6e6 (2024), 3e6 (2025), none after.
    let run = simulate("budget_defer.toml", 50);
    let col = |n: &str| run.col(n);
    for i in 0..run.reps {
        let v = |n: &str| col(n)[i];
        assert_eq!(v("demand.line.capped.2024"), 1.0e7);
        assert_eq!(v("outlay.line.capped.2024"), 6.0e6);
        assert_eq!(v("carried.line.capped.2024"), 4.0e6);
        assert_eq!(v("demand.line.capped.2025"), 4.0e6);
        assert_eq!(v("outlay.line.capped.2025"), 3.0e6);
        assert_eq!(v("carried.line.capped.2025"), 1.0e6);
        assert_eq!(v("demand.line.capped.2026"), 1.0e6);
        assert_eq!(v("outlay.line.capped.2026"), 1.0e6);
        assert_eq!(v("carried.line.capped.2026"), 0.0);
        assert_eq!(v("outlay.year.2026"), 1.0e6);
        // Deferral moves money in time; it never loses or adds any.
        assert_eq!(v("outlay.line.capped"), 1.0e7);
        assert_eq!(v("outlay.total"), 1.0e7);
    }
}

#[test]
fn prorate_never_exceeds_the_appropriation_and_scales_claims_proportionally() {
    let run = simulate("budget_prorate.toml", 20000);
    let appropriation = 6.0e6;
    // Fixed claims 1e7 + 5e6 against 6e6: every claim scaled by 0.4.
    for x in run.col("outlay.instrument.reward") {
        assert_close("reward prorated", x, 0.4 * 1.0e7, 1e-12);
    }
    for x in run.col("outlay.instrument.reward_small") {
        assert_close("reward_small prorated", x, 0.4 * 5.0e6, 1e-12);
    }
    // A year that overflows pays its appropriation to the yuan: not a rounding error above.
    for x in run.col("outlay.line.fixed_claims.2024") {
        assert_eq!(x, appropriation, "fixed_claims paid");
    }
    // Random claims 1e6 × Bin(10, 0.5): paid min(demand, 6e6), never above.
    let demand = run.col("demand.line.random_claims.2024");
    let paid = run.col("outlay.line.random_claims.2024");
    for (d, p) in demand.iter().zip(&paid) {
        assert_eq!(*p, d.min(appropriation), "prorated payment");
    }
    let over = demand.iter().filter(|d| **d > appropriation).count();
    assert_proportion(
        "P(demand > appropriation)",
        over,
        demand.len(),
        binomial_tail(10, 0.5, 7),
    );
    // Nothing is carried under prorate.
    assert!(run
        .col("carried.line.random_claims.2024")
        .iter()
        .all(|c| *c == 0.0));
}

// --- 8. Poisson and binomial district counts ---------------------------------------------

fn attained(run: &Run, target: &str, threshold: f64) -> usize {
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
    let run = Run {
        names: model.layout.names.clone(),
        reps: reps as usize,
        metrics,
        series_names: model
            .layout
            .series_names
            .iter()
            .map(|n| n.to_string())
            .collect(),
        months: model.layout.months,
        series: all_series,
    };
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
