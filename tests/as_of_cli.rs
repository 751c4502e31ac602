//! Runs from actuals on the command line (docs/model.md, Runs from actuals): the flags and
//! the scenario's `[actuals]` section resolve to one folder and date, refused before any
//! work when incomplete or bad; the manifest records the folder's SHA-256, and `merge`,
//! `verify` and `--resume` refuse a folder changed since the run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const AS_OF: &str = "2026-03-31";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn policysim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_policysim"));
    c.current_dir(root())
        .args(args)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("POLICYSIM_SHARD_COUNT");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("policysim runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Asserts bad input (exit code 2) whose message contains `message`.
fn refused(o: &Output, message: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2 for `{message}`: {err}"
    );
    assert!(err.contains(message), "`{message}` not in: {err}");
}

/// A copy of the example actuals in `dir`.
fn example_copy(dir: &Path) -> PathBuf {
    let to = dir.join("actuals");
    std::fs::create_dir(&to).expect("mkdir");
    for name in policysim::actuals::FILES {
        std::fs::copy(root().join("actuals/example").join(name), to.join(name)).expect("copy");
    }
    to
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

fn run_args<'a>(actuals: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "scenarios/baseline.toml",
        "--reps",
        "8",
        "--seed",
        "3",
        "--threads",
        "1",
        "--quiet",
        "--actuals",
        actuals,
        "--as-of",
        AS_OF,
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn half_an_as_of_run_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let base = ["run", "scenarios/baseline.toml", "--reps", "4", "--quiet"];
    let mut only_date = base.to_vec();
    only_date.extend(["--as-of", AS_OF, "--out", s(&out)]);
    refused(&policysim(&only_date, &[]), "--as-of needs --actuals DIR");
    let mut only_dir = base.to_vec();
    only_dir.extend(["--actuals", "actuals/example", "--out", s(&out)]);
    refused(&policysim(&only_dir, &[]), "--actuals needs --as-of DATE");
    assert!(!out.exists(), "a refused run wrote {}", out.display());
}

#[test]
fn bad_actuals_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example_copy(tmp.path());
    let events = dir.join("events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(&events, text.replace("certified:unicorn", "certified:gold")).unwrap();
    let out = tmp.path().join("out");
    let o = policysim(&run_args(s(&dir), s(&out), &[]), &[]);
    refused(&o, "events.csv:2:3: column `event`: unknown tier `gold`");
    assert!(!out.exists(), "a refused run wrote {}", out.display());
    // An as-of date that is not a day.
    let o = policysim(
        &[
            "run",
            "scenarios/baseline.toml",
            "--actuals",
            "actuals/example",
            "--as-of",
            "2026-02-30",
            "--out",
            s(&out),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    // A day outside the dates any scenario or actuals folder may hold, with run and
    // check alike.
    for (command, date) in [
        ("run", "2201-01-01"),
        ("check", "1899-12-31"),
        ("run", "9999-12-31"),
    ] {
        let mut args = vec![command, "scenarios/baseline.toml"];
        args.extend(["--actuals", "actuals/example", "--as-of", date]);
        if command == "run" {
            args.extend(["--out", s(&out)]);
        }
        let o = policysim(&args, &[]);
        refused(&o, "expected a date from 1900-01-01 to 2200-12-31");
        assert!(!out.exists());
    }
}

#[test]
fn the_manifest_records_the_actuals_and_merge_refuses_a_changed_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example_copy(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(&policysim(
        &run_args(s(&dir), s(&a), &["--shard", "0/2"]),
        &[],
    ));
    ok(&policysim(
        &run_args(s(&dir), s(&b), &["--shard", "1/2"]),
        &[],
    ));
    let m = manifest(&a);
    let recorded = &m["actuals"];
    assert_eq!(recorded["as_of"], AS_OF);
    assert_eq!(recorded["dir"], s(&dir));
    let hash = policysim::actuals::folder_hash(&dir).unwrap();
    assert_eq!(recorded["sha256"], hash.as_str());

    let merged = tmp.path().join("merged");
    ok(&policysim(
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    ));
    assert_eq!(manifest(&merged)["actuals"], *recorded);

    // One more observation: a changed folder.
    let obs = dir.join("observations.csv");
    let mut text = std::fs::read_to_string(&obs).unwrap();
    text.push_str("listings.new,in 2024,0\n");
    std::fs::write(&obs, text).unwrap();
    let again = tmp.path().join("again");
    let o = policysim(&["merge", "--quiet", "--out", s(&again), s(&a), s(&b)], &[]);
    refused(&o, "cannot merge: the actuals folder");
    refused(&o, "has changed since the run");
    assert!(!again.exists());
    let o = policysim(&["verify", "--quiet", s(&merged)], &[]);
    refused(&o, "has changed since the run");
}

#[test]
fn merge_refuses_shards_of_runs_from_different_actuals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example_copy(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    ok(&policysim(
        &run_args(s(&dir), s(&a), &["--shard", "0/2"]),
        &[],
    ));
    let other = [
        "run",
        "scenarios/baseline.toml",
        "--reps",
        "8",
        "--seed",
        "3",
        "--quiet",
        "--shard",
        "1/2",
        "--out",
        s(&b),
    ];
    ok(&policysim(&other, &[]));
    let merged = tmp.path().join("merged");
    let o = policysim(
        &["merge", "--quiet", "--out", s(&merged), s(&a), s(&b)],
        &[],
    );
    refused(&o, "are not shards of one run: actuals");
}

#[test]
fn resume_refuses_a_changed_actuals_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = example_copy(tmp.path());
    let out = tmp.path().join("out");
    let stop = [
        ("POLICYSIM_BLOCK", "2"),
        ("POLICYSIM_STOP_AFTER_BLOCKS", "1"),
    ];
    let o = policysim(&run_args(s(&dir), s(&out), &[]), &stop);
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let firms = dir.join("firms.csv");
    let text = std::fs::read_to_string(&firms).unwrap();
    std::fs::write(&firms, text.replace("1.6e9", "1.7e9")).unwrap();
    let o = policysim(&["run", "--quiet", "--resume", s(&out)], &[]);
    refused(&o, "cannot resume");
    refused(&o, "has changed since the run");
    // Put back, the run resumes.
    std::fs::write(&firms, text).unwrap();
    ok(&policysim(&["run", "--quiet", "--resume", s(&out)], &[]));
    assert_eq!(manifest(&out)["actuals"]["as_of"], AS_OF);
}

/// The `[actuals]` section names the folder relative to the scenario file; the flags
/// override it; `compare` refuses such a scenario.
#[test]
fn the_scenario_section_resolves_against_its_file() {
    let tmp = tempfile::tempdir().unwrap();
    example_copy(tmp.path());
    let scenario = tmp.path().join("from_actuals.toml");
    let baseline = root().join("scenarios/baseline.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = \"{}\"\n\n[actuals]\ndir = \"actuals\"\nas_of = \"{AS_OF}\"\n",
            s(&baseline)
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = [
        "run",
        s(&scenario),
        "--reps",
        "4",
        "--quiet",
        "--out",
        s(&out),
    ];
    ok(&policysim(&run, &[]));
    let m = manifest(&out);
    assert_eq!(m["actuals"]["dir"], s(&tmp.path().join("actuals")));
    assert_eq!(m["actuals"]["as_of"], AS_OF);

    // --as-of overrides the section's date.
    let out2 = tmp.path().join("out2");
    let mut later = run.to_vec();
    later[6] = s(&out2);
    later.extend(["--as-of", "2026-06-30"]);
    ok(&policysim(&later, &[]));
    assert_eq!(manifest(&out2)["actuals"]["as_of"], "2026-06-30");

    let cmp = tmp.path().join("cmp");
    let o = policysim(
        &[
            "compare",
            s(&baseline),
            s(&scenario),
            "--reps",
            "4",
            "--quiet",
            "--out",
            s(&cmp),
        ],
        &[],
    );
    refused(&o, "does not run from actuals");
    assert!(!cmp.exists());

    // A section missing its date.
    std::fs::write(
        &scenario,
        format!(
            "extends = \"{}\"\n\n[actuals]\ndir = \"actuals\"\n",
            s(&baseline)
        ),
    )
    .unwrap();
    refused(&policysim(&["check", s(&scenario)], &[]), "actuals.as_of");
}

/// The shipped successor policy passes `check` (with its actuals) and runs from them.
#[test]
fn the_renewal_scenario_checks_and_runs_from_the_actual_pool() {
    let o = policysim(&["check", "scenarios/renewal_2026.toml"], &[]);
    ok(&o);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("# actuals "), "{text}");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("renewal");
    let run = [
        "run",
        "scenarios/renewal_2026.toml",
        "--reps",
        "20",
        "--quiet",
        "--out",
        s(&out),
    ];
    ok(&policysim(&run, &[]));
    let m = manifest(&out);
    assert_eq!(m["actuals"]["as_of"], "2026-03-31");
    assert_eq!(m["actuals"]["dir"], "scenarios/../actuals/example");
    // budget.csv lists the renewal's own years, from its start (2026) to its
    // payments_until (2031); the baseline's 2023–2025 appropriations, which it inherits
    // through `extends`, are not its budget (docs/scenario-format.md, `[[budget_line]]`).
    let mut budget = csv::Reader::from_path(out.join("budget.csv")).expect("budget.csv");
    let year = budget
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "year")
        .unwrap();
    let appropriation = budget
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "appropriation")
        .unwrap();
    let rows: Vec<(String, String)> = budget
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_string(),
                format!("{} {}", &r[year], &r[appropriation]),
            )
        })
        .collect();
    let science: Vec<&str> = rows
        .iter()
        .filter(|(line, _)| line == "science")
        .map(|(_, y)| y.as_str())
        .collect();
    assert_eq!(
        science,
        [
            "2026 30000000",
            "2027 30000000",
            "2028 30000000",
            "2029 7500000",
            "2030 ",
            "2031 "
        ]
    );
    assert_eq!(rows.len(), 4 * 6, "{rows:?}");
}

/// A run from actuals of the frozen world with entrants (36.525 a year, one every ten
/// days), as of 2025-03-31, from three known firms: the estimate counts those three and
/// the entrants expected over the 276 days from the as-of date to the end, padded as
/// for any run (`footprint`: λ + 6√λ + 10), not the scenario's 40-firm cohort and the
/// entrants of the whole window. The outlay table's name column fits its longest name
/// (`remaining.funder.district`), so every row is as long as the others.
#[test]
fn an_as_of_run_estimates_its_known_firms_and_aligns_its_outlay_table() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("entrants.toml");
    let frozen = root().join("tests/scenarios/as_of_frozen.toml");
    std::fs::write(
        &scenario,
        format!(
            "extends = {:?}\n[scenario]\nname = \"entrants\"\n[entry]\nrate_per_year = 36.525\n",
            s(&frozen)
        ),
    )
    .unwrap();
    let actuals = tmp.path().join("actuals");
    std::fs::create_dir(&actuals).unwrap();
    std::fs::write(
        actuals.join("firms.csv"),
        "firm_id,district,nev,founded\nA,,false,2019-01-01\nB,,false,2019-01-01\nC,,false,2019-01-01\n",
    )
    .unwrap();
    std::fs::write(
        actuals.join("events.csv"),
        "date,firm_id,event\n2024-06-30,A,certified:unicorn\n",
    )
    .unwrap();
    let padded = |lambda: f64| (lambda + 6.0 * lambda.sqrt() + 10.0).ceil() as u64;
    let run = |extra: &[&str]| {
        let out = tmp.path().join("out");
        let mut args = vec![
            "run",
            s(&scenario),
            "--reps",
            "4",
            "--threads",
            "1",
            "--force",
            "--out",
            s(&out),
        ];
        args.extend_from_slice(extra);
        let o = policysim(&args, &[]);
        ok(&o);
        o
    };
    let estimate = |o: &Output| {
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        let at = err.find("estimate: ").expect("an estimate") + "estimate: ".len();
        err[at..].split(' ').next().unwrap().parse::<u64>().unwrap()
    };
    // 2025-03-31 .. 2026-01-01 (the end's next day) is 276 days; the plain run's window
    // 2024-01-01 .. 2026-01-01 is 731.
    let o = run(&["--actuals", s(&actuals), "--as-of", "2025-03-31"]);
    assert_eq!(estimate(&o), 3 + padded(27.6));
    assert_eq!(estimate(&run(&[])), 40 + padded(73.1));

    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Outlay (million yuan)"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(rows.iter().any(|r| r.contains("remaining.funder.district")));
    let len = rows[0].chars().count();
    for r in &rows {
        assert_eq!(r.chars().count(), len, "misaligned row `{r}` in:\n{text}");
    }
}
