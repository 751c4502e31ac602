//! A batch job: a scenario's replications (or one shard of them) run in blocks, streamed
//! to disk in replication order, summarised, and written to a run folder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::engine::Model;
use crate::montecarlo::run_block;
use crate::output::manifest::{
    Execution, Manifest, ScenarioFile, ShardInfo, ENGINE, ENGINE_VERSION,
};
use crate::output::rundir::RunDir;
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
}

/// What a finished job produced.
pub struct JobResult {
    pub stats: Statistics,
    pub manifest: Manifest,
}

/// The stopped-by-signal error, mapped to exit code 1 with a clear message.
#[derive(Debug, thiserror::Error)]
#[error("interrupted: stopped before completion; no output of this run was kept")]
pub struct Interrupted;

pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("cannot start worker threads")
}

/// Runs a scenario (or one shard of it) and writes its run folder.
pub fn run(loaded: &LoadedScenario, scenario_path: &Path, spec: &JobSpec) -> Result<JobResult> {
    let started = Instant::now();
    let started_at = chrono_now();
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

    let mut dir = RunDir::prepare(&spec.out, spec.force)?;
    let mut rep_csv = tables::csv_writer(dir.create("replications.csv")?);
    rep_csv.write_record(tables::replication_header(layout))?;
    let mut series_csv = tables::csv_writer(dir.create("series.csv")?);
    series_csv.write_record(tables::series_header(layout))?;
    let mut store = RowStore::new(
        layout.len(),
        layout.series_len(),
        count as usize,
        &dir.temp_path("rows.scratch"),
    )
    .with_context(|| format!("cannot create scratch space in {}", spec.out.display()))?;

    let bar = progress_bar(count, spec.quiet, &format!("{} seed {}", s.name, spec.seed));
    let done = AtomicU64::new(0);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    };
    let pool = thread_pool(spec.threads)?;
    let mut events = 0u64;
    let mut first = range.start;
    while first < range.end {
        if INTERRUPTED.load(Ordering::SeqCst) {
            bar.abandon();
            return Err(Interrupted.into());
        }
        let last = (first + BLOCK).min(range.end);
        let block = pool.install(|| run_block(&model, spec.seed, first..last, &tick));
        events += block.events;
        tables::write_rows(&mut rep_csv, first, layout.len(), &block.metrics)?;
        tables::write_rows(&mut series_csv, first, layout.series_len(), &block.series)?;
        store.push(block.count, &block.metrics, &block.series)?;
        first = last;
    }
    bar.finish_and_clear();
    rep_csv.flush()?;
    series_csv.flush()?;
    drop(rep_csv);
    drop(series_csv);
    store.seal()?;

    let stats = pool.install(|| stats::compute(s, layout, &store));
    drop(store);
    let execution = Execution {
        threads: spec.threads,
        started_at,
        finished_at: String::new(),
        wall_seconds: 0.0,
        events,
    };
    let manifest = write_run_files(
        &mut dir,
        loaded,
        scenario_path,
        &stats,
        spec.seed,
        spec.replications,
        range.start,
        count,
        spec.shard,
        execution,
        started,
    )?;
    dir.commit()?;
    Ok(JobResult { stats, manifest })
}

/// Writes the statistics files and the manifest of a run folder whose row files are
/// already written (a run, or a merge of shards).
#[allow(clippy::too_many_arguments)]
pub fn write_run_files(
    dir: &mut RunDir,
    loaded: &LoadedScenario,
    scenario_path: &Path,
    stats: &Statistics,
    seed: u64,
    replications: u64,
    first_replication: u64,
    replication_count: u64,
    shard: Option<Shard>,
    mut execution: Execution,
    started: Instant,
) -> Result<Manifest> {
    tables::write_summary(dir.create("summary.csv")?, stats)?;
    tables::write_targets(dir.create("targets.csv")?, stats)?;
    tables::write_budget(dir.create("budget.csv")?, stats)?;
    tables::write_timeseries(dir.create("timeseries.csv")?, stats)?;

    let mut outputs = std::collections::BTreeMap::new();
    for name in [
        "summary.csv",
        "targets.csv",
        "budget.csv",
        "timeseries.csv",
        "replications.csv",
        "series.csv",
    ] {
        outputs.insert(name.to_string(), sha256_file(&dir.temp_path(name))?);
    }
    execution.finished_at = chrono_now();
    execution.wall_seconds = started.elapsed().as_secs_f64();
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
        seed,
        replications,
        first_replication,
        replication_count,
        shard: shard.map(|s| ShardInfo {
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
