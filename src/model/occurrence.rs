//! Occurrences: events that happen to a firm and trigger instruments (prizes, funding,
//! hires, ...), either a Poisson process at its tier's rate or a draw at each scheduled
//! assessment date (docs/model.md).

use rand::Rng;

use crate::engine::params::ParamValues;
use crate::engine::stream::process;
use crate::engine::world::{Event, World, NO_SLOTS};
use crate::scenario::dist::waiting_days;
use crate::scenario::types::{OccurrenceProcess, Scenario, TierIx, Trigger};

/// The pending Poisson occurrences of every firm, and this replication's rates.
#[derive(Default)]
pub struct Occurrences {
    /// Per firm: where its block of per-occurrence slots starts in `draws` and `next`,
    /// or `NO_SLOTS` until it first needs one (most firms never do).
    pub(crate) slots: Vec<u32>,
    /// Per (firm, occurrence), in firm blocks: draws made from the firm's stream of that
    /// occurrence.
    draws: Vec<u32>,
    /// Per (firm, occurrence), in firm blocks: the day of the pending occurrence of the
    /// firm's current Poisson process, infinite when none is pending (see
    /// `fire_occurrences_until`).
    next: Vec<f64>,
    /// Per firm: the tier its pending occurrences were drawn for.
    pub(crate) tier: Vec<TierIx>,
    /// Per firm: bit `b` set when position `b` of its tier's occurrence list has a pending
    /// occurrence; bit 63 stands for positions 63 and up.
    pub(crate) pending: Vec<u64>,
    /// (occurrence, rate) of the Poisson occurrences active per tier, tier-major, and
    /// where each tier's run starts.
    rates: Vec<(u32, f64)>,
    offsets: Vec<usize>,
}

impl Occurrences {
    /// Empties the per-firm state and sets the Poisson occurrences active in each tier,
    /// with this replication's rates.
    pub fn reset(&mut self, s: &Scenario, params: &ParamValues) {
        self.slots.clear();
        self.draws.clear();
        self.next.clear();
        self.tier.clear();
        self.pending.clear();
        self.rates.clear();
        self.offsets.clear();
        for tier in 0..s.tiers.len() {
            self.offsets.push(self.rates.len());
            for (j, occ) in s.occurrences.iter().enumerate() {
                if let OccurrenceProcess::Rate(rates) = &occ.process {
                    let rate = params.get(rates[tier]);
                    if rate > 0.0 {
                        self.rates.push((j as u32, rate));
                    }
                }
            }
        }
        self.offsets.push(self.rates.len());
    }
}

impl World<'_, '_> {
    /// Schedules the assessments dated on or after `from`.
    pub(crate) fn schedule_assessments(&mut self, from: f64) {
        for (j, occ) in self.scenario.occurrences.iter().enumerate() {
            if let OccurrenceProcess::Scheduled { dates, .. } = &occ.process {
                for (k, &day) in dates.iter().enumerate().filter(|(_, &d)| d >= from) {
                    self.replication.queue.push(
                        day,
                        Event::Assessment {
                            occurrence: j as u32,
                            date: k as u32,
                        },
                    );
                }
            }
        }
    }

    /// Draws the first occurrence of each Poisson process of firm `f`'s new `tier`.
    pub(crate) fn schedule_occurrences(&mut self, f: usize, tier: TierIx, now: f64) {
        let end = self.scenario.end;
        let e = self.replication.lifecycle.firms[f].key;
        let (from, to) = (
            self.replication.occurrences.offsets[tier],
            self.replication.occurrences.offsets[tier + 1],
        );
        self.replication.occurrences.tier[f] = tier;
        if from == to {
            return;
        }
        let base = self.occurrence_slots(f);
        let occ = &mut self.replication.occurrences;
        let mut pending = 0;
        for k in from..to {
            let (j, rate) = occ.rates[k];
            let j = j as usize;
            let draws = &mut occ.draws[base + j];
            let mut rng = self.streams.keyed(e, process::occurrence(j), *draws as u64);
            *draws += 1;
            let t = now + waiting_days(&mut rng, rate);
            if t < end {
                occ.next[base + j] = t;
                pending |= 1 << (k - from).min(63);
            }
        }
        occ.pending[f] = pending;
    }

    /// Where firm `f`'s per-occurrence slots start, allocating them on first use.
    fn occurrence_slots(&mut self, f: usize) -> usize {
        let occ = &mut self.replication.occurrences;
        if occ.slots[f] == NO_SLOTS {
            let base = occ.draws.len();
            let end = base + self.scenario.occurrences.len();
            occ.slots[f] = base as u32;
            occ.draws.resize(end, 0);
            occ.next.resize(end, f64::INFINITY);
        }
        occ.slots[f] as usize
    }

    /// Lets the firm's Poisson occurrences (drawn for `Occurrences::tier[f]`) happen up
    /// to `stop` (exclusive), then drops the rest.
    ///
    /// An occurrence changes nothing but the claims, stipends and uptake counters of the
    /// instruments listening to it, which nothing else reads during the run; the tier,
    /// exit day and rates it is judged on are constant until the firm's next tier
    /// change, and every tier change calls this first. So occurrences need no events:
    /// firing each firm's in time order at its tier changes and at the end gives the
    /// same draws (same streams, same serials) and the same claims as firing each at its
    /// own time. `events` counts them as the event loop would have.
    pub(crate) fn fire_occurrences_until(&mut self, f: usize, stop: f64) {
        let mut pending = std::mem::take(&mut self.replication.occurrences.pending[f]);
        if pending == 0 {
            return;
        }
        let tier = self.replication.occurrences.tier[f];
        let (from, to) = (
            self.replication.occurrences.offsets[tier],
            self.replication.occurrences.offsets[tier + 1],
        );
        while pending != 0 {
            let b = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            if b < 63 {
                self.fire_occurrence_until(f, tier, from + b, stop);
            } else {
                for k in from + 63..to {
                    self.fire_occurrence_until(f, tier, k, stop);
                }
            }
        }
    }

    /// `fire_occurrences_until` for entry `k` of `Occurrences::rates` (an occurrence of
    /// the firm's tier).
    #[inline]
    fn fire_occurrence_until(&mut self, f: usize, tier: TierIx, k: usize, stop: f64) {
        let s = self.scenario;
        let (key, exit_day) = (
            self.replication.lifecycle.firms[f].key,
            self.replication.lifecycle.firms[f].exit_day,
        );
        let (j, rate) = self.replication.occurrences.rates[k];
        let j = j as usize;
        // Pending occurrences imply slots (see `schedule_occurrences`).
        let slot = self.replication.occurrences.slots[f] as usize + j;
        let mut t = std::mem::replace(&mut self.replication.occurrences.next[slot], f64::INFINITY);
        while t != f64::INFINITY {
            self.replication.events += 1;
            if t >= stop || t >= exit_day {
                break;
            }
            let draws = &mut self.replication.occurrences.draws[slot];
            let mut rng = self
                .streams
                .keyed(key, process::occurrence(j), *draws as u64);
            *draws += 1;
            let magnitude = s.occurrences[j]
                .magnitude
                .as_ref()
                .map_or(0.0, |m| m.sample(&mut rng).max(0.0));
            let next = t + waiting_days(&mut rng, rate);
            self.replication.model_events.occurrences += 1;
            self.pay_on(f, t, tier, Trigger::Occurrence(j), magnitude);
            t = if next < s.end { next } else { f64::INFINITY };
        }
    }

    pub(crate) fn on_assessment(&mut self, t: f64, j: usize, date: u32) {
        let s = self.scenario;
        let OccurrenceProcess::Scheduled {
            probability, tiers, ..
        } = &s.occurrences[j].process
        else {
            unreachable!("assessments are scheduled occurrences")
        };
        for f in 0..self.replication.lifecycle.firms.len() {
            let firm = &self.replication.lifecycle.firms[f];
            if !firm.alive_at(t) || firm.is_listed() || !tiers[firm.tier] {
                continue;
            }
            let p = self.params.get(probability[firm.tier]);
            let mut rng = self
                .streams
                .keyed(firm.key, process::occurrence(j), date as u64);
            if rng.random::<f64>() < p {
                let magnitude = s.occurrences[j]
                    .magnitude
                    .as_ref()
                    .map_or(0.0, |m| m.sample(&mut rng).max(0.0));
                self.replication.model_events.occurrences += 1;
                self.pay_on(f, t, firm.tier, Trigger::Occurrence(j), magnitude);
            }
        }
    }
}
