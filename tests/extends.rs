//! `extends` (docs/scenario-format.md, "Merging"): settings merge key by key, but a table
//! that is one value (a distribution, a trigger, funding shares, district weights) is
//! replaced whole by the extending file's.

use std::path::Path;

use policysim::scenario::LoadedScenario;

/// Loads `over` written beside a copy of `tests/scenarios/fixed_binomial.toml` it extends.
fn load_over(over: &str) -> LoadedScenario {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let base = std::fs::read_to_string(scenarios.join("fixed_binomial.toml")).expect("base");
    let base = base.replace(
        "drift_per_year = 0\n",
        "drift_per_year = { dist = \"normal\", mean = 0.1, sd = 0.2 }\n\
         exit_hazard_per_year = { none = 0.1, unicorn = 0.05 }\n",
    );
    std::fs::write(dir.path().join("base.toml"), base).expect("write base");
    let path = dir.path().join("over.toml");
    std::fs::write(&path, format!("extends = \"base.toml\"\n{over}")).expect("write over");
    policysim::scenario::load(&path).unwrap_or_else(|e| panic!("{over} should load: {e}"))
}

#[test]
fn a_distribution_of_another_kind_replaces_the_base_distribution() {
    let loaded =
        load_over("[growth]\ndrift_per_year = { dist = \"uniform\", low = -0.2, high = 0.1 }\n");
    assert_eq!(
        loaded.resolved["growth"]["drift_per_year"],
        serde_json::json!({ "dist": "uniform", "low": -0.2, "high": 0.1 })
    );
}

#[test]
fn funding_and_trigger_are_replaced_whole() {
    let loaded = load_over(
        "[[instrument]]\nid = \"reward\"\nfunding = { city = 1 }\n\
         trigger = { event = \"certified\", tier = \"unicorn\" }\n",
    );
    let reward = &loaded.resolved["instrument"][0];
    assert_eq!(reward["funding"], serde_json::json!({ "city": 1 }));
    assert_eq!(
        reward["trigger"],
        serde_json::json!({ "event": "certified", "tier": "unicorn" })
    );
    let inst = &loaded.scenario.instruments[0];
    assert_eq!(inst.city_share, 1.0);
}

#[test]
fn per_tier_maps_and_settings_still_merge_key_by_key() {
    let loaded = load_over("[growth]\nexit_hazard_per_year = { unicorn = 0.5 }\n");
    assert_eq!(
        loaded.resolved["growth"]["exit_hazard_per_year"],
        serde_json::json!({ "none": 0.1, "unicorn": 0.5 })
    );
    // The rest of [growth] is the base's.
    assert_eq!(
        loaded.resolved["growth"]["drift_per_year"],
        serde_json::json!({ "dist": "normal", "mean": 0.1, "sd": 0.2 })
    );
}
