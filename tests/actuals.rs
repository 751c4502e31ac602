//! An actuals folder (docs/actuals-format.md) is validated against the scenario before
//! any work: every class of bad input is refused naming the file, line, column and what
//! was expected, and `check --actuals` exits with code 2. Each case breaks one row of
//! the illustrative `actuals/example` folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use policysim::actuals::{self, ActualsError, EventKind, ObservedWindow};
use policysim::scenario::LoadedScenario;

const AS_OF: &str = "2026-03-31";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn baseline() -> LoadedScenario {
    policysim::scenario::load(&root().join("scenarios/baseline.toml")).expect("baseline loads")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

/// A copy of the example folder with `file`'s text `from` replaced by `to` (`from` must
/// occur once), and the 1-based line `to` ends up on.
fn broken(file: &str, from: &str, to: &str) -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in actuals::FILES {
        std::fs::copy(
            root().join("actuals/example").join(name),
            dir.path().join(name),
        )
        .expect("copy the example");
    }
    let path = dir.path().join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in {file}");
    let text = text.replacen(from, to, 1);
    let at = text.find(to).expect("replaced");
    let line = text[..at].matches('\n').count() as u64 + 1;
    std::fs::write(&path, text).expect("write");
    (dir, line)
}

/// Loads the folder against the baseline with the as-of date, expecting an error.
fn refused(dir: &Path, as_of: &str) -> ActualsError {
    let loaded = baseline();
    actuals::load(dir, &loaded.scenario, Some(date(as_of))).expect_err("refused")
}

/// Breaks one row, loads, and checks where and why the error says it failed.
fn assert_refused(file: &str, from: &str, to: &str, column: &str, expected: &str) {
    let (dir, line) = broken(file, from, to);
    let err = refused(dir.path(), AS_OF);
    assert_eq!(err.file, dir.path().join(file), "{err}");
    assert_eq!(err.line, line, "{err}");
    assert_eq!(err.column_name, column, "{err}");
    assert!(err.column > 0, "{err}");
    assert!(err.message.contains(expected), "`{expected}` not in: {err}");
}

#[test]
fn example_folder_is_valid_and_read_whole() {
    let loaded = baseline();
    let s = &loaded.scenario;
    let a = actuals::load(&root().join("actuals/example"), s, Some(date(AS_OF)))
        .expect("the example is valid");
    assert_eq!(a.firms.len(), 7);
    assert_eq!(a.events.len(), 20);
    assert_eq!(a.payments.len(), 10);
    assert_eq!(a.observations.len(), 8);
    assert!(a.events.windows(2).all(|w| w[0].day <= w[1].day));
    // F002's valuation is given in yuan: converted at the scenario's rate.
    let f002 = a.firms.iter().find(|f| f.id == "F002").expect("F002");
    assert_eq!(
        f002.valuation_usd.expect("valued").0,
        5.1e9 / s.fx_cny_per_usd
    );
    let magnitude = a.events.iter().find_map(|e| match e.kind {
        EventKind::Occurrence(_, m) if m > 0.0 => Some(m),
        _ => None,
    });
    assert_eq!(magnitude, Some(1.5e7));
    assert_eq!(a.observations[4].window, ObservedWindow::In(2024));
    assert_eq!(a.payments.iter().map(|p| p.amount).sum::<f64>(), 6.9e6);
}

#[test]
fn the_folder_hash_changes_with_any_file() {
    let example = actuals::folder_hash(&root().join("actuals/example")).expect("hash");
    let (dir, _) = broken("observations.csv", "in 2025,1300000", "in 2025,1300001");
    assert_ne!(actuals::folder_hash(dir.path()).expect("hash"), example);
    let (same, _) = broken("observations.csv", "in 2025,1300000", "in 2025,1300000");
    assert_eq!(actuals::folder_hash(same.path()).expect("hash"), example);
}

#[test]
fn unknown_firm_is_refused() {
    assert_refused(
        "events.csv",
        "2024-05-10,F003,",
        "2024-05-10,F099,",
        "firm_id",
        "unknown firm `F099`; expected a firm_id of firms.csv",
    );
    assert_refused(
        "payments.csv",
        "2025-08-29,F003,",
        "2025-08-29,F099,",
        "firm_id",
        "unknown firm `F099`",
    );
}

#[test]
fn unknown_tier_stage_occurrence_instrument_district_and_metric_are_refused() {
    let cases = [
        (
            "events.csv",
            "F004,certified:seed",
            "F004,certified:gold",
            "event",
            "unknown tier `gold`; expected one of seed, potential, unicorn",
        ),
        (
            "events.csv",
            "F007,listing_stage:reserve",
            "F007,listing_stage:ipo",
            "event",
            "unknown listing stage `ipo`; expected one of reserve, reform",
        ),
        (
            "events.csv",
            "occurrence:platform_provincial",
            "occurrence:moon_landing",
            "event",
            "unknown occurrence `moon_landing`",
        ),
        (
            "events.csv",
            "F006,exited",
            "F006,vanished",
            "event",
            "unknown event `vanished`",
        ),
        (
            "payments.csv",
            "sci_award_first_unit,500000",
            "sci_award_last_unit,500000",
            "instrument",
            "unknown instrument `sci_award_last_unit`",
        ),
        (
            "firms.csv",
            "jingkai,false",
            "shanghai,false",
            "district",
            "unknown district `shanghai`; expected one of liyang, jintan",
        ),
        (
            "observations.csv",
            "listings.new,",
            "listings.newest,",
            "metric",
            "unknown metric `listings.newest`",
        ),
    ];
    for (file, from, to, column, expected) in cases {
        assert_refused(file, from, to, column, expected);
    }
}

#[test]
fn impossible_dates_and_dates_outside_start_and_as_of_are_refused() {
    let cases = [
        (
            "events.csv",
            "2024-06-20,F006",
            "2024-02-30,F006",
            "date",
            "expected a date YYYY-MM-DD that exists, from 1900-01-01 to 2200-12-31, found `2024-02-30`",
        ),
        (
            "firms.csv",
            "2016-04-12",
            "2016-13-12",
            "founded",
            "expected a date YYYY-MM-DD that exists",
        ),
        (
            "events.csv",
            "2024-06-20,F006",
            "2023-06-20,F006",
            "date",
            "2023-06-20 is before the scenario's start 2023-09-08",
        ),
        (
            "payments.csv",
            "2026-01-30,F004",
            "2026-04-30,F004",
            "paid_on",
            "2026-04-30 is after the as-of date 2026-03-31",
        ),
        (
            "payments.csv",
            "1600000,2023-11-24",
            "1600000,2023-08-24",
            "triggered_on",
            "before the scenario's start",
        ),
        (
            "firms.csv",
            "1.2e8,,2025-09-30",
            "1.2e8,,2026-09-30",
            "valuation_date",
            "after the as-of date",
        ),
        (
            "observations.csv",
            "in 2025,1300000",
            "in 2026,1300000",
            "window",
            "the window ends 2026-12-31: 2026-12-31 is after the as-of date",
        ),
        (
            "observations.csv",
            "listings.new,by 2025-12-31",
            "listings.new,by 2025-12",
            "window",
            "expected `in YYYY` or `by YYYY-MM-DD`",
        ),
    ];
    for (file, from, to, column, expected) in cases {
        assert_refused(file, from, to, column, expected);
    }
    // The same folder is valid when the as-of date covers the listing of 2026-02-27 and
    // refused when it does not.
    let example = root().join("actuals/example");
    let err = refused(&example, "2026-01-31");
    assert_eq!((err.line, err.column_name.as_str()), (21, "date"), "{err}");
    assert!(
        err.message
            .contains("2026-02-27 is after the as-of date 2026-01-31"),
        "{err}"
    );
}

/// Numbers and dates in an actuals folder have the scenario format's ranges
/// (docs/scenario-format.md): a ledger amount of 1.6e13 yuan (a typo of a few zeros), an
/// infinite one, a founding in year 1, a valuation of 1e300 were all read, and summing
/// such amounts can reach infinity.
#[test]
fn numbers_and_dates_outside_the_scenario_ranges_are_refused() {
    let cases = [
        (
            "payments.csv",
            "F001,first_cert_unicorn,1600000",
            "F001,first_cert_unicorn,1.6e13",
            "amount",
            "expected a number in [0, 1e12] (yuan), found `1.6e13`",
        ),
        (
            "payments.csv",
            "F001,first_cert_unicorn,1600000",
            "F001,first_cert_unicorn,inf",
            "amount",
            "found `inf`",
        ),
        (
            "payments.csv",
            "F001,first_cert_unicorn,1600000",
            "F001,first_cert_unicorn,NaN",
            "amount",
            "found `NaN`",
        ),
        (
            "events.csv",
            "occurrence:platform_provincial,",
            "occurrence:platform_provincial,1e13",
            "magnitude",
            "expected a number in [0, 1e12] (yuan), found `1e13`",
        ),
        (
            "firms.csv",
            "1.6e9,,2025-06-30",
            "1e300,,2025-06-30",
            "valuation_usd",
            "expected a number in [0, 1e15], found `1e300`",
        ),
        (
            "firms.csv",
            "2016-04-12",
            "0001-04-12",
            "founded",
            "from 1900-01-01 to 2200-12-31, found `0001-04-12`",
        ),
        (
            "observations.csv",
            "listings.new,by 2025-12-31,0",
            "listings.new,by 2025-12-31,-1e16",
            "value",
            "expected a number in [-1e15, 1e15], found `-1e16`",
        ),
    ];
    for (file, from, to, column, expected) in cases {
        assert_refused(file, from, to, column, expected);
    }
}

#[test]
fn duplicate_firm_id_is_refused() {
    assert_refused(
        "firms.csv",
        "F007,示例半导体",
        "F003,示例半导体",
        "firm_id",
        "duplicate firm_id `F003` (first on line 4)",
    );
}

#[test]
fn event_sequences_the_model_cannot_produce_are_refused() {
    let cases = [
        // F007 entered the pipeline in 2025; listed before that is impossible.
        (
            "events.csv",
            "2025-12-20,F007,listing_stage:reserve",
            "2025-12-20,F007,listed",
            "listed before it entered the pipeline",
        ),
        // F006 exited on 2025-02-17.
        (
            "events.csv",
            "2025-09-26,F005,certified:seed",
            "2025-09-26,F006,certified:seed",
            "exited earlier; expected no event after `exited`",
        ),
        // F001 is in tutoring since 2025-03-03: back to reform is impossible.
        (
            "events.csv",
            "2025-11-12,F001,listing_stage:application",
            "2025-11-12,F001,listing_stage:reform",
            "already entered stage `tutoring`",
        ),
        // F003 was never decertified before; F007 was never certified.
        (
            "events.csv",
            "2025-12-20,F007,listing_stage:reserve",
            "2025-12-20,F007,decertified",
            "not certified at this date",
        ),
        (
            "events.csv",
            "2025-06-30,F003,occurrence:rd_growth_assessment,1.5e7",
            "2025-06-30,F003,certified:seed,1.5e7",
            "a magnitude belongs only to an occurrence",
        ),
    ];
    for (file, from, to, expected) in cases {
        assert_refused(
            file,
            from,
            to,
            if expected.starts_with("a magnitude") {
                "magnitude"
            } else {
                "event"
            },
            expected,
        );
    }
    // After listing, a firm holds no tier: certifying it is impossible.
    let (dir, _) = broken(
        "events.csv",
        "2026-02-27,F001,listed,\n",
        "2026-02-27,F001,listed,\n2026-03-01,F001,certified:unicorn,\n",
    );
    let err = refused(dir.path(), AS_OF);
    assert_eq!(err.line, 22, "{err}");
    assert!(err.message.contains("listed earlier"), "{err}");
}

#[test]
fn payment_before_its_trigger_negative_or_on_the_wrong_line_is_refused() {
    let cases = [
        (
            "2025-08-29,F003,sci_award_first_unit,500000,2024-12-16",
            "2025-08-29,F003,sci_award_first_unit,500000,2025-09-16",
            "triggered_on",
            "the trigger 2025-09-16 is after the payment 2025-08-29",
        ),
        (
            "sci_award_first_unit,500000",
            "sci_award_first_unit,-500000",
            "amount",
            "expected a number in [0, 1e12] (yuan), found `-500000`",
        ),
        (
            "2024-12-16,science",
            "2024-12-16,talent",
            "budget_line",
            "paid from budget line `science`, not `talent`",
        ),
    ];
    for (from, to, column, expected) in cases {
        assert_refused("payments.csv", from, to, column, expected);
    }
}

#[test]
fn malformed_files_are_refused_at_the_header() {
    let (dir, _) = broken("payments.csv", "paid_on,firm_id", "paid_at,firm_id");
    let err = refused(dir.path(), AS_OF);
    assert_eq!((err.line, err.column), (1, 1), "{err}");
    assert!(err.message.contains("unknown column `paid_at`"), "{err}");
    let (dir, _) = broken("observations.csv", "metric,window,value", "metric,window");
    let err = refused(dir.path(), AS_OF);
    assert!(err.message.contains("missing column `value`"), "{err}");
    let (dir, _) = broken(
        "firms.csv",
        "2016-04-12,1.6e9,,",
        "2016-04-12,1.6e9,1.1e10,",
    );
    let err = refused(dir.path(), AS_OF);
    assert!(err.message.contains("not both"), "{err}");
}

#[test]
fn check_with_bad_actuals_exits_2_naming_file_line_and_column() {
    let (dir, line) = broken("events.csv", "F004,certified:seed", "F004,certified:gold");
    let out = Command::new(env!("CARGO_BIN_EXE_policysim"))
        .arg("check")
        .arg(root().join("scenarios/baseline.toml"))
        .arg("--actuals")
        .arg(dir.path())
        .args(["--as-of", AS_OF])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = format!("events.csv:{line}:3: column `event`: unknown tier `gold`");
    assert!(stderr.contains(&at), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing printed before the error");
}
