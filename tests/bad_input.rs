//! Bad input never passes silently (docs/scenario-format.md): every broken scenario is refused by
//! `check` and by `run` with exit code 2, a message naming the file, `line:column`, the key
//! path and what was expected — and `run` creates no output.

mod common;

use common::edits::{
    assert_file_refused, assert_refused, check_case, line_col, policysim, Case, Refusal, VALID,
};

#[test]
fn the_valid_scenario_used_by_these_tests_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("valid.toml");
    std::fs::write(&file, VALID).expect("write scenario");
    let output = policysim(dir.path(), &["check", file.to_str().expect("utf-8 path")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn unknown_key_is_refused() {
    check_case(&Case {
        what: "instrument[stipend].tak_up",
        edits: &[("take_up = 0.3", "tak_up = 0.3")],
        at: "tak_up",
        key_path: "instrument[stipend].tak_up",
        message: "unknown key",
    });
    // A misplaced key in a fixed table.
    check_case(&Case {
        what: "scenario.titel",
        edits: &[(
            "fx_cny_per_usd = 7.0\n",
            "fx_cny_per_usd = 7.0\ntitel = \"x\"\n",
        )],
        at: "titel",
        key_path: "scenario.titel",
        message: "unknown key",
    });
}

#[test]
fn wrong_type_is_refused() {
    check_case(&Case {
        what: "instrument[reward].amount",
        edits: &[("amount = 1.0e6\ntrigger", "amount = \"1.0e6\"\ntrigger")],
        at: "\"1.0e6\"",
        key_path: "instrument[reward].amount",
        message: "expected a number or a distribution table",
    });
    check_case(&Case {
        what: "scenario.fx_cny_per_usd",
        edits: &[("fx_cny_per_usd = 7.0", "fx_cny_per_usd = \"7.0\"")],
        at: "\"7.0\"",
        key_path: "scenario.fx_cny_per_usd",
        message: "expected a number, found a string",
    });
    check_case(&Case {
        what: "target[projects].year",
        edits: &[(
            "district = \"d1\"\nat_least",
            "district = \"d1\"\nyear = 2024.5\nat_least",
        )],
        at: "2024.5",
        key_path: "target[projects].year",
        message: "expected a non-negative integer, found a float",
    });
    check_case(&Case {
        what: "cohort[pool].count",
        edits: &[("count = 10", "count = 4.5")],
        at: "4.5",
        key_path: "cohort[pool].count",
        message: "expected a non-negative integer, found a float",
    });
}

#[test]
fn probability_outside_0_1_is_refused() {
    check_case(&Case {
        what: "instrument[stipend].take_up",
        edits: &[("take_up = 0.3", "take_up = 1.5")],
        at: "1.5",
        key_path: "instrument[stipend].take_up",
        message: "expected a probability in [0, 1], found 1.5",
    });
    check_case(&Case {
        what: "certification.apply_probability",
        edits: &[("apply_probability = 1", "apply_probability = -0.1")],
        at: "-0.1",
        key_path: "certification.apply_probability",
        message: "expected a probability in [0, 1], found -0.1",
    });
}

#[test]
fn negative_amount_is_refused() {
    check_case(&Case {
        what: "instrument[reward].amount",
        edits: &[("amount = 1.0e6\ntrigger", "amount = -1.0e6\ntrigger")],
        at: "-1.0e6",
        key_path: "instrument[reward].amount",
        message: "expected a non-negative number, found -1000000",
    });
    check_case(&Case {
        what: "instrument[matching].cap",
        edits: &[("cap = 5.0e6", "cap = -5.0e6")],
        at: "-5.0e6",
        key_path: "instrument[matching].cap",
        message: "expected a non-negative number, found -5000000",
    });
}

#[test]
fn funding_shares_not_summing_to_1_are_refused() {
    check_case(&Case {
        what: "instrument[reward].funding",
        edits: &[(
            "funding = { city = 0.7, district = 0.3 }",
            "funding = { city = 0.7, district = 0.2 }",
        )],
        at: "{ city = 0.7, district = 0.2 }",
        key_path: "instrument[reward].funding",
        message: "expected funding shares that sum to 1",
    });
}

#[test]
fn unknown_tier_in_eligible_tiers_is_refused() {
    check_case(&Case {
        what: "instrument[reward].eligible_tiers[1]",
        edits: &[(
            "eligible_tiers = [\"none\", \"unicorn\"]\nfunding = { city = 0.7",
            "eligible_tiers = [\"none\", \"unicron\"]\nfunding = { city = 0.7",
        )],
        at: "\"unicron\"",
        key_path: "instrument[reward].eligible_tiers[1]",
        message: "unknown tier `unicron`; expected one of `none`, `unicorn`",
    });
}

#[test]
fn unknown_trigger_occurrence_is_refused() {
    check_case(&Case {
        what: "instrument[stipend].trigger.occurrence",
        edits: &[(
            "occurrence = \"assessment\" }",
            "occurrence = \"asessment\" }",
        )],
        at: "\"asessment\"",
        key_path: "instrument[stipend].trigger.occurrence",
        message: "unknown occurrence `asessment`; expected one of `assessment`",
    });
}

#[test]
fn date_outside_the_horizon_is_refused() {
    check_case(&Case {
        what: "certification.dates[0]",
        edits: &[("dates = [\"2024-06-30\"]", "dates = [\"2026-06-30\"]")],
        at: "\"2026-06-30\"",
        key_path: "certification.dates[0]",
        message: "date 2026-06-30 is outside the horizon 2024-01-01 .. 2025-12-31",
    });
    check_case(&Case {
        what: "occurrence[assessment].dates[0]",
        edits: &[("dates = [\"2024-09-01\"]", "dates = [\"2023-12-31\"]")],
        at: "\"2023-12-31\"",
        key_path: "occurrence[assessment].dates[0]",
        message: "is outside the horizon",
    });
}

#[test]
fn a_cycle_in_extends_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    let a_text = format!("extends = \"b.toml\"\n{VALID}");
    let b_text = "# extends a, which extends b\nextends = \"a.toml\"\n\n[scenario]\nname = \"b\"\n";
    std::fs::write(&a, &a_text).expect("write a");
    std::fs::write(&b, b_text).expect("write b");
    // Loading a: a → b → a; the error points at the `extends` in b that closes the cycle.
    let (line, col) = line_col(b_text, "\"a.toml\"");
    let prefix = format!("{}:{line}:{col}: extends: ", b.display());
    let err = match policysim::scenario::load(&a) {
        Ok(_) => panic!("a cyclic scenario loaded"),
        Err(e) => e,
    };
    assert_eq!((err.line, err.column), (line, col), "{err}");
    assert_refused(
        dir.path(),
        &a,
        &prefix,
        "`extends` forms a cycle",
        "a → b → a",
    );
    // A file extending itself.
    let c = dir.path().join("c.toml");
    let c_text = format!("extends = \"c.toml\"\n{VALID}");
    assert_file_refused(
        dir.path(),
        &c,
        &c_text,
        &Refusal {
            at: "\"c.toml\"",
            key_path: "extends",
            message: "`extends` forms a cycle",
            what: "extends",
        },
    );
}

#[test]
fn more_than_31_tiers_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("many_tiers.toml");
    let extra: String = (0..31)
        .map(|k| {
            format!("\n[[tier]]\nid = \"t{k}\"\nroutes = [{{ max_age_years = 100, min_valuation_usd = 1.0 }}]\n")
        })
        .collect();
    // The 32nd tier (unicorn, then t0 .. t30) is one too many.
    assert_file_refused(
        dir.path(),
        &file,
        &format!("{VALID}{extra}"),
        &Refusal {
            at: "[[tier]]\nid = \"t30\"",
            key_path: "tier[t30]",
            message: "expected at most 31 tiers",
            what: "tier[t30]",
        },
    );
}

#[test]
fn review_dates_for_an_unknown_tier_are_refused() {
    check_case(&Case {
        what: "certification.dates_by_tier.none",
        edits: &[(
            "apply_probability = 1",
            "apply_probability = 1\ndates_by_tier = { none = [\"2024-06-30\"] }",
        )],
        at: "none = [",
        key_path: "certification.dates_by_tier.none",
        message: "unknown tier `none`; expected one of `unicorn`",
    });
}

/// An override replaces a distribution whole, so a normal written without its `sd` is
/// refused at the extending file, not completed from the base's distribution.
#[test]
fn an_overriding_distribution_missing_a_parameter_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base.toml");
    let base_text = VALID.replace(
        "drift_per_year = 0",
        "drift_per_year = { dist = \"normal\", mean = 0.1, sd = 0.2 }",
    );
    std::fs::write(&base, base_text).expect("write base");
    let over = dir.path().join("over.toml");
    let over_text = "extends = \"base.toml\"\n\n[growth]\ndrift_per_year = { dist = \"normal\", mean = -0.1 }\n";
    assert_file_refused(
        dir.path(),
        &over,
        over_text,
        &Refusal {
            at: "{ dist",
            key_path: "growth.drift_per_year.sd",
            message: "missing required key",
            what: "growth.drift_per_year.sd",
        },
    );
}

#[test]
fn unknown_district_in_a_target_is_refused() {
    check_case(&Case {
        what: "target[projects].district",
        edits: &[("district = \"d1\"", "district = \"d2\"")],
        at: "\"d2\"",
        key_path: "target[projects].district",
        message: "unknown district `d2`; expected `total` or one of `d1`",
    });
    // The district in a full metric name.
    check_case(&Case {
        what: "target[projects].metric",
        edits: &[(
            "metric = \"nev.projects.count\"\ndistrict = \"d1\"",
            "metric = \"nev.projects.count.d9\"",
        )],
        at: "\"nev.projects.count.d9\"",
        key_path: "target[projects].metric",
        message: "unknown district `d9`",
    });
}

#[test]
fn unknown_metric_in_a_target_is_refused() {
    check_case(&Case {
        what: "target[outlay].metric",
        edits: &[("metric = \"outlay.total\"", "metric = \"outlay.totl\"")],
        at: "\"outlay.totl\"",
        key_path: "target[outlay].metric",
        message: "unknown metric `outlay.totl`",
    });
}
