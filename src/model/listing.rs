//! The 龙腾行动 listing pipeline: reserve list → 股改 → 辅导 → 申报 → listed, each stage a
//! duration and a pass probability, all scaled by the replication's IPO regime.

use rand::Rng;

use crate::calendar::DAYS_PER_MONTH;
use crate::engine::params::ParamValues;
use crate::scenario::types::{IpoRegime, Listing};

/// How one stage ends: after `days`, passed or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageOutcome {
    pub days: f64,
    pub passed: bool,
}

/// Draws the duration and result of `stage`. A firm already in the stage at the start
/// (`already_in`) has a uniformly distributed share of the stage left.
pub fn stage_outcome<R: Rng + ?Sized>(
    listing: &Listing,
    params: &ParamValues,
    regime: &IpoRegime,
    stage: usize,
    already_in: bool,
    rng: &mut R,
) -> StageOutcome {
    let st = &listing.stages[stage];
    let mut months = st.months.sample(rng).max(0.0) * regime.months_multiplier;
    if already_in {
        months *= rng.random::<f64>();
    }
    let pass = (params.get(st.pass) * regime.pass_multiplier).clamp(0.0, 1.0);
    let passed = rng.random::<f64>() < pass;
    StageOutcome {
        days: months * DAYS_PER_MONTH,
        passed,
    }
}

/// The day a candidate starting in `stage` on `start` lists, if it lists before `until`.
pub fn listing_day<R: Rng + ?Sized>(
    listing: &Listing,
    params: &ParamValues,
    regime: &IpoRegime,
    stage: usize,
    start: f64,
    until: f64,
    rng: &mut R,
) -> Option<f64> {
    let mut day = start;
    for s in stage..listing.stages.len() {
        let outcome = stage_outcome(listing, params, regime, s, s == stage, rng);
        day += outcome.days;
        if !outcome.passed || day >= until {
            return None;
        }
    }
    Some(day)
}
