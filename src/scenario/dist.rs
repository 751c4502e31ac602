//! Probability distributions a scenario may write wherever a number is expected.

use rand::distr::weighted::WeightedIndex;
use rand::Rng;
use rand_distr::{Beta, Distribution, Gamma, LogNormal, Normal, Pert, Triangular};

use super::error::{Result, ScenarioError};
use super::node::{Node, Value};
use super::read::{as_array, as_f64, TableReader};

#[inline]
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    Distribution::<f64>::sample(&rand_distr::StandardNormal, rng)
}

/// The waiting time in days to the next event of a Poisson process with `rate_per_year`:
/// the one exponential sampler of the model (rand_distr's ziggurat, which needs a
/// logarithm only in its rare tail, against one per draw by inversion).
#[inline]
pub fn waiting_days<R: Rng + ?Sized>(rng: &mut R, rate_per_year: f64) -> f64 {
    Distribution::<f64>::sample(&rand_distr::Exp1, rng) / rate_per_year
        * crate::calendar::DAYS_PER_YEAR
}

/// Every distribution a scenario may write, with its parameters (docs/scenario-format.md).
pub const DISTRIBUTIONS: &[(&str, &[&str])] = &[
    ("fixed", &["value"]),
    ("uniform", &["low", "high"]),
    ("triangular", &["low", "mode", "high"]),
    ("pert", &["low", "mode", "high"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["median", "sigma"]),
    ("beta", &["alpha", "beta"]),
    ("gamma", &["shape", "scale"]),
    ("discrete", &["values", "weights"]),
];

/// A number or a distribution, as written in a scenario.
#[derive(Debug, Clone)]
pub enum Dist {
    Fixed(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Triangular(Triangular<f64>, [f64; 3]),
    Pert(Pert<f64>, [f64; 3]),
    Normal(Normal<f64>),
    /// With its log-scale (mu, sigma).
    LogNormal(LogNormal<f64>, [f64; 2]),
    Beta(Beta<f64>, [f64; 2]),
    Gamma(Gamma<f64>, [f64; 2]),
    Discrete {
        values: Vec<f64>,
        weights: WeightedIndex<f64>,
    },
}

impl Dist {
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            Dist::Triangular(d, _) => d.sample(rng),
            Dist::Pert(d, _) => d.sample(rng),
            // As rand_distr's Normal and LogNormal compute them (same operations, same
            // values), with the standard normal draw inlined.
            Dist::Normal(d) => d.mean() + d.std_dev() * standard_normal(rng),
            Dist::LogNormal(_, [mu, sigma]) => (mu + sigma * standard_normal(rng)).exp(),
            Dist::Beta(d, _) => d.sample(rng),
            Dist::Gamma(d, _) => d.sample(rng),
            Dist::Discrete { values, weights } => values[weights.sample(rng)],
        }
    }

    /// The logarithm of a draw; for a lognormal, drawn on the log scale directly.
    pub fn sample_ln<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::LogNormal(_, [mu, sigma]) => mu + sigma * standard_normal(rng),
            other => other.sample(rng).max(f64::MIN_POSITIVE).ln(),
        }
    }

    /// The smallest and largest values the distribution can take.
    pub fn support(&self) -> (f64, f64) {
        match self {
            Dist::Fixed(v) => (*v, *v),
            Dist::Uniform { low, high } => (*low, *high),
            Dist::Triangular(_, [l, _, h]) | Dist::Pert(_, [l, _, h]) => (*l, *h),
            Dist::Normal(_) => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::LogNormal(..) | Dist::Gamma(..) => (0.0, f64::INFINITY),
            Dist::Beta(..) => (0.0, 1.0),
            Dist::Discrete { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                }),
        }
    }

    /// Its mean, used where a scenario wants an expectation (e.g. `check` summaries).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::Triangular(_, [l, m, h]) => (l + m + h) / 3.0,
            Dist::Pert(_, [l, m, h]) => (l + 4.0 * m + h) / 6.0,
            Dist::Normal(d) => d.mean(),
            Dist::LogNormal(_, [mu, sigma]) => (mu + sigma * sigma / 2.0).exp(),
            Dist::Beta(_, [a, b]) => a / (a + b),
            Dist::Gamma(_, [k, theta]) => k * theta,
            Dist::Discrete { values, weights } => {
                let w = weights.weights().collect::<Vec<_>>();
                let total: f64 = w.iter().sum();
                values.iter().zip(&w).map(|(v, w)| v * w).sum::<f64>() / total
            }
        }
    }

    /// Reads `3.5` or `{ dist = "...", ... }`.
    pub fn from_node(node: &Node, path: &str) -> Result<Dist> {
        match &node.value {
            Value::Integer(_) | Value::Float(_) => Ok(Dist::Fixed(as_f64(node, path)?)),
            Value::Table(_) => {
                let t = TableReader::new(node, path)?;
                let kind = t.string("dist")?;
                let bad = |msg: String| ScenarioError::at(&node.origin, path, msg);
                let d = match kind.as_str() {
                    "fixed" => Dist::Fixed(t.f64("value")?),
                    "uniform" => {
                        let (low, high) = (t.f64("low")?, t.f64("high")?);
                        if low > high {
                            return Err(bad(format!("uniform needs low <= high, found low = {low}, high = {high}")));
                        }
                        Dist::Uniform { low, high }
                    }
                    "triangular" | "pert" => {
                        let (l, m, h) = (t.f64("low")?, t.f64("mode")?, t.f64("high")?);
                        if !(l <= m && m <= h && l < h) {
                            return Err(bad(format!("{kind} needs low <= mode <= high and low < high, found {l}, {m}, {h}")));
                        }
                        if kind == "triangular" {
                            Dist::Triangular(Triangular::new(l, h, m).map_err(|e| bad(e.to_string()))?, [l, m, h])
                        } else {
                            Dist::Pert(Pert::new(l, h).with_mode(m).map_err(|e| bad(e.to_string()))?, [l, m, h])
                        }
                    }
                    "normal" => {
                        let (mean, sd) = (t.f64("mean")?, t.f64("sd")?);
                        if sd < 0.0 {
                            return Err(bad(format!("normal needs sd >= 0, found {sd}")));
                        }
                        Dist::Normal(Normal::new(mean, sd).map_err(|e| bad(e.to_string()))?)
                    }
                    "lognormal" => {
                        let (median, sigma) = (t.f64("median")?, t.f64("sigma")?);
                        if median <= 0.0 || sigma < 0.0 {
                            return Err(bad(format!(
                                "lognormal needs median > 0 and sigma >= 0, found median = {median}, sigma = {sigma}"
                            )));
                        }
                        let mu = median.ln();
                        Dist::LogNormal(LogNormal::new(mu, sigma).map_err(|e| bad(e.to_string()))?, [mu, sigma])
                    }
                    "beta" => {
                        let (a, b) = (t.f64("alpha")?, t.f64("beta")?);
                        if a <= 0.0 || b <= 0.0 {
                            return Err(bad(format!("beta needs alpha > 0 and beta > 0, found {a}, {b}")));
                        }
                        Dist::Beta(Beta::new(a, b).map_err(|e| bad(e.to_string()))?, [a, b])
                    }
                    "gamma" => {
                        let (k, theta) = (t.f64("shape")?, t.f64("scale")?);
                        if k <= 0.0 || theta <= 0.0 {
                            return Err(bad(format!("gamma needs shape > 0 and scale > 0, found {k}, {theta}")));
                        }
                        Dist::Gamma(Gamma::new(k, theta).map_err(|e| bad(e.to_string()))?, [k, theta])
                    }
                    "discrete" => {
                        let values = numbers(&t, "values")?;
                        let weights = numbers(&t, "weights")?;
                        if values.is_empty() || values.len() != weights.len() {
                            return Err(bad(format!(
                                "discrete needs as many weights as values (at least one), found {} values and {} weights",
                                values.len(),
                                weights.len()
                            )));
                        }
                        if weights.iter().any(|w| *w < 0.0) || weights.iter().sum::<f64>() <= 0.0 {
                            return Err(bad("discrete weights must be non-negative with a positive sum".into()));
                        }
                        let index = WeightedIndex::new(&weights).map_err(|e| bad(e.to_string()))?;
                        Dist::Discrete { values, weights: index }
                    }
                    other => {
                        return Err(ScenarioError::at(
                            &t.required("dist")?.origin,
                            &t.key_path("dist"),
                            format!(
                                "unknown distribution `{other}`; expected one of {}",
                                DISTRIBUTIONS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
                            ),
                        ))
                    }
                };
                t.finish()?;
                super::tails::check(&d, node, path)?;
                Ok(d)
            }
            other => Err(ScenarioError::at(
                &node.origin,
                path,
                format!("expected a number or a distribution table like {{ dist = \"lognormal\", median = 1.0, sigma = 0.5 }}, found {}", other.type_name()),
            )),
        }
    }

    /// Refuses a distribution that can leave [lo, hi].
    pub fn check_within(
        &self,
        node: &Node,
        path: &str,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> Result<()> {
        let (a, b) = self.support();
        if a < lo || b > hi {
            let range = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => format!("[{lo}, {hi}]"),
                (true, false) => format!(">= {lo}"),
                _ => format!("<= {hi}"),
            };
            let found = if a == b {
                format!("{a}")
            } else {
                format!("a distribution over [{a}, {b}]")
            };
            return Err(ScenarioError::at(
                &node.origin,
                path,
                format!("expected {what} {range}, found {found}"),
            ));
        }
        Ok(())
    }
}

fn numbers(t: &TableReader<'_>, key: &str) -> Result<Vec<f64>> {
    as_array(t.required(key)?, &t.key_path(key))?
        .into_iter()
        .map(|(n, p)| as_f64(n, &p))
        .collect()
}
