//! Precision-based stopping (docs/model.md, Precision): rules such as
//! `outlay.total:mean:0.5%`, `outlay.total:p95:1%` or `target.*:probability:0.01`, checked
//! after every block of a run until all hold.
//!
//! - `mean`: the relative half-width of the mean's 95 % interval, 1.96·sd/√n / |mean|.
//! - `pNN`: the relative half-width of the distribution-free 95 % interval of the
//!   quantile: the order statistics of ranks l and u with l < B ≤ u, B ~ Binomial(n, p)
//!   (normal approximation), halved, over the |quantile|.
//! - `probability`: the absolute half-width of the Wilson 95 % interval of a target's
//!   attainment (`target.*`: every target).
//!
//! The statistic, not the width's `%`, decides relative or absolute: `%` only divides the
//! number by 100 (`mean:1%` and `mean:0.01` are one rule).
//!
//! `compare --precision` applies the same rules to the paired differences (`paired`).

mod paired;

use serde::{Deserialize, Serialize};

use crate::metrics::MetricLayout;
use crate::scenario::types::Comparator;
use crate::scenario::Scenario;
use crate::stats::wilson::wilson_interval;
use crate::stats::Z95;

pub use paired::PairedTracker;

/// A rule that does not parse or names nothing: bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("invalid precision rule {rule:?}: {why} (expected METRIC:STATISTIC:WIDTH, e.g. outlay.total:mean:0.5%, outlay.total:p95:1%, target.*:probability:0.01)")]
pub struct BadRule {
    pub rule: String,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    Mean,
    /// Quantile at this level in (0, 1).
    Quantile(f64),
    Probability,
}

/// One parsed rule over one or more metric columns.
#[derive(Debug, Clone)]
pub struct Rule {
    pub text: String,
    statistic: Statistic,
    /// Columns of the replication row, with the target's comparator for `probability`.
    columns: Vec<(usize, Option<Comparator>)>,
    width: f64,
}

/// Two rules are the same rule when they say the same thing: the rest is parsed from the
/// text against the same scenario.
impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.text == other.text
    }
}

/// How a rule stood when the run stopped.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleOutcome {
    pub rule: String,
    pub held: bool,
    /// The replication count at which it first held (`None`: never).
    pub held_at: Option<u64>,
    /// Its widest half-width over its columns at the last check.
    pub half_width: f64,
}

impl RuleOutcome {
    /// A rule not yet checked.
    fn pending(rule: &Rule) -> RuleOutcome {
        RuleOutcome {
            rule: rule.text.clone(),
            held: false,
            held_at: None,
            half_width: f64::INFINITY,
        }
    }
}

pub fn parse(text: &str, s: &Scenario, layout: &MetricLayout) -> Result<Rule, BadRule> {
    let bad = |why: String| BadRule {
        rule: text.to_string(),
        why,
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [metric, statistic, width] = parts[..] else {
        return Err(bad("it has not three parts separated by ':'".into()));
    };
    let statistic = match statistic {
        "mean" => Statistic::Mean,
        "probability" => Statistic::Probability,
        p if p.starts_with('p') => {
            let level: f64 = p[1..]
                .parse()
                .map_err(|_| bad(format!("unknown statistic {p:?}")))?;
            if !(level > 0.0 && level < 100.0) {
                return Err(bad(format!("quantile {p:?} is not between p0 and p100")));
            }
            Statistic::Quantile(level / 100.0)
        }
        other => {
            return Err(bad(format!(
                "unknown statistic {other:?} (mean, pNN such as p95, or probability)"
            )))
        }
    };
    let (number, percent) = match width.strip_suffix('%') {
        Some(n) => (n, true),
        None => (width, false),
    };
    let width = number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|w| w.is_finite() && *w > 0.0)
        .ok_or_else(|| bad(format!("width {width:?} is not a positive number")))?;
    let width = if percent { width / 100.0 } else { width };
    let targets: Vec<usize> = match metric {
        "target.*" => (0..s.targets.len()).collect(),
        m => m
            .strip_prefix("target.")
            .and_then(|id| s.targets.iter().position(|t| t.id == id))
            .into_iter()
            .collect(),
    };
    let columns = if statistic == Statistic::Probability {
        if targets.is_empty() {
            return Err(bad(format!(
                "{metric:?} names no target of the scenario (probability needs target.ID or target.*)"
            )));
        }
        targets
            .iter()
            .map(|&t| (layout.target + t, Some(s.targets[t].comparator)))
            .collect()
    } else if metric == "target.*" {
        targets.iter().map(|&t| (layout.target + t, None)).collect()
    } else {
        let column = layout
            .index_of(metric)
            .ok_or_else(|| bad(format!("unknown metric {metric:?}")))?;
        vec![(column, None)]
    };
    Ok(Rule {
        text: text.to_string(),
        statistic,
        columns,
        width,
    })
}

/// The ranks (0-based, l ≤ u) of the order statistics bounding the distribution-free 95 %
/// interval of the `p` quantile of `n` values.
pub fn quantile_ranks(n: usize, p: f64) -> (usize, usize) {
    let (nf, sd) = (n as f64, (n as f64 * p * (1.0 - p)).sqrt());
    let l = (nf * p - Z95 * sd).floor().max(1.0) as usize;
    let u = ((nf * p + Z95 * sd).ceil() as usize + 1).min(n);
    (l.min(n) - 1, u - 1)
}

/// Half-width of a rule's statistic over one column's values so far.
fn half_width(statistic: Statistic, comparator: Option<Comparator>, values: &[f64]) -> f64 {
    let n = values.len();
    let relative = |half: f64, centre: f64| {
        if centre != 0.0 {
            half / centre.abs()
        } else if half == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    };
    match statistic {
        Statistic::Mean => {
            let mean = values.iter().sum::<f64>() / n as f64;
            if n < 2 {
                return f64::INFINITY;
            }
            let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            relative(Z95 * (var / n as f64).sqrt(), mean)
        }
        Statistic::Quantile(p) => {
            let (l, u) = quantile_ranks(n, p);
            let mut v = values.to_vec();
            v.sort_unstable_by(f64::total_cmp);
            let h = (n - 1) as f64 * p;
            let q = v[h.floor() as usize]
                + (h - h.floor()) * (v[h.ceil() as usize] - v[h.floor() as usize]);
            relative((v[u] - v[l]) / 2.0, q)
        }
        Statistic::Probability => {
            let c = comparator.expect(
                "parse gives a probability rule a target's comparator, or refuses the rule",
            );
            let hits = values.iter().filter(|&&x| c.attained(x)).count() as u64;
            let (lo, hi) = wilson_interval(hits, n as u64, Z95);
            (hi - lo) / 2.0
        }
    }
}

/// The rules of a run and the values of the columns they read, replication by replication.
pub struct Tracker {
    rules: Vec<Rule>,
    /// Column → values so far.
    values: std::collections::BTreeMap<usize, Vec<f64>>,
    outcomes: Vec<RuleOutcome>,
}

impl Tracker {
    pub fn new(rules: Vec<Rule>) -> Tracker {
        let values = rules
            .iter()
            .flat_map(|r| r.columns.iter().map(|c| (c.0, Vec::new())))
            .collect();
        let outcomes = rules.iter().map(RuleOutcome::pending).collect();
        Tracker {
            rules,
            values,
            outcomes,
        }
    }

    /// Adds a block's rows (`width` metrics each) and checks every rule: true when all
    /// hold.
    pub fn add(&mut self, metrics: &[f64], width: usize) -> bool {
        for row in metrics.chunks_exact(width) {
            for (&c, v) in self.values.iter_mut() {
                v.push(row[c]);
            }
        }
        for (rule, outcome) in self.rules.iter().zip(&mut self.outcomes) {
            let widest = rule
                .columns
                .iter()
                .map(|&(c, cmp)| half_width(rule.statistic, cmp, &self.values[&c]))
                .fold(0.0, f64::max);
            outcome.half_width = widest;
            outcome.held = widest <= rule.width;
            if outcome.held && outcome.held_at.is_none() {
                outcome.held_at = Some(self.values.values().next().map_or(0, |v| v.len() as u64));
            }
        }
        self.outcomes.iter().all(|o| o.held)
    }

    pub fn outcomes(&self) -> &[RuleOutcome] {
        &self.outcomes
    }
}
