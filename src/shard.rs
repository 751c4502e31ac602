//! One shard of a run: the K-th of N contiguous slices of the replications, K counted
//! from 0. The same type is parsed from `--shard K/N` or the environment of a cluster
//! job, carried by a job, and recorded in the checkpoint and the manifest.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Shard `index` of `count` (0 ≤ index < count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Shard `index` of `count`, or why there is none.
    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("N must be at least 1".into());
        }
        if index >= count {
            return Err(format!("K = {index} is not below N = {count}"));
        }
        Ok(Shard { index, count })
    }

    /// The contiguous block of replications this shard runs.
    pub fn range(self, replications: u64) -> std::ops::Range<u64> {
        let at = |k: u64| ((k as u128 * replications as u128) / self.count as u128) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// Parses `K/N` (whole numbers, 0 ≤ K < N).
    pub fn parse(text: &str) -> Result<Shard, Error> {
        let bad = |why: &str| {
            Error::bad_input(format!(
                "invalid shard {text:?}: {why} (expected K/N with 0 ≤ K < N, K counted from 0)"
            ))
        };
        let (k, n) = text.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let k: u64 = k
            .trim()
            .parse()
            .map_err(|_| bad("K is not a whole number from 0 to 18446744073709551615"))?;
        let n: u64 = n
            .trim()
            .parse()
            .map_err(|_| bad("N is not a whole number from 1 to 18446744073709551615"))?;
        Shard::new(k, n).map_err(|why| bad(&why))
    }

    /// The shard named by the environment of a Slurm array task or a Kubernetes Indexed
    /// Job, if any; `var` reads a variable. First match wins: (1) SLURM_ARRAY_TASK_ID
    /// with SLURM_ARRAY_TASK_COUNT; (2) JOB_COMPLETION_INDEX with POLICYSIM_SHARD_COUNT.
    /// POLICYSIM_SHARD_COUNT, when set, also overrides SLURM_ARRAY_TASK_COUNT. Each is a
    /// whole number (an index from 0, a count from 1).
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Shard>, Error> {
        let number = |name: &str| -> Result<Option<u64>, Error> {
            match var(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    Error::bad_input(format!(
                        "{name}={v:?} is not a whole number from 0 to 18446744073709551615"
                    ))
                }),
            }
        };
        let own_count = number("POLICYSIM_SHARD_COUNT")?;
        let (index, count, source) = if let Some(index) = number("SLURM_ARRAY_TASK_ID")? {
            let count = match own_count {
                Some(c) => c,
                None => number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                    Error::bad_input(
                        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; \
                         set POLICYSIM_SHARD_COUNT or pass --shard K/N",
                    )
                })?,
            };
            (index, count, "SLURM_ARRAY_TASK_ID")
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = own_count.ok_or_else(|| {
                Error::bad_input(
                    "JOB_COMPLETION_INDEX is set but POLICYSIM_SHARD_COUNT is not; set it to \
                     the Job's completions, or pass --shard K/N",
                )
            })?;
            (index, count, "JOB_COMPLETION_INDEX")
        } else {
            return Ok(None);
        };
        Shard::new(index, count).map(Some).map_err(|why| {
            Error::bad_input(format!(
                "invalid shard from {source}={index} with a count of {count}: {why} \
                 (submit the array as --array=0-{}, or pass --shard K/N)",
                count.saturating_sub(1)
            ))
        })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shard {}/{}", self.index, self.count)
    }
}
