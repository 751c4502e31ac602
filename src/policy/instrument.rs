//! What an instrument owes for one trigger (docs/model.md, Instruments), and which
//! instruments listen to which trigger.

use rand::Rng;

use crate::scenario::types::{InstrumentKind, Scenario, Trigger};

/// An amount owed, due on `day`, before any budget rule is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Claim {
    pub day: f64,
    pub instrument: u32,
    pub amount: f64,
}

/// The amount one trigger earns under a non-stipend kind. `magnitude` is the trigger's
/// magnitude (prize money, funds received, salary, ...), 0 where it has none.
pub fn amount_owed<R: Rng + ?Sized>(kind: &InstrumentKind, magnitude: f64, rng: &mut R) -> f64 {
    match kind {
        InstrumentKind::Fixed { amount } => amount.sample(rng).max(0.0),
        InstrumentKind::UpTo { cap, fraction } => cap * fraction.sample(rng).clamp(0.0, 1.0),
        InstrumentKind::Matching { ratio, cap } | InstrumentKind::CostShare { ratio, cap } => {
            let owed = ratio * magnitude;
            cap.map_or(owed, |c| owed.min(c))
        }
        InstrumentKind::Tiered { brackets } => {
            // Brackets ascend by `from`: the last one at or below the magnitude pays.
            let i = brackets.partition_point(|&(from, _)| from <= magnitude);
            if i == 0 {
                0.0
            } else {
                brackets[i - 1].1
            }
        }
        InstrumentKind::Stipend { .. } => unreachable!("stipends are paid month by month"),
    }
}

/// For each trigger, the enabled instruments that pay on it, in scenario order.
#[derive(Debug, Clone, Default)]
pub struct TriggerIndex {
    pub first_certified: Vec<Vec<u32>>,
    pub certified: Vec<Vec<u32>>,
    pub listing_stage: Vec<Vec<u32>>,
    pub occurrence: Vec<Vec<u32>>,
}

impl TriggerIndex {
    pub fn new(s: &Scenario) -> TriggerIndex {
        let mut ix = TriggerIndex {
            first_certified: vec![Vec::new(); s.tiers.len()],
            certified: vec![Vec::new(); s.tiers.len()],
            listing_stage: vec![Vec::new(); s.listing.stages.len() + 1],
            occurrence: vec![Vec::new(); s.occurrences.len()],
        };
        for (i, inst) in s.instruments.iter().enumerate().filter(|(_, i)| i.enabled) {
            ix.listeners_mut(inst.trigger).push(i as u32);
        }
        ix
    }

    /// The enabled instruments that pay on `trigger`, in scenario order.
    #[inline]
    pub fn listeners(&self, trigger: Trigger) -> &[u32] {
        match trigger {
            Trigger::FirstCertified(tier) => &self.first_certified[tier],
            Trigger::Certified(tier) => &self.certified[tier],
            Trigger::ListingStage(stage) => &self.listing_stage[stage],
            Trigger::Occurrence(j) => &self.occurrence[j],
        }
    }

    fn listeners_mut(&mut self, trigger: Trigger) -> &mut Vec<u32> {
        match trigger {
            Trigger::FirstCertified(tier) => &mut self.first_certified[tier],
            Trigger::Certified(tier) => &mut self.certified[tier],
            Trigger::ListingStage(stage) => &mut self.listing_stage[stage],
            Trigger::Occurrence(j) => &mut self.occurrence[j],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::dist::Dist;
    use rand::SeedableRng;

    #[test]
    fn tiered_pays_the_highest_bracket_reached() {
        let kind = InstrumentKind::Tiered {
            brackets: vec![(1.0e6, 1.0e5), (3.0e6, 3.0e5), (5.0e6, 1.0e6)],
        };
        let mut rng = crate::engine::stream::StreamRng::seed_from_u64(1);
        assert_eq!(amount_owed(&kind, 0.9e6, &mut rng), 0.0);
        assert_eq!(amount_owed(&kind, 1.0e6, &mut rng), 1.0e5);
        assert_eq!(amount_owed(&kind, 4.9e6, &mut rng), 3.0e5);
        assert_eq!(amount_owed(&kind, 9.0e6, &mut rng), 1.0e6);
    }

    #[test]
    fn matching_cap_binds_exactly_at_the_cap() {
        let kind = InstrumentKind::Matching {
            ratio: 1.0,
            cap: Some(5.0e7),
        };
        let mut rng = crate::engine::stream::StreamRng::seed_from_u64(1);
        assert_eq!(amount_owed(&kind, 4.0e7, &mut rng), 4.0e7);
        assert_eq!(amount_owed(&kind, 5.0e7, &mut rng), 5.0e7);
        assert_eq!(amount_owed(&kind, 9.0e7, &mut rng), 5.0e7);
        let share = InstrumentKind::CostShare {
            ratio: 0.3,
            cap: Some(5.0e6),
        };
        assert_eq!(amount_owed(&share, 1.0e7, &mut rng), 3.0e6);
        assert_eq!(amount_owed(&share, 3.0e7, &mut rng), 5.0e6);
        let up_to = InstrumentKind::UpTo {
            cap: 2.0e6,
            fraction: Dist::Fixed(1.0),
        };
        assert_eq!(amount_owed(&up_to, 0.0, &mut rng), 2.0e6);
    }
}
