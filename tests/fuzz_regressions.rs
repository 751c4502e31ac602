//! What the fuzz targets (fuzz/README.md) found, kept as scenario files
//! `tests/scenarios/fuzz_*.toml` so that a stable `cargo test` checks them on every run.
//! Each file's first line says what must happen now, `# expect: refused <key path>`:
//! refused (exit code 2) with a line and column, naming that key path.

mod common;

use std::path::PathBuf;

use policysim::scenario;

fn cases() -> Vec<PathBuf> {
    let dir = common::scenario_path("");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("fuzz_") && name.ends_with(".toml")
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn fuzz_findings_are_refused_naming_their_key() {
    let cases = cases();
    assert!(!cases.is_empty(), "no tests/scenarios/fuzz_*.toml");
    for path in cases {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line is not `# expect: ...`"));
        match (expect.split_once(' '), scenario::load(&path)) {
            (Some(("refused", key_path)), Err(e)) => {
                assert_eq!(e.key_path, key_path, "{name}: {e}");
                assert!(e.line > 0, "{name}: no line in {e}");
            }
            (Some(("refused", _)), Ok(_)) => panic!("{name}: accepted, expected a refusal"),
            _ => panic!("{name}: unknown expectation `{expect}`"),
        }
    }
}
