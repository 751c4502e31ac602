//! From replication rows to the numbers users read: metric summaries, target attainment,
//! budget exposure and monthly bands. Every statistic is computed from whole columns in
//! replication order, so a run split into shards and merged gives the same bytes.

pub mod quantile;
pub mod wilson;

/// The normal quantile of a two-sided 95 % interval: Wilson intervals, paired
/// differences and precision rules all use this one.
pub const Z95: f64 = 1.959_963_984_540_054;

use quantile::{mean, sd, OrderStatistics};
use wilson::wilson_interval;

use crate::metrics::MetricLayout;
use crate::scenario::types::{Comparator, Overflow, Scenario};

/// Access to the replication values of one metric or one series month at a time, in
/// replication order.
/// Reading may fail where the rows are spilled to a scratch file (`RowStore`).
pub trait Columns {
    fn replications(&self) -> usize;
    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>>;
    fn series(&self, j: usize) -> std::io::Result<Vec<f64>>;
}

/// Columns that read as a single zero once a stop is asked for.
struct Stoppable<'c>(&'c (dyn Columns + Sync));

impl Columns for Stoppable<'_> {
    fn replications(&self) -> usize {
        self.0.replications()
    }

    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        if crate::interrupt::requested() {
            return Ok(vec![0.0]);
        }
        self.0.metric(j)
    }

    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        if crate::interrupt::requested() {
            return Ok(vec![0.0]);
        }
        self.0.series(j)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSummary {
    pub name: String,
    pub mean: f64,
    /// The sample standard deviation and the mean's Monte Carlo standard error; none
    /// with fewer than two replications.
    pub sd: Option<f64>,
    pub mcse: Option<f64>,
    pub min: f64,
    /// p05, p25, p50, p75, p90, p95, p99.
    pub quantiles: [f64; 7],
    pub max: f64,
    /// Mean of the worst ⌈5 %·n⌉ values (expected shortfall at 95 %).
    pub cvar95: f64,
}

pub const SUMMARY_QUANTILES: [f64; 7] = [0.05, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99];

impl MetricSummary {
    pub fn of(name: &str, values: &[f64]) -> MetricSummary {
        let o = OrderStatistics::new(values, &SUMMARY_QUANTILES, Some(0.95));
        let m = mean(values);
        let sd = sd(values, m);
        MetricSummary {
            name: name.to_string(),
            mean: m,
            sd,
            mcse: sd.map(|sd| sd / (values.len() as f64).sqrt()),
            min: o.min(),
            quantiles: SUMMARY_QUANTILES.map(|p| o.quantile(p)),
            max: o.max(),
            cvar95: o.expected_shortfall(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetSummary {
    pub id: String,
    pub label: String,
    pub metric: String,
    pub window: String,
    pub comparator: Comparator,
    pub threshold: f64,
    pub attained: u64,
    pub probability: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub mean: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    /// In a run from actuals, whether the target was simulated, or closed by the as-of
    /// date and observed or unknown (`Statistics::mark_targets`); `None` in a plain run.
    /// The statistics of an unknown target are not reported.
    pub status: Option<crate::actuals::TargetStatus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetRow {
    pub line: String,
    pub label: String,
    pub year: i32,
    pub overflow: &'static str,
    pub appropriation: Option<f64>,
    pub mean_demand: f64,
    pub mean_outlay: f64,
    pub p50_outlay: f64,
    pub p95_outlay: f64,
    /// P(demand > appropriation), E[max(demand − appropriation, 0)]: `None` without one.
    pub p_exceed: Option<f64>,
    pub expected_overrun: Option<f64>,
    pub cvar95_demand: f64,
    pub mean_carried_over: f64,
    /// In a run from actuals: the ledger's part of the year and the simulated rest.
    pub ledger: Option<LedgerPart>,
}

/// A budget line-year of a run from actuals, split at the as-of date.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LedgerPart {
    /// What the ledger paid (the same in every replication).
    pub paid_to_date: f64,
    /// Mean demand and outlay from the as-of date on.
    pub mean_remaining_demand: f64,
    pub mean_remaining_outlay: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesBand {
    pub series: String,
    pub month: String,
    pub mean: f64,
    /// p05, p25, p50, p75, p95.
    pub quantiles: [f64; 5],
}

pub const BAND_QUANTILES: [f64; 5] = [0.05, 0.25, 0.50, 0.75, 0.95];

/// Everything a run reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    pub replications: usize,
    pub metrics: Vec<MetricSummary>,
    pub targets: Vec<TargetSummary>,
    pub budget: Vec<BudgetRow>,
    pub series: Vec<SeriesBand>,
    /// `outlay.total` of every replication, in order (for the report's histogram).
    pub outlay_total: Vec<f64>,
    /// A run from actuals (docs/model.md, "Runs from actuals"): its files have the
    /// ledger's columns.
    pub from_actuals: bool,
}

/// The statistics of every metric, target, budget line-year and series month.
///
/// Once a stop is asked for (`interrupt::requested`), the columns not yet read stand in
/// as a single zero, so the pass ends quickly; the caller must then discard the result.
/// An error reading the rows back (a spilled scratch file) is returned.
pub fn compute(
    s: &Scenario,
    layout: &MetricLayout,
    cols: &(dyn Columns + Sync),
) -> std::io::Result<Statistics> {
    use rayon::prelude::*;
    let cols = &Stoppable(cols);
    let n = cols.replications();
    let metrics: Vec<MetricSummary> = (0..layout.len())
        .into_par_iter()
        .map(|j| Ok(MetricSummary::of(&layout.names[j], &cols.metric(j)?)))
        .collect::<std::io::Result<_>>()?;

    let targets = target_summaries(s, layout, cols, &metrics)?;
    let budget = budget_rows(s, layout, cols)?;
    let series = series_bands(layout, cols)?;

    Ok(Statistics {
        replications: n,
        metrics,
        targets,
        budget,
        series,
        outlay_total: cols.metric(layout.outlay_total)?,
        from_actuals: layout.ledger.is_some(),
    })
}

/// Each target's attainment: count, probability and its Wilson interval, beside its
/// metric's summary.
fn target_summaries(
    s: &Scenario,
    layout: &MetricLayout,
    cols: &(dyn Columns + Sync),
    metrics: &[MetricSummary],
) -> std::io::Result<Vec<TargetSummary>> {
    let n = cols.replications();
    s.targets
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let values = cols.metric(layout.target + k)?;
            let attained = values.iter().filter(|v| t.comparator.attained(**v)).count() as u64;
            let (ci_low, ci_high) = wilson_interval(attained, n as u64, Z95);
            let sum = &metrics[layout.target + k];
            Ok(TargetSummary {
                id: t.id.clone(),
                label: t.label.clone(),
                metric: t.metric_name.clone(),
                window: t.window_label.clone(),
                comparator: t.comparator,
                threshold: t.comparator.threshold(),
                attained,
                probability: attained as f64 / n as f64,
                ci_low,
                ci_high,
                mean: sum.mean,
                p05: sum.quantiles[0],
                p50: sum.quantiles[2],
                p95: sum.quantiles[5],
                status: layout
                    .ledger
                    .map(|_| crate::actuals::TargetStatus::Simulated),
            })
        })
        .collect::<std::io::Result<_>>()
}

/// budget.csv's rows: each budget line-year's demand against its appropriation.
fn budget_rows(
    s: &Scenario,
    layout: &MetricLayout,
    cols: &(dyn Columns + Sync),
) -> std::io::Result<Vec<BudgetRow>> {
    use rayon::prelude::*;
    let n = cols.replications();
    // Line-years in parallel (each sorts two columns), collected in their order.
    let budgeted = s.budget_years();
    let line_years: Vec<(usize, usize, i32)> = s
        .budget_lines
        .iter()
        .enumerate()
        .flat_map(|(l, _)| s.years().enumerate().map(move |(k, year)| (l, k, year)))
        .filter(|&(_, _, year)| budgeted.contains(&year))
        .collect();
    line_years
        .into_par_iter()
        .map(|(l, k, year)| {
            let line = &s.budget_lines[l];
            let demand = cols.metric(layout.demand_line_year + layout.line_year(l, k))?;
            let outlay = cols.metric(layout.outlay_line_year + layout.line_year(l, k))?;
            let carried = cols.metric(layout.carried_line_year + layout.line_year(l, k))?;
            let appropriation = line.appropriation[k];
            let outlay_ranks = OrderStatistics::new(&outlay, &[0.5, 0.95], None);
            let demand_tail = OrderStatistics::new(&demand, &[], Some(0.95));
            Ok(BudgetRow {
                line: line.id.clone(),
                label: line.label.clone(),
                year,
                overflow: if appropriation.is_some() {
                    line.overflow.name()
                } else {
                    Overflow::None.name()
                },
                appropriation,
                mean_demand: mean(&demand),
                mean_outlay: mean(&outlay),
                p50_outlay: outlay_ranks.quantile(0.5),
                p95_outlay: outlay_ranks.quantile(0.95),
                p_exceed: appropriation
                    .map(|a| demand.iter().filter(|d| **d > a).count() as f64 / n as f64),
                expected_overrun: appropriation
                    .map(|a| mean(&demand.iter().map(|d| (d - a).max(0.0)).collect::<Vec<_>>())),
                cvar95_demand: demand_tail.expected_shortfall(),
                mean_carried_over: mean(&carried),
                ledger: layout
                    .ledger
                    .map(|b| -> std::io::Result<LedgerPart> {
                        let at = layout.line_year(l, k);
                        let section = layout.outlay_line_year - layout.outlay_total + at;
                        let paid = cols.metric(b.actual + section)?;
                        Ok(LedgerPart {
                            paid_to_date: paid.first().copied().unwrap_or(0.0),
                            mean_remaining_demand: mean(
                                &cols.metric(b.demand_remaining_line_year + at)?,
                            ),
                            mean_remaining_outlay: mean(&cols.metric(b.remaining + section)?),
                        })
                    })
                    .transpose()?,
            })
        })
        .collect::<std::io::Result<_>>()
}

/// The bands of every series month: mean and `BAND_QUANTILES`.
fn series_bands(
    layout: &MetricLayout,
    cols: &(dyn Columns + Sync),
) -> std::io::Result<Vec<SeriesBand>> {
    use rayon::prelude::*;
    (0..layout.series_len())
        .into_par_iter()
        .map(|j| {
            let values = cols.series(j)?;
            let o = OrderStatistics::new(&values, &BAND_QUANTILES, None);
            Ok(SeriesBand {
                series: layout.series_names[j / layout.months].to_string(),
                month: layout.month_labels[j % layout.months].clone(),
                mean: mean(&values),
                quantiles: BAND_QUANTILES.map(|p| o.quantile(p)),
            })
        })
        .collect::<std::io::Result<_>>()
}

impl Statistics {
    /// Marks each target of a run from actuals as `ledger` has it: simulated, observed
    /// (its rows hold the observed value) or unknown.
    pub fn mark_targets(&mut self, ledger: &crate::actuals::Ledger) {
        for (t, status) in self.targets.iter_mut().zip(&ledger.targets) {
            t.status = Some(*status);
            // An observed value is the same in every replication: its probability (0 or
            // 1) carries no Monte Carlo error.
            if let crate::actuals::TargetStatus::Observed(..) = status {
                t.ci_low = t.probability;
                t.ci_high = t.probability;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_replication_has_no_sd_or_mcse() {
        let one = MetricSummary::of("outlay.total", &[5.0]);
        assert_eq!((one.mean, one.sd, one.mcse), (5.0, None, None));
        let two = MetricSummary::of("outlay.total", &[1.0, 3.0]);
        assert_eq!(two.sd, Some(2f64.sqrt()));
        assert_eq!(two.mcse, Some(1.0));
    }
}
