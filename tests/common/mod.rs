//! Shared helpers for the integration tests: load a scenario, run replications through
//! the library, pull out columns by metric name, and the closed forms the statistical
//! tests compare against.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use policysim::engine::Model;
use policysim::montecarlo::run_block;
use policysim::scenario::{self, LoadedScenario};
use policysim::stats::Columns;

/// Seed used by the statistical tests; any seed must pass (the tolerances are 4σ), and
/// `POLICYSIM_TEST_SEED` picks another to check that.
pub fn seed() -> u64 {
    std::env::var("POLICYSIM_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20240101)
}

/// Path of a scenario under `tests/scenarios/`.
pub fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

pub fn load(name: &str) -> LoadedScenario {
    let path = scenario_path(name);
    scenario::load(&path).unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

/// Replication rows of a run, with the metric names to address them.
pub struct Run {
    pub names: Vec<String>,
    pub reps: usize,
    pub metrics: Vec<f64>,
}

impl Run {
    pub fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no metric `{name}`; metrics: {:?}", self.names))
    }

    /// The values of one metric, in replication order.
    pub fn col(&self, name: &str) -> Vec<f64> {
        let j = self.index(name);
        self.col_at(j)
    }

    pub fn col_at(&self, j: usize) -> Vec<f64> {
        let m = self.names.len();
        (0..self.reps).map(|i| self.metrics[i * m + j]).collect()
    }
}

impl Columns for Run {
    fn replications(&self) -> usize {
        self.reps
    }
    fn metric(&self, j: usize) -> Vec<f64> {
        self.col_at(j)
    }
    fn series(&self, _j: usize) -> Vec<f64> {
        vec![0.0; self.reps]
    }
}

/// Runs `reps` replications of a loaded scenario with `seed`.
pub fn run_loaded(loaded: &LoadedScenario, seed: u64, reps: u64) -> Run {
    let model = Model::new(&loaded.scenario);
    let block = run_block(&model, seed, 0..reps, &|| {});
    Run {
        names: model.layout.names.clone(),
        reps: block.count,
        metrics: block.metrics,
    }
}

/// Loads `tests/scenarios/<name>` and runs it.
pub fn simulate(name: &str, reps: u64) -> Run {
    run_loaded(&load(name), seed(), reps)
}

pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Unbiased sample variance.
pub fn variance(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

pub fn max(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

pub fn min(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Asserts the sample mean is within 4 standard errors of `mu`, where `sigma` is the
/// true standard deviation of one draw.
pub fn assert_mean(what: &str, x: &[f64], mu: f64, sigma: f64) {
    let n = x.len() as f64;
    let m = mean(x);
    let tol = 4.0 * sigma / n.sqrt();
    assert!(
        (m - mu).abs() <= tol,
        "{what}: sample mean {m} differs from {mu} by {} > 4σ/√n = {tol}",
        (m - mu).abs()
    );
}

/// Asserts the sample variance is within 4 of its own standard errors of `var`, given the
/// true fourth central moment `mu4` of one draw: Var(s²) ≈ (μ₄ − σ⁴)/n.
pub fn assert_variance(what: &str, x: &[f64], var: f64, mu4: f64) {
    let n = x.len() as f64;
    let s2 = variance(x);
    let se = ((mu4 - var * var) / n).sqrt();
    let tol = 4.0 * se;
    assert!(
        (s2 - var).abs() <= tol,
        "{what}: sample variance {s2} differs from {var} by {} > 4·se = {tol}",
        (s2 - var).abs()
    );
}

/// The fourth central moment of Binomial(n, p).
pub fn binomial_mu4(n: f64, p: f64) -> f64 {
    let q = 1.0 - p;
    n * p * q * (1.0 + 3.0 * (n - 2.0) * p * q)
}

/// Asserts a sample of counts has the mean and variance of Binomial(n, p), each within 4
/// of its standard errors.
pub fn assert_binomial(what: &str, x: &[f64], n: f64, p: f64) {
    let var = n * p * (1.0 - p);
    assert_mean(what, x, n * p, var.sqrt());
    assert_variance(what, x, var, binomial_mu4(n, p));
}

/// Asserts an observed proportion is within 4 binomial standard errors of `p` (and exact
/// when `p` is 0 or 1).
pub fn assert_proportion(what: &str, hits: usize, n: usize, p: f64) {
    let phat = hits as f64 / n as f64;
    let tol = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (phat - p).abs() <= tol,
        "{what}: observed proportion {phat} ({hits}/{n}) differs from {p} by {} > 4σ = {tol}",
        (phat - p).abs()
    );
}

/// Asserts |a − b| ≤ rel·max(|a|, |b|, 1).
pub fn assert_close(what: &str, a: f64, b: f64, rel: f64) {
    let scale = a.abs().max(b.abs()).max(1.0);
    assert!(
        (a - b).abs() <= rel * scale,
        "{what}: {a} != {b} (relative tolerance {rel})"
    );
}

/// The central moments of a distribution on 0..=n given by its probability mass function:
/// (mean, variance, fourth central moment).
pub fn moments(pmf: &[f64]) -> (f64, f64, f64) {
    let mu: f64 = pmf.iter().enumerate().map(|(k, p)| k as f64 * p).sum();
    let var = pmf
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - mu).powi(2) * p)
        .sum();
    let mu4 = pmf
        .iter()
        .enumerate()
        .map(|(k, p)| (k as f64 - mu).powi(4) * p)
        .sum();
    (mu, var, mu4)
}

/// Binomial(n, p) probability mass function on 0..=n.
pub fn binomial_pmf(n: u64, p: f64) -> Vec<f64> {
    let mut ln_fact = vec![0.0f64; n as usize + 1];
    for k in 1..=n as usize {
        ln_fact[k] = ln_fact[k - 1] + (k as f64).ln();
    }
    (0..=n as usize)
        .map(|k| {
            let ln_c = ln_fact[n as usize] - ln_fact[k] - ln_fact[n as usize - k];
            let lp = if k == 0 { 0.0 } else { k as f64 * p.ln() };
            let lq = if k == n as usize {
                0.0
            } else {
                (n as usize - k) as f64 * (1.0 - p).ln()
            };
            (ln_c + lp + lq).exp()
        })
        .collect()
}

/// P(X ≥ k) for X ~ Binomial(n, p).
pub fn binomial_tail(n: u64, p: f64, k: u64) -> f64 {
    binomial_pmf(n, p)[k as usize..].iter().sum()
}

/// P(N ≥ k) for N ~ Poisson(mu).
pub fn poisson_tail(mu: f64, k: u64) -> f64 {
    // 1 − P(N ≤ k − 1), summing the pmf recursively.
    let mut pmf = (-mu).exp();
    let mut below = 0.0;
    for j in 0..k {
        below += pmf;
        pmf *= mu / (j + 1) as f64;
    }
    1.0 - below
}

/// Simpson's rule on [lo, hi] with `steps` (even) intervals: the nodes and their weights,
/// so that Σ w·f(x) approximates ∫ f.
pub fn simpson_nodes(lo: f64, hi: f64, steps: usize) -> impl Iterator<Item = (f64, f64)> {
    assert!(
        steps % 2 == 0,
        "Simpson's rule needs an even number of intervals"
    );
    let h = (hi - lo) / steps as f64;
    (0..=steps).map(move |i| {
        let weight = if i == 0 || i == steps {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        (lo + i as f64 * h, weight * h / 3.0)
    })
}

/// The standard normal distribution function Φ(x), by Simpson's rule on the density
/// (error below 1e-12).
pub fn normal_cdf(x: f64) -> f64 {
    if x < -12.0 {
        return 0.0;
    }
    let density = |z: f64| (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    simpson_nodes(-12.0, x, 20_000)
        .map(|(z, w)| w * density(z))
        .sum()
}

/// Days from 2024-01-01 (the test scenarios' start) to a date `YYYY-MM-DD`.
pub fn day(date: &str) -> f64 {
    let parse = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
    (parse(date) - parse("2024-01-01")).num_days() as f64
}
