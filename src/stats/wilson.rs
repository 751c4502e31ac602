//! Wilson score interval for a binomial proportion.

/// The Wilson score interval of `successes` out of `n` at normal quantile `z`.
pub fn wilson_interval(successes: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = successes as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denom;
    // At 0/n and n/n the bound is exactly 0 or 1; rounding must not leave the estimate
    // outside its own interval (1 − 1e-16 < p = 1).
    let lo = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if successes >= n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Z95;

    #[test]
    fn matches_published_values() {
        // Newcombe (1998), Table I: 81/263 → 0.2553 .. 0.3662; 15/148 → 0.0624 .. 0.1605.
        let (lo, hi) = wilson_interval(81, 263, Z95);
        assert!(
            (lo - 0.2553).abs() < 5e-5 && (hi - 0.3662).abs() < 5e-5,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson_interval(15, 148, Z95);
        assert!(
            (lo - 0.0624).abs() < 5e-5 && (hi - 0.1605).abs() < 5e-5,
            "{lo} {hi}"
        );
        // 0/10 → 0 .. 0.2775; 10/10 → 0.7225 .. 1.
        let (lo, hi) = wilson_interval(0, 10, Z95);
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-5);
        let (lo, hi) = wilson_interval(10, 10, Z95);
        assert!((lo - 0.7225).abs() < 5e-5 && hi == 1.0);
    }
}
