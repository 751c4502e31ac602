//! Keyed random streams (MODEL.md §6).
//!
//! Every draw comes from a stream named by `(seed, replication, entity, process, serial)`.
//! The key is hashed with a chain of SplitMix64 finalisers (a bijective 64-bit mixer with
//! full avalanche) into the 128-bit state of a PCG-64 MCG generator, which is portable and
//! value-stable across platforms and `rand_pcg` patch versions. Setting up a stream costs
//! a few nanoseconds, so each process of each firm has its own streams and a firm's
//! trajectory does not depend on what other firms or other processes draw: two scenarios
//! that differ in one instrument share every firm path (common random numbers), and
//! replication `r` is the same whatever the number of replications, threads or shards.

use rand_pcg::Pcg64Mcg;

/// The generator every stream uses.
pub type StreamRng = Pcg64Mcg;

/// SplitMix64's output function: a strong bijective mixer of 64 bits.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The streams of one replication.
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    replication_key: u64,
}

impl Streams {
    pub fn new(seed: u64, replication: u64) -> Streams {
        Streams {
            replication_key: mix(mix(seed ^ 0x7073_696D_706F_6C69) ^ replication),
        }
    }

    /// The stream of `process` for `entity`, the `serial`-th of its kind.
    #[inline]
    pub fn rng(&self, entity: u64, process: u64, serial: u64) -> StreamRng {
        self.keyed(self.entity_key(entity), process, serial)
    }

    /// The first stage of an entity's stream keys, for entities that draw often (firms):
    /// hashed once, then `keyed` gives the same stream as `rng` would.
    #[inline]
    pub fn entity_key(&self, entity: u64) -> u64 {
        mix(self.replication_key ^ entity)
    }

    #[inline]
    pub fn keyed(&self, entity_key: u64, process: u64, serial: u64) -> StreamRng {
        let b = mix(entity_key ^ process.rotate_left(32));
        let hi = mix(b ^ serial);
        let lo = mix(hi ^ 0xD1B5_4A32_D192_ED03);
        Pcg64Mcg::new(((hi as u128) << 64) | lo as u128)
    }
}

/// Entities: who a stream belongs to.
pub mod entity {
    /// Replication-wide processes (entry, IPO regime, parameters, certification rounds).
    pub const GLOBAL: u64 = 0;
    /// Firm `k` of cohort `c` in the initial pool.
    pub fn pool_firm(cohort: usize, k: u64) -> u64 {
        (1 << 62) | ((cohort as u64) << 40) | k
    }
    /// The `n`-th firm to enter during the run.
    pub fn entered_firm(n: u64) -> u64 {
        (2 << 61) | n
    }
    /// District `d` of the NEV plan.
    pub fn district(d: usize) -> u64 {
        (3 << 61) | d as u64
    }
    /// Candidate `k` of district `d`'s listing pipeline.
    pub fn listing_candidate(d: usize, k: u64) -> u64 {
        (1 << 60) | ((d as u64) << 40) | k
    }
}

/// Processes: what a stream is used for.
pub mod process {
    pub const PARAMETERS: u64 = 1;
    pub const REGIME: u64 = 2;
    pub const ENTRY: u64 = 3;
    pub const FIRM_INIT: u64 = 4;
    pub const EXIT: u64 = 6;
    pub const CERTIFICATION: u64 = 7;
    pub const LISTING: u64 = 8;
    pub const SCALE: u64 = 9;
    pub const PROJECTS: u64 = 10;
    pub const UPGRADES: u64 = 11;
    pub const SPECIALIZED: u64 = 12;
    pub const ABOVE_SCALE: u64 = 13;
    /// Occurrence `j` of the scenario.
    pub fn occurrence(j: usize) -> u64 {
        (1 << 16) + j as u64
    }
    /// Instrument `i`'s take-up, amount and lag.
    pub fn instrument(i: usize) -> u64 {
        (2 << 16) + i as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_with_different_keys_differ() {
        let s = Streams::new(1, 0);
        let a = s.rng(5, process::CERTIFICATION, 0).next_u64();
        assert_ne!(a, s.rng(5, process::CERTIFICATION, 1).next_u64());
        assert_ne!(a, s.rng(5, process::EXIT, 0).next_u64());
        assert_ne!(a, s.rng(6, process::CERTIFICATION, 0).next_u64());
        assert_ne!(
            a,
            Streams::new(1, 1)
                .rng(5, process::CERTIFICATION, 0)
                .next_u64()
        );
        assert_ne!(
            a,
            Streams::new(2, 0)
                .rng(5, process::CERTIFICATION, 0)
                .next_u64()
        );
        assert_eq!(a, s.rng(5, process::CERTIFICATION, 0).next_u64());
    }
}
