//! Claims: what each trigger makes the instruments listening to it owe a firm, after
//! eligibility, validity window, take-up, per-firm limits and payment lag (docs/model.md).

use rand::Rng;

use super::instrument::{amount_owed, Claim};
use crate::calendar::DAYS_PER_MONTH;
use crate::engine::stream::{process, StreamRng};
use crate::engine::world::{World, NO_SLOTS};
use crate::model::firm::Firm;
use crate::model::observed::OpenClaim;
use crate::scenario::types::{InstrumentKind, TierIx, Trigger};

/// A postdoc-style monthly stipend, settled once the firm's exit day is known.
#[derive(Debug, Clone, Copy)]
struct Stipend {
    firm: u32,
    instrument: u32,
    first_day: f64,
    amount_per_month: f64,
    months: u32,
}

/// Per-(firm, instrument) counters: triggers seen (the serial of the instrument's
/// stream), payments granted (for `max_per_firm`) and yuan owed (for `cap_per_firm`).
#[derive(Debug, Clone, Copy, Default)]
struct Uptake {
    triggers: u32,
    granted: u32,
    owed: f64,
}

/// The claims of one replication, and the per-firm counters that limit them.
#[derive(Default)]
pub struct Claims {
    /// Per firm: where its block of per-instrument counters starts in `uptake`, or
    /// `NO_SLOTS` until it is first eligible for an instrument.
    pub(crate) uptake_slots: Vec<u32>,
    uptake: Vec<Uptake>,
    pub(crate) claims: Vec<Claim>,
    stipends: Vec<Stipend>,
}

impl Claims {
    pub fn reset(&mut self) {
        self.uptake_slots.clear();
        self.uptake.clear();
        self.claims.clear();
        self.stipends.clear();
    }

    /// Adds each stipend's monthly claims up to its firm's exit (known once the run is
    /// over).
    pub(crate) fn close_stipends(&mut self, firms: &[Firm]) {
        for st in &self.stipends {
            let exit_day = firms[st.firm as usize].exit_day;
            for m in 0..st.months {
                let day = st.first_day + m as f64 * DAYS_PER_MONTH;
                if day >= exit_day {
                    break;
                }
                self.claims.push(Claim {
                    day,
                    instrument: st.instrument,
                    amount: st.amount_per_month,
                });
            }
        }
    }
}

impl World<'_, '_> {
    /// Pays every instrument listening to `trigger` that the firm is eligible for.
    /// `tier` is the tier the trigger is judged on.
    pub(crate) fn pay_on(
        &mut self,
        f: usize,
        t: f64,
        tier: TierIx,
        trigger: Trigger,
        magnitude: f64,
    ) {
        let s = self.scenario;
        for &i in self.model.triggers.listeners(trigger) {
            let inst = &s.instruments[i as usize];
            if !inst.eligible[tier] || t < inst.valid_from || t >= inst.valid_to {
                continue;
            }
            let Some((mut rng, slot)) = self.next_trigger(f, i as usize) else {
                continue;
            };
            if rng.random::<f64>() >= self.params.get(inst.take_up) {
                continue;
            }
            let day = t + inst.payment_lag_months.sample(&mut rng).max(0.0) * DAYS_PER_MONTH;
            self.grant(f, i as usize, slot, day, magnitude, &mut rng);
        }
    }

    /// The stream of firm `f`'s next trigger of instrument `i` and the firm's uptake slot
    /// for it, or `None` when `max_per_firm` is reached.
    #[inline]
    fn next_trigger(&mut self, f: usize, i: usize) -> Option<(StreamRng, usize)> {
        let n = self.scenario.instruments.len();
        let c = &mut self.replication.claims;
        if c.uptake_slots[f] == NO_SLOTS {
            let base = c.uptake.len();
            c.uptake_slots[f] = base as u32;
            c.uptake.resize(base + n, Uptake::default());
        }
        let slot = c.uptake_slots[f] as usize + i;
        let uptake = &mut c.uptake[slot];
        let serial = uptake.triggers;
        uptake.triggers += 1;
        let inst = &self.scenario.instruments[i];
        if inst.max_per_firm.is_some_and(|m| uptake.granted >= m) {
            return None;
        }
        let key = self.replication.lifecycle.firms[f].key;
        Some((
            self.streams
                .keyed(key, process::instrument(i), serial as u64),
            slot,
        ))
    }

    /// Grants firm `f` a claim of instrument `i` (taken up) falling due on `day`: a
    /// stipend, or an amount within the per-firm cap.
    #[inline]
    fn grant(
        &mut self,
        f: usize,
        i: usize,
        slot: usize,
        day: f64,
        magnitude: f64,
        rng: &mut StreamRng,
    ) {
        let inst = &self.scenario.instruments[i];
        let c = &mut self.replication.claims;
        let uptake = &mut c.uptake[slot];
        uptake.granted += 1;
        match inst.kind {
            InstrumentKind::Stipend {
                amount_per_month,
                months,
            } => c.stipends.push(Stipend {
                firm: f as u32,
                instrument: i as u32,
                first_day: day,
                amount_per_month,
                months,
            }),
            ref kind => {
                let mut amount = amount_owed(kind, magnitude, rng);
                if let Some(cap) = inst.cap_per_firm {
                    amount = amount.min(cap - uptake.owed).max(0.0);
                }
                uptake.owed += amount;
                if amount > 0.0 {
                    c.claims.push(Claim {
                        day,
                        instrument: i as u32,
                        amount,
                    });
                }
            }
        }
    }

    /// Sets the per-firm counters to what the ledger paid the known firms, then opens
    /// the claims their observed triggers earned that it has not paid (see
    /// `model::observed`); `first` is the first known firm's index, `from` the as-of day.
    pub(crate) fn open_observed_claims(&mut self, first: usize, from: f64) {
        let n = self.scenario.instruments.len();
        let observed = &self.model.pool.observed;
        for p in &observed.settled {
            let f = first + p.firm;
            let c = &mut self.replication.claims;
            if c.uptake_slots[f] == NO_SLOTS {
                let base = c.uptake.len();
                c.uptake_slots[f] = base as u32;
                c.uptake.resize(base + n, Uptake::default());
            }
            let u = &mut c.uptake[c.uptake_slots[f] as usize + p.instrument];
            u.triggers += p.triggers;
            u.granted += p.granted;
            u.owed += p.owed;
        }
        for claim in &observed.open {
            self.open_claim(first + claim.firm, claim, from);
        }
    }

    /// An observed trigger's unpaid claim. It was not paid by the as-of day, so its
    /// take-up and lag are drawn given that: draws in which it would have been paid
    /// before `from` are rejected (docs/model.md, Runs from actuals). When the model
    /// leaves no other outcome (take-up 1, every lag shorter), the ledger is behind and
    /// the claim falls due on the as-of day.
    fn open_claim(&mut self, f: usize, claim: &OpenClaim, from: f64) {
        let inst = &self.scenario.instruments[claim.instrument];
        if let (
            Some((paid, next)),
            InstrumentKind::Stipend {
                amount_per_month,
                months,
            },
        ) = (claim.stipend_paid, &inst.kind)
        {
            // Taken up already: the months left follow monthly.
            self.replication.claims.stipends.push(Stipend {
                firm: f as u32,
                instrument: claim.instrument as u32,
                first_day: next.max(from),
                amount_per_month: *amount_per_month,
                months: months - paid,
            });
            return;
        }
        let Some((mut rng, slot)) = self.next_trigger(f, claim.instrument) else {
            return;
        };
        let take_up = self.params.get(inst.take_up);
        for _ in 0..MAX_REJECTIONS {
            if rng.random::<f64>() >= take_up {
                return;
            }
            let day =
                claim.day + inst.payment_lag_months.sample(&mut rng).max(0.0) * DAYS_PER_MONTH;
            if day >= from {
                self.grant(f, claim.instrument, slot, day, claim.magnitude, &mut rng);
                return;
            }
        }
        self.grant(f, claim.instrument, slot, from, claim.magnitude, &mut rng);
    }
}

/// Most draws `open_claim` makes before it takes the ledger to be behind the model.
const MAX_REJECTIONS: u32 = 1000;
