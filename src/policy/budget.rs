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

impl Payment {
    /// A claim paid in full on the day it falls due.
    pub fn in_full(claim: &Claim) -> Payment {
        Payment {
            day: claim.day,
            instrument: claim.instrument,
            amount: claim.amount,
        }
    }
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

/// What can still be paid in a year that has paid `paid` of `limit`: the payment that
/// brings `paid + payment` (as it rounds) to `limit` exactly, never above. A year's
/// payments are added up in the order they are made, here and in the outlay metrics, so a
/// year that uses its whole appropriation reports exactly the appropriation.
fn room_left(paid: f64, limit: f64) -> f64 {
    let mut room = (limit - paid).max(0.0);
    if room == 0.0 {
        return 0.0;
    }
    // `limit - paid` may be off by a unit in the last place, and so may `paid + room`.
    if paid + room > limit {
        room = f64::from_bits(room.to_bits() - 1);
    } else if paid + f64::from_bits(room.to_bits() + 1) <= limit {
        room = f64::from_bits(room.to_bits() + 1);
    }
    room
}

/// Settles one budget line's claims (sorted by day) into payments.
///
/// `years[k]` receives calendar year `first_year + k`; claims due after the last year are
/// paid as they fall (they are reported as after the horizon) and never limited.
/// `paid_to_date[k]` (empty in a plain run) is what the ledger already paid in year `k`
/// of a run from actuals: it uses the appropriation first, and the claims share what is
/// left of it (docs/model.md, "Runs from actuals").
pub fn settle(
    line: &BudgetLine,
    paid_to_date: &[f64],
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
        let limit = line.appropriation[k].map(|a| match paid_to_date.get(k) {
            Some(&paid) => room_left(paid, a),
            None => a,
        });
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
                payments.extend(due.iter().map(Payment::in_full));
                year.paid = year.demand;
            }
            (Overflow::Prorate, Some(limit)) => {
                let binds = year.demand > limit;
                let scale = if binds { limit / year.demand } else { 1.0 };
                for (n, c) in due.iter().enumerate() {
                    // Scaled claims, never past the limit; the last claim of a year that
                    // binds takes what is left, so the year pays its appropriation exactly.
                    let room = room_left(year.paid, limit);
                    let last = n + 1 == due.len();
                    let amount = if binds && last {
                        room
                    } else {
                        (c.amount * scale).min(room)
                    };
                    payments.push(Payment {
                        day: c.day,
                        instrument: c.instrument,
                        amount,
                    });
                    year.paid += amount;
                }
            }
            (Overflow::Defer, Some(limit)) => {
                // First come, first served: liability carried in, then this year's claims
                // in the order they fell due; what does not fit moves to next year.
                let jan_first = calendar.year_start(first_year + k as i32);
                let mut still_owed: Vec<(u32, f64)> = Vec::new();
                let queue = carried
                    .drain(..)
                    .map(|(i, a)| (jan_first, i, a))
                    .chain(due.iter().map(|c| (c.day, c.instrument, c.amount)));
                for (day, instrument, amount) in queue {
                    let pay = amount.min(room_left(year.paid, limit));
                    if pay > 0.0 {
                        payments.push(Payment {
                            day,
                            instrument,
                            amount: pay,
                        });
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
    payments.extend(claims[next..].iter().map(Payment::in_full));
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rand::{Rng, SeedableRng};

    fn calendar() -> Calendar {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Calendar::new(
            d("2023-01-01"),
            d("2023-01-01"),
            d("2023-01-01"),
            d("2025-12-31"),
        )
    }

    /// Claims with awkward amounts (no two alike, none a round number) spread over three
    /// years, in day order.
    fn claims(rng: &mut impl Rng, n: usize) -> Vec<Claim> {
        let mut claims: Vec<Claim> = (0..n)
            .map(|k| Claim {
                day: rng.random_range(0.0..1095.0),
                instrument: (k % 3) as u32,
                amount: rng.random_range(1.0e4..3.0e6),
            })
            .collect();
        claims.sort_by(|a, b| a.day.total_cmp(&b.day));
        claims
    }

    /// Under `defer` and `prorate`, a year never pays more than its appropriation, not even
    /// by a rounding error, and a year whose demand exceeds it pays it exactly: the
    /// payments of the year, added in the order they are made (as the outlay metrics add
    /// them), make the appropriation.
    #[test]
    fn binding_years_pay_their_appropriation_exactly() {
        let calendar = calendar();
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(7);
        for overflow in [Overflow::Defer, Overflow::Prorate] {
            for case in 0..300 {
                let claims = claims(&mut rng, 5 + case % 40);
                let limit = rng.random_range(1.0e6..2.0e7);
                let line = BudgetLine {
                    id: "l".into(),
                    label: String::new(),
                    appropriation: vec![Some(limit); 3],
                    overflow,
                };
                let (mut payments, mut years) = (Vec::new(), vec![LineYear::default(); 3]);
                settle(&line, &[], &claims, &calendar, &mut payments, &mut years);
                for (k, y) in years.iter().enumerate() {
                    let paid_in_year = payments
                        .iter()
                        .filter(|p| calendar.year_of(p.day) == 2023 + k as i32)
                        .fold(0.0, |sum, p| sum + p.amount);
                    assert_eq!(paid_in_year, y.paid, "{overflow:?} case {case} year {k}");
                    assert!(
                        y.paid <= limit,
                        "{overflow:?} case {case}: {} > {limit}",
                        y.paid
                    );
                    if y.demand > limit {
                        assert_eq!(y.paid, limit, "{overflow:?} case {case} year {k}");
                    }
                }
            }
        }
    }

    /// With a ledger that already paid part of (or more than) each year's appropriation,
    /// the claims never take the year past it, and a year whose claims exceed what is
    /// left makes the appropriation to within a unit in the last place (paid to date plus
    /// the claims' payments: the appropriation itself may not be such a sum).
    #[test]
    fn the_ledger_uses_the_appropriation_first() {
        let calendar = calendar();
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(11);
        for overflow in [Overflow::Defer, Overflow::Prorate] {
            for case in 0..300 {
                let claims = claims(&mut rng, 5 + case % 40);
                let limit = rng.random_range(1.0e6..2.0e7);
                let paid: Vec<f64> = (0..3).map(|_| rng.random_range(0.0..1.2 * limit)).collect();
                let line = BudgetLine {
                    id: "l".into(),
                    label: String::new(),
                    appropriation: vec![Some(limit); 3],
                    overflow,
                };
                let (mut payments, mut years) = (Vec::new(), vec![LineYear::default(); 3]);
                settle(&line, &paid, &claims, &calendar, &mut payments, &mut years);
                for (k, y) in years.iter().enumerate() {
                    let at = format!("{overflow:?} case {case} year {k}");
                    if paid[k] >= limit {
                        assert_eq!(y.paid, 0.0, "{at}: nothing left");
                    } else {
                        assert!(y.paid + paid[k] <= limit, "{at}");
                        if y.demand > room_left(paid[k], limit) {
                            let short = limit - (y.paid + paid[k]);
                            assert!(short <= limit * f64::EPSILON, "{at}: {short} short");
                        }
                    }
                }
            }
        }
    }
}
