//! Scenario files: reading, `extends`, validation with spans, distributions.
//!
//! A scenario as written (a spanned TOML tree, `node`) becomes a resolved, validated
//! `Scenario` (`types`); nothing downstream sees raw TOML.

pub mod dist;
pub mod error;
pub mod node;
pub mod read;
pub mod resolve;
pub mod schema;
pub mod spec;
pub mod tails;
pub mod types;

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use error::ScenarioError;
pub use types::Scenario;

/// A scenario read from disk, with what the manifest needs to identify it.
pub struct LoadedScenario {
    pub scenario: Scenario,
    /// The merged tree (after `extends`), as data.
    pub resolved: serde_json::Value,
    /// SHA-256 of the merged tree's canonical JSON: equal for scenarios that say the same
    /// thing, whatever their file layout.
    pub hash: String,
    pub files: Vec<Arc<node::SourceFile>>,
    pub tree: node::Node,
}

/// Reads, merges and validates a scenario file.
pub fn load(path: &Path) -> Result<LoadedScenario, ScenarioError> {
    let (tree, files) = node::load(path)?;
    let scenario = resolve::resolve(&tree)?;
    let canonical = node::canonical_json(&tree);
    let hash = format!("{:x}", Sha256::digest(canonical.as_bytes()));
    Ok(LoadedScenario {
        scenario,
        resolved: node::to_json(&tree),
        hash,
        files,
        tree,
    })
}
