//! `policysim check SCENARIO`: validate a scenario and print it resolved.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use crate::scenario::node;

/// Validate a scenario file and print the resolved scenario (after `extends`).
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML)
    scenario: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let loaded = super::load_scenario(&args.scenario)?;
    let s = &loaded.scenario;
    let mut out = String::new();
    writeln!(out, "# {} — {}", s.name, s.title)?;
    writeln!(
        out,
        "# files: {}",
        loaded
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect::<Vec<_>>()
            .join(" <- ")
    )?;
    writeln!(out, "# hash: {}", loaded.hash)?;
    writeln!(
        out,
        "# {} tiers, {} cohorts ({} firms), {} occurrences, {} instruments ({} enabled), {} budget lines, {} districts, {} targets",
        s.tiers.len() - 1,
        s.cohorts.len(),
        s.cohorts.iter().map(|c| c.count).sum::<u64>(),
        s.occurrences.len(),
        s.instruments.len(),
        s.instruments.iter().filter(|i| i.enabled).count(),
        s.budget_lines.len(),
        s.districts.len(),
        s.targets.len()
    )?;
    writeln!(out, "# parameters drawn once per replication:")?;
    for p in &s.uncertain {
        writeln!(out, "#   {} (mean {:.4})", p.key_path, p.dist.mean())?;
    }
    writeln!(out, "# instruments:")?;
    for i in &s.instruments {
        writeln!(
            out,
            "#   {:<34} {:<10} clause {:<6} line {:<10} {}",
            i.id,
            i.kind.name(),
            i.clause,
            s.budget_lines[i.budget_line].id,
            if i.enabled { "" } else { "(disabled)" }
        )?;
    }
    writeln!(out,)?;
    write!(
        out,
        "{}",
        toml::to_string_pretty(&node::to_toml(&loaded.tree))?
    )?;
    // A closed pipe (`check FILE | head`) is the reader's choice, not an error.
    match std::io::stdout().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
