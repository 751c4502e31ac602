//! Parameters drawn once per replication (docs/model.md, Parameters drawn once per
//! replication), each on its own stream.

use super::stream::{entity, process, Streams};
use crate::metrics::MetricLayout;
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
        self.values.extend(
            s.uncertain
                .iter()
                .zip(&entities.0)
                .enumerate()
                .map(|(i, (p, &e))| {
                    let mut rng = streams.parameter(i as u64, e, process::PARAMETERS);
                    p.dist.sample(&mut rng).clamp(p.min, p.max)
                }),
        );
    }

    /// The values in the order of `Scenario::uncertain`.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    #[inline]
    pub fn get(&self, p: Param) -> f64 {
        match p {
            Param::Const(v) => v,
            Param::Drawn(i) => self.values[i],
        }
    }
}

/// The columns of `parameters.csv`: every uncertain parameter by its key path, in the
/// order of `Scenario::uncertain`, then the IPO regime's index when the scenario has more
/// than one regime (it is drawn once per replication too).
#[derive(Debug, Clone)]
pub struct ParameterLayout {
    pub names: Vec<String>,
    /// The stream slot of each column (see `stream::REGIME_SLOT`).
    pub slots: Vec<u64>,
    /// Whether the last column is the regime.
    pub regime: bool,
}

impl ParameterLayout {
    pub fn new(s: &Scenario) -> ParameterLayout {
        let mut names: Vec<String> = s.uncertain.iter().map(|p| p.key_path.clone()).collect();
        let mut slots: Vec<u64> = (0..names.len() as u64).collect();
        let regime = s.listing.regimes.len() > 1;
        if regime {
            names.push("listing.regime".into());
            slots.push(super::stream::REGIME_SLOT);
        }
        ParameterLayout {
            names,
            slots,
            regime,
        }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Appends one replication's row: `values` drawn for it, and the regime from its
    /// metrics `row`.
    pub fn push_row(
        &self,
        values: &ParamValues,
        layout: &MetricLayout,
        row: &[f64],
        out: &mut Vec<f64>,
    ) {
        out.extend_from_slice(values.values());
        if self.regime {
            out.push(row[layout.ipo_regime]);
        }
    }
}

/// FNV-1a of a key path: a stable serial number for a named parameter.
fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
    })
}
