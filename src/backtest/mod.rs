//! A backtest: the scenario run from its own start (the actuals are not inputs), and
//! every observation of an actuals folder's `observations.csv` scored against the
//! predictive distribution of its metric over its window (docs/model.md, "Backtest").
//!
//! Each observation becomes a probe: a target-like read of its metric over its window
//! (`metric_window`), whose value every replication writes into its row like a target's.
//! Probes read the model's state and draw nothing, so the replications are those of a
//! plain run of the scenario with the same seed.

mod report;
pub(crate) use report::shown;
pub mod score;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::actuals::{Observation, ObservedWindow};
use crate::engine::Model;
use crate::error::Error;
use crate::job;
use crate::metric_window::{self, Window};
use crate::metrics::MetricLayout;
use crate::montecarlo::{self, BLOCK};
use crate::output::manifest::{ENGINE, ENGINE_VERSION};
use crate::output::rundir::RunDir;
use crate::output::tables::{csv_writer, num};
use crate::scenario::types::{Comparator, Scenario, Target};
use crate::scenario::LoadedScenario;
pub use score::Score;

pub struct Spec {
    pub actuals: PathBuf,
    /// The folder the scenario and actuals paths are relative to (recorded in the manifest
    /// so that `verify` finds them from anywhere).
    pub working_dir: Option<String>,
    pub reps: u64,
    pub seed: u64,
    pub threads: usize,
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
}

/// An observation with its score.
#[derive(Debug, Clone)]
pub struct Scored {
    pub observation: Observation,
    pub score: Score,
}

/// What a backtest found.
pub struct Outcome {
    pub scored: Vec<Scored>,
    pub seconds: f64,
}

impl Outcome {
    /// Observations inside their central 90 % interval.
    pub fn inside90(&self) -> usize {
        self.scored.iter().filter(|s| s.score.in90).count()
    }
}

/// `manifest.json` of a backtest folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BacktestManifest {
    pub kind: String,
    pub engine: String,
    pub engine_version: String,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_hash: String,
    pub actuals_path: String,
    pub actuals_sha256: String,
    /// The folder the backtest was started in (relative paths above are relative to it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    pub seed: u64,
    pub replications: u64,
    pub observations: usize,
    pub inside_90: usize,
    pub outputs: BTreeMap<String, String>,
    pub execution: Execution,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Execution {
    pub threads: usize,
    pub wall_seconds: f64,
    pub events: u64,
}

/// Reads the actuals (bad input before any work), runs the replications, scores every
/// observation and writes `backtest.csv`, `report.html` and `manifest.json`.
pub fn run(loaded: &LoadedScenario, path: &Path, spec: &Spec) -> Result<Outcome> {
    let started = Instant::now();
    let s = &loaded.scenario;
    let actuals = crate::actuals::load(&spec.actuals, s, None)
        .map_err(|e| Error::bad_input(e.to_string()))?;
    if actuals.observations.is_empty() {
        return Err(Error::bad_input(format!(
            "{}: no observations to score (observations.csv is absent or empty)",
            spec.actuals.display()
        ))
        .into());
    }
    fits(&spec.out, actuals.observations.len() as u64, spec.reps)?;
    let probed = with_probes(s, &actuals.observations);
    let model = Model::new(&probed);
    let mut dir = RunDir::prepare(&spec.out, spec.force)?;
    let (values, events) = replicate(&model, spec)?;
    let n = actuals.observations.len();
    let reps = spec.reps as usize;
    let scored: Vec<Scored> = actuals
        .observations
        .iter()
        .enumerate()
        .map(|(k, o)| Scored {
            observation: o.clone(),
            score: score::score(&values[k * reps..(k + 1) * reps], o.value),
        })
        .collect();
    write_table(dir.create("backtest.csv")?, &scored)?;
    let mut html = dir.create("report.html")?;
    html.write_all(report::backtest_report(s, &scored, spec.reps, spec.seed).as_bytes())?;
    html.flush()?;
    drop(html);
    let outputs = ["backtest.csv", "report.html"]
        .iter()
        .map(|&f| Ok((f.to_string(), job::sha256_file(&dir.temp_path(f))?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let outcome = Outcome {
        scored,
        seconds: 0.0,
    };
    let manifest = BacktestManifest {
        kind: "backtest".into(),
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        scenario_name: s.name.clone(),
        scenario_path: path.display().to_string(),
        scenario_hash: loaded.hash.clone(),
        actuals_path: spec.actuals.display().to_string(),
        actuals_sha256: actuals.sha256.clone(),
        working_dir: spec.working_dir.clone(),
        seed: spec.seed,
        replications: spec.reps,
        observations: n,
        inside_90: outcome.inside90(),
        outputs,
        execution: Execution {
            threads: spec.threads,
            wall_seconds: started.elapsed().as_secs_f64(),
            events,
        },
    };
    dir.write_manifest(&manifest)?;
    dir.commit()?;
    Ok(Outcome {
        seconds: started.elapsed().as_secs_f64(),
        ..outcome
    })
}

/// Refuses, before any work, a backtest whose ensembles (every observation's value in
/// every replication, and a sorted copy of one while it is scored) cannot fit in half of
/// this machine's available memory.
fn fits(out: &Path, observations: u64, reps: u64) -> Result<(), Error> {
    let need = observations
        .saturating_add(1)
        .saturating_mul(reps)
        .saturating_mul(8);
    let machine = crate::footprint::Machine::current(out)?;
    match machine.memory_available {
        Some(have) if need > have / 2 => Err(Error::bad_input(format!(
            "{reps} replications of {observations} observations need about {} of memory for \
             their values, and this machine has {} available; lower --reps",
            crate::footprint::bytes(need),
            crate::footprint::bytes(have)
        ))),
        _ => Ok(()),
    }
}

/// `s` with its targets replaced by one probe per observation, in file order: the
/// observation's metric over its window (validated when the actuals were read).
fn with_probes(s: &Scenario, observations: &[Observation]) -> Scenario {
    let layout = MetricLayout::new(s);
    let mut probed = s.clone();
    probed.targets = observations
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let window = Window::from(o.window);
            let metric = metric_window::resolve(s, &layout, &o.metric, window)
                .expect("an observation's window is validated when the actuals are read");
            Target {
                id: format!("observation{}", k + 2),
                label: o.metric.clone(),
                metric_name: o.metric.clone(),
                metric,
                comparator: Comparator::AtLeast(o.value),
                window_label: window.label(),
            }
        })
        .collect();
    probed
}

/// Runs the replications block by block; returns each probe's values over the
/// replications (probe-major) and the events processed.
fn replicate(model: &Model<'_>, spec: &Spec) -> Result<(Vec<f64>, u64)> {
    let layout = &model.layout;
    let (n, reps) = (layout.targets, spec.reps as usize);
    let mut values = vec![0.0; n * reps];
    let bar = job::progress_bar(
        spec.reps,
        spec.quiet,
        &format!("{} backtest", model.scenario.name),
    );
    let done = AtomicU64::new(0);
    let tick = || {
        let d = done.fetch_add(1, Ordering::Relaxed) + 1;
        if d % 64 == 0 {
            bar.set_position(d);
        }
    };
    let pool = job::thread_pool(spec.threads)?;
    let mut events = 0;
    let mut first = 0;
    while first < spec.reps {
        let last = (first + BLOCK).min(spec.reps);
        let block = pool.install(|| montecarlo::run_block(model, spec.seed, first..last, &tick));
        crate::interrupt::check("the backtest")?;
        block.check_finite(layout, first)?;
        for (i, row) in block.metrics.chunks_exact(layout.len()).enumerate() {
            for k in 0..n {
                values[k * reps + first as usize + i] = row[layout.target + k];
            }
        }
        events += block.events;
        first = last;
    }
    bar.finish_and_clear();
    Ok((values, events))
}

/// `backtest.csv`: one row per observation, in file order.
fn write_table<W: Write>(w: W, scored: &[Scored]) -> Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "metric", "window", "observed", "mean", "q05", "q25", "q50", "q75", "q95", "pit", "in50",
        "in90", "crps",
    ])?;
    for x in scored {
        let (o, sc) = (&x.observation, &x.score);
        let mut record = vec![o.metric.clone(), window_label(o.window), num(o.value)];
        record.push(num(sc.mean));
        record.extend(sc.quantiles.iter().map(|&q| num(q)));
        record.push(num(sc.pit));
        record.push(sc.in50.to_string());
        record.push(sc.in90.to_string());
        record.push(num(sc.crps));
        out.write_record(&record)?;
    }
    out.flush()?;
    Ok(())
}

/// An observation's window as `observations.csv` writes it.
pub fn window_label(w: ObservedWindow) -> String {
    Window::from(w).label()
}
