//! First- and total-order indices from a Saltelli design, with bootstrap intervals.
//!
//! With f(A), f(B) and f(A_B^i) over N rows, m and V the mean and variance of f(A) and
//! f(B) pooled: first order S_i = (1/N) Σ (f(B) − m)·(f(A_B^i) − f(A)) / V (Saltelli et
//! al. 2010, table 2, (b), on the centred output: E[f(A_B^i) − f(A)] = 0, so centring
//! changes nothing but the variance, which is far smaller when the mean is large beside
//! the spread, as budget outlays are). The intrinsic randomness, usually most of the
//! variance, takes Jansen's first-order form instead, S = 1 − (1/2N) Σ (f(B) −
//! f(A_B^i))² / V: f(B) and f(A_B^i) share its streams and differ in every parameter, so
//! the estimate is precise when the parameters matter little. Total order S_Ti = (1/2N) Σ (f(A) − f(A_B^i))² / V (Jansen 1999). Intervals:
//! percentile bootstrap over the design's rows, resampled with a generator seeded by the
//! run's seed, the same resamples for every metric and input.

use rand::{Rng, SeedableRng};
use rand_xoshiro::SplitMix64;
use rayon::prelude::*;

use super::design::Evaluations;

/// Bootstrap resamples per interval.
pub const RESAMPLES: usize = 1000;

/// An index and its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Index {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The indices of one input for one metric (NaN when the metric does not vary).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indices {
    pub first: Index,
    pub total: Index,
}

/// Sums over the rows in `rows` (all rows when `None`): (first-order numerator,
/// total-order numerator) per input, and the pooled variance.
fn point(ev: &Evaluations, metric: usize, rows: Option<&[u32]>) -> (Vec<(f64, f64)>, f64) {
    let n = ev.rows;
    let (a, b) = (ev.variant(metric, 0), ev.variant(metric, 1));
    let each = |f: &mut dyn FnMut(usize)| match rows {
        Some(r) => r.iter().for_each(|&j| f(j as usize)),
        None => (0..n).for_each(f),
    };
    let (mut sum, mut sum2) = (0.0, 0.0);
    each(&mut |j| {
        sum += a[j] + b[j];
        sum2 += a[j] * a[j] + b[j] * b[j];
    });
    let mean = sum / (2 * n) as f64;
    let var = (sum2 / (2 * n) as f64 - mean * mean).max(0.0);
    let intrinsic = ev.inputs.len() - 1;
    let sums = (0..ev.inputs.len())
        .map(|i| {
            let ab = ev.variant(metric, 2 + i);
            let (mut first, mut total) = (0.0, 0.0);
            each(&mut |j| {
                first += if i == intrinsic {
                    (b[j] - ab[j]).powi(2)
                } else {
                    (b[j] - mean) * (ab[j] - a[j])
                };
                total += (a[j] - ab[j]).powi(2);
            });
            let first = if i == intrinsic {
                var - first / (2 * n) as f64
            } else {
                first / n as f64
            };
            (first, total / (2 * n) as f64)
        })
        .collect();
    (sums, var)
}

/// The row indices of `RESAMPLES` bootstrap resamples of `n` rows.
pub fn resamples(seed: u64, n: usize) -> Vec<Vec<u32>> {
    let mut rng = SplitMix64::seed_from_u64(seed ^ 0x626F_6F74_7374_7261);
    (0..RESAMPLES)
        .map(|_| (0..n).map(|_| rng.random_range(0..n as u32)).collect())
        .collect()
}

/// Percentile interval (2.5 %, 97.5 %, type 7) of finite `draws`.
fn percentile_interval(mut draws: Vec<f64>) -> (f64, f64) {
    draws.retain(|x| x.is_finite());
    if draws.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    draws.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let h = (draws.len() - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        draws[lo] + (h - lo as f64) * (draws[hi] - draws[lo])
    };
    (at(0.025), at(0.975))
}

/// Every input's indices for `metric`, in the order of `ev.inputs`.
pub fn estimate(ev: &Evaluations, metric: usize, resamples: &[Vec<u32>]) -> Vec<Indices> {
    let ratio = |x: f64, v: f64| if v > 0.0 { x / v } else { f64::NAN };
    let (sums, var) = point(ev, metric, None);
    let boot: Vec<Vec<(f64, f64)>> = resamples
        .par_iter()
        .map(|rows| {
            let (s, v) = point(ev, metric, Some(rows));
            s.into_iter()
                .map(|(f, t)| (ratio(f, v), ratio(t, v)))
                .collect()
        })
        .collect();
    sums.iter()
        .enumerate()
        .map(|(i, &(f, t))| {
            let (fl, fh) = percentile_interval(boot.iter().map(|b| b[i].0).collect());
            let (tl, th) = percentile_interval(boot.iter().map(|b| b[i].1).collect());
            Indices {
                first: Index {
                    value: ratio(f, var),
                    low: fl,
                    high: fh,
                },
                total: Index {
                    value: ratio(t, var),
                    low: tl,
                    high: th,
                },
            }
        })
        .collect()
}
