//! `policysim run SCENARIO`: run the replications (all, or one shard) and write the run
//! folder; `policysim run --resume DIR`: finish an interrupted run.

use std::path::PathBuf;
use std::sync::Arc;

use super::limits;
use crate::actuals::AsOfRun;
use crate::error::Error;
use crate::job::{self, JobSpec, Seams};
use crate::output::rowfile::RowFormat;
use crate::scenario::LoadedScenario;
use crate::shard::Shard;

/// Run a scenario's replications and write a run folder: summary.csv, targets.csv,
/// budget.csv, replications.csv, series.csv, parameters.csv (or, with --rows parquet,
/// replications.parquet, series.parquet, parameters.parquet), timeseries.csv,
/// report.html, report.xlsx and manifest.json.
///
/// Resources: before any work, the run estimates the memory and disk it will need (see
/// the header it prints) and refuses (exit code 2) a run this machine cannot hold; --force
/// does not override that.
///
/// Shards: `--shard K/N` runs the K-th of N contiguous slices of the replications, K
/// counted from 0 (0 ≤ K < N ≤ replications), so `policysim merge` can combine the N
/// folders into the outputs of one run. Without the flag the shard comes from the
/// environment, first match wins: (1) SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (a
/// Slurm job array submitted with --array=0-(N-1)); (2) JOB_COMPLETION_INDEX (a
/// Kubernetes Indexed Job) with POLICYSIM_SHARD_COUNT, which must be set to the Job's
/// completions. When POLICYSIM_SHARD_COUNT is set it also overrides
/// SLURM_ARRAY_TASK_COUNT, e.g. to re-run one failed array task alone. `--shard` always
/// wins over the environment.
///
/// Resume: an interrupted run (Ctrl-C, SIGTERM, a killed job) keeps a checkpoint in its
/// folder; `policysim run --resume DIR` finishes it, from any folder, with the same result
/// as an uninterrupted run. The scenario, seed, replications and shard come from the
/// checkpoint (a relative scenario path is looked up in the folder the run was started
/// in); any given again must match it.
///
/// Actuals: `--actuals DIR --as-of DATE` (or the scenario's [actuals] section) runs from
/// what has happened (docs/model.md, Runs from actuals): the folder is validated before
/// any work, the known firms continue from their observed state on the as-of date, and
/// nothing before it is simulated. The manifest records the folder's SHA-256; `--resume`,
/// `merge` and `verify` refuse a changed folder.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (TOML); optional with --resume
    #[arg(required_unless_present = "resume")]
    scenario: Option<PathBuf>,
    /// Replications, 1 to 2^53 (default: the scenario's [run] replications)
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = limits::replications)]
    reps: Option<u64>,
    /// Seed, 0 to 2^64-1 (default: the scenario's [run] seed)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::seed)]
    seed: Option<u64>,
    /// Worker threads, 1 to 4 × the cores (at most 256) (default: all cores)
    #[arg(long, allow_negative_numbers = true, value_parser = limits::threads)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>, or
    /// output/<scenario>-<seed>-shard-K-of-N for a shard)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing run folder, removing what policysim wrote there (outputs,
    /// temporary files and scratch of an interrupted run, its checkpoint) and nothing else
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Run only shard K of N (K from 0 to N-1). Precedence: this flag, then
    /// SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT, then JOB_COMPLETION_INDEX +
    /// POLICYSIM_SHARD_COUNT
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    shard: Option<String>,
    /// Finish the interrupted run in DIR from its checkpoint
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// No progress bar and no summary on the terminal
    #[arg(long, short)]
    quiet: bool,
    /// Run blocks until this rule holds (repeatable; all must hold): METRIC:STATISTIC:WIDTH,
    /// e.g. outlay.total:mean:0.5%, outlay.total:p95:1%, target.*:probability:0.01
    #[arg(long, value_name = "RULE", conflicts_with_all = ["reps", "shard", "resume"])]
    precision: Vec<String>,
    /// With --precision: the most replications to run (default: 1000000)
    #[arg(long, requires = "precision")]
    max_reps: Option<u64>,
    /// Start from what has happened: the actuals folder (docs/actuals-format.md); with
    /// --as-of. Overrides the scenario's [actuals] dir
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    actuals: Option<PathBuf>,
    /// The day the actuals are known to (YYYY-MM-DD, 1900-01-01 .. 2200-12-31); nothing
    /// before it is simulated.
    /// Overrides the scenario's [actuals] as_of
    #[arg(long, value_name = "DATE", conflicts_with = "resume", value_parser = super::parse_date)]
    as_of: Option<chrono::NaiveDate>,
    /// Format of the row files (replications, series, parameters): csv, or parquet for
    /// large runs (default: csv; with --resume, the interrupted run's)
    #[arg(long, value_enum, value_name = "FORMAT")]
    rows: Option<RowFormat>,
}

/// A run as the job will do it: the scenario loaded, the path to record for it, and the
/// job's settings.
pub struct Resolved {
    pub loaded: LoadedScenario,
    /// The scenario path to record (as given, relative to `spec.working_dir`).
    pub scenario_path: PathBuf,
    pub spec: JobSpec,
}

impl Args {
    /// Turns the command line, the environment and (for `--resume`) the checkpoint into
    /// one resolved run; every value is checked here, before any work.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        let flag_shard = self.shard.as_deref().map(Shard::parse).transpose()?;
        let seams = Seams::from_env()?;
        match &self.resume {
            Some(dir) => self.resolve_resume(dir, flag_shard, seams),
            None => self.resolve_fresh(flag_shard, seams),
        }
    }

    fn spec(&self, replications: u64, seed: u64, shard: Option<Shard>, out: PathBuf) -> JobSpec {
        JobSpec {
            replications,
            seed,
            threads: limits::worker_threads(self.threads),
            shard,
            out,
            force: self.force,
            quiet: self.quiet,
            resume: false,
            precision: Vec::new(),
            working_dir: job::working_dir(),
            actuals: None,
            seams: Seams {
                block: job::BLOCK,
                stop_after_blocks: None,
            },
            rows: self.rows.unwrap_or_default(),
        }
    }

    fn resolve_fresh(&self, flag_shard: Option<Shard>, seams: Seams) -> Result<Resolved, Error> {
        let path = self
            .scenario
            .clone()
            .ok_or_else(|| Error::bad_input("a scenario file is required"))?;
        let loaded = super::load_scenario(&path)?;
        let s = &loaded.scenario;
        let actuals = AsOfRun::resolve(self.actuals.as_deref(), self.as_of, s)?.map(Arc::new);
        let seed = self.seed.unwrap_or(s.seed);
        let replications = match self.max_reps {
            Some(m) => m,
            None if !self.precision.is_empty() => 1_000_000,
            None => self.reps.unwrap_or(s.replications),
        };
        if replications == 0 {
            return Err(Error::bad_input("--reps must be at least 1"));
        }
        let shard = match flag_shard {
            Some(sh) => Some(sh),
            None => Shard::from_env(&|k| std::env::var(k).ok())?,
        };
        if let Some(sh) = shard {
            if sh.range(replications).is_empty() {
                return Err(Error::bad_input(format!(
                    "{sh} of {replications} replications holds no replication; use at most \
                     {replications} shards"
                )));
            }
        }
        let out = self.out.clone().unwrap_or_else(|| {
            let name = match shard {
                Some(sh) => format!("{}-{seed}-shard-{}-of-{}", s.name, sh.index, sh.count),
                None => format!("{}-{seed}", s.name),
            };
            PathBuf::from("output").join(name)
        });
        let layout = crate::metrics::MetricLayout::new(s);
        let precision = self
            .precision
            .iter()
            .map(|r| crate::precision::parse(r, s, &layout))
            .collect::<Result<_, _>>()
            .map_err(|e| Error::bad_input(e.to_string()))?;
        let spec = JobSpec {
            seams,
            precision,
            actuals,
            ..self.spec(replications, seed, shard, out)
        };
        Ok(Resolved {
            loaded,
            scenario_path: path,
            spec,
        })
    }

    fn resolve_resume(
        &self,
        dir: &std::path::Path,
        flag_shard: Option<Shard>,
        seams: Seams,
    ) -> Result<Resolved, Error> {
        let saved = job::read_progress(dir)?;
        let differs = |what: &str, given: String, saved: String| {
            Error::bad_input(format!(
                "cannot resume {}: {what} {given} was given, the interrupted run has {saved}",
                dir.display()
            ))
        };
        if let Some(r) = self.reps.filter(|&r| r != saved.replications) {
            return Err(differs(
                "--reps",
                r.to_string(),
                saved.replications.to_string(),
            ));
        }
        if let Some(s) = self.seed.filter(|&s| s != saved.seed) {
            return Err(differs("--seed", s.to_string(), saved.seed.to_string()));
        }
        if let Some(sh) = flag_shard.filter(|&sh| Some(sh) != saved.shard) {
            return Err(differs("--shard", show(Some(sh)), show(saved.shard)));
        }
        if let Some(rows) = self.rows.filter(|&r| r != saved.rows) {
            let (given, theirs) = (rows.name().into(), saved.rows.name().into());
            return Err(differs("--rows", given, theirs));
        }
        let path = crate::recorded::scenario_path(
            &saved.scenario_path,
            saved.working_dir.as_deref(),
            self.scenario.as_deref(),
        );
        // The hash is checked against the checkpoint's by the job, with the other fields.
        if !path.exists() {
            return Err(Error::bad_input(format!(
                "cannot resume {}: the scenario file {} the run recorded is not there (a \
                 relative path is looked up in the folder the run was started in); give it \
                 as `policysim run FILE --resume {}`",
                dir.display(),
                path.display(),
                dir.display()
            )));
        }
        let loaded = super::load_scenario(&path)?;
        let actuals = match &saved.actuals {
            Some(rec) => {
                let what = format!("cannot resume {}", dir.display());
                let run =
                    AsOfRun::reload(rec, saved.working_dir.as_deref(), &loaded.scenario, &what)?;
                Some(Arc::new(run))
            }
            None => None,
        };
        let (scenario_path, working_dir) = match &self.scenario {
            Some(given) => (given.clone(), job::working_dir()),
            None => (
                PathBuf::from(&saved.scenario_path),
                saved.working_dir.clone(),
            ),
        };
        let spec = JobSpec {
            resume: true,
            working_dir,
            seams,
            actuals,
            rows: saved.rows,
            ..self.spec(
                saved.replications,
                saved.seed,
                saved.shard,
                dir.to_path_buf(),
            )
        };
        Ok(Resolved {
            loaded,
            scenario_path,
            spec,
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let Resolved {
        loaded,
        scenario_path,
        spec,
    } = args.resolve()?;
    crate::interrupt::install_handler();
    let result = job::run(&loaded, &scenario_path, &spec)?;
    if !args.quiet {
        crate::output::terminal::print_run_summary(
            &loaded.scenario,
            &result.stats,
            &result.manifest,
            &spec.out,
        );
        crate::output::terminal::print_precision(
            &result.manifest.execution.precision,
            result.manifest.replication_count,
        );
    }
    Ok(())
}

fn show(shard: Option<Shard>) -> String {
    shard.map_or("no shard".into(), |s| s.to_string())
}
