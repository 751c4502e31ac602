//! Budget lines: `defer` carries the excess, `prorate` scales every claim.

use crate::common::*;

// --- 7. budget lines ----------------------------------------------------------------------

#[test]
fn defer_carries_exactly_the_excess_into_the_next_year() {
    // Claims D = 1e7 in 2024; appropriations 6e6 (2024), 3e6 (2025), none after.
    let run = simulate("budget_defer.toml", 50);
    let col = |n: &str| run.col(n);
    for i in 0..run.reps {
        let v = |n: &str| col(n)[i];
        assert_eq!(v("demand.line.capped.2024"), 1.0e7);
        assert_eq!(v("outlay.line.capped.2024"), 6.0e6);
        assert_eq!(v("carried.line.capped.2024"), 4.0e6);
        assert_eq!(v("demand.line.capped.2025"), 4.0e6);
        assert_eq!(v("outlay.line.capped.2025"), 3.0e6);
        assert_eq!(v("carried.line.capped.2025"), 1.0e6);
        assert_eq!(v("demand.line.capped.2026"), 1.0e6);
        assert_eq!(v("outlay.line.capped.2026"), 1.0e6);
        assert_eq!(v("carried.line.capped.2026"), 0.0);
        assert_eq!(v("outlay.year.2026"), 1.0e6);
        // Deferral moves money in time; it never loses or adds any.
        assert_eq!(v("outlay.line.capped"), 1.0e7);
        assert_eq!(v("outlay.total"), 1.0e7);
    }
}

#[test]
fn prorate_never_exceeds_the_appropriation_and_scales_claims_proportionally() {
    let run = simulate("budget_prorate.toml", 20000);
    let appropriation = 6.0e6;
    // Fixed claims 1e7 + 5e6 against 6e6: every claim scaled by 0.4.
    for x in run.col("outlay.instrument.reward") {
        assert_close("reward prorated", x, 0.4 * 1.0e7, 1e-12);
    }
    for x in run.col("outlay.instrument.reward_small") {
        assert_close("reward_small prorated", x, 0.4 * 5.0e6, 1e-12);
    }
    // A year that overflows pays its appropriation to the yuan: not a rounding error above.
    for x in run.col("outlay.line.fixed_claims.2024") {
        assert_eq!(x, appropriation, "fixed_claims paid");
    }
    // Random claims 1e6 × Bin(10, 0.5): paid min(demand, 6e6), never above.
    let demand = run.col("demand.line.random_claims.2024");
    let paid = run.col("outlay.line.random_claims.2024");
    for (d, p) in demand.iter().zip(&paid) {
        assert_eq!(*p, d.min(appropriation), "prorated payment");
    }
    let over = demand.iter().filter(|d| **d > appropriation).count();
    assert_proportion(
        "P(demand > appropriation)",
        over,
        demand.len(),
        binomial_tail(10, 0.5, 7),
    );
    // Nothing is carried under prorate.
    assert!(run
        .col("carried.line.random_claims.2024")
        .iter()
        .all(|c| *c == 0.0));
}
