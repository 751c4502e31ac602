//! The state a replication starts from: the firms already there on the scenario's start
//! day, built once per run and handed to the engine, which does not care where it came
//! from (synthetic cohorts today; see docs/model.md).

use crate::engine::stream::entity;
use crate::scenario::dist::Dist;
use crate::scenario::types::{Placement, Scenario, TierIx};

/// One firm of the initial pool: what is fixed for the run, and the distributions its
/// replication-specific attributes (valuation, age, district, NEV sector) are drawn from
/// on its own stream.
#[derive(Debug, Clone, Copy)]
pub struct PoolFirm<'s> {
    /// The firm's stream entity (see `engine::stream::entity`).
    pub entity: u64,
    pub tier: TierIx,
    /// The listing stage the firm is in on the start day, if any.
    pub stage: Option<usize>,
    pub valuation_usd: &'s Dist,
    pub age_years: &'s Dist,
    pub placement: &'s Placement,
}

/// The firms a replication starts with, in the order they are added (which fixes their
/// indices, hence the order certification rounds and assessments visit them).
#[derive(Debug, Clone, Default)]
pub struct InitialPool<'s> {
    pub firms: Vec<PoolFirm<'s>>,
}

impl<'s> InitialPool<'s> {
    /// The scenario's synthetic cohorts, cohort by cohort.
    pub fn from_cohorts(s: &'s Scenario) -> InitialPool<'s> {
        let firms = s
            .cohorts
            .iter()
            .enumerate()
            .flat_map(|(c, cohort)| {
                (0..cohort.count).map(move |k| PoolFirm {
                    entity: entity::pool_firm(c, k),
                    tier: cohort.tier,
                    stage: cohort.listing_stage,
                    valuation_usd: &cohort.valuation_usd,
                    age_years: &cohort.age_years,
                    placement: &cohort.placement,
                })
            })
            .collect();
        InitialPool { firms }
    }
}
