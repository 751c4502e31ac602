//! The tables of a run's report, and the number cells every report table uses.

use std::fmt::Write as _;

use super::{esc, ledger, MILLION};
use crate::actuals::TargetStatus;
use crate::output::tables::num;
use crate::scenario::types::TargetMetric;
use crate::scenario::Scenario;
use crate::stats::{Statistics, TargetSummary};

/// A number cell: `shown` for reading, the exact CSV text in the title.
pub(super) fn cell(x: f64, shown: String) -> String {
    format!("<td class=\"n\" title=\"{}\">{}</td>", num(x), shown)
}

pub(super) fn money(x: f64) -> String {
    cell(x, format!("{:.2}", x / MILLION))
}

pub(super) fn prob(x: f64) -> String {
    cell(x, format!("{:.4}", x))
}

pub(super) fn opt_cell(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "<td></td>".into())
}

pub(super) fn outlay_table(s: &Scenario, stats: &Statistics) -> String {
    let mut t = String::from(
        "<table><tr><th>metric (million yuan)</th><th>mean</th><th>P50</th><th>P90</th>\
         <th>P95</th><th>P99</th><th>max</th></tr>",
    );
    let mut names = crate::metrics::headline_outlay(s);
    if stats.from_actuals {
        names = ledger::split_names(&names);
    }
    for name in names {
        if let Some(m) = stats.metrics.iter().find(|m| m.name == name) {
            let _ = write!(
                t,
                "<tr><td><code>{}</code></td>{}{}{}{}{}{}</tr>",
                esc(&name),
                money(m.mean),
                money(m.quantiles[2]),
                money(m.quantiles[4]),
                money(m.quantiles[5]),
                money(m.quantiles[6]),
                money(m.max)
            );
        }
    }
    t.push_str("</table>");
    t
}

pub(super) fn budget_table(stats: &Statistics) -> String {
    let mut t = String::from(
        "<table><tr><th>budget line</th><th>label</th><th>year</th><th>overflow</th>\
         <th>appropriation</th><th>mean demand</th><th>mean outlay</th><th>P50 outlay</th>\
         <th>P95 outlay</th><th>P(exceed)</th><th>expected overrun</th><th>CVaR95 demand</th>\
         <th>mean carried over</th>",
    );
    if stats.from_actuals {
        t.push_str(ledger::BUDGET_HEADINGS);
    }
    t.push_str("</tr>");
    for b in &stats.budget {
        let _ = write!(
            t,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}{}{}{}{}{}{}</tr>",
            esc(&b.line),
            esc(&b.label),
            b.year,
            b.overflow,
            opt_cell(b.appropriation, money),
            money(b.mean_demand),
            money(b.mean_outlay),
            money(b.p50_outlay),
            money(b.p95_outlay),
            opt_cell(b.p_exceed, prob),
            opt_cell(b.expected_overrun, money),
            money(b.cvar95_demand),
            money(b.mean_carried_over),
            b.ledger.map_or_else(String::new, |part| ledger::budget_cells(&part, money)),
        );
    }
    t.push_str("</table>");
    t
}

/// The district a target is about, for grouping (city-wide when none).
pub(super) fn target_group(s: &Scenario, id: &str) -> (usize, String) {
    let district = s
        .targets
        .iter()
        .find(|t| t.id == id)
        .and_then(|t| match t.metric {
            TargetMetric::Nev { district, .. } => district,
            TargetMetric::Summary(_) | TargetMetric::Flow { .. } => None,
        });
    match district {
        Some(d) => (d + 1, s.districts[d].label.clone()),
        None => (0, "全市 city-wide".to_string()),
    }
}

/// Targets in display order: grouped by district (city-wide first), scenario order within.
pub(super) fn grouped<'a>(
    s: &Scenario,
    targets: &'a [TargetSummary],
) -> Vec<(String, Vec<&'a TargetSummary>)> {
    let mut groups: Vec<(usize, String, Vec<&TargetSummary>)> = Vec::new();
    for t in targets {
        let (k, label) = target_group(s, &t.id);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.2.push(t),
            None => groups.push((k, label, vec![t])),
        }
    }
    groups.sort_by_key(|g| g.0);
    groups.into_iter().map(|(_, l, v)| (l, v)).collect()
}

pub(super) fn targets_table(s: &Scenario, targets: &[TargetSummary]) -> String {
    let mut t = String::from(
        "<table><tr><th>target</th><th>label</th><th>metric</th><th>window</th><th>goal</th>\
         <th>P(attained)</th><th>95% low</th><th>95% high</th><th>mean</th><th>P05</th>\
         <th>P50</th><th>P95</th>",
    );
    let from_actuals = targets.first().is_some_and(|x| x.status.is_some());
    if from_actuals {
        t.push_str(ledger::TARGET_HEADING);
    }
    t.push_str("</tr>");
    let plain = |x: f64| cell(x, format!("{}", (x * 100.0).round() / 100.0));
    for (group, items) in grouped(s, targets) {
        let _ = write!(
            t,
            "<tr class=\"g\"><td colspan=\"{}\">{}</td></tr>",
            12 + usize::from(from_actuals),
            esc(&group)
        );
        for x in items {
            let cmp = x.comparator.symbol();
            // An unknown target of a run from actuals has no statistics to show.
            let figures = if x.status == Some(TargetStatus::Unknown) {
                "<td></td>".repeat(7)
            } else {
                [
                    prob(x.probability),
                    prob(x.ci_low),
                    prob(x.ci_high),
                    plain(x.mean),
                    plain(x.p05),
                    plain(x.p50),
                    plain(x.p95),
                ]
                .concat()
            };
            let _ = write!(
                t,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td>\
                 <td title=\"{}\">{} {}</td>{}{}</tr>",
                esc(&x.id),
                esc(&x.label),
                esc(&x.metric),
                esc(&x.window),
                num(x.threshold),
                cmp,
                num(x.threshold),
                figures,
                x.status.map_or("", ledger::target_source),
            );
        }
    }
    t.push_str("</table>");
    t
}
