//! Firms on the unicorn track: valuation, age, tier, and whether they qualify for a tier.

use crate::calendar::DAYS_PER_YEAR;
use crate::scenario::types::{Tier, TierIx, NO_TIER};

/// Where a firm is in the listing pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingState {
    NotStarted,
    /// In stage `stage`; `passes` says how the stage will end (drawn on entering it).
    InStage {
        stage: u8,
        passes: bool,
    },
    /// The attempt failed or was withdrawn; no further attempt.
    Ended,
    Listed,
}

#[derive(Debug, Clone)]
pub struct Firm {
    /// The firm's stream entity (see `engine::stream::entity`).
    pub entity: u64,
    /// `Streams::entity_key(entity)`, hashed once for the firm's many draws.
    pub key: u64,
    /// Founding day (negative: before the scenario start).
    pub founded: f64,
    pub log_valuation_usd: f64,
    /// Day `log_valuation_usd` refers to.
    pub valued_on: f64,
    pub tier: TierIx,
    /// Bit `t` set: the firm has been certified in tier `t` (before or during the run).
    pub ever_certified: u32,
    /// Day the firm exits: the day it did, or the day it will if nothing changes its tier
    /// (infinite when its hazard is 0). Exit needs no event: a firm is alive before this
    /// day, and a tier change (which only a live firm has) redraws it. Stipends stop here.
    pub exit_day: f64,
    /// Bumped at every tier change; events scheduled under an older epoch are stale.
    pub epoch: u32,
    pub listing: ListingState,
    pub district: Option<usize>,
    pub nev: bool,
    pub exit_draws: u32,
    pub listing_draws: u32,
}

impl Firm {
    pub fn age_years(&self, day: f64) -> f64 {
        (day - self.founded) / DAYS_PER_YEAR
    }

    pub fn alive_at(&self, day: f64) -> bool {
        day < self.exit_day
    }

    pub fn is_listed(&self) -> bool {
        self.listing == ListingState::Listed
    }

    pub fn was_certified(&self, tier: TierIx) -> bool {
        self.ever_certified & (1 << tier) != 0
    }

    /// The highest of the `reviewed` tiers (bit `t` for tier `t`) whose criteria (any
    /// route) the firm meets on `day`.
    pub fn qualified_tier(&self, tiers: &[Tier], reviewed: u32, day: f64) -> TierIx {
        let age = self.age_years(day);
        let v = self.log_valuation_usd;
        (1..tiers.len())
            .rev()
            .filter(|&t| reviewed & (1 << t) != 0)
            .find(|&t| {
                tiers[t]
                    .routes
                    .iter()
                    .any(|route| age <= route.max_age_years && v >= route.min_log_valuation_usd)
            })
            .unwrap_or(NO_TIER)
    }
}
