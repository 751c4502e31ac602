//! `policysim run SCENARIO`: run the replications (all, or one shard) and write the run
//! folder; `policysim run --resume DIR`: finish an interrupted run.

use std::path::PathBuf;

use super::BadInput;
use crate::job::{self, JobSpec, Shard};
use crate::scenario;

/// Run a scenario's replications and write summary, targets, budget, replications,
/// timeseries and manifest to a run folder.
///
/// Shards: `--shard K/N` runs the K-th of N contiguous slices of the replications, K
/// counted from 0 (0 ≤ K < N), so `policysim merge` can combine the N folders into the
/// outputs of one run. Without the flag the shard comes from the environment, first
/// match wins: (1) SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (a Slurm job array
/// submitted with --array=0-(N-1)); (2) JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)
/// with POLICYSIM_SHARD_COUNT, which must be set to the Job's completions. When
/// POLICYSIM_SHARD_COUNT is set it also overrides SLURM_ARRAY_TASK_COUNT, e.g. to re-run
/// one failed array task alone. `--shard` always wins over the environment.
///
/// Resume: an interrupted run (Ctrl-C, SIGTERM, a killed job) keeps a checkpoint in its
/// folder; `policysim run --resume DIR` finishes it, with the same result as an
/// uninterrupted run. The scenario, seed, replications and shard come from the
/// checkpoint (the scenario path as first given, relative to the working directory); any
/// given again must match it.
#[derive(clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Scenario file (TOML); optional with --resume
    #[arg(required_unless_present = "resume")]
    scenario: Option<PathBuf>,
    /// Replications (default: the scenario's [run] replications)
    #[arg(long)]
    reps: Option<u64>,
    /// Seed (default: the scenario's [run] seed)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>, or
    /// output/<scenario>-<seed>-shard-K-of-N for a shard)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing run folder (or the leftovers of an interrupted run)
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Run only shard K of N (K from 0 to N-1). Precedence: this flag, then
    /// SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT, then JOB_COMPLETION_INDEX +
    /// POLICYSIM_SHARD_COUNT
    #[arg(long, value_name = "K/N")]
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
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let threads = super::worker_threads(args.threads)?;
    let flag_shard = args.shard.as_deref().map(parse_shard).transpose()?;
    let spec_of = |replications, seed, shard, out: PathBuf, resume| JobSpec {
        precision: Vec::new(),
        replications,
        seed,
        threads,
        shard,
        out,
        force: args.force,
        quiet: args.quiet,
        resume,
    };

    let (loaded, scenario_path, spec) = if let Some(dir) = &args.resume {
        let saved = job::read_progress(dir)?;
        let path = args
            .scenario
            .clone()
            .unwrap_or_else(|| PathBuf::from(&saved.scenario_path));
        let loaded = scenario::load(&path)?;
        let saved_shard = saved.shard.as_ref().map(|s| Shard {
            index: s.index,
            count: s.count,
        });
        let differs = |what: &str, given: String, saved: String| {
            BadInput(format!(
                "cannot resume {}: {what} {given} was given, the interrupted run has {saved}",
                dir.display()
            ))
        };
        if let Some(r) = args.reps.filter(|&r| r != saved.replications) {
            return Err(differs("--reps", r.to_string(), saved.replications.to_string()).into());
        }
        if let Some(s) = args.seed.filter(|&s| s != saved.seed) {
            return Err(differs("--seed", s.to_string(), saved.seed.to_string()).into());
        }
        if let Some(sh) = flag_shard.filter(|&sh| Some(sh) != saved_shard) {
            return Err(differs("--shard", show(Some(sh)), show(saved_shard)).into());
        }
        let spec = spec_of(
            saved.replications,
            saved.seed,
            saved_shard,
            dir.clone(),
            true,
        );
        (loaded, path, spec)
    } else {
        let path = args.scenario.clone().expect("clap requires it");
        let loaded = scenario::load(&path)?;
        let s = &loaded.scenario;
        let seed = args.seed.unwrap_or(s.seed);
        let replications = match args.max_reps {
            Some(m) => m,
            None if !args.precision.is_empty() => 1_000_000,
            None => args.reps.unwrap_or(s.replications),
        };
        if replications == 0 {
            return Err(BadInput("--reps must be at least 1".into()).into());
        }
        let shard = match flag_shard {
            Some(sh) => Some(sh),
            None => shard_from_env(&|k| std::env::var(k).ok())?,
        };
        if let Some(sh) = shard {
            if sh.range(replications).is_empty() {
                return Err(BadInput(format!(
                    "shard {}/{} of {replications} replications holds no replication; \
                     use at most {replications} shards",
                    sh.index, sh.count
                ))
                .into());
            }
        }
        let out = args.out.clone().unwrap_or_else(|| {
            let name = match shard {
                Some(sh) => format!("{}-{seed}-shard-{}-of-{}", s.name, sh.index, sh.count),
                None => format!("{}-{seed}", s.name),
            };
            PathBuf::from("output").join(name)
        });
        let mut spec = spec_of(replications, seed, shard, out, false);
        let layout = crate::metrics::MetricLayout::new(s);
        spec.precision = args
            .precision
            .iter()
            .map(|r| crate::precision::parse(r, s, &layout))
            .collect::<Result<_, _>>()
            .map_err(|e| BadInput(e.to_string()))?;
        (loaded, path, spec)
    };

    super::install_interrupt_handler();
    let result = job::run(&loaded, &scenario_path, &spec)?;
    if !args.quiet {
        crate::output::terminal::print_run_summary(
            &loaded.scenario,
            &result.stats,
            &result.manifest,
            &spec.out,
        );
        crate::output::terminal::print_precision(&result.manifest);
    }
    Ok(())
}

fn show(shard: Option<Shard>) -> String {
    shard.map_or("no shard".into(), |s| {
        format!("shard {}/{}", s.index, s.count)
    })
}

/// Parses `K/N` (0 ≤ K < N).
pub fn parse_shard(text: &str) -> Result<Shard, BadInput> {
    let bad = |why: &str| {
        BadInput(format!(
            "invalid shard {text:?}: {why} (expected K/N with 0 ≤ K < N, K counted from 0)"
        ))
    };
    let (k, n) = text.split_once('/').ok_or_else(|| bad("no '/'"))?;
    let k: u64 = k
        .trim()
        .parse()
        .map_err(|_| bad("K is not a whole number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| bad("N is not a whole number"))?;
    shard_of(k, n).map_err(|why| bad(&why))
}

fn shard_of(index: u64, count: u64) -> Result<Shard, String> {
    if count == 0 {
        return Err("N must be at least 1".into());
    }
    if index >= count {
        return Err(format!("K = {index} is not below N = {count}"));
    }
    Ok(Shard { index, count })
}

/// The shard named by the environment of a Slurm array task or a Kubernetes Indexed Job
/// (see `Args`), if any.
pub fn shard_from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Shard>, BadInput> {
    let number = |name: &str| -> Result<Option<u64>, BadInput> {
        match var(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| BadInput(format!("{name}={v:?} is not a whole number"))),
        }
    };
    let own_count = number("POLICYSIM_SHARD_COUNT")?;
    let (index, count, source) = if let Some(index) = number("SLURM_ARRAY_TASK_ID")? {
        let count = match own_count {
            Some(c) => c,
            None => number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                BadInput(
                    "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; \
                     set POLICYSIM_SHARD_COUNT or pass --shard K/N"
                        .into(),
                )
            })?,
        };
        (index, count, "SLURM_ARRAY_TASK_ID")
    } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = own_count.ok_or_else(|| {
            BadInput(
                "JOB_COMPLETION_INDEX is set but POLICYSIM_SHARD_COUNT is not; set it to the \
                 Job's completions, or pass --shard K/N"
                    .into(),
            )
        })?;
        (index, count, "JOB_COMPLETION_INDEX")
    } else {
        return Ok(None);
    };
    shard_of(index, count).map(Some).map_err(|why| {
        BadInput(format!(
            "invalid shard from {source}={index} with a count of {count}: {why} \
             (submit the array as --array=0-{}, or pass --shard K/N)",
            count.saturating_sub(1)
        ))
    })
}
