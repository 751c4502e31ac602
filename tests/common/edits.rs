//! The one valid scenario the refusal tests break, a line at a time: `VALID`, and how a
//! case edits it and finds where its error must point.

use std::path::Path;
use std::process::Command;

/// A valid scenario the cases break. Deterministic: every firm of `pool` is certified on
/// 2024-06-30; `reward` pays 1e6 each then, `later` pays 1e6 each twelve months on;
/// `stipend` and `matching` pay nothing (their occurrence has probability 0).
pub const VALID: &str = r#"[scenario]
name = "ranges"
start = "2024-01-01"
end = "2025-12-31"
fx_cny_per_usd = 7.0

[[tier]]
id = "unicorn"
routes = [{ max_age_years = 100, min_valuation_usd = 1.0 }]

[certification]
dates = ["2024-06-30"]
apply_probability = 1

[[cohort]]
id = "pool"
tier = "none"
count = 10
valuation_usd = 1.0e9
age_years = 5
districts = { d1 = 1 }

[[cohort]]
id = "spare"
tier = "none"
count = 0
valuation_usd = 1.0e9
age_years = 5

[entry]
rate_per_year = 0
valuation_usd = 1.0e9
age_years = 1

[growth]
drift_per_year = 0
volatility_per_year = 0

[listing]
stages = [{ id = "only", months = 12, pass = 0.5 }, { id = "second", months = 6, pass = 0.5 }]
regimes = [{ id = "calm", weight = 1 }, { id = "hot", weight = 1 }]

[[occurrence]]
id = "assessment"
dates = ["2024-09-01"]
probability = 0
magnitude = 1.0e6

[[instrument]]
id = "reward"
kind = "fixed"
amount = 1.0e6
trigger = { event = "first_certified", tier = "unicorn" }
eligible_tiers = ["none", "unicorn"]
funding = { city = 0.7, district = 0.3 }
budget_line = "main"
max_per_firm = 1

[[instrument]]
id = "later"
kind = "fixed"
amount = 1.0e6
payment_lag_months = 12
trigger = { event = "first_certified", tier = "unicorn" }
eligible_tiers = ["none", "unicorn"]
funding = { city = 1 }
budget_line = "main"

[[instrument]]
id = "stipend"
kind = "stipend"
amount = 1.0e4
months = 24
trigger = { event = "occurrence", occurrence = "assessment" }
eligible_tiers = ["unicorn"]
take_up = 0.3
funding = { city = 1 }
budget_line = "other"

[[instrument]]
id = "matching"
kind = "matching"
ratio = 1.0
cap = 5.0e6
trigger = { occurrence = "assessment", event = "occurrence" }
eligible_tiers = ["unicorn"]
funding = { city = 1 }
budget_line = "other"

[[budget_line]]
id = "main"
appropriation = { 2024 = 1.0e8 }

[[budget_line]]
id = "other"

[[district]]
id = "d1"
scale_100m_cny = 100
projects = { rate_per_year = 6, investment_100m_cny = 15 }

[[target]]
id = "projects"
metric = "nev.projects.count"
district = "d1"
at_least = 10

[[target]]
id = "outlay"
metric = "outlay.total"
at_most = 1.0e8
"#;

/// `VALID` with each `from` replaced by `to`; each must occur exactly once.
pub fn broken(edits: &[(&str, &str)]) -> String {
    let mut text = VALID.to_string();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "edit `{from}` must be unique"
        );
        text = text.replace(from, to);
    }
    text
}

/// 1-based line and column (in characters) of the unique occurrence of `at` in `text`.
pub fn line_col(text: &str, at: &str) -> (usize, usize) {
    assert_eq!(text.matches(at).count(), 1, "`{at}` must occur once");
    let before = &text[..text.find(at).expect("found")];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |j| j + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

/// `VALID` with each `from` replaced by `to` (each must occur exactly once), refused at
/// the unique text `at`, naming `key_path`, with `message` in the error.
pub struct Case {
    pub what: &'static str,
    pub edits: &'static [(&'static str, &'static str)],
    pub at: &'static str,
    pub key_path: &'static str,
    pub message: &'static str,
}

/// Loads the case's broken scenario (refused where and how the case says), then runs
/// `check` and `run` on it (exit 2, the same message, nothing written).
pub fn check_case(case: &Case) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("broken.toml");
    let text = broken(case.edits);
    let refusal = Refusal {
        at: case.at,
        key_path: case.key_path,
        message: case.message,
        what: case.what,
    };
    assert_file_refused(dir.path(), &file, &text, &refusal);
}

/// Where and how a scenario must be refused: at the unique text `at`, naming `key_path`,
/// with `message` in the error; `what` names the case in a failure.
pub struct Refusal<'a> {
    pub at: &'a str,
    pub key_path: &'a str,
    pub message: &'a str,
    pub what: &'a str,
}

/// Writes `text` to `file` (in `dir`, beside any file it extends) and asserts that the
/// library and the binary refuse it as `refusal` says.
pub fn assert_file_refused(dir: &Path, file: &Path, text: &str, refusal: &Refusal<'_>) {
    let Refusal {
        at,
        key_path,
        message,
        what,
    } = *refusal;
    std::fs::write(file, text).expect("write scenario");
    let (line, col) = line_col(text, at);
    // The library says the same as the binary.
    let err = match policysim::scenario::load(file) {
        Ok(_) => panic!("{what}: accepted"),
        Err(e) => e,
    };
    assert_eq!((err.line, err.column), (line, col), "{what}: {err}");
    assert_eq!(err.key_path, key_path, "{what}: {err}");
    assert!(err.message.contains(message), "{what}: {err}");
    let prefix = format!("{}:{line}:{col}: {key_path}: ", file.display());
    assert_refused(dir, file, &prefix, message, what);
}

/// Checks every case (see `check_case`) and reports the failures together, so that one
/// broken class does not hide the others.
pub fn check_cases(cases: &[Case]) {
    let failures: Vec<&str> = cases
        .iter()
        .filter(|case| std::panic::catch_unwind(|| check_case(case)).is_err())
        .map(|case| case.what)
        .collect();
    assert!(failures.is_empty(), "cases that failed: {failures:#?}");
}

/// `text` loads as a scenario (written to a file in a fresh temporary folder).
pub fn assert_accepted(text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("accepted.toml");
    std::fs::write(&file, text).expect("write");
    if let Err(e) = policysim::scenario::load(&file) {
        panic!("refused: {e}\n{text}");
    }
}

pub fn policysim(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_policysim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the policysim binary")
}

/// `check` and `run` (into `--out`, and into the default folder under `dir`) each exit 2
/// with `file:line:col: key_path: ...message`, and nothing is written.
pub fn assert_refused(dir: &Path, file: &Path, prefix: &str, message: &str, what: &str) {
    let name = file.to_str().expect("a UTF-8 path");
    let before = listing(dir);
    for args in [
        vec!["check", name],
        vec!["run", name, "--reps", "2", "--quiet", "--out", "out"],
        // The default output folder, output/<name>-<seed> under the working directory.
        vec!["run", name, "--reps", "2", "--quiet"],
    ] {
        let out = policysim(dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {args:?}: {stderr}");
        assert!(
            stderr.contains(prefix),
            "{what}: `{prefix}` not in {stderr}"
        );
        assert!(
            stderr.contains(message),
            "{what}: `{message}` not in {stderr}"
        );
        assert_eq!(listing(dir), before, "{what}: {args:?} wrote files");
    }
}

/// Files and folders in `dir`, sorted.
fn listing(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}
