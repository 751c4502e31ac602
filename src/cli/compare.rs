//! `policysim compare A.toml B.toml [C.toml ...]`: run every scenario with the same seed
//! on common random numbers and write the paired differences of each against the first.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::limits;
use crate::compare::{self, Comparison};
use crate::error::Error;
use crate::job;
use crate::metrics::MetricLayout;
use crate::precision::PairedTracker;
use crate::scenario::LoadedScenario;

/// Run two or more scenarios with the same seed (replication r of each on the same random
/// streams) and write comparison.csv, comparison_targets.csv, report.html and
/// manifest.json: each scenario after the first against the first.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files (TOML); the first is the reference
    #[arg(num_args = 2.., required = true)]
    scenarios: Vec<PathBuf>,
    /// Replications per scenario, 2 to 2^53 (default: the first scenario's [run]
    /// replications)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = limits::replications)]
    reps: Option<u64>,
    /// Run blocks until this rule holds for the paired difference of every scenario and
    /// the first (repeatable; all must hold): METRIC:STATISTIC:WIDTH, e.g.
    /// outlay.total:mean:5%, outlay.total:p95:10%, target.*:probability:0.01
    #[arg(long, value_name = "RULE", conflicts_with = "reps")]
    precision: Vec<String>,
    /// With --precision: the most replications to run (default: 1000000)
    #[arg(long, value_name = "N", requires = "precision", allow_negative_numbers = true, value_parser = limits::replications)]
    max_reps: Option<u64>,
    /// Seed, 0 to 2^64-1 (default: the first scenario's [run] seed)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::seed)]
    seed: Option<u64>,
    /// Worker threads, 1 to 4 × the cores (at most 256) (default: all cores)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::threads)]
    threads: Option<usize>,
    /// Output folder (default: output/compare-<A>-vs-<B>...-<seed>)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing comparison folder
    #[arg(long)]
    force: bool,
    /// No progress bar and no table on the terminal
    #[arg(long, short)]
    quiet: bool,
}

/// A comparison as it will run: every value checked, the scenarios loaded.
pub struct Resolved {
    pub loaded: Vec<LoadedScenario>,
    pub spec: compare::job::Spec,
}

impl Args {
    /// Turns the command line into one resolved comparison, before any work.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let loaded: Vec<LoadedScenario> = self
            .scenarios
            .iter()
            .map(|p| super::load_scenario(p))
            .collect::<Result<_, _>>()?;
        for (path, l) in self.scenarios.iter().zip(&loaded) {
            super::refuse_actuals(&l.scenario, path, "compare")?;
        }
        let first = &loaded[0].scenario;
        let seed = self.seed.unwrap_or(first.seed);
        let replications = match self.max_reps {
            Some(m) => m,
            None if !self.precision.is_empty() => 1_000_000,
            None => self.reps.unwrap_or(first.replications),
        };
        if replications < 2 {
            let source = match (self.reps, self.max_reps) {
                (_, Some(_)) => "--max-reps".to_string(),
                (Some(_), None) => "--reps".to_string(),
                (None, None) => format!("[run] replications of {}", self.scenarios[0].display()),
            };
            return Err(Error::bad_input(format!(
                "compare needs at least 2 replications ({source} is {replications}): its \
                 paired intervals come from the spread of the differences"
            )));
        }
        let names: Vec<&str> = loaded.iter().map(|l| l.scenario.name.as_str()).collect();
        let out = self.out.clone().unwrap_or_else(|| {
            PathBuf::from("output").join(format!("compare-{}-{seed}", names.join("-vs-")))
        });
        let precision = self.precision_rules(&loaded)?;
        let spec = compare::job::Spec {
            seed,
            replications,
            threads: limits::worker_threads(self.threads),
            out,
            force: self.force,
            quiet: self.quiet,
            precision,
        };
        Ok(Resolved { loaded, spec })
    }

    /// The `--precision` rules, parsed against the first scenario and found in every
    /// other, with the block size they are checked after.
    fn precision_rules(
        &self,
        loaded: &[LoadedScenario],
    ) -> Result<Option<(PairedTracker, u64)>, Error> {
        if self.precision.is_empty() {
            return Ok(None);
        }
        let bad = |e: crate::precision::BadRule| Error::bad_input(e.to_string());
        let layouts: Vec<MetricLayout> = loaded
            .iter()
            .map(|l| MetricLayout::new(&l.scenario))
            .collect();
        let rules = self
            .precision
            .iter()
            .map(|r| crate::precision::parse(r, &loaded[0].scenario, &layouts[0]))
            .collect::<Result<_, _>>()
            .map_err(bad)?;
        let others: Vec<_> = loaded[1..]
            .iter()
            .map(|l| &l.scenario)
            .zip(&layouts[1..])
            .collect();
        let tracker = PairedTracker::new(rules, &layouts[0], &others).map_err(bad)?;
        Ok(Some((tracker, job::Seams::from_env()?.block)))
    }
}

pub fn run(args: Args) -> Result<()> {
    let Resolved { loaded, spec } = args.resolve()?;
    let (seed, out) = (spec.seed, spec.out.clone());
    let outcome = compare::job::run(&loaded, &args.scenarios, spec)?;
    if !args.quiet {
        let replications = outcome.replications;
        print_table(&loaded, &outcome.comparisons, replications, seed, &out);
        crate::output::terminal::print_precision(&outcome.precision, replications);
    }
    Ok(())
}

fn print_table(
    loaded: &[LoadedScenario],
    comparisons: &[Comparison],
    replications: u64,
    seed: u64,
    out: &Path,
) {
    println!(
        "compared {} scenarios, {} replications each, seed {} -> {}",
        loaded.len(),
        replications,
        seed,
        out.display()
    );
    let names = crate::metrics::headline_metrics(&loaded[0].scenario);
    for c in comparisons {
        println!(
            "\n{} − {}            mean a      mean b        diff   95% interval of diff     P(b>a)",
            c.scenario_b, c.scenario_a
        );
        for name in &names {
            let Some(m) = c.metric(name) else { continue };
            let d = &m.diff;
            let (k, unit) = if name.starts_with("outlay.") {
                (1.0e6, " (M¥)")
            } else {
                (1.0, "")
            };
            println!(
                "  {:<24} {:>10.2} {:>10.2} {:>+11.2}  [{:>+10.2}, {:>+10.2}]  {:>6.3}",
                format!("{name}{unit}"),
                d.mean_a / k,
                d.mean_b / k,
                d.mean_diff / k,
                d.ci95_low / k,
                d.ci95_high / k,
                d.p_b_greater
            );
        }
        let mut t: Vec<_> = c.targets.iter().filter(|t| t.change != 0.0).collect();
        t.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
        if t.is_empty() {
            println!("  no target's probability changed");
        } else {
            println!("  targets changed most            P(a)    P(b)   change   95% interval");
            for x in t.iter().take(8) {
                println!(
                    "  {:<28} {:>6.3}  {:>6.3}  {:>+7.3}  [{:+.3}, {:+.3}]",
                    x.target,
                    x.probability_a,
                    x.probability_b,
                    x.change,
                    x.change_ci95_low,
                    x.change_ci95_high
                );
            }
        }
    }
}
