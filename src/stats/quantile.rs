//! Quantiles and moments of a column of replication values.

/// The order statistics a type-7 quantile `p` of `n` values interpolates between, and the
/// weight of the upper one (Hyndman & Fan type 7, the default of R and numpy).
fn type7(n: usize, p: f64) -> (usize, usize, f64) {
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    (lo, h.ceil() as usize, h - lo as f64)
}

/// How many of `n` values the expected shortfall at level `alpha` averages: the worst
/// ⌈(1 − alpha)·n⌉, at least one.
fn tail_len(n: usize, alpha: f64) -> usize {
    // (1 − 0.95)·100 is 5.000000000000004 in floating point: round away such noise
    // before taking the ceiling, or the tail takes one value too many.
    let tail = (1.0 - alpha) * n as f64;
    let tail = if (tail - tail.round()).abs() < 1e-9 {
        tail.round()
    } else {
        tail.ceil()
    };
    (tail as usize).clamp(1, n)
}

/// A column's order statistics at the ranks a summary reads, found by selection instead
/// of a full sort: the extremes, the ranks of the requested type-7 quantiles and, when
/// asked, the upper tail for the expected shortfall, which is sorted. Every value it
/// gives is the one a fully sorted copy would give, bit for bit.
pub struct OrderStatistics {
    values: Vec<f64>,
    quantiles: Vec<f64>,
    tail_from: usize,
}

impl OrderStatistics {
    /// `quantiles` are the levels `quantile` will be asked for; `alpha` the level of
    /// `expected_shortfall`, if wanted. NaN-free input, at least one value.
    pub fn new(values: &[f64], quantiles: &[f64], alpha: Option<f64>) -> OrderStatistics {
        let n = values.len();
        assert!(n > 0, "order statistics of an empty column");
        let mut v = values.to_vec();
        // Unstable is exact here: under total_cmp, equal elements are the same bits.
        let tail_from = alpha.map_or(n, |a| n - tail_len(n, a));
        if tail_from < n {
            v.select_nth_unstable_by(tail_from, f64::total_cmp);
            v[tail_from..].sort_unstable_by(f64::total_cmp);
        }
        let mut ranks: Vec<usize> = quantiles
            .iter()
            .flat_map(|&p| {
                let (lo, hi, _) = type7(n, p);
                [lo, hi]
            })
            .chain([0, n - 1])
            .filter(|&r| r < tail_from)
            .collect();
        ranks.sort_unstable();
        ranks.dedup();
        select_ranks(&mut v[..tail_from], &ranks);
        OrderStatistics {
            values: v,
            quantiles: quantiles.to_vec(),
            tail_from,
        }
    }

    pub fn min(&self) -> f64 {
        self.values[0]
    }

    pub fn max(&self) -> f64 {
        self.values[self.values.len() - 1]
    }

    /// Quantile `p` (one of the levels given to `new`), by linear interpolation between
    /// order statistics (type 7).
    pub fn quantile(&self, p: f64) -> f64 {
        assert!(self.quantiles.contains(&p), "quantile {p} was not selected");
        let (lo, hi, w) = type7(self.values.len(), p);
        let v = &self.values;
        let q = v[lo] + w * (v[hi] - v[lo]);
        if q.is_finite() || !(v[lo].is_finite() && v[hi].is_finite()) {
            q
        } else {
            // The gap of two values near ±f64::MAX overflows; weighting each does not.
            v[lo] * (1.0 - w) + v[hi] * w
        }
    }

    /// Expected shortfall: the mean of the worst ⌈(1 − alpha)·n⌉ values, in ascending
    /// order.
    pub fn expected_shortfall(&self) -> f64 {
        assert!(self.tail_from < self.values.len(), "no tail was selected");
        mean(&self.values[self.tail_from..])
    }
}

/// Puts the order statistics of the ascending `ranks` in place in `v`.
fn select_ranks(v: &mut [f64], ranks: &[usize]) {
    if ranks.is_empty() {
        return;
    }
    let mid = ranks.len() / 2;
    let rank = ranks[mid];
    v.select_nth_unstable_by(rank, f64::total_cmp);
    let (left, right) = v.split_at_mut(rank);
    select_ranks(left, &ranks[..mid]);
    let right_ranks: Vec<usize> = ranks[mid + 1..].iter().map(|&x| x - rank - 1).collect();
    select_ranks(&mut right[1..], &right_ranks);
}

/// Mean, summed in order, so that the result depends only on the values and their order.
/// Finite values whose sum overflows are averaged as a sum of `v / n` instead, so the mean
/// of finite values is finite.
pub fn mean(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let sum = values.iter().sum::<f64>();
    if sum.is_finite() || values.iter().any(|v| !v.is_finite()) {
        return sum / n;
    }
    values.iter().map(|v| v / n).sum()
}

/// Sample standard deviation (n − 1), two-pass. Finite values whose squared deviations
/// overflow are scaled by the largest deviation first, so the result stays finite
/// wherever it can be represented.
pub fn sd(values: &[f64], mean: f64) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let df = (values.len() - 1) as f64;
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    if ss.is_finite() || !mean.is_finite() || values.iter().any(|v| !v.is_finite()) {
        return Some((ss / df).sqrt());
    }
    let scale = values
        .iter()
        .map(|v| (v / 2.0 - mean / 2.0).abs())
        .fold(0.0, f64::max);
    let scaled: f64 = values
        .iter()
        .map(|v| (v / 2.0 - mean / 2.0) / scale)
        .map(|d| d * d)
        .sum();
    Some((scaled / df).sqrt() * scale * 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The reference: a fully sorted copy.
    fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
        let (lo, hi, w) = type7(sorted.len(), p);
        sorted[lo] + w * (sorted[hi] - sorted[lo])
    }

    fn cvar_sorted(sorted: &[f64], alpha: f64) -> f64 {
        mean(&sorted[sorted.len() - tail_len(sorted.len(), alpha)..])
    }

    fn sorted(values: &[f64]) -> Vec<f64> {
        let mut v = values.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    /// Selection gives, bit for bit, what a full sort gives: columns of every size from
    /// 1 to 300 and of 10,001 values, with ties, zeros of both signs and constant runs.
    #[test]
    fn order_statistics_equal_a_full_sort() {
        let levels = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.0, 1.0, 0.333];
        let mut rng = crate::engine::stream::StreamRng::seed_from_u64(7);
        let sizes = (1..=300).chain([10_001]);
        for n in sizes {
            for kind in 0..3 {
                let values: Vec<f64> = (0..n)
                    .map(|_| match kind {
                        0 => rng.random::<f64>() * 1e6,
                        1 => f64::from(rng.random_range(0..4u8)) - 1.0,
                        _ => [0.0, -0.0, 5.0][rng.random_range(0..3usize)],
                    })
                    .collect();
                let s = sorted(&values);
                let o = OrderStatistics::new(&values, &levels, Some(0.95));
                assert_eq!(o.min().to_bits(), s[0].to_bits());
                assert_eq!(o.max().to_bits(), s[n - 1].to_bits());
                for p in levels {
                    assert_eq!(o.quantile(p).to_bits(), quantile_sorted(&s, p).to_bits());
                }
                assert_eq!(
                    o.expected_shortfall().to_bits(),
                    cvar_sorted(&s, 0.95).to_bits()
                );
                let without_tail = OrderStatistics::new(&values, &levels, None);
                for p in levels {
                    assert_eq!(
                        without_tail.quantile(p).to_bits(),
                        quantile_sorted(&s, p).to_bits()
                    );
                }
                assert_eq!(without_tail.max().to_bits(), s[n - 1].to_bits());
            }
        }
    }

    #[test]
    fn type_7_quantiles_match_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile_sorted(&v, 0.5), 3.0);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 10.0);
        // numpy.quantile([1,2,3,4,10], 0.9) == 7.6
        assert!((quantile_sorted(&v, 0.9) - 7.6).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.25) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn cvar_is_the_mean_of_the_worst_tail() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(
            cvar_sorted(&v, 0.95),
            (96.0 + 97.0 + 98.0 + 99.0 + 100.0) / 5.0
        );
        assert_eq!(sd(&[1.0, 3.0], 2.0), Some(2f64.sqrt()));
        assert_eq!(sd(&[1.0], 1.0), None, "one value has no sample sd");
    }

    /// Values near f64::MAX: their sum, squared deviations and gaps overflow, but the
    /// mean, sd, quantiles and expected shortfall are representable and must come out
    /// finite and right (closed forms: the values are ±c or c·k for small k).
    #[test]
    fn statistics_of_values_near_the_largest_float_stay_finite() {
        let c = 1.0e308;
        let all_c = [c; 4];
        assert_eq!(mean(&all_c), c);
        assert_eq!(sd(&all_c, c), Some(0.0));
        // Mean 1.5h, deviations ±0.5h: sd = 0.5h·√(4/3); the sum 6h overflows.
        let h = 5.0e307;
        let v = [h, 2.0 * h, h, 2.0 * h];
        let m = mean(&v);
        assert!(m.is_finite() && ((m - 1.5 * h) / h).abs() < 1e-12, "{m}");
        let s = sd(&v, m).unwrap();
        let want = 0.5 * h * (4.0f64 / 3.0).sqrt();
        assert!(((s - want) / want).abs() < 1e-12, "{s} vs {want}");
        // A gap of 2c between -c and c: the median interpolates to 0.
        let o = OrderStatistics::new(&[-c, c], &[0.5], Some(0.5));
        assert_eq!(o.quantile(0.5), 0.0);
        assert_eq!(o.expected_shortfall(), c);
    }
}
