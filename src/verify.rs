//! Verifying a run folder: re-run what its manifest describes (scenario file, seed,
//! replications, shard) and compare every output's SHA-256 with the manifest's.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::actuals::AsOfRun;
use crate::backtest::BacktestManifest;
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
    if let Some(manifest) = backtest_manifest(dir)? {
        return verify_backtest(spec, manifest);
    }
    let manifest = Manifest::read(dir)?;
    let working_dir = manifest.execution.working_dir.as_deref();
    let recorded = Recorded {
        scenario_path: &manifest.scenario_path,
        scenario_hash: &manifest.scenario_hash,
        engine_version: &manifest.engine_version,
        working_dir,
    };
    let (_, loaded) = recorded.load(spec).map_err(cannot)?;
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
    check_files(&manifest.outputs, dir, &rerun.out)
}

/// The manifest of a backtest folder (`kind` = "backtest"), or `None` for any other.
fn backtest_manifest(dir: &Path) -> Result<Option<BacktestManifest>> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(_) => return Ok(None), // Manifest::read says what is wrong with it
    };
    if value.get("kind").and_then(|k| k.as_str()) != Some("backtest") {
        return Ok(None);
    }
    let manifest = serde_json::from_value(value).map_err(|e| {
        Error::bad_input(format!(
            "{}: not a policysim backtest manifest: {e}",
            path.display()
        ))
    })?;
    Ok(Some(manifest))
}

/// Re-runs a backtest folder's backtest (same scenario, unchanged actuals, seed and
/// replications) in a temporary folder and checks backtest.csv and report.html.
fn verify_backtest(spec: &VerifySpec, manifest: BacktestManifest) -> Result<Vec<FileCheck>> {
    let dir = &spec.dir;
    let cannot = |why: String| Error::bad_input(format!("cannot re-run {}: {why}", dir.display()));
    let working_dir = manifest.working_dir.as_deref();
    let recorded = Recorded {
        scenario_path: &manifest.scenario_path,
        scenario_hash: &manifest.scenario_hash,
        engine_version: &manifest.engine_version,
        working_dir,
    };
    let (path, loaded) = recorded.load(spec).map_err(cannot)?;
    let actuals = crate::recorded::scenario_path(&manifest.actuals_path, working_dir, None);
    let now = crate::actuals::folder_hash(&actuals).map_err(|e| cannot(e.to_string()))?;
    if now != manifest.actuals_sha256 {
        return Err(cannot(format!(
            "the actuals folder {} has changed since the backtest (its SHA-256 is {now}, the \
             backtest's {})",
            actuals.display(),
            manifest.actuals_sha256
        ))
        .into());
    }
    let scratch = ScratchDir::new()?;
    let rerun = crate::backtest::Spec {
        actuals,
        working_dir: manifest.working_dir.clone(),
        reps: manifest.replications,
        seed: manifest.seed,
        threads: spec.threads,
        out: scratch.0.join("backtest"),
        force: false,
        quiet: true,
    };
    crate::backtest::run(&loaded, &path, &rerun)?;
    check_files(&manifest.outputs, dir, &rerun.out)
}

/// Each recorded output (name → SHA-256) in the folder `dir` and in the re-run's folder.
fn check_files(
    outputs: &std::collections::BTreeMap<String, String>,
    dir: &Path,
    rerun: &Path,
) -> Result<Vec<FileCheck>> {
    let hash = |path: PathBuf| path.exists().then(|| job::sha256_file(&path)).transpose();
    outputs
        .iter()
        .map(|(name, recorded)| {
            Ok(FileCheck {
                name: name.clone(),
                recorded: recorded.clone(),
                on_disk: hash(dir.join(name))?,
                rerun: hash(rerun.join(name))?,
            })
        })
        .collect()
}

/// What a run's or a backtest's manifest records of its scenario and engine.
struct Recorded<'a> {
    scenario_path: &'a str,
    scenario_hash: &'a str,
    engine_version: &'a str,
    /// The folder relative paths are relative to.
    working_dir: Option<&'a str>,
}

impl Recorded<'_> {
    /// The recorded scenario (or `--scenario`'s), loaded and refused if it changed since,
    /// and its path; a folder another engine version wrote is refused too: its bytes are
    /// not this one's to check. The error says why, for "cannot re-run DIR: ...".
    fn load(
        &self,
        spec: &VerifySpec,
    ) -> Result<(PathBuf, crate::scenario::LoadedScenario), String> {
        let path = crate::recorded::scenario_path(
            self.scenario_path,
            self.working_dir,
            spec.scenario.as_deref(),
        );
        let loaded = crate::recorded::load(&path, self.scenario_hash, "--scenario")
            .map_err(|e| e.message)?;
        let this = crate::output::manifest::ENGINE_VERSION;
        if self.engine_version != this {
            return Err(format!(
                "it was written by policysim {}, this is {this}",
                self.engine_version
            ));
        }
        Ok((path, loaded))
    }
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
