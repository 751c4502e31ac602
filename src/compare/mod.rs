//! Paired comparison of scenarios under common random numbers (docs/model.md, Reproducibility).
//!
//! Replication `r` of every scenario draws from the same keyed streams (seed, r, entity,
//! process, serial), so the per-replication difference `b[r] − a[r]` carries no noise from
//! whatever the scenarios share. The difference's interval is therefore computed from the
//! paired differences, not from two independent samples: two scenarios that differ only in
//! a reward's amount give a zero-width interval for every metric the amount cannot move.

pub mod job;

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::engine::Model;
use crate::interrupt;
use crate::metrics::MetricLayout;
use crate::montecarlo::{run_block, BLOCK};
use crate::output::tables::{csv_writer, num};
use crate::rows::RowStore;
use crate::scenario::Scenario;
use crate::stats::quantile::{mean, sd};
use crate::stats::Columns;

pub use crate::stats::Z95;

/// Every replication row of one scenario, in replication order: in memory, or spilled to
/// a scratch file when the scenarios' rows together would be large (see `RowStore`).
pub struct ScenarioRows {
    pub name: String,
    pub layout: MetricLayout,
    rows: RowStore,
}

impl ScenarioRows {
    /// The replication values of the metric called `name`, if the scenario has it.
    pub fn metric_named(&self, name: &str) -> Option<std::io::Result<Vec<f64>>> {
        self.layout.index_of(name).map(|j| self.metric(j))
    }
}

impl Columns for ScenarioRows {
    fn replications(&self) -> usize {
        self.rows.replications()
    }

    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        self.rows.metric(j)
    }

    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        self.rows.series(j)
    }
}

/// Where the rows of one of the compared scenarios go: `stores` scenarios' rows are held
/// at once, so they share the memory budget, and spill to `scratch` beyond it.
pub struct RowsPlace<'p> {
    pub scratch: &'p Path,
    pub stores: usize,
}

/// Runs replications `0..replications` of `s` with `seed` on the current rayon pool (call
/// inside `pool.install`), in blocks so that an interrupt stops at a block boundary.
pub fn run_rows(
    s: &Scenario,
    seed: u64,
    replications: u64,
    place: RowsPlace<'_>,
    tick: &(dyn Fn() + Sync),
) -> Result<ScenarioRows> {
    let mut run = ScenarioRun::new(s, replications, place)?;
    let mut first = 0;
    while first < replications {
        let last = (first + BLOCK).min(replications);
        run.run_block(seed, first..last, tick)?;
        first = last;
    }
    run.finish()
}

/// One compared scenario's rows as they are run, block after block: all at once
/// (`run_rows`), or in step with the other scenarios until precision rules hold.
pub struct ScenarioRun<'s> {
    model: Model<'s>,
    rows: RowStore,
}

impl<'s> ScenarioRun<'s> {
    /// Room for at most `replications` rows of `s`.
    pub fn new(s: &'s Scenario, replications: u64, place: RowsPlace<'_>) -> Result<Self> {
        let model = Model::new(s);
        let (m, sl) = (model.layout.len(), model.layout.series_len());
        let rows = RowStore::new_among(place.stores, m, sl, replications as usize, place.scratch)
            .with_context(|| {
            format!("cannot create scratch space {}", place.scratch.display())
        })?;
        Ok(ScenarioRun { model, rows })
    }

    pub fn layout(&self) -> &MetricLayout {
        &self.model.layout
    }

    /// Runs the replications `range` (the next ones; call inside `pool.install`), keeps
    /// their rows, and returns the block's metrics, row-major.
    pub fn run_block(
        &mut self,
        seed: u64,
        range: std::ops::Range<u64>,
        tick: &(dyn Fn() + Sync),
    ) -> Result<Vec<f64>> {
        interrupt::check("before completion")?;
        let first = range.start;
        let block = run_block(&self.model, seed, range, tick);
        interrupt::check("before completion")?;
        block.check_finite(&self.model.layout, first)?;
        self.rows.push(block.count, &block.metrics, &block.series)?;
        Ok(block.metrics)
    }

    pub fn finish(mut self) -> Result<ScenarioRows> {
        self.rows.seal()?;
        Ok(ScenarioRows {
            name: self.model.scenario.name.clone(),
            layout: self.model.layout,
            rows: self.rows,
        })
    }
}

/// Paired statistics of `b − a` over replications.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedDiff {
    pub mean_a: f64,
    pub mean_b: f64,
    /// Mean of the per-replication differences `b[r] − a[r]`.
    pub mean_diff: f64,
    pub sd_diff: f64,
    /// `mean_diff ∓ Z95 · sd_diff / √n`.
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Fraction of replications where `b[r] > a[r]`.
    pub p_b_greater: f64,
}

/// Paired difference of two columns of the same replications.
pub fn paired_diff(a: &[f64], b: &[f64]) -> PairedDiff {
    assert_eq!(a.len(), b.len(), "paired columns of different lengths");
    assert!(
        a.len() >= 2,
        "a paired interval needs at least two replications"
    );
    let n = a.len() as f64;
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let mean_diff = mean(&d);
    let sd_diff = sd(&d, mean_diff)
        .expect("sd is defined from two values, and the assert above checked two or more");
    let half = Z95 * sd_diff / n.sqrt();
    PairedDiff {
        mean_a: mean(a),
        mean_b: mean(b),
        mean_diff,
        sd_diff,
        ci95_low: mean_diff - half,
        ci95_high: mean_diff + half,
        p_b_greater: a.iter().zip(b).filter(|(x, y)| y > x).count() as f64 / n,
    }
}

/// One metric of scenario `b` against scenario `a`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricComparison {
    pub metric: String,
    pub diff: PairedDiff,
}

/// One target of scenario `b` against scenario `a`: the probabilities and the paired
/// interval of their change (from the per-replication attained indicators).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetComparison {
    pub target: String,
    pub label: String,
    pub probability_a: f64,
    pub probability_b: f64,
    pub change: f64,
    pub change_ci95_low: f64,
    pub change_ci95_high: f64,
}

/// Scenario `b` against scenario `a`, metric by metric and target by target.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub scenario_a: String,
    pub scenario_b: String,
    /// Metrics present in both scenarios (matched by name), in `a`'s order.
    pub metrics: Vec<MetricComparison>,
    /// Targets present in both (matched by id), in `a`'s order; each scenario's own
    /// comparator decides attainment.
    pub targets: Vec<TargetComparison>,
}

impl Comparison {
    pub fn metric(&self, name: &str) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.metric == name)
    }
}

/// Compares `b` with `a`; both must hold the same replications of the same seed. An error
/// reading their rows back (spilled to scratch files) is returned.
pub fn compare(
    sa: &Scenario,
    a: &ScenarioRows,
    sb: &Scenario,
    b: &ScenarioRows,
) -> std::io::Result<Comparison> {
    assert_eq!(
        a.replications(),
        b.replications(),
        "compared scenarios ran different replication counts"
    );
    let metrics = a
        .layout
        .names
        .iter()
        .enumerate()
        .filter_map(|(ja, name)| {
            let jb = b.layout.index_of(name)?;
            Some((|| {
                Ok(MetricComparison {
                    metric: name.clone(),
                    diff: paired_diff(&a.metric(ja)?, &b.metric(jb)?),
                })
            })())
        })
        .collect::<std::io::Result<_>>()?;
    let attained = |s: &Scenario, rows: &ScenarioRows, k: usize| -> std::io::Result<Vec<f64>> {
        let t = &s.targets[k];
        Ok(rows
            .metric(rows.layout.target + k)?
            .iter()
            .map(|v| f64::from(u8::from(t.comparator.attained(*v))))
            .collect())
    };
    let targets = sa
        .targets
        .iter()
        .enumerate()
        .filter_map(|(ka, t)| {
            let kb = sb.targets.iter().position(|u| u.id == t.id)?;
            let d = match (attained(sa, a, ka), attained(sb, b, kb)) {
                (Ok(x), Ok(y)) => paired_diff(&x, &y),
                (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
            };
            Some(Ok(TargetComparison {
                target: t.id.clone(),
                label: t.label.clone(),
                probability_a: d.mean_a,
                probability_b: d.mean_b,
                change: d.mean_diff,
                change_ci95_low: d.ci95_low,
                change_ci95_high: d.ci95_high,
            }))
        })
        .collect::<std::io::Result<_>>()?;
    Ok(Comparison {
        scenario_a: a.name.clone(),
        scenario_b: b.name.clone(),
        metrics,
        targets,
    })
}

/// `comparison.csv`: one row per (pair, metric).
pub fn write_metrics_csv<W: Write>(w: W, comparisons: &[Comparison]) -> csv::Result<()> {
    let header = [
        "metric",
        "mean_a",
        "mean_b",
        "mean_diff",
        "diff_ci95_low",
        "diff_ci95_high",
        "p_b_greater",
    ];
    write_pair_rows(w, &header, comparisons, |c| {
        c.metrics
            .iter()
            .map(|m| {
                let d = &m.diff;
                vec![
                    m.metric.clone(),
                    num(d.mean_a),
                    num(d.mean_b),
                    num(d.mean_diff),
                    num(d.ci95_low),
                    num(d.ci95_high),
                    num(d.p_b_greater),
                ]
            })
            .collect()
    })
}

/// `comparison_targets.csv`: one row per (pair, target).
pub fn write_targets_csv<W: Write>(w: W, comparisons: &[Comparison]) -> csv::Result<()> {
    let header = [
        "target",
        "label",
        "probability_a",
        "probability_b",
        "change",
        "change_ci95_low",
        "change_ci95_high",
    ];
    write_pair_rows(w, &header, comparisons, |c| {
        c.targets
            .iter()
            .map(|t| {
                vec![
                    t.target.clone(),
                    t.label.clone(),
                    num(t.probability_a),
                    num(t.probability_b),
                    num(t.change),
                    num(t.change_ci95_low),
                    num(t.change_ci95_high),
                ]
            })
            .collect()
    })
}

/// A comparison CSV: `scenario_a`, `scenario_b` and `header`, then each pair's `rows`,
/// every one after the pair's two names.
fn write_pair_rows<W: Write>(
    w: W,
    header: &[&str],
    comparisons: &[Comparison],
    rows: impl Fn(&Comparison) -> Vec<Vec<String>>,
) -> csv::Result<()> {
    let mut out = csv_writer(w);
    out.write_record(["scenario_a", "scenario_b"].iter().chain(header))?;
    for c in comparisons {
        for row in rows(c) {
            let pair = [c.scenario_a.clone(), c.scenario_b.clone()];
            out.write_record(pair.into_iter().chain(row))?;
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_columns_give_a_zero_width_interval() {
        let a = [1.0, 5.0, 2.5, 7.0];
        let d = paired_diff(&a, &a);
        assert_eq!((d.mean_diff, d.ci95_low, d.ci95_high), (0.0, 0.0, 0.0));
        assert_eq!(d.p_b_greater, 0.0);
    }

    #[test]
    fn paired_interval_is_mean_plus_minus_z_sd_over_root_n() {
        let a = [0.0, 0.0, 0.0, 0.0];
        let b = [1.0, 3.0, 1.0, 3.0];
        let d = paired_diff(&a, &b);
        assert_eq!(d.mean_diff, 2.0);
        let sd = (4.0f64 / 3.0).sqrt();
        assert!((d.ci95_high - (2.0 + Z95 * sd / 2.0)).abs() < 1e-12);
        assert_eq!(d.p_b_greater, 1.0);
    }
}
