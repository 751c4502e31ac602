//! `policysim run SCENARIO`: run the replications and write the run folder.

use std::path::PathBuf;

use super::BadInput;
use crate::job::{self, JobSpec, Shard};
use crate::scenario;

/// Run a scenario's replications and write summary, targets, budget, replications,
/// timeseries and manifest to a run folder.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Replications (default: the scenario's [run] replications)
    #[arg(long)]
    reps: Option<u64>,
    /// Seed (default: the scenario's [run] seed)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing run folder
    #[arg(long)]
    force: bool,
    /// No progress bar and no summary on the terminal
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = scenario::load(&args.scenario)?;
    let s = &loaded.scenario;
    let seed = args.seed.unwrap_or(s.seed);
    let replications = args.reps.unwrap_or(s.replications);
    if replications == 0 {
        return Err(BadInput("--reps must be at least 1".into()).into());
    }
    let threads = match args.threads {
        Some(0) => return Err(BadInput("--threads must be at least 1".into()).into()),
        Some(t) => t,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let shard: Option<Shard> = None;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-{seed}", s.name)));
    super::install_interrupt_handler();
    let spec = JobSpec {
        replications,
        seed,
        threads,
        shard,
        out: out.clone(),
        force: args.force,
        quiet: args.quiet,
    };
    let result = job::run(&loaded, &args.scenario, &spec)?;
    if !args.quiet {
        crate::output::terminal::print_run_summary(s, &result.stats, &result.manifest, &out);
    }
    Ok(())
}
