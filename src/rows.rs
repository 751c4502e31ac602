//! Replication rows held for the statistics pass: in memory when they are small, spilled
//! to a column-blocked scratch file when they are not, so that a million replications
//! need memory for one column at a time, not for the whole table.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::stats::Columns;

/// Above this many values (512 MiB), rows go to a scratch file: 100,000 baseline
/// replications (≈ 500 values each) stay in memory, a million do not.
const IN_MEMORY_VALUES: usize = 64 * 1024 * 1024;

/// `IN_MEMORY_VALUES`, or what the POLICYSIM_TEST_IN_MEMORY_VALUES test seam sets
/// (`job::Seams`), so that a test can make a small run spill to scratch.
static IN_MEMORY_LIMIT: AtomicUsize = AtomicUsize::new(IN_MEMORY_VALUES);

/// Sets the number of values above which rows spill (test seam only).
pub fn set_in_memory_limit(values: usize) {
    IN_MEMORY_LIMIT.store(values, Ordering::Relaxed);
}

fn in_memory_values() -> usize {
    IN_MEMORY_LIMIT.load(Ordering::Relaxed)
}

enum Storage {
    /// Column-major blocks, as in the scratch file.
    Memory { blocks: Vec<(usize, Vec<f64>)> },
    Spill {
        path: PathBuf,
        writer: Option<BufWriter<File>>,
        blocks: Vec<(u64, usize)>,
    },
}

/// Rows of `m` metrics and `sl` series values per replication, appended block by block in
/// replication order.
pub struct RowStore {
    m: usize,
    sl: usize,
    n: usize,
    storage: Storage,
}

impl RowStore {
    /// A store for `expected` replications; spills to `scratch` if they would be large.
    pub fn new(m: usize, sl: usize, expected: usize, scratch: &Path) -> std::io::Result<RowStore> {
        RowStore::with_limit(m, sl, expected, scratch, in_memory_values())
    }

    /// One of `stores` stores held at the same time (the scenarios of a comparison): they
    /// share the memory one store may use before it spills.
    pub fn new_among(
        stores: usize,
        m: usize,
        sl: usize,
        expected: usize,
        scratch: &Path,
    ) -> std::io::Result<RowStore> {
        RowStore::with_limit(m, sl, expected, scratch, in_memory_values() / stores.max(1))
    }

    /// Whether one of `stores` stores of `expected` replications spills to scratch.
    pub fn spills(stores: usize, m: usize, sl: usize, expected: u64) -> bool {
        expected.saturating_mul((m + sl) as u64) > (in_memory_values() / stores.max(1)) as u64
    }

    fn with_limit(
        m: usize,
        sl: usize,
        expected: usize,
        scratch: &Path,
        in_memory_values: usize,
    ) -> std::io::Result<RowStore> {
        let storage = if expected.saturating_mul(m + sl) <= in_memory_values {
            Storage::Memory { blocks: Vec::new() }
        } else {
            let writer = BufWriter::with_capacity(1 << 20, File::create(scratch)?);
            Storage::Spill {
                path: scratch.to_path_buf(),
                writer: Some(writer),
                blocks: Vec::new(),
            }
        };
        Ok(RowStore {
            m,
            sl,
            n: 0,
            storage,
        })
    }

    /// Appends `count` rows (row-major `metrics` and `series`).
    pub fn push(&mut self, count: usize, metrics: &[f64], series: &[f64]) -> std::io::Result<()> {
        let (m, sl) = (self.m, self.sl);
        // Column-major within the block: one column of the block is contiguous.
        let mut block = Vec::with_capacity(count * (m + sl));
        for (width, data) in [(m, metrics), (sl, series)] {
            for j in 0..width {
                block.extend((0..count).map(|i| data[i * width + j]));
            }
        }
        match &mut self.storage {
            Storage::Memory { blocks } => blocks.push((count, block)),
            Storage::Spill { writer, blocks, .. } => {
                let w = writer
                    .as_mut()
                    .expect("rows are pushed before seal, which closes the writer");
                let offset = blocks
                    .last()
                    .map_or(0, |(o, c)| o + (*c * (m + sl) * 8) as u64);
                let bytes: Vec<u8> = block.iter().flat_map(|x| x.to_le_bytes()).collect();
                w.write_all(&bytes)?;
                blocks.push((offset, count));
            }
        }
        self.n += count;
        Ok(())
    }

    /// Finishes writing; the store can then be read column by column.
    pub fn seal(&mut self) -> std::io::Result<()> {
        if let Storage::Spill { writer, .. } = &mut self.storage {
            if let Some(mut w) = writer.take() {
                w.flush()?;
            }
        }
        Ok(())
    }

    /// Value column j of the metrics (or the series) for the rows `rows`, in order.
    pub fn metric_range(&self, j: usize, rows: Range<usize>) -> std::io::Result<Vec<f64>> {
        self.column(j, false, rows)
    }

    pub fn series_range(&self, j: usize, rows: Range<usize>) -> std::io::Result<Vec<f64>> {
        self.column(j, true, rows)
    }

    /// Reading a spilled store can fail like any file (a disk error, the scratch file
    /// removed): that is returned, not a bug.
    fn column(&self, j: usize, is_series: bool, rows: Range<usize>) -> std::io::Result<Vec<f64>> {
        let col = if is_series { self.m + j } else { j };
        let mut out = Vec::with_capacity(rows.len());
        // Each block's part of `rows`, in block-relative row numbers.
        let mut start = 0;
        let mut parts = Vec::new();
        let counts: Vec<usize> = match &self.storage {
            Storage::Memory { blocks } => blocks.iter().map(|(c, _)| *c).collect(),
            Storage::Spill { blocks, .. } => blocks.iter().map(|(_, c)| *c).collect(),
        };
        for (k, count) in counts.into_iter().enumerate() {
            let (lo, hi) = (rows.start.max(start), rows.end.min(start + count));
            if lo < hi {
                parts.push((k, count, lo - start..hi - start));
            }
            start += count;
        }
        match &self.storage {
            Storage::Memory { blocks } => {
                for (k, count, part) in parts {
                    let block = &blocks[k].1;
                    out.extend_from_slice(&block[col * count + part.start..col * count + part.end]);
                }
            }
            Storage::Spill { path, blocks, .. } => {
                let mut file = File::open(path)?;
                let mut buf = Vec::new();
                for (k, count, part) in parts {
                    let at = blocks[k].0 + ((col * count + part.start) * 8) as u64;
                    file.seek(SeekFrom::Start(at))?;
                    buf.resize(part.len() * 8, 0);
                    file.read_exact(&mut buf)?;
                    out.extend(buf.chunks_exact(8).map(|b| {
                        f64::from_le_bytes(b.try_into().expect("chunks_exact(8) gives 8 bytes"))
                    }));
                }
            }
        }
        Ok(out)
    }
}

impl Columns for RowStore {
    fn replications(&self) -> usize {
        self.n
    }

    fn metric(&self, j: usize) -> std::io::Result<Vec<f64>> {
        self.column(j, false, 0..self.n)
    }

    fn series(&self, j: usize) -> std::io::Result<Vec<f64>> {
        self.column(j, true, 0..self.n)
    }
}

impl Drop for RowStore {
    fn drop(&mut self) {
        if let Storage::Spill { path, .. } = &self.storage {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three blocks of rows with 3 metrics and 2 series values, pushed into a store that
    /// keeps them in memory and one that spills: both give back the same columns.
    #[test]
    fn memory_and_spilled_stores_give_the_same_columns() {
        let dir = tempfile::tempdir().unwrap();
        let (m, sl) = (3, 2);
        let value = |r: usize, c: usize| (r * 10 + c) as f64 + 0.5;
        let mut stores = [
            RowStore::with_limit(m, sl, 7, &dir.path().join("a"), usize::MAX).unwrap(),
            RowStore::with_limit(m, sl, 7, &dir.path().join("b"), 0).unwrap(),
        ];
        assert!(matches!(stores[0].storage, Storage::Memory { .. }));
        assert!(matches!(stores[1].storage, Storage::Spill { .. }));
        for store in &mut stores {
            let mut first = 0;
            for count in [3, 1, 3] {
                let rows = first..first + count;
                let metrics: Vec<f64> = rows
                    .clone()
                    .flat_map(|r| (0..m).map(move |c| value(r, c)))
                    .collect();
                let series: Vec<f64> = rows
                    .flat_map(|r| (m..m + sl).map(move |c| value(r, c)))
                    .collect();
                store.push(count, &metrics, &series).unwrap();
                first += count;
            }
            store.seal().unwrap();
            assert_eq!(store.replications(), 7);
            for c in 0..m {
                assert_eq!(
                    store.metric(c).unwrap(),
                    (0..7).map(|r| value(r, c)).collect::<Vec<_>>()
                );
            }
            for c in 0..sl {
                assert_eq!(
                    store.series(c).unwrap(),
                    (0..7).map(|r| value(r, m + c)).collect::<Vec<_>>()
                );
            }
            // A range across block boundaries, and one inside a block.
            for rows in [2..6, 4..5, 0..0] {
                assert_eq!(
                    store.metric_range(1, rows.clone()).unwrap(),
                    rows.clone().map(|r| value(r, 1)).collect::<Vec<_>>()
                );
                assert_eq!(
                    store.series_range(1, rows.clone()).unwrap(),
                    rows.map(|r| value(r, m + 1)).collect::<Vec<_>>()
                );
            }
        }
        let spilled = dir.path().join("b");
        assert!(spilled.exists());
        drop(stores);
        assert!(
            !spilled.exists(),
            "the scratch file is removed with the store"
        );
    }

    /// A spilled store that cannot read its scratch file back says so: an I/O error, not
    /// a panic.
    #[test]
    fn unreadable_scratch_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("rows");
        let mut store = RowStore::with_limit(2, 0, 3, &scratch, 0).unwrap();
        store.push(3, &[1.0; 6], &[]).unwrap();
        store.seal().unwrap();
        assert_eq!(store.metric(1).unwrap(), vec![1.0; 3]);
        std::fs::remove_file(&scratch).unwrap();
        let err = store.metric(1).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    }
}
