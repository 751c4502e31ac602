//! Parameters drawn once per replication (MODEL.md §2.4), each on its own stream.

use super::stream::{entity, process, Streams};
use crate::scenario::types::{Param, Scenario};

/// The replication's values of the scenario's uncertain parameters.
#[derive(Debug, Clone, Default)]
pub struct ParamValues {
    values: Vec<f64>,
}

/// The stream entity of each uncertain parameter: the hash of its key path, so that
/// scenarios adding or removing other uncertain parameters still draw the same value for
/// this one. Computed once per run.
#[derive(Debug, Clone)]
pub struct ParamEntities(Vec<u64>);

impl ParamEntities {
    pub fn new(s: &Scenario) -> ParamEntities {
        ParamEntities(
            s.uncertain
                .iter()
                .map(|p| entity::parameter(key_hash(&p.key_path)))
                .collect(),
        )
    }
}

impl ParamValues {
    /// Draws replication `streams`' values into `self`, reusing its allocation.
    pub fn draw(&mut self, s: &Scenario, entities: &ParamEntities, streams: &Streams) {
        self.values.clear();
        self.values
            .extend(s.uncertain.iter().zip(&entities.0).map(|(p, &e)| {
                let mut rng = streams.rng(e, process::PARAMETERS, 0);
                p.dist.sample(&mut rng).clamp(p.min, p.max)
            }));
    }

    #[inline]
    pub fn get(&self, p: Param) -> f64 {
        match p {
            Param::Const(v) => v,
            Param::Drawn(i) => self.values[i],
        }
    }
}

/// FNV-1a of a key path: a stable serial number for a named parameter.
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
    })
}
