//! What a run will need before it starts, and whether this machine has it: firms per
//! replication, memory, and disk for the output files and scratch. A run that cannot fit
//! is refused (exit code 2) with the estimate, instead of failing hours later or filling
//! the disk; `--force` does not override it. See README.md, "Batch jobs and clusters".
//!
//! The estimate is deliberately on the high side where it cannot be exact:
//! - Firms per replication: the initial pool (the cohorts' counts, or in a run from
//!   actuals the known firms), plus the entrants expected from the pool's day to the
//!   scenario's end at the top of the entry rate's range (a drawn rate at its clamp
//!   maximum, or four times its mean when unclamped), padded to λ + 6√λ + 10 so that a
//!   Poisson count exceeds it with probability below one in a billion; plus the
//!   districts' listing candidates, which the engine also holds one by one.
//! - Memory: each worker thread holds one replication's working memory
//!   ([`BYTES_PER_FIRM`] per firm), up to three blocks of rows are in flight, the rows
//!   are kept for the statistics pass when the store keeps them in memory (see
//!   `rows::RowStore`), and the statistics pass copies a column per thread.
//! - Disk: the row files measured on a pilot of a few replications (the longest row seen,
//!   plus a quarter), the scratch file when the store spills, and the small files. With
//!   `--rows parquet`, the Parquet files besides: the CSV journal stays until they are
//!   written, and their size is bounded per value ([`parquet_bytes_per_replication`]),
//!   since how well a column compresses is not known from a pilot.

use std::path::Path;

use crate::calendar::DAYS_PER_YEAR;
use crate::engine::Model;
use crate::error::Error;
use crate::model::pool::InitialPool;
use crate::montecarlo::run_block;
use crate::output::tables;
use crate::rows::RowStore;
use crate::scenario::types::{Param, Scenario};

/// Working memory of one replication per firm it holds (the firm, its slots, queue
/// entries, claims and payments): about 1,050 bytes measured on the baseline with its
/// nine cohorts at 10^5 and 10^6 firms each (docs/performance.md, "Memory per firm"),
/// with half as much again for scenarios that pay more per firm.
pub const BYTES_PER_FIRM: u64 = 1536;

/// Replications of the pilot that measures the row files' bytes per replication.
const PILOT: u64 = 16;

/// The small files (summary, targets, budget, timeseries, report, manifest): a bound
/// per summarised value, and a fixed allowance for the report and manifest.
const BYTES_PER_SUMMARY_VALUE: u64 = 400;
const FIXED_BYTES: u64 = 16 << 20;

/// What one run folder's run will need.
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub firms_per_replication: u64,
    pub replications: u64,
    pub memory_bytes: u64,
    /// Row files, scratch and small files.
    pub disk_bytes: u64,
    pub scratch_bytes: u64,
}

/// How a run's rows are laid out and held: the inputs of the estimate besides the
/// scenario.
pub struct Shape {
    pub metrics: usize,
    pub series: usize,
    /// Replications this folder will hold.
    pub replications: u64,
    pub threads: usize,
    pub block: u64,
    /// Row stores held at once (the scenarios of a comparison share the memory budget).
    pub stores: usize,
    /// Bytes of one replication's rows in the row files: its lines in `replications.csv`
    /// and `series.csv`, plus its Parquet rows with `--rows parquet`; 0 when the command
    /// writes no row files.
    pub csv_bytes_per_replication: u64,
}

impl Footprint {
    /// The estimate for `shape` rows of a scenario whose replications hold `firms` firms.
    pub fn of(firms: u64, shape: &Shape) -> Footprint {
        let values = (shape.metrics + shape.series) as u64;
        let row_bytes = values.saturating_mul(8);
        let n = shape.replications;
        let spills = RowStore::spills(shape.stores, shape.metrics, shape.series, n);
        let rows_in_memory = if spills {
            0
        } else {
            n.saturating_mul(row_bytes)
        };
        let scratch_bytes = if spills {
            n.saturating_mul(row_bytes)
        } else {
            0
        };
        let threads = shape.threads as u64;
        let working = firms.saturating_mul(BYTES_PER_FIRM).saturating_mul(threads);
        let in_flight = 3u64
            .saturating_mul(shape.block.min(n))
            .saturating_mul(row_bytes);
        let statistics = n.saturating_mul(16).saturating_mul(threads);
        let memory_bytes = working
            .saturating_add(in_flight)
            .saturating_add(rows_in_memory.saturating_mul(shape.stores as u64))
            .saturating_add(statistics);
        let disk_bytes = n
            .saturating_mul(shape.csv_bytes_per_replication)
            .saturating_add(scratch_bytes.saturating_mul(shape.stores as u64))
            .saturating_add(values.saturating_mul(BYTES_PER_SUMMARY_VALUE))
            .saturating_add(FIXED_BYTES);
        Footprint {
            firms_per_replication: firms,
            replications: n,
            memory_bytes,
            disk_bytes,
            scratch_bytes,
        }
    }

    /// One line for the run's header.
    pub fn describe(&self) -> String {
        format!(
            "estimate: {} firms per replication, {} replications; memory {}, disk {} \
             (scratch {})",
            self.firms_per_replication,
            self.replications,
            bytes(self.memory_bytes),
            bytes(self.disk_bytes),
            bytes(self.scratch_bytes)
        )
    }

    /// Refuses (exit code 2) a run that does not fit `machine`.
    pub fn check(&self, machine: &Machine, out: &Path) -> Result<(), Error> {
        let mut short = Vec::new();
        if let Some(avail) = machine.memory_available {
            if self.memory_bytes > avail {
                short.push(format!(
                    "memory {} needed, {} available (MemAvailable)",
                    bytes(self.memory_bytes),
                    bytes(avail)
                ));
            }
        }
        if let Some(free) = machine.disk_free {
            if self.disk_bytes > free {
                short.push(format!(
                    "disk {} needed, {} free under {}",
                    bytes(self.disk_bytes),
                    bytes(free),
                    out.display()
                ));
            }
        }
        if short.is_empty() {
            return Ok(());
        }
        Err(Error::bad_input(format!(
            "this run cannot fit this machine: {}. {}. Use fewer replications (--reps), \
             shards on several machines (--shard K/N), fewer threads, or another --out; \
             --force does not override this",
            short.join("; "),
            self.describe()
        )))
    }
}

/// The estimate for a job whose replications hold `firms` firms each, refused (exit code
/// 2) when this machine cannot hold it. Memory is checked before `pilot` runs (it
/// simulates a few replications to measure `shape.csv_bytes_per_replication`), so an
/// absurd scenario is refused without simulating anything. Every command that runs or
/// merges replications calls this before it writes.
pub fn estimate(
    firms: u64,
    mut shape: Shape,
    out: &Path,
    pilot: impl FnOnce() -> u64,
) -> Result<Footprint, Error> {
    let machine = Machine::current(out)?;
    Footprint::of(firms, &shape).check(&machine, out)?;
    shape.csv_bytes_per_replication = pilot();
    let footprint = Footprint::of(firms, &shape);
    footprint.check(&machine, out)?;
    Ok(footprint)
}

/// Upper estimate of the firms one replication of `s` from its cohorts holds (see the
/// module's doc).
pub fn firms_per_replication(s: &Scenario) -> u64 {
    firms_starting_from(s, &InitialPool::from_cohorts(s))
}

/// Upper estimate of the firms one replication of `model` holds (see the module's doc):
/// those of its initial pool, from cohorts or from actuals, and the entrants from the
/// pool's day on, as the engine adds them.
pub fn firms_of(model: &Model<'_>) -> u64 {
    firms_starting_from(model.scenario, &model.pool)
}

fn firms_starting_from(s: &Scenario, pool: &InitialPool<'_>) -> u64 {
    let upper = |p: Param| match p {
        Param::Const(v) => v,
        Param::Drawn(i) => {
            let u = &s.uncertain[i];
            if u.max.is_finite() {
                u.max
            } else {
                4.0 * u.dist.mean()
            }
        }
    };
    let years = ((s.end - pool.day) / DAYS_PER_YEAR).max(0.0);
    let rate =
        upper(s.entry.rate_per_year).max(0.0) * upper(s.entry.attraction_multiplier).max(0.0);
    let lambda = rate * years;
    let entrants = if lambda.is_finite() {
        lambda + 6.0 * lambda.sqrt() + 10.0
    } else {
        f64::MAX
    };
    let initial = (pool.firms.len() as u64).saturating_add(pool.observed.firms.len() as u64);
    let candidates = s
        .districts
        .iter()
        .flat_map(|d| d.listing_candidates.iter().map(|&(_, n)| n))
        .fold(0u64, u64::saturating_add);
    // `as` saturates a float too large for u64.
    initial
        .saturating_add(entrants.ceil() as u64)
        .saturating_add(candidates)
}

/// Bytes of one replication's lines in the row files, measured on a pilot of the first
/// few replications of `reps` (the longest seen, plus a quarter for the rows not seen).
pub fn csv_bytes_per_replication(model: &Model<'_>, seed: u64, reps: std::ops::Range<u64>) -> u64 {
    let pilot = reps.start..reps.end.min(reps.start + PILOT);
    let block = run_block(model, seed, pilot.clone(), &|| {});
    let (m, sl) = (model.layout.len(), model.layout.series_len());
    let mut longest = 0u64;
    for i in 0..block.count {
        let mut line = Vec::new();
        let replication = pilot.start + i as u64;
        let metrics = &block.metrics[i * m..(i + 1) * m];
        let series = &block.series[i * sl..(i + 1) * sl];
        // Writing to a Vec cannot fail.
        let _ = tables::write_rows(&mut line, replication, m, metrics);
        let _ = tables::write_rows(&mut line, replication, sl, series);
        longest = longest.max(line.len() as u64);
    }
    longest + longest / 4
}

/// Most bytes a value takes in a Parquet row file. Values that are all distinct (nothing
/// for the dictionary or Snappy to gain) take about 9 bytes each: 8 in the dictionary or
/// plain page, plus dictionary indices, page headers, statistics and the footer; the test
/// `distinct_values_fit_the_parquet_bound` measures that case. Real rows take far less
/// (docs/performance.md).
const PARQUET_BYTES_PER_VALUE: u64 = 11;

/// Most bytes one replication's rows take in the Parquet row files (`values` values, plus
/// the replication number in each of the three files).
pub fn parquet_bytes_per_replication(values: usize) -> u64 {
    (values as u64 + 3).saturating_mul(PARQUET_BYTES_PER_VALUE)
}

/// What this machine has for a run: `None` where it cannot tell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    pub memory_available: Option<u64>,
    pub disk_free: Option<u64>,
}

impl Machine {
    /// MemAvailable from /proc/meminfo, and the free space (for this user) of the
    /// filesystem `out` is or would be created on.
    ///
    /// Test seam (environment): POLICYSIM_TEST_MEMORY_AVAILABLE and
    /// POLICYSIM_TEST_DISK_FREE, in bytes, stand for what the machine has.
    pub fn current(out: &Path) -> Result<Machine, Error> {
        let seam = |name| crate::cli::limits::env_seam(name, 0, u64::MAX);
        Ok(Machine {
            memory_available: match seam("POLICYSIM_TEST_MEMORY_AVAILABLE")? {
                Some(n) => Some(n),
                None => memory_available(),
            },
            disk_free: match seam("POLICYSIM_TEST_DISK_FREE")? {
                Some(n) => Some(n),
                None => disk_free(out),
            },
        })
    }
}

fn memory_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// Free bytes of the filesystem of `out`'s nearest existing ancestor.
fn disk_free(out: &Path) -> Option<u64> {
    let absolute = std::path::absolute(out).ok()?;
    let existing = absolute.ancestors().find(|p| p.exists())?;
    let stat = rustix::fs::statvfs(existing).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Bytes for a person: "1.5 GB".
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut x = n as f64;
    let mut unit = 0;
    while x >= 1000.0 && unit < UNITS.len() - 1 {
        x /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{x:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(replications: u64, stores: usize) -> Shape {
        Shape {
            metrics: 100,
            series: 50,
            replications,
            threads: 2,
            block: 2048,
            stores,
            csv_bytes_per_replication: 1000,
        }
    }

    /// Rows kept in memory count towards memory; spilled rows towards disk, as scratch.
    #[test]
    fn rows_count_in_memory_until_the_store_spills_then_on_disk() {
        let small = Footprint::of(10, &shape(1000, 1));
        assert_eq!(small.scratch_bytes, 0);
        let rows = 1000 * 150 * 8;
        let fixed = 150 * BYTES_PER_SUMMARY_VALUE + FIXED_BYTES;
        assert_eq!(small.disk_bytes, 1000 * 1000 + fixed);
        let working = 10 * BYTES_PER_FIRM * 2;
        assert_eq!(
            small.memory_bytes,
            working + 3 * 1000 * 150 * 8 + rows + 1000 * 16 * 2
        );
        let n = 10_000_000;
        let big = Footprint::of(10, &shape(n, 1));
        assert_eq!(big.scratch_bytes, n * 150 * 8);
        assert_eq!(big.disk_bytes, n * 1000 + n * 150 * 8 + fixed);
    }

    #[test]
    fn a_run_that_does_not_fit_is_refused_with_the_estimate() {
        let f = Footprint::of(10, &shape(1000, 1));
        let roomy = Machine {
            memory_available: Some(f.memory_bytes),
            disk_free: Some(f.disk_bytes),
        };
        assert!(f.check(&roomy, Path::new("out")).is_ok());
        let unknown = Machine {
            memory_available: None,
            disk_free: None,
        };
        assert!(f.check(&unknown, Path::new("out")).is_ok());
        let tight = Machine {
            memory_available: Some(f.memory_bytes - 1),
            disk_free: Some(f.disk_bytes - 1),
        };
        let err = f.check(&tight, Path::new("out")).unwrap_err();
        assert_eq!(err.exit, crate::error::Exit::BadInput);
        assert!(err.message.contains("memory") && err.message.contains("disk"));
        assert!(
            err.message.contains("10 firms per replication"),
            "{}",
            err.message
        );
    }

    /// The worst case for the Parquet bound: two row groups of values that are all
    /// distinct (no dictionary or Snappy gain), written as the run writes them.
    #[test]
    fn distinct_values_fit_the_parquet_bound() {
        let header: Vec<String> = ["replication", "a", "b", "c"].map(String::from).into();
        let rows = 70_000u64;
        // Distinct finite doubles whose bits look random (a multiplicative hash).
        let value = |j: usize, i: usize| {
            let bits = ((i * 3 + j) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 2;
            f64::from_bits(bits)
        };
        let column =
            |j: usize, part: std::ops::Range<usize>| Ok(part.map(|i| value(j, i)).collect());
        let file =
            crate::output::parquet::write_table(Vec::new(), &header, 0..rows, &column).unwrap();
        // One table of three values: its replication numbers counted as one value.
        let bound = rows * (3 + 1) * PARQUET_BYTES_PER_VALUE;
        assert!(
            (file.len() as u64) <= bound,
            "{} bytes, bound {bound}",
            file.len()
        );
        // The bound is not slack: the values are incompressible.
        assert!(file.len() as u64 > rows * 4 * 8, "{} bytes", file.len());
    }

    #[test]
    fn bytes_read_as_decimal_units() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000_000), "1.5 GB");
        assert_eq!(bytes(u64::MAX), "18446.7 PB");
    }
}
