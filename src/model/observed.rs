//! The observed state on the as-of day of a run from actuals (docs/model.md, Runs from
//! actuals): the known firms as their events leave them, the claims their observed
//! triggers opened that the ledger has not paid, and what the ledger did pay (which
//! counts towards the per-firm limits). Built once per run; every replication starts
//! from it identically.

use crate::actuals::{Actuals, EventKind};
use crate::calendar::DAYS_PER_MONTH;
use crate::policy::instrument::TriggerIndex;
use crate::scenario::dist::Dist;
use crate::scenario::types::{InstrumentKind, Scenario, TierIx, NO_TIER};

/// Where a known firm's valuation on the as-of day comes from.
#[derive(Debug, Clone, Copy)]
pub enum StartValuation<'s> {
    /// Its last known valuation (log US dollars) and that valuation's day: the random walk
    /// moves it from there at the firm's next review.
    Known { log_usd: f64, day: f64 },
    /// None known but a tier held: uniform on the log scale over the tier's band (from its
    /// lowest bar to the next tier's), on the day it was last certified.
    Band { low: f64, high: f64, day: f64 },
    /// Neither: drawn from the entry process's valuation, on the as-of day.
    Drawn(&'s Dist),
}

/// Where a known firm stands in the listing pipeline on the as-of day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StartListing {
    NotStarted,
    /// In `stage`, entered on day `entered`.
    InStage {
        stage: usize,
        entered: f64,
    },
    Listed,
}

/// One known firm on the as-of day.
#[derive(Debug, Clone, Copy)]
pub struct KnownStart<'s> {
    /// The firm's stream entity (see `engine::stream::entity::known_firm`).
    pub entity: u64,
    pub tier: TierIx,
    pub ever_certified: u32,
    pub founded: f64,
    pub district: Option<usize>,
    pub nev: bool,
    pub valuation: StartValuation<'s>,
    pub listing: StartListing,
    /// The day it exited, if it did: it takes part in nothing, but claims it earned
    /// before still fall due.
    pub exited: Option<f64>,
}

/// A claim an observed trigger opened that the ledger has not (fully) paid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenClaim {
    /// Index among the known firms.
    pub firm: usize,
    pub instrument: usize,
    /// The trigger's day.
    pub day: f64,
    pub magnitude: f64,
    /// A stipend the ledger has paid some months of: those months, and the day the next
    /// month falls due. Such a claim was taken up; its other months follow monthly.
    pub stipend_paid: Option<(u32, f64)>,
}

/// The ledger's payments to a known firm under one instrument, as the per-firm limits
/// see them: claims granted, yuan owed, and triggers matched or paid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settled {
    pub firm: usize,
    pub instrument: usize,
    pub triggers: u32,
    pub granted: u32,
    pub owed: f64,
}

/// What was observed inside the scenario's horizon up to the as-of day, each on its day,
/// counted into the run's count metrics, monthly series and flows over a window as a
/// replication counts what it simulates.
#[derive(Debug, Clone, Default)]
pub struct ObservedCounts {
    /// Days of certifications, with the tier certified.
    pub certified: Vec<(f64, TierIx)>,
    /// Days of first certifications in a tier, with the tier.
    pub first_certified: Vec<(f64, TierIx)>,
    /// Days of entries into a listing stage, with the stage.
    pub stage_entries: Vec<(f64, usize)>,
    /// Days of listings.
    pub listings: Vec<f64>,
    /// (day, district) of the listings of NEV firms with a district.
    pub nev_listings: Vec<(f64, usize)>,
    /// Days of exits.
    pub exits: Vec<f64>,
}

/// The observed state a run from actuals starts from.
#[derive(Debug, Clone, Default)]
pub struct ObservedState<'s> {
    pub firms: Vec<KnownStart<'s>>,
    pub open: Vec<OpenClaim>,
    pub settled: Vec<Settled>,
    pub counts: ObservedCounts,
}

/// A trigger an observed event fired for one instrument, eligible and in its window.
#[derive(Debug, Clone, Copy)]
struct Triggered {
    instrument: usize,
    day: f64,
    magnitude: f64,
    /// Ledger payments matched to it (a stipend takes one a month).
    paid: u32,
    last_paid: f64,
}

impl<'s> ObservedState<'s> {
    /// Replays each known firm's events up to the as-of day and matches the ledger to the
    /// triggers they fired (docs/model.md, Runs from actuals).
    pub fn new(s: &'s Scenario, a: &Actuals, triggers: &TriggerIndex) -> ObservedState<'s> {
        let mut state = ObservedState::default();
        let mut events: Vec<Vec<(f64, EventKind)>> = vec![Vec::new(); a.firms.len()];
        for e in &a.events {
            events[e.firm].push((e.day, e.kind));
        }
        let mut paid: Vec<Vec<usize>> = vec![Vec::new(); a.firms.len()];
        for (k, p) in a.payments.iter().enumerate() {
            paid[p.firm].push(k);
        }
        for (k, firm) in a.firms.iter().enumerate() {
            let (start, mut fired) = replay(s, triggers, &events[k], &mut state.counts);
            let mut payments: Vec<_> = paid[k].iter().map(|&j| &a.payments[j]).collect();
            payments.sort_by(|x, y| x.paid_on.total_cmp(&y.paid_on));
            let settled = match_ledger(s, &payments, &mut fired);
            state
                .settled
                .extend(settled.into_iter().map(|(instrument, t, g, owed)| Settled {
                    firm: k,
                    instrument,
                    triggers: t,
                    granted: g,
                    owed,
                }));
            state.open.extend(open_claims(s, &fired, k));
            if let (Some(day), true, Some(d)) = (start.listed_on, firm.nev, firm.district) {
                if day >= 0.0 {
                    state.counts.nev_listings.push((day, d));
                }
            }
            let valuation = match (firm.valuation_usd, start.tier) {
                (Some((usd, day)), _) => StartValuation::Known {
                    log_usd: usd.max(f64::MIN_POSITIVE).ln().max(0.0),
                    day,
                },
                (None, t) if t != NO_TIER => {
                    let (low, high) = tier_band(s, t);
                    StartValuation::Band {
                        low,
                        high,
                        day: start.certified_on,
                    }
                }
                _ => StartValuation::Drawn(&s.entry.valuation_usd),
            };
            state.firms.push(KnownStart {
                entity: crate::engine::stream::entity::known_firm(k as u64),
                tier: start.tier,
                ever_certified: start.ever_certified,
                founded: firm.founded,
                district: firm.district,
                nev: firm.nev,
                valuation,
                listing: start.listing,
                exited: start.exited,
            });
        }
        state
    }
}

/// A firm as its events leave it.
struct Replayed {
    tier: TierIx,
    ever_certified: u32,
    certified_on: f64,
    listing: StartListing,
    listed_on: Option<f64>,
    exited: Option<f64>,
}

/// Replays one firm's events (in date order), returning its state and the triggers they
/// fired, judged as `policy::claims` judges a simulated trigger: on the tier certified, or
/// held, at the event, by instruments eligible for it whose window holds the day.
fn replay(
    s: &Scenario,
    ix: &TriggerIndex,
    events: &[(f64, EventKind)],
    counts: &mut ObservedCounts,
) -> (Replayed, Vec<Triggered>) {
    let mut st = Replayed {
        tier: NO_TIER,
        ever_certified: 0,
        certified_on: 0.0,
        listing: StartListing::NotStarted,
        listed_on: None,
        exited: None,
    };
    let mut fired = Vec::new();
    let mut fire = |list: &[u32], tier: TierIx, day: f64, magnitude: f64| {
        for &i in list {
            let inst = &s.instruments[i as usize];
            if inst.eligible[tier] && day >= inst.valid_from && day < inst.valid_to {
                fired.push(Triggered {
                    instrument: i as usize,
                    day,
                    magnitude,
                    paid: 0,
                    last_paid: f64::NEG_INFINITY,
                });
            }
        }
    };
    for &(day, kind) in events {
        // Before a successor policy's start: its history, not its horizon.
        if day >= 0.0 {
            count(counts, day, kind, st.ever_certified);
        }
        match kind {
            EventKind::Certified(t) => {
                let first = st.ever_certified & (1 << t) == 0;
                st.tier = t;
                st.ever_certified |= 1 << t;
                st.certified_on = day;
                fire(&ix.certified[t], t, day, 0.0);
                if first {
                    fire(&ix.first_certified[t], t, day, 0.0);
                }
            }
            EventKind::Decertified => st.tier = NO_TIER,
            EventKind::ListingStage(k) => {
                st.listing = StartListing::InStage {
                    stage: k,
                    entered: day,
                };
                fire(&ix.listing_stage[k], st.tier, day, 0.0);
            }
            EventKind::Listed => {
                fire(&ix.listing_stage[s.listing.listed()], st.tier, day, 0.0);
                st.listing = StartListing::Listed;
                st.listed_on = Some(day);
                st.tier = NO_TIER;
            }
            EventKind::Exited => st.exited = Some(day),
            EventKind::Occurrence(j, magnitude) => fire(&ix.occurrence[j], st.tier, day, magnitude),
        }
    }
    (st, fired)
}

/// Counts one observed event as the count metrics count a simulated one.
fn count(counts: &mut ObservedCounts, day: f64, kind: EventKind, ever_certified: u32) {
    match kind {
        EventKind::Certified(t) => {
            counts.certified.push((day, t));
            if ever_certified & (1 << t) == 0 {
                counts.first_certified.push((day, t));
            }
        }
        EventKind::ListingStage(k) => counts.stage_entries.push((day, k)),
        EventKind::Listed => counts.listings.push(day),
        EventKind::Exited => counts.exits.push(day),
        EventKind::Decertified | EventKind::Occurrence(..) => {}
    }
}

/// Matches a firm's ledger payments (in date order) to its triggers: a payment with
/// `triggered_on` to the earliest unpaid trigger of its instrument that day, one without
/// to the earliest unpaid trigger of its instrument on or before the payment; a stipend's
/// monthly payments all to one trigger (the one named, else the latest before). Returns,
/// per instrument paid, (triggers, claims granted, yuan owed) as the per-firm limits count
/// them: a payment that matches no trigger still counts.
fn match_ledger(
    s: &Scenario,
    payments: &[&crate::actuals::LedgerPayment],
    fired: &mut [Triggered],
) -> Vec<(usize, u32, u32, f64)> {
    let mut settled: Vec<(usize, u32, u32, f64)> = Vec::new();
    for p in payments {
        let i = p.instrument;
        let stipend = matches!(s.instruments[i].kind, InstrumentKind::Stipend { .. });
        let mut candidates = fired.iter_mut().filter(|t| t.instrument == i);
        let matched = match (stipend, p.triggered_on) {
            (true, Some(day)) => candidates.rfind(|t| t.day == day),
            (true, None) => candidates.rfind(|t| t.day <= p.paid_on),
            (false, Some(day)) => candidates.find(|t| t.paid == 0 && t.day == day),
            (false, None) => candidates.find(|t| t.paid == 0 && t.day <= p.paid_on),
        };
        // A stipend's later months are the same claim: counted once.
        let new_claim = match matched {
            Some(t) => {
                t.paid += 1;
                t.last_paid = t.last_paid.max(p.paid_on);
                t.paid == 1
            }
            None => true,
        };
        let entry = match settled.iter_mut().find(|e| e.0 == i) {
            Some(e) => e,
            None => {
                settled.push((i, 0, 0, 0.0));
                settled.last_mut().expect("just pushed")
            }
        };
        if new_claim {
            entry.1 += 1;
            entry.2 += 1;
        }
        if !stipend {
            entry.3 += p.amount;
        }
    }
    settled
}

/// The claims of `fired` the ledger has not (fully) paid.
fn open_claims(s: &Scenario, fired: &[Triggered], firm: usize) -> Vec<OpenClaim> {
    fired
        .iter()
        .filter_map(|t| {
            let stipend_paid = match s.instruments[t.instrument].kind {
                InstrumentKind::Stipend { months, .. } if t.paid >= months => return None,
                InstrumentKind::Stipend { .. } if t.paid > 0 => {
                    Some((t.paid, t.last_paid + DAYS_PER_MONTH))
                }
                _ if t.paid > 0 => return None,
                _ => None,
            };
            Some(OpenClaim {
                firm,
                instrument: t.instrument,
                day: t.day,
                magnitude: t.magnitude,
                stipend_paid,
            })
        })
        .collect()
}

/// The band of log-valuations tier `t` implies: from its lowest bar (any route) to the
/// next tier's lowest bar; for the top tier, as wide again as the band below it (a
/// natural-log width of ln 2 when that is not positive).
fn tier_band(s: &Scenario, t: TierIx) -> (f64, f64) {
    let bar = |t: usize| {
        s.tiers[t]
            .routes
            .iter()
            .map(|r| r.min_log_valuation_usd)
            .fold(f64::INFINITY, f64::min)
    };
    let low = bar(t);
    if !low.is_finite() {
        return (0.0, std::f64::consts::LN_2);
    }
    let high = if t + 1 < s.tiers.len() {
        bar(t + 1)
    } else if t > 1 {
        low + (low - bar(t - 1))
    } else {
        f64::NAN
    };
    let high = if high.is_finite() && high > low {
        high
    } else {
        low + std::f64::consts::LN_2
    };
    (low.max(0.0), high.max(0.0))
}
