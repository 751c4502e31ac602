//! A run's folder: files are written under temporary names and renamed only when the
//! whole run is complete, so an interrupted run never leaves a file that looks whole, and
//! an existing run is never overwritten without `--force`.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The files a run folder holds; their presence marks a run.
pub const OUTPUT_FILES: &[&str] = &[
    "summary.csv",
    "targets.csv",
    "budget.csv",
    "replications.csv",
    "series.csv",
    "timeseries.csv",
    "report.html",
    "comparison.csv",
    "manifest.json",
];

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{0} already holds a run ({1}); pass --force to replace it, or choose another --out")]
    Exists(PathBuf, String),
    #[error("cannot write to {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// The folder being written.
pub struct RunDir {
    pub dir: PathBuf,
    pending: Vec<String>,
    committed: bool,
}

impl RunDir {
    /// Claims `dir` for a new run. Refuses a folder that already holds a run unless
    /// `force`; nothing there is touched until `commit`.
    pub fn prepare(dir: &Path, force: bool) -> Result<RunDir, OutputError> {
        if !force {
            if let Some(existing) = OUTPUT_FILES.iter().find(|f| dir.join(f).exists()) {
                return Err(OutputError::Exists(dir.to_path_buf(), existing.to_string()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|e| OutputError::Io(dir.to_path_buf(), e))?;
        Ok(RunDir {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
            committed: false,
        })
    }

    /// Where a file is written until commit.
    pub fn temp_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.partial"))
    }

    /// Opens `name` for writing under its temporary name.
    pub fn create(&mut self, name: &str) -> Result<BufWriter<File>, OutputError> {
        let path = self.temp_path(name);
        let file = File::create(&path).map_err(|e| OutputError::Io(path.clone(), e))?;
        if !self.pending.iter().any(|p| p == name) {
            self.pending.push(name.to_string());
        }
        Ok(BufWriter::with_capacity(1 << 20, file))
    }

    /// Renames every file to its final name, `manifest.json` last (its presence marks a
    /// complete run), and removes outputs of an older run that this one did not write.
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
        Ok(())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            for name in &self.pending {
                let _ = std::fs::remove_file(self.temp_path(name));
            }
        }
    }
}
