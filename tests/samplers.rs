//! The samplers the engine draws from, each pinned twice:
//!
//! - by golden values: the first draws of a fixed stream. These are the reproducibility
//!   contract (docs/model.md, "Reproducibility"): same scenario + seed + version = same
//!   bytes. They change only if rand, rand_distr or rand_xoshiro (pinned in Cargo.toml)
//!   change an algorithm, or the engine changes how it draws — which changes every stored
//!   result, so it must be a deliberate, versioned decision (bump the engine version and
//!   say so), never a silent update of these numbers. They were recorded from this build;
//!   what makes them right is the second check:
//! - by their distribution: the mean and variance (or category shares) of many draws
//!   within 4 Monte Carlo standard errors of the closed form.
//!
//! The samplers the engine inlines (Knuth's Poisson in the valuation walk; the uniform,
//! normal and lognormal of `Dist`) are also checked draw for draw against the rand_distr
//! samplers they stand in for.

mod common;

use common::*;
use policysim::engine::stream::{entity, process, StreamRng, Streams};
use policysim::scenario::dist::Dist;
use rand::{Rng, SeedableRng};
use rand_distr::{Binomial, Distribution, LogNormal, Normal, Pert, Poisson, Triangular};

/// Draws for the distribution checks: enough that 4σ is a few percent of a mean.
const DRAWS: usize = 20_000;

fn rng(key: u64) -> StreamRng {
    StreamRng::seed_from_u64(key)
}

/// The first four draws of `sample` from the stream seeded with 42.
fn golden(sample: impl Fn(&mut StreamRng) -> f64) -> [f64; 4] {
    let mut r = rng(42);
    [0; 4].map(|_| sample(&mut r))
}

/// `DRAWS` draws of `sample` from the stream seeded with the test seed.
fn many(sample: impl Fn(&mut StreamRng) -> f64) -> Vec<f64> {
    let mut r = rng(seed());
    (0..DRAWS).map(|_| sample(&mut r)).collect()
}

/// Asserts the draws have mean `mu`, variance `var` (fourth central moment `mu4`).
fn assert_moments(what: &str, x: &[f64], mu: f64, var: f64, mu4: f64) {
    assert_mean(what, x, mu, var.sqrt());
    assert_variance(what, x, var, mu4);
}

/// The fourth central moment of a distribution on [a, b] from its density, by Simpson's
/// rule (for the triangular and PERT checks).
fn fourth_moment(a: f64, b: f64, mu: f64, density: impl Fn(f64) -> f64) -> f64 {
    simpson_nodes(a, b, 20_000)
        .map(|(x, w)| w * (x - mu).powi(4) * density(x))
        .sum()
}

#[test]
fn binomial_draws_are_pinned_and_binomial() {
    // np < 10 (inversion) and np ≥ 10 (BTPE): rand_distr's two algorithms, as the district
    // batches (specialized, survivors) use them.
    for (n, p, pinned) in [
        (30u64, 0.2, GOLDEN_BINOMIAL_SMALL),
        (200, 0.6, GOLDEN_BINOMIAL_LARGE),
    ] {
        let d = Binomial::new(n, p).expect("valid");
        let draw = |r: &mut StreamRng| d.sample(r) as f64;
        assert_eq!(golden(draw), pinned, "Binomial({n}, {p}) draws changed");
        let x = many(draw);
        let (mu, var, mu4) = moments(&binomial_pmf(n, p));
        assert_moments(&format!("Binomial({n}, {p})"), &x, mu, var, mu4);
    }
}

#[test]
fn poisson_draws_are_pinned_and_poisson() {
    // Mean below 12 (Knuth's product of uniforms) and above (rejection).
    for (lambda, pinned) in [(3.0, GOLDEN_POISSON_SMALL), (50.0, GOLDEN_POISSON_LARGE)] {
        let d = Poisson::new(lambda).expect("valid");
        let draw = |r: &mut StreamRng| d.sample(r);
        assert_eq!(golden(draw), pinned, "Poisson({lambda}) draws changed");
        let x = many(draw);
        assert_moments(
            &format!("Poisson({lambda})"),
            &x,
            lambda,
            lambda,
            lambda + 3.0 * lambda * lambda,
        );
    }
}

/// The engine's valuation walk inlines Knuth's method for a mean below 12
/// (`knuth_poisson` in src/engine/replication.rs) and calls rand_distr above it. Its
/// funding-round counts are, draw for draw, those of rand_distr's Poisson on the same
/// streams (each firm's certification stream of the round: the application draw, the
/// walk's normal, then the rounds), and they are Poisson in distribution.
#[test]
fn the_engines_funding_rounds_are_rand_distrs_poisson_draw_for_draw() {
    let loaded = load("funding_rounds.toml");
    let model = policysim::engine::Model::new(&loaded.scenario);
    let mut rep = policysim::engine::Replication::default();
    let (mut row, mut series) = (
        vec![0.0; model.layout.len()],
        vec![0.0; model.layout.series_len()],
    );
    let reviews = [
        (0.0, day("2024-04-01")),
        (day("2024-04-01"), day("2025-01-01")),
    ];
    let means: Vec<f64> = reviews
        .iter()
        .map(|(from, to)| 24.0 * ((to - from) / policysim::calendar::DAYS_PER_YEAR))
        .collect();
    assert!(
        means[0] < 12.0 && means[1] > 12.0,
        "one review each side of 12: {means:?}"
    );
    let reps = 2000;
    let mut totals = Vec::new();
    for r in 0..reps {
        rep.run(&model, seed(), r, &mut row, &mut series);
        let streams = Streams::new(seed(), r);
        let mut expected = 0u64;
        for firm in 0..100 {
            for (round, lambda) in means.iter().enumerate() {
                let mut rng = streams.rng(
                    entity::pool_firm(0, firm),
                    process::CERTIFICATION,
                    round as u64,
                );
                let _applies: f64 = rng.random();
                let _walk: f64 = rng.sample(rand_distr::StandardNormal);
                expected += Poisson::new(*lambda).expect("valid").sample(&mut rng) as u64;
            }
        }
        assert_eq!(rep.model_events.funding_rounds, expected, "replication {r}");
        totals.push(expected as f64);
    }
    let mu = 100.0 * (means[0] + means[1]);
    assert_moments("funding rounds", &totals, mu, mu, mu + 3.0 * mu * mu);
}

#[test]
fn knuths_method_as_the_engine_inlines_it_draws_what_rand_distr_draws() {
    // The engine's loop: p = U₁; while p > e^{−λ} { p *= U; n += 1 }.
    let knuth = |r: &mut StreamRng, lambda: f64| {
        let limit = (-lambda).exp();
        let mut n = 0u64;
        let mut p: f64 = r.random();
        while p > limit {
            p *= r.random::<f64>();
            n += 1;
        }
        n as f64
    };
    for lambda in [0.05, 0.5, 3.0, 11.9] {
        let d = Poisson::new(lambda).expect("valid");
        let (mut a, mut b) = (rng(7), rng(7));
        for k in 0..5000 {
            assert_eq!(
                knuth(&mut a, lambda),
                d.sample(&mut b),
                "λ = {lambda}, draw {k}"
            );
        }
    }
}

#[test]
fn weighted_choice_is_pinned_and_takes_each_value_at_its_weight() {
    let values = vec![1.0, 2.0, 5.0];
    let weights = [2.0, 5.0, 3.0];
    let d = Dist::Discrete {
        values: values.clone(),
        weights: rand::distr::weighted::WeightedIndex::new(weights).expect("valid"),
    };
    assert_eq!(
        golden(|r| d.sample(r)),
        GOLDEN_DISCRETE,
        "weighted choice changed"
    );
    let x = many(|r| d.sample(r));
    for (v, w) in values.iter().zip(weights) {
        let hits = x.iter().filter(|y| *y == v).count();
        assert_proportion(&format!("value {v}"), hits, x.len(), w / 10.0);
    }
}

#[test]
fn triangular_and_pert_are_pinned_and_have_their_moments() {
    let (a, m, b) = (1.0, 2.0, 6.0);
    let tri = Dist::Triangular(Triangular::new(a, b, m).expect("valid"), [a, m, b]);
    assert_eq!(
        golden(|r| tri.sample(r)),
        GOLDEN_TRIANGULAR,
        "triangular changed"
    );
    let mu = (a + m + b) / 3.0;
    let var = (a * a + b * b + m * m - a * b - a * m - b * m) / 18.0;
    let density = |x: f64| {
        if x < m {
            2.0 * (x - a) / ((b - a) * (m - a))
        } else {
            2.0 * (b - x) / ((b - a) * (b - m))
        }
    };
    let x = many(|r| tri.sample(r));
    assert_moments("triangular", &x, mu, var, fourth_moment(a, b, mu, density));

    let pert = Dist::Pert(Pert::new(a, b).with_mode(m).expect("valid"), [a, m, b]);
    assert_eq!(golden(|r| pert.sample(r)), GOLDEN_PERT, "PERT changed");
    // Beta-PERT with shape 4: α = 1 + 4(m − a)/(b − a), β = 1 + 4(b − m)/(b − a) on [a, b].
    let (al, be) = (1.0 + 4.0 * (m - a) / (b - a), 1.0 + 4.0 * (b - m) / (b - a));
    let mu = a + (b - a) * al / (al + be);
    let var = (b - a).powi(2) * al * be / ((al + be).powi(2) * (al + be + 1.0));
    assert!((mu - (a + 4.0 * m + b) / 6.0).abs() < 1e-12, "PERT mean");
    let beta_fn = beta_function(al, be);
    let density = |x: f64| {
        let u = (x - a) / (b - a);
        u.powf(al - 1.0) * (1.0 - u).powf(be - 1.0) / (beta_fn * (b - a))
    };
    let x = many(|r| pert.sample(r));
    assert_moments("PERT", &x, mu, var, fourth_moment(a, b, mu, density));
}

/// B(α, β) = ∫₀¹ u^{α−1}(1 − u)^{β−1} du, by Simpson's rule (α, β ≥ 1 here).
fn beta_function(al: f64, be: f64) -> f64 {
    simpson_nodes(0.0, 1.0, 20_000)
        .map(|(u, w)| w * u.powf(al - 1.0) * (1.0 - u).powf(be - 1.0))
        .sum()
}

#[test]
fn the_inlined_uniform_normal_and_lognormal_are_pinned_and_exact() {
    let uniform = Dist::Uniform {
        low: 2.0,
        high: 5.0,
    };
    assert_eq!(
        golden(|r| uniform.sample(r)),
        GOLDEN_UNIFORM,
        "uniform changed"
    );
    let x = many(|r| uniform.sample(r));
    assert_moments("uniform", &x, 3.5, 0.75, 9.0f64.powi(2) / 80.0);

    // `Dist` inlines rand_distr's Normal and LogNormal: the same values, draw for draw.
    let normal = Normal::new(10.0, 2.0).expect("valid");
    let d = Dist::Normal(normal);
    let (mut a, mut b) = (rng(9), rng(9));
    for _ in 0..5000 {
        assert_eq!(d.sample(&mut a), normal.sample(&mut b));
    }
    assert_eq!(golden(|r| d.sample(r)), GOLDEN_NORMAL, "normal changed");
    let x = many(|r| d.sample(r));
    assert_moments("normal", &x, 10.0, 4.0, 3.0 * 16.0);

    let (median, sigma) = (4.0f64, 0.5f64);
    let lognormal = LogNormal::new(median.ln(), sigma).expect("valid");
    let d = Dist::LogNormal(lognormal, [median.ln(), sigma]);
    let (mut a, mut b) = (rng(9), rng(9));
    for _ in 0..5000 {
        assert_eq!(d.sample(&mut a), lognormal.sample(&mut b));
    }
    assert_eq!(
        golden(|r| d.sample(r)),
        GOLDEN_LOGNORMAL,
        "lognormal changed"
    );
    // Its log is drawn on the log scale directly: N(ln 4, 0.5²), the same draws' logs.
    let (mut a, mut b) = (rng(11), rng(11));
    for _ in 0..1000 {
        assert_close(
            "ln of a draw",
            d.sample_ln(&mut a),
            d.sample(&mut b).ln(),
            1e-12,
        );
    }
    let logs = many(|r| d.sample_ln(r));
    let var = sigma * sigma;
    assert_moments("log of lognormal", &logs, median.ln(), var, 3.0 * var * var);
}

// Recorded from rand 0.9.2, rand_distr 0.5.1 and rand_xoshiro 0.7.0's SplitMix64 seeded
// with 42 (see the module comment: a contract, not a measurement).
const GOLDEN_BINOMIAL_SMALL: [f64; 4] = [7.0, 4.0, 5.0, 5.0];
const GOLDEN_BINOMIAL_LARGE: [f64; 4] = [117.0, 118.0, 130.0, 125.0];
const GOLDEN_POISSON_SMALL: [f64; 4] = [2.0, 1.0, 4.0, 3.0];
const GOLDEN_POISSON_LARGE: [f64; 4] = [54.0, 34.0, 46.0, 66.0];
const GOLDEN_DISCRETE: [f64; 4] = [5.0, 1.0, 2.0, 2.0];
const GOLDEN_TRIANGULAR: [f64; 4] = [
    3.726521954237619,
    1.8941766963998785,
    2.2015822511343983,
    2.3783725109383145,
];
const GOLDEN_PERT: [f64; 4] = [
    3.313856165091548,
    1.9291134390329343,
    1.2401249723521202,
    1.777777175636222,
];
const GOLDEN_UNIFORM: [f64; 4] = [
    4.22469463631547,
    2.47973117863076,
    2.835803390765416,
    3.0325721495709126,
];
const GOLDEN_NORMAL: [f64; 4] = [
    11.347362076265657,
    5.483277091664652,
    8.343871875739199,
    9.12678571515651,
];
const GOLDEN_LOGNORMAL: [f64; 4] = [
    5.602062761509241,
    1.293192069044571,
    2.643919116161724,
    3.215525477524294,
];
