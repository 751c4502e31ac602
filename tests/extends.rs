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

/// What `extends` may read (issue 11): a regular file (`/dev/zero` was read until the
/// process was killed), at most 16 MiB, in a chain at most 32 deep (20,000 deep
/// overflowed the stack). Each is refused with exit 2 naming the `extends` line.
fn refused(dir: &Path, file: &Path, key_path: &str, message: &str) {
    let err = match policysim::scenario::load(file) {
        Ok(_) => panic!("{} loaded", file.display()),
        Err(e) => e,
    };
    assert_eq!(err.key_path, key_path, "{err}");
    assert!(err.message.contains(message), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("check")
        .arg(file)
        .current_dir(dir)
        .output()
        .expect("run policysim");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
}

#[test]
fn extends_of_a_device_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("over.toml");
    std::fs::write(&file, "extends = \"/dev/zero\"\n").expect("write");
    refused(dir.path(), &file, "extends", "expected a regular file");
    let err = policysim::scenario::load(&file).err().expect("refused");
    assert_eq!((err.line, err.column), (1, 11), "{err}");
}

#[test]
fn extends_of_a_file_above_16_mib_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.toml");
    // Comments only: valid TOML, so only its size can refuse it.
    let line = format!("# {}\n", "x".repeat(1021));
    std::fs::write(&big, line.repeat(16 * 1024 + 1)).expect("write");
    let file = dir.path().join("over.toml");
    std::fs::write(&file, "extends = \"big.toml\"\n").expect("write");
    refused(
        dir.path(),
        &file,
        "",
        "expected a scenario file of at most 16 MiB",
    );
}

#[test]
fn an_extends_chain_deeper_than_32_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..40 {
        std::fs::write(
            dir.path().join(format!("s{i}.toml")),
            format!("extends = \"s{}.toml\"\n", i + 1),
        )
        .expect("write");
    }
    std::fs::write(dir.path().join("s40.toml"), "").expect("write");
    refused(
        dir.path(),
        &dir.path().join("s0.toml"),
        "extends",
        "expected an `extends` chain at most 32 files deep",
    );
    // 32 deep is fine as far as `extends` goes (the tree then lacks [scenario]).
    let err = policysim::scenario::load(&dir.path().join("s9.toml"))
        .err()
        .expect("refused");
    assert_eq!(err.key_path, "scenario", "{err}");
}

/// A successor that `extends` its predecessor inherits the predecessor's appropriation
/// years and cannot remove them: those before its own start's year are dropped (it pays
/// nothing in them), so neither its budget nor its report's cumulative appropriation
/// counts them; its own years stay. The baseline keeps all of its years.
#[test]
fn appropriation_years_before_the_start_are_not_the_successors_budget() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let renewal = policysim::scenario::load(&root.join("scenarios/renewal_2026.toml"))
        .expect("the renewal loads");
    let s = &renewal.scenario;
    assert_eq!(s.budget_years(), 2026..=2031);
    let science = s.budget_lines.iter().find(|l| l.id == "science").unwrap();
    let by_year: Vec<(i32, Option<f64>)> = s.years().zip(science.appropriation.clone()).collect();
    for (year, a) in by_year {
        match year {
            ..=2025 => assert_eq!(a, None, "{year}: inherited from the baseline"),
            2026..=2028 => assert_eq!(a, Some(3.0e7), "{year}"),
            2029 => assert_eq!(a, Some(7.5e6)),
            _ => assert_eq!(a, None, "{year}: not appropriated"),
        }
    }
    let baseline = policysim::scenario::load(&root.join("scenarios/baseline.toml")).unwrap();
    let s = &baseline.scenario;
    assert_eq!(s.budget_years(), s.years());
    let science = s.budget_lines.iter().find(|l| l.id == "science").unwrap();
    assert_eq!(
        science.appropriation[..3],
        [Some(1.0e6), Some(1.5e7), Some(3.0e7)]
    );
}
