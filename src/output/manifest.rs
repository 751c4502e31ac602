//! `manifest.json`: what a run was, so it can be re-created and checked (MODEL.md §5–6).

use serde::{Deserialize, Serialize};

use crate::engine::events::ModelEvents;

/// Engine identity: results are reproducible for the same scenario, seed and this version.
pub const ENGINE: &str = "policysim";
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioFile {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardInfo {
    pub index: u64,
    pub count: u64,
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
    pub shard: Option<ShardInfo>,
    /// SHA-256 of each output file of this folder (manifest aside).
    pub outputs: std::collections::BTreeMap<String, String>,
    pub resolved_scenario: serde_json::Value,
    pub execution: Execution,
}
