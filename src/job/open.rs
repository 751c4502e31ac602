//! A job's run folder opened for its rows: claimed for a new run, or re-opened from the
//! checkpoint of an interrupted one; and the checkpoint written after every block.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

use super::JobSpec;
use crate::engine::params::ParameterLayout;
use crate::error::Error;
use crate::interrupt;
use crate::metrics::MetricLayout;
use crate::output::rundir::{OutputError, Progress, RunDir};
use crate::output::tables;
use crate::rows::RowStore;

/// The row files of a run folder, in the order `checkpoint` takes them.
pub(crate) const ROW_FILES: [&str; 3] = ["replications.csv", "series.csv", "parameters.csv"];

/// The three row files of a run folder, open for appending (see `ROW_FILES`).
pub(super) struct RowFiles {
    pub(super) replications: BufWriter<File>,
    pub(super) series: BufWriter<File>,
    pub(super) parameters: BufWriter<File>,
}

/// A run folder open for its rows: the row files, the stores and the checkpoint.
pub(super) struct Opened {
    pub(super) dir: RunDir,
    pub(super) files: RowFiles,
    pub(super) store: RowStore,
    pub(super) param_store: RowStore,
    pub(super) progress: Progress,
}

impl Opened {
    /// The folder with its files and empty stores for `count` replications' rows.
    fn new(
        dir: RunDir,
        files: RowFiles,
        layout: &MetricLayout,
        params: &ParameterLayout,
        count: u64,
        progress: Progress,
    ) -> Result<Opened> {
        let store = row_store(&dir, layout, count)?;
        let param_store = parameter_store(&dir, params, count)?;
        Ok(Opened {
            dir,
            files,
            store,
            param_store,
            progress,
        })
    }
}

/// Claims the folder of a new run and writes its headers and first checkpoint.
pub(super) fn open(
    spec: &JobSpec,
    layout: &MetricLayout,
    params: &ParameterLayout,
    count: u64,
    progress: Progress,
) -> Result<Opened> {
    let mut dir = RunDir::prepare(&spec.out, spec.force)?;
    let [replications, series, parameters] = ROW_FILES;
    let mut with_header = |name: &str, header: &[String]| -> Result<BufWriter<File>> {
        let mut w = dir.create(name)?;
        tables::write_header(&mut w, header)?;
        Ok(w)
    };
    let files = RowFiles {
        replications: with_header(replications, &tables::replication_header(layout))?,
        series: with_header(series, &tables::series_header(layout))?,
        parameters: with_header(parameters, &tables::parameter_header(params))?,
    };
    let mut opened = Opened::new(dir, files, layout, params, count, progress)?;
    checkpoint(&opened.dir, &mut opened.files, &mut opened.progress)?;
    Ok(opened)
}

/// Re-opens the folder of the interrupted run `expected` describes: its row files cut
/// to the checkpoint, and the rows they hold read back into the stores.
pub(super) fn reopen(
    spec: &JobSpec,
    layout: &MetricLayout,
    params: &ParameterLayout,
    range: std::ops::Range<u64>,
    expected: Progress,
) -> Result<Opened> {
    let saved = check_resumable(&spec.out, &expected)?;
    let mut dir = RunDir::reopen(&spec.out, &ROW_FILES);
    let [replications, series, parameters] = ROW_FILES;
    let files = RowFiles {
        replications: dir.append(replications, saved.replications_bytes)?,
        series: dir.append(series, saved.series_bytes)?,
        parameters: dir.append(parameters, saved.parameters_bytes)?,
    };
    let completed = saved.completed;
    // The path and folder as this resume names them; the rest as the checkpoint says.
    let progress = Progress {
        scenario_path: expected.scenario_path,
        working_dir: expected.working_dir,
        ..saved
    };
    let count = range.end - range.start;
    let mut opened = Opened::new(dir, files, layout, params, count, progress)?;
    let Opened {
        dir,
        store,
        param_store,
        ..
    } = &mut opened;
    let reader =
        |name: &str, header: &[String]| tables::RowReader::open(&dir.temp_path(name), header);
    let mut reps = reader(replications, &tables::replication_header(layout))?;
    let mut series = reader(series, &tables::series_header(layout))?;
    let mut drawn = reader(parameters, &tables::parameter_header(params))?;
    let (mut metrics, mut values, mut drawn_values) = (Vec::new(), Vec::new(), Vec::new());
    let (mut first, end) = (range.start, range.start + completed);
    while first < end {
        interrupt::check("while reading the checkpointed rows")?;
        let n = (end - first).min(spec.seams.block) as usize;
        metrics.clear();
        values.clear();
        drawn_values.clear();
        reps.read_rows(first, n, &mut metrics)?;
        series.read_rows(first, n, &mut values)?;
        drawn.read_rows(first, n, &mut drawn_values)?;
        store.push(n, &metrics, &values)?;
        param_store.push(n, &drawn_values, &[])?;
        first += n as u64;
    }
    reps.finish()?;
    series.finish()?;
    drawn.finish()?;
    Ok(opened)
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
            "actuals (folder, as-of date, SHA-256)",
            format!("{:?}", saved.actuals),
            format!("{:?}", expected.actuals),
        ),
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
        (
            "row format (--rows)",
            saved.rows.name().into(),
            expected.rows.name().into(),
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

/// Makes the rows written so far durable, then records them in the checkpoint.
pub(super) fn checkpoint(
    dir: &RunDir,
    files: &mut RowFiles,
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
    let [replications, series, parameters] = ROW_FILES;
    progress.replications_bytes = durable(&mut files.replications, replications)?;
    progress.series_bytes = durable(&mut files.series, series)?;
    progress.parameters_bytes = durable(&mut files.parameters, parameters)?;
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
