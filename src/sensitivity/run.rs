//! A sensitivity run: the design's rows (all, or one shard of them) run and written to
//! `design.csv`, then, with every row at hand, the indices, `sensitivity.csv` and the
//! report. `merge` puts shards' `design.csv` back together into the folder one run of all
//! the rows writes, byte for byte (the manifest's `execution` aside).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::design::{self, Evaluations, Metric};
use super::table::{self, MetricResult};
use super::{given_data, indices, report, Swing};
use crate::engine::Model;
use crate::error::Error;
use crate::job;
use crate::output::manifest::{ENGINE, ENGINE_VERSION};
use crate::output::rundir::RunDir;
use crate::output::tables;
use crate::scenario::LoadedScenario;
use crate::shard::Shard;

pub struct Spec {
    /// Rows N of the design.
    pub rows: u64,
    pub seed: u64,
    pub threads: usize,
    pub shard: Option<Shard>,
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Execution {
    pub threads: usize,
    pub wall_seconds: f64,
    pub events: u64,
}

/// `manifest.json` of a sensitivity folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SensitivityManifest {
    pub kind: String,
    pub engine: String,
    pub engine_version: String,
    pub scenario_name: String,
    pub scenario_path: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub rows: u64,
    pub first_row: u64,
    pub row_count: u64,
    pub shard: Option<Shard>,
    pub metrics: Vec<String>,
    pub resamples: usize,
    pub outputs: BTreeMap<String, String>,
    pub execution: Execution,
}

/// What a finished sensitivity run found (empty for a shard).
pub struct Outcome {
    pub results: Vec<MetricResult>,
    pub replications: u64,
    pub seconds: f64,
}

/// Runs `spec`'s rows of the design and writes the folder.
pub fn run(
    loaded: &LoadedScenario,
    path: &Path,
    metrics: Vec<Metric>,
    spec: &Spec,
) -> Result<Outcome> {
    let started = Instant::now();
    let s = &loaded.scenario;
    let model = Model::new(s);
    let range = spec.shard.map_or(0..spec.rows, |sh| sh.range(spec.rows));
    let mut dir = RunDir::prepare(&spec.out, spec.force)?;
    let variants = design::variants(s) as u64;
    let total = (range.end - range.start) * variants;
    let bar = job::progress_bar(total, spec.quiet, &format!("{} sensitivity", s.name));
    let tick = job::ticker(&bar, 0);
    let pool = job::thread_pool(spec.threads)?;
    let points = pool.install(|| design::run(&model, spec.seed, range.clone(), &metrics, &tick));
    bar.finish_and_clear();
    let mut w = dir.create("design.csv")?;
    tables::write_header(&mut w, &design::header(s, &metrics))?;
    let width = metrics.len() + design::variants(s) - 3;
    tables::write_rows(&mut w, range.start * variants, width, &points.table)?;
    w.flush()?;
    drop(w);
    let results = if spec.shard.is_none() {
        let ev = Evaluations::new(s, metrics.clone(), &points.table);
        pool.install(|| write_results(&mut dir, s, &ev, spec.seed))?
    } else {
        Vec::new()
    };
    let record = Record {
        rows: spec.rows,
        range,
        shard: spec.shard,
        threads: spec.threads,
        events: points.events,
        started,
    };
    write_manifest(&mut dir, loaded, path, spec.seed, &metrics, record)?;
    dir.commit()?;
    Ok(Outcome {
        results,
        replications: total,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Indices, tornado swings and the report of a complete design.
fn write_results(
    dir: &mut RunDir,
    s: &crate::scenario::Scenario,
    ev: &Evaluations,
    seed: u64,
) -> Result<Vec<MetricResult>> {
    let resamples = indices::resamples(seed, ev.rows);
    let (results, means): (Vec<MetricResult>, Vec<f64>) = (0..ev.metrics.len())
        .into_par_iter()
        .map(|m| {
            let mut y = ev.variant(m, 0).to_vec();
            y.extend_from_slice(ev.variant(m, 1));
            let mean = y.iter().sum::<f64>() / y.len() as f64;
            let mut swings: Vec<Option<Swing>> = ev
                .params
                .iter()
                .zip(&ev.inputs)
                .map(|(x, name)| {
                    let (low, high) = given_data::decile_means(x, &y);
                    Some(Swing {
                        parameter: name.clone(),
                        low,
                        high,
                        first_order: given_data::first_order(x, &y),
                    })
                })
                .collect();
            swings.push(None);
            let result = MetricResult {
                metric: ev.metrics[m].name.clone(),
                inputs: ev.inputs.clone(),
                indices: indices::estimate(ev, m, &resamples),
                swings,
            };
            (result, mean)
        })
        .unzip();
    table::write(dir.create("sensitivity.csv")?, &results)?;
    let mut html = dir.create("report.html")?;
    html.write_all(report::sensitivity_report(s, &results, ev.rows, seed, &means).as_bytes())?;
    html.flush()?;
    Ok(results)
}

struct Record {
    rows: u64,
    range: std::ops::Range<u64>,
    shard: Option<Shard>,
    threads: usize,
    events: u64,
    started: Instant,
}

fn write_manifest(
    dir: &mut RunDir,
    loaded: &LoadedScenario,
    path: &Path,
    seed: u64,
    metrics: &[Metric],
    r: Record,
) -> Result<()> {
    let names: &[&str] = if r.shard.is_none() {
        &["design.csv", "sensitivity.csv", "report.html"]
    } else {
        &["design.csv"]
    };
    let outputs = names
        .iter()
        .map(|&n| Ok((n.to_string(), job::sha256_file(&dir.temp_path(n))?)))
        .collect::<Result<BTreeMap<_, _>>>()?;
    let manifest = SensitivityManifest {
        kind: "sensitivity".into(),
        engine: ENGINE.into(),
        engine_version: ENGINE_VERSION.into(),
        scenario_name: loaded.scenario.name.clone(),
        scenario_path: path.display().to_string(),
        scenario_hash: loaded.hash.clone(),
        seed,
        rows: r.rows,
        first_row: r.range.start,
        row_count: r.range.end - r.range.start,
        shard: r.shard,
        metrics: metrics.iter().map(|m| m.name.clone()).collect(),
        resamples: indices::RESAMPLES,
        outputs,
        execution: Execution {
            threads: r.threads,
            wall_seconds: r.started.elapsed().as_secs_f64(),
            events: r.events,
        },
    };
    dir.write_manifest(&manifest)?;
    Ok(())
}

/// Merges the shard folders `dirs` of one sensitivity run into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path, force: bool, threads: usize) -> Result<Outcome> {
    let started = Instant::now();
    let mut parts: Vec<(PathBuf, SensitivityManifest)> = dirs
        .iter()
        .map(|d| {
            let text = std::fs::read(d.join("manifest.json")).map_err(|e| {
                Error::bad_input(format!("{}: no sensitivity manifest: {e}", d.display()))
            })?;
            let m: SensitivityManifest = serde_json::from_slice(&text).map_err(|e| {
                Error::bad_input(format!("{}: not a sensitivity shard: {e}", d.display()))
            })?;
            Ok((d.clone(), m))
        })
        .collect::<Result<_>>()?;
    parts.sort_by_key(|p| p.1.first_row);
    let head = parts[0].1.clone();
    let mut next = 0;
    for (d, m) in &parts {
        let same = (m.scenario_hash == head.scenario_hash)
            && m.seed == head.seed
            && m.rows == head.rows
            && m.metrics == head.metrics
            && m.engine_version == head.engine_version;
        if !same || m.first_row != next {
            return Err(Error::bad_input(format!(
                "{} is not the shard of this sensitivity run that starts at row {next} \
                 (scenario, seed, rows, metrics and engine must match; shards must tile the rows)",
                d.display()
            ))
            .into());
        }
        next += m.row_count;
    }
    if next != head.rows {
        return Err(
            Error::bad_input(format!("the shards hold rows 0..{next} of {}", head.rows)).into(),
        );
    }
    let path = PathBuf::from(&head.scenario_path);
    let loaded = crate::recorded::load(&path, &head.scenario_hash, "the scenario path")?;
    let s = &loaded.scenario;
    let model = Model::new(s);
    let metrics = design::metrics(s, &model.layout, Some(&head.metrics))
        .map_err(|e| Error::bad_input(e.to_string()))?;
    let header = design::header(s, &metrics);
    let variants = design::variants(s) as u64;
    let mut table = Vec::new();
    for (d, m) in &parts {
        let mut reader = tables::RowReader::open(&d.join("design.csv"), &header)?;
        reader.read_rows(
            m.first_row * variants,
            (m.row_count * variants) as usize,
            &mut table,
        )?;
        reader.finish()?;
    }
    let mut dir = RunDir::prepare(out, force)?;
    let mut w = dir.create("design.csv")?;
    tables::write_header(&mut w, &header)?;
    tables::write_rows(&mut w, 0, header.len() - 1, &table)?;
    w.flush()?;
    drop(w);
    let pool = job::thread_pool(threads)?;
    let ev = Evaluations::new(s, metrics.clone(), &table);
    let results = pool.install(|| write_results(&mut dir, s, &ev, head.seed))?;
    let record = Record {
        rows: head.rows,
        range: 0..head.rows,
        shard: None,
        threads,
        events: parts.iter().map(|p| p.1.execution.events).sum(),
        started,
    };
    write_manifest(&mut dir, &loaded, &path, head.seed, &metrics, record)?;
    dir.commit()?;
    Ok(Outcome {
        results,
        replications: head.rows * variants,
        seconds: started.elapsed().as_secs_f64(),
    })
}
