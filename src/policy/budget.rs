//! Budget lines: what is actually paid, year by year, once appropriations and the
//! overflow rule (`none`, `defer`, `prorate`) are applied to the claims.

use super::instrument::Claim;
use crate::calendar::Calendar;
use crate::metrics::total;
use crate::scenario::types::{BudgetLine, Overflow};

/// One payment made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Payment {
    pub day: f64,
    pub instrument: u32,
    pub amount: f64,
}

/// A budget line's year: what fell due (including liability carried in), what was paid
/// and what was carried out to the next year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineYear {
    pub demand: f64,
    pub paid: f64,
    pub carried: f64,
}

/// Whether settling the line needs its claims in the order they fall due: only when an
/// appropriation can bind (`defer` or `prorate` with a limit in some year).
pub fn needs_order(line: &BudgetLine) -> bool {
    line.overflow != Overflow::None && line.appropriation.iter().any(Option::is_some)
}

/// Settles a claim of a line no appropriation limits (see `needs_order`): it is paid when
/// it falls due, in calendar year `year`, and counts towards that year's demand (claims
/// after the last year are reported as falling after the horizon). Claims may come in
/// any order.
pub fn pay_as_due(claim: &Claim, year: i32, calendar: &Calendar, years: &mut [LineYear]) {
    let k = (year - calendar.first_year()).max(0) as usize;
    if let Some(y) = years.get_mut(k) {
        y.demand += claim.amount;
        y.paid += claim.amount;
    }
}

/// Settles one budget line's claims (sorted by day) into payments.
///
/// `years[k]` receives calendar year `first_year + k`; claims due after the last year are
/// paid as they fall (they are reported as after the horizon) and never limited.
pub fn settle(
    line: &BudgetLine,
    claims: &[Claim],
    calendar: &Calendar,
    payments: &mut Vec<Payment>,
    years: &mut [LineYear],
) {
    let first_year = calendar.first_year();
    let n_years = years.len();
    years.iter_mut().for_each(|y| *y = LineYear::default());
    let mut next = 0;
    // Liability carried into the current year: (instrument, amount), oldest first.
    let mut carried: Vec<(u32, f64)> = Vec::new();
    for (k, year) in years.iter_mut().enumerate() {
        let year_end = calendar.year_start(first_year + k as i32 + 1);
        let from = next;
        while next < claims.len() && claims[next].day < year_end {
            next += 1;
        }
        let due = &claims[from..next];
        let carried_in = total(carried.iter().map(|c| c.1));
        year.demand = carried_in + total(due.iter().map(|c| c.amount));
        let limit = line.appropriation[k];
        match (line.overflow, limit) {
            (Overflow::None, _) | (_, None) => {
                let jan_first = calendar.year_start(first_year + k as i32);
                for (instrument, amount) in carried.drain(..) {
                    payments.push(Payment {
                        day: jan_first,
                        instrument,
                        amount,
                    });
                }
                payments.extend(due.iter().map(|c| Payment {
                    day: c.day,
                    instrument: c.instrument,
                    amount: c.amount,
                }));
                year.paid = year.demand;
            }
            (Overflow::Prorate, Some(limit)) => {
                let scale = if year.demand > limit {
                    limit / year.demand
                } else {
                    1.0
                };
                payments.extend(due.iter().map(|c| Payment {
                    day: c.day,
                    instrument: c.instrument,
                    amount: c.amount * scale,
                }));
                year.paid = total(due.iter().map(|c| c.amount * scale));
            }
            (Overflow::Defer, Some(limit)) => {
                // First come, first served: liability carried in, then this year's claims
                // in the order they fell due; what does not fit moves to next year.
                let jan_first = calendar.year_start(first_year + k as i32);
                let mut room = limit;
                let mut still_owed: Vec<(u32, f64)> = Vec::new();
                let queue = carried
                    .drain(..)
                    .map(|(i, a)| (jan_first, i, a))
                    .chain(due.iter().map(|c| (c.day, c.instrument, c.amount)));
                for (day, instrument, amount) in queue {
                    let pay = amount.min(room);
                    if pay > 0.0 {
                        payments.push(Payment {
                            day,
                            instrument,
                            amount: pay,
                        });
                        room -= pay;
                        year.paid += pay;
                    }
                    if amount - pay > 0.0 {
                        still_owed.push((instrument, amount - pay));
                    }
                }
                year.carried = total(still_owed.iter().map(|c| c.1));
                carried = still_owed;
            }
        }
    }
    // Claims after the last reported year (and liability still carried) are reported as
    // falling after the horizon.
    let after = calendar.year_start(first_year + n_years as i32);
    for (instrument, amount) in carried {
        payments.push(Payment {
            day: after,
            instrument,
            amount,
        });
    }
    payments.extend(claims[next..].iter().map(|c| Payment {
        day: c.day,
        instrument: c.instrument,
        amount: c.amount,
    }));
}
