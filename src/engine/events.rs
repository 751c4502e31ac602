//! What a replication simulated, counted by kind.
//!
//! The engine's own count (`Replication::events`) is what its event loop processes:
//! queue pops (entries, certification rounds, assessments, listing steps) and the
//! occurrence draws it runs out. Much of the model never passes through the queue
//! because it is resolved in closed form where it is observed: a firm's funding rounds
//! are summed at its next review, its exit is a day compared against, a certification
//! round reviews every firm at once, payments are settled after the run, and the NEV
//! districts are simulated whole. `ModelEvents` counts those dated changes of the
//! model's state one by one, whichever way the engine resolved them, so that a
//! replication's work can be read in the model's own units.

use serde::{Deserialize, Serialize};

/// Dated changes of the model's state in one or more replications, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEvents {
    /// Firms entering during the run (the initial pool is the starting state).
    pub entries: u64,
    /// A live, unlisted firm revalued and judged at a certification date.
    pub certification_reviews: u64,
    /// Funding-round jumps of a firm's valuation.
    pub funding_rounds: u64,
    /// Firms leaving before the end (failure, relocation, acquisition).
    pub exits: u64,
    /// A firm entering a listing stage, listing, or failing a stage.
    pub listing_steps: u64,
    /// Occurrences that happened to a firm (Poisson or at an assessment date).
    pub occurrences: u64,
    /// Payments made, each month of a stipend counted once.
    pub payments: u64,
    /// NEV district arrivals: projects, upgrade projects, listings of district
    /// candidates and 专精特新 recognition batches.
    pub district: u64,
}

impl ModelEvents {
    pub fn total(&self) -> u64 {
        let ModelEvents {
            entries,
            certification_reviews,
            funding_rounds,
            exits,
            listing_steps,
            occurrences,
            payments,
            district,
        } = *self;
        entries
            + certification_reviews
            + funding_rounds
            + exits
            + listing_steps
            + occurrences
            + payments
            + district
    }
}

impl std::ops::AddAssign for ModelEvents {
    fn add_assign(&mut self, o: ModelEvents) {
        self.entries += o.entries;
        self.certification_reviews += o.certification_reviews;
        self.funding_rounds += o.funding_rounds;
        self.exits += o.exits;
        self.listing_steps += o.listing_steps;
        self.occurrences += o.occurrences;
        self.payments += o.payments;
        self.district += o.district;
    }
}

impl std::ops::Add for ModelEvents {
    type Output = ModelEvents;
    fn add(mut self, o: ModelEvents) -> ModelEvents {
        self += o;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_add_every_kind() {
        let one = ModelEvents {
            entries: 1,
            certification_reviews: 2,
            funding_rounds: 3,
            exits: 4,
            listing_steps: 5,
            occurrences: 6,
            payments: 7,
            district: 8,
        };
        let two = one + one;
        assert_eq!(two.total(), 72);
        assert_eq!(two.district, 16);
        assert_eq!(two.entries, 2);
    }
}
