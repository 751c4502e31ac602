//! Keyed random streams (docs/model.md, Reproducibility).
//!
//! Every draw comes from a stream named by `(seed, replication, entity, process, serial)`.
//! The key is hashed with SplitMix64's finaliser (a bijective 64-bit mixer with full
//! avalanche) into the seed of a SplitMix64 generator (`rand_xoshiro`), which is portable
//! and value-stable. A stream costs one mix to set up and one mix per 64-bit word, so
//! each process of each firm has its own streams and a firm's trajectory does not depend
//! on what other firms or other processes draw: two scenarios that differ in one
//! instrument share every firm path (common random numbers), and replication `r` is the
//! same whatever the number of replications, threads or shards.
//!
//! The key is hashed in three stages, each cached by whoever draws often:
//! replication key = mix(mix(seed ^ C) ^ replication); entity key = mix(replication key ^
//! entity); stream seed = mix(entity key ^ (process << 32 | serial)). Processes and
//! serials are below 2³², so distinct (process, serial) pairs of an entity get distinct
//! seeds.

use rand_xoshiro::SplitMix64;

/// The generator every stream uses.
pub type StreamRng = SplitMix64;

/// SplitMix64's output function: a strong bijective mixer of 64 bits.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The streams of one replication.
///
/// A replication's uncertain parameters (and its IPO regime) draw from the parameter key,
/// everything else (the intrinsic randomness: each firm's path) from the replication key.
/// For an ordinary replication both are the same key. At a point of a sensitivity design
/// (see [`design_point`]) they may differ, and one parameter may draw from a third key, so
/// that parameters and intrinsic randomness are inputs that can be varied one at a time.
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    replication_key: u64,
    parameter_key: u64,
    /// The parameter slot (see [`REGIME_SLOT`]) drawn from `swapped_key` instead of
    /// `parameter_key`, or `NO_SLOT`.
    swapped_slot: u64,
    swapped_key: u64,
}

/// Replication indices with this bit set are points of a sensitivity design, never
/// replications of a run (whose indices are below 2⁶³).
pub const DESIGN: u64 = 1 << 63;
/// The parameter slot of the IPO regime; uncertain parameter `i` has slot `i`.
pub const REGIME_SLOT: u64 = (1 << 20) - 1;
const NO_SLOT: u64 = u64::MAX;
const VARIANT_BITS: u32 = 24;

/// What a design point takes from design matrix B; the rest comes from matrix A
/// (Saltelli's A, B and A_B^i; docs/model.md, Sensitivity).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesignVariant {
    A,
    B,
    /// A's parameters with B's intrinsic randomness.
    Intrinsic,
    /// A with parameter slot `k` from B.
    Parameter(u64),
}

/// The replication index of row `row` of a sensitivity design, in `variant`: what
/// `Replication::run` takes, so design points run through the ordinary engine.
pub fn design_point(row: u64, variant: DesignVariant) -> u64 {
    debug_assert!(row < 1 << (63 - VARIANT_BITS), "design row out of range");
    let v = match variant {
        DesignVariant::A => 0,
        DesignVariant::B => 1,
        DesignVariant::Intrinsic => 2,
        DesignVariant::Parameter(k) => 3 + k,
    };
    DESIGN | row << VARIANT_BITS | v
}

impl Streams {
    pub fn new(seed: u64, replication: u64) -> Streams {
        let base = mix(seed ^ 0x7073_696D_706F_6C69);
        let key = |index: u64| mix(base ^ index);
        if replication & DESIGN == 0 {
            let k = key(replication);
            return Streams::with_keys(k, k, NO_SLOT, 0);
        }
        let row = (replication & !DESIGN) >> VARIANT_BITS;
        let (a, b) = (key(DESIGN | (2 * row)), key(DESIGN | (2 * row + 1)));
        match replication & ((1 << VARIANT_BITS) - 1) {
            0 => Streams::with_keys(a, a, NO_SLOT, 0),
            1 => Streams::with_keys(b, b, NO_SLOT, 0),
            2 => Streams::with_keys(b, a, NO_SLOT, 0),
            v => Streams::with_keys(a, a, v - 3, b),
        }
    }

    fn with_keys(replication_key: u64, parameter_key: u64, slot: u64, swapped: u64) -> Streams {
        Streams {
            replication_key,
            parameter_key,
            swapped_slot: slot,
            swapped_key: swapped,
        }
    }

    /// The stream of the parameter in `slot`, whose entity is `entity`.
    #[inline]
    pub fn parameter(&self, slot: u64, entity: u64, process: u64) -> StreamRng {
        let key = if slot == self.swapped_slot {
            self.swapped_key
        } else {
            self.parameter_key
        };
        self.keyed(mix(key ^ entity), process, 0)
    }

    /// The stream of `process` for `entity`, the `serial`-th of its kind.
    #[inline]
    pub fn rng(&self, entity: u64, process: u64, serial: u64) -> StreamRng {
        if process == process::REGIME {
            // The regime is drawn once per replication: a parameter, not intrinsic noise.
            return self.parameter(REGIME_SLOT, entity, process);
        }
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
        debug_assert!(
            process < 1 << 32 && serial < 1 << 32,
            "stream key out of range"
        );
        let seed = mix(entity_key ^ (process << 32 | serial));
        <SplitMix64 as rand::SeedableRng>::seed_from_u64(seed)
    }
}

/// Entities: who a stream belongs to. The top byte says what kind of entity it is, so
/// entities of different kinds never share a key.
pub mod entity {
    /// Replication-wide processes (entry, IPO regime, certification rounds).
    pub const GLOBAL: u64 = 0;
    /// Firm `k` of cohort `c` in the initial pool.
    pub fn pool_firm(cohort: usize, k: u64) -> u64 {
        (1 << 56) | ((cohort as u64) << 32) | k
    }
    /// The `n`-th firm to enter during the run.
    pub fn entered_firm(n: u64) -> u64 {
        (2 << 56) | n
    }
    /// District `d` of the NEV plan.
    pub fn district(d: usize) -> u64 {
        (3 << 56) | d as u64
    }
    /// Candidate `k` of district `d`'s listing pipeline.
    pub fn listing_candidate(d: usize, k: u64) -> u64 {
        (4 << 56) | ((d as u64) << 32) | k
    }
    /// Firm `k` of an actuals folder's `firms.csv` (a run from actuals).
    pub fn known_firm(k: u64) -> u64 {
        (5 << 56) | k
    }
    /// An uncertain parameter, by the hash of its key path (see `engine::params`).
    pub fn parameter(key_hash: u64) -> u64 {
        (1 << 63) | key_hash >> 1
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

    #[test]
    fn entities_of_different_kinds_never_share_an_id() {
        for k in 0..4 {
            let ids = [
                entity::pool_firm(0, k),
                entity::entered_firm(k),
                entity::district(k as usize),
                entity::listing_candidate(0, k),
                entity::parameter(k),
            ];
            for (a, x) in ids.iter().enumerate() {
                for y in &ids[a + 1..] {
                    assert_ne!(x, y);
                }
            }
        }
    }
}
