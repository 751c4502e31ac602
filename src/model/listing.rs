//! The 龙腾行动 listing pipeline: reserve list → 股改 → 辅导 → 申报 → listed, each stage a
//! duration and a pass probability, all scaled by the replication's IPO regime.

use rand::Rng;

use super::firm::ListingState;
use crate::calendar::DAYS_PER_MONTH;
use crate::engine::params::ParamValues;
use crate::engine::stream::process;
use crate::engine::world::{Event, World};
use crate::scenario::dist::Dist;
use crate::scenario::types::{IpoRegime, Listing, Trigger, NO_TIER};

/// How one stage ends: after `days`, passed or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageOutcome {
    pub days: f64,
    pub passed: bool,
}

/// How a firm comes to be in a stage when its outcome is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StageStart {
    /// It enters the stage now.
    Enters,
    /// It is in the stage at the start of a synthetic pool, for an unknown time: a
    /// uniformly distributed share of the stage is left.
    Amid,
    /// It was observed entering the stage this many days ago: what is left is the
    /// stage's duration given that it exceeds them, less them (docs/model.md).
    Elapsed(f64),
}

/// Draws the duration and result of `stage` for a firm that starts it as `start` says.
pub fn stage_outcome<R: Rng + ?Sized>(
    listing: &Listing,
    params: &ParamValues,
    regime: &IpoRegime,
    stage: usize,
    start: StageStart,
    rng: &mut R,
) -> StageOutcome {
    let st = &listing.stages[stage];
    let multiplier = regime.months_multiplier;
    let months = match start {
        StageStart::Enters => st.months.sample(rng).max(0.0) * multiplier,
        StageStart::Amid => st.months.sample(rng).max(0.0) * multiplier * rng.random::<f64>(),
        StageStart::Elapsed(days) => {
            let elapsed = days / DAYS_PER_MONTH;
            remaining_months(&st.months, multiplier, elapsed, rng)
        }
    };
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
        let start = if s == stage {
            StageStart::Amid
        } else {
            StageStart::Enters
        };
        let outcome = stage_outcome(listing, params, regime, s, start, rng);
        day += outcome.days;
        if !outcome.passed || day >= until {
            return None;
        }
    }
    Some(day)
}

/// Most draws the rejection sampler of `remaining_months` makes before it takes the
/// observation as contradicting the model (see there).
const MAX_REJECTIONS: u32 = 1000;

/// The months left of a stage of duration `multiplier × months` (floored at 0) given that
/// `elapsed` months of it have passed: a draw of the duration conditioned on exceeding
/// `elapsed`, less `elapsed`. Exact for fixed and uniform durations (by their inverse
/// distribution function), by rejection otherwise; when the duration cannot exceed
/// `elapsed` (or did not in `MAX_REJECTIONS` draws), the stage is overdue and ends now.
pub fn remaining_months<R: Rng + ?Sized>(
    months: &Dist,
    multiplier: f64,
    elapsed: f64,
    rng: &mut R,
) -> f64 {
    // The duration exceeds `elapsed` when the draw exceeds `bar`.
    let bar = if multiplier > 0.0 {
        elapsed / multiplier
    } else {
        f64::INFINITY
    };
    match *months {
        Dist::Fixed(v) => (v.max(0.0) * multiplier - elapsed).max(0.0),
        Dist::Uniform { low, high } if bar < high => {
            let from = low.max(bar);
            ((from + (high - from) * rng.random::<f64>()).max(0.0) * multiplier - elapsed).max(0.0)
        }
        Dist::Uniform { .. } => 0.0,
        ref other => (0..MAX_REJECTIONS)
            .map(|_| other.sample(rng).max(0.0) * multiplier)
            .find(|&d| d > elapsed)
            .map_or(0.0, |d| d - elapsed),
    }
}

/// What the pipeline leaves for the monthly series and the NEV districts.
#[derive(Default)]
pub struct Pipeline {
    /// Days firms listed.
    pub listing_days: Vec<f64>,
    /// (day, district) of listed firms of the NEV sector with a district.
    pub nev_firm_listings: Vec<(f64, usize)>,
}

impl Pipeline {
    pub fn reset(&mut self) {
        self.listing_days.clear();
        self.nev_firm_listings.clear();
    }
}

impl World<'_, '_> {
    /// Puts firm `f` into `stage` on day `t`, drawing how and when the stage ends. A firm
    /// already in the stage (the initial pool) fires nothing: it entered before.
    pub(crate) fn enter_stage(&mut self, f: usize, stage: usize, t: f64, start: StageStart) {
        let s = self.scenario;
        let firm = &mut self.replication.lifecycle.firms[f];
        let mut rng = self
            .streams
            .keyed(firm.key, process::LISTING, firm.listing_draws as u64);
        firm.listing_draws += 1;
        let outcome = stage_outcome(
            &s.listing,
            &self.params,
            self.regime,
            stage,
            start,
            &mut rng,
        );
        firm.listing = ListingState::InStage {
            stage: stage as u8,
            passes: outcome.passed,
        };
        if t + outcome.days < s.end {
            self.replication
                .queue
                .push(t + outcome.days, Event::StageEnd { firm: f as u32 });
        }
        if start == StageStart::Enters {
            self.replication.model_events.listing_steps += 1;
            let entries = self.model.layout.listing_stage_entries + stage;
            self.row[entries] += 1.0;
            self.replication.flows.record(entries, t, 1.0);
            let tier = self.replication.lifecycle.firms[f].tier;
            self.pay_on(f, t, tier, Trigger::ListingStage(stage), 0.0);
        }
    }

    pub(crate) fn on_stage_end(&mut self, f: usize, t: f64) {
        let s = self.scenario;
        let firm = &self.replication.lifecycle.firms[f];
        let ListingState::InStage { stage, passes } = firm.listing else {
            unreachable!("a stage ends only for a firm in a stage")
        };
        if !firm.alive_at(t) {
            return;
        }
        if !passes {
            self.replication.model_events.listing_steps += 1;
            self.replication.lifecycle.firms[f].listing = ListingState::Ended;
            return;
        }
        let next = stage as usize + 1;
        if next < s.listing.stages.len() {
            self.enter_stage(f, next, t, StageStart::Enters);
            return;
        }
        // Listed: rewards are judged on the tier the firm held; then it leaves the tiers.
        self.replication.model_events.listing_steps += 1;
        self.row[self.model.layout.listings_new] += 1.0;
        self.replication
            .flows
            .record(self.model.layout.listings_new, t, 1.0);
        self.replication.pipeline.listing_days.push(t);
        let tier = self.replication.lifecycle.firms[f].tier;
        self.pay_on(f, t, tier, Trigger::ListingStage(s.listing.listed()), 0.0);
        let firm = &mut self.replication.lifecycle.firms[f];
        firm.listing = ListingState::Listed;
        if firm.nev {
            if let Some(d) = firm.district {
                self.replication.pipeline.nev_firm_listings.push((t, d));
            }
        }
        if firm.tier != NO_TIER {
            firm.tier = NO_TIER;
            self.schedule_tier_processes(f, t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_fixed_stage_has_exactly_its_rest_left() {
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(1);
        assert_eq!(
            remaining_months(&Dist::Fixed(12.0), 1.5, 6.0, &mut rng),
            12.0
        );
        assert_eq!(
            remaining_months(&Dist::Fixed(12.0), 1.0, 13.0, &mut rng),
            0.0
        );
    }

    #[test]
    fn a_uniform_stage_is_cut_at_the_time_spent() {
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(2);
        let d = Dist::Uniform {
            low: 6.0,
            high: 18.0,
        };
        for _ in 0..1000 {
            // Before `low`: the whole law, shifted.
            let early = remaining_months(&d, 1.0, 2.0, &mut rng);
            assert!((4.0..=16.0).contains(&early), "{early}");
            // After it: uniform on what is left.
            let late = remaining_months(&d, 1.0, 10.0, &mut rng);
            assert!((0.0..=8.0).contains(&late), "{late}");
        }
        assert_eq!(remaining_months(&d, 1.0, 18.0, &mut rng), 0.0);
    }
}
