//! Many replications in parallel, rows back in replication order.
//!
//! Replication `r` depends only on (scenario, seed, r): its streams are keyed by them
//! (see `engine::stream`), so the rows are the same whatever the thread count, the block
//! size or the shard a replication runs in.

use std::ops::Range;

use rayon::prelude::*;

use crate::engine::events::ModelEvents;
use crate::engine::params::{ParamEntities, ParamValues, ParameterLayout};
use crate::engine::stream::Streams;
use crate::engine::{Model, Replication};
use crate::error::Error;
use crate::metrics::MetricLayout;

/// Replications per block: the unit of streaming, of checkpoints and of the rows in
/// flight at once.
pub const BLOCK: u64 = 2048;

thread_local! {
    static WORKING_MEMORY: std::cell::RefCell<Replication> = std::cell::RefCell::default();
}

/// The rows of a contiguous block of replications, row-major.
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub count: usize,
    /// `count × layout.len()` metric values.
    pub metrics: Vec<f64>,
    /// `count × layout.series_len()` monthly series values.
    pub series: Vec<f64>,
    /// `count × ParameterLayout::len()` values of the parameters drawn once per
    /// replication (the rows of `parameters.csv`).
    pub params: Vec<f64>,
    /// Events the event loop processed, summed over the block.
    pub events: u64,
    /// The model's dated changes of state, summed over the block.
    pub model_events: ModelEvents,
}

impl Block {
    /// The first value of the block that is not a finite number, as bad input naming the
    /// replication and the metric: amounts so large that their sums overflow (or a
    /// parameter that makes one undefined) would otherwise reach every statistic as
    /// infinities and NaN. `first` is the block's first replication.
    pub fn check_finite(&self, layout: &MetricLayout, first: u64) -> Result<(), Error> {
        let (m, sl) = (layout.len(), layout.series_len());
        let metric = self.metrics.iter().position(|v| !v.is_finite());
        let series = self.series.iter().position(|v| !v.is_finite());
        let (row, name, value) = match (metric, series) {
            (Some(k), _) => (k / m, layout.names[k % m].clone(), self.metrics[k]),
            (None, Some(k)) => {
                let j = k % sl;
                let name = format!(
                    "series {} in {}",
                    layout.series_names[j / layout.months],
                    layout.month_labels[j % layout.months]
                );
                (k / sl, name, self.series[k])
            }
            (None, None) => return Ok(()),
        };
        Err(Error::bad_input(format!(
            "replication {}: {name} is {value}, not a finite number: the scenario's amounts, \
             counts or rates are too large for their sums to be represented (the largest \
             number is about 1.8e308); no output was kept. Check the values against their \
             ranges in docs/scenario-format.md",
            first + row as u64
        )))
    }
}

/// Runs replications `reps` on the current rayon pool; `tick` is called as each finishes.
///
/// Once a stop is asked for (`interrupt::requested`), the replications not yet started
/// are skipped and their rows left at zero: the caller must drop such a block.
pub fn run_block(
    model: &Model<'_>,
    seed: u64,
    reps: Range<u64>,
    tick: &(dyn Fn() + Sync),
) -> Block {
    let first = reps.start;
    run_points(
        model,
        seed,
        (reps.end - reps.start) as usize,
        &|i| first + i as u64,
        tick,
    )
}

/// Runs the `count` replications `index(0)`, `index(1)`, ... (ordinary replications, or
/// points of a sensitivity design: `engine::stream::design_point`) on the current rayon
/// pool, rows in that order.
pub fn run_points(
    model: &Model<'_>,
    seed: u64,
    count: usize,
    index: &(dyn Fn(usize) -> u64 + Sync),
    tick: &(dyn Fn() + Sync),
) -> Block {
    let s = model.scenario;
    let m = model.layout.len();
    let sl = model.layout.series_len();
    let mut metrics = vec![0.0; count * m];
    let mut series = vec![0.0; count * sl];
    let (events, model_events) = metrics
        .par_chunks_mut(m)
        .zip(series.par_chunks_mut(sl.max(1)))
        .enumerate()
        .map(|(i, (row, ser))| {
            // Each worker thread keeps one replication's working memory for the whole run,
            // so its buffers grow once, not after every split of the block.
            if crate::interrupt::requested() {
                return (0, ModelEvents::default());
            }
            WORKING_MEMORY.with_borrow_mut(|rep| {
                rep.run(model, seed, index(i), row, ser);
                tick();
                (rep.events, rep.model_events)
            })
        })
        .reduce(
            || (0, ModelEvents::default()),
            |a, b| (a.0 + b.0, a.1 + b.1),
        );
    // The parameters are drawn again from their own streams (a few draws against a
    // replication's thousands) rather than read out of the engine's working memory.
    let layout = ParameterLayout::new(s);
    let entities = ParamEntities::new(s);
    let mut params = Vec::with_capacity(count * layout.len());
    let mut values = ParamValues::default();
    for (i, row) in metrics.chunks_exact(m).enumerate() {
        values.draw(s, &entities, &Streams::new(seed, index(i)));
        layout.push_row(&values, &model.layout, row, &mut params);
    }
    Block {
        count,
        metrics,
        series,
        params,
        events,
        model_events,
    }
}
