//! `policysim compare A.toml B.toml [C.toml ...]`: run every scenario with the same seed
//! on common random numbers and write the paired differences of each against the first.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::limits;
use crate::compare::{self, Comparison, ScenarioRows};
use crate::engine::Model;
use crate::error::Error;
use crate::footprint::{self, Shape};
use crate::job;
use crate::metrics::MetricLayout;
use crate::output::manifest::{ComparedScenario, ComparisonManifest, ENGINE, ENGINE_VERSION};
use crate::output::report;
use crate::output::rundir::RunDir;
use crate::precision::{PairedTracker, RuleOutcome};
use crate::scenario::{self, LoadedScenario};
use crate::stats::{self, Columns, Statistics};

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
    pub seed: u64,
    pub replications: u64,
    pub threads: usize,
    pub out: PathBuf,
    /// With `--precision`: the rules, and the block size they are checked after.
    pub precision: Option<(PairedTracker, u64)>,
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
        Ok(Resolved {
            seed,
            replications,
            threads: limits::worker_threads(self.threads),
            out,
            loaded,
            precision,
        })
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

/// What the comparison will need (every scenario's rows held at once, no row files),
/// refused when this machine cannot hold it.
fn estimate(r: &Resolved, quiet: bool) -> Result<(), Error> {
    let mut need = None::<footprint::Footprint>;
    for l in &r.loaded {
        let layout = &Model::new(&l.scenario).layout;
        let shape = Shape {
            metrics: layout.len(),
            series: layout.series_len(),
            replications: r.replications,
            threads: r.threads,
            block: job::BLOCK,
            stores: r.loaded.len(),
            csv_bytes_per_replication: 0,
        };
        let firms = footprint::firms_per_replication(&l.scenario);
        let f = footprint::estimate(firms, shape, &r.out, || 0)?;
        if need
            .as_ref()
            .is_none_or(|n| f.memory_bytes > n.memory_bytes)
        {
            need = Some(f);
        }
    }
    if let (false, Some(f)) = (quiet, need) {
        eprintln!(
            "policysim: comparing {} scenarios -> {}\n  {} (the largest scenario)",
            r.loaded.len(),
            r.out.display(),
            f.describe()
        );
    }
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    let resolved = args.resolve()?;
    estimate(&resolved, args.quiet)?;
    let Resolved {
        loaded,
        seed,
        replications,
        threads,
        out,
        precision,
    } = resolved;
    let mut dir = RunDir::prepare(&out, args.force)?;
    crate::interrupt::install_handler();

    let pool = job::thread_pool(threads)?;
    let scenarios: Vec<&scenario::Scenario> = loaded.iter().map(|l| &l.scenario).collect();
    let (rows, outcomes) = match precision {
        None => (
            run_all(&dir, &pool, &scenarios, seed, replications, args.quiet)?,
            Vec::new(),
        ),
        Some((tracker, block)) => {
            let bounds = Bounds {
                seed,
                replications,
                block,
            };
            run_to_precision(&dir, &pool, &scenarios, bounds, tracker, args.quiet)?
        }
    };
    let replications = rows[0].replications() as u64;
    let all_stats: Vec<Statistics> = scenarios
        .iter()
        .zip(&rows)
        .map(|(s, r)| pool.install(|| stats::compute(s, &r.layout, r)))
        .collect::<std::io::Result<_>>()?;
    let comparisons: Vec<Comparison> = (1..loaded.len())
        .map(|k| compare::compare(&loaded[0].scenario, &rows[0], &loaded[k].scenario, &rows[k]))
        .collect::<std::io::Result<_>>()?;

    compare::write_metrics_csv(dir.create("comparison.csv")?, &comparisons)?;
    compare::write_targets_csv(dir.create("comparison_targets.csv")?, &comparisons)?;
    let runs: Vec<(&scenario::Scenario, &Statistics)> = loaded
        .iter()
        .map(|l| &l.scenario)
        .zip(all_stats.iter())
        .collect();
    let html = report::comparison_report(&runs, &comparisons, seed);
    let mut w = dir.create("report.html")?;
    w.write_all(html.as_bytes())?;
    w.flush()?;
    drop(w);
    crate::output::workbook::write_comparison_workbook(&mut dir, &loaded[0].scenario)?;
    let record = Record {
        seed,
        replications,
        precision: outcomes,
    };
    write_manifest(&mut dir, &args.scenarios, &loaded, &record)?;
    dir.commit()?;

    if !args.quiet {
        print_table(&loaded, &comparisons, replications, seed, &out);
        crate::output::terminal::print_precision(&record.precision, replications);
    }
    Ok(())
}

/// The scratch place of the `k`-th of `stores` compared scenarios' rows.
fn place(dir: &RunDir, k: usize) -> std::path::PathBuf {
    let scratch = dir.temp_path(&format!("rows-{k}.scratch"));
    crate::interrupt::remove_on_abort(&scratch);
    scratch
}

/// Every scenario's `replications` rows, one scenario after the other.
fn run_all(
    dir: &RunDir,
    pool: &rayon::ThreadPool,
    scenarios: &[&scenario::Scenario],
    seed: u64,
    replications: u64,
    quiet: bool,
) -> Result<Vec<ScenarioRows>> {
    let mut rows = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let scratch = place(dir, k);
        let place = compare::RowsPlace {
            scratch: &scratch,
            stores: scenarios.len(),
        };
        let bar = job::progress_bar(replications, quiet, &format!("{} seed {seed}", s.name));
        let tick = job::ticker(&bar, 0);
        let r = pool.install(|| compare::run_rows(s, seed, replications, place, &tick));
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        bar.finish_and_clear();
        rows.push(r);
    }
    Ok(rows)
}

/// The replications a precision comparison may run: `seed`, at most `replications`, in
/// blocks of `block`.
struct Bounds {
    seed: u64,
    replications: u64,
    block: u64,
}

/// Every scenario's rows, block by block in step, until the rules of `tracker` hold for
/// every paired difference or `bounds.replications` are run; with how each rule stood.
fn run_to_precision(
    dir: &RunDir,
    pool: &rayon::ThreadPool,
    scenarios: &[&scenario::Scenario],
    bounds: Bounds,
    mut tracker: PairedTracker,
    quiet: bool,
) -> Result<(Vec<ScenarioRows>, Vec<RuleOutcome>)> {
    let scratch: Vec<_> = (0..scenarios.len()).map(|k| place(dir, k)).collect();
    let mut runs = scenarios
        .iter()
        .zip(&scratch)
        .map(|(s, scratch)| {
            let place = compare::RowsPlace {
                scratch,
                stores: scenarios.len(),
            };
            compare::ScenarioRun::new(s, bounds.replications, place)
        })
        .collect::<Result<Vec<_>>>()?;
    let bar = job::progress_bar(
        bounds.replications * scenarios.len() as u64,
        quiet,
        &format!("compare seed {}", bounds.seed),
    );
    let tick = job::ticker(&bar, 0);
    let mut first = 0;
    while first < bounds.replications {
        let last = (first + bounds.block).min(bounds.replications);
        let blocks = runs
            .iter_mut()
            .map(|run| pool.install(|| run.run_block(bounds.seed, first..last, &tick)))
            .collect::<Result<Vec<_>>>();
        let blocks = match blocks {
            Ok(b) => b,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        first = last;
        let widths: Vec<(&[f64], usize)> = blocks
            .iter()
            .zip(&runs)
            .map(|(b, run)| (b.as_slice(), run.layout().len()))
            .collect();
        if tracker.add(&widths) {
            break;
        }
    }
    bar.finish_and_clear();
    let rows = runs
        .into_iter()
        .map(|run| run.finish())
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, tracker.outcomes().to_vec()))
}

/// What a comparison's manifest records besides its scenarios and outputs.
struct Record {
    seed: u64,
    /// The count run: `--reps`, or where the precision rules held.
    replications: u64,
    precision: Vec<RuleOutcome>,
}

fn write_manifest(
    dir: &mut RunDir,
    paths: &[PathBuf],
    loaded: &[LoadedScenario],
    record: &Record,
) -> Result<()> {
    let outputs = [
        "comparison.csv",
        "comparison_targets.csv",
        "report.html",
        crate::output::workbook::FILE,
    ]
    .into_iter()
    .map(|name| Ok((name.to_string(), job::sha256_file(&dir.temp_path(name))?)))
    .collect::<Result<_>>()?;
    let manifest = ComparisonManifest {
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        kind: "comparison".into(),
        outputs,
        replications: record.replications,
        scenarios: paths
            .iter()
            .zip(loaded)
            .map(|(p, l)| ComparedScenario {
                name: l.scenario.name.clone(),
                path: p.display().to_string(),
                scenario_hash: l.hash.clone(),
            })
            .collect(),
        seed: record.seed,
        precision: record.precision.clone(),
    };
    let mut w = dir.create("manifest.json")?;
    serde_json::to_writer_pretty(&mut w, &manifest)?;
    w.write_all(b"\n")?;
    w.flush()?;
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
