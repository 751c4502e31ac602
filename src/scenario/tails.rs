//! How far a distribution's draws reach, and the check that they stay within the range
//! of the key it is written for (docs/scenario-format.md, "Valid ranges"): its quantiles
//! at `spec::TAIL_PROBABILITY` and one minus it lie in that range. Without it a
//! lognormal's `sigma = 1000` is read, and the run draws infinities after working.

use super::dist::Dist;
use super::error::{Result, ScenarioError};
use super::node::Node;
use super::spec::{self, Kind, TAIL_PROBABILITY};

/// The standard normal quantile at 1 − `TAIL_PROBABILITY` (1e-12).
const Z_TAIL: f64 = 7.034_483_825;

/// Refuses a distribution at `path` whose tails leave the range of its key.
pub fn check(dist: &Dist, node: &Node, path: &str) -> Result<()> {
    let Some(k) = spec::lookup(path).filter(|k| k.kind == Kind::NumberOrDist) else {
        return Ok(());
    };
    let (lo, hi) = reach(dist);
    let below = if k.min_exclusive {
        lo <= k.min
    } else {
        lo < k.min
    };
    if below || hi > k.max {
        let (side, value) = if below {
            ("lowest", lo)
        } else {
            ("highest", hi)
        };
        return Err(ScenarioError::at(
            &node.origin,
            path,
            format!(
                "expected a distribution within {}, found {} whose {side} draws reach {value:.3e} \
                 (its {} quantile); narrow its scale parameter",
                k.range_text(),
                describe(dist),
                if below { "1e-12" } else { "1 - 1e-12" },
            ),
        ));
    }
    Ok(())
}

/// The distribution's quantiles at 1e-12 and 1 − 1e-12, or its support where bounded; for
/// a gamma an upper bound of each (Chernoff's), which errs on the side of refusing.
pub fn reach(dist: &Dist) -> (f64, f64) {
    match dist {
        Dist::Normal(d) => (
            d.mean() - Z_TAIL * d.std_dev(),
            d.mean() + Z_TAIL * d.std_dev(),
        ),
        Dist::LogNormal(_, [mu, sigma]) => {
            ((mu - Z_TAIL * sigma).exp(), (mu + Z_TAIL * sigma).exp())
        }
        Dist::Gamma(_, [shape, scale]) => (
            scale * gamma_chernoff(*shape, false),
            scale * gamma_chernoff(*shape, true),
        ),
        other => other.support(),
    }
}

/// The x (in units of the scale) where Chernoff's bound on a Gamma(k, 1) tail,
/// (x/k)^k · e^(k − x), falls to `TAIL_PROBABILITY`: above the mean k for the upper tail,
/// below it for the lower. The bound's log, k·ln(x/k) + k − x, falls monotonically away
/// from k on either side, so bisection finds it.
fn gamma_chernoff(k: f64, upper: bool) -> f64 {
    let target = TAIL_PROBABILITY.ln();
    let log_bound = |x: f64| k * (x / k).ln() + k - x;
    let (mut inside, mut outside) = if upper {
        let mut far = 2.0 * k + 1.0;
        while log_bound(far) > target {
            far *= 2.0;
        }
        (k, far)
    } else {
        (k, 0.0)
    };
    for _ in 0..200 {
        let mid = (inside + outside) / 2.0;
        if log_bound(mid) > target {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    // The side beyond the quantile, so the bound holds.
    outside
}

fn describe(dist: &Dist) -> String {
    match dist {
        Dist::Normal(d) => format!("a normal with mean = {}, sd = {}", d.mean(), d.std_dev()),
        Dist::LogNormal(_, [mu, sigma]) => {
            // The median as written: exp(ln(m)) can miss it in the last digit.
            let median: f64 = format!("{:.12e}", mu.exp()).parse().unwrap_or(f64::NAN);
            format!("a lognormal with median = {median}, sigma = {sigma}")
        }
        Dist::Gamma(_, [shape, scale]) => {
            format!("a gamma with shape = {shape}, scale = {scale}")
        }
        other => {
            let (lo, hi) = other.support();
            format!("a distribution over [{lo}, {hi}]")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chernoff's bound lies beyond the true quantile: for k = 1 (an exponential) the
    /// upper quantile is −ln(1e-12) ≈ 27.63, the lower 1e-12.
    #[test]
    fn gamma_bounds_lie_beyond_the_exponential_quantiles() {
        let upper = gamma_chernoff(1.0, true);
        assert!((27.63..40.0).contains(&upper), "{upper}");
        let lower = gamma_chernoff(1.0, false);
        assert!((0.0..=1e-12).contains(&lower), "{lower}");
    }
}
