//! The row charts of a run's report: outlay by instrument, attainment by target.

use super::tables::grouped;
use super::{label_with_id, row_chart, Row, MILLION};
use crate::scenario::Scenario;
use crate::stats::Statistics;

/// Mean outlay by instrument (bars) with the P95 as a whisker from the mean.
pub(super) fn instrument_chart(s: &Scenario, stats: &Statistics) -> String {
    let rows: Vec<Row> = s
        .instruments
        .iter()
        .filter_map(|i| {
            let m = stats
                .metrics
                .iter()
                .find(|m| m.name == format!("outlay.instrument.{}", i.id))?;
            Some(Row {
                label: label_with_id(&i.label, &i.id),
                value: m.mean / MILLION,
                interval: Some((m.mean / MILLION, m.quantiles[5] / MILLION)),
                heading: false,
            })
        })
        .collect();
    let max = rows
        .iter()
        .map(|r| r.interval.map_or(r.value, |i| i.1))
        .fold(0.0f64, f64::max)
        .max(0.01)
        * 1.05;
    row_chart(
        "按政策工具支出 Outlay by instrument: mean (bar) to P95 (line), million yuan",
        "million yuan 百万元",
        &rows,
        (0.0, max),
        true,
    )
}

/// Attainment probability with its Wilson interval, grouped by district.
pub(super) fn targets_chart(s: &Scenario, stats: &Statistics) -> String {
    let mut rows = Vec::new();
    for (group, items) in grouped(s, &stats.targets) {
        rows.push(Row::heading(group));
        rows.extend(items.iter().map(|t| Row {
            label: label_with_id(&t.label, &t.id),
            value: t.probability,
            interval: Some((t.ci_low, t.ci_high)),
            heading: false,
        }));
    }
    row_chart(
        "目标达成概率 Probability each target is attained, with 95% Wilson interval, by district",
        "probability 概率",
        &rows,
        (0.0, 1.0),
        false,
    )
}
