//! A row table (`replications`, `series`, ...) as a Parquet file: an INT64 `replication`
//! column then one DOUBLE column per CSV column, the same names and the exact f64 values,
//! row groups in replication order on a fixed grid of replication numbers (so the bytes
//! depend on which replications a file holds, not on threads, blocks or resumes).
//!
//! Written and read with the `parquet` crate's low-level API; no timestamps are written
//! and `created_by` names policysim, so the same rows give the same bytes.

use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use parquet::basic::{Compression, Repetition, Type as Physical};
use parquet::column::reader::{get_typed_column_reader, ColumnReaderImpl};
use parquet::data_type::{DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use crate::output::manifest::{ENGINE, ENGINE_VERSION};

/// Replications per row group: row group k holds replications k·ROW_GROUP .. (k+1)·ROW_GROUP
/// (clipped to the file's range). 65,536 keeps a column chunk of a group at 512 KiB.
pub const ROW_GROUP: u64 = 65_536;

fn schema(header: &[String]) -> Result<Arc<Type>> {
    let mut fields = Vec::with_capacity(header.len());
    for (k, name) in header.iter().enumerate() {
        let physical = if k == 0 {
            Physical::INT64
        } else {
            Physical::DOUBLE
        };
        let field = Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::REQUIRED)
            .build()?;
        fields.push(Arc::new(field));
    }
    Ok(Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()?,
    ))
}

fn properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("{ENGINE} {ENGINE_VERSION}"))
            .set_compression(Compression::SNAPPY)
            .build(),
    )
}

/// Writes the rows of replications `reps` of a table with `header` (`replication`
/// first) to `out`; `column(j, range)` gives value column j (0-based, after
/// `replication`) for a range of the file's rows (0-based within the file).
pub fn write_table<W: Write + Send>(
    out: W,
    header: &[String],
    reps: Range<u64>,
    column: &dyn Fn(usize, Range<usize>) -> std::io::Result<Vec<f64>>,
) -> Result<W> {
    let mut writer = SerializedFileWriter::new(out, schema(header)?, properties())?;
    let (first, end) = (reps.start, reps.end);
    let mut start = first;
    while start < end {
        let stop = ((start / ROW_GROUP + 1) * ROW_GROUP).min(end);
        let rows = (start - first) as usize..(stop - first) as usize;
        let mut group = writer.next_row_group()?;
        let mut k = 0;
        while let Some(mut col) = group.next_column()? {
            if k == 0 {
                let numbers: Vec<i64> = (start..stop).map(|r| r as i64).collect();
                col.typed::<Int64Type>().write_batch(&numbers, None, None)?;
            } else {
                let values = column(k - 1, rows.clone())?;
                col.typed::<DoubleType>().write_batch(&values, None, None)?;
            }
            col.close()?;
            k += 1;
        }
        group.close()?;
        start = stop;
    }
    Ok(writer.into_inner()?)
}

/// Reads back the rows of a table file written by [`write_table`], in replication order,
/// as `tables::RowReader` does for CSV: checks the columns and the replication numbers.
/// Every column of the current row group is read a few rows at a time, so memory holds
/// one page per column, not a row group (65,536 rows of every column).
pub struct ParquetRows {
    path: PathBuf,
    reader: SerializedFileReader<File>,
    /// The next row group to open.
    next_group: usize,
    /// The open row group's columns, and how many of its rows are still to be read.
    numbers: Option<ColumnReaderImpl<Int64Type>>,
    columns: Vec<ColumnReaderImpl<DoubleType>>,
    left: usize,
    /// One column's values of the rows being read.
    read: Vec<f64>,
    read_numbers: Vec<i64>,
}

impl ParquetRows {
    /// Opens `path` and checks that its columns are `header`.
    pub fn open(path: &Path, header: &[String]) -> Result<ParquetRows> {
        let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let reader = SerializedFileReader::new(file)
            .with_context(|| format!("{}: not a Parquet file", path.display()))?;
        let schema = reader.metadata().file_metadata().schema_descr();
        let names: Vec<&str> = schema.columns().iter().map(|c| c.name()).collect();
        if names.iter().ne(header.iter()) {
            bail!(
                "{}: its columns are not the ones this scenario and engine write",
                path.display()
            );
        }
        Ok(ParquetRows {
            path: path.to_path_buf(),
            reader,
            next_group: 0,
            numbers: None,
            columns: Vec::new(),
            left: 0,
            read: Vec::new(),
            read_numbers: Vec::new(),
        })
    }

    /// Opens the next row group; false if there is none.
    fn open_group(&mut self) -> Result<bool> {
        if self.next_group >= self.reader.num_row_groups() {
            return Ok(false);
        }
        let group = self.reader.get_row_group(self.next_group)?;
        let width = group.metadata().num_columns();
        self.numbers = Some(get_typed_column_reader(group.get_column_reader(0)?));
        self.columns = (1..width)
            .map(|k| Ok(get_typed_column_reader(group.get_column_reader(k)?)))
            .collect::<Result<_>>()?;
        self.left = group.metadata().num_rows() as usize;
        self.next_group += 1;
        Ok(true)
    }

    /// Appends the values of the rows of replications `first..first + count` to `out`,
    /// row by row.
    pub fn read_rows(&mut self, first: u64, count: usize, out: &mut Vec<f64>) -> Result<()> {
        let mut done = 0;
        while done < count {
            let r = first + done as u64;
            while self.left == 0 {
                if !self.open_group()? {
                    bail!("{}: ends before replication {r}", self.path.display());
                }
            }
            let n = (count - done).min(self.left);
            let numbers = self
                .numbers
                .as_mut()
                .expect("the loop above leaves only when open_group opened a group with rows left");
            read_exactly(numbers, n, &mut self.read_numbers)
                .with_context(|| format!("{}", self.path.display()))?;
            for (i, &found) in self.read_numbers.iter().enumerate() {
                if found != (r + i as u64) as i64 {
                    bail!(
                        "{}: expected replication {}, found {found}",
                        self.path.display(),
                        r + i as u64
                    );
                }
            }
            // Row-major, as the CSV reader gives them: column k of row i at i·width + k.
            let (width, at) = (self.columns.len(), out.len());
            out.resize(at + n * width, 0.0);
            for (k, column) in self.columns.iter_mut().enumerate() {
                read_exactly(column, n, &mut self.read)
                    .with_context(|| format!("{}", self.path.display()))?;
                for (i, &x) in self.read.iter().enumerate() {
                    out[at + i * width + k] = x;
                }
            }
            self.left -= n;
            done += n;
        }
        Ok(())
    }

    /// Fails unless every row has been read.
    pub fn finish(mut self) -> Result<()> {
        if self.left > 0 || self.open_group()? {
            bail!(
                "{}: holds rows after the last replication its manifest names",
                self.path.display()
            );
        }
        Ok(())
    }
}

/// Reads the next `n` values of a column (no nulls: every column is required) into `out`.
fn read_exactly<T>(column: &mut ColumnReaderImpl<T>, n: usize, out: &mut Vec<T::T>) -> Result<()>
where
    T: parquet::data_type::DataType,
{
    out.clear();
    while out.len() < n {
        let (records, _, _) = column.read_records(n - out.len(), None, None, out)?;
        if records == 0 {
            return Err(anyhow!("a column chunk ends early"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows across a row-group boundary, written from a range that does not start on the
    /// grid, read back exactly; and the same rows give the same bytes.
    #[test]
    fn rows_round_trip_exactly_across_row_groups() {
        let header: Vec<String> = ["replication", "a", "b@2023-01"].map(String::from).into();
        let first = ROW_GROUP - 3;
        let count = 7u64;
        let value = |j: usize, i: usize| match j {
            0 => (i as f64) * 0.1 + 1.0e-300,
            _ => -(i as f64) / 3.0,
        };
        let column = |j: usize, rows: Range<usize>| Ok(rows.map(|i| value(j, i)).collect());
        let reps = first..first + count;
        let bytes = write_table(Vec::new(), &header, reps.clone(), &column).unwrap();
        let again = write_table(Vec::new(), &header, reps, &column).unwrap();
        assert_eq!(bytes, again);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, &bytes).unwrap();
        let mut rows = ParquetRows::open(&path, &header).unwrap();
        assert_eq!(rows.reader.num_row_groups(), 2);
        let mut out = Vec::new();
        rows.read_rows(first, 4, &mut out).unwrap();
        rows.read_rows(first + 4, 3, &mut out).unwrap();
        rows.finish().unwrap();
        let expected: Vec<u64> = (0..7)
            .flat_map(|i| [value(0, i).to_bits(), value(1, i).to_bits()])
            .collect();
        assert_eq!(
            out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            expected
        );
    }
}
