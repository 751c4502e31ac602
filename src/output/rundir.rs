//! A run's folder: files are written under temporary names and renamed only when the
//! whole run is complete, so an interrupted run never leaves a file that looks whole, and
//! an existing run is never overwritten without `--force`.
//!
//! While a run is in progress the folder also holds `.progress.json`, a checkpoint that
//! says how many replications the temporary row files hold (see [`Progress`]). An
//! interrupted run keeps its temporary files and checkpoint so `run --resume` can finish it.
//!
//! `--force` replaces a run: it removes what policysim wrote there (finished outputs,
//! temporary files, scratch, checkpoint; see [`leftovers`]) and nothing else.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::Error as Refusal;
use crate::shard::Shard;

/// The files a run folder holds; their presence marks a run.
pub const OUTPUT_FILES: &[&str] = &[
    "summary.csv",
    "targets.csv",
    "budget.csv",
    "replications.csv",
    "series.csv",
    "parameters.csv",
    "replications.parquet",
    "series.parquet",
    "parameters.parquet",
    "timeseries.csv",
    "report.html",
    "design.csv",
    "sensitivity.csv",
    "report.xlsx",
    "comparison.csv",
    "comparison_targets.csv",
    "manifest.json",
];

/// The checkpoint of a run in progress.
pub const PROGRESS_FILE: &str = ".progress.json";

/// The temporary name of the checkpoint while it is written.
const PROGRESS_TMP: &str = ".progress.json.tmp";

/// A file of the folder could not be written (exit code 1: not the input's fault).
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot write to {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// How far a run has got: written (and fsync'ed) after every completed block, after the
/// rows it counts are flushed and fsync'ed, so the rows of `completed` replications are
/// always the first `replications_bytes` / `series_bytes` bytes of the temporary row files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    pub engine_version: String,
    /// The scenario as given on the command line (relative to `working_dir`).
    pub scenario_path: String,
    /// The folder the run was started in (absent in checkpoints of engine 0.2.2).
    #[serde(default)]
    pub working_dir: Option<String>,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub shard: Option<Shard>,
    /// Replications of this folder's range (shard) that are done, from its first one.
    pub completed: u64,
    /// Length of `.replications.csv.partial` (header included) holding them.
    pub replications_bytes: u64,
    /// Length of `.series.csv.partial` (header included) holding them.
    pub series_bytes: u64,
    /// Length of `.parameters.csv.partial` (header included) holding them.
    #[serde(default)]
    pub parameters_bytes: u64,
    /// Events processed so far.
    pub events: u64,
    #[serde(default)]
    pub model_events: crate::engine::events::ModelEvents,
    /// A run from actuals: its folder, as-of date and the folder's SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actuals: Option<crate::actuals::RecordedActuals>,
    /// The format the finished row files are written in (the journal is CSV in both).
    #[serde(default)]
    pub rows: crate::output::rowfile::RowFormat,
}

/// The folder being written.
pub struct RunDir {
    pub dir: PathBuf,
    pending: Vec<String>,
    /// Temporary files the finished folder does not hold (see `discard`).
    discarded: Vec<String>,
    committed: bool,
    keep: bool,
}

impl RunDir {
    /// Claims `dir` for a new run. Refuses a folder that already holds a run, or the
    /// leftovers of an interrupted one, unless `force`; no output there is touched until
    /// `commit`.
    pub fn prepare(dir: &Path, force: bool) -> anyhow::Result<RunDir> {
        check_is_folder(dir)?;
        if !force {
            if let Some(existing) = OUTPUT_FILES.iter().find(|f| dir.join(f).exists()) {
                return Err(Refusal::bad_input(format!(
                    "{} already holds a run ({existing}); pass --force to replace it, or \
                     choose another --out",
                    dir.display()
                ))
                .into());
            }
            if let Some(partial) = leftovers(dir).into_iter().next() {
                return Err(Refusal::bad_input(format!(
                    "{0} holds an interrupted run ({partial}); continue it with `policysim \
                     run --resume {0}`, or pass --force to start again",
                    dir.display()
                ))
                .into());
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| OutputError::Io(dir.to_path_buf(), e))?;
        // A forced run starts again: an older checkpoint must not describe its files, and
        // an older run's scratch (gigabytes, after a SIGKILL) must not stay behind.
        for name in leftovers(dir) {
            let path = dir.join(&name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(OutputError::Io(path, e).into())
                }
                _ => {}
            }
        }
        Ok(RunDir {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
            discarded: Vec::new(),
            committed: false,
            keep: false,
        })
    }

    /// The error of a job stopped by a signal after `completed` of `count` replications
    /// (exit code 130). A folder with a checkpoint keeps it and its temporary files, so
    /// `run --resume` can finish the run; any other is removed when this is dropped.
    pub fn stopped(&mut self, completed: u64, count: u64) -> Refusal {
        if self.progress_path().exists() {
            self.keep = true;
            Refusal::interrupted(format!(
                "interrupted after {completed} of {count} replications; no output file was \
                 written. Continue with `policysim run --resume {}`, or start again with \
                 --force",
                self.dir.display()
            ))
        } else {
            Refusal::interrupted("interrupted: stopped before completion; no output was kept")
        }
    }

    /// Re-opens the folder of an interrupted run: `names` are its temporary files.
    pub fn reopen(dir: &Path, names: &[&str]) -> RunDir {
        RunDir {
            dir: dir.to_path_buf(),
            pending: names.iter().map(|n| n.to_string()).collect(),
            discarded: Vec::new(),
            committed: false,
            keep: false,
        }
    }

    /// Where a file is written until commit.
    pub fn temp_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.partial"))
    }

    pub fn progress_path(&self) -> PathBuf {
        self.dir.join(PROGRESS_FILE)
    }

    /// Writes `manifest.json` under its temporary name: `manifest` as pretty JSON and a
    /// newline, as every kind of folder (run, comparison, sensitivity, backtest) has it.
    pub fn write_manifest(&mut self, manifest: &impl Serialize) -> anyhow::Result<()> {
        let mut w = self.create("manifest.json")?;
        serde_json::to_writer_pretty(&mut w, manifest)?;
        w.write_all(b"\n")?;
        w.flush()?;
        Ok(())
    }

    /// Opens `name` for writing under its temporary name.
    pub fn create(&mut self, name: &str) -> Result<BufWriter<File>, OutputError> {
        let path = self.temp_path(name);
        let file = File::create(&path).map_err(|e| OutputError::Io(path.clone(), e))?;
        self.note(name);
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Opens the temporary file of `name` for appending after its first `len` bytes
    /// (anything after them, written after the last checkpoint, is cut off).
    pub fn append(&mut self, name: &str, len: u64) -> Result<BufWriter<File>, OutputError> {
        let path = self.temp_path(name);
        let io = |e| OutputError::Io(path.clone(), e);
        let file = OpenOptions::new().write(true).open(&path).map_err(io)?;
        let have = file.metadata().map_err(io)?.len();
        if have < len {
            return Err(OutputError::Io(
                path.clone(),
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("holds {have} bytes, the checkpoint says {len}"),
                ),
            ));
        }
        file.set_len(len).map_err(io)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).map_err(io)?;
        self.note(name);
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Drops `name` from the finished folder: its temporary file (the CSV journal of rows
    /// written as Parquet) is removed at commit, not before, so that the run stays
    /// resumable until its outputs are in place.
    pub fn discard(&mut self, name: &str) {
        self.pending.retain(|p| p != name);
        self.discarded.push(name.to_string());
    }

    fn note(&mut self, name: &str) {
        if !self.pending.iter().any(|p| p == name) {
            self.pending.push(name.to_string());
        }
    }

    /// Writes the checkpoint atomically (temporary name, fsync, rename, fsync the folder).
    pub fn write_progress(&self, progress: &Progress) -> Result<(), OutputError> {
        let path = self.progress_path();
        let tmp = self.dir.join(PROGRESS_TMP);
        let io = |e| OutputError::Io(path.clone(), e);
        let mut file = File::create(&tmp).map_err(io)?;
        serde_json::to_writer_pretty(&mut file, progress).map_err(|e| io(e.into()))?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Reads the checkpoint of an interrupted run in `dir`, if there is one.
    pub fn read_progress(dir: &Path) -> std::io::Result<Option<Progress>> {
        match std::fs::read(dir.join(PROGRESS_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Keeps the temporary files and the checkpoint when this is dropped uncommitted: the
    /// run was interrupted and can be resumed.
    pub fn keep_for_resume(&mut self) {
        self.keep = true;
    }

    /// Renames every file to its final name, `manifest.json` last (its presence marks a
    /// complete run), removes outputs of an older run that this one did not write, then
    /// the checkpoint.
    pub fn commit(mut self) -> Result<(), OutputError> {
        self.pending.sort_by_key(|n| n == "manifest.json");
        let _ = std::fs::remove_file(self.dir.join("manifest.json"));
        for name in OUTPUT_FILES {
            if !self.pending.iter().any(|p| p == name) {
                let _ = std::fs::remove_file(self.dir.join(name));
            }
        }
        for name in &self.pending {
            let from = self.temp_path(name);
            let to = self.dir.join(name);
            std::fs::rename(&from, &to).map_err(|e| OutputError::Io(to.clone(), e))?;
        }
        self.committed = true;
        for name in &self.discarded {
            let _ = std::fs::remove_file(self.temp_path(name));
        }
        let _ = std::fs::remove_file(self.progress_path());
        Ok(())
    }
}

/// Temporary files, scratch and checkpoint of an unfinished run in `dir`: only names
/// policysim itself writes (`.NAME.partial` for an output file, `rows.scratch` or
/// `rows-K.scratch`; the checkpoint and its temporary name), never a user's own file.
pub fn leftovers(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_ours(n))
        .collect();
    found.sort();
    found
}

fn is_ours(name: &str) -> bool {
    if name == PROGRESS_FILE || name == PROGRESS_TMP {
        return true;
    }
    let Some(inner) = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".partial"))
    else {
        return false;
    };
    let scratch_of_scenario = inner
        .strip_prefix("rows-")
        .and_then(|n| n.strip_suffix(".scratch"))
        .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()));
    OUTPUT_FILES.contains(&inner)
        || matches!(inner, "rows.scratch" | "parameters.scratch")
        || scratch_of_scenario
}

/// Refuses (exit code 2) an output folder that is a file, or lies under one.
fn check_is_folder(dir: &Path) -> Result<(), Refusal> {
    let Some(existing) = dir.ancestors().find(|p| p.exists()) else {
        return Ok(());
    };
    if existing.is_dir() {
        return Ok(());
    }
    let what = if existing == dir {
        "it is a file, not a folder".to_string()
    } else {
        format!("{} is a file, not a folder", existing.display())
    };
    Err(Refusal::bad_input(format!(
        "cannot use {} as the output folder: {what}; choose another --out",
        dir.display()
    )))
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed && !self.keep {
            for name in self.pending.iter().chain(&self.discarded) {
                let _ = std::fs::remove_file(self.temp_path(name));
            }
            let _ = std::fs::remove_file(self.progress_path());
        }
    }
}
