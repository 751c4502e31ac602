//! The state a replication starts from: the firms already there on the day the run
//! starts, built once per run and handed to the engine, which does not care where it came
//! from: the scenario's synthetic cohorts on its start day, or the state observed on the
//! as-of day of a run from actuals (see docs/model.md).

use super::observed::ObservedState;
use crate::actuals::AsOfRun;
use crate::engine::stream::entity;
use crate::policy::instrument::TriggerIndex;
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
/// indices, hence the order certification rounds and assessments visit them): the
/// synthetic ones, then the observed ones.
#[derive(Debug, Clone, Default)]
pub struct InitialPool<'s> {
    /// The day the pool is placed and every process starts: the scenario's start (0), or
    /// the as-of day of a run from actuals (never before the start).
    pub day: f64,
    /// Scheduled events (certification rounds, assessments) dated before this day are not
    /// simulated: -∞ for a synthetic pool; for a run from actuals the day after the as-of
    /// date, since one dated on the as-of day is in the actuals (they are known to that
    /// day, inclusive) and simulating it again would count its certifications twice.
    pub scheduled_from: f64,
    pub firms: Vec<PoolFirm<'s>>,
    /// The known firms, their open claims and what the ledger paid them.
    pub observed: ObservedState<'s>,
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
        InitialPool {
            day: 0.0,
            scheduled_from: f64::NEG_INFINITY,
            firms,
            observed: ObservedState::default(),
        }
    }

    /// The pool of a run from actuals, on the as-of day (or the scenario's start, if that
    /// is later: a successor policy). The known firms replace the synthetic cohorts; when
    /// the actuals name no firm, the cohorts stand for the pool, placed on that day
    /// (docs/model.md, Runs from actuals).
    pub fn observed(s: &'s Scenario, run: &AsOfRun, triggers: &TriggerIndex) -> InitialPool<'s> {
        let day = run.day(s).max(0.0);
        let scheduled_from = (run.day(s) + 1.0).max(0.0);
        let firms = if run.actuals.firms.is_empty() {
            InitialPool::from_cohorts(s).firms
        } else {
            Vec::new()
        };
        InitialPool {
            day,
            scheduled_from,
            firms,
            observed: ObservedState::new(s, &run.actuals, triggers),
        }
    }
}
