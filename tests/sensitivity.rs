//! Sobol indices from the Saltelli design against closed forms (docs/model.md,
//! Sensitivity). Tolerance: an estimate is within twice its bootstrap 95 % half-width of
//! the exact index (about 4 standard errors), so any seed passes.

mod common;

use policysim::engine::Model;
use policysim::sensitivity::design::{self, Evaluations};
use policysim::sensitivity::indices::{self, Indices};
use policysim::sensitivity::{given_data, INTRINSIC};

fn analyse(name: &str, rows: u64) -> (Evaluations, Vec<Indices>) {
    let loaded = common::load(name);
    let model = Model::new(&loaded.scenario);
    let metrics = design::metrics(
        &loaded.scenario,
        &model.layout,
        Some(&["outlay.total".into()]),
    )
    .unwrap();
    let points = design::run(&model, common::seed(), 0..rows, &metrics, &|| {});
    let ev = Evaluations::new(&loaded.scenario, metrics, &points.table);
    let ix = indices::estimate(&ev, 0, &indices::resamples(common::seed(), ev.rows));
    (ev, ix)
}

fn assert_index(what: &str, ix: &indices::Index, exact: f64) {
    let half = (ix.high - ix.low) / 2.0;
    assert!(
        (ix.value - exact).abs() <= 2.0 * half + 1e-12,
        "{what}: estimate {} [{}, {}], exact {exact}",
        ix.value,
        ix.low,
        ix.high
    );
}

fn position(ev: &Evaluations, name: &str) -> usize {
    ev.inputs.iter().position(|i| i == name).unwrap()
}

/// Y = Σ_k 1[U_k < X1]·1[W_k < X2] over n firms, X1 ~ U(a1, b1), X2 ~ U(a2, b2): with
/// E_i, Var_i, E_i² the moments of X_i and H_i = ∫ P(X_i > u)² du = a_i + (b_i − a_i)/3,
/// V = n²·Var(X1X2) + n·E[X1X2(1 − X1X2)];
/// S1 = n²E2²Var1/V; S_T1 = 1 − (n(E2·H1 − E1²E2²) + n(n − 1)E1²Var2)/V (the variance of
/// E[Y | X2, U, W]); the intrinsic input (U, W): S = n(H1H2 − E1²E2²)/V,
/// S_T = n·E[X1X2(1 − X1X2)]/V.
#[test]
fn product_of_uniform_parameters_has_its_closed_form_indices() {
    let (ev, ix) = analyse("sensitivity_product.toml", 3000);
    let n = 200.0;
    let ((a1, b1), (a2, b2)) = ((0.3, 0.9), (0.2, 0.8));
    let moments = |a: f64, b: f64| {
        let (e, v) = ((a + b) / 2.0, (b - a) * (b - a) / 12.0);
        (e, v, v + e * e, a + (b - a) / 3.0)
    };
    let (e1, v1, q1, h1) = moments(a1, b1);
    let (e2, v2, q2, h2) = moments(a2, b2);
    let (ep, ep2) = (e1 * e2, q1 * q2);
    let var = n * n * (ep2 - ep * ep) + n * (ep - ep2);
    let apply = position(&ev, "certification.apply_probability");
    let take = position(&ev, "instrument[reward].take_up");
    let entry = position(&ev, "entry.rate_per_year");
    let intrinsic = position(&ev, INTRINSIC);
    assert_index("S apply", &ix[apply].first, n * n * e2 * e2 * v1 / var);
    assert_index("S take-up", &ix[take].first, n * n * e1 * e1 * v2 / var);
    let rest = |e_other: f64, h: f64, e_own: f64, v_other: f64| {
        1.0 - (n * (e_other * h - ep * ep) + n * (n - 1.0) * e_own * e_own * v_other) / var
    };
    assert_index("S_T apply", &ix[apply].total, rest(e2, h1, e1, v2));
    assert_index("S_T take-up", &ix[take].total, rest(e1, h2, e2, v1));
    assert_index(
        "S intrinsic",
        &ix[intrinsic].first,
        n * (h1 * h2 - ep * ep) / var,
    );
    assert_index("S_T intrinsic", &ix[intrinsic].total, n * (ep - ep2) / var);
    // Nothing in the outlay reads the entry rate: both intervals contain 0.
    for (what, x) in [("S", ix[entry].first), ("S_T", ix[entry].total)] {
        assert!(x.low <= 0.0 && 0.0 <= x.high, "{what} entry rate {x:?}");
    }
    // The given-data estimator on the design's A and B rows: within 4 standard errors of
    // S1, the binned estimate's standard error being about √(2/m)·(1 − S1) for m rows.
    let mut y = ev.variant(0, 0).to_vec();
    y.extend_from_slice(ev.variant(0, 1));
    let s1 = n * n * e2 * e2 * v1 / var;
    let given = given_data::first_order(&ev.params[apply], &y);
    let se = (2.0 / y.len() as f64).sqrt() * (1.0 - s1) + (y.len() as f64).sqrt().recip();
    assert!(
        (given - s1).abs() < 4.0 * se,
        "given-data S apply {given}, exact {s1}"
    );
}

/// Without uncertain parameters the firms' own draws carry all the variance.
#[test]
fn intrinsic_randomness_alone_gets_all_the_variance() {
    let (ev, ix) = analyse("fixed_binomial.toml", 1500);
    assert_eq!(ev.inputs, [INTRINSIC]);
    assert_index("S intrinsic", &ix[0].first, 1.0);
    assert_index("S_T intrinsic", &ix[0].total, 1.0);
}

/// `policysim sensitivity` writes the same bytes whatever the threads, and its shards
/// merge into the same folder.
#[test]
fn sensitivity_files_are_the_same_across_threads_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let s = common::scenario_path("sensitivity_product.toml")
        .display()
        .to_string();
    let policysim = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_policysim"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for (name, extra) in [
        ("one", ["--threads", "1"]),
        ("two", ["--threads", "2"]),
        ("s0", ["--shard", "0/2"]),
        ("s1", ["--shard", "1/2"]),
    ] {
        let out = d(name);
        let mut args = vec!["sensitivity", &s, "--reps", "40", "-q", "--out", &out];
        args.extend(extra);
        policysim(&args);
    }
    policysim(&[
        "sensitivity",
        "--merge",
        &d("s1"),
        &d("s0"),
        "--out",
        &d("m"),
        "-q",
    ]);
    for other in ["two", "m"] {
        for f in ["design.csv", "sensitivity.csv", "report.html"] {
            let a = std::fs::read(dir.path().join("one").join(f)).unwrap();
            let b = std::fs::read(dir.path().join(other).join(f)).unwrap();
            assert!(a == b, "{f} differs in {other}");
        }
    }
    let csv = std::fs::read_to_string(dir.path().join("one/sensitivity.csv")).unwrap();
    // Default metrics: outlay.total and each outlay.year.* of the run (no target), each
    // with three parameters and the intrinsic randomness.
    let years = csv
        .lines()
        .filter(|l| l.starts_with("outlay.year."))
        .count()
        / 4;
    assert!(years >= 2, "{csv}");
    assert_eq!(csv.lines().count(), 1 + (1 + years) * 4);
}

/// An unknown metric is bad input: exit 2, naming it, before any output.
#[test]
fn unknown_metric_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("x");
    let s = common::scenario_path("sensitivity_product.toml");
    for metric in ["outlay.nothing", "target.nope:attained"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_policysim"))
            .args([
                "sensitivity",
                s.to_str().unwrap(),
                "--metrics",
                metric,
                "--out",
            ])
            .arg(&out_dir)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{metric}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(metric),
            "{metric}"
        );
        assert!(!out_dir.exists(), "{metric}: nothing written");
    }
}
