//! `policysim verify DIR`: re-run a run folder's run and check its outputs.

use std::path::PathBuf;

use super::limits;
use crate::error::Error;
use crate::verify::VerifySpec;

/// Re-run what DIR's manifest describes (the scenario file it records, which must be
/// unchanged — a relative path is looked up in the folder the run was started in; seed,
/// replications, shard) in a temporary folder, and check every output the manifest
/// lists: the file in DIR and the re-run's must both have the manifest's SHA-256. Prints
/// one line per file; exit code 0 if all match, 1 if any differs, 2 if DIR or its
/// scenario cannot be used.
#[derive(clap::Args)]
pub struct Args {
    /// Run folder (holding manifest.json)
    dir: PathBuf,
    /// The scenario file, if not at the path the manifest records
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Worker threads, 1 to 4 × the cores (at most 256) (default: all cores; the
    /// outputs do not depend on it)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::threads)]
    threads: Option<usize>,
    /// No progress bar
    #[arg(long, short)]
    quiet: bool,
}

impl Args {
    /// The verification as it will run.
    pub fn resolve(self) -> Result<VerifySpec, Error> {
        if !self.dir.join("manifest.json").exists() {
            return Err(Error::bad_input(format!(
                "{} is not a finished run folder (no manifest.json)",
                self.dir.display()
            )));
        }
        Ok(VerifySpec {
            threads: limits::worker_threads(self.threads),
            dir: self.dir,
            scenario: self.scenario,
            quiet: self.quiet,
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let spec = args.resolve()?;
    crate::interrupt::install_handler();
    let checks = crate::verify::verify(&spec)?;
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &checks {
        println!("{:width$}  {}", c.name, c.verdict());
    }
    let bad = checks.iter().filter(|c| !c.ok()).count();
    if bad == 0 {
        println!(
            "verified: all {} outputs of {} reproduce",
            checks.len(),
            spec.dir.display()
        );
        Ok(())
    } else {
        anyhow::bail!(
            "{bad} of {} outputs of {} do not match their manifest",
            checks.len(),
            spec.dir.display()
        )
    }
}
