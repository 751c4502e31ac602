//! The ledger as a run reports it: what was paid before the as-of date, summed by the
//! same breakdowns as the simulated outlay (docs/model.md, "Runs from actuals"), and the
//! targets whose window closed by that date, read from the actuals where they can be.

use chrono::NaiveDate;

use super::{Actuals, ObservedWindow};
use crate::metrics::{MetricLayout, SERIES_OUTLAY};
use crate::scenario::types::{Scenario, Target, TargetMetric};

/// What a run from actuals takes as given, identically in every replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    pub as_of: NaiveDate,
    /// The ledger's payments in the order of the layout's outlay section (`outlay.total`
    /// through `outlay.instrument.<id>.<year>`): the values of `outlay.actual.*`.
    pub outlay: Vec<f64>,
    /// Paid per budget line and reported year (`MetricLayout::line_year` order).
    pub line_year: Vec<f64>,
    /// Paid per month of the monthly series (not cumulative), before `payments_until`.
    pub months: Vec<f64>,
    /// The payments on or after the start as (day, instrument, yuan), in ledger order:
    /// what the outlay flows over a window hold of the ledger.
    pub payments: Vec<(f64, usize, f64)>,
    /// Per target of the scenario: simulated, or closed before the as-of date and then
    /// observed or unknown.
    pub targets: Vec<TargetStatus>,
}

/// Where a target's value comes from in a run from actuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetStatus {
    /// Its window ends on or after the as-of date (the first day simulated): simulated.
    Simulated,
    /// Its window closed before the as-of date and the actuals give its value.
    Observed(f64, ObservedFrom),
    /// Its window closed and the actuals do not give its value: neither simulated (the
    /// run would not condition on what happened) nor observed. Its statistics are left
    /// empty; a row of `observations.csv` with its metric and window makes it observed.
    Unknown,
}

impl TargetStatus {
    /// The word `targets.csv` writes in its `status` column.
    pub fn name(self) -> &'static str {
        match self {
            TargetStatus::Simulated => "simulated",
            TargetStatus::Observed(..) => "observed",
            TargetStatus::Unknown => "unknown",
        }
    }
}

/// Where a closed target's value was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservedFrom {
    /// Summed from `payments.csv` (a year's outlay, in total or of one budget line).
    Payments,
    /// A row of `observations.csv` with the target's metric and window.
    Observations,
    /// Counted from `events.csv` (a flow of the firms' events over a closed window).
    Events,
}

impl Ledger {
    /// The ledger a run from actuals reports, if the run covers part of the scenario that
    /// has happened: its as-of date is after the start, or the ledger paid something on or
    /// after the start. A successor policy (starting on or after the as-of date) has paid
    /// nothing of its own: the ledger is its predecessor's, and the run reports as a plain
    /// one; so does an as-of run on the start with nothing paid, which is the plain run.
    pub fn of_run(s: &Scenario, run: &super::AsOfRun) -> Option<Ledger> {
        let start = s.calendar.date(0.0);
        let paid_in_horizon = run.actuals.payments.iter().any(|p| p.paid_on >= 0.0);
        (run.as_of > start || paid_in_horizon).then(|| Ledger::new(s, &run.actuals, run.as_of))
    }

    /// The ledger of `actuals` for a run of `s` from `as_of` (docs/model.md, "Runs from
    /// actuals"); payments before the start are not the scenario's and are left out.
    pub fn new(s: &Scenario, actuals: &Actuals, as_of: NaiveDate) -> Ledger {
        let layout = MetricLayout::new(s);
        let (outlay, line_year, months) = sums(s, &layout, actuals);
        let targets = s
            .targets
            .iter()
            .map(|t| status(&layout, actuals, &outlay, t, as_of))
            .collect();
        let payments = actuals
            .payments
            .iter()
            .filter(|p| p.paid_on >= 0.0)
            .map(|p| (p.paid_on, p.instrument, p.amount))
            .collect();
        Ledger {
            as_of,
            outlay,
            line_year,
            months,
            payments,
            targets,
        }
    }
}

/// The ledger's sums, each added in ledger order as the engine adds a replication's
/// payments: the outlay section, per line-year, and per series month.
fn sums(s: &Scenario, layout: &MetricLayout, actuals: &Actuals) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let base = layout.outlay_total;
    let mut outlay = vec![0.0; layout.demand_line_year - base];
    let mut months = vec![0.0; layout.months];
    let mut add = |at: usize, amount: f64| outlay[at - base] += amount;
    for p in actuals.payments.iter().filter(|p| p.paid_on >= 0.0) {
        let inst = &s.instruments[p.instrument];
        add(layout.outlay_total, p.amount);
        add(layout.outlay_instrument + p.instrument, p.amount);
        add(layout.outlay_funder, p.amount * inst.city_share);
        add(layout.outlay_funder + 1, p.amount * (1.0 - inst.city_share));
        add(layout.outlay_line + inst.budget_line, p.amount);
        if p.paid_on >= s.payments_until {
            add(layout.outlay_beyond, p.amount);
        } else {
            let (year, month) = s.calendar.year_and_month_of(p.paid_on);
            let k = (year - layout.first_year) as usize;
            add(layout.outlay_year + k, p.amount);
            add(
                layout.outlay_line_year + layout.line_year(inst.budget_line, k),
                p.amount,
            );
            add(
                layout.outlay_instrument_year + layout.instrument_year(p.instrument, k),
                p.amount,
            );
            months[month] += p.amount;
        }
    }
    let at = layout.outlay_line_year - base;
    let line_year = outlay[at..at + layout.lines * layout.years].to_vec();
    (outlay, line_year, months)
}

/// Whether target `t`'s window closed before `as_of`, and if so its value.
///
/// A year's outlay (`outlay.total` or `outlay.line.<id>` with `year`) is the ledger's sum
/// for that year. A whole-run outlay metric never closes: it counts every payment,
/// including those after the horizon. Any other metric is read from `observations.csv`:
/// the first row with the target's metric and window (`in YYYY` / `by YYYY-MM-DD`, as
/// `targets.csv` shows it).
fn status(
    layout: &MetricLayout,
    actuals: &Actuals,
    ledger_outlay: &[f64],
    t: &Target,
    as_of: NaiveDate,
) -> TargetStatus {
    let Some(last_day) = window_last_day(&t.window_label) else {
        return TargetStatus::Simulated;
    };
    if let TargetMetric::Summary(ref name) = t.metric {
        let at = layout.index_of(name).expect("validated metric name");
        if (layout.outlay_total..layout.demand_line_year).contains(&at) {
            // Per year: `outlay.year.*`, and the line-year and instrument-year blocks,
            // which follow one another up to the demand block.
            let per_year = (layout.outlay_year..layout.outlay_beyond).contains(&at)
                || (layout.outlay_line_year..layout.demand_line_year).contains(&at);
            return if per_year && last_day < as_of {
                let value = ledger_outlay[at - layout.outlay_total];
                TargetStatus::Observed(value, ObservedFrom::Payments)
            } else {
                TargetStatus::Simulated
            };
        }
    }
    // The as-of day itself is simulated (docs/model.md): a window ending on it is open.
    if last_day >= as_of {
        return TargetStatus::Simulated;
    }
    actuals
        .observations
        .iter()
        .find(|o| o.metric == t.metric_name && window_label(o.window) == t.window_label)
        .map_or(TargetStatus::Unknown, |o| {
            TargetStatus::Observed(o.value, ObservedFrom::Observations)
        })
}

/// The last day of a window labelled `in YYYY` or `by YYYY-MM-DD`.
fn window_last_day(label: &str) -> Option<NaiveDate> {
    match label.split_once(' ')? {
        ("in", y) => NaiveDate::from_ymd_opt(y.parse().ok()?, 12, 31),
        ("by", d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// An observation's window as `targets.csv` labels a target's.
fn window_label(w: ObservedWindow) -> String {
    match w {
        ObservedWindow::In(y) => format!("in {y}"),
        ObservedWindow::By(d) => format!("by {d}"),
    }
}

impl Ledger {
    /// Adds the ledger to a replication's row and monthly outlay (not yet cumulative),
    /// whose outlay and demand metrics hold what the simulation owed and paid from the
    /// as-of date on: those move to `outlay.remaining.*` and `demand.remaining.*`, the
    /// ledger fills `outlay.actual.*`, and every outlay and demand metric becomes the sum
    /// of both (remaining + actual, in that order, as `outlay_adds_up` checks).
    pub fn add_to_row(&self, layout: &MetricLayout, row: &mut [f64], series: &mut [f64]) {
        let blocks = layout
            .ledger
            .expect("a run from actuals has the ledger's blocks");
        for (j, &paid) in self.outlay.iter().enumerate() {
            let remaining = row[layout.outlay_total + j];
            row[blocks.remaining + j] = remaining;
            row[blocks.actual + j] = paid;
            row[layout.outlay_total + j] = remaining + paid;
        }
        for (j, &paid) in self.line_year.iter().enumerate() {
            let remaining = row[layout.demand_line_year + j];
            row[blocks.demand_remaining_line_year + j] = remaining;
            row[layout.demand_line_year + j] = remaining + paid;
        }
        let monthly = &mut series[SERIES_OUTLAY * layout.months..][..layout.months];
        for (m, &paid) in self.months.iter().enumerate() {
            monthly[m] += paid;
        }
    }

    /// Marks target `k`, a flow over a window that closed before the as-of day, observed
    /// with the value the actuals give it: `events.csv` and `payments.csv` record every
    /// event and payment it sums, so no row of `observations.csv` is needed or read.
    pub fn observe_flow(&mut self, k: usize, value: f64, from: ObservedFrom) {
        self.targets[k] = TargetStatus::Observed(value, from);
    }

    /// Sets the targets whose window closed to their observed values.
    pub fn set_observed_targets(&self, layout: &MetricLayout, row: &mut [f64]) {
        for (k, status) in self.targets.iter().enumerate() {
            if let TargetStatus::Observed(value, _) = status {
                row[layout.target + k] = *value;
            }
        }
    }

    /// Paid to date on budget line `l` in reported year offset `k`.
    pub fn paid(&self, layout: &MetricLayout, l: usize, k: usize) -> f64 {
        self.line_year[layout.line_year(l, k)]
    }
}
