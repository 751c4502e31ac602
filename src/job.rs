//! A batch job: a scenario's replications (or one shard of them) run in blocks, streamed
//! to disk in replication order, summarised, and written to a run folder.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::engine::events::ModelEvents;
use crate::engine::params::ParameterLayout;
use crate::engine::Model;
use crate::metrics::MetricLayout;
use crate::montecarlo::{run_block, Block};
use crate::output::manifest::{
    Execution, Manifest, ScenarioFile, ShardInfo, ENGINE, ENGINE_VERSION,
};
use crate::output::rundir::{OutputError, Progress, RunDir};
use crate::output::tables;
use crate::rows::RowStore;
use crate::scenario::LoadedScenario;
use crate::stats::{self, Statistics};

/// Replications per block: the unit of streaming and of progress between interrupt checks.
pub const BLOCK: u64 = 2048;

/// Set by the SIGINT/SIGTERM handler; jobs stop at the next block boundary.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// One shard of a run: `index` in 0..count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The contiguous block of replications this shard runs.
    pub fn range(self, replications: u64) -> std::ops::Range<u64> {
        let at = |k: u64| ((k as u128 * replications as u128) / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }
}

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
}

/// What a finished job produced.
pub struct JobResult {
    pub stats: Statistics,
    pub manifest: Manifest,
}

/// The stopped-by-signal error of a job that keeps nothing (exit code 130).
#[derive(Debug, thiserror::Error)]
#[error("interrupted: stopped before completion; no output of this run was kept")]
pub struct Interrupted;

/// A run stopped by a signal (exit code 130): its folder keeps only temporary files and a
/// checkpoint, nothing that looks like a finished output, and `run --resume` finishes it.
#[derive(Debug, thiserror::Error)]
#[error(
    "interrupted after {completed} of {count} replications; no output file was written. \
     Continue with `policysim run --resume {}`, or start again with --force",
    dir.display()
)]
pub struct InterruptedRun {
    pub dir: PathBuf,
    pub completed: u64,
    pub count: u64,
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
/// checkpoint counts only rows that are on disk. On SIGINT/SIGTERM the job stops at the
/// next block boundary, keeps its temporary files and checkpoint, and returns
/// [`Interrupted`]. Any other error removes them.
///
/// Test hooks (environment, undocumented for users): `POLICYSIM_BLOCK=n` sets the block
/// size (the rows do not depend on it), `POLICYSIM_STOP_AFTER_BLOCKS=n` raises the
/// interrupt flag after `n` blocks, as a signal would.
pub fn run(loaded: &LoadedScenario, scenario_path: &Path, spec: &JobSpec) -> Result<JobResult> {
    let started = Started::now();
    let s = &loaded.scenario;
    let model = Model::new(s);
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
    let block_size = env_u64("POLICYSIM_BLOCK")
        .filter(|&b| b > 0)
        .unwrap_or(BLOCK);
    let stop_after = env_u64("POLICYSIM_STOP_AFTER_BLOCKS");
    let mut progress = Progress {
        engine_version: ENGINE_VERSION.into(),
        scenario_path: scenario_path.display().to_string(),
        scenario_hash: loaded.hash.clone(),
        seed: spec.seed,
        replications: spec.replications,
        shard: spec.shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
        }),
        completed: 0,
        replications_bytes: 0,
        series_bytes: 0,
        parameters_bytes: 0,
        events: 0,
        model_events: ModelEvents::default(),
    };

    let rep_header = tables::replication_header(layout);
    let series_header = tables::series_header(layout);
    let param_layout = ParameterLayout::new(s);
    let param_header = tables::parameter_header(&param_layout);
    let (mut dir, mut rep_csv, mut series_csv, mut param_csv);
    let (mut store, mut param_store);
    if spec.resume {
        let saved = check_resumable(&spec.out, &progress)?;
        dir = RunDir::reopen(&spec.out, &ROW_FILES);
        rep_csv = dir.append("replications.csv", saved.replications_bytes)?;
        series_csv = dir.append("series.csv", saved.series_bytes)?;
        param_csv = dir.append("parameters.csv", saved.parameters_bytes)?;
        store = row_store(&dir, layout, count)?;
        param_store = parameter_store(&dir, &param_layout, count)?;
        let mut reps = tables::RowReader::open(&dir.temp_path("replications.csv"), &rep_header)?;
        let mut series = tables::RowReader::open(&dir.temp_path("series.csv"), &series_header)?;
        let mut params = tables::RowReader::open(&dir.temp_path("parameters.csv"), &param_header)?;
        let (mut metrics, mut values, mut drawn) = (Vec::new(), Vec::new(), Vec::new());
        let mut first = range.start;
        while first < range.start + saved.completed {
            let n = (range.start + saved.completed - first).min(block_size) as usize;
            metrics.clear();
            values.clear();
            drawn.clear();
            reps.read_rows(first, n, &mut metrics)?;
            series.read_rows(first, n, &mut values)?;
            params.read_rows(first, n, &mut drawn)?;
            store.push(n, &metrics, &values)?;
            param_store.push(n, &drawn, &[])?;
            first += n as u64;
        }
        reps.finish()?;
        series.finish()?;
        params.finish()?;
        progress = saved;
    } else {
        dir = RunDir::prepare(&spec.out, spec.force)?;
        rep_csv = dir.create("replications.csv")?;
        tables::write_header(&mut rep_csv, &rep_header)?;
        series_csv = dir.create("series.csv")?;
        tables::write_header(&mut series_csv, &series_header)?;
        param_csv = dir.create("parameters.csv")?;
        tables::write_header(&mut param_csv, &param_header)?;
        store = row_store(&dir, layout, count)?;
        param_store = parameter_store(&dir, &param_layout, count)?;
        let mut files = [&mut rep_csv, &mut series_csv, &mut param_csv];
        checkpoint(&dir, &mut files, &mut progress)?;
    }

    let bar = progress_bar(count, spec.quiet, &format!("{} seed {}", s.name, spec.seed));
    bar.set_position(progress.completed);
    let done = AtomicU64::new(progress.completed);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    };
    let pool = thread_pool(spec.threads)?;
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
                // Formatted on this thread, not the pool: a job queued on the busy pool
                // would wait for the block being simulated, and stall the pipeline.
                tables::write_rows(&mut rep_csv, first, layout.len(), &block.metrics)?;
                tables::write_rows(&mut series_csv, first, layout.series_len(), &block.series)?;
                let width = param_layout.len();
                tables::write_counted_rows(
                    &mut param_csv,
                    first,
                    block.count,
                    width,
                    &block.params,
                )?;
                store.push(block.count, &block.metrics, &block.series)?;
                param_store.push(block.count, &block.params, &[])?;
                progress.events += block.events;
                progress.model_events += block.model_events;
                progress.completed += block.count as u64;
                let mut files = [&mut rep_csv, &mut series_csv, &mut param_csv];
                checkpoint(&dir, &mut files, &mut progress)?;
            }
            Ok(())
        });
        let mut first = start;
        let mut blocks = 0u64;
        while first < range.end && !INTERRUPTED.load(Ordering::SeqCst) {
            let last = (first + block_size).min(range.end);
            let block = pool.install(|| run_block(&model, spec.seed, first..last, &tick));
            let precise = tracker
                .as_mut()
                .is_some_and(|t| t.add(&block.metrics, layout.len()));
            if to_writer.send((first, block)).is_err() {
                break; // the writer failed; its error is reported below
            }
            first = last;
            if precise {
                reached = last - range.start;
                break;
            }
            blocks += 1;
            if stop_after == Some(blocks) {
                INTERRUPTED.store(true, Ordering::SeqCst);
            }
        }
        drop(to_writer);
        writer.join().expect("the writer thread does not panic")
    });
    written?;
    if progress.completed < reached {
        bar.abandon();
        dir.keep_for_resume();
        return Err(InterruptedRun {
            dir: spec.out.clone(),
            completed: progress.completed,
            count,
        }
        .into());
    }
    bar.finish_and_clear();
    drop(rep_csv);
    drop(series_csv);
    drop(param_csv);
    // A precision run that stopped early is the run of the count it reached.
    let replications = if reached < count {
        reached
    } else {
        spec.replications
    };
    let record = RunRecord {
        seed: spec.seed,
        replications,
        first_replication: range.start,
        replication_count: reached,
        precision: tracker.map(|t| t.outcomes().to_vec()).unwrap_or_default(),
        shard: spec.shard,
        threads: spec.threads,
        events: progress.events,
        model_events: progress.model_events,
        started,
    };
    let rows = Rows {
        store,
        parameters: param_store,
    };
    finish(dir, loaded, scenario_path, layout, rows, &pool, record)
}

/// The row files of a run folder, in the order `checkpoint` takes them.
pub(crate) const ROW_FILES: [&str; 3] = ["replications.csv", "series.csv", "parameters.csv"];

/// A run's rows for the statistics pass: metrics and series, and the parameters.
pub(crate) struct Rows {
    pub store: RowStore,
    pub parameters: RowStore,
}

/// When a run or merge began: the wall-clock time its manifest reports, and the instant
/// its duration is measured from.
pub(crate) struct Started {
    at: String,
    instant: Instant,
}

impl Started {
    pub(crate) fn now() -> Started {
        Started {
            at: chrono_now(),
            instant: Instant::now(),
        }
    }
}

/// Which replications a run folder holds and how they were made: what its manifest
/// records besides the scenario and the outputs.
pub(crate) struct RunRecord {
    pub seed: u64,
    pub replications: u64,
    pub first_replication: u64,
    pub replication_count: u64,
    pub shard: Option<Shard>,
    pub threads: usize,
    pub events: u64,
    pub model_events: ModelEvents,
    pub precision: Vec<crate::precision::RuleOutcome>,
    pub started: Started,
}

/// The end of a run and of a merge, once every row is in `store` and the row files are
/// written: the statistics pass on `pool`, the summary files, report and manifest, and
/// the folder committed.
pub(crate) fn finish(
    mut dir: RunDir,
    loaded: &LoadedScenario,
    scenario_path: &Path,
    layout: &MetricLayout,
    mut rows: Rows,
    pool: &rayon::ThreadPool,
    record: RunRecord,
) -> Result<JobResult> {
    rows.store.seal()?;
    rows.parameters.seal()?;
    let stats = pool.install(|| stats::compute(&loaded.scenario, layout, &rows.store));
    let tornado = pool.install(|| {
        crate::sensitivity::given_data::outlay_tornado(&loaded.scenario, layout, &rows)
    });
    drop(rows);
    let manifest = write_run_files(&mut dir, loaded, scenario_path, &stats, &tornado, record)?;
    dir.commit()?;
    Ok(JobResult { stats, manifest })
}

/// Why a run folder cannot be resumed as asked: bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot resume {dir}: {reason}")]
pub struct ResumeError {
    pub dir: PathBuf,
    pub reason: String,
}

/// The checkpoint of the interrupted run in `dir`, if it is the run `expected` describes
/// (scenario hash, seed, replications, shard, engine version; `completed` and the byte
/// counts aside).
fn check_resumable(dir: &Path, expected: &Progress) -> Result<Progress> {
    let refuse = |reason: String| ResumeError {
        dir: dir.to_path_buf(),
        reason,
    };
    let saved = read_progress(dir)?;
    let mismatch = |what: &str, theirs: String, ours: String| {
        refuse(format!(
            "its {what} is {theirs}, this run's is {ours}; resume with the same scenario and flags"
        ))
    };
    let pairs = [
        (
            "engine version",
            saved.engine_version.clone(),
            expected.engine_version.clone(),
        ),
        (
            "scenario hash",
            saved.scenario_hash.clone(),
            expected.scenario_hash.clone(),
        ),
        ("seed", saved.seed.to_string(), expected.seed.to_string()),
        (
            "replication count",
            saved.replications.to_string(),
            expected.replications.to_string(),
        ),
        (
            "shard",
            format!("{:?}", saved.shard),
            format!("{:?}", expected.shard),
        ),
    ];
    if let Some((what, theirs, ours)) = pairs.into_iter().find(|(_, a, b)| a != b) {
        return Err(mismatch(what, theirs, ours).into());
    }
    for name in ROW_FILES {
        let path = dir.join(format!(".{name}.partial"));
        if !path.exists() {
            return Err(refuse(format!("{} is missing", path.display())).into());
        }
    }
    Ok(saved)
}

/// The checkpoint of the interrupted run in `dir` (exit code 2 if there is none).
pub fn read_progress(dir: &Path) -> Result<Progress> {
    let refuse = |reason: String| ResumeError {
        dir: dir.to_path_buf(),
        reason,
    };
    match RunDir::read_progress(dir) {
        Ok(Some(p)) => Ok(p),
        Ok(None) if dir.join("manifest.json").exists() => {
            Err(refuse("it holds a complete run, not an interrupted one".into()).into())
        }
        Ok(None) => Err(refuse(format!(
            "no checkpoint ({}) there: nothing to resume",
            crate::output::rundir::PROGRESS_FILE
        ))
        .into()),
        Err(e) => Err(refuse(format!("unreadable checkpoint: {e}")).into()),
    }
}

/// Makes the rows written so far durable, then records them in the checkpoint.
fn checkpoint(
    dir: &RunDir,
    [rep_csv, series_csv, param_csv]: &mut [&mut BufWriter<File>; 3],
    progress: &mut Progress,
) -> Result<()> {
    let durable = |w: &mut BufWriter<File>, name: &str| -> Result<u64> {
        let path = dir.temp_path(name);
        let io = |e: std::io::Error| OutputError::Io(path.clone(), e);
        w.flush().map_err(io)?;
        let file = w.get_ref();
        file.sync_data().map_err(io)?;
        Ok(file.metadata().map_err(io)?.len())
    };
    progress.replications_bytes = durable(rep_csv, "replications.csv")?;
    progress.series_bytes = durable(series_csv, "series.csv")?;
    progress.parameters_bytes = durable(param_csv, "parameters.csv")?;
    dir.write_progress(progress)?;
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The store of `count` replications' rows for the statistics pass, spilling (if it must)
/// to a scratch file of the run folder.
pub(crate) fn row_store(dir: &RunDir, layout: &MetricLayout, count: u64) -> Result<RowStore> {
    RowStore::new(
        layout.len(),
        layout.series_len(),
        count as usize,
        &dir.temp_path("rows.scratch"),
    )
    .with_context(|| format!("cannot create scratch space in {}", dir.dir.display()))
}

/// The store of `count` replications' parameter rows (see `row_store`).
pub(crate) fn parameter_store(
    dir: &RunDir,
    params: &ParameterLayout,
    count: u64,
) -> Result<RowStore> {
    RowStore::new(
        params.len(),
        0,
        count as usize,
        &dir.temp_path("parameters.scratch"),
    )
    .with_context(|| format!("cannot create scratch space in {}", dir.dir.display()))
}

/// Writes the statistics files and the manifest of a run folder whose row files are
/// already written (a run, or a merge of shards).
#[allow(clippy::too_many_arguments)]
fn write_run_files(
    dir: &mut RunDir,
    loaded: &LoadedScenario,
    scenario_path: &Path,
    stats: &Statistics,
    tornado: &[crate::sensitivity::Swing],
    record: RunRecord,
) -> Result<Manifest> {
    tables::write_summary(dir.create("summary.csv")?, stats)?;
    tables::write_targets(dir.create("targets.csv")?, stats)?;
    tables::write_budget(dir.create("budget.csv")?, stats)?;
    tables::write_timeseries(dir.create("timeseries.csv")?, stats)?;
    crate::output::report::write_run_report(dir, &loaded.scenario, stats, tornado, record.seed)?;

    // Hashed in parallel: the row files are most of a run's bytes.
    let outputs = [
        "replications.csv",
        "series.csv",
        "parameters.csv",
        "summary.csv",
        "targets.csv",
        "budget.csv",
        "timeseries.csv",
        "report.html",
    ]
    .par_iter()
    .map(|&name| Ok((name.to_string(), sha256_file(&dir.temp_path(name))?)))
    .collect::<Result<std::collections::BTreeMap<_, _>>>()?;
    let execution = Execution {
        threads: record.threads,
        started_at: record.started.at,
        finished_at: chrono_now(),
        wall_seconds: record.started.instant.elapsed().as_secs_f64(),
        events: record.events,
        model_events: record.model_events,
        precision: record.precision,
    };
    let manifest = Manifest {
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        scenario_name: loaded.scenario.name.clone(),
        scenario_path: scenario_path.display().to_string(),
        scenario_hash: loaded.hash.clone(),
        scenario_files: loaded
            .files
            .iter()
            .map(|f| ScenarioFile {
                path: f.path.display().to_string(),
                sha256: format!("{:x}", Sha256::digest(f.text.as_bytes())),
            })
            .collect(),
        seed: record.seed,
        replications: record.replications,
        first_replication: record.first_replication,
        replication_count: record.replication_count,
        shard: record.shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
        }),
        outputs,
        resolved_scenario: loaded.resolved.clone(),
        execution,
    };
    let mut w = dir.create("manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &manifest)?;
    w.write_all(b"\n")?;
    w.flush()?;
    Ok(manifest)
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
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
        .expect("valid template"),
    );
    bar.set_message(message.to_string());
    bar
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
