//! docs/scenario.schema.json, the JSON Schema editors read (docs/scenario-format.md,
//! "Editor support"), is generated from the readers' own key table
//! (`policysim::scenario::spec::KEYS`): the committed file equals what the code generates,
//! every shipped and test scenario is valid against it under a real validator, and files
//! `check` refuses for an unknown key, a wrong type, a value out of range or a bad string
//! value are refused by the schema too.

use std::path::{Path, PathBuf};

use policysim::scenario::{self, schema::json_schema};
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema_path() -> PathBuf {
    root().join("docs/scenario.schema.json")
}

/// The schema as committed, which is what editors read.
fn committed() -> Value {
    let text = std::fs::read_to_string(schema_path()).expect("docs/scenario.schema.json");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::new(&committed()).expect("a valid draft-07 schema")
}

/// A TOML document as the JSON an editor validates: dates become their text (the `toml`
/// crate would serialize them as a private marker table); a non-finite float becomes
/// null, which no number schema accepts.
fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::from(*b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// The schema's complaints about a scenario text, one line each.
fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let doc: toml::Value = toml::from_str(text).expect("valid TOML");
    let json = to_json(&doc);
    validator
        .iter_errors(&json)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn scenario_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["scenarios", "tests/scenarios"] {
        for entry in std::fs::read_dir(root().join(dir)).expect(dir) {
            let path = entry.expect("a directory entry").path();
            // fuzz_*.toml are inputs `check` must refuse (tests/fuzz_regressions.rs reads
            // their first line), not scenarios.
            let fuzz_input = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("fuzz_"));
            if path.extension().is_some_and(|e| e == "toml") && !fuzz_input {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let generated = serde_json::to_string_pretty(&json_schema()).expect("JSON") + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_path(), &generated).expect("write docs/scenario.schema.json");
    }
    let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/scenario.schema.json differs from what src/scenario/schema.rs generates from \
         spec::KEYS; update it with `UPDATE_SCHEMA=1 cargo test --test schema` and commit it"
    );
}

#[test]
fn every_shipped_and_test_scenario_is_valid() {
    let validator = validator();
    let files = scenario_files();
    assert!(
        files.len() >= 30,
        "found only {} scenario files",
        files.len()
    );
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read scenario");
        let errors = schema_errors(&validator, &text);
        assert!(
            errors.is_empty(),
            "{}:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

/// Every scenario file names the schema, relative to itself, in the directive Taplo
/// reads on its first line.
#[test]
fn every_scenario_starts_with_the_schema_directive() {
    for path in scenario_files() {
        let text = std::fs::read_to_string(&path).expect("read scenario");
        let first = text.lines().next().unwrap_or_default();
        let directive = first.strip_prefix("#:schema ").unwrap_or_else(|| {
            panic!(
                "{} starts with `{first}`, not `#:schema ...`",
                path.display()
            )
        });
        let target = path.parent().expect("a folder").join(directive.trim());
        assert_eq!(
            target.canonicalize().ok(),
            schema_path().canonicalize().ok(),
            "{}: `{first}` does not name docs/scenario.schema.json",
            path.display()
        );
    }
}

/// One edit of a valid, self-contained scenario that `check` refuses, and a word of the
/// schema's complaint.
struct Case {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    schema_says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "unknown key in a table",
        from: "fx_cny_per_usd = 7.0",
        to: "fx_cny_per_usd = 7.0\nfx_rate = 7.0",
        schema_says: "fx_rate",
    },
    Case {
        what: "unknown key in an array of tables",
        from: "take_up = 0.3",
        to: "take_up = 0.3\ntakeup = 0.3",
        schema_says: "takeup",
    },
    Case {
        what: "unknown top-level table",
        from: "[entry]",
        to: "[entri]\nrate_per_year = 1\n\n[entry]",
        schema_says: "entri",
    },
    Case {
        what: "unknown distribution parameter",
        from: "take_up = 0.3",
        to: "take_up = { dist = \"uniform\", low = 0.1, hi = 0.5 }",
        schema_says: "take_up",
    },
    Case {
        what: "wrong type: a string for a number",
        from: "count = 40",
        to: "count = \"40\"",
        schema_says: "count",
    },
    Case {
        what: "wrong type: a float for an integer",
        from: "count = 40",
        to: "count = 40.5",
        schema_says: "count",
    },
    Case {
        what: "probability out of range",
        from: "take_up = 0.3",
        to: "take_up = 1.5",
        schema_says: "take_up",
    },
    Case {
        what: "distribution location out of range",
        from: "take_up = 0.3",
        to: "take_up = { dist = \"uniform\", low = 0.1, high = 1.5 }",
        schema_says: "take_up",
    },
    Case {
        what: "money above its maximum",
        from: "amount = 1.0e6",
        to: "amount = 1.0e13",
        schema_says: "amount",
    },
    Case {
        what: "exclusive minimum",
        from: "fx_cny_per_usd = 7.0",
        to: "fx_cny_per_usd = 0",
        schema_says: "fx_cny_per_usd",
    },
    Case {
        what: "bad string value",
        from: "kind = \"fixed\"",
        to: "kind = \"fixd\"",
        schema_says: "kind",
    },
    Case {
        what: "bad trigger event",
        from: "event = \"first_certified\"",
        to: "event = \"first_certify\"",
        schema_says: "event",
    },
    Case {
        what: "unknown funder",
        from: "funding = { city = 0.7, district = 0.3 }",
        to: "funding = { city = 0.7, province = 0.3 }",
        schema_says: "province",
    },
    Case {
        what: "date outside 1900 .. 2200",
        from: "dates = [\"2024-06-30\"]",
        to: "dates = [\"2024-06-30\", \"2201-01-01\"]",
        schema_says: "2201",
    },
];

#[test]
fn what_check_refuses_the_schema_refuses() {
    let base_path = root().join("tests/scenarios/fixed_binomial.toml");
    let base = std::fs::read_to_string(&base_path).expect("fixed_binomial.toml");
    let validator = validator();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("case.toml");
    std::fs::write(&file, &base).expect("write");
    assert!(scenario::load(&file).is_ok(), "the unedited base loads");
    assert_eq!(schema_errors(&validator, &base), Vec::<String>::new());
    for case in CASES {
        assert_eq!(
            base.matches(case.from).count(),
            1,
            "{}: `{}` once",
            case.what,
            case.from
        );
        let text = base.replacen(case.from, case.to, 1);
        std::fs::write(&file, &text).expect("write");
        let refused = scenario::load(&file).err();
        assert!(refused.is_some(), "{}: check accepts it", case.what);
        let errors = schema_errors(&validator, &text);
        assert!(
            errors.iter().any(|e| e.contains(case.schema_says)),
            "{}: check says `{}`, the schema says {errors:?}",
            case.what,
            refused.expect("refused")
        );
    }
}

/// A file that extends a base writes only what it changes: the schema requires no key.
#[test]
fn a_partial_file_is_valid() {
    let validator = validator();
    let text = "extends = \"baseline.toml\"\n\n[[instrument]]\nid = \"x\"\ntake_up = 0.5\n";
    assert_eq!(schema_errors(&validator, text), Vec::<String>::new());
}

/// The date pattern spans exactly spec's first and last dates.
#[test]
fn the_date_pattern_spans_the_dates_check_accepts() {
    use policysim::scenario::spec::{FIRST_DATE, LAST_DATE};
    let validator = validator();
    let at = |d: &str| schema_errors(&validator, &format!("[scenario]\nstart = {d}\n"));
    assert!(at(FIRST_DATE).is_empty() && at(LAST_DATE).is_empty());
    assert!(!at("1899-12-31").is_empty() && !at("2201-01-01").is_empty());
    assert!(
        at(&format!("\"{FIRST_DATE}\"")).is_empty(),
        "a date as a string"
    );
}
