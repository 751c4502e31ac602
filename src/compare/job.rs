//! A comparison's job: every scenario's rows on common random numbers (to a count, or
//! block by block until the precision rules hold), then the paired differences and the
//! comparison folder's files: comparison.csv, comparison_targets.csv, report.html,
//! report.xlsx and manifest.json.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use super::{Comparison, ScenarioRows};
use crate::engine::Model;
use crate::error::Error;
use crate::footprint::{self, Shape};
use crate::job;
use crate::output::manifest::{ComparedScenario, ComparisonManifest, ENGINE, ENGINE_VERSION};
use crate::output::report;
use crate::output::rundir::RunDir;
use crate::precision::{PairedTracker, RuleOutcome};
use crate::scenario::{self, LoadedScenario};
use crate::stats::{self, Columns, Statistics};

/// A comparison's settings, every value checked (`cli::compare::Args::resolve`).
pub struct Spec {
    pub seed: u64,
    /// `--reps`, or with precision rules the most to run.
    pub replications: u64,
    pub threads: usize,
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
    /// With `--precision`: the rules, and the block size they are checked after.
    pub precision: Option<(PairedTracker, u64)>,
}

/// What a finished comparison found.
pub struct Outcome {
    pub comparisons: Vec<Comparison>,
    /// The count run: `--reps`, or where the precision rules held.
    pub replications: u64,
    pub precision: Vec<RuleOutcome>,
}

/// Runs the scenarios of `loaded` (given on the command line as `paths`) and writes the
/// comparison folder `spec.out`: each scenario after the first against the first.
pub fn run(loaded: &[LoadedScenario], paths: &[PathBuf], spec: Spec) -> Result<Outcome> {
    estimate(loaded, &spec)?;
    let Spec {
        seed,
        replications,
        threads,
        out,
        force,
        quiet,
        precision,
    } = spec;
    let mut dir = RunDir::prepare(&out, force)?;
    crate::interrupt::install_handler();

    let pool = job::thread_pool(threads)?;
    let scenarios: Vec<&scenario::Scenario> = loaded.iter().map(|l| &l.scenario).collect();
    let (rows, outcomes) = match precision {
        None => (
            run_all(&dir, &pool, &scenarios, seed, replications, quiet)?,
            Vec::new(),
        ),
        Some((tracker, block)) => {
            let bounds = Bounds {
                seed,
                replications,
                block,
            };
            run_to_precision(&dir, &pool, &scenarios, bounds, tracker, quiet)?
        }
    };
    let replications = rows[0].replications() as u64;
    let all_stats: Vec<Statistics> = scenarios
        .iter()
        .zip(&rows)
        .map(|(s, r)| pool.install(|| stats::compute(s, &r.layout, r)))
        .collect::<std::io::Result<_>>()?;
    let comparisons: Vec<Comparison> = (1..loaded.len())
        .map(|k| super::compare(&loaded[0].scenario, &rows[0], &loaded[k].scenario, &rows[k]))
        .collect::<std::io::Result<_>>()?;

    super::write_metrics_csv(dir.create("comparison.csv")?, &comparisons)?;
    super::write_targets_csv(dir.create("comparison_targets.csv")?, &comparisons)?;
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
    let outcome = Outcome {
        comparisons,
        replications,
        precision: outcomes,
    };
    write_manifest(&mut dir, paths, loaded, seed, &outcome)?;
    dir.commit()?;
    Ok(outcome)
}

/// What the comparison will need (every scenario's rows held at once, no row files),
/// refused when this machine cannot hold it.
fn estimate(loaded: &[LoadedScenario], spec: &Spec) -> Result<(), Error> {
    let mut need = None::<footprint::Footprint>;
    for l in loaded {
        let layout = &Model::new(&l.scenario).layout;
        let shape = Shape {
            metrics: layout.len(),
            series: layout.series_len(),
            replications: spec.replications,
            threads: spec.threads,
            block: job::BLOCK,
            stores: loaded.len(),
            csv_bytes_per_replication: 0,
        };
        let firms = footprint::firms_per_replication(&l.scenario);
        let f = footprint::estimate(firms, shape, &spec.out, || 0)?;
        if need
            .as_ref()
            .is_none_or(|n| f.memory_bytes > n.memory_bytes)
        {
            need = Some(f);
        }
    }
    if let (false, Some(f)) = (spec.quiet, need) {
        eprintln!(
            "policysim: comparing {} scenarios -> {}\n  {} (the largest scenario)",
            loaded.len(),
            spec.out.display(),
            f.describe()
        );
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
        let place = super::RowsPlace {
            scratch: &scratch,
            stores: scenarios.len(),
        };
        let bar = job::progress_bar(replications, quiet, &format!("{} seed {seed}", s.name));
        let tick = job::ticker(&bar, 0);
        let r = pool.install(|| super::run_rows(s, seed, replications, place, &tick));
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
            let place = super::RowsPlace {
                scratch,
                stores: scenarios.len(),
            };
            super::ScenarioRun::new(s, bounds.replications, place)
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

fn write_manifest(
    dir: &mut RunDir,
    paths: &[PathBuf],
    loaded: &[LoadedScenario],
    seed: u64,
    outcome: &Outcome,
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
        replications: outcome.replications,
        scenarios: paths
            .iter()
            .zip(loaded)
            .map(|(p, l)| ComparedScenario {
                name: l.scenario.name.clone(),
                path: p.display().to_string(),
                scenario_hash: l.hash.clone(),
            })
            .collect(),
        seed,
        precision: outcome.precision.clone(),
    };
    dir.write_manifest(&manifest)?;
    Ok(())
}
