//! The row files of a run folder (one row per replication: `replications`, `series`,
//! `parameters`) and the format they are written in: CSV (the default) or Parquet
//! (`--rows parquet`).
//!
//! A run always journals its rows to temporary CSV files, block by block, since that is
//! what its checkpoint counts and `--resume` continues; with Parquet the rows are then
//! written from the statistics pass's row stores and the CSV journal is dropped. So
//! resume, shards and merge work the same way in both formats.

use std::io::Write as _;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::engine::params::ParameterLayout;
use crate::metrics::MetricLayout;
use crate::output::parquet::{self, ParquetRows};
use crate::output::rundir::RunDir;
use crate::output::tables::{self, RowReader};
use crate::rows::RowStore;

/// The format of the row files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RowFormat {
    #[default]
    Csv,
    Parquet,
}

/// The row tables, in the order of [`headers`] and the checkpoint's byte counts.
pub const STEMS: [&str; 3] = ["replications", "series", "parameters"];

impl RowFormat {
    /// The file of the table `stem` in this format (`replications.parquet`).
    pub fn file(self, stem: &str) -> String {
        format!("{stem}.{}", self.name())
    }

    /// As on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            RowFormat::Csv => "csv",
            RowFormat::Parquet => "parquet",
        }
    }

    /// The format of a finished folder whose manifest lists `outputs`.
    pub fn of_outputs<'a>(mut outputs: impl Iterator<Item = &'a String>) -> RowFormat {
        if outputs.any(|name| name.ends_with(".parquet")) {
            RowFormat::Parquet
        } else {
            RowFormat::Csv
        }
    }

    /// The row files of a folder in this format, in the order of [`STEMS`].
    pub fn files(self) -> [String; 3] {
        STEMS.map(|stem| self.file(stem))
    }
}

/// The headers of the row tables (`replication` first), in the order of [`STEMS`].
pub fn headers(layout: &MetricLayout, params: &ParameterLayout) -> [Vec<String>; 3] {
    [
        tables::replication_header(layout),
        tables::series_header(layout),
        tables::parameter_header(params),
    ]
}

/// Writes the row tables of the sealed stores (replications `first..first + count`:
/// metrics and series in `store`, the drawn parameters in `parameters`) as Parquet, and
/// drops the folder's CSV journal of them.
pub fn write_parquet(
    dir: &mut RunDir,
    headers: &[Vec<String>; 3],
    store: &RowStore,
    parameters: &RowStore,
    rows: Range<u64>,
) -> Result<()> {
    for (k, (stem, header)) in STEMS.iter().zip(headers).enumerate() {
        let column = |j: usize, part: Range<usize>| match k {
            0 => store.metric_range(j, part),
            1 => store.series_range(j, part),
            _ => parameters.metric_range(j, part),
        };
        let name = RowFormat::Parquet.file(stem);
        let out = dir.create(&name)?;
        let mut out = parquet::write_table(out, header, rows.clone(), &column)
            .with_context(|| format!("cannot write {name}"))?;
        out.flush()?;
        dir.discard(&RowFormat::Csv.file(stem));
    }
    Ok(())
}

/// A row file being read back in replication order, whichever its format.
pub enum RowSource {
    Csv(RowReader<std::fs::File>),
    Parquet(Box<ParquetRows>),
}

impl RowSource {
    /// Opens `path` (a file in `format`) and checks its columns are `header`.
    pub fn open(path: &Path, format: RowFormat, header: &[String]) -> Result<RowSource> {
        Ok(match format {
            RowFormat::Csv => RowSource::Csv(RowReader::open(path, header)?),
            RowFormat::Parquet => RowSource::Parquet(Box::new(ParquetRows::open(path, header)?)),
        })
    }

    /// Appends the values of the rows of replications `first..first + count` to `out`.
    pub fn read_rows(&mut self, first: u64, count: usize, out: &mut Vec<f64>) -> Result<()> {
        match self {
            RowSource::Csv(r) => r.read_rows(first, count, out),
            RowSource::Parquet(r) => r.read_rows(first, count, out),
        }
    }

    /// Fails unless every row has been read.
    pub fn finish(self) -> Result<()> {
        match self {
            RowSource::Csv(r) => r.finish(),
            RowSource::Parquet(r) => r.finish(),
        }
    }
}
