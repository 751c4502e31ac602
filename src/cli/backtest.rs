//! `policysim backtest SCENARIO --actuals DIR`: how the scenario's forecast, run from its
//! own start, compares with what was observed (docs/model.md, Backtest).

use std::path::PathBuf;

use anyhow::Result;

use crate::backtest::{self, Spec};
use crate::error::Error;
use crate::scenario;

use super::limits;

/// Runs the scenario from its own start (the actuals are not inputs to the simulation)
/// and scores every row of the actuals' observations.csv against the predictive
/// distribution of its metric over its window: mean, quantiles 5/25/50/75/95, mid-PIT,
/// inside the central 50 % and 90 % intervals, fair CRPS. Writes backtest.csv,
/// report.html and manifest.json, and prints how many observations fall inside their
/// 90 % interval.
///
/// Not sharded: a backtest runs one folder on one machine (no --shard, no merge);
/// `policysim verify DIR` re-runs it and checks backtest.csv and report.html.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Actuals folder whose observations.csv is scored (docs/actuals-format.md)
    #[arg(long, value_name = "DIR")]
    actuals: PathBuf,
    /// Replications (default: the scenario's [run] replications)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = limits::replications)]
    reps: Option<u64>,
    /// Seed (default: the scenario's [run] seed)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::seed)]
    seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::threads)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>-backtest)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing output folder
    #[arg(long)]
    force: bool,
    /// No progress bar and no table on the terminal
    #[arg(long, short)]
    quiet: bool,
}

/// A backtest as it will run: the scenario loaded and the settings.
pub struct Resolved {
    pub loaded: scenario::LoadedScenario,
    pub spec: Spec,
}

impl Args {
    /// Turns the command line into one resolved backtest; every value is checked here,
    /// before any work.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let threads = limits::worker_threads(self.threads);
        let loaded = scenario::load(&self.scenario)?;
        let s = &loaded.scenario;
        let seed = self.seed.unwrap_or(s.seed);
        let reps = self.reps.unwrap_or(s.replications);
        if reps < 2 {
            return Err(Error::bad_input(
                "--reps must be at least 2: a predictive distribution needs an ensemble",
            ));
        }
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-{seed}-backtest", s.name)));
        let spec = Spec {
            actuals: self.actuals.clone(),
            working_dir: crate::job::working_dir(),
            reps,
            seed,
            threads,
            out,
            force: self.force,
            quiet: self.quiet,
        };
        Ok(Resolved { loaded, spec })
    }
}

pub fn run(args: Args) -> Result<()> {
    let Resolved { loaded, spec } = args.resolve()?;
    let (reps, out) = (spec.reps, &spec.out);
    crate::interrupt::install_handler();
    let outcome = backtest::run(&loaded, &args.scenario, &spec)?;
    let n = outcome.scored.len();
    if !spec.quiet {
        println!(
            "{:<40} {:<16} {:>14} {:>14} {:>14} {:>6} {:>4}",
            "metric", "window", "observed", "5 %", "95 %", "PIT", "90%"
        );
        for x in &outcome.scored {
            let (o, sc) = (&x.observation, &x.score);
            println!(
                "{:<40} {:<16} {:>14} {:>14} {:>14} {:>6.3} {:>4}",
                o.metric,
                backtest::window_label(o.window),
                backtest::shown(o.value),
                backtest::shown(sc.quantiles[0]),
                backtest::shown(sc.quantiles[4]),
                sc.pit,
                if sc.in90 { "yes" } else { "no" }
            );
        }
    }
    println!(
        "{} of {n} observations inside their 90 % interval",
        outcome.inside90()
    );
    if !spec.quiet {
        println!(
            "{reps} replications in {:.1} s; wrote {}",
            outcome.seconds,
            out.display()
        );
    }
    Ok(())
}
