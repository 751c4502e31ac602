//! A batch job: a scenario's replications (or one shard of them) run in blocks, streamed
//! to disk in replication order, summarised, and written to a run folder.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::engine::events::ModelEvents;
use crate::engine::params::ParameterLayout;
use crate::engine::Model;
use crate::error::Error;
use crate::footprint::{self, Shape};
use crate::interrupt;
use crate::metrics::MetricLayout;
use crate::montecarlo::{run_block, Block};
use crate::output::manifest::{Execution, Manifest, ScenarioFile, ENGINE, ENGINE_VERSION};
use crate::output::rundir::{OutputError, Progress, RunDir};
use crate::output::tables;
use crate::rows::RowStore;
use crate::scenario::LoadedScenario;
use crate::shard::Shard;
use crate::stats::{self, Statistics};

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
    pub seams: Seams,
}

/// Test seams (environment, undocumented for users): `POLICYSIM_BLOCK=n` sets the block
/// size (the rows do not depend on it), `POLICYSIM_STOP_AFTER_BLOCKS=n` raises the
/// interrupt flag after `n` blocks, as a signal would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seams {
    pub block: u64,
    pub stop_after_blocks: Option<u64>,
}

impl Seams {
    pub fn from_env() -> Result<Seams, Error> {
        use crate::cli::limits::{env_seam, MAX_BLOCK};
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
    let block_size = spec.seams.block;
    let stop_after = spec.seams.stop_after_blocks;
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
    };

    let param_layout = ParameterLayout::new(s);
    let Opened {
        mut dir,
        mut rep_csv,
        mut series_csv,
        mut param_csv,
        mut store,
        mut param_store,
        mut progress,
    } = if spec.resume {
        reopen(spec, layout, &param_layout, range.clone(), progress)?
    } else {
        open(spec, layout, &param_layout, count, progress)?
    };

    let bar = progress_bar(count, spec.quiet, &format!("{} seed {}", s.name, spec.seed));
    bar.set_position(progress.completed);
    let done = AtomicU64::new(progress.completed);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    };
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
        while first < range.end && !interrupt::requested() {
            let last = (first + block_size).min(range.end);
            let block = pool.install(|| run_block(&model, spec.seed, first..last, &tick));
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
    if progress.completed < reached {
        bar.abandon();
        return Err(dir.stopped(progress.completed, count).into());
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
        working_dir: spec.working_dir.clone(),
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
    let firms = footprint::firms_per_replication(s);
    let estimate = footprint::estimate(firms, shape, &spec.out, || {
        pool.install(|| footprint::csv_bytes_per_replication(model, spec.seed, range.clone()))
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

/// A run folder open for its rows: the row files, the stores and the checkpoint.
struct Opened {
    dir: RunDir,
    rep_csv: BufWriter<File>,
    series_csv: BufWriter<File>,
    param_csv: BufWriter<File>,
    store: RowStore,
    param_store: RowStore,
    progress: Progress,
}

/// Claims the folder of a new run and writes its headers and first checkpoint.
fn open(
    spec: &JobSpec,
    layout: &MetricLayout,
    params: &ParameterLayout,
    count: u64,
    mut progress: Progress,
) -> Result<Opened> {
    let mut dir = RunDir::prepare(&spec.out, spec.force)?;
    let mut rep_csv = dir.create("replications.csv")?;
    tables::write_header(&mut rep_csv, &tables::replication_header(layout))?;
    let mut series_csv = dir.create("series.csv")?;
    tables::write_header(&mut series_csv, &tables::series_header(layout))?;
    let mut param_csv = dir.create("parameters.csv")?;
    tables::write_header(&mut param_csv, &tables::parameter_header(params))?;
    let store = row_store(&dir, layout, count)?;
    let param_store = parameter_store(&dir, params, count)?;
    let mut files = [&mut rep_csv, &mut series_csv, &mut param_csv];
    checkpoint(&dir, &mut files, &mut progress)?;
    Ok(Opened {
        dir,
        rep_csv,
        series_csv,
        param_csv,
        store,
        param_store,
        progress,
    })
}

/// Re-opens the folder of the interrupted run `expected` describes: its row files cut
/// to the checkpoint, and the rows they hold read back into the stores.
fn reopen(
    spec: &JobSpec,
    layout: &MetricLayout,
    params: &ParameterLayout,
    range: std::ops::Range<u64>,
    expected: Progress,
) -> Result<Opened> {
    let saved = check_resumable(&spec.out, &expected)?;
    let mut dir = RunDir::reopen(&spec.out, &ROW_FILES);
    let rep_csv = dir.append("replications.csv", saved.replications_bytes)?;
    let series_csv = dir.append("series.csv", saved.series_bytes)?;
    let param_csv = dir.append("parameters.csv", saved.parameters_bytes)?;
    let count = range.end - range.start;
    let mut store = row_store(&dir, layout, count)?;
    let mut param_store = parameter_store(&dir, params, count)?;
    let reader =
        |name: &str, header: &[String]| tables::RowReader::open(&dir.temp_path(name), header);
    let mut reps = reader("replications.csv", &tables::replication_header(layout))?;
    let mut series = reader("series.csv", &tables::series_header(layout))?;
    let mut drawn = reader("parameters.csv", &tables::parameter_header(params))?;
    let (mut metrics, mut values, mut parameters) = (Vec::new(), Vec::new(), Vec::new());
    let (mut first, end) = (range.start, range.start + saved.completed);
    while first < end {
        interrupt::check("while reading the checkpointed rows")?;
        let n = (end - first).min(spec.seams.block) as usize;
        metrics.clear();
        values.clear();
        parameters.clear();
        reps.read_rows(first, n, &mut metrics)?;
        series.read_rows(first, n, &mut values)?;
        drawn.read_rows(first, n, &mut parameters)?;
        store.push(n, &metrics, &values)?;
        param_store.push(n, &parameters, &[])?;
        first += n as u64;
    }
    reps.finish()?;
    series.finish()?;
    drawn.finish()?;
    // The path and folder as this resume names them; the rest as the checkpoint says.
    let progress = Progress {
        scenario_path: expected.scenario_path,
        working_dir: expected.working_dir,
        ..saved
    };
    Ok(Opened {
        dir,
        rep_csv,
        series_csv,
        param_csv,
        store,
        param_store,
        progress,
    })
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
    /// The folder the scenario path is relative to.
    pub working_dir: Option<String>,
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
    // The statistics pass skips its remaining columns once a stop is asked for.
    if interrupt::requested() {
        let n = record.replication_count;
        return Err(dir.stopped(n, n).into());
    }
    let manifest = write_run_files(&mut dir, loaded, scenario_path, &stats, &tornado, record)?;
    dir.commit()?;
    Ok(JobResult { stats, manifest })
}

/// The checkpoint of the interrupted run in `dir`, if it is the run `expected` describes
/// (scenario hash, seed, replications, shard, engine version; `completed` and the byte
/// counts aside).
fn check_resumable(dir: &Path, expected: &Progress) -> Result<Progress, Error> {
    let refuse = |reason: String| resume_refused(dir, &reason);
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
        return Err(mismatch(what, theirs, ours));
    }
    for name in ROW_FILES {
        let path = dir.join(format!(".{name}.partial"));
        if !path.exists() {
            return Err(refuse(format!("{} is missing", path.display())));
        }
    }
    Ok(saved)
}

/// The checkpoint of the interrupted run in `dir` (exit code 2 if there is none).
pub fn read_progress(dir: &Path) -> Result<Progress, Error> {
    let refuse = |reason: String| resume_refused(dir, &reason);
    match RunDir::read_progress(dir) {
        Ok(Some(p)) => Ok(p),
        Ok(None) if dir.join("manifest.json").exists() => Err(refuse(
            "it holds a complete run, not an interrupted one".into(),
        )),
        Ok(None) => Err(refuse(format!(
            "no checkpoint ({}) there: nothing to resume",
            crate::output::rundir::PROGRESS_FILE
        ))),
        Err(e) => Err(refuse(format!("unreadable checkpoint: {e}"))),
    }
}

/// Why the run folder `dir` cannot be resumed as asked: bad input (exit code 2).
fn resume_refused(dir: &Path, reason: &str) -> Error {
    Error::bad_input(format!("cannot resume {}: {reason}", dir.display()))
}

/// The folder a command was started in: relative scenario paths in checkpoints and
/// manifests are relative to it.
pub fn working_dir() -> Option<String> {
    std::env::current_dir()
        .ok()
        .map(|d| d.display().to_string())
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

/// The store of `count` replications' rows for the statistics pass, spilling (if it must)
/// to a scratch file of the run folder.
pub(crate) fn row_store(dir: &RunDir, layout: &MetricLayout, count: u64) -> Result<RowStore> {
    let scratch = dir.temp_path("rows.scratch");
    interrupt::remove_on_abort(&scratch);
    RowStore::new(layout.len(), layout.series_len(), count as usize, &scratch)
        .with_context(|| format!("cannot create scratch space in {}", dir.dir.display()))
}

/// The store of `count` replications' parameter rows (see `row_store`).
pub(crate) fn parameter_store(
    dir: &RunDir,
    params: &ParameterLayout,
    count: u64,
) -> Result<RowStore> {
    let scratch = dir.temp_path("parameters.scratch");
    interrupt::remove_on_abort(&scratch);
    RowStore::new(params.len(), 0, count as usize, &scratch)
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
    crate::output::workbook::write_run_workbook(dir, &loaded.scenario, record.seed)?;

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
        crate::output::workbook::FILE,
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
        working_dir: record.working_dir,
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
        shard: record.shard,
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
