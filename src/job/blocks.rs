//! A job's replications run in blocks: the pool simulates one block while a writer
//! thread appends the previous one to the row files and checkpoints it.

use std::ops::Range;

use anyhow::Result;
use indicatif::ProgressBar;

use super::open::{checkpoint, Opened};
use super::JobSpec;
use crate::engine::params::ParameterLayout;
use crate::engine::Model;
use crate::interrupt;
use crate::montecarlo::{run_block, Block};
use crate::output::tables;
use crate::precision::RuleOutcome;

/// How far the blocks went: the replications of the range the run reached (all of them,
/// unless the precision rules held early), and the rules' outcomes.
pub(super) struct Reached {
    pub count: u64,
    pub precision: Vec<RuleOutcome>,
}

/// Runs the replications of `range` not yet in `opened` in blocks on `pool`, appending
/// each block to the row files and stores of `opened` and checkpointing it. Stops early
/// at the first block boundary where every precision rule of `spec` holds, or when a
/// stop is asked for (the rows on disk then fall short of the count reached).
pub(super) fn run_blocks(
    model: &Model<'_>,
    spec: &JobSpec,
    range: Range<u64>,
    pool: &rayon::ThreadPool,
    param_layout: &ParameterLayout,
    opened: &mut Opened,
    bar: &ProgressBar,
) -> Result<Reached> {
    let layout = &model.layout;
    let count = range.end - range.start;
    let block_size = spec.seams.block;
    let stop_after = spec.seams.stop_after_blocks;
    let Opened {
        dir,
        files,
        store,
        param_store,
        progress,
    } = opened;
    bar.set_position(progress.completed);
    let tick = super::ticker(bar, progress.completed);
    // Simulating block k+1 overlaps writing block k: a writer thread formats, appends,
    // fsyncs and checkpoints each block while the pool runs the next. The channel holds
    // one block, so at most three are in memory.
    let (to_writer, blocks_in) = std::sync::mpsc::sync_channel::<(u64, Block)>(1);
    let start = range.start + progress.completed;
    let mut tracker = (!spec.precision.is_empty())
        .then(|| crate::precision::Tracker::new(spec.precision.clone()));
    let mut reached = count;
    let written = std::thread::scope(|scope| -> Result<()> {
        let writer = scope.spawn(|| -> Result<()> {
            for (first, block) in blocks_in {
                block.check_finite(layout, first)?;
                // Formatted on these threads, not the pool: a job queued on the busy pool
                // would wait for the block being simulated, and stall the pipeline. Two
                // threads, so that the last block, which nothing overlaps, takes half as
                // long.
                std::thread::scope(|fmt| -> Result<()> {
                    let series = fmt.spawn(|| -> Result<()> {
                        let w = layout.series_len();
                        tables::write_rows(&mut files.series, first, w, &block.series)?;
                        let (n, w) = (block.count, param_layout.len());
                        tables::write_counted_rows(
                            &mut files.parameters,
                            first,
                            n,
                            w,
                            &block.params,
                        )?;
                        param_store.push(block.count, &block.params, &[])?;
                        Ok(())
                    });
                    tables::write_rows(
                        &mut files.replications,
                        first,
                        layout.len(),
                        &block.metrics,
                    )?;
                    store.push(block.count, &block.metrics, &block.series)?;
                    series.join().expect("formatting does not panic")
                })?;
                progress.events += block.events;
                progress.model_events += block.model_events;
                progress.completed += block.count as u64;
                checkpoint(dir, files, progress)?;
            }
            Ok(())
        });
        let mut first = start;
        let mut blocks = 0u64;
        while first < range.end && !interrupt::requested() {
            let last = (first + block_size).min(range.end);
            let block = pool.install(|| run_block(model, spec.seed, first..last, &tick));
            let precise = tracker
                .as_mut()
                .is_some_and(|t| t.add(&block.metrics, layout.len()));
            // A block cut short by a signal holds unfinished rows: it is dropped, and
            // `--resume` runs it again.
            if interrupt::requested() || to_writer.send((first, block)).is_err() {
                break; // the writer failed; its error is reported below
            }
            first = last;
            if precise {
                reached = last - range.start;
                break;
            }
            blocks += 1;
            if stop_after == Some(blocks) {
                interrupt::request();
            }
        }
        drop(to_writer);
        writer.join().expect("the writer thread does not panic")
    });
    written?;
    Ok(Reached {
        count: reached,
        precision: tracker.map(|t| t.outcomes().to_vec()).unwrap_or_default(),
    })
}
