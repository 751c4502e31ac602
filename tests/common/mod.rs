//! Shared helpers for the integration tests: load a scenario, run replications through
//! the library, pull out columns by metric name, and the closed forms the statistical
//! tests compare against.
#![allow(dead_code)]

pub mod edits;

use std::path::{Path, PathBuf};

use policysim::engine::Model;
use policysim::metrics::MetricLayout;
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

/// Replication rows of a run, with the metric names to address them, and the monthly
/// series of each replication (`series_names.len() × months` values a row, series-major).
pub struct Run {
    pub names: Vec<String>,
    pub reps: usize,
    pub metrics: Vec<f64>,
    pub series_names: Vec<String>,
    pub months: usize,
    pub series: Vec<f64>,
}

impl Run {
    /// `reps` rows of `layout`'s metrics and series, replication-major.
    pub fn new(layout: &MetricLayout, reps: usize, metrics: Vec<f64>, series: Vec<f64>) -> Run {
        Run {
            names: layout.names.clone(),
            reps,
            metrics,
            series_names: layout.series_names.iter().map(|n| n.to_string()).collect(),
            months: layout.months,
            series,
        }
    }

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

    /// The values of series `name` in month `month` (index into the series' months), in
    /// replication order.
    pub fn series_col(&self, name: &str, month: usize) -> Vec<f64> {
        let k = self
            .series_names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no series `{name}`; series: {:?}", self.series_names));
        assert!(month < self.months, "month {month} of {}", self.months);
        self.series_at(k * self.months + month)
    }

    fn series_at(&self, j: usize) -> Vec<f64> {
        let sl = self.series_names.len() * self.months;
        (0..self.reps).map(|i| self.series[i * sl + j]).collect()
    }
}

impl Columns for Run {
    fn replications(&self) -> usize {
        self.reps
    }
    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        Ok(self.col_at(j))
    }
    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        Ok(self.series_at(j))
    }
}

/// Runs `reps` replications of a loaded scenario with `seed`.
pub fn run_loaded(loaded: &LoadedScenario, seed: u64, reps: u64) -> Run {
    run_model(&Model::new(&loaded.scenario), seed, reps)
}

/// Runs `reps` replications of `model` (from cohorts or from actuals) with `seed`.
pub fn run_model(model: &Model<'_>, seed: u64, reps: u64) -> Run {
    let block = run_block(model, seed, 0..reps, &|| {});
    Run::new(&model.layout, block.count, block.metrics, block.series)
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

/// A distribution on finitely many values: the closed form a budget figure or a monthly
/// count is checked against.
#[derive(Debug, Clone)]
pub struct Pmf {
    /// (value, probability), ascending values, probabilities summing to 1.
    pub atoms: Vec<(f64, f64)>,
}

impl Pmf {
    /// `scale` × Binomial(n, p).
    pub fn binomial(n: u64, p: f64, scale: f64) -> Pmf {
        let atoms = binomial_pmf(n, p)
            .into_iter()
            .enumerate()
            .map(|(k, q)| (k as f64 * scale, q))
            .collect();
        Pmf { atoms }.normalised()
    }

    pub fn constant(x: f64) -> Pmf {
        Pmf {
            atoms: vec![(x, 1.0)],
        }
    }

    /// Equal values merged, ascending.
    fn normalised(mut self) -> Pmf {
        self.atoms.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, f64)> = Vec::new();
        for (x, p) in self.atoms {
            match out.last_mut() {
                Some(last) if last.0 == x => last.1 += p,
                _ => out.push((x, p)),
            }
        }
        Pmf { atoms: out }
    }

    /// The distribution of g(X).
    pub fn map(&self, g: impl Fn(f64) -> f64) -> Pmf {
        Pmf {
            atoms: self.atoms.iter().map(|&(x, p)| (g(x), p)).collect(),
        }
        .normalised()
    }

    /// The distribution of X + Y for an independent Y.
    pub fn plus(&self, other: &Pmf) -> Pmf {
        Pmf {
            atoms: self
                .atoms
                .iter()
                .flat_map(|&(x, p)| other.atoms.iter().map(move |&(y, q)| (x + y, p * q)))
                .collect(),
        }
        .normalised()
    }

    /// E[g(X)].
    pub fn expect(&self, g: impl Fn(f64) -> f64) -> f64 {
        self.atoms.iter().map(|&(x, p)| g(x) * p).sum()
    }

    pub fn mean(&self) -> f64 {
        self.expect(|x| x)
    }

    /// The standard deviation of g(X).
    pub fn sd_of(&self, g: impl Fn(f64) -> f64) -> f64 {
        let m = self.expect(&g);
        self.expect(|x| (g(x) - m).powi(2)).max(0.0).sqrt()
    }

    /// P(X ≤ x) and P(X < x).
    pub fn cdf(&self, x: f64) -> f64 {
        self.atoms.iter().filter(|a| a.0 <= x).map(|a| a.1).sum()
    }

    pub fn cdf_below(&self, x: f64) -> f64 {
        self.atoms.iter().filter(|a| a.0 < x).map(|a| a.1).sum()
    }

    /// The α-quantile min{x : F(x) ≥ α} (value at risk).
    pub fn quantile(&self, alpha: f64) -> f64 {
        let mut c = 0.0;
        for &(x, p) in &self.atoms {
            c += p;
            if c >= alpha - 1e-12 {
                return x;
            }
        }
        self.atoms.last().expect("atoms").0
    }

    /// Expected shortfall at level α: (1/(1 − α))∫_α^1 VaR_u du, which is
    /// v + E[(X − v)⁺]/(1 − α) at v = VaR_α (Rockafellar and Uryasev).
    pub fn expected_shortfall(&self, alpha: f64) -> f64 {
        let v = self.quantile(alpha);
        v + self.expect(|x| (x - v).max(0.0)) / (1.0 - alpha)
    }

    /// The standard error of the mean of the worst ⌈(1 − α)n⌉ of n draws: its influence
    /// function is (X − v)⁺/(1 − α) + const, so se = sd((X − v)⁺)/((1 − α)√n). That holds
    /// when α lies inside the step of the distribution function at v, well away from its
    /// ends: otherwise the tail's boundary moves between atoms from sample to sample and
    /// the error is larger, so such a case is refused (a single atom, where the estimate
    /// is exact, is fine).
    pub fn expected_shortfall_se(&self, alpha: f64, n: usize) -> f64 {
        let v = self.quantile(alpha);
        let margin = 4.0 * (alpha * (1.0 - alpha) / n as f64).sqrt();
        assert!(
            self.atoms.len() == 1
                || (self.cdf_below(v) < alpha - margin && self.cdf(v) > alpha + margin),
            "the {alpha} point is within {margin} of an end of the step at {v}: \
             P(X < v) = {}, P(X ≤ v) = {}",
            self.cdf_below(v),
            self.cdf(v)
        );
        self.sd_of(|x| (x - v).max(0.0)) / ((1.0 - alpha) * (n as f64).sqrt())
    }
}

/// Asserts `x` is within 4 standard errors `se` of `mu` (exactly `mu` when `se` is 0, up
/// to a relative 1e-12 for rounding).
pub fn assert_within(what: &str, x: f64, mu: f64, se: f64) {
    assert_within_z(what, x, mu, se, 4.0);
}

/// As `assert_within`, `z` standard errors: for a test that makes many checks, z is set
/// so that all of them pass together with probability 1 − 1e-4 or so (Bonferroni).
pub fn assert_within_z(what: &str, x: f64, mu: f64, se: f64, z: f64) {
    let tol = z * se + 1e-12 * mu.abs().max(1.0);
    assert!(
        (x - mu).abs() <= tol,
        "{what}: {x} differs from the closed form {mu} by {} > {z}·se = {tol}",
        (x - mu).abs()
    );
}

/// Asserts a sample p-quantile `q` of n draws (type 7) is a p-quantile of `pmf` within
/// sampling error: at least a share p − tol of the distribution lies at or below the
/// support point at or above `q`, and at most p + tol strictly below the support point at
/// or below it, with tol = 4·√(p(1 − p)/n) + 1/n (the 1/n for the interpolation).
pub fn assert_quantile_of(what: &str, q: f64, p: f64, pmf: &Pmf, n: usize) {
    assert_quantile_of_z(what, q, p, pmf, n, 4.0);
}

/// As `assert_quantile_of`, with `z` standard errors (see `assert_within_z`).
pub fn assert_quantile_of_z(what: &str, q: f64, p: f64, pmf: &Pmf, n: usize, z: f64) {
    let tol = z * (p * (1.0 - p) / n as f64).sqrt() + 1.0 / n as f64;
    let eps = 1e-9 * q.abs().max(1.0);
    let above = pmf.atoms.iter().map(|a| a.0).find(|x| *x >= q - eps);
    let below = pmf.atoms.iter().rev().map(|a| a.0).find(|x| *x <= q + eps);
    let (Some(above), Some(below)) = (above, below) else {
        panic!("{what}: {q} is outside the support {:?}", pmf.atoms);
    };
    assert!(
        pmf.cdf(above) >= p - tol && pmf.cdf_below(below) <= p + tol,
        "{what}: {q} is not a {p}-quantile: F({above}) = {}, P(X < {below}) = {} (tolerance {tol})",
        pmf.cdf(above),
        pmf.cdf_below(below)
    );
}

/// The type-7 sample quantile (R's and numpy's default) of `values`, by a full sort.
pub fn type7_quantile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// The mean of the largest ⌈(1 − alpha)·n⌉ of `values` (at least one), by a full sort.
pub fn mean_of_worst(values: &[f64], alpha: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    // (1 − 0.95)·n carries floating-point noise: round it before the ceiling.
    let k = (((1.0 - alpha) * v.len() as f64 * 1e6).round() / 1e6).ceil() as usize;
    let k = k.clamp(1, v.len());
    v[v.len() - k..].iter().sum::<f64>() / k as f64
}

/// Runs the `policysim` binary from the crate root with `args`; panics unless it succeeds.
pub fn policysim_ok(args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_policysim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("policysim runs");
    assert!(
        out.status.success(),
        "policysim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `policysim run tests/scenarios/<name> --reps N --seed S --threads 2 --quiet --out <dir>`.
pub fn run_binary(name: &str, reps: u64, dir: &Path) {
    command_binary("run", &[name], reps, dir);
}

/// `policysim COMMAND tests/scenarios/<name>... --reps N --seed S --threads 2 --quiet
/// --out <dir>`: `run` of one scenario, `compare` of several.
pub fn command_binary(command: &str, names: &[&str], reps: u64, dir: &Path) {
    let scenarios: Vec<PathBuf> = names.iter().map(|n| scenario_path(n)).collect();
    let (reps, seed) = (reps.to_string(), seed().to_string());
    let mut args = vec![command];
    args.extend(scenarios.iter().map(|p| p.to_str().expect("utf-8 path")));
    args.extend([
        "--reps",
        &reps,
        "--seed",
        &seed,
        "--threads",
        "2",
        "--quiet",
    ]);
    args.extend(["--out", dir.to_str().expect("utf-8 path")]);
    policysim_ok(&args);
}

/// A CSV file as its header and rows of text fields.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(path: &Path) -> Csv {
        let mut rdr = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let header = rdr
            .headers()
            .expect("a header")
            .iter()
            .map(String::from)
            .collect();
        let rows = rdr
            .records()
            .map(|r| r.expect("a record").iter().map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    pub fn column_index(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column `{name}` in {:?}", self.header))
    }

    /// A numeric column, in row order.
    pub fn numbers(&self, name: &str) -> Vec<f64> {
        let j = self.column_index(name);
        self.rows
            .iter()
            .map(|r| {
                r[j].parse()
                    .unwrap_or_else(|_| panic!("{name}: {:?}", r[j]))
            })
            .collect()
    }

    /// The rows whose `key` columns hold `values`.
    pub fn find(&self, key: &[(&str, &str)]) -> Vec<&Vec<String>> {
        let idx: Vec<(usize, &str)> = key
            .iter()
            .map(|(k, v)| (self.column_index(k), *v))
            .collect();
        self.rows
            .iter()
            .filter(|r| idx.iter().all(|(j, v)| r[*j] == *v))
            .collect()
    }
}
