//! `compare`'s non-zero paired intervals against a closed form. Two scenarios differ in
//! one reward's amount (1e6 → 2e6); under common random numbers the same firms take it up
//! in replication r of both, so the paired difference of the outlay is 1e6 × X with X ~
//! Binomial(10, 0.3), and a target of ≥ 4e6 paid, met iff X ≥ 4 before and X ≥ 2 after,
//! changes iff X is 2 or 3. comparison.csv and comparison_targets.csv are checked exactly
//! against the definitions (paired mean, mean ∓ 1.96·sd/√n of the paired differences,
//! share of replications where b > a) applied to the library's rows, and within 4 Monte
//! Carlo standard errors against the closed forms.

mod common;

use common::*;

const REPS: u64 = 4000;
/// The normal quantile of a two-sided 95 % interval, Φ⁻¹(0.975).
const Z95: f64 = 1.959963984540054;

/// Paired statistics of b − a as the definitions give them: (mean of a, mean of b, mean
/// difference, interval low, interval high, share with b > a).
fn paired(a: &[f64], b: &[f64]) -> [f64; 6] {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let n = d.len() as f64;
    let half = Z95 * variance(&d).sqrt() / n.sqrt();
    let m = mean(&d);
    let greater = a.iter().zip(b).filter(|(x, y)| y > x).count() as f64 / n;
    [mean(a), mean(b), m, m - half, m + half, greater]
}

/// The standard error of a sample standard deviation of n draws of `pmf`, by the delta
/// method: √((μ₄ − σ⁴)/n) / (2σ).
fn sd_se(pmf: &Pmf, n: f64) -> f64 {
    let m = pmf.mean();
    let var = pmf.expect(|x| (x - m).powi(2));
    let mu4 = pmf.expect(|x| (x - m).powi(4));
    ((mu4 - var * var) / n).sqrt() / (2.0 * var.sqrt())
}

/// Checks a paired interval against the closed-form distribution of the difference: its
/// centre within 4 se of the mean, its half-width (Z95·sd/√n) within 4 se of Z95·σ/√n.
fn assert_interval(what: &str, low: f64, high: f64, diff: &Pmf) {
    let n = REPS as f64;
    let sigma = diff.sd_of(|x| x);
    assert_within(
        &format!("{what} mean difference"),
        (low + high) / 2.0,
        diff.mean(),
        sigma / n.sqrt(),
    );
    let sd = (high - low) / 2.0 * n.sqrt() / Z95;
    assert_within(
        &format!("{what} sd of the differences"),
        sd,
        sigma,
        sd_se(diff, n),
    );
}

#[test]
fn an_amount_doubled_gives_the_binomial_paired_interval() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("cmp");
    command_binary(
        "compare",
        &["compare_pair_base.toml", "compare_pair_doubled.toml"],
        REPS,
        &out,
    );
    let a = run_loaded(&load("compare_pair_base.toml"), seed(), REPS);
    let b = run_loaded(&load("compare_pair_doubled.toml"), seed(), REPS);

    let metrics = Csv::read(&out.join("comparison.csv"));
    let x = Pmf::binomial(10, 0.3, 1.0e6);
    for (metric, share) in [
        ("outlay.total", 1.0),
        ("outlay.instrument.reward", 1.0),
        ("outlay.funder.city", 0.7),
    ] {
        let rows = metrics.find(&[("metric", metric)]);
        assert_eq!(rows.len(), 1, "{metric}: one row");
        let row = rows[0];
        let field =
            |name: &str| -> f64 { row[metrics.column_index(name)].parse().expect("a number") };
        let expected = paired(&a.col(metric), &b.col(metric));
        let columns = [
            "mean_a",
            "mean_b",
            "mean_diff",
            "diff_ci95_low",
            "diff_ci95_high",
            "p_b_greater",
        ];
        for (name, value) in columns.iter().zip(expected) {
            assert_close(&format!("{metric} {name}"), field(name), value, 1e-12);
        }
        let diff = x.map(|v| share * v);
        assert_interval(
            metric,
            field("diff_ci95_low"),
            field("diff_ci95_high"),
            &diff,
        );
        // b > a iff someone took the reward up: 1 − 0.7¹⁰.
        let p = 1.0 - 0.7f64.powi(10);
        let se = (p * (1.0 - p) / REPS as f64).sqrt();
        assert_within(&format!("{metric} P(b > a)"), field("p_b_greater"), p, se);
    }

    let targets = Csv::read(&out.join("comparison_targets.csv"));
    let row = targets.find(&[("target", "paid_4m")])[0];
    let field = |name: &str| -> f64 { row[targets.column_index(name)].parse().expect("a number") };
    let met = |run: &Run| -> Vec<f64> {
        run.col("outlay.total")
            .iter()
            .map(|v| f64::from(u8::from(*v >= 4.0e6)))
            .collect()
    };
    let [pa, pb, change, low, high, _] = paired(&met(&a), &met(&b));
    for (name, value) in [
        ("probability_a", pa),
        ("probability_b", pb),
        ("change", change),
        ("change_ci95_low", low),
        ("change_ci95_high", high),
    ] {
        assert_close(&format!("paid_4m {name}"), field(name), value, 1e-12);
    }
    let n = REPS as f64;
    let binomial = Pmf::binomial(10, 0.3, 1.0);
    for (name, p) in [
        ("probability_a", 1.0 - binomial.cdf(3.0)),
        ("probability_b", 1.0 - binomial.cdf(1.0)),
    ] {
        assert_within(name, field(name), p, (p * (1.0 - p) / n).sqrt());
    }
    // The change indicator is 1 iff X ∈ {2, 3}: Bernoulli(q), q ≈ 0.48. Its spread is
    // fixed by its mean (sd² = p̂(1 − p̂)·n/(n − 1)), and near q = 1/2 the sd barely moves
    // with q, so the half-width is checked through that identity and the centre against q.
    let q = binomial.cdf(3.0) - binomial.cdf(1.0);
    let (low, high) = (field("change_ci95_low"), field("change_ci95_high"));
    let centre = (low + high) / 2.0;
    assert_within("paid_4m change", centre, q, (q * (1.0 - q) / n).sqrt());
    let sd = (high - low) / 2.0 * n.sqrt() / Z95;
    assert_close(
        "paid_4m change sd",
        sd * sd,
        centre * (1.0 - centre) * n / (n - 1.0),
        1e-9,
    );
}
