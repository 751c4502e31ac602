//! Instruments: what each kind pays, with take-up, caps, per-firm limits, payment lags,
//! stipends, validity windows and funding shares.

use crate::common::*;
use crate::firms::assert_paid_per_count;
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
