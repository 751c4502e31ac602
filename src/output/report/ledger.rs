//! The parts of `report.html` only a run from actuals has: the as-of note, paid to date
//! and remaining columns, observed targets, and the ledger's line in the fan chart.

use plotters::prelude::*;

use super::chart::Chart;
use super::{esc, MILLION};
use crate::actuals::{Ledger, TargetStatus};
use crate::scenario::Scenario;
use crate::stats::LedgerPart;

/// The ledger's cumulative outlay (million yuan) per month of the series, up to and
/// including the as-of month, where the fan starts.
pub struct PaidToDate {
    pub cumulative: Vec<f64>,
    pub as_of_month: usize,
}

pub fn cumulative_paid(s: &Scenario, ledger: &Ledger) -> PaidToDate {
    let last = ledger.months.len().saturating_sub(1);
    let as_of_month = s.calendar.month_of(s.calendar.day(ledger.as_of)).min(last);
    let mut sum = 0.0;
    let cumulative = ledger.months[..=as_of_month.min(last)]
        .iter()
        .map(|m| {
            sum += m;
            sum / MILLION
        })
        .collect();
    PaidToDate {
        cumulative,
        as_of_month,
    }
}

/// The line under the title saying what the run took as given.
pub fn note(ledger: &Ledger) -> String {
    let count = |name: &str| ledger.targets.iter().filter(|t| t.name() == name).count();
    format!(
        "<p class=\"sub\">{} {}: payments up to that day are the ledger's (<code>outlay.actual.*</code>, \
         the same in every replication), the rest is simulated (<code>outlay.remaining.*</code>); \
         outlay and demand are their sums. Of the targets whose window closed by then, {} are \
         read from the actuals (observed) and {} are not in them (unknown: no statistics).</p>",
        esc("从实际数据起算 Run from actuals as of"),
        ledger.as_of,
        count("observed"),
        count("unknown")
    )
}

/// `names` (outlay metrics) each followed by its ledger and simulated parts.
pub fn split_names(names: &[String]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| {
            let rest = n.strip_prefix("outlay.").unwrap_or(n);
            [
                n.clone(),
                format!("outlay.actual.{rest}"),
                format!("outlay.remaining.{rest}"),
            ]
        })
        .collect()
}

pub const BUDGET_HEADINGS: &str =
    "<th>paid to date</th><th>mean remaining demand</th><th>mean remaining outlay</th>";

pub fn budget_cells(part: &LedgerPart, money: fn(f64) -> String) -> String {
    format!(
        "{}{}{}",
        money(part.paid_to_date),
        money(part.mean_remaining_demand),
        money(part.mean_remaining_outlay)
    )
}

pub const TARGET_HEADING: &str = "<th>source</th>";

/// The cell saying whether a target was simulated, observed or is unknown.
pub fn target_source(status: TargetStatus) -> &'static str {
    match status {
        TargetStatus::Simulated => "<td>simulated 模拟</td>",
        TargetStatus::Observed(..) => "<td>observed 已观测</td>",
        TargetStatus::Unknown => "<td>unknown 未观测</td>",
    }
}

/// The ledger's cumulative outlay as a line, month by month up to the as-of month.
pub fn draw_paid_to_date(
    chart: &mut Chart<'_, '_>,
    paid: &PaidToDate,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    // Apart from the fan's blue and the appropriations' black.
    let color = RGBColor(230, 85, 13);
    chart
        .draw_series(LineSeries::new(
            paid.cumulative
                .iter()
                .enumerate()
                .map(|(i, y)| (i as f64 + 0.5, *y)),
            color.stroke_width(3),
        ))?
        .label("paid to date 已支付 (ledger)")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3)));
    Ok(())
}
