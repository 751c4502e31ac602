//! Saltelli's sampling design (Saltelli et al. 2010) run through the ordinary engine.
//!
//! Row `j` of matrices A and B is a replication whose parameters and intrinsic randomness
//! come from two independent stream keys (`engine::stream::design_point`). For every input
//! `i` (each parameter drawn once per replication, then the intrinsic randomness),
//! A_B^i takes input `i` from B and everything else from A. Each row costs
//! (inputs + 2) replications; rows are independent of each other, of the thread count
//! and of the block they run in.

use crate::engine::params::ParameterLayout;
use crate::engine::stream::{design_point, DesignVariant};
use crate::engine::Model;
use crate::metrics::MetricLayout;
use crate::montecarlo::run_points;
use crate::scenario::types::Comparator;
use crate::scenario::Scenario;

/// A metric the analysis explains: a column of the replication row, or a target's
/// attainment indicator (1 when attained, else 0).
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    column: usize,
    attained: Option<Comparator>,
}

impl Metric {
    fn value(&self, row: &[f64]) -> f64 {
        let v = row[self.column];
        match self.attained {
            Some(c) => f64::from(u8::from(c.attained(v))),
            None => v,
        }
    }
}

/// Why a `--metrics` entry names no metric: bad input.
#[derive(Debug, thiserror::Error)]
#[error("unknown metric {0:?} in --metrics: expected a column of replications.csv (e.g. outlay.total, outlay.year.2026) or target.ID:attained")]
pub struct UnknownMetric(pub String);

/// The metrics named in `names`, or by default `outlay.total`, each `outlay.year.*` and
/// every target's attainment indicator.
pub fn metrics(
    s: &Scenario,
    layout: &MetricLayout,
    names: Option<&[String]>,
) -> Result<Vec<Metric>, UnknownMetric> {
    let attained = |id: &str| {
        let t = s.targets.iter().position(|t| t.id == id)?;
        Some(Metric {
            name: format!("target.{id}:attained"),
            column: layout.target + t,
            attained: Some(s.targets[t].comparator),
        })
    };
    let Some(names) = names else {
        let mut out: Vec<Metric> = (0..=layout.years)
            .map(|k| {
                let column = if k == 0 {
                    layout.outlay_total
                } else {
                    layout.outlay_year + k - 1
                };
                Metric {
                    name: layout.names[column].clone(),
                    column,
                    attained: None,
                }
            })
            .collect();
        out.extend(s.targets.iter().filter_map(|t| attained(&t.id)));
        return Ok(out);
    };
    names
        .iter()
        .map(|name| {
            let found = match name
                .strip_prefix("target.")
                .and_then(|r| r.strip_suffix(":attained"))
            {
                Some(id) => attained(id),
                None => layout.index_of(name).map(|column| Metric {
                    name: name.clone(),
                    column,
                    attained: None,
                }),
            };
            found.ok_or_else(|| UnknownMetric(name.clone()))
        })
        .collect()
}

/// The metric values of a design: for each metric, variant (A, B, then A_B^i for each
/// input) and row, plus the parameters of the rows of A and B.
pub struct Evaluations {
    /// The parameters' names (`parameters.csv`), then `sensitivity::INTRINSIC`.
    pub inputs: Vec<String>,
    pub rows: usize,
    pub metrics: Vec<Metric>,
    /// `values[metric][variant * rows + row]`.
    pub values: Vec<Vec<f64>>,
    /// `params[column]`: that parameter's values over A's rows then B's.
    pub params: Vec<Vec<f64>>,
}

impl Evaluations {
    /// The values of `metric` in `variant` (0: A, 1: B, 2 + i: A_B^i).
    pub fn variant(&self, metric: usize, variant: usize) -> &[f64] {
        &self.values[metric][variant * self.rows..(variant + 1) * self.rows]
    }

    /// From a design's points (`Points::table`) over all its rows.
    pub fn new(s: &Scenario, metrics: Vec<Metric>, table: &[f64]) -> Evaluations {
        let params = ParameterLayout::new(s);
        let (k, m) = (params.len(), metrics.len());
        let variants = k + 3;
        let width = m + k;
        let n = table.len() / (width * variants);
        let mut values = vec![vec![0.0; n * variants]; m];
        let (mut a_params, mut b_params) = (vec![Vec::new(); k], vec![Vec::new(); k]);
        for (p, point) in table.chunks_exact(width).enumerate() {
            let (j, v) = (p / variants, p % variants);
            for (out, &x) in values.iter_mut().zip(&point[..m]) {
                out[v * n + j] = x;
            }
            if v < 2 {
                let to = if v == 0 { &mut a_params } else { &mut b_params };
                to.iter_mut()
                    .zip(&point[m..])
                    .for_each(|(col, &x)| col.push(x));
            }
        }
        let mut inputs = params.names;
        inputs.push(super::INTRINSIC.into());
        Evaluations {
            inputs,
            rows: n,
            metrics,
            values,
            params: a_params
                .into_iter()
                .zip(b_params)
                .map(|(mut a, b)| {
                    a.extend(b);
                    a
                })
                .collect(),
        }
    }
}

/// The header of `design.csv`: the point (row × variants + variant), the metrics, then
/// the parameters the point drew.
pub fn header(s: &Scenario, metrics: &[Metric]) -> Vec<String> {
    std::iter::once("point".to_string())
        .chain(metrics.iter().map(|m| m.name.clone()))
        .chain(ParameterLayout::new(s).names)
        .collect()
}

/// Design points per row: A, B and one per input.
pub fn variants(s: &Scenario) -> usize {
    ParameterLayout::new(s).len() + 3
}

/// Rows a block of the design holds: about `job::BLOCK` replications.
fn rows_per_block(variants: usize) -> usize {
    (crate::job::BLOCK as usize / variants).max(1)
}

/// The points of some rows of a design, point-major: each point's metrics, then its
/// parameters.
pub struct Points {
    pub table: Vec<f64>,
    pub events: u64,
}

/// Runs rows `rows` of the design on the current rayon pool.
pub fn run(
    model: &Model<'_>,
    seed: u64,
    rows: std::ops::Range<u64>,
    metrics: &[Metric],
    tick: &(dyn Fn() + Sync),
) -> Points {
    let params = ParameterLayout::new(model.scenario);
    let k = params.len();
    let variants = k + 3;
    let variant = |v: usize| match v {
        0 => DesignVariant::A,
        1 => DesignVariant::B,
        v if v - 2 < k => DesignVariant::Parameter(params.slots[v - 2]),
        _ => DesignVariant::Intrinsic,
    };
    let n = (rows.end - rows.start) as usize;
    let m = model.layout.len();
    let mut table = Vec::with_capacity(n * variants * (metrics.len() + k));
    let mut events = 0;
    let mut first = 0;
    while first < n {
        let count = rows_per_block(variants).min(n - first);
        let row0 = rows.start + first as u64;
        let block = run_points(
            model,
            seed,
            count * variants,
            &|i| design_point(row0 + (i / variants) as u64, variant(i % variants)),
            tick,
        );
        events += block.events;
        for (i, row) in block.metrics.chunks_exact(m).enumerate() {
            table.extend(metrics.iter().map(|metric| metric.value(row)));
            table.extend_from_slice(&block.params[i * k..(i + 1) * k]);
        }
        first += count;
    }
    Points { table, events }
}
