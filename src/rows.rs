//! Replication rows held for the statistics pass: in memory when they are small, spilled
//! to a column-blocked scratch file when they are not, so that a million replications
//! need memory for one column at a time, not for the whole table.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::stats::Columns;

/// Above this many values, rows go to a scratch file.
const IN_MEMORY_VALUES: usize = 32 * 1024 * 1024;

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
        let storage = if expected.saturating_mul(m + sl) <= IN_MEMORY_VALUES {
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
                let w = writer.as_mut().expect("store is open");
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

    fn column(&self, j: usize, is_series: bool) -> Vec<f64> {
        let (m, n) = (self.m, self.n);
        match &self.storage {
            Storage::Memory { blocks } => {
                let col = if is_series { m + j } else { j };
                let mut out = Vec::with_capacity(n);
                for (count, block) in blocks {
                    out.extend_from_slice(&block[col * count..(col + 1) * count]);
                }
                out
            }
            Storage::Spill { path, blocks, .. } => {
                let mut file = File::open(path).expect("scratch file readable");
                let mut out = Vec::with_capacity(n);
                let mut buf = Vec::new();
                for &(offset, count) in blocks {
                    let col = if is_series { m + j } else { j };
                    file.seek(SeekFrom::Start(offset + (col * count * 8) as u64))
                        .expect("seek scratch");
                    buf.resize(count * 8, 0);
                    file.read_exact(&mut buf).expect("read scratch");
                    out.extend(
                        buf.chunks_exact(8)
                            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    );
                }
                out
            }
        }
    }
}

impl Columns for RowStore {
    fn replications(&self) -> usize {
        self.n
    }

    fn metric(&self, j: usize) -> Vec<f64> {
        self.column(j, false)
    }

    fn series(&self, j: usize) -> Vec<f64> {
        self.column(j, true)
    }
}

impl Drop for RowStore {
    fn drop(&mut self) {
        if let Storage::Spill { path, .. } = &self.storage {
            let _ = std::fs::remove_file(path);
        }
    }
}
