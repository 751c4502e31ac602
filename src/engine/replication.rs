//! One replication: the event loop over firms, certification rounds, the listing
//! pipeline and occurrences; the claims they trigger; the budget settlement; and the row
//! of metrics it all produces.

use rand::Rng;
use rand_distr::{Distribution, Exp1, Poisson};

use super::events::ModelEvents;
use super::params::{ParamEntities, ParamValues};
use super::queue::EventQueue;
use super::stream::{entity, process, StreamRng, Streams};
use crate::calendar::{DAYS_PER_MONTH, DAYS_PER_YEAR};
use crate::metrics::{total, MetricLayout, SERIES_FIRST_CERTIFIED, SERIES_LISTINGS, SERIES_OUTLAY};
use crate::model::district::NevHistory;
use crate::model::firm::{Firm, ListingState};
use crate::model::listing::stage_outcome;
use crate::policy::budget::{needs_order, pay_as_due, settle, LineYear, Payment};
use crate::policy::instrument::{amount_owed, Claim, TriggerIndex};
use crate::scenario::dist::{standard_normal, Dist};
use crate::scenario::types::{
    InstrumentKind, IpoRegime, NevQuantity, OccurrenceProcess, Placement, Scenario, TargetMetric,
    TargetWindow, TierIx, NO_TIER,
};

/// What the engine needs besides the scenario, computed once per run.
pub struct Model<'s> {
    pub scenario: &'s Scenario,
    pub layout: MetricLayout,
    triggers: TriggerIndex,
    /// Where each target's value comes from.
    target_sources: Vec<TargetSource>,
    /// The windows district quantities are computed over: the whole run first (its
    /// values are the row's `nev.*` metrics), then those the district targets read.
    nev_windows: Vec<TargetWindow>,
    /// Per budget line: whether its claims must be settled in the order they fall due.
    ordered_lines: Vec<bool>,
    param_entities: ParamEntities,
    /// The lowest log-valuation any certification route accepts: a firm below it
    /// qualifies for no tier, whatever its age.
    lowest_certification_bar: f64,
}

/// Where a target's value comes from: a metric of the row, or a district quantity over
/// one of the model's `nev_windows` (`district = None`: the city-wide sum).
#[derive(Debug, Clone, Copy)]
enum TargetSource {
    Metric(usize),
    District {
        window: usize,
        quantity: NevQuantity,
        district: Option<usize>,
    },
}

/// A firm without per-occurrence or per-instrument slots yet.
const NO_SLOTS: u32 = u32::MAX;

impl<'s> Model<'s> {
    pub fn new(scenario: &'s Scenario) -> Model<'s> {
        let layout = MetricLayout::new(scenario);
        let mut nev_windows = vec![TargetWindow::By(scenario.end)];
        let target_sources = scenario
            .targets
            .iter()
            .map(|t| match t.metric {
                TargetMetric::Summary(ref name) => {
                    TargetSource::Metric(layout.index_of(name).expect("validated metric name"))
                }
                TargetMetric::Nev {
                    quantity,
                    district,
                    window,
                } => {
                    let window = match nev_windows.iter().position(|w| *w == window) {
                        Some(k) => k,
                        None => {
                            nev_windows.push(window);
                            nev_windows.len() - 1
                        }
                    };
                    TargetSource::District {
                        window,
                        quantity,
                        district,
                    }
                }
            })
            .collect();
        Model {
            scenario,
            layout,
            triggers: TriggerIndex::new(scenario),
            target_sources,
            nev_windows,
            ordered_lines: scenario.budget_lines.iter().map(needs_order).collect(),
            param_entities: ParamEntities::new(scenario),
            lowest_certification_bar: scenario
                .tiers
                .iter()
                .flat_map(|t| &t.routes)
                .map(|r| r.min_log_valuation_usd)
                .fold(f64::INFINITY, f64::min),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Entry,
    Certification { round: u32 },
    Assessment { occurrence: u32, date: u32 },
    ListingEntry { firm: u32, epoch: u32 },
    StageEnd { firm: u32 },
}

#[derive(Debug, Clone, Copy)]
enum Fired {
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

/// A replication's working memory. Reused across replications on one thread, so the
/// hot loop allocates only when a replication outgrows the previous ones.
#[derive(Default)]
pub struct Replication {
    queue: EventQueue<Event>,
    firms: Vec<Firm>,
    /// Per firm: where its block of per-occurrence slots starts in `occurrence_draws` and
    /// `occurrence_next`, or `NO_SLOTS` until it first needs one (most firms never do).
    occurrence_slots: Vec<u32>,
    /// Per (firm, occurrence), in firm blocks: draws made from the firm's stream of that
    /// occurrence.
    occurrence_draws: Vec<u32>,
    /// Per (firm, occurrence), in firm blocks: the day of the pending occurrence of the
    /// firm's current Poisson process, infinite when none is pending (see `run_out`).
    occurrence_next: Vec<f64>,
    /// Per firm: the tier its pending occurrences were drawn for.
    occurrence_tier: Vec<TierIx>,
    /// Per firm: bit `b` set when position `b` of its tier's occurrence list has a pending
    /// occurrence; bit 63 stands for positions 63 and up.
    occurrence_pending: Vec<u64>,
    /// (occurrence, rate) of the Poisson occurrences active per tier, tier-major, and
    /// where each tier's run starts.
    occurrence_rates: Vec<(u32, f64)>,
    occurrence_offsets: Vec<usize>,
    /// Per firm: where its block of per-instrument counters starts in `uptake`, or
    /// `NO_SLOTS` until it is first eligible for an instrument.
    uptake_slots: Vec<u32>,
    uptake: Vec<Uptake>,
    claims: Vec<Claim>,
    stipends: Vec<Stipend>,
    line_claims: Vec<Claim>,
    payments: Vec<Payment>,
    line_years: Vec<LineYear>,
    nev: NevHistory,
    /// This replication's district quantities over each of the model's `nev_windows`:
    /// `[window][quantity][district]`.
    nev_windows: Vec<f64>,
    nev_firm_listings: Vec<(f64, usize)>,
    first_cert_days: Vec<f64>,
    listing_days: Vec<f64>,
    entered: u64,
    /// The last replication's parameter values (kept for their allocation).
    params: ParamValues,
    /// Events the event loop processed in the last replication: queue pops and the
    /// occurrence draws run out.
    pub events: u64,
    /// The last replication's dated changes of state, by kind (see `engine::events`).
    pub model_events: ModelEvents,
}

/// The state the event handlers share, borrowed from a `Replication` for one run.
struct World<'a, 's> {
    model: &'a Model<'s>,
    s: &'s Scenario,
    streams: Streams,
    params: ParamValues,
    regime: &'s IpoRegime,
    r: &'a mut Replication,
    row: &'a mut [f64],
    /// The deterministic parts of the last valuation move's length.
    move_cache: MoveOver,
}

/// What a valuation move over `years` adds besides its random draws: the drift, the
/// Gaussian increment's scale, and the funding rounds' mean λ with e^{-λ}. Most firms
/// last moved on the same day (the previous round), so one length serves most of them.
#[derive(Debug, Clone, Copy)]
struct MoveOver {
    years: f64,
    drift: f64,
    scale: f64,
    /// Whether funding rounds happen at all (rate > 0; λ may still underflow to 0).
    rounds: bool,
    rounds_mean: f64,
    /// e^{-λ} when λ < 12 (Knuth's method), unused otherwise.
    exp_neg_rounds_mean: f64,
}

impl MoveOver {
    const NONE: MoveOver = MoveOver {
        years: f64::NAN,
        drift: 0.0,
        scale: 0.0,
        rounds: false,
        rounds_mean: 0.0,
        exp_neg_rounds_mean: 0.0,
    };

    fn new(years: f64, drift: f64, vol: f64, rounds: f64) -> MoveOver {
        let rounds_mean = rounds * years;
        MoveOver {
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

impl Replication {
    /// Runs replication `rep` of `seed`, writing its metrics into `row` and its monthly
    /// series into `series` (both sized by the model's layout).
    pub fn run(
        &mut self,
        model: &Model<'_>,
        seed: u64,
        rep: u64,
        row: &mut [f64],
        series: &mut [f64],
    ) {
        let s = model.scenario;
        row.iter_mut().for_each(|x| *x = 0.0);
        series.iter_mut().for_each(|x| *x = 0.0);
        self.queue.clear();
        self.firms.clear();
        self.occurrence_slots.clear();
        self.uptake_slots.clear();
        self.occurrence_draws.clear();
        self.occurrence_next.clear();
        self.occurrence_tier.clear();
        self.occurrence_pending.clear();
        self.uptake.clear();
        self.claims.clear();
        self.stipends.clear();
        self.nev_firm_listings.clear();
        self.first_cert_days.clear();
        self.listing_days.clear();
        self.entered = 0;
        self.events = 0;
        self.model_events = ModelEvents::default();

        let streams = Streams::new(seed, rep);
        let mut params = std::mem::take(&mut self.params);
        params.draw(s, &model.param_entities, &streams);
        // The Poisson occurrences active in each tier, with this replication's rates.
        self.occurrence_rates.clear();
        self.occurrence_offsets.clear();
        for tier in 0..s.tiers.len() {
            self.occurrence_offsets.push(self.occurrence_rates.len());
            for (j, occ) in s.occurrences.iter().enumerate() {
                if let OccurrenceProcess::Rate(rates) = &occ.process {
                    let rate = params.get(rates[tier]);
                    if rate > 0.0 {
                        self.occurrence_rates.push((j as u32, rate));
                    }
                }
            }
        }
        self.occurrence_offsets.push(self.occurrence_rates.len());
        let regime_ix =
            s.listing
                .regime_index
                .sample(&mut streams.rng(entity::GLOBAL, process::REGIME, 0));
        let mut w = World {
            model,
            s,
            streams,
            params,
            regime: &s.listing.regimes[regime_ix],
            r: self,
            row,
            move_cache: MoveOver::NONE,
        };
        w.row[model.layout.ipo_regime] = regime_ix as f64;
        w.populate();
        w.run_events();
        w.settle_and_record(series);
        self.params = w.params;
    }
}

impl World<'_, '_> {
    fn populate(&mut self) {
        let s = self.s;
        for (c, cohort) in s.cohorts.iter().enumerate() {
            for k in 0..cohort.count {
                self.add_firm(
                    entity::pool_firm(c, k),
                    0.0,
                    cohort.tier,
                    &cohort.valuation_usd,
                    &cohort.age_years,
                    &cohort.placement,
                    cohort.listing_stage,
                );
            }
        }
        self.schedule_entry(0.0);
        for (round, &day) in s.certification.dates.iter().enumerate() {
            self.r.queue.push(
                day,
                Event::Certification {
                    round: round as u32,
                },
            );
        }
        for (j, occ) in s.occurrences.iter().enumerate() {
            if let OccurrenceProcess::Scheduled { dates, .. } = &occ.process {
                for (k, &day) in dates.iter().enumerate() {
                    self.r.queue.push(
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

    fn schedule_entry(&mut self, now: f64) {
        let s = self.s;
        let rate =
            self.params.get(s.entry.rate_per_year) * self.params.get(s.entry.attraction_multiplier);
        if rate <= 0.0 {
            return;
        }
        let mut rng = self
            .streams
            .rng(entity::GLOBAL, process::ENTRY, self.r.entered);
        let t = now + exponential(&mut rng, rate);
        if t < s.end {
            self.r.queue.push(t, Event::Entry);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_firm(
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
        let f = self.r.firms.len();
        self.r.firms.push(Firm {
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
        self.r.occurrence_slots.push(NO_SLOTS);
        self.r.uptake_slots.push(NO_SLOTS);
        self.r.occurrence_tier.push(tier);
        self.r.occurrence_pending.push(0);
        if let Some(stage) = stage {
            self.enter_stage(f, stage, day, true);
        }
        self.schedule_tier_processes(f, day);
    }

    /// (Re)draws the firm's tier-dependent processes: exit, listing entry, occurrences.
    /// All hazards are constant between tier changes, so redrawing is exact.
    fn schedule_tier_processes(&mut self, f: usize, now: f64) {
        // The occurrences of the ending tier that fell before `now` happen; the rest
        // never do.
        self.run_out(f, now);
        let s = self.s;
        let end = s.end;
        let firm = &mut self.r.firms[f];
        firm.epoch += 1;
        let (epoch, tier, e) = (firm.epoch, firm.tier, firm.key);

        let hazard = self.params.get(s.growth.exit_hazard_per_year[tier]);
        firm.exit_day = f64::INFINITY;
        if hazard > 0.0 {
            let mut rng = self.streams.keyed(e, process::EXIT, firm.exit_draws as u64);
            firm.exit_draws += 1;
            firm.exit_day = now + exponential(&mut rng, hazard);
        }

        if firm.listing == ListingState::NotStarted {
            let hazard = self.params.get(s.listing.entry_hazard_per_year[tier]);
            if hazard > 0.0 {
                let mut rng = self
                    .streams
                    .keyed(e, process::LISTING, firm.listing_draws as u64);
                firm.listing_draws += 1;
                let t = now + exponential(&mut rng, hazard);
                if t < end {
                    self.r.queue.push(
                        t,
                        Event::ListingEntry {
                            firm: f as u32,
                            epoch,
                        },
                    );
                }
            }
        }

        let (from, to) = (
            self.r.occurrence_offsets[tier],
            self.r.occurrence_offsets[tier + 1],
        );
        self.r.occurrence_tier[f] = tier;
        if from == to {
            return;
        }
        let base = self.occurrence_slots(f);
        let mut pending = 0;
        for k in from..to {
            let (j, rate) = self.r.occurrence_rates[k];
            let j = j as usize;
            let draws = &mut self.r.occurrence_draws[base + j];
            let mut rng = self.streams.keyed(e, process::occurrence(j), *draws as u64);
            *draws += 1;
            let t = now + exponential(&mut rng, rate);
            if t < end {
                self.r.occurrence_next[base + j] = t;
                pending |= 1 << (k - from).min(63);
            }
        }
        self.r.occurrence_pending[f] = pending;
    }

    /// Where firm `f`'s per-occurrence slots start, allocating them on first use.
    fn occurrence_slots(&mut self, f: usize) -> usize {
        if self.r.occurrence_slots[f] == NO_SLOTS {
            let base = self.r.occurrence_draws.len();
            let end = base + self.s.occurrences.len();
            self.r.occurrence_slots[f] = base as u32;
            self.r.occurrence_draws.resize(end, 0);
            self.r.occurrence_next.resize(end, f64::INFINITY);
        }
        self.r.occurrence_slots[f] as usize
    }

    /// Lets the firm's Poisson occurrences (drawn for `occurrence_tier[f]`) happen up to
    /// `stop` (exclusive), then drops the rest.
    ///
    /// An occurrence changes nothing but the claims, stipends and uptake counters of the
    /// instruments listening to it, which nothing else reads during the run; the tier,
    /// exit day and rates it is judged on are constant until the firm's next tier
    /// change, and every tier change calls this first. So occurrences need no events:
    /// each firm's run out in time order at its tier changes and at the end gives the
    /// same draws (same streams, same serials) and the same claims as firing each at its
    /// own time. `events` counts them as the event loop would have.
    fn run_out(&mut self, f: usize, stop: f64) {
        let mut pending = std::mem::take(&mut self.r.occurrence_pending[f]);
        if pending == 0 {
            return;
        }
        let tier = self.r.occurrence_tier[f];
        let (from, to) = (
            self.r.occurrence_offsets[tier],
            self.r.occurrence_offsets[tier + 1],
        );
        while pending != 0 {
            let b = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            if b < 63 {
                self.run_out_occurrence(f, tier, from + b, stop);
            } else {
                for k in from + 63..to {
                    self.run_out_occurrence(f, tier, k, stop);
                }
            }
        }
    }

    /// `run_out` for entry `k` of `occurrence_rates` (an occurrence of the firm's tier).
    #[inline]
    fn run_out_occurrence(&mut self, f: usize, tier: TierIx, k: usize, stop: f64) {
        let s = self.s;
        let (key, exit_day) = (self.r.firms[f].key, self.r.firms[f].exit_day);
        let (j, rate) = self.r.occurrence_rates[k];
        let j = j as usize;
        // Pending occurrences imply slots (see `schedule_tier_processes`).
        let slot = self.r.occurrence_slots[f] as usize + j;
        let mut t = std::mem::replace(&mut self.r.occurrence_next[slot], f64::INFINITY);
        while t != f64::INFINITY {
            self.r.events += 1;
            if t >= stop || t >= exit_day {
                break;
            }
            let draws = &mut self.r.occurrence_draws[slot];
            let mut rng = self
                .streams
                .keyed(key, process::occurrence(j), *draws as u64);
            *draws += 1;
            let magnitude = s.occurrences[j]
                .magnitude
                .as_ref()
                .map_or(0.0, |m| m.sample(&mut rng).max(0.0));
            let next = t + exponential(&mut rng, rate);
            self.r.model_events.occurrences += 1;
            self.fire(f, t, tier, Fired::Occurrence(j), magnitude);
            t = if next < s.end { next } else { f64::INFINITY };
        }
    }

    fn run_events(&mut self) {
        self.run_queue();
        for f in 0..self.r.firms.len() {
            self.run_out(f, f64::INFINITY);
        }
    }

    fn run_queue(&mut self) {
        while let Some((t, event)) = self.r.queue.pop() {
            self.r.events += 1;
            match event {
                Event::Entry => self.on_entry(t),
                Event::Certification { round } => self.on_certification(t, round),
                Event::Assessment { occurrence, date } => {
                    self.on_assessment(t, occurrence as usize, date)
                }
                Event::ListingEntry { firm, epoch } => {
                    let f = firm as usize;
                    let fm = &self.r.firms[f];
                    if fm.epoch == epoch && fm.alive_at(t) && fm.listing == ListingState::NotStarted
                    {
                        self.enter_stage(f, 0, t, false);
                    }
                }
                Event::StageEnd { firm } => self.on_stage_end(firm as usize, t),
            }
        }
    }

    fn on_entry(&mut self, t: f64) {
        let s = self.s;
        let n = self.r.entered;
        self.r.entered += 1;
        self.r.model_events.entries += 1;
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

    fn on_certification(&mut self, t: f64, round: u32) {
        let s = self.s;
        let apply = self.params.get(s.certification.apply_probability);
        let reviewed = s.certification.reviewed[round as usize];
        for f in 0..self.r.firms.len() {
            let firm = &self.r.firms[f];
            if !firm.alive_at(t) || firm.is_listed() {
                continue;
            }
            // One stream per firm and round: the application draw first, so that the
            // growth parameters never shift it, then the valuation's move since last round.
            let mut rng = self
                .streams
                .keyed(firm.key, process::CERTIFICATION, round as u64);
            self.r.model_events.certification_reviews += 1;
            let applies = rng.random::<f64>() < apply;
            self.revalue(f, t, &mut rng);
            let firm = &self.r.firms[f];
            let qualified = if firm.log_valuation_usd < self.model.lowest_certification_bar {
                NO_TIER
            } else {
                firm.qualified_tier(&s.tiers, reviewed, t)
            };
            // A firm whose tier is not under review on this date keeps it, unless it is
            // certified into a higher tier that is.
            let judged = firm.tier == NO_TIER || reviewed & (1 << firm.tier) != 0;
            if !judged && qualified <= firm.tier {
                continue;
            }
            if qualified != NO_TIER && applies {
                let changed = firm.tier != qualified;
                let first = !firm.was_certified(qualified);
                // Certification rewards go to the tier certified (the policy's "首次认定为
                // 独角兽企业的" pays unicorns): move the firm, then fire.
                let firm = &mut self.r.firms[f];
                firm.tier = qualified;
                firm.ever_certified |= 1 << qualified;
                if changed {
                    self.schedule_tier_processes(f, t);
                }
                self.row[self.model.layout.firms_certified + qualified - 1] += 1.0;
                self.fire(f, t, qualified, Fired::Certified(qualified), 0.0);
                if first {
                    self.row[self.model.layout.firms_first_certified + qualified - 1] += 1.0;
                    self.r.first_cert_days.push(t);
                    self.fire(f, t, qualified, Fired::FirstCertified(qualified), 0.0);
                }
            } else if qualified == NO_TIER && firm.tier != NO_TIER {
                // No longer meets any tier's criteria: off the list.
                self.r.firms[f].tier = NO_TIER;
                self.schedule_tier_processes(f, t);
            }
        }
    }

    fn on_assessment(&mut self, t: f64, j: usize, date: u32) {
        let s = self.s;
        let OccurrenceProcess::Scheduled {
            probability, tiers, ..
        } = &s.occurrences[j].process
        else {
            unreachable!("assessments are scheduled occurrences")
        };
        for f in 0..self.r.firms.len() {
            let firm = &self.r.firms[f];
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
                self.r.model_events.occurrences += 1;
                self.fire(f, t, firm.tier, Fired::Occurrence(j), magnitude);
            }
        }
    }

    fn enter_stage(&mut self, f: usize, stage: usize, t: f64, already_in: bool) {
        let s = self.s;
        let firm = &mut self.r.firms[f];
        let mut rng = self
            .streams
            .keyed(firm.key, process::LISTING, firm.listing_draws as u64);
        firm.listing_draws += 1;
        let outcome = stage_outcome(
            &s.listing,
            &self.params,
            self.regime,
            stage,
            already_in,
            &mut rng,
        );
        firm.listing = ListingState::InStage {
            stage: stage as u8,
            passes: outcome.passed,
        };
        if t + outcome.days < s.end {
            self.r
                .queue
                .push(t + outcome.days, Event::StageEnd { firm: f as u32 });
        }
        if !already_in {
            self.r.model_events.listing_steps += 1;
            self.row[self.model.layout.listing_stage_entries + stage] += 1.0;
            self.fire(f, t, self.r.firms[f].tier, Fired::ListingStage(stage), 0.0);
        }
    }

    fn on_stage_end(&mut self, f: usize, t: f64) {
        let s = self.s;
        let firm = &self.r.firms[f];
        let ListingState::InStage { stage, passes } = firm.listing else {
            unreachable!("a stage ends only for a firm in a stage")
        };
        if !firm.alive_at(t) {
            return;
        }
        if !passes {
            self.r.model_events.listing_steps += 1;
            self.r.firms[f].listing = ListingState::Ended;
            return;
        }
        let next = stage as usize + 1;
        if next < s.listing.stages.len() {
            self.enter_stage(f, next, t, false);
            return;
        }
        // Listed: rewards are judged on the tier the firm held; then it leaves the tiers.
        self.r.model_events.listing_steps += 1;
        self.row[self.model.layout.listings_new] += 1.0;
        self.r.listing_days.push(t);
        self.fire(
            f,
            t,
            self.r.firms[f].tier,
            Fired::ListingStage(s.listing.listed()),
            0.0,
        );
        let firm = &mut self.r.firms[f];
        firm.listing = ListingState::Listed;
        if firm.nev {
            if let Some(d) = firm.district {
                self.r.nev_firm_listings.push((t, d));
            }
        }
        if firm.tier != NO_TIER {
            firm.tier = NO_TIER;
            self.schedule_tier_processes(f, t);
        }
    }

    /// Moves the firm's log-valuation to day `t`: the random walk's Gaussian increment
    /// plus the funding rounds that fell in between (Poisson, lognormal step-ups).
    fn revalue(&mut self, f: usize, t: f64, rng: &mut StreamRng) {
        let g = &self.s.growth;
        let dt = (t - self.r.firms[f].valued_on) / DAYS_PER_YEAR;
        if dt <= 0.0 {
            return;
        }
        if self.move_cache.years != dt {
            self.move_cache = MoveOver::new(
                dt,
                self.params.get(g.drift_per_year),
                self.params.get(g.volatility_per_year),
                self.params.get(g.rounds_per_year),
            );
        }
        let m = self.move_cache;
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
            self.r.model_events.funding_rounds += u64::from(n);
            for _ in 0..n {
                step += g.round_step_up.sample_ln(rng);
            }
        }
        let firm = &mut self.r.firms[f];
        firm.log_valuation_usd += step;
        firm.valued_on = t;
    }

    /// Pays every instrument listening to `what` that the firm is eligible for.
    /// `tier` is the tier the trigger is judged on.
    fn fire(&mut self, f: usize, t: f64, tier: TierIx, what: Fired, magnitude: f64) {
        let s = self.s;
        let ix = &self.model.triggers;
        let list = match what {
            Fired::FirstCertified(tier) => &ix.first_certified[tier],
            Fired::Certified(tier) => &ix.certified[tier],
            Fired::ListingStage(stage) => &ix.listing_stage[stage],
            Fired::Occurrence(j) => &ix.occurrence[j],
        };
        let firm = &self.r.firms[f];
        for &i in list {
            let inst = &s.instruments[i as usize];
            if !inst.eligible[tier] || t < inst.valid_from || t >= inst.valid_to {
                continue;
            }
            if self.r.uptake_slots[f] == NO_SLOTS {
                let base = self.r.uptake.len();
                self.r.uptake_slots[f] = base as u32;
                self.r
                    .uptake
                    .resize(base + s.instruments.len(), Uptake::default());
            }
            let uptake = &mut self.r.uptake[self.r.uptake_slots[f] as usize + i as usize];
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
                } => self.r.stipends.push(Stipend {
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
                        self.r.claims.push(Claim {
                            day,
                            instrument: i,
                            amount,
                        });
                    }
                }
            }
        }
    }

    /// Turns claims into payments under each budget line's rule, and fills the row.
    fn settle_and_record(&mut self, series: &mut [f64]) {
        let s = self.s;
        let layout = &self.model.layout;
        let r = &mut *self.r;
        for st in &r.stipends {
            let exit_day = r.firms[st.firm as usize].exit_day;
            for m in 0..st.months {
                let day = st.first_day + m as f64 * DAYS_PER_MONTH;
                if day >= exit_day {
                    break;
                }
                r.claims.push(Claim {
                    day,
                    instrument: st.instrument,
                    amount: st.amount_per_month,
                });
            }
        }

        let n_years = layout.years;
        r.line_years.clear();
        r.line_years
            .resize(s.budget_lines.len() * n_years, LineYear::default());
        r.payments.clear();
        // Lines no appropriation limits pay every claim as it falls due, in one pass.
        for c in &r.claims {
            let l = s.instruments[c.instrument as usize].budget_line;
            if !self.model.ordered_lines[l] {
                let (year, month) = s.calendar.year_and_month_of(c.day);
                let years = &mut r.line_years[l * n_years..(l + 1) * n_years];
                pay_as_due(c, year, &s.calendar, years);
                let paid = Payment::in_full(c);
                record_payment(self.row, series, layout, s, &paid, year, month);
                r.model_events.payments += 1;
            }
        }
        for (l, line) in s.budget_lines.iter().enumerate() {
            let years = &mut r.line_years[l * n_years..(l + 1) * n_years];
            if self.model.ordered_lines[l] {
                r.line_claims.clear();
                r.line_claims.extend(
                    r.claims
                        .iter()
                        .filter(|c| s.instruments[c.instrument as usize].budget_line == l)
                        .copied(),
                );
                // Claims equal in day, instrument and amount are interchangeable, so this
                // order is total in every way that matters and the same on every run.
                r.line_claims.sort_unstable_by(|a, b| {
                    a.day
                        .total_cmp(&b.day)
                        .then(a.instrument.cmp(&b.instrument))
                        .then(a.amount.total_cmp(&b.amount))
                });
                settle(line, &r.line_claims, &s.calendar, &mut r.payments, years);
            }
            for (k, y) in years.iter().enumerate() {
                self.row[layout.demand_line_year + layout.line_year(l, k)] = y.demand;
                self.row[layout.carried_line_year + layout.line_year(l, k)] = y.carried;
            }
        }
        r.model_events.payments += r.payments.len() as u64;
        for p in &r.payments {
            let (year, month) = s.calendar.year_and_month_of(p.day);
            record_payment(self.row, series, layout, s, p, year, month);
        }

        let months = layout.months;
        for &d in &r.first_cert_days {
            series[SERIES_FIRST_CERTIFIED * months + s.calendar.month_of(d)] += 1.0;
        }
        for &d in &r.listing_days {
            series[SERIES_LISTINGS * months + s.calendar.month_of(d)] += 1.0;
        }
        for k in 0..layout.series_names.len() {
            let block = &mut series[k * months..(k + 1) * months];
            for m in 1..months {
                block[m] += block[m - 1];
            }
        }

        for firm in &r.firms {
            if firm.exit_day >= s.end && !firm.is_listed() && firm.tier != NO_TIER {
                self.row[layout.firms_count + firm.tier - 1] += 1.0;
            }
        }
        self.row[layout.firms_entered] = r.entered as f64;
        r.model_events.exits = r.firms.iter().filter(|f| f.exit_day < s.end).count() as u64;
        self.row[layout.firms_exited] = r.model_events.exits as f64;

        r.nev.simulate(
            s,
            &self.params,
            &self.streams,
            self.regime,
            &r.nev_firm_listings,
        );
        r.model_events.district = r.nev.events();
        let nd = s.districts.len();
        let per_window = NevQuantity::ALL.len() * nd;
        let table = &mut r.nev_windows;
        table.resize(self.model.nev_windows.len() * per_window, 0.0);
        for (w, &window) in self.model.nev_windows.iter().enumerate() {
            for d in 0..nd {
                let values = r.nev.quantities(d, window, s);
                for q in NevQuantity::ALL {
                    table[w * per_window + q.index() * nd + d] = values[q.index()];
                }
            }
        }
        // The districts' values over `window` of `quantity`, in district order.
        let by_district = |window: usize, q: NevQuantity| {
            let at = window * per_window + q.index() * nd;
            &table[at..at + nd]
        };
        for q in NevQuantity::ALL {
            let whole_run = by_district(0, q);
            for (d, value) in whole_run.iter().enumerate() {
                self.row[layout.nev_at(q, d)] = *value;
            }
            self.row[layout.nev_at(q, nd)] = total(whole_run.iter().copied());
        }
        for (k, source) in self.model.target_sources.iter().enumerate() {
            self.row[layout.target + k] = match *source {
                TargetSource::Metric(i) => self.row[i],
                TargetSource::District {
                    window,
                    quantity,
                    district,
                } => {
                    let values = by_district(window, quantity);
                    district.map_or_else(|| total(values.iter().copied()), |d| values[d])
                }
            };
        }
    }
}

/// Adds a payment (made in `year`, series `month`) to the outlay metrics of the row and
/// the monthly outlay series.
#[inline(always)]
fn record_payment(
    row: &mut [f64],
    series: &mut [f64],
    layout: &MetricLayout,
    s: &Scenario,
    paid: &Payment,
    year: i32,
    month: usize,
) {
    let inst = &s.instruments[paid.instrument as usize];
    let amount = paid.amount;
    row[layout.outlay_total] += amount;
    row[layout.outlay_instrument + paid.instrument as usize] += amount;
    row[layout.outlay_funder] += amount * inst.city_share;
    row[layout.outlay_funder + 1] += amount * (1.0 - inst.city_share);
    row[layout.outlay_line + inst.budget_line] += amount;
    if paid.day >= s.payments_until {
        row[layout.outlay_beyond] += amount;
    } else {
        let k = (year - layout.first_year) as usize;
        row[layout.outlay_year + k] += amount;
        row[layout.outlay_line_year + layout.line_year(inst.budget_line, k)] += amount;
        series[SERIES_OUTLAY * layout.months + month] += amount;
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

/// Waiting time (days) of a Poisson process with `rate_per_year`.
#[inline]
fn exponential(rng: &mut StreamRng, rate_per_year: f64) -> f64 {
    Distribution::<f64>::sample(&Exp1, rng) / rate_per_year * DAYS_PER_YEAR
}
