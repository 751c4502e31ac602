//! What a run metric means over a window of the calendar (docs/model.md, "Metrics over a
//! window"), shared by targets (`year`, `by`) and by the observations a backtest scores
//! (`in YYYY`, `by YYYY-MM-DD`).
//!
//! A flow (listings, certifications, entries, exits, stage entries, outlay) over a window
//! is what happened on the days inside it; a level (firms per tier, a district's scale) is
//! read at the window's end; a parameter has no value over a window. A window the run
//! does not simulate, or a level at a date the run keeps no state for, is refused with a
//! message saying why, never read over another window.

use chrono::{Datelike, NaiveDate};

use crate::metrics::MetricLayout;
use crate::scenario::types::{NevQuantity, Scenario, TargetMetric, TargetWindow};

/// A window as a user writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The calendar year (`year = Y` in a target, `in Y` in an observation).
    Year(i32),
    /// From the scenario's start through the end of the day (`by = date`).
    Through(NaiveDate),
}

impl Window {
    /// The last day the window holds.
    pub fn last_day(self) -> NaiveDate {
        match self {
            Window::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(NaiveDate::MAX),
            Window::Through(d) => d,
        }
    }

    pub fn label(self) -> String {
        match self {
            Window::Year(y) => format!("in {y}"),
            Window::Through(d) => format!("by {d}"),
        }
    }
}

/// How a run metric can be read over a window.
enum Kind {
    /// Summed over the days of the window; simulated up to (excluding) day `until`.
    Flow {
        until: f64,
        until_name: &'static str,
    },
    /// Already the value of one calendar year.
    OfYear(i32),
    /// A level at the scenario's end: the run keeps no history of it.
    LevelAtEnd,
    /// No value over a window, with the reason.
    Refused(&'static str),
}

/// The source of `metric` over `window` in a run of `s`, or why there is none. District
/// metrics (`nev.scale.wujin`, `nev.new_listed.total`) are read over the window by the
/// district model; run metrics through the per-replication flow journal.
pub fn resolve(
    s: &Scenario,
    layout: &MetricLayout,
    metric: &str,
    window: Window,
) -> Result<TargetMetric, String> {
    let end = s.calendar.date(s.end - 1.0);
    if let Some(nev) = district_metric(s, metric) {
        return district_window(s, metric, nev, window, end);
    }
    let Some(index) = layout.index_of(metric) else {
        return Err(format!(
            "unknown metric `{metric}`; expected a metric of the run's summary.csv \
             (e.g. listings.new, firms.count.<tier>, nev.scale.<district>)"
        ));
    };
    match kind(s, layout, index) {
        Kind::Refused(why) => Err(format!("`{metric}` {why}")),
        Kind::OfYear(y) if window == Window::Year(y) => Ok(TargetMetric::Summary(metric.into())),
        Kind::OfYear(y) => Err(format!(
            "`{metric}` is already the value of calendar year {y}: expected the window `in {y}` \
             (a target: `year = {y}`), or the flow `outlay.total` / `outlay.line.<id>` over {}",
            window.label()
        )),
        Kind::LevelAtEnd if window.last_day() == end => Ok(TargetMetric::Summary(metric.into())),
        Kind::LevelAtEnd => Err(format!(
            "`{metric}` is a level at the scenario's end ({end}); the run keeps no history of \
             it, so it can be read only at the end: expected `by {end}`{}",
            if (end.month(), end.day()) == (12, 31) {
                format!(" or `in {}`", end.year())
            } else {
                String::new()
            }
        )),
        Kind::Flow { until, until_name } => {
            let (from, to) = days(s, window)?;
            if to > until {
                return Err(format!(
                    "`{metric}` is simulated up to {until_name} {}, and the window {} ends after it",
                    s.calendar.date(until - 1.0),
                    window.label()
                ));
            }
            if to <= 0.0 {
                return Err(format!(
                    "the window {} ends before the scenario's start {}",
                    window.label(),
                    s.calendar.date(0.0)
                ));
            }
            Ok(TargetMetric::Flow {
                metric: metric.into(),
                from,
                to,
            })
        }
    }
}

/// The days `[from, to)` of a window in `s`'s calendar.
fn days(s: &Scenario, window: Window) -> Result<(f64, f64), String> {
    let c = &s.calendar;
    match window {
        Window::Year(y) if y < c.first_year() || y > c.last_year() => Err(format!(
            "the year {y} is outside the scenario's calendar {} .. {}",
            c.first_year(),
            c.last_year()
        )),
        Window::Year(y) => Ok((c.year_start(y), c.year_start(y + 1))),
        Window::Through(d) => Ok((0.0, c.day(d) + 1.0)),
    }
}

fn kind(s: &Scenario, l: &MetricLayout, i: usize) -> Kind {
    let within = |at: usize, len: usize| (at..at + len).contains(&i);
    let outlay = Kind::Flow {
        until: s.payments_until,
        until_name: "payments_until",
    };
    let model = Kind::Flow {
        until: s.end,
        until_name: "the scenario's end",
    };
    if i == l.outlay_total
        || within(l.outlay_instrument, l.instruments)
        || within(l.outlay_funder, 2)
        || within(l.outlay_line, l.lines)
    {
        outlay
    } else if within(l.outlay_year, l.years) {
        Kind::OfYear(l.first_year + (i - l.outlay_year) as i32)
    } else if let Some(at) = [
        (l.outlay_line_year, l.lines),
        (l.outlay_instrument_year, l.instruments),
        (l.demand_line_year, l.lines),
        (l.carried_line_year, l.lines),
    ]
    .into_iter()
    .find(|&(at, items)| within(at, items * l.years))
    .map(|(at, _)| at)
    {
        Kind::OfYear(l.first_year + ((i - at) % l.years) as i32)
    } else if i == l.outlay_beyond {
        Kind::Refused(
            "is what is paid after `payments_until`: no calendar window of the run holds it",
        )
    } else if within(l.firms_count, l.tiers) {
        Kind::LevelAtEnd
    } else if within(l.firms_first_certified, l.tiers)
        || within(l.firms_certified, l.tiers)
        || i == l.firms_entered
        || i == l.firms_exited
        || within(l.listing_stage_entries, l.stages)
        || i == l.listings_new
    {
        model
    } else if i == l.ipo_regime {
        Kind::Refused("is a parameter drawn once per replication: it has no value over a window")
    } else {
        Kind::Refused(
            "is a target's own value, not a quantity of the model: it has no value over a window",
        )
    }
}

/// The quantity and district (`None`: the city-wide total) of a district metric's name.
fn district_metric(s: &Scenario, metric: &str) -> Option<(NevQuantity, Option<usize>)> {
    NevQuantity::ALL.iter().find_map(|&q| {
        let rest = metric.strip_prefix(q.metric_base())?.strip_prefix('.')?;
        if rest == "total" {
            return Some((q, None));
        }
        let d = s.districts.iter().position(|d| d.id == rest)?;
        Some((q, Some(d)))
    })
}

fn district_window(
    s: &Scenario,
    metric: &str,
    (quantity, district): (NevQuantity, Option<usize>),
    window: Window,
    end: NaiveDate,
) -> Result<TargetMetric, String> {
    if window.last_day() > end {
        return Err(format!(
            "the districts are simulated up to the scenario's end {end}, and the window {} ends after it",
            window.label()
        ));
    }
    let window = match window {
        Window::Year(y) => TargetWindow::Year(y),
        Window::Through(d) => {
            if quantity.is_level() && (d.month(), d.day()) != (12, 31) {
                return Err(format!(
                    "`{metric}` is an annual level: expected a year-end date (YYYY-12-31) or `in YYYY`"
                ));
            }
            TargetWindow::By(s.calendar.day(d) + 1.0)
        }
    };
    Ok(TargetMetric::Nev {
        quantity,
        district,
        window,
    })
}
