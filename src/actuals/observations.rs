//! `observations.csv`: aggregate quantities observed over a window, what a backtest
//! scores the model's predictive distribution against.

use std::path::Path;

use chrono::{Datelike, NaiveDate};

use super::error::Result;
use super::table::{Range, Table};
use super::Bounds;
use crate::metric_window::{self, Window};
use crate::metrics::MetricLayout;
use crate::scenario::types::Scenario;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ObservedWindow {
    /// The calendar year.
    In(i32),
    /// From the start to the end of the day.
    By(NaiveDate),
}

impl From<ObservedWindow> for Window {
    fn from(w: ObservedWindow) -> Window {
        match w {
            ObservedWindow::In(y) => Window::Year(y),
            ObservedWindow::By(d) => Window::Through(d),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// A run metric's name (`listings.new`, `nev.scale.wujin`, ...).
    pub metric: String,
    pub window: ObservedWindow,
    pub value: f64,
}

pub fn read(dir: &Path, s: &Scenario, bounds: &Bounds) -> Result<Vec<Observation>> {
    let Some(table) = Table::read(dir, "observations.csv", &["metric", "window", "value"], &[])?
    else {
        return Ok(Vec::new());
    };
    let layout = MetricLayout::new(s);
    let mut observations = Vec::new();
    for row in table.rows() {
        let metric = row.required("metric")?;
        if layout.index_of(metric).is_none() {
            return Err(row.error(
                "metric",
                format!(
                    "unknown metric `{metric}`; expected a metric of the run's summary.csv \
                     (e.g. listings.new, firms.count.<tier>, nev.scale.<district>)"
                ),
            ));
        }
        let text = row.required("window")?;
        let bad = || {
            row.error(
                "window",
                format!(
                    "expected `in YYYY` or `by YYYY-MM-DD` (a date that exists), found `{text}`"
                ),
            )
        };
        let (window, last_day) = match text.split_once(' ') {
            Some(("in", y)) => {
                let year: i32 = y.parse().map_err(|_| bad())?;
                let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
                (ObservedWindow::In(year), last)
            }
            Some(("by", d)) => {
                let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| bad())?;
                (ObservedWindow::By(date), date)
            }
            _ => return Err(bad()),
        };
        if last_day.year() > s.calendar.last_year() {
            return Err(row.error(
                "window",
                format!(
                    "the window ends {last_day}, after the scenario's last year {}",
                    s.calendar.last_year()
                ),
            ));
        }
        if let Some(why) = bounds.check(last_day) {
            return Err(row.error("window", format!("the window ends {last_day}: {why}")));
        }
        // Only a successor policy (docs/model.md) gets here with a window that ends before
        // its start: that observation is its predecessor's record, not one of its metrics.
        if last_day < s.calendar.date(0.0) {
            row.required("value")?;
            continue;
        }
        if let Err(why) = metric_window::resolve(s, &layout, metric, window.into()) {
            return Err(row.error("window", format!("{text}: {why}")));
        }
        row.required("value")?;
        let value = row
            .number("value", Range::Any)?
            .expect("a required field is present");
        observations.push(Observation {
            metric: metric.to_string(),
            window,
            value,
        });
    }
    Ok(observations)
}
