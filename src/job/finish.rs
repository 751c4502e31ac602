//! The end of a run and of a merge: the statistics pass, the summary files, report and
//! manifest, and the folder committed.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::JobResult;
use crate::engine::events::ModelEvents;
use crate::engine::params::ParameterLayout;
use crate::interrupt;
use crate::output::manifest::{Execution, Manifest, ScenarioFile, ENGINE, ENGINE_VERSION};
use crate::output::rowfile::{self, RowFormat};
use crate::output::rundir::RunDir;
use crate::output::tables;
use crate::rows::RowStore;
use crate::scenario::LoadedScenario;
use crate::shard::Shard;
use crate::stats;
use crate::stats::Statistics;

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
    /// The folder the scenario path is relative to.
    pub working_dir: Option<String>,
    /// A run from actuals.
    pub actuals: Option<std::sync::Arc<crate::actuals::AsOfRun>>,
    pub rows: RowFormat,
}

/// The end of a run and of a merge, once every row is in `store` and the row files are
/// written: the statistics pass on `pool`, the summary files, report and manifest, and
/// the folder committed. `model` gives the metric layout and, for a run from actuals, the
/// ledger the files show beside the simulation.
pub(crate) fn finish(
    mut dir: RunDir,
    loaded: &LoadedScenario,
    scenario_path: &Path,
    model: &crate::engine::Model<'_>,
    mut rows: Rows,
    pool: &rayon::ThreadPool,
    record: RunRecord,
) -> Result<JobResult> {
    rows.store.seal()?;
    rows.parameters.seal()?;
    let layout = &model.layout;
    let ledger = model.ledger.as_ref();
    // Parquet row files are written from the sealed stores, the CSV journal dropped at
    // commit; a stop asked for during the statistics pass below still leaves the journal
    // and checkpoint for `--resume`.
    if record.rows == RowFormat::Parquet {
        let headers = rowfile::headers(layout, &ParameterLayout::new(&loaded.scenario));
        let first = record.first_replication;
        let reps = first..first + record.replication_count;
        rowfile::write_parquet(&mut dir, &headers, &rows.store, &rows.parameters, reps)?;
    }
    // The row files are complete: they are hashed on a thread of their own while the
    // statistics, the report and the workbook are made, much of which runs on one core.
    let row_paths = record.rows.files().map(|name| {
        let path = dir.temp_path(&name);
        (name, path)
    });
    std::thread::scope(|scope| {
        let row_hashes = scope.spawn(|| {
            row_paths
                .iter()
                .map(|(name, path)| Ok((name.to_string(), sha256_file(path)?)))
                .collect::<Result<Vec<_>>>()
        });
        let mut stats = pool.install(|| stats::compute(&loaded.scenario, layout, &rows.store))?;
        if let Some(l) = ledger {
            stats.mark_targets(l);
        }
        let tornado = pool.install(|| {
            crate::sensitivity::given_data::outlay_tornado(&loaded.scenario, layout, &rows)
        })?;
        drop(rows);
        // The statistics pass skips its remaining columns once a stop is asked for.
        if interrupt::requested() {
            let n = record.replication_count;
            return Err(dir.stopped(n, n).into());
        }
        let files = RunFiles {
            loaded,
            scenario_path,
            stats: &stats,
            tornado: &tornado,
            ledger,
        };
        let row_hashes = || row_hashes.join().expect("hashing does not panic");
        let manifest = write_run_files(&mut dir, files, row_hashes, record)?;
        dir.commit()?;
        Ok(JobResult { stats, manifest })
    })
}

/// What the statistics files, the report and the workbook of a run folder are made of.
struct RunFiles<'a> {
    loaded: &'a LoadedScenario,
    scenario_path: &'a Path,
    stats: &'a Statistics,
    tornado: &'a [crate::sensitivity::Swing],
    /// For a run from actuals: the ledger the files show beside the simulation.
    ledger: Option<&'a crate::actuals::Ledger>,
}

/// Writes the statistics files and the manifest of a run folder whose row files are
/// already written (a run, or a merge of shards); `row_hashes` gives the row files'
/// hashes, (name, SHA-256), in the order of `RowFormat::files`.
fn write_run_files(
    dir: &mut RunDir,
    files: RunFiles<'_>,
    row_hashes: impl FnOnce() -> Result<Vec<(String, String)>>,
    record: RunRecord,
) -> Result<Manifest> {
    let RunFiles {
        loaded,
        scenario_path,
        stats,
        tornado,
        ledger,
    } = files;
    tables::write_summary(dir.create("summary.csv")?, stats)?;
    tables::write_targets(dir.create("targets.csv")?, stats)?;
    tables::write_budget(dir.create("budget.csv")?, stats)?;
    tables::write_timeseries(dir.create("timeseries.csv")?, stats)?;
    let s = &loaded.scenario;
    crate::output::report::write_run_report(dir, s, stats, tornado, record.seed, ledger)?;
    crate::output::workbook::write_run_workbook(dir, &loaded.scenario, record.seed)?;

    let mut outputs = [
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
    outputs.extend(row_hashes()?);
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
        actuals: record.actuals.as_ref().map(|a| a.record()),
        outputs,
        resolved_scenario: loaded.resolved.clone(),
        execution,
    };
    dir.write_manifest(&manifest)?;
    Ok(manifest)
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
