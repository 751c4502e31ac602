//! Firm lifecycle: firms join (the initial pool, then the entry process), their
//! valuations move between reviews, and their tier-dependent hazards (exit, entry into
//! the listing pipeline, occurrences) are drawn afresh at every tier change.

use rand::Rng;
use rand_distr::{Distribution, Poisson};

use super::firm::{Firm, ListingState};
use super::listing::StageStart;
use super::observed::{KnownStart, StartListing, StartValuation};
use crate::calendar::DAYS_PER_YEAR;
use crate::engine::stream::{entity, process, StreamRng};
use crate::engine::world::{Event, World, NO_SLOTS};
use crate::scenario::dist::{standard_normal, waiting_days, Dist};
use crate::scenario::types::{Placement, TierIx, NO_TIER};

/// The firms of one replication, and what the lifecycle keeps between its events.
#[derive(Default)]
pub struct Lifecycle {
    pub firms: Vec<Firm>,
    /// Firms the entry process has added so far (the serial of its stream).
    pub entered: u64,
    /// The deterministic parts of the last valuation move's length.
    move_terms: ValuationMoveTerms,
}

impl Lifecycle {
    pub fn reset(&mut self) {
        self.firms.clear();
        self.entered = 0;
        self.move_terms = ValuationMoveTerms::NONE;
    }
}

/// What a valuation move over `years` adds besides its random draws: the drift, the
/// Gaussian increment's scale, and the funding rounds' mean λ with e^{-λ}. Most firms
/// last moved on the same day (the previous round), so one length serves most of them.
#[derive(Debug, Clone, Copy)]
struct ValuationMoveTerms {
    years: f64,
    drift: f64,
    scale: f64,
    /// Whether funding rounds happen at all (rate > 0; λ may still underflow to 0).
    rounds: bool,
    rounds_mean: f64,
    /// e^{-λ} when λ < 12 (Knuth's method), unused otherwise.
    exp_neg_rounds_mean: f64,
}

impl Default for ValuationMoveTerms {
    fn default() -> ValuationMoveTerms {
        ValuationMoveTerms::NONE
    }
}

impl ValuationMoveTerms {
    const NONE: ValuationMoveTerms = ValuationMoveTerms {
        years: f64::NAN,
        drift: 0.0,
        scale: 0.0,
        rounds: false,
        rounds_mean: 0.0,
        exp_neg_rounds_mean: 0.0,
    };

    fn new(years: f64, drift: f64, vol: f64, rounds: f64) -> ValuationMoveTerms {
        let rounds_mean = rounds * years;
        ValuationMoveTerms {
            years,
            drift: drift * years,
            scale: vol * years.sqrt(),
            rounds: rounds > 0.0,
            rounds_mean,
            exp_neg_rounds_mean: if rounds_mean < 12.0 {
                (-rounds_mean).exp()
            } else {
                0.0
            },
        }
    }
}

impl World<'_, '_> {
    pub(crate) fn schedule_entry(&mut self, now: f64) {
        let s = self.scenario;
        let rate =
            self.params.get(s.entry.rate_per_year) * self.params.get(s.entry.attraction_multiplier);
        if rate <= 0.0 {
            return;
        }
        let mut rng = self.streams.rng(
            entity::GLOBAL,
            process::ENTRY,
            self.replication.lifecycle.entered,
        );
        let t = now + waiting_days(&mut rng, rate);
        if t < s.end {
            self.replication.queue.push(t, Event::Entry);
        }
    }

    pub(crate) fn on_entry(&mut self, t: f64) {
        let s = self.scenario;
        let n = self.replication.lifecycle.entered;
        self.replication.lifecycle.entered += 1;
        self.replication.model_events.entries += 1;
        self.replication
            .flows
            .record(self.model.layout.firms_entered, t, 1.0);
        let e = &s.entry;
        self.add_firm(
            entity::entered_firm(n),
            t,
            e.tier,
            &e.valuation_usd,
            &e.age_years,
            &e.placement,
            None,
        );
        self.schedule_entry(t);
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_firm(
        &mut self,
        entity: u64,
        day: f64,
        tier: TierIx,
        valuation: &Dist,
        age: &Dist,
        placement: &Placement,
        stage: Option<usize>,
    ) {
        let key = self.streams.entity_key(entity);
        let mut rng = self.streams.keyed(key, process::FIRM_INIT, 0);
        let log_valuation_usd = valuation.sample_ln(&mut rng).max(0.0);
        let age_years = age.sample(&mut rng).max(0.0);
        let district = placement
            .districts
            .as_ref()
            .map(|(ids, w)| ids[w.sample(&mut rng)]);
        let nev = rng.random::<f64>() < placement.nev_probability;
        let f = self.replication.lifecycle.firms.len();
        self.replication.lifecycle.firms.push(Firm {
            entity,
            key,
            founded: day - age_years * DAYS_PER_YEAR,
            log_valuation_usd,
            valued_on: day,
            tier,
            ever_certified: if tier == NO_TIER { 0 } else { 1 << tier },
            exit_day: f64::INFINITY,
            epoch: 0,
            listing: ListingState::NotStarted,
            district,
            nev,
            exit_draws: 0,
            listing_draws: 0,
        });
        self.replication.occurrences.slots.push(NO_SLOTS);
        self.replication.claims.uptake_slots.push(NO_SLOTS);
        self.replication.occurrences.tier.push(tier);
        self.replication.occurrences.pending.push(0);
        if let Some(stage) = stage {
            self.enter_stage(f, stage, day, StageStart::Amid);
        }
        self.schedule_tier_processes(f, day);
    }

    /// Adds a known firm of a run from actuals as it stands on `day` (see
    /// `model::observed`): its observed tier, listing stage (the time already spent in it
    /// counts) and valuation; an exited firm takes part in nothing.
    pub(crate) fn add_known_firm(&mut self, known: &KnownStart<'_>, day: f64) {
        let key = self.streams.entity_key(known.entity);
        let (log_valuation_usd, valued_on) = match known.valuation {
            StartValuation::Known { log_usd, day } => (log_usd, day),
            StartValuation::Band { low, high, day } => {
                let mut rng = self.streams.keyed(key, process::FIRM_INIT, 0);
                (low + (high - low) * rng.random::<f64>(), day)
            }
            StartValuation::Drawn(dist) => {
                let mut rng = self.streams.keyed(key, process::FIRM_INIT, 0);
                (dist.sample_ln(&mut rng).max(0.0), day)
            }
        };
        let f = self.replication.lifecycle.firms.len();
        self.replication.lifecycle.firms.push(Firm {
            entity: known.entity,
            key,
            founded: known.founded,
            log_valuation_usd,
            valued_on,
            tier: known.tier,
            ever_certified: known.ever_certified,
            exit_day: known.exited.unwrap_or(f64::INFINITY),
            epoch: 0,
            listing: match known.listing {
                StartListing::Listed => ListingState::Listed,
                _ => ListingState::NotStarted,
            },
            district: known.district,
            nev: known.nev,
            exit_draws: 0,
            listing_draws: 0,
        });
        self.replication.occurrences.slots.push(NO_SLOTS);
        self.replication.claims.uptake_slots.push(NO_SLOTS);
        self.replication.occurrences.tier.push(known.tier);
        self.replication.occurrences.pending.push(0);
        if known.exited.is_some() {
            return;
        }
        if let StartListing::InStage { stage, entered } = known.listing {
            self.enter_stage(f, stage, day, StageStart::Elapsed(day - entered));
        }
        self.schedule_tier_processes(f, day);
    }

    /// (Re)draws the firm's tier-dependent processes: exit, listing entry, occurrences.
    /// All hazards are constant between tier changes, so redrawing is exact.
    pub(crate) fn schedule_tier_processes(&mut self, f: usize, now: f64) {
        // The occurrences of the ending tier that fell before `now` happen; the rest
        // never do.
        self.fire_occurrences_until(f, now);
        let s = self.scenario;
        let end = s.end;
        let firm = &mut self.replication.lifecycle.firms[f];
        firm.epoch += 1;
        let (epoch, tier, e) = (firm.epoch, firm.tier, firm.key);

        let hazard = self.params.get(s.growth.exit_hazard_per_year[tier]);
        firm.exit_day = f64::INFINITY;
        if hazard > 0.0 {
            let mut rng = self.streams.keyed(e, process::EXIT, firm.exit_draws as u64);
            firm.exit_draws += 1;
            firm.exit_day = now + waiting_days(&mut rng, hazard);
        }

        if firm.listing == ListingState::NotStarted {
            let hazard = self.params.get(s.listing.entry_hazard_per_year[tier]);
            if hazard > 0.0 {
                let mut rng = self
                    .streams
                    .keyed(e, process::LISTING, firm.listing_draws as u64);
                firm.listing_draws += 1;
                let t = now + waiting_days(&mut rng, hazard);
                if t < end {
                    self.replication.queue.push(
                        t,
                        Event::ListingEntry {
                            firm: f as u32,
                            epoch,
                        },
                    );
                }
            }
        }
        self.schedule_occurrences(f, tier, now);
    }

    /// Moves the firm's log-valuation to day `t`: the random walk's Gaussian increment
    /// plus the funding rounds that fell in between (Poisson, lognormal step-ups).
    pub(crate) fn revalue(&mut self, f: usize, t: f64, rng: &mut StreamRng) {
        let g = &self.scenario.growth;
        let lifecycle = &mut self.replication.lifecycle;
        let dt = (t - lifecycle.firms[f].valued_on) / DAYS_PER_YEAR;
        if dt <= 0.0 {
            return;
        }
        if lifecycle.move_terms.years != dt {
            lifecycle.move_terms = ValuationMoveTerms::new(
                dt,
                self.params.get(g.drift_per_year),
                self.params.get(g.volatility_per_year),
                self.params.get(g.rounds_per_year),
            );
        }
        let m = lifecycle.move_terms;
        let z = standard_normal(rng);
        let mut step = m.drift + m.scale * z;
        if m.rounds {
            let lambda = m.rounds_mean;
            let n = if lambda < 12.0 {
                // The draws are those of rand_distr's Knuth method.
                knuth_poisson(rng, m.exp_neg_rounds_mean)
            } else {
                Poisson::new(lambda).expect("positive mean").sample(rng) as u32
            };
            self.replication.model_events.funding_rounds += u64::from(n);
            for _ in 0..n {
                step += g.round_step_up.sample_ln(rng);
            }
        }
        let firm = &mut self.replication.lifecycle.firms[f];
        firm.log_valuation_usd += step;
        firm.valued_on = t;
    }
}

/// A Poisson count with mean λ < 12 given e^{-λ}: Knuth's product of uniforms, draw for
/// draw as `rand_distr::Poisson` samples it.
#[inline]
fn knuth_poisson(rng: &mut StreamRng, exp_neg_lambda: f64) -> u32 {
    let mut n = 0;
    let mut p: f64 = rng.random();
    while p > exp_neg_lambda {
        p *= rng.random::<f64>();
        n += 1;
    }
    n
}
