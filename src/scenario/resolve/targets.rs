//! `[[target]]`: a threshold on a metric in a window (`by` a date or during a `year`),
//! whose probability of being met every run reports.

use chrono::{Datelike, NaiveDate};

use super::super::error::{Result, ScenarioError};
use super::super::node::Origin;
use super::super::read::{as_date, as_str, as_u64, TableReader};
use super::super::types::*;
use super::ids::Ids;
use super::resolver::Resolver;
use crate::metric_window::Window;

/// A run-metric target whose name, and window if it has one, can only be checked once
/// the metric layout exists.
pub struct SummaryCheck {
    pub name: String,
    pub origin: Origin,
    pub key_path: String,
    /// The target (its index among the enabled ones) read over a window other than the
    /// whole run, with where the window was written.
    pub window: Option<(usize, Window, Origin, String)>,
}

pub fn resolve_targets(
    r: &Resolver,
    top: &TableReader<'_>,
    districts: &[District],
    nev_start: NaiveDate,
) -> Result<(Vec<Target>, Vec<SummaryCheck>)> {
    let mut ids = Ids::new("target", &[]);
    let mut targets: Vec<Target> = Vec::new();
    let mut summary_checks = Vec::new();
    for (node, path) in top.array("target")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        ids.add(&id, &t.required("id")?.origin, &t.key_path("id"))?;
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let enabled = t.opt_bool("enabled")?.unwrap_or(true);
        let window = resolve_window(r, &t, nev_start)?;
        let (metric, metric_name, window_label, deferred) =
            resolve_metric(r, &t, districts, window)?;
        if let (TargetMetric::Summary(name), true) = (&metric, enabled) {
            let window = match deferred {
                Some(w) => {
                    let key = if t.get("year").is_some() {
                        "year"
                    } else {
                        "by"
                    };
                    let origin = t.required(key)?.origin.clone();
                    Some((targets.len(), w, origin, t.key_path(key)))
                }
                None => None,
            };
            summary_checks.push(SummaryCheck {
                name: name.clone(),
                origin: t.required("metric")?.origin.clone(),
                key_path: t.key_path("metric"),
                window,
            });
        }
        let comparator = match (t.opt_f64("at_least")?, t.opt_f64("at_most")?) {
            (Some(x), None) => Comparator::AtLeast(x),
            (None, Some(x)) => Comparator::AtMost(x),
            _ => {
                return Err(ScenarioError::at(
                    &node.origin,
                    &path,
                    "expected exactly one of `at_least` or `at_most`",
                ))
            }
        };
        t.finish()?;
        if enabled {
            targets.push(Target {
                id,
                label,
                metric_name,
                metric,
                comparator,
                window_label,
            });
        }
    }
    Ok((targets, summary_checks))
}

/// `by = date` or `year = YYYY`, with the label `targets.csv` shows for it.
fn resolve_window(
    r: &Resolver,
    t: &TableReader<'_>,
    nev_start: NaiveDate,
) -> Result<Option<(TargetWindow, String)>> {
    match (t.get("by"), t.get("year")) {
        (Some(n), None) => {
            let day = r.date_in(n, &t.key_path("by"), nev_start.min(r.start), r.end)? + 1.0;
            Ok(Some((
                TargetWindow::By(day),
                format!("by {}", as_date(n, &t.key_path("by"))?),
            )))
        }
        (None, Some(n)) => {
            // An integer: `year = 2024.5` must not pass as 2024.
            let y = as_u64(n, &t.key_path("year"))?.min(i32::MAX as u64) as i32;
            if y < nev_start.year().min(r.start.year()) || y > r.end.year() {
                return Err(ScenarioError::at(
                    &n.origin,
                    &t.key_path("year"),
                    format!(
                        "year {y} is outside the horizon {} .. {}",
                        nev_start.year().min(r.start.year()),
                        r.end.year()
                    ),
                ));
            }
            Ok(Some((TargetWindow::Year(y), format!("in {y}"))))
        }
        (Some(_), Some(n)) => Err(ScenarioError::at(
            &n.origin,
            &t.key_path("year"),
            "expected either `by` or `year`, not both",
        )),
        (None, None) => Ok(None),
    }
}

/// The metric a target reads, its name, its window's label and, for a run metric read
/// over a window other than the whole run, that window (resolved once the metric layout
/// exists, by `metric_window`).
fn resolve_metric(
    r: &Resolver,
    t: &TableReader<'_>,
    districts: &[District],
    window: Option<(TargetWindow, String)>,
) -> Result<(TargetMetric, String, String, Option<Window>)> {
    let metric_node = t.required("metric")?;
    let metric_text = as_str(metric_node, &t.key_path("metric"))?.to_string();
    let district_node = t.get("district");
    // `nev.scale` + district, or a full name `nev.scale.wujin` / `nev.new_listed.total`.
    let (base, district_id) = match district_node {
        Some(n) => (
            metric_text.clone(),
            Some((as_str(n, &t.key_path("district"))?.to_string(), n)),
        ),
        None => match NevQuantity::ALL
            .iter()
            .find(|q| metric_text.starts_with(&format!("{}.", q.metric_base())))
        {
            Some(q) => {
                let rest = &metric_text[q.metric_base().len() + 1..];
                (
                    q.metric_base().to_string(),
                    Some((rest.to_string(), metric_node)),
                )
            }
            None => (metric_text.clone(), None),
        },
    };
    let quantity = NevQuantity::ALL
        .iter()
        .copied()
        .find(|q| q.metric_base() == base);
    match quantity {
        Some(quantity) => {
            let district = match district_id {
                None => None,
                Some((d, _)) if d == "total" => None,
                Some((d, n)) => {
                    let key = if district_node.is_some() {
                        "district"
                    } else {
                        "metric"
                    };
                    Some(
                        r.districts
                            .find(&d, &n.origin, &t.key_path(key), 0, &["total"])?,
                    )
                }
            };
            let (window, label) = window.unwrap_or((
                TargetWindow::By(r.calendar.day(r.end) + 1.0),
                format!("by {}", r.end),
            ));
            if quantity.is_level() {
                if let TargetWindow::By(day) = window {
                    let d = r.calendar.date(day - 1.0);
                    if (d.month(), d.day()) != (12, 31) {
                        return Err(ScenarioError::at(
                            &t.required("by")?.origin,
                            &t.key_path("by"),
                            format!("`{base}` is an annual level: expected a year-end date (YYYY-12-31) or `year`"),
                        ));
                    }
                }
            }
            let name = format!(
                "{base}.{}",
                district.map_or("total", |d| districts[d].id.as_str())
            );
            Ok((
                TargetMetric::Nev {
                    quantity,
                    district,
                    window,
                },
                name,
                label,
                None,
            ))
        }
        None => {
            if let Some(n) = district_node {
                return Err(ScenarioError::at(
                    &n.origin,
                    &t.key_path("district"),
                    format!("`{metric_text}` is not a district metric"),
                ));
            }
            // The year's outlay, in total or of a line, is a metric of its own; any other
            // window is checked against the metric's kind once the layout exists.
            let summary = TargetMetric::Summary(metric_text.clone());
            match window {
                Some((TargetWindow::Year(y), label)) => match year_metric(r, &metric_text, y) {
                    Some(read) => Ok((TargetMetric::Summary(read), metric_text, label, None)),
                    None => Ok((summary, metric_text, label, Some(Window::Year(y)))),
                },
                Some((TargetWindow::By(day), label)) if day != r.calendar.day(r.end) + 1.0 => {
                    let date = r.calendar.date(day - 1.0);
                    Ok((summary, metric_text, label, Some(Window::Through(date))))
                }
                _ => Ok((summary, metric_text, format!("by {}", r.end), None)),
            }
        }
    }
}

/// The row metric holding a run metric's flow during calendar year `y`, where the run
/// computes one: the year's outlay, in total or of one budget line. A flow the run only
/// counts over the whole run (listings, certifications, an instrument's outlay) has none.
fn year_metric(r: &Resolver, metric: &str, y: i32) -> Option<String> {
    if metric == "outlay.total" {
        return Some(format!("outlay.year.{y}"));
    }
    let line = metric.strip_prefix("outlay.line.")?;
    r.budget_lines
        .position(line)
        .map(|_| format!("outlay.line.{line}.{y}"))
}
