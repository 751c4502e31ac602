//! `policysim check SCENARIO`: validate a scenario and print it resolved.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use crate::actuals;
use crate::error::Error;
use crate::scenario::{node, LoadedScenario};

/// Validate a scenario file and print the resolved scenario (after `extends`); with
/// `--actuals`, validate an actuals folder against it too (docs/actuals-format.md).
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Actuals folder to validate against the scenario (docs/actuals-format.md)
    #[arg(long, value_name = "DIR")]
    actuals: Option<PathBuf>,
    /// With actuals: no date in them may be after this one (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    as_of: Option<chrono::NaiveDate>,
}

/// A check as it will run: the scenario loaded, and the actuals folder (with its as-of
/// date, if any) to validate against it.
pub struct Resolved {
    pub loaded: LoadedScenario,
    pub actuals: Option<(PathBuf, Option<chrono::NaiveDate>)>,
}

impl Args {
    /// Loads the scenario and picks the actuals: the flags, else the scenario's
    /// [actuals] section.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let loaded = super::load_scenario(&self.scenario)?;
        let section = loaded.scenario.actuals.as_ref();
        let actuals = match (&self.actuals, section) {
            (Some(dir), _) => Some((dir.clone(), self.as_of.or(section.map(|a| a.as_of)))),
            (None, Some(sec)) => Some((sec.dir.clone(), self.as_of.or(Some(sec.as_of)))),
            (None, None) if self.as_of.is_some() => {
                return Err(Error::bad_input(
                    "--as-of needs --actuals DIR (or an [actuals] dir in the scenario)",
                ))
            }
            (None, None) => None,
        };
        Ok(Resolved { loaded, actuals })
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Resolved { loaded, actuals } = args.resolve()?;
    let s = &loaded.scenario;
    let mut out = String::new();
    if let Some((dir, as_of)) = &actuals {
        // Bad actuals are bad input (exit code 2), reported as the file, line and column.
        let a = actuals::load(dir, s, *as_of).map_err(|e| Error::bad_input(e.to_string()))?;
        writeln!(
            out,
            "# actuals {}: {} firms, {} events, {} payments, {} observations (sha256 {})",
            dir.display(),
            a.firms.len(),
            a.events.len(),
            a.payments.len(),
            a.observations.len(),
            a.sha256
        )?;
    }
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
