//! How an observed value is scored against the ensemble of a metric's values over the
//! replications (docs/model.md, "Backtest"): the mid-PIT, membership of the central 50 %
//! and 90 % intervals, and the fair CRPS.

use crate::stats::quantile::OrderStatistics;

/// The quantile levels `backtest.csv` shows; the intervals are the central 50 % and 90 %.
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// One observation scored against its predictive ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub mean: f64,
    /// Type-7 quantiles at `LEVELS`.
    pub quantiles: [f64; 5],
    /// Mid-PIT: P(X < y) + ½ P(X = y) under the ensemble. For a continuous metric it is
    /// the ordinary PIT; for a count it puts an observation on an atom at the middle of
    /// the atom's step, deterministically (no random draw to make it uniform).
    pub pit: f64,
    /// q25 ≤ y ≤ q75 (closed, so an atom on the bound is inside).
    pub in50: bool,
    /// q5 ≤ y ≤ q95.
    pub in90: bool,
    /// The fair (unbiased) ensemble CRPS: mean |X − y| − Σ_{i≠j} |X_i − X_j| / (2n(n−1)).
    pub crps: f64,
}

/// Scores `y` against the ensemble `values` (finite, at least two).
pub fn score(values: &[f64], y: f64) -> Score {
    let n = values.len();
    assert!(n >= 2, "an ensemble of at least two values");
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let order = OrderStatistics::new(&sorted, &LEVELS, None);
    let quantiles = LEVELS.map(|p| order.quantile(p));
    let below = sorted.partition_point(|&x| x < y);
    let at = sorted.partition_point(|&x| x <= y) - below;
    let pit = (below as f64 + 0.5 * at as f64) / n as f64;
    Score {
        mean: crate::metrics::total(sorted.iter().copied()) / n as f64,
        quantiles,
        pit,
        in50: quantiles[1] <= y && y <= quantiles[3],
        in90: quantiles[0] <= y && y <= quantiles[4],
        crps: fair_crps(&sorted, y),
    }
}

/// The fair CRPS of `y` against the ascending ensemble `x`, in O(n) once sorted: the
/// pairwise term Σ_{i<j} (x_(j) − x_(i)) is Σ_i (2i − n + 1) x_(i) (0-based ranks).
fn fair_crps(x: &[f64], y: f64) -> f64 {
    let n = x.len() as f64;
    let spread = crate::metrics::total(x.iter().map(|&v| (v - y).abs())) / n;
    let pairs = crate::metrics::total(
        x.iter()
            .enumerate()
            .map(|(i, &v)| (2.0 * i as f64 - n + 1.0) * v),
    );
    spread - pairs / (n * (n - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fair CRPS by its definition, over all pairs: O(n²).
    fn crps_by_pairs(x: &[f64], y: f64) -> f64 {
        let n = x.len() as f64;
        let spread: f64 = x.iter().map(|v| (v - y).abs()).sum::<f64>() / n;
        let mut pairs = 0.0;
        for a in x {
            for b in x {
                pairs += (a - b).abs();
            }
        }
        spread - pairs / (2.0 * n * (n - 1.0))
    }

    #[test]
    fn the_sorted_crps_equals_the_pairwise_definition() {
        let x = [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0];
        for y in [-2.0, 0.0, 3.0, 4.5, 10.0] {
            let got = score(&x, y).crps;
            let want = crps_by_pairs(&x, y);
            assert!((got - want).abs() < 1e-12, "y {y}: {got} vs {want}");
        }
    }

    #[test]
    fn the_mid_pit_splits_an_atom_in_half() {
        // Two values below 2, three at 2, five above: P(X<2) = .2, P(X=2) = .3.
        let x = [0.0, 1.0, 2.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert!((score(&x, 2.0).pit - 0.35).abs() < 1e-15);
        assert_eq!(score(&x, -1.0).pit, 0.0);
        assert_eq!(score(&x, 8.0).pit, 1.0);
    }

    #[test]
    fn intervals_are_closed_at_their_quantiles() {
        let x: Vec<f64> = (0..=100).map(f64::from).collect();
        let s = score(&x, 25.0);
        assert_eq!(s.quantiles, [5.0, 25.0, 50.0, 75.0, 95.0]);
        assert!(s.in50 && s.in90);
        let s = score(&x, 96.0);
        assert!(!s.in50 && !s.in90);
        let s = score(&x, 80.0);
        assert!(!s.in50 && s.in90);
    }
}
