//! Verifying a run folder: re-run what its manifest describes (scenario file, seed,
//! replications, shard) and compare every output's SHA-256 with the manifest's.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::actuals::AsOfRun;
use crate::error::Error;
use crate::job::{self, JobSpec, Seams};
use crate::output::manifest::Manifest;
use crate::output::rowfile::RowFormat;

/// A verification as resolved from the command line.
pub struct VerifySpec {
    /// The run folder.
    pub dir: PathBuf,
    /// The scenario file, if not the one the manifest records.
    pub scenario: Option<PathBuf>,
    pub threads: usize,
    pub quiet: bool,
}

/// One output file of the folder.
#[derive(Debug, Clone)]
pub struct FileCheck {
    pub name: String,
    /// The SHA-256 the manifest records.
    pub recorded: String,
    /// The file in the folder now (`None`: missing).
    pub on_disk: Option<String>,
    /// The re-run's file (`None`: the re-run did not write it).
    pub rerun: Option<String>,
}

impl FileCheck {
    pub fn ok(&self) -> bool {
        self.on_disk.as_ref() == Some(&self.recorded) && self.rerun.as_ref() == Some(&self.recorded)
    }

    /// What is wrong, in words ("ok" if nothing).
    pub fn verdict(&self) -> &'static str {
        match (
            self.on_disk.as_ref() == Some(&self.recorded),
            self.rerun.as_ref() == Some(&self.recorded),
        ) {
            (true, true) => "ok",
            _ if self.on_disk.is_none() => "MISSING from the folder",
            (false, true) => "CHANGED since the run (the re-run matches the manifest)",
            (true, false) if self.rerun.is_none() => "NOT WRITTEN by the re-run",
            (true, false) => "DIFFERS in the re-run",
            (false, false) => "CHANGED in the folder and DIFFERS in the re-run",
        }
    }
}

/// Re-runs the run of `spec.dir` in a temporary folder and checks every output it
/// records. A folder or scenario that cannot be re-run is bad input (exit code 2).
pub fn verify(spec: &VerifySpec) -> Result<Vec<FileCheck>> {
    let dir = &spec.dir;
    let cannot = |why: String| Error::bad_input(format!("cannot re-run {}: {why}", dir.display()));
    let manifest = Manifest::read(dir)?;
    let working_dir = manifest.execution.working_dir.as_deref();
    let path = crate::recorded::scenario_path(
        &manifest.scenario_path,
        working_dir,
        spec.scenario.as_deref(),
    );
    let loaded = crate::recorded::load(&path, &manifest.scenario_hash, "--scenario")
        .map_err(|e| cannot(e.message))?;
    if manifest.engine_version != crate::output::manifest::ENGINE_VERSION {
        return Err(cannot(format!(
            "it was written by policysim {}, this is {}",
            manifest.engine_version,
            crate::output::manifest::ENGINE_VERSION
        ))
        .into());
    }
    let actuals = match &manifest.actuals {
        Some(rec) => {
            let what = format!("cannot re-run {}", dir.display());
            let run = AsOfRun::reload(rec, working_dir, &loaded.scenario, &what)?;
            Some(std::sync::Arc::new(run))
        }
        None => None,
    };
    let scratch = ScratchDir::new()?;
    let rerun = JobSpec {
        precision: Vec::new(),
        replications: manifest.replications,
        seed: manifest.seed,
        threads: spec.threads,
        shard: manifest.shard,
        out: scratch.0.join("run"),
        force: false,
        quiet: spec.quiet,
        resume: false,
        working_dir: manifest.execution.working_dir.clone(),
        actuals,
        seams: Seams::from_env()?,
        rows: RowFormat::of_outputs(manifest.outputs.keys()),
    };
    let scenario_path = Path::new(&manifest.scenario_path);
    job::run(&loaded, scenario_path, &rerun)?;
    let spec = rerun;
    let hash = |path: PathBuf| path.exists().then(|| job::sha256_file(&path)).transpose();
    manifest
        .outputs
        .iter()
        .map(|(name, recorded)| {
            Ok(FileCheck {
                name: name.clone(),
                recorded: recorded.clone(),
                on_disk: hash(dir.join(name))?,
                rerun: hash(spec.out.join(name))?,
            })
        })
        .collect()
}

/// A temporary folder removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("policysim-verify-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(ScratchDir(path))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
