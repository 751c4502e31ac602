//! `policysim merge DIR...`: combine the run folders of shards into one run folder.

use std::path::PathBuf;

use super::limits;
use crate::merge::{self, MergeSpec};

/// Combine the folders of `run --shard K/N` (all N of them, any order) into the run folder
/// one run of all the replications would have written: the same bytes in every file (the
/// manifest's `execution` aside). Refuses (exit code 2) shards of different scenarios,
/// seeds, engine versions or replication counts, and shards that overlap or leave
/// replications out. The scenario file the manifests record is read again (a relative
/// path in the folder the shards were started in) and must be unchanged.
#[derive(clap::Args)]
pub struct Args {
    /// Shard run folders
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Output folder (default: output/<scenario>-<seed>)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing run folder
    #[arg(long)]
    force: bool,
    /// The scenario file, if not at the path the shards' manifests record
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Worker threads for the statistics, 1 to 4 × the cores (at most 256) (default: all
    /// cores)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::threads)]
    threads: Option<usize>,
    /// No progress bar and no summary on the terminal
    #[arg(long, short)]
    quiet: bool,
}

impl Args {
    /// The merge as it will run.
    pub fn resolve(self) -> MergeSpec {
        MergeSpec {
            threads: limits::worker_threads(self.threads),
            dirs: self.dirs,
            out: self.out,
            force: self.force,
            scenario: self.scenario,
            quiet: self.quiet,
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let spec = args.resolve();
    crate::interrupt::install_handler();
    let merged = merge::merge(&spec)?;
    if !spec.quiet {
        crate::output::terminal::print_merge_summary(
            &merged.loaded.scenario,
            &merged.result.stats,
            &merged.result.manifest,
            spec.dirs.len(),
            &merged.out,
        );
    }
    Ok(())
}
