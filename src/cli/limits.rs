//! The valid range of every number the command line and the environment give, checked
//! where each is read (clap calls these parsers), so that a typo is refused with exit
//! code 2 before any work, never wrapped or silently clamped.
//!
//! - `--reps`: a whole number from 1 to 2^53 (counts stay exact as f64 in the means);
//!   whether the run fits this machine is checked next (see `footprint`).
//! - `--seed`: a whole number from 0 to 2^64 − 1.
//! - `--threads`: from 1 to four times the cores this process may use, and never above
//!   256; more threads than that only slow a run down (each block is split among them).
//! - `--shard K/N`, SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX,
//!   POLICYSIM_SHARD_COUNT: see [`crate::shard::Shard`]; N is also at most the
//!   replications, so that no shard is empty.
//! - Test seams (environment, not for users): POLICYSIM_BLOCK from 1 to 2^20,
//!   POLICYSIM_STOP_AFTER_BLOCKS from 1, POLICYSIM_TEST_MEMORY_AVAILABLE and
//!   POLICYSIM_TEST_DISK_FREE (bytes) from 0 to 2^64 − 1, POLICYSIM_TEST_IN_MEMORY_VALUES
//!   from 0 to 2^32 − 1.

use crate::error::Error;

/// The largest replication count: 2^53, the last integer every f64 holds exactly.
pub const MAX_REPLICATIONS: u64 = 1 << 53;

/// No machine policysim runs on uses more worker threads than this.
pub const MAX_THREADS: usize = 256;

/// The largest block size of the POLICYSIM_BLOCK test seam.
pub const MAX_BLOCK: u64 = 1 << 20;

fn whole(text: &str, what: &str, range: &str) -> Result<u64, String> {
    let t = text.trim();
    t.parse::<u64>().map_err(|_| {
        let why = if t.starts_with('-') {
            "it is negative"
        } else {
            "it is not a whole number"
        };
        format!("{what} must be a whole number from {range}; {t:?}: {why}")
    })
}

/// `--reps`: 1 ≤ n ≤ 2^53.
pub fn replications(text: &str) -> Result<u64, String> {
    let range = format!("1 to {MAX_REPLICATIONS}");
    match whole(text, "the replication count", &range)? {
        n @ 1..=MAX_REPLICATIONS => Ok(n),
        n => Err(format!(
            "the replication count must be a whole number from {range}; {n} is not"
        )),
    }
}

/// `--seed`: any u64.
pub fn seed(text: &str) -> Result<u64, String> {
    whole(text, "the seed", "0 to 18446744073709551615")
}

/// The most worker threads this machine can use: four per core, at most [`MAX_THREADS`].
pub fn max_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_mul(4).min(MAX_THREADS)
}

/// `--threads`: 1 ≤ t ≤ [`max_threads`].
pub fn threads(text: &str) -> Result<usize, String> {
    let max = max_threads();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let range =
        format!("1 to {max} on this machine (4 × its {cores} cores, at most {MAX_THREADS})");
    let t = whole(text, "the thread count", &range)?;
    match usize::try_from(t) {
        Ok(t) if (1..=max).contains(&t) => Ok(t),
        _ => Err(format!(
            "the thread count must be from {range}; {t} is not (more threads than cores \
             only slow a run down)"
        )),
    }
}

/// `--threads` if given, else every core this process may use.
pub fn worker_threads(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// A test seam read from the environment: `None` when unset; bad input when set to
/// something outside `min..=max`.
pub fn env_seam(name: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
    let Ok(text) = std::env::var(name) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Error::bad_input(format!(
            "{name}={text:?} must be a whole number from {min} to {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replications_are_whole_numbers_from_one_to_two_to_the_53() {
        assert_eq!(replications("1"), Ok(1));
        assert_eq!(
            replications(&MAX_REPLICATIONS.to_string()),
            Ok(MAX_REPLICATIONS)
        );
        for bad in ["0", "-1", "1.5", "abc", &(MAX_REPLICATIONS + 1).to_string()] {
            let err = replications(bad).unwrap_err();
            assert!(err.contains("from 1 to 9007199254740992"), "{bad}: {err}");
        }
        assert!(replications("-1").unwrap_err().contains("negative"));
    }

    #[test]
    fn threads_beyond_four_per_core_or_256_are_refused() {
        assert_eq!(threads("1"), Ok(1));
        assert_eq!(threads(&max_threads().to_string()), Ok(max_threads()));
        for bad in ["0", "-2", &(max_threads() + 1).to_string(), "10000"] {
            assert!(threads(bad).unwrap_err().contains("thread count"), "{bad}");
        }
    }
}
