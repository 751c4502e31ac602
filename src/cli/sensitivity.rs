//! `policysim sensitivity SCENARIO`: variance-based indices of chosen metrics with respect
//! to every parameter drawn once per replication and the intrinsic randomness, with
//! bootstrap intervals and tornado swings (docs/model.md, Sensitivity).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

use super::BadInput;
use crate::engine::Model;
use crate::output::rundir::RunDir;
use crate::scenario;
use crate::sensitivity::table::{self, MetricResult};
use crate::sensitivity::{design, given_data, indices, report};

/// Sobol first- and total-order indices from a Saltelli design (N rows cost
/// (parameters + 3) × N replications), with bootstrap 95 % intervals and a tornado per
/// metric. Writes sensitivity.csv and report.html.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Metrics, comma-separated: columns of replications.csv or target.ID:attained
    /// (default: outlay.total, each outlay.year.*, every target's attainment)
    #[arg(long, value_delimiter = ',')]
    metrics: Option<Vec<String>>,
    /// Rows N of the design (default: 1000)
    #[arg(long)]
    reps: Option<u64>,
    /// Seed (default: the scenario's [run] seed)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores)
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario>-<seed>-sensitivity)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing output folder
    #[arg(long)]
    force: bool,
    /// No progress bar and no table on the terminal
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let threads = super::worker_threads(args.threads)?;
    let loaded = scenario::load(&args.scenario)?;
    let s = &loaded.scenario;
    let seed = args.seed.unwrap_or(s.seed);
    let rows = args.reps.unwrap_or(1000);
    if rows < 10 {
        return Err(BadInput("--reps must be at least 10 (rows of the design)".into()).into());
    }
    let model = Model::new(s);
    let metrics = design::metrics(s, &model.layout, args.metrics.as_deref())
        .map_err(|e| BadInput(e.to_string()))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-{seed}-sensitivity", s.name)));
    let mut dir = RunDir::prepare(&out, args.force)?;

    let inputs = crate::engine::params::ParameterLayout::new(s).len() + 1;
    let total = rows * (inputs as u64 + 2);
    let bar = crate::job::progress_bar(total, args.quiet, &format!("{} sensitivity", s.name));
    let done = AtomicU64::new(0);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    };
    let started = std::time::Instant::now();
    let pool = crate::job::thread_pool(threads)?;
    let (ev, results, means) = pool.install(|| {
        let ev = design::run(&model, seed, 0..rows, metrics, &tick);
        let resamples = indices::resamples(seed, ev.rows);
        let mut means = Vec::new();
        let results: Vec<MetricResult> = (0..ev.metrics.len())
            .map(|m| {
                let mut y = ev.variant(m, 0).to_vec();
                y.extend_from_slice(ev.variant(m, 1));
                means.push(y.iter().sum::<f64>() / y.len() as f64);
                let mut swings: Vec<_> = (0..ev.params.len())
                    .map(|j| {
                        let (low, high) = given_data::decile_means(&ev.params[j], &y);
                        Some(crate::sensitivity::Swing {
                            parameter: ev.inputs[j].clone(),
                            low,
                            high,
                            first_order: given_data::first_order(&ev.params[j], &y),
                        })
                    })
                    .collect();
                swings.push(None);
                MetricResult {
                    metric: ev.metrics[m].name.clone(),
                    inputs: ev.inputs.clone(),
                    indices: indices::estimate(&ev, m, &resamples),
                    swings,
                }
            })
            .collect();
        (ev, results, means)
    });
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    table::write(dir.create("sensitivity.csv")?, &results)?;
    let mut html = dir.create("report.html")?;
    html.write_all(report::sensitivity_report(s, &results, ev.rows, seed, &means).as_bytes())?;
    html.flush()?;
    drop(html);
    dir.commit()?;
    if !args.quiet {
        print_summary(&results, total, elapsed, &out);
    }
    Ok(())
}

/// The first metric's indices, largest total order first, and where the files are.
fn print_summary(results: &[MetricResult], evaluations: u64, seconds: f64, out: &std::path::Path) {
    if let Some(r) = results.first() {
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
        "{evaluations} replications in {seconds:.1} s; wrote {}",
        out.join("sensitivity.csv").display()
    );
}
