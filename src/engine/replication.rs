//! One replication: the model's processes (see `engine::world`) run over the initial
//! pool the run was given, then the claims are settled and the row written.

use super::events::ModelEvents;
use super::flows::FlowJournal;
use super::params::{ParamEntities, ParamValues};
use super::queue::EventQueue;
use super::record::TargetSource;
use super::stream::{entity, process, Streams};
use super::world::{Event, World};
use crate::actuals::ObservedFrom;
use crate::metrics::MetricLayout;
use crate::model::certification::Certification;
use crate::model::district::NevHistory;
use crate::model::lifecycle::Lifecycle;
use crate::model::listing::Pipeline;
use crate::model::occurrence::Occurrences;
use crate::model::pool::InitialPool;
use crate::policy::budget::needs_order;
use crate::policy::claims::Claims;
use crate::policy::instrument::TriggerIndex;
use crate::policy::settlement::Settlement;
use crate::scenario::types::{Scenario, TargetMetric, TargetWindow};
use rand_distr::Distribution;

/// What the engine needs besides the scenario, computed once per run.
pub struct Model<'s> {
    pub scenario: &'s Scenario,
    pub layout: MetricLayout,
    /// The firms every replication starts with.
    pub pool: InitialPool<'s>,
    pub(crate) triggers: TriggerIndex,
    /// Where each target's value comes from.
    pub(crate) target_sources: Vec<TargetSource>,
    /// The windows district quantities are computed over: the whole run first (its
    /// values are the row's `nev.*` metrics), then those the district targets read.
    pub(crate) nev_windows: Vec<TargetWindow>,
    /// Whether a target reads a flow over a window, so replications keep a flow journal.
    pub(crate) journal_flows: bool,
    /// What a run from actuals observed of the flows, added to every replication's
    /// simulated part of a flow over a window.
    pub(crate) observed_flows: Option<FlowJournal>,
    /// Per budget line: whether its claims must be settled in the order they fall due.
    pub(crate) ordered_lines: Vec<bool>,
    param_entities: ParamEntities,
    /// The lowest log-valuation any certification route accepts: a firm below it
    /// qualifies for no tier, whatever its age.
    pub(crate) lowest_certification_bar: f64,
    /// What a run from actuals takes from the ledger and the observations (`None` for a
    /// plain run): added to every row once the simulated part is settled.
    pub ledger: Option<crate::actuals::Ledger>,
}

impl<'s> Model<'s> {
    /// The model of a scenario that starts from its synthetic cohorts.
    pub fn new(scenario: &'s Scenario) -> Model<'s> {
        Model::with_pool(scenario, InitialPool::from_cohorts(scenario))
    }

    /// The model of a run of `scenario`, from its cohorts or, for a run from actuals, from
    /// the state observed on the as-of date, reporting the ledger with the simulated part.
    pub fn starting(
        scenario: &'s Scenario,
        actuals: Option<&crate::actuals::AsOfRun>,
    ) -> Model<'s> {
        match actuals {
            Some(run) => {
                let triggers = TriggerIndex::new(scenario);
                let model =
                    Model::with_pool(scenario, InitialPool::observed(scenario, run, &triggers));
                match crate::actuals::Ledger::of_run(scenario, run) {
                    Some(ledger) => model.with_ledger(ledger),
                    None => model,
                }
            }
            None => Model::new(scenario),
        }
    }

    /// The model of a scenario that starts from `pool`.
    pub fn with_pool(scenario: &'s Scenario, pool: InitialPool<'s>) -> Model<'s> {
        let layout = MetricLayout::new(scenario);
        let (target_sources, nev_windows) = target_sources(scenario, &layout);
        let journal_flows = target_sources
            .iter()
            .any(|t| matches!(t, TargetSource::Flow { .. }));
        let observed_flows = FlowJournal::observed(scenario, &layout, &pool.observed.counts, &[]);
        Model {
            scenario,
            layout,
            pool,
            triggers: TriggerIndex::new(scenario),
            target_sources,
            journal_flows,
            observed_flows,
            nev_windows,
            ordered_lines: scenario.budget_lines.iter().map(needs_order).collect(),
            param_entities: ParamEntities::new(scenario),
            lowest_certification_bar: scenario
                .tiers
                .iter()
                .flat_map(|t| &t.routes)
                .map(|route| route.min_log_valuation_usd)
                .fold(f64::INFINITY, f64::min),
            ledger: None,
        }
    }

    /// This model, reporting the ledger's payments and observed targets with the simulated
    /// part in every row (the metrics of `MetricLayout::from_actuals`, whose positions
    /// the targets and the observed journal are found at again). A target on a flow over
    /// a window that closed before the pool's day is observed: the journal holds all of it.
    pub fn with_ledger(mut self, mut ledger: crate::actuals::Ledger) -> Model<'s> {
        let s = self.scenario;
        self.layout = MetricLayout::from_actuals(s);
        (self.target_sources, self.nev_windows) = target_sources(s, &self.layout);
        self.observed_flows = FlowJournal::observed(
            s,
            &self.layout,
            &self.pool.observed.counts,
            &ledger.payments,
        );
        for (k, source) in self.target_sources.iter().enumerate() {
            if let TargetSource::Flow { metric, from, to } = *source {
                if to <= self.pool.day {
                    let value = self
                        .observed_flows
                        .as_ref()
                        .map_or(0.0, |j| j.sum(metric, from, to));
                    let outlay = metric < self.layout.demand_line_year;
                    let source = if outlay {
                        ObservedFrom::Payments
                    } else {
                        ObservedFrom::Events
                    };
                    ledger.observe_flow(k, value, source);
                }
            }
        }
        self.ledger = Some(ledger);
        self
    }
}

/// Where each target of `s` reads its value in a row of `layout`, and the windows the
/// district targets need (the whole run first).
fn target_sources(s: &Scenario, layout: &MetricLayout) -> (Vec<TargetSource>, Vec<TargetWindow>) {
    let mut nev_windows = vec![TargetWindow::By(s.end)];
    let sources = s
        .targets
        .iter()
        .map(|t| match t.metric {
            TargetMetric::Summary(ref name) => {
                TargetSource::Metric(layout.index_of(name).expect("validated metric name"))
            }
            TargetMetric::Flow {
                ref metric,
                from,
                to,
            } => TargetSource::Flow {
                metric: layout.index_of(metric).expect("validated metric name"),
                from,
                to,
            },
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
    (sources, nev_windows)
}

/// A replication's working memory, one part per process of the model. Reused across
/// replications on one thread, so the hot loop allocates only when a replication
/// outgrows the previous ones.
#[derive(Default)]
pub struct Replication {
    pub(crate) queue: EventQueue<Event>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) certification: Certification,
    pub(crate) pipeline: Pipeline,
    pub(crate) occurrences: Occurrences,
    pub(crate) claims: Claims,
    pub(crate) settlement: Settlement,
    pub(crate) nev: NevHistory,
    /// This replication's district quantities over each of the model's `nev_windows`:
    /// `[window][quantity][district]`.
    pub(crate) nev_windows: Vec<f64>,
    /// Dated additions to the flow metrics, when a target reads one over a window.
    pub(crate) flows: FlowJournal,
    /// The last replication's parameter values (kept for their allocation).
    params: ParamValues,
    /// Events the event loop processed in the last replication: queue pops and the
    /// occurrence draws fired outside the queue.
    pub events: u64,
    /// The last replication's dated changes of state, by kind (see `engine::events`).
    pub model_events: ModelEvents,
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
        self.lifecycle.reset();
        self.certification.reset();
        self.pipeline.reset();
        self.claims.reset();
        self.flows.reset(model.journal_flows);
        self.events = 0;
        self.model_events = ModelEvents::default();

        let streams = Streams::new(seed, rep);
        let mut params = std::mem::take(&mut self.params);
        params.draw(s, &model.param_entities, &streams);
        self.occurrences.reset(s, &params);
        let regime_ix =
            s.listing
                .regime_index
                .sample(&mut streams.rng(entity::GLOBAL, process::REGIME, 0));
        let mut w = World {
            model,
            scenario: s,
            streams,
            params,
            regime: &s.listing.regimes[regime_ix],
            replication: self,
            row,
        };
        w.row[model.layout.ipo_regime] = regime_ix as f64;
        w.populate();
        w.run_events();
        w.settle_and_record(series);
        self.params = w.params;
    }
}
