//! Many replications in parallel, rows back in replication order.
//!
//! Replication `r` depends only on (scenario, seed, r): its streams are keyed by them
//! (see `engine::stream`), so the rows are the same whatever the thread count, the block
//! size or the shard a replication runs in.

use std::ops::Range;

use rayon::prelude::*;

use crate::engine::events::ModelEvents;
use crate::engine::{Model, Replication};

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
    /// Events the event loop processed, summed over the block.
    pub events: u64,
    /// The model's dated changes of state, summed over the block.
    pub model_events: ModelEvents,
}

/// Runs replications `reps` on the current rayon pool; `tick` is called as each finishes.
pub fn run_block(
    model: &Model<'_>,
    seed: u64,
    reps: Range<u64>,
    tick: &(dyn Fn() + Sync),
) -> Block {
    let count = (reps.end - reps.start) as usize;
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
            WORKING_MEMORY.with_borrow_mut(|rep| {
                rep.run(model, seed, reps.start + i as u64, row, ser);
                tick();
                (rep.events, rep.model_events)
            })
        })
        .reduce(
            || (0, ModelEvents::default()),
            |a, b| (a.0 + b.0, a.1 + b.1),
        );
    Block {
        count,
        metrics,
        series,
        events,
        model_events,
    }
}
