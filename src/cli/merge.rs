//! `policysim merge DIR...`: combine the run folders of shards into one run folder.

use std::path::PathBuf;

use crate::merge::{self, MergeSpec};

/// Combine the folders of `run --shard K/N` (all N of them, any order) into the run folder
/// one run of all the replications would have written: the same bytes in every file (the
/// manifest's `execution` aside). Refuses (exit code 2) shards of different scenarios,
/// seeds, engine versions or replication counts, and shards that overlap or leave
/// replications out. The scenario file named in the manifests is read again and must be
/// unchanged.
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
    /// Worker threads for the statistics (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no summary on the terminal
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let threads = super::worker_threads(args.threads)?;
    let spec = MergeSpec {
        dirs: args.dirs,
        out: args.out,
        force: args.force,
        scenario: args.scenario,
        threads,
        quiet: args.quiet,
    };
    let (result, out) = merge::merge(&spec)?;
    if !args.quiet {
        let loaded = crate::scenario::load(std::path::Path::new(&result.manifest.scenario_path))?;
        crate::output::terminal::print_run_summary(
            &loaded.scenario,
            &result.stats,
            &result.manifest,
            &out,
        );
    }
    Ok(())
}
