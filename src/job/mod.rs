//! A batch job: a scenario's replications (or one shard of them) run in blocks, streamed
//! to disk in replication order, summarised, and written to a run folder.
//!
//! `run` resolves what the job needs and opens its folder (`open`: a new folder, or the
//! interrupted one a resume finishes), runs the replications in blocks (`blocks`), and
//! ends with the statistics pass and the summary files (`finish`, shared with `merge`).

mod blocks;
mod finish;
mod open;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::actuals::AsOfRun;
use crate::engine::events::ModelEvents;
use crate::engine::params::ParameterLayout;
use crate::engine::Model;
use crate::error::Error;
use crate::footprint::{self, Shape};
use crate::output::manifest::Manifest;
use crate::output::manifest::ENGINE_VERSION;
use crate::output::rowfile::RowFormat;
use crate::output::rundir::Progress;
use crate::scenario::LoadedScenario;
use crate::shard::Shard;
use crate::stats::Statistics;
use open::Opened;

pub use finish::sha256_file;
pub(crate) use finish::{finish, Rows, RunRecord, Started};
pub use open::read_progress;
pub(crate) use open::{parameter_store, row_store};

pub use crate::montecarlo::BLOCK;

/// A job as resolved from the command line, the environment and (for a resume) the
/// checkpoint: everything `run` needs besides the scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub replications: u64,
    pub seed: u64,
    pub threads: usize,
    pub shard: Option<Shard>,
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
    /// Finish the interrupted run in `out` from its checkpoint.
    pub resume: bool,
    /// Stop at the first block boundary where every rule holds (`replications` is then
    /// the most to run); not with a shard or resume.
    pub precision: Vec<crate::precision::Rule>,
    /// The folder the scenario path is relative to (recorded in the checkpoint and the
    /// manifest, so that `--resume`, `merge` and `verify` work from anywhere).
    pub working_dir: Option<String>,
    /// A run from actuals: loaded and validated once, before any work.
    pub actuals: Option<Arc<AsOfRun>>,
    pub seams: Seams,
    /// The format of the finished row files.
    pub rows: RowFormat,
}

/// Test seams (environment, undocumented for users): `POLICYSIM_BLOCK=n` sets the block
/// size (the rows do not depend on it), `POLICYSIM_STOP_AFTER_BLOCKS=n` raises the
/// interrupt flag after `n` blocks, as a signal would, `POLICYSIM_TEST_IN_MEMORY_VALUES=n`
/// makes rows of more than `n` values spill to scratch (`rows::set_in_memory_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seams {
    pub block: u64,
    pub stop_after_blocks: Option<u64>,
}

impl Seams {
    pub fn from_env() -> Result<Seams, Error> {
        use crate::cli::limits::{env_seam, MAX_BLOCK};
        if let Some(n) = env_seam("POLICYSIM_TEST_IN_MEMORY_VALUES", 0, u32::MAX as u64)? {
            crate::rows::set_in_memory_limit(n as usize);
        }
        Ok(Seams {
            block: env_seam("POLICYSIM_BLOCK", 1, MAX_BLOCK)?.unwrap_or(BLOCK),
            stop_after_blocks: env_seam("POLICYSIM_STOP_AFTER_BLOCKS", 1, u64::MAX)?,
        })
    }
}

/// What a finished job produced.
pub struct JobResult {
    pub stats: Statistics,
    pub manifest: Manifest,
}

pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Runs a scenario (or one shard of it) and writes its run folder; with `spec.resume`,
/// finishes the interrupted run in `spec.out` from its checkpoint instead.
///
/// After every block the rows are appended to the temporary `replications.csv` and
/// `series.csv`, flushed and fsync'ed, then the checkpoint (`rundir::Progress`) is
/// written, so a run stopped at any point (signal, power loss) can be resumed: the
/// checkpoint counts only rows that are on disk. On SIGINT/SIGTERM the job stops within
/// a replication's time, drops the unfinished block, keeps its temporary files and
/// checkpoint, and returns an interrupted [`Error`]. Any other error removes them.
///
/// Before any of that, what the run will need is estimated and the run refused if this
/// machine cannot hold it (see `footprint`); the estimate heads the terminal output.
pub fn run(loaded: &LoadedScenario, scenario_path: &Path, spec: &JobSpec) -> Result<JobResult> {
    let started = Started::now();
    let s = &loaded.scenario;
    let model = Model::starting(s, spec.actuals.as_deref());
    let layout = &model.layout;
    let range = spec
        .shard
        .map_or(0..spec.replications, |sh| sh.range(spec.replications));
    if range.is_empty() {
        bail!(
            "shard {:?} of {} replications holds no replication",
            spec.shard,
            spec.replications
        );
    }
    let count = range.end - range.start;
    // The pilot runs on the job's own threads, whose working memory the run then reuses.
    let pool = thread_pool(spec.threads)?;
    announce(&model, spec, range.clone(), &pool)?;
    let progress = Progress {
        engine_version: ENGINE_VERSION.into(),
        scenario_path: scenario_path.display().to_string(),
        working_dir: spec.working_dir.clone(),
        scenario_hash: loaded.hash.clone(),
        seed: spec.seed,
        replications: spec.replications,
        shard: spec.shard,
        completed: 0,
        replications_bytes: 0,
        series_bytes: 0,
        parameters_bytes: 0,
        events: 0,
        model_events: ModelEvents::default(),
        actuals: spec.actuals.as_ref().map(|a| a.record()),
        rows: spec.rows,
    };

    let param_layout = ParameterLayout::new(s);
    let mut opened = if spec.resume {
        open::reopen(spec, layout, &param_layout, range.clone(), progress)?
    } else {
        open::open(spec, layout, &param_layout, count, progress)?
    };

    let bar = progress_bar(count, spec.quiet, &format!("{} seed {}", s.name, spec.seed));
    let reached = blocks::run_blocks(
        &model,
        spec,
        range.clone(),
        &pool,
        &param_layout,
        &mut opened,
        &bar,
    )?;
    let Opened {
        mut dir,
        files,
        store,
        param_store,
        progress,
    } = opened;
    if progress.completed < reached.count {
        bar.abandon();
        return Err(dir.stopped(progress.completed, count).into());
    }
    bar.finish_and_clear();
    drop(files);
    // A precision run that stopped early is the run of the count it reached.
    let replications = if reached.count < count {
        reached.count
    } else {
        spec.replications
    };
    let record = RunRecord {
        seed: spec.seed,
        replications,
        first_replication: range.start,
        replication_count: reached.count,
        precision: reached.precision,
        shard: spec.shard,
        threads: spec.threads,
        events: progress.events,
        model_events: progress.model_events,
        started,
        working_dir: spec.working_dir.clone(),
        actuals: spec.actuals.clone(),
        rows: spec.rows,
    };
    let rows = Rows {
        store,
        parameters: param_store,
    };
    finish(dir, loaded, scenario_path, &model, rows, &pool, record)
}

/// What a run will need, refused if this machine cannot hold it, and announced in the
/// run's header.
fn announce(
    model: &Model<'_>,
    spec: &JobSpec,
    range: std::ops::Range<u64>,
    pool: &rayon::ThreadPool,
) -> Result<(), Error> {
    let s = model.scenario;
    let shape = Shape {
        metrics: model.layout.len(),
        series: model.layout.series_len(),
        replications: range.end - range.start,
        threads: spec.threads,
        block: spec.seams.block,
        stores: 1,
        csv_bytes_per_replication: 0,
    };
    let parquet = match spec.rows {
        RowFormat::Csv => 0,
        RowFormat::Parquet => {
            let params = ParameterLayout::new(s).len();
            footprint::parquet_bytes_per_replication(shape.metrics + shape.series + params)
        }
    };
    let firms = footprint::firms_of(model);
    let estimate = footprint::estimate(firms, shape, &spec.out, || {
        let csv =
            pool.install(|| footprint::csv_bytes_per_replication(model, spec.seed, range.clone()));
        csv + parquet
    })?;
    if !spec.quiet {
        eprintln!(
            "policysim: {} seed {}, replications {}..{} -> {}\n  {}",
            s.name,
            spec.seed,
            range.start,
            range.end,
            spec.out.display(),
            estimate.describe()
        );
    }
    Ok(())
}

/// The folder a command was started in: relative scenario paths in checkpoints and
/// manifests are relative to it.
pub fn working_dir() -> Option<String> {
    std::env::current_dir()
        .ok()
        .map(|d| d.display().to_string())
}

/// What a replication calls when it finishes: counts it, from `start` done already, and
/// moves `bar` every 64 (each move takes a lock, so not on every replication).
pub fn ticker(bar: &ProgressBar, start: u64) -> impl Fn() + Sync + '_ {
    let done = std::sync::atomic::AtomicU64::new(start);
    move || {
        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    }
}

pub fn progress_bar(len: u64, quiet: bool, message: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} reps ({per_sec}, eta {eta})",
        )
        .expect("the template is a constant that indicatif parses"),
    );
    bar.set_message(message.to_string());
    bar
}
