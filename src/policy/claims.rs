//! Claims: what each trigger makes the instruments listening to it owe a firm, after
//! eligibility, validity window, take-up, per-firm limits and payment lag (docs/model.md).

use rand::Rng;

use super::instrument::{amount_owed, Claim};
use crate::calendar::DAYS_PER_MONTH;
use crate::engine::stream::process;
use crate::engine::world::{World, NO_SLOTS};
use crate::model::firm::Firm;
use crate::scenario::types::{InstrumentKind, TierIx};

/// What happened to a firm that instruments may pay on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fired {
    FirstCertified(TierIx),
    Certified(TierIx),
    ListingStage(usize),
    Occurrence(usize),
}

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
    /// Pays every instrument listening to `what` that the firm is eligible for.
    /// `tier` is the tier the trigger is judged on.
    pub(crate) fn fire(&mut self, f: usize, t: f64, tier: TierIx, what: Fired, magnitude: f64) {
        let s = self.s;
        let ix = &self.model.triggers;
        let list = match what {
            Fired::FirstCertified(tier) => &ix.first_certified[tier],
            Fired::Certified(tier) => &ix.certified[tier],
            Fired::ListingStage(stage) => &ix.listing_stage[stage],
            Fired::Occurrence(j) => &ix.occurrence[j],
        };
        let firm = &self.r.lifecycle.firms[f];
        let c = &mut self.r.claims;
        for &i in list {
            let inst = &s.instruments[i as usize];
            if !inst.eligible[tier] || t < inst.valid_from || t >= inst.valid_to {
                continue;
            }
            if c.uptake_slots[f] == NO_SLOTS {
                let base = c.uptake.len();
                c.uptake_slots[f] = base as u32;
                c.uptake
                    .resize(base + s.instruments.len(), Uptake::default());
            }
            let uptake = &mut c.uptake[c.uptake_slots[f] as usize + i as usize];
            let serial = uptake.triggers;
            uptake.triggers += 1;
            if inst.max_per_firm.is_some_and(|m| uptake.granted >= m) {
                continue;
            }
            let mut rng =
                self.streams
                    .keyed(firm.key, process::instrument(i as usize), serial as u64);
            if rng.random::<f64>() >= self.params.get(inst.take_up) {
                continue;
            }
            uptake.granted += 1;
            let day = t + inst.payment_lag_months.sample(&mut rng).max(0.0) * DAYS_PER_MONTH;
            match inst.kind {
                InstrumentKind::Stipend {
                    amount_per_month,
                    months,
                } => c.stipends.push(Stipend {
                    firm: f as u32,
                    instrument: i,
                    first_day: day,
                    amount_per_month,
                    months,
                }),
                ref kind => {
                    let mut amount = amount_owed(kind, magnitude, &mut rng);
                    if let Some(cap) = inst.cap_per_firm {
                        amount = amount.min(cap - uptake.owed).max(0.0);
                    }
                    uptake.owed += amount;
                    if amount > 0.0 {
                        c.claims.push(Claim {
                            day,
                            instrument: i,
                            amount,
                        });
                    }
                }
            }
        }
    }
}
