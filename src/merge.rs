//! Merging shards: the run folders of `run --shard K/N` become the run folder one run of
//! all the replications would have written, byte for byte (the manifest's `execution`
//! aside, which records threads, times and the summed event count).
//!
//! Replication r's rows do not depend on the shard it ran in (docs/model.md), the row
//! files hold exact values (shortest round-trip text, or Parquet doubles), and statistics
//! are computed in replication order; so re-reading the shards' rows in replication order
//! and summarising them gives the single run's numbers. Merged CSV rows are copied as they
//! are read; Parquet files are written from all the rows at the end, as one run does.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::actuals::AsOfRun;
use crate::engine::events::ModelEvents;
use crate::engine::params::ParameterLayout;
use crate::engine::Model;
use crate::error::Error;
use crate::footprint::{self, Shape};
use crate::interrupt;
use crate::job::{self, JobResult, BLOCK};
use crate::metrics::MetricLayout;
use crate::output::manifest::Manifest;
use crate::output::rowfile::{self, RowFormat, RowSource};
use crate::output::rundir::RunDir;
use crate::output::tables;
use crate::recorded;
use crate::scenario::LoadedScenario;

/// Shards that cannot be merged, or a merge asked of the wrong folders: bad input (exit
/// code 2).
fn refused(why: String) -> Error {
    Error::bad_input(format!("cannot merge: {why}"))
}

pub struct MergeSpec {
    pub dirs: Vec<PathBuf>,
    /// Output folder; `None`: output/<scenario>-<seed>.
    pub out: Option<PathBuf>,
    pub force: bool,
    /// The scenario file, if not the one the shards' manifests name.
    pub scenario: Option<PathBuf>,
    pub threads: usize,
    pub quiet: bool,
}

/// A shard folder and its manifest.
pub struct Part {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

/// Reads the manifests of `dirs` and checks that they tile one run: same scenario hash,
/// seed, engine version and replications, and replication ranges that cover
/// 0..replications exactly once. Returns them in replication order.
pub fn plan(dirs: &[PathBuf]) -> Result<Vec<Part>> {
    if dirs.is_empty() {
        return Err(refused("no shard folder given".into()).into());
    }
    let mut parts = Vec::new();
    for dir in dirs {
        let manifest = Manifest::read(dir).map_err(|e| refused(e.message))?;
        parts.push(Part {
            dir: dir.clone(),
            manifest,
        });
    }
    let first = &parts[0];
    for p in &parts[1..] {
        let (a, b) = (&first.manifest, &p.manifest);
        let differ = |what: &str, x: String, y: String| {
            refused(format!(
                "{} and {} are not shards of one run: {what} {x} vs {y}",
                first.dir.display(),
                p.dir.display()
            ))
        };
        if a.scenario_hash != b.scenario_hash {
            return Err(differ(
                "scenario hash",
                a.scenario_hash.clone(),
                b.scenario_hash.clone(),
            )
            .into());
        }
        if a.actuals != b.actuals {
            let show = |r: &Option<crate::actuals::RecordedActuals>| match r {
                Some(r) => format!("{} as of {} (sha256 {})", r.dir, r.as_of, r.sha256),
                None => "no actuals".into(),
            };
            return Err(differ("actuals", show(&a.actuals), show(&b.actuals)).into());
        }
        if a.seed != b.seed {
            return Err(differ("seed", a.seed.to_string(), b.seed.to_string()).into());
        }
        if a.engine_version != b.engine_version {
            return Err(differ(
                "engine version",
                a.engine_version.clone(),
                b.engine_version.clone(),
            )
            .into());
        }
        if a.replications != b.replications {
            return Err(differ(
                "total replications",
                a.replications.to_string(),
                b.replications.to_string(),
            )
            .into());
        }
    }
    parts.sort_by_key(|p| (p.manifest.first_replication, p.manifest.replication_count));
    let total = first_total(&parts);
    let mut next = 0u64;
    let mut prev: Option<&Part> = None;
    for p in &parts {
        let m = &p.manifest;
        let range = |p: &Part| {
            format!(
                "{} holds replications {}..{}",
                p.dir.display(),
                p.manifest.first_replication,
                p.manifest.first_replication + p.manifest.replication_count
            )
        };
        if m.first_replication < next {
            let other = prev.map(range).unwrap_or_default();
            return Err(refused(format!("shards overlap: {other} and {}", range(p))).into());
        }
        if m.first_replication > next {
            let before = prev.map_or(String::new(), |q| format!(" ({})", range(q)));
            return Err(refused(format!(
                "replications {next}..{} are missing{before}; {}",
                m.first_replication,
                range(p)
            ))
            .into());
        }
        next = m.first_replication + m.replication_count;
        prev = Some(p);
    }
    if next != total {
        return Err(refused(format!(
            "replications {next}..{total} of {total} are missing (the last folder given, {}, ends at {next})",
            prev.map_or(String::new(), |p| p.dir.display().to_string())
        ))
        .into());
    }
    Ok(parts)
}

fn first_total(parts: &[Part]) -> u64 {
    parts[0].manifest.replications
}

/// A finished merge.
pub struct Merged {
    pub result: JobResult,
    pub out: PathBuf,
    pub loaded: LoadedScenario,
}

/// Merges the shard folders of `spec.dirs` into one run folder.
pub fn merge(spec: &MergeSpec) -> Result<Merged> {
    let started = job::Started::now();
    let parts = plan(&spec.dirs)?;
    let head = &parts[0].manifest;
    let working_dir = head.execution.working_dir.as_deref();
    let path = recorded::scenario_path(&head.scenario_path, working_dir, spec.scenario.as_deref());
    let loaded =
        recorded::load(&path, &head.scenario_hash, "--scenario").map_err(|e| refused(e.message))?;
    let actuals = match &head.actuals {
        Some(rec) => {
            let mut run = AsOfRun::reload(rec, working_dir, &loaded.scenario, "cannot merge")?;
            if spec.scenario.is_some() {
                // Recorded relative to this folder, as the scenario then is.
                run.dir = recorded::scenario_path(&rec.dir, working_dir, None);
            }
            Some(std::sync::Arc::new(run))
        }
        None => None,
    };
    // The merged manifest records the scenario as the shards did, unless --scenario
    // named another file, which is then recorded relative to this folder.
    let (scenario_path, record_dir) = match &spec.scenario {
        Some(given) => (given.clone(), job::working_dir()),
        None => (
            PathBuf::from(&head.scenario_path),
            head.execution.working_dir.clone(),
        ),
    };
    let out = spec.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("{}-{}", loaded.scenario.name, head.seed))
    });
    let format = RowFormat::of_outputs(head.outputs.keys());
    check_parts(&parts, format, &out)?;

    let s = &loaded.scenario;
    let model = Model::starting(s, actuals.as_deref());
    let layout = &model.layout;
    let replications = head.replications;
    let param_layout = ParameterLayout::new(s);
    let headers = rowfile::headers(layout, &param_layout);
    announce(&parts, format, layout, param_layout.len(), spec, &out)?;

    let mut dir = RunDir::prepare(&out, spec.force)?;
    // CSV rows are copied as they are read; Parquet files are written from the stores.
    let mut csv_out = Vec::new();
    if format == RowFormat::Csv {
        for (name, header) in format.files().iter().zip(&headers) {
            let mut w = dir.create(name)?;
            tables::write_header(&mut w, header)?;
            csv_out.push(w);
        }
    }
    let mut rows = job::Rows {
        store: job::row_store(&dir, layout, replications)?,
        parameters: job::parameter_store(&dir, &param_layout, replications)?,
    };
    let bar = job::progress_bar(replications, spec.quiet, &format!("merging {}", s.name));
    let (events, model_events) = gather(&parts, format, &headers, &mut csv_out, &mut rows, &bar)?;
    bar.finish_and_clear();
    for mut w in csv_out {
        w.flush()?;
    }
    let pool = job::thread_pool(spec.threads)?;
    let record = job::RunRecord {
        seed: head.seed,
        replications,
        first_replication: 0,
        replication_count: replications,
        shard: None,
        threads: spec.threads,
        events,
        model_events,
        precision: Vec::new(),
        started,
        working_dir: record_dir,
        actuals,
        rows: format,
    };
    let result = job::finish(dir, &loaded, &scenario_path, &model, rows, &pool, record)?;
    Ok(Merged {
        result,
        out,
        loaded,
    })
}

/// Refuses an output folder that is one of the shards, shards whose row files are in
/// different formats, and shard row files that changed since their run wrote them.
fn check_parts(parts: &[Part], format: RowFormat, out: &Path) -> Result<()> {
    for p in parts {
        if same_folder(&p.dir, out) {
            return Err(refused(format!(
                "the output folder {} is one of the shards; choose another --out",
                out.display()
            ))
            .into());
        }
        if RowFormat::of_outputs(p.manifest.outputs.keys()) != format {
            return Err(refused(format!(
                "{} and {} are not shards of one run: their row files are in different formats",
                parts[0].dir.display(),
                p.dir.display()
            ))
            .into());
        }
        for name in format.files() {
            let path = p.dir.join(&name);
            let recorded = p.manifest.outputs.get(&name);
            let actual = job::sha256_file(&path)?;
            if recorded != Some(&actual) {
                return Err(refused(format!(
                    "{} has changed since its run wrote it (its SHA-256 is not the manifest's)",
                    path.display()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// What the merge will need, refused if this machine cannot hold it, and announced.
fn announce(
    parts: &[Part],
    format: RowFormat,
    layout: &MetricLayout,
    parameters: usize,
    spec: &MergeSpec,
    out: &Path,
) -> Result<()> {
    let shape = Shape {
        metrics: layout.len(),
        series: layout.series_len(),
        replications: parts[0].manifest.replications,
        threads: spec.threads,
        block: BLOCK,
        stores: 1,
        csv_bytes_per_replication: 0,
    };
    // Merged CSV files are the shards' row files, byte for byte but for the headers;
    // Parquet files are written anew, bounded as a run's.
    let values = shape.metrics + shape.series + parameters;
    let replications = shape.replications;
    let estimate = footprint::estimate(0, shape, out, || match format {
        RowFormat::Csv => row_file_bytes(parts, format).div_ceil(replications),
        RowFormat::Parquet => footprint::parquet_bytes_per_replication(values),
    })?;
    if !spec.quiet {
        eprintln!(
            "policysim: merging {} shard folders -> {}\n  {}",
            parts.len(),
            out.display(),
            estimate.describe()
        );
    }
    Ok(())
}

/// Reads the shards' rows in replication order into `rows` (and, for CSV, copies them to
/// `csv_out`); returns the shards' summed event counts.
fn gather(
    parts: &[Part],
    format: RowFormat,
    headers: &[Vec<String>; 3],
    csv_out: &mut [BufWriter<File>],
    rows: &mut job::Rows,
    bar: &indicatif::ProgressBar,
) -> Result<(u64, ModelEvents)> {
    let mut values: [Vec<f64>; 3] = Default::default();
    let mut events = 0u64;
    let mut model_events = ModelEvents::default();
    for p in parts {
        let m = &p.manifest;
        let mut sources = format
            .files()
            .iter()
            .zip(headers)
            .map(|(name, header)| RowSource::open(&p.dir.join(name), format, header))
            .collect::<Result<Vec<_>>>()?;
        let end = m.first_replication + m.replication_count;
        let mut first = m.first_replication;
        while first < end {
            interrupt::check("while merging")?;
            let n = (end - first).min(BLOCK) as usize;
            for (k, (source, v)) in sources.iter_mut().zip(&mut values).enumerate() {
                v.clear();
                source.read_rows(first, n, v)?;
                if let Some(w) = csv_out.get_mut(k) {
                    let width = headers[k].len() - 1;
                    tables::write_counted_rows(w, first, n, width, v)?;
                }
            }
            let [metrics, series, drawn] = &values;
            rows.store.push(n, metrics, series)?;
            rows.parameters.push(n, drawn, &[])?;
            first += n as u64;
            bar.set_position(first);
        }
        for source in sources {
            source.finish()?;
        }
        events += m.execution.events;
        model_events += m.execution.model_events;
    }
    Ok((events, model_events))
}

/// Bytes of the shards' row files.
fn row_file_bytes(parts: &[Part], format: RowFormat) -> u64 {
    parts
        .iter()
        .flat_map(|p| format.files().map(|n| p.dir.join(n)))
        .filter_map(|path| std::fs::metadata(path).ok())
        .map(|m| m.len())
        .sum()
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
