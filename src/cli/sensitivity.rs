//! `policysim sensitivity SCENARIO`: variance-based indices of chosen metrics with respect
//! to every parameter drawn once per replication and the intrinsic randomness, with
//! bootstrap intervals and tornado swings (docs/model.md, Sensitivity).

use std::path::PathBuf;

use anyhow::Result;

use crate::engine::Model;
use crate::error::Error;
use crate::scenario;
use crate::sensitivity::design::{self, Metric};
use crate::sensitivity::run::{self, Outcome, Spec};
use crate::shard::Shard;

/// Sobol first- and total-order indices from a Saltelli design (N rows cost
/// (parameters + 3) × N replications: the intrinsic randomness is one more input), with
/// bootstrap 95 % intervals and a tornado per metric. Writes design.csv, sensitivity.csv,
/// report.html and manifest.json.
///
/// Shards: `--shard K/N` (or the Slurm / Kubernetes environment, as for `run`) runs the
/// K-th of N slices of the rows and writes only design.csv and manifest.json;
/// `policysim sensitivity --merge DIR...` puts the N folders together into what one run
/// writes.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (TOML)
    #[arg(required_unless_present = "merge")]
    scenario: Option<PathBuf>,
    /// Metrics, comma-separated: columns of replications.csv or target.ID:attained
    /// (default: outlay.total, each outlay.year.*, every target's attainment)
    #[arg(long, value_delimiter = ',', conflicts_with = "merge")]
    metrics: Option<Vec<String>>,
    /// Rows N of the design (default: 1000)
    #[arg(long, conflicts_with = "merge")]
    reps: Option<u64>,
    /// Seed (default: the scenario's [run] seed)
    #[arg(long, conflicts_with = "merge")]
    seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>-sensitivity[-shard-K-of-N])
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing output folder
    #[arg(long)]
    force: bool,
    /// No progress bar and no table on the terminal
    #[arg(long, short)]
    quiet: bool,
    /// Run only shard K of N of the design's rows (K from 0 to N-1)
    #[arg(long, value_name = "K/N", conflicts_with = "merge")]
    shard: Option<String>,
    /// Merge the folders of `sensitivity --shard` into one
    #[arg(long, value_name = "DIR", num_args = 1..)]
    merge: Option<Vec<PathBuf>>,
}

/// A sensitivity job as it will run.
pub enum Resolved {
    /// Put the folders of `--shard` runs together into `out`.
    Merge {
        dirs: Vec<PathBuf>,
        out: PathBuf,
        force: bool,
        threads: usize,
    },
    /// Run the design's rows (or one shard of them).
    Design {
        // Boxed: a loaded scenario is large beside a merge's few paths.
        loaded: Box<scenario::LoadedScenario>,
        path: PathBuf,
        metrics: Vec<Metric>,
        spec: Spec,
    },
}

impl Args {
    /// Turns the command line and the environment into one resolved job; every value is
    /// checked here, before any work.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let threads = super::limits::worker_threads(self.threads);
        if let Some(dirs) = &self.merge {
            let out = self
                .out
                .clone()
                .ok_or_else(|| Error::bad_input("--merge needs --out"))?;
            return Ok(Resolved::Merge {
                dirs: dirs.clone(),
                out,
                force: self.force,
                threads,
            });
        }
        let path = self
            .scenario
            .clone()
            .expect("clap requires SCENARIO unless --merge, which returned above");
        let loaded = scenario::load(&path)?;
        let s = &loaded.scenario;
        super::refuse_actuals(s, &path, "sensitivity")?;
        let seed = self.seed.unwrap_or(s.seed);
        let rows = self.reps.unwrap_or(1000);
        if rows < 10 {
            return Err(Error::bad_input(
                "--reps must be at least 10 (rows of the design)",
            ));
        }
        let shard = match self.shard.as_deref().map(Shard::parse).transpose()? {
            Some(sh) => Some(sh),
            None => Shard::from_env(&|k| std::env::var(k).ok())?,
        };
        if let Some(sh) = shard.filter(|sh| sh.range(rows).is_empty()) {
            return Err(Error::bad_input(format!(
                "shard {}/{} of {rows} rows holds no row",
                sh.index, sh.count
            )));
        }
        let model = Model::new(s);
        let metrics = design::metrics(s, &model.layout, self.metrics.as_deref())
            .map_err(|e| Error::bad_input(e.to_string()))?;
        let out = self.out.clone().unwrap_or_else(|| {
            let name = match shard {
                Some(sh) => format!(
                    "{}-{seed}-sensitivity-shard-{}-of-{}",
                    s.name, sh.index, sh.count
                ),
                None => format!("{}-{seed}-sensitivity", s.name),
            };
            PathBuf::from("output").join(name)
        });
        let spec = Spec {
            rows,
            seed,
            threads,
            shard,
            out,
            force: self.force,
            quiet: self.quiet,
        };
        Ok(Resolved::Design {
            loaded: Box::new(loaded),
            path,
            metrics,
            spec,
        })
    }
}

pub fn run(args: Args) -> Result<()> {
    let (outcome, out) = match args.resolve()? {
        Resolved::Merge {
            dirs,
            out,
            force,
            threads,
        } => (run::merge(&dirs, &out, force, threads)?, out),
        Resolved::Design {
            loaded,
            path,
            metrics,
            spec,
        } => (run::run(&loaded, &path, metrics, &spec)?, spec.out),
    };
    if !args.quiet {
        print_summary(&outcome, &out);
    }
    Ok(())
}

/// The first metric's indices, largest total order first, and where the files are.
fn print_summary(outcome: &Outcome, out: &std::path::Path) {
    if let Some(r) = outcome.results.first() {
        println!("{}: first order [95% CI] / total order [95% CI]", r.metric);
        let mut order: Vec<usize> = (0..r.inputs.len()).collect();
        order.sort_by(|&a, &b| {
            r.indices[b]
                .total
                .value
                .total_cmp(&r.indices[a].total.value)
        });
        for i in order.into_iter().take(12) {
            let ix = &r.indices[i];
            println!(
                "  {:<52} {:>7.3} [{:>7.3}, {:>7.3}]   {:>7.3} [{:>7.3}, {:>7.3}]",
                r.inputs[i],
                ix.first.value,
                ix.first.low,
                ix.first.high,
                ix.total.value,
                ix.total.low,
                ix.total.high
            );
        }
    }
    println!(
        "{} replications in {:.1} s; wrote {}",
        outcome.replications,
        outcome.seconds,
        out.display()
    );
}
