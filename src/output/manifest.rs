//! `manifest.json`: what a run was, so it can be re-created and checked (README.md, Output files; docs/model.md, Reproducibility).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::events::ModelEvents;
use crate::error::Error;
use crate::shard::Shard;

/// Engine identity: results are reproducible for the same scenario, seed and this version.
pub const ENGINE: &str = "policysim";
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioFile {
    pub path: String,
    pub sha256: String,
}

/// Fields that differ between otherwise identical runs (timing and host); everything
/// else in the manifest, and every other output, is byte-identical for the same inputs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Execution {
    pub threads: usize,
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
    /// Events the event loop processed (see `engine::events`).
    pub events: u64,
    /// The model's dated changes of state by kind, however the engine resolved them.
    #[serde(default)]
    pub model_events: ModelEvents,
    /// A run with `--precision`: how each rule stood when it stopped (docs/model.md,
    /// Precision). Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub precision: Vec<crate::precision::RuleOutcome>,
    /// The folder the command was started in: `scenario_path` is relative to it
    /// (absent in manifests of engine 0.2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub engine: String,
    pub engine_version: String,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_hash: String,
    pub scenario_files: Vec<ScenarioFile>,
    pub seed: u64,
    /// Replications of the whole run (all shards).
    pub replications: u64,
    /// The replications this folder holds: [first, first + count).
    pub first_replication: u64,
    pub replication_count: u64,
    pub shard: Option<Shard>,
    /// A run from actuals (docs/model.md, Runs from actuals): the folder, the as-of date
    /// and the folder's SHA-256, so `merge` and `verify` refuse a changed folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actuals: Option<crate::actuals::RecordedActuals>,
    /// SHA-256 of each output file of this folder (manifest aside).
    pub outputs: std::collections::BTreeMap<String, String>,
    pub resolved_scenario: serde_json::Value,
    pub execution: Execution,
}

/// `manifest.json` of a comparison folder. Fields in alphabetical order: the order its
/// keys have been written in since engine 0.2.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparisonManifest {
    pub engine: String,
    pub engine_version: String,
    /// Always "comparison": what tells `merge` and `verify` this is not a run folder.
    pub kind: String,
    /// SHA-256 of each output file (manifest aside).
    pub outputs: std::collections::BTreeMap<String, String>,
    pub replications: u64,
    /// In the order compared; the first is the reference.
    pub scenarios: Vec<ComparedScenario>,
    pub seed: u64,
    /// A comparison with `--precision`: how each rule on the paired differences stood
    /// when it stopped (docs/model.md, Precision). Absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub precision: Vec<crate::precision::RuleOutcome>,
}

/// One scenario of a comparison.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparedScenario {
    pub name: String,
    pub path: String,
    pub scenario_hash: String,
}

impl Manifest {
    /// Reads the manifest of the run folder `dir`; a folder that does not hold a finished
    /// run (no manifest, a comparison's, not a policysim manifest) is bad input.
    pub fn read(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join("manifest.json");
        let not_a_run = |why: String| {
            Error::bad_input(format!(
                "{} is not a finished run folder: {why}",
                dir.display()
            ))
        };
        let text =
            std::fs::read(&path).map_err(|e| not_a_run(format!("{}: {e}", path.display())))?;
        let value: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| not_a_run(format!("{}: {e}", path.display())))?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("comparison") {
            return Err(not_a_run(
                "it holds a comparison (`policysim compare`)".into(),
            ));
        }
        if value.get("kind").and_then(|k| k.as_str()) == Some("sensitivity") {
            return Err(not_a_run(
                "it holds a sensitivity analysis (`policysim sensitivity`; its shards merge \
                 with `policysim sensitivity --merge`)"
                    .into(),
            ));
        }
        serde_json::from_value(value).map_err(|e| {
            not_a_run(format!(
                "{}: not a policysim run manifest: {e}",
                path.display()
            ))
        })
    }
}
