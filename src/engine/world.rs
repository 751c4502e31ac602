//! The state one replication's event handlers share, and its event loop. Each process of
//! the model adds its handlers to `World` in the file named after it: firm lifecycle
//! (`model::lifecycle`), certification (`model::certification`), the listing pipeline
//! (`model::listing`), occurrences (`model::occurrence`), claims (`policy::claims`) and
//! settlement (`policy::settlement`).

use super::params::ParamValues;
use super::replication::{Model, Replication};
use super::stream::Streams;
use crate::model::firm::ListingState;
use crate::model::listing::StageStart;
use crate::scenario::types::{IpoRegime, Scenario};

/// What the event queue holds. Occurrences of Poisson processes are not events: each
/// firm's are fired in time order at its tier changes and at the end (see
/// `model::occurrence`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Entry,
    Certification { round: u32 },
    Assessment { occurrence: u32, date: u32 },
    ListingEntry { firm: u32, epoch: u32 },
    StageEnd { firm: u32 },
}

/// A firm without per-occurrence or per-instrument slots yet.
pub(crate) const NO_SLOTS: u32 = u32::MAX;

/// The state the event handlers share, borrowed from a `Replication` for one run.
pub(crate) struct World<'a, 's> {
    pub(crate) model: &'a Model<'s>,
    pub(crate) scenario: &'s Scenario,
    pub(crate) streams: Streams,
    pub(crate) params: ParamValues,
    pub(crate) regime: &'s IpoRegime,
    pub(crate) replication: &'a mut Replication,
    pub(crate) row: &'a mut [f64],
}

impl World<'_, '_> {
    /// Adds the initial pool and schedules every process's first events, from the pool's
    /// day on.
    pub(crate) fn populate(&mut self) {
        let pool = &self.model.pool;
        let day = pool.day;
        for firm in &pool.firms {
            self.add_firm(
                firm.entity,
                day,
                firm.tier,
                firm.valuation_usd,
                firm.age_years,
                firm.placement,
                firm.stage,
            );
        }
        let first_known = self.replication.lifecycle.firms.len();
        for known in &pool.observed.firms {
            self.add_known_firm(known, day);
        }
        self.open_observed_claims(first_known, day);
        self.count_observed();
        self.schedule_entry(day);
        self.schedule_certification_rounds(pool.scheduled_from);
        self.schedule_assessments(pool.scheduled_from);
    }

    /// Adds what was observed before the pool's day to the count metrics and series.
    fn count_observed(&mut self) {
        let counts = &self.model.pool.observed.counts;
        let layout = &self.model.layout;
        for &(_, t) in &counts.certified {
            self.row[layout.firms_certified + t - 1] += 1.0;
        }
        for &(d, t) in &counts.first_certified {
            self.row[layout.firms_first_certified + t - 1] += 1.0;
            self.replication.certification.first_days.push(d);
        }
        for &(_, k) in &counts.stage_entries {
            self.row[layout.listing_stage_entries + k] += 1.0;
        }
        for &d in &counts.listings {
            self.row[layout.listings_new] += 1.0;
            self.replication.pipeline.listing_days.push(d);
        }
        self.replication
            .pipeline
            .nev_firm_listings
            .extend_from_slice(&counts.nev_listings);
    }

    /// Runs the queue to its end, then fires every firm's occurrences still pending.
    pub(crate) fn run_events(&mut self) {
        self.run_queue();
        for f in 0..self.replication.lifecycle.firms.len() {
            self.fire_occurrences_until(f, f64::INFINITY);
        }
    }

    fn run_queue(&mut self) {
        while let Some((t, event)) = self.replication.queue.pop() {
            self.replication.events += 1;
            match event {
                Event::Entry => self.on_entry(t),
                Event::Certification { round } => self.on_certification(t, round),
                Event::Assessment { occurrence, date } => {
                    self.on_assessment(t, occurrence as usize, date)
                }
                Event::ListingEntry { firm, epoch } => {
                    let f = firm as usize;
                    let fm = &self.replication.lifecycle.firms[f];
                    if fm.epoch == epoch && fm.alive_at(t) && fm.listing == ListingState::NotStarted
                    {
                        self.enter_stage(f, 0, t, StageStart::Enters);
                    }
                }
                Event::StageEnd { firm } => self.on_stage_end(firm as usize, t),
            }
        }
    }
}
