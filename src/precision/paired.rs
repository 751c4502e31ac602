//! Precision rules on a comparison's paired differences (docs/model.md, Precision): a
//! rule holds when it holds for the difference `b[r] − a[r]` between every compared
//! scenario `b` and the first, `a`, replication by replication (common random numbers).
//!
//! `mean` and `pNN` read the differences as `run` reads a metric (relative to the
//! difference's mean or quantile); `probability` reads the change in attainment
//! (`attained_b − attained_a`, each scenario with its own threshold) and its half-width is
//! that of the comparison's paired interval, Z95·sd/√n, absolute.

use super::{half_width, BadRule, Rule, RuleOutcome, Statistic};
use crate::metrics::MetricLayout;
use crate::scenario::types::Comparator;
use crate::scenario::Scenario;
use crate::stats::Z95;

/// One column a rule reads, in both scenarios of a pair.
#[derive(Debug, Clone)]
struct PairedColumn {
    a: usize,
    b: usize,
    /// For `probability`: each scenario's comparator of the target.
    comparators: Option<(Comparator, Comparator)>,
    /// The differences so far, in replication order.
    differences: Vec<f64>,
}

/// The rules of a comparison and the paired differences they read.
pub struct PairedTracker {
    rules: Vec<Rule>,
    /// For each scenario after the first, for each rule, its columns.
    pairs: Vec<Vec<Vec<PairedColumn>>>,
    outcomes: Vec<RuleOutcome>,
    count: u64,
}

impl PairedTracker {
    /// `rules` parsed against the first scenario (`first` its layout); `others`: every
    /// other compared scenario with its layout. A rule naming a metric or target that one
    /// of them lacks is refused.
    pub fn new(
        rules: Vec<Rule>,
        first: &MetricLayout,
        others: &[(&Scenario, &MetricLayout)],
    ) -> Result<PairedTracker, BadRule> {
        let pairs = others
            .iter()
            .map(|&(sb, lb)| {
                rules
                    .iter()
                    .map(|rule| paired_columns(rule, first, sb, lb))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let outcomes = rules.iter().map(RuleOutcome::pending).collect();
        Ok(PairedTracker {
            rules,
            pairs,
            outcomes,
            count: 0,
        })
    }

    /// Adds a block of every scenario (row-major metrics and their row width; the first
    /// scenario first, all of the same replications) and checks every rule: true when all
    /// hold.
    pub fn add(&mut self, blocks: &[(&[f64], usize)]) -> bool {
        let (first, width) = blocks[0];
        let rows = first.len() / width;
        for (pair, &(other, other_width)) in self.pairs.iter_mut().zip(&blocks[1..]) {
            for column in pair.iter_mut().flatten() {
                column.differences.extend((0..rows).map(|row| {
                    let (a, b) = (
                        first[row * width + column.a],
                        other[row * other_width + column.b],
                    );
                    match column.comparators {
                        Some((ca, cb)) => {
                            f64::from(u8::from(cb.attained(b)))
                                - f64::from(u8::from(ca.attained(a)))
                        }
                        None => b - a,
                    }
                }));
            }
        }
        self.count += rows as u64;
        for (k, (rule, outcome)) in self.rules.iter().zip(&mut self.outcomes).enumerate() {
            let widest = self
                .pairs
                .iter()
                .flat_map(|pair| &pair[k])
                .map(|c| paired_half_width(rule.statistic, &c.differences))
                .fold(0.0, f64::max);
            outcome.half_width = widest;
            outcome.held = widest <= rule.width;
            if outcome.held && outcome.held_at.is_none() {
                outcome.held_at = Some(self.count);
            }
        }
        self.outcomes.iter().all(|o| o.held)
    }

    pub fn outcomes(&self) -> &[RuleOutcome] {
        &self.outcomes
    }
}

/// The columns of `rule` (parsed against the first scenario's layout `first`) in scenario
/// `sb` too.
fn paired_columns(
    rule: &Rule,
    first: &MetricLayout,
    sb: &Scenario,
    lb: &MetricLayout,
) -> Result<Vec<PairedColumn>, BadRule> {
    rule.columns
        .iter()
        .map(|&(a, comparator)| {
            let name = &first.names[a];
            let b = lb.index_of(name).ok_or_else(|| BadRule {
                rule: rule.text.clone(),
                why: format!(
                    "{name} is not a metric of {}, compared with the first",
                    sb.name
                ),
            })?;
            let comparators = comparator.map(|ca| (ca, sb.targets[b - lb.target].comparator));
            Ok(PairedColumn {
                a,
                b,
                comparators,
                differences: Vec::new(),
            })
        })
        .collect()
}

/// The half-width a rule's statistic reads from paired differences.
fn paired_half_width(statistic: Statistic, differences: &[f64]) -> f64 {
    match statistic {
        Statistic::Mean | Statistic::Quantile(_) => half_width(statistic, None, differences),
        Statistic::Probability => {
            let n = differences.len();
            if n < 2 {
                return f64::INFINITY;
            }
            let mean = differences.iter().sum::<f64>() / n as f64;
            let var = differences.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            Z95 * (var / n as f64).sqrt()
        }
    }
}
