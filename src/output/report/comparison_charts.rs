//! The row charts of a comparison's report: paired differences of outlay and of
//! attainment.

use super::chart::symmetric_range;
use super::{label_with_id, row_chart, Row, MILLION};
use crate::compare::Comparison;

/// Outlay differences (b − a) with their paired intervals.
pub(super) fn difference_chart(c: &Comparison) -> String {
    let rows: Vec<Row> = c
        .metrics
        .iter()
        .filter(|m| {
            m.metric == "outlay.total"
                || m.metric.starts_with("outlay.year.")
                || m.metric == "outlay.after_horizon"
                || m.metric.starts_with("outlay.funder.")
                || (m.metric.starts_with("outlay.line.") && m.metric.matches('.').count() == 2)
                || (m.metric.starts_with("outlay.instrument.") && m.diff.mean_diff != 0.0)
        })
        .map(|m| Row {
            label: m.metric.clone(),
            value: m.diff.mean_diff / MILLION,
            interval: Some((m.diff.ci95_low / MILLION, m.diff.ci95_high / MILLION)),
            heading: false,
        })
        .collect();
    row_chart(
        &format!(
            "支出差异 Outlay difference {} − {} with 95% paired interval (million yuan)",
            c.scenario_b, c.scenario_a
        ),
        "million yuan 百万元",
        &rows,
        symmetric_range(&rows),
        false,
    )
}

/// The targets whose probability changed most, with the change's paired interval.
pub(super) fn target_change_chart(c: &Comparison) -> Option<String> {
    if c.targets.is_empty() {
        return None;
    }
    let mut t: Vec<_> = c.targets.iter().filter(|t| t.change != 0.0).collect();
    if t.is_empty() {
        return None;
    }
    t.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
    t.truncate(20);
    let rows: Vec<Row> = t
        .iter()
        .map(|x| Row {
            label: label_with_id(&x.label, &x.target),
            value: x.change,
            interval: Some((x.change_ci95_low, x.change_ci95_high)),
            heading: false,
        })
        .collect();
    Some(row_chart(
        &format!(
            "目标概率变化 Change in attainment probability {} − {} (largest {}), 95% paired interval",
            c.scenario_b,
            c.scenario_a,
            rows.len()
        ),
        "change in probability 概率变化",
        &rows,
        symmetric_range(&rows),
        false,
    ))
}
