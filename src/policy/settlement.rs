//! Settlement: after the run, claims become payments under each budget line's rule, and
//! the payments fill the row's outlay metrics and the monthly outlay series.

use super::budget::{pay_as_due, settle, LineYear, Payment};
use super::due_order::DueOrder;
use super::instrument::Claim;
use crate::engine::events::ModelEvents;
use crate::engine::FlowJournal;
use crate::metrics::{MetricLayout, SERIES_OUTLAY};
use crate::scenario::types::Scenario;

/// A settlement's working memory.
#[derive(Default)]
pub struct Settlement {
    line_claims: Vec<Claim>,
    due_order: DueOrder,
    payments: Vec<Payment>,
    line_years: Vec<LineYear>,
}

impl Settlement {
    /// Settles `claims` line by line (`ordered_lines[l]`: whether line `l` must pay in the
    /// order claims fall due), writing outlay, demand and carried liability into `row`
    /// and the outlay series into `series`. `paid_to_date` (per line-year, empty in a plain
    /// run) is what the ledger of a run from actuals already paid from each appropriation.
    #[allow(clippy::too_many_arguments)]
    pub fn settle(
        &mut self,
        s: &Scenario,
        layout: &MetricLayout,
        ordered_lines: &[bool],
        paid_to_date: &[f64],
        claims: &[Claim],
        row: &mut [f64],
        series: &mut [f64],
        events: &mut ModelEvents,
        flows: &mut FlowJournal,
    ) {
        let n_years = layout.years;
        self.line_years.clear();
        self.line_years
            .resize(s.budget_lines.len() * n_years, LineYear::default());
        self.payments.clear();
        // Lines no appropriation limits pay every claim as it falls due, in one pass.
        for c in claims {
            let l = s.instruments[c.instrument as usize].budget_line;
            if !ordered_lines[l] {
                let (year, month) = s.calendar.year_and_month_of(c.day);
                let years = &mut self.line_years[l * n_years..(l + 1) * n_years];
                pay_as_due(c, year, &s.calendar, years);
                let paid = Payment::in_full(c);
                record_payment(row, series, flows, layout, s, &paid, (year, month));
                events.payments += 1;
            }
        }
        for (l, line) in s.budget_lines.iter().enumerate() {
            let years = &mut self.line_years[l * n_years..(l + 1) * n_years];
            if ordered_lines[l] {
                self.line_claims.clear();
                self.line_claims.extend(
                    claims
                        .iter()
                        .filter(|c| s.instruments[c.instrument as usize].budget_line == l)
                        .copied(),
                );
                self.due_order.sort(&mut self.line_claims);
                let paid = paid_to_date.get(l * n_years..(l + 1) * n_years);
                settle(
                    line,
                    paid.unwrap_or(&[]),
                    &self.line_claims,
                    &s.calendar,
                    &mut self.payments,
                    years,
                );
            }
            for (k, y) in years.iter().enumerate() {
                row[layout.demand_line_year + layout.line_year(l, k)] = y.demand;
                row[layout.carried_line_year + layout.line_year(l, k)] = y.carried;
            }
        }
        events.payments += self.payments.len() as u64;
        for p in &self.payments {
            let (year, month) = s.calendar.year_and_month_of(p.day);
            record_payment(row, series, flows, layout, s, p, (year, month));
        }
    }
}

/// Adds a payment (made in `year`, series `month`) to the outlay metrics of the row, the
/// flow journal and the monthly outlay series.
#[inline(always)]
fn record_payment(
    row: &mut [f64],
    series: &mut [f64],
    flows: &mut FlowJournal,
    layout: &MetricLayout,
    s: &Scenario,
    paid: &Payment,
    (year, month): (i32, usize),
) {
    let inst = &s.instruments[paid.instrument as usize];
    let amount = paid.amount;
    for (metric, value) in layout.payment_flows(s, paid.instrument as usize, amount) {
        row[metric] += value;
        flows.record(metric, paid.day, value);
    }
    if paid.day >= s.payments_until {
        row[layout.outlay_beyond] += amount;
    } else {
        let k = (year - layout.first_year) as usize;
        row[layout.outlay_year + k] += amount;
        row[layout.outlay_line_year + layout.line_year(inst.budget_line, k)] += amount;
        row[layout.outlay_instrument_year + layout.instrument_year(paid.instrument as usize, k)] +=
            amount;
        series[SERIES_OUTLAY * layout.months + month] += amount;
    }
}
