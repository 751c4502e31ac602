//! `policysim verify DIR`: re-run a run folder's run and check its outputs.

use std::path::PathBuf;

use super::BadInput;

/// Re-run what DIR's manifest describes (the scenario file at its recorded path, which
/// must be unchanged; seed, replications, shard) in a temporary folder, and check every
/// output the manifest lists: the file in DIR and the re-run's must both have the
/// manifest's SHA-256. Prints one line per file; exit code 0 if all match, 1 otherwise.
#[derive(clap::Args)]
pub struct Args {
    /// Run folder (holding manifest.json)
    dir: PathBuf,
    /// Worker threads (default: all cores; the outputs do not depend on it)
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.dir.join("manifest.json").exists() {
        return Err(BadInput(format!(
            "{} is not a finished run folder (no manifest.json)",
            args.dir.display()
        ))
        .into());
    }
    let threads = super::worker_threads(args.threads)?;
    super::install_interrupt_handler();
    let checks = crate::verify::verify(&args.dir, threads, args.quiet)?;
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &checks {
        println!("{:width$}  {}", c.name, c.verdict());
    }
    let bad = checks.iter().filter(|c| !c.ok()).count();
    if bad == 0 {
        println!(
            "verified: all {} outputs of {} reproduce",
            checks.len(),
            args.dir.display()
        );
        Ok(())
    } else {
        anyhow::bail!(
            "{bad} of {} outputs of {} do not match their manifest",
            checks.len(),
            args.dir.display()
        )
    }
}
