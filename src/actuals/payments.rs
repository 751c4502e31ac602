//! `payments.csv`: the ledger of what was paid, to which firm, under which instrument.

use std::path::Path;

use super::error::Result;
use super::table::{Range, Table};
use super::{firm_ids, happened_on, row_firm, Bounds, KnownFirm};
use crate::scenario::types::Scenario;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LedgerPayment {
    pub paid_on: f64,
    /// Index into `Actuals::firms`.
    pub firm: usize,
    /// Index into the scenario's instruments.
    pub instrument: usize,
    /// Yuan.
    pub amount: f64,
    /// The day of the trigger the payment is for, when the ledger records it.
    pub triggered_on: Option<f64>,
}

pub fn read(
    dir: &Path,
    s: &Scenario,
    bounds: &Bounds,
    firms: &[KnownFirm],
) -> Result<Vec<LedgerPayment>> {
    let Some(table) = Table::read(
        dir,
        "payments.csv",
        &["paid_on", "firm_id", "instrument", "amount"],
        &["triggered_on", "budget_line"],
    )?
    else {
        return Ok(Vec::new());
    };
    let ids = firm_ids(firms);
    let mut payments = Vec::new();
    for row in table.rows() {
        let paid_on = happened_on(&row, "paid_on", bounds)?;
        let firm = row_firm(&ids, &row)?;
        let name = row.required("instrument")?;
        let instrument = s
            .instruments
            .iter()
            .position(|i| i.id == name)
            .ok_or_else(|| {
                let known: Vec<&str> = s.instruments.iter().map(|i| i.id.as_str()).collect();
                row.error(
                    "instrument",
                    format!(
                        "unknown instrument `{name}`; expected one of {}",
                        known.join(", ")
                    ),
                )
            })?;
        row.required("amount")?;
        let amount = row
            .number("amount", Range::Money)?
            .expect("a required field is present");
        let triggered_on = row.date("triggered_on")?;
        if let Some(trigger) = triggered_on {
            if let Some(why) = bounds.check(trigger) {
                return Err(row.error("triggered_on", why));
            }
            if trigger > paid_on {
                return Err(row.error(
                    "triggered_on",
                    format!("the trigger {trigger} is after the payment {paid_on}; expected a payment on or after its trigger"),
                ));
            }
        }
        if let Some(line) = row.optional("budget_line") {
            let expected = &s.budget_lines[s.instruments[instrument].budget_line].id;
            if line != expected {
                return Err(row.error(
                    "budget_line",
                    format!(
                        "instrument `{name}` is paid from budget line `{expected}`, not `{line}`"
                    ),
                ));
            }
        }
        payments.push(LedgerPayment {
            paid_on: s.calendar.day(paid_on),
            firm,
            instrument,
            amount,
            triggered_on: triggered_on.map(|d| s.calendar.day(d)),
        });
    }
    Ok(payments)
}
