//! The order a budget line's claims are settled in when an appropriation can bind: by day
//! due, then instrument, then amount (docs/model.md, budget lines).
//!
//! Claims equal in day, instrument and amount are interchangeable, so this order is total
//! in every way that matters and the same on every run, whatever sorting algorithm
//! produces it. A comparison sort of the thousand-odd claims of a line with stipends cost
//! a fifth of a replication; a counting sort on the day (days spread over a few years, so
//! most buckets hold one claim) followed by a comparison sort inside each bucket gives the
//! same order in linear time.

use std::cmp::Ordering;

use super::instrument::Claim;

/// Below this many claims a comparison sort is as cheap as bucketing.
const SMALL: usize = 32;

/// The due order: day, then instrument, then amount, each compared totally.
#[inline]
pub fn due_order(a: &Claim, b: &Claim) -> Ordering {
    a.day
        .total_cmp(&b.day)
        .then_with(|| a.instrument.cmp(&b.instrument))
        .then_with(|| a.amount.total_cmp(&b.amount))
}

/// Sorts claims into the due order, keeping its scratch space between calls.
#[derive(Default)]
pub struct DueOrder {
    scratch: Vec<Claim>,
    buckets: Vec<u32>,
    starts: Vec<u32>,
}

impl DueOrder {
    /// Sorts `claims` into the due order: the same slice, element for element, as
    /// `claims.sort_unstable_by(due_order)`.
    pub fn sort(&mut self, claims: &mut Vec<Claim>) {
        let n = claims.len();
        let (mut lo, mut hi, mut finite) = (f64::INFINITY, f64::NEG_INFINITY, true);
        for c in claims.iter() {
            lo = if c.day < lo { c.day } else { lo };
            hi = if c.day > hi { c.day } else { hi };
            finite &= c.day.is_finite();
        }
        // Bucketing needs finite days (a NaN would land in the first bucket, where the
        // due order puts it last) over a span longer than zero.
        if n < SMALL || !finite || hi <= lo {
            claims.sort_unstable_by(due_order);
            return;
        }
        // `(day - lo) * scale`, rounded and truncated, never decreases as the day grows
        // (IEEE rounding is monotone), so a claim in an earlier bucket is due earlier and
        // only claims within one bucket need comparing. As many buckets as claims: more
        // would leave more claims alone in theirs, but cost more than they save.
        let scale = n as f64 / (hi - lo);
        self.buckets.clear();
        self.buckets.extend(
            claims
                .iter()
                .map(|c| (((c.day - lo) * scale) as u32).min(n as u32 - 1)),
        );
        // Counting sort into buckets: `starts[b]` ends as where bucket `b` starts, and
        // `starts[n]` is `n`.
        let starts = &mut self.starts;
        starts.clear();
        starts.resize(n + 1, 0);
        for &b in &self.buckets {
            starts[b as usize] += 1;
        }
        let (mut largest, mut end) = (0, 0);
        for start in starts.iter_mut() {
            largest = if *start > largest { *start } else { largest };
            end += *start;
            *start = end;
        }
        self.scratch.clear();
        self.scratch.resize(n, claims[0]);
        for (c, &b) in claims.iter().zip(&self.buckets) {
            let b = b as usize;
            starts[b] -= 1;
            self.scratch[starts[b] as usize] = *c;
        }
        // Only claims of one bucket can be out of order now, so one insertion sort of the
        // whole never moves a claim past its bucket's start, and costs a comparison per
        // claim plus the inversions within buckets; buckets too full for that (many claims
        // due on one day) are sorted first.
        if largest as usize > SMALL {
            for b in 0..n {
                let (from, to) = (starts[b] as usize, starts[b + 1] as usize);
                if to - from > SMALL {
                    self.scratch[from..to].sort_unstable_by(due_order);
                }
            }
        }
        insertion_sort(&mut self.scratch);
        std::mem::swap(claims, &mut self.scratch);
    }
}

/// Sorts claims that are nearly in the due order: linear in their count and inversions.
fn insertion_sort(claims: &mut [Claim]) {
    for k in 1..claims.len() {
        // A later day is later in the due order (NaN aside, which is never bucketed):
        // the common case, decided by one comparison.
        if claims[k].day > claims[k - 1].day {
            continue;
        }
        let c = claims[k];
        let mut j = k;
        while j > 0 && due_order(&c, &claims[j - 1]) == Ordering::Less {
            claims[j] = claims[j - 1];
            j -= 1;
        }
        claims[j] = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Claims with the ties settlement meets: days shared by several claims (a fixed
    /// lag after a common date), equal instruments and amounts, whole duplicates, and
    /// both zeros.
    fn claims(rng: &mut impl Rng, n: usize) -> Vec<Claim> {
        let common_days = [0.0, -0.0, 300.0, 731.5];
        (0..n)
            .map(|_| Claim {
                day: if rng.random::<f64>() < 0.3 {
                    common_days[rng.random_range(0..common_days.len())]
                } else {
                    rng.random_range(0.0..2500.0)
                },
                instrument: rng.random_range(0..4),
                amount: if rng.random::<f64>() < 0.5 {
                    5000.0
                } else {
                    rng.random_range(1.0e3..1.0e6)
                },
            })
            .collect()
    }

    fn bits(claims: &[Claim]) -> Vec<(u64, u32, u64)> {
        claims
            .iter()
            .map(|c| (c.day.to_bits(), c.instrument, c.amount.to_bits()))
            .collect()
    }

    #[test]
    fn due_order_sort_matches_a_comparison_sort_bit_for_bit() {
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(11);
        let mut order = DueOrder::default();
        for case in 0..400 {
            let mut ours = claims(&mut rng, case % 7 + case * 3);
            let mut expected = ours.clone();
            expected.sort_unstable_by(due_order);
            order.sort(&mut ours);
            assert_eq!(bits(&ours), bits(&expected), "case {case}");
        }
    }

    #[test]
    fn due_order_sort_takes_days_it_cannot_bucket() {
        let mut order = DueOrder::default();
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(12);
        for day in [f64::NAN, -f64::NAN, f64::INFINITY, 42.0] {
            let mut ours = claims(&mut rng, 100);
            ours.iter_mut().step_by(3).for_each(|c| c.day = day);
            if day == 42.0 {
                ours.iter_mut().for_each(|c| c.day = day);
            }
            let mut expected = ours.clone();
            expected.sort_unstable_by(due_order);
            order.sort(&mut ours);
            assert_eq!(bits(&ours), bits(&expected), "day {day}");
        }
    }
}
