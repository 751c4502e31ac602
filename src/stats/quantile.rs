//! Quantiles and moments of a column of replication values.

/// Quantile `p` of ascending-sorted `sorted`, by linear interpolation between order
/// statistics (Hyndman & Fan type 7, the default of R and numpy).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty column");
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Mean, summed in order, so that the result depends only on the values and their order.
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n − 1), two-pass.
pub fn sd(values: &[f64], mean: f64) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// Expected shortfall at level `alpha` (e.g. 0.95) of ascending-sorted values: the mean
/// of the worst ⌈(1 − alpha)·n⌉ outcomes.
pub fn cvar_sorted(sorted: &[f64], alpha: f64) -> f64 {
    // (1 − 0.95)·100 is 5.000000000000004 in floating point: round away such noise
    // before taking the ceiling, or the tail takes one value too many.
    let tail = (1.0 - alpha) * sorted.len() as f64;
    let tail = if (tail - tail.round()).abs() < 1e-9 {
        tail.round()
    } else {
        tail.ceil()
    };
    let k = (tail as usize).clamp(1, sorted.len());
    mean(&sorted[sorted.len() - k..])
}

/// A sorted copy (NaN-free input).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    // Unstable is exact here: under total_cmp, equal elements are the same bits.
    v.sort_unstable_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(sd(&[1.0, 3.0], 2.0), 2f64.sqrt());
    }
}
