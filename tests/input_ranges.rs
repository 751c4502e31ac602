//! Every value a scenario may hold has a documented range (docs/scenario-format.md,
//! `policysim::scenario::spec`), checked where it is read: a value outside it — absurd
//! but well-formed, NaN, a wrapped integer, a duplicate id, a date in year 0 — is
//! refused by `check` and `run` with exit code 2, naming file, line, column, key path,
//! the value and the range, before anything is written (issue 11). Each case that once
//! computed nonsense with exit 0 is here as it was found.

mod common;

use std::path::Path;

use common::edits::{check_cases, policysim, Case, VALID};

const CASES: &[Case] = &[
    // Integers read without wrapping: both once wrapped to 0 and paid nothing, exit 0.
    Case {
        what: "stipend months of 2^32 (wrapped to 0 months)",
        edits: &[("months = 24", "months = 4294967296")],
        at: "4294967296",
        key_path: "instrument[stipend].months",
        message: "expected an integer in [0, 1200], found 4294967296",
    },
    Case {
        what: "stipend of 4294967295 months (23 GB)",
        edits: &[("months = 24", "months = 4294967295")],
        at: "4294967295",
        key_path: "instrument[stipend].months",
        message: "expected an integer in [0, 1200], found 4294967295",
    },
    Case {
        what: "max_per_firm of 2^32 (wrapped to 0)",
        edits: &[("max_per_firm = 1", "max_per_firm = 4294967296")],
        at: "4294967296",
        key_path: "instrument[reward].max_per_firm",
        message: "expected an integer in [0, 1e6], found 4294967296",
    },
    // Non-negative where a negative means nothing: certified nobody, exit 0.
    Case {
        what: "negative min_valuation_usd",
        edits: &[("min_valuation_usd = 1.0", "min_valuation_usd = -1.0")],
        at: "-1.0",
        key_path: "tier[unicorn].routes[0].min_valuation_usd",
        message: "expected a non-negative number, found -1 (range [0, 1e15])",
    },
    // Dates within 1900..2200 and a calendar of at most 100 years.
    Case {
        what: "a start in year 0",
        edits: &[("start = \"2024-01-01\"", "start = \"0000-01-01\"")],
        at: "\"0000-01-01\"",
        key_path: "scenario.start",
        message: "expected a date in 1900-01-01 .. 2200-12-31, found 0000-01-01",
    },
    Case {
        what: "a start in a negative year",
        edits: &[("start = \"2024-01-01\"", "start = \"-0044-03-15\"")],
        at: "\"-0044-03-15\"",
        key_path: "scenario.start",
        message: "expected a date",
    },
    Case {
        what: "a horizon ending in year 9999 (panicked: fewer than 65,536 months)",
        edits: &[("end = \"2025-12-31\"", "end = 9999-12-31")],
        at: "9999-12-31",
        key_path: "scenario.end",
        message: "expected a date in 1900-01-01 .. 2200-12-31, found 9999-12-31",
    },
    Case {
        what: "a calendar longer than 100 years",
        edits: &[("start = \"2024-01-01\"", "start = \"1924-01-01\"")],
        at: "\"2025-12-31\"",
        key_path: "scenario.end",
        message: "expected a calendar of at most 100 years",
    },
    // Ids unique within their kind.
    Case {
        what: "duplicate cohort ids (both once accepted)",
        edits: &[("id = \"spare\"", "id = \"pool\"")],
        at: "\"pool\"\ntier = \"none\"\ncount = 0",
        key_path: "cohort[pool].id",
        message: "duplicate cohort id `pool`",
    },
    Case {
        what: "duplicate IPO-regime ids (both once accepted)",
        edits: &[("id = \"hot\"", "id = \"calm\"")],
        at: "\"calm\", weight = 1 }]",
        key_path: "listing.regimes[calm].id",
        message: "duplicate IPO regime id `calm`",
    },
    Case {
        what: "duplicate tier ids",
        edits: &[(
            "[certification]",
            "[[tier]]\nid = \"unicorn\"\nroutes = [{ max_age_years = 7, min_valuation_usd = 2.0 }]\n\n[certification]",
        )],
        at: "\"unicorn\"\nroutes = [{ max_age_years = 7",
        key_path: "tier[unicorn].id",
        message: "duplicate tier id `unicorn`",
    },
    Case {
        what: "duplicate listing stage ids",
        edits: &[("id = \"second\"", "id = \"only\"")],
        at: "\"only\", months = 6",
        key_path: "listing.stages[only].id",
        message: "duplicate or reserved listing stage id `only`",
    },
    Case {
        what: "duplicate occurrence ids",
        edits: &[(
            "[[instrument]]\nid = \"reward\"",
            "[[occurrence]]\nid = \"assessment\"\ndates = [\"2024-10-01\"]\nprobability = 0\n\n[[instrument]]\nid = \"reward\"",
        )],
        at: "\"assessment\"\ndates = [\"2024-10-01\"]",
        key_path: "occurrence[assessment].id",
        message: "duplicate occurrence id `assessment`",
    },
    Case {
        what: "duplicate instrument ids",
        edits: &[("id = \"later\"", "id = \"reward\"")],
        at: "\"reward\"\nkind = \"fixed\"\namount = 1.0e6\npayment_lag",
        key_path: "instrument[reward].id",
        message: "duplicate instrument id `reward`",
    },
    Case {
        what: "duplicate budget line ids",
        edits: &[("id = \"other\"", "id = \"main\"")],
        at: "\"main\"\n\n[[district]]",
        key_path: "budget_line[main].id",
        message: "duplicate budget line id `main`",
    },
    Case {
        what: "duplicate district ids",
        edits: &[(
            "[[target]]\nid = \"projects\"",
            "[[district]]\nid = \"d1\"\nscale_100m_cny = 1\n\n[[target]]\nid = \"projects\"",
        )],
        at: "\"d1\"\nscale_100m_cny = 1\n",
        key_path: "district[d1].id",
        message: "duplicate or reserved district id `d1`",
    },
    Case {
        what: "duplicate target ids",
        edits: &[("at_most = 1.0e8\n", "at_most = 1.0e8\n\n[[target]]\nid = \"outlay\"\nmetric = \"outlay.total\"\nat_least = 0\n")],
        at: "\"outlay\"\nmetric = \"outlay.total\"\nat_least",
        key_path: "target[outlay].id",
        message: "duplicate target id `outlay`",
    },
    // Ids name metrics and columns: an empty id named `outlay.instrument.`, one with a
    // dot read as another metric; both once accepted with exit 0.
    Case {
        what: "an empty instrument id",
        edits: &[("id = \"reward\"", "id = \"\"")],
        at: "\"\"",
        key_path: "instrument[0].id",
        message: "expected an id of 1 to 64 ASCII letters, digits, `_` or `-`, found \"\"",
    },
    Case {
        what: "a budget line id with a dot",
        edits: &[("id = \"main\"", "id = \"ma.in\"")],
        at: "\"ma.in\"",
        key_path: "budget_line[0].id",
        message: "found \"ma.in\"",
    },
    Case {
        what: "a scenario name too long for a folder name (exit 1 after loading)",
        edits: &[("name = \"ranges\"", concat!("name = \"", "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn", "\""))],
        at: "\"nnnn",
        key_path: "scenario.name",
        message: "expected a name of 1 to 100 ASCII letters",
    },
    // Keys that denote the same thing are one key.
    Case {
        what: "appropriations keyed 2024 and 02024 (both once accepted)",
        edits: &[("{ 2024 = 1.0e8 }", "{ 2024 = 1.0e8, 02024 = 5.0e7 }")],
        // The parser hands the keys over sorted: `02024` first.
        at: "2024 = 1.0e8",
        key_path: "budget_line[main].appropriation.2024",
        message: "duplicate appropriation for year 2024: `02024` and `2024` are the same year",
    },
    // Counts within what a run can hold, alone and together.
    Case {
        what: "a cohort of 1e12 firms (aborted on allocation)",
        edits: &[("count = 10\n", "count = 1000000000000\n")],
        at: "1000000000000",
        key_path: "cohort[pool].count",
        message: "expected an integer in [0, 1e7], found 1000000000000",
    },
    Case {
        what: "cohorts whose counts sum past the bound (once wrapped past the integer range)",
        edits: &[
            ("count = 10\n", "count = 6000000\n"),
            ("count = 0\n", "count = 6000000\n"),
        ],
        at: "6000000\nvaluation_usd = 1.0e9\nage_years = 5\n\n[entry]",
        key_path: "cohort[spare].count",
        message: "expected at most 1e7 firms in all cohorts together, found 12000000",
    },
    // Amounts within what a city budget can mean; finite, with their key path.
    Case {
        what: "an amount of 1e308 (hung the report's histogram)",
        edits: &[("amount = 1.0e4", "amount = 1e308")],
        at: "1e308",
        key_path: "instrument[stipend].amount",
        message: "expected a number in [0, 1e12], found 1e308",
    },
    Case {
        what: "NaN",
        edits: &[("amount = 1.0e4", "amount = nan")],
        at: "nan",
        key_path: "instrument[stipend].amount",
        message: "expected a finite number, found NaN",
    },
    Case {
        what: "an infinity inside a distribution",
        edits: &[(
            "amount = 1.0e6\ntrigger",
            "amount = { dist = \"uniform\", low = 0, high = inf }\ntrigger",
        )],
        at: "inf }",
        key_path: "instrument[reward].amount.high",
        message: "expected a finite number, found inf",
    },
    // Weights with a finite positive sum (these sums once overflowed and panicked).
    Case {
        what: "discrete weights whose sum is not finite",
        edits: &[(
            "amount = 1.0e6\ntrigger",
            "amount = { dist = \"discrete\", values = [1, 2], weights = [1.7e308, 1.7e308] }\ntrigger",
        )],
        at: "1.7e308, 1.7e308",
        key_path: "instrument[reward].amount.weights[0]",
        message: "expected a number in [0, 1e15], found 1.7e308",
    },
    Case {
        what: "IPO regime weights whose sum is not finite",
        edits: &[("{ id = \"hot\", weight = 1 }", "{ id = \"hot\", weight = 1.7e308 }")],
        at: "1.7e308",
        key_path: "listing.regimes[hot].weight",
        message: "expected a number in [0, 1e12]",
    },
    Case {
        what: "district shares whose sum is not finite",
        edits: &[("districts = { d1 = 1 }", "districts = { d1 = 1.7e308 }")],
        at: "1.7e308",
        key_path: "cohort[pool].districts.d1",
        message: "expected a number in [0, 1e12]",
    },
    Case {
        what: "IPO regime weights that sum to 0",
        edits: &[
            ("{ id = \"calm\", weight = 1 }", "{ id = \"calm\", weight = 0 }"),
            ("{ id = \"hot\", weight = 1 }", "{ id = \"hot\", weight = 0 }"),
        ],
        at: "[listing]",
        key_path: "listing.regimes",
        message: "expected regime weights with a positive sum",
    },
    // Unknown kinds.
    Case {
        what: "an unknown instrument kind",
        edits: &[("kind = \"stipend\"", "kind = \"grant\"")],
        at: "\"grant\"",
        key_path: "instrument[stipend].kind",
        message: "unknown instrument kind `grant`",
    },
    Case {
        what: "an unknown trigger event",
        edits: &[("event = \"occurrence\", occurrence", "event = \"founded\", occurrence")],
        at: "\"founded\"",
        key_path: "instrument[stipend].trigger.event",
        message: "unknown trigger event `founded`",
    },
    Case {
        what: "an unknown overflow rule",
        edits: &[("id = \"other\"", "id = \"other\"\noverflow = \"borrow\"")],
        at: "\"borrow\"",
        key_path: "budget_line[other].overflow",
        message: "unknown overflow rule `borrow`",
    },
    Case {
        what: "an unknown distribution",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"cauchy\", low = 1 }\ntrigger")],
        at: "\"cauchy\"",
        key_path: "instrument[reward].amount.dist",
        message: "unknown distribution `cauchy`",
    },
    Case {
        what: "an unknown funder",
        edits: &[("funding = { city = 0.7, district = 0.3 }", "funding = { city = 0.7, province = 0.3 }")],
        at: "province",
        key_path: "instrument[reward].funding.province",
        message: "unknown funder `province`",
    },
    // Validity windows.
    Case {
        what: "valid_to before valid_from",
        edits: &[(
            "max_per_firm = 1",
            "max_per_firm = 1\nvalid_from = \"2025-01-01\"\nvalid_to = \"2024-12-31\"",
        )],
        at: "\"2024-12-31\"",
        key_path: "instrument[reward].valid_to",
        message: "expected valid_to on or after valid_from",
    },
    // Invalid distribution parameters.
    Case {
        what: "a uniform with low above high",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"uniform\", low = 5, high = 1 }\ntrigger")],
        at: "{ dist = \"uniform\"",
        key_path: "instrument[reward].amount",
        message: "uniform needs low <= high",
    },
    Case {
        what: "a normal with a negative sd",
        edits: &[("drift_per_year = 0", "drift_per_year = { dist = \"normal\", mean = 0, sd = -1 }")],
        at: "-1 }",
        key_path: "growth.drift_per_year.sd",
        message: "expected a non-negative number, found -1",
    },
    Case {
        what: "a lognormal with a median of 0",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"lognormal\", median = 0, sigma = 1 }\ntrigger")],
        at: "{ dist = \"lognormal\"",
        key_path: "instrument[reward].amount",
        message: "lognormal needs median > 0",
    },
    Case {
        what: "a beta with alpha 0",
        edits: &[(
            "max_per_firm = 1",
            "max_per_firm = 1\ntake_up = { dist = \"beta\", alpha = 0, beta = 1 }",
        )],
        at: "0, beta = 1 }",
        key_path: "instrument[reward].take_up.alpha",
        message: "expected a number in [0.001, 1e6], found 0",
    },
    Case {
        what: "a triangular whose mode lies outside",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"triangular\", low = 1, mode = 9, high = 5 }\ntrigger")],
        at: "{ dist = \"triangular\"",
        key_path: "instrument[reward].amount",
        message: "triangular needs low <= mode <= high",
    },
    Case {
        what: "a gamma with shape 0",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"gamma\", shape = 0, scale = 1 }\ntrigger")],
        at: "0, scale = 1 }",
        key_path: "instrument[reward].amount.shape",
        message: "expected a number in [0.001, 1e6], found 0",
    },
    Case {
        what: "a discrete with fewer weights than values",
        edits: &[("amount = 1.0e6\ntrigger", "amount = { dist = \"discrete\", values = [1, 2], weights = [1] }\ntrigger")],
        at: "{ dist = \"discrete\"",
        key_path: "instrument[reward].amount",
        message: "discrete needs as many weights as values",
    },
    // A target's `year` on a metric that has no value over a window (a flow's year is read
    // as that year's flow: tests/flow_windows.rs). `listings.new` in the end year was once
    // read over the whole run and relabelled `by 2025-12-31`.
    Case {
        what: "an ipo.regime target in a year",
        edits: &[("metric = \"outlay.total\"\nat_most", "metric = \"ipo.regime\"\nyear = 2025\nat_most")],
        at: "2025\nat_most",
        key_path: "target[outlay].year",
        message: "`ipo.regime` is a parameter drawn once per replication: it has no value over a window",
    },
    Case {
        what: "an appropriation year outside the calendar",
        edits: &[("{ 2024 = 1.0e8 }", "{ 2300 = 1.0e8 }")],
        at: "2300",
        key_path: "budget_line[main].appropriation.2300",
        message: "year 2300 is outside the horizon",
    },
    Case {
        what: "an exchange rate of 0",
        edits: &[("fx_cny_per_usd = 7.0", "fx_cny_per_usd = 0")],
        at: "0\n\n[[tier]]",
        key_path: "scenario.fx_cny_per_usd",
        message: "expected a number in (0, 1000], found 0",
    },
];

#[test]
fn the_valid_scenario_of_these_cases_is_accepted() {
    common::edits::assert_accepted(VALID);
}

#[test]
fn every_value_outside_its_range_is_refused_with_key_path_line_and_range() {
    check_cases(CASES);
}

/// Writes `VALID` with `target` appended, loads it and runs it deterministically.
fn run_with_targets(targets: &str) -> common::Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("years.toml");
    std::fs::write(&file, format!("{VALID}\n{targets}")).expect("write");
    let loaded = policysim::scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    common::run_loaded(&loaded, common::seed(), 20)
}

/// Ten firms certified on 2024-06-30 are paid 1e6 each then (`reward`) and 1e6 each
/// twelve months later (`later`): 1e7 in 2024, 1e7 in 2025, 2e7 over the run, in every
/// replication. A target on `outlay.total` with `year = 2025` once read 2e7 (the whole
/// run) and was met at `at_least = 1.5e7`; it reads 2025's 1e7, and is never met.
#[test]
fn a_target_year_on_a_run_flow_reads_that_years_flow() {
    let run = run_with_targets(
        r#"
[[target]]
id = "end_year"
metric = "outlay.total"
year = 2025
at_least = 1.5e7

[[target]]
id = "first_year"
metric = "outlay.total"
year = 2024
at_least = 1.0e7

[[target]]
id = "line_first_year"
metric = "outlay.line.main"
year = 2024
at_most = 1.0e7

[[target]]
id = "whole_run"
metric = "outlay.total"
at_least = 1.5e7
"#,
    );
    let all = |name: &str, v: f64| {
        let col = run.col(name);
        assert!(col.iter().all(|x| *x == v), "{name}: {col:?}, expected {v}");
    };
    all("outlay.year.2024", 1.0e7);
    all("outlay.year.2025", 1.0e7);
    all("outlay.total", 2.0e7);
    // A target's column holds the value it compares with its threshold.
    all("target.end_year", 1.0e7);
    all("target.first_year", 1.0e7);
    all("target.line_first_year", 1.0e7);
    all("target.whole_run", 2.0e7);
}

/// The same through the binary: `targets.csv` says `in 2025`, the attained count is 0
/// and the mean is 2025's outlay (it said `by 2025-12-31`, 20 of 20 and 2e7).
#[test]
fn targets_csv_reads_a_target_year_as_that_year() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("years.toml");
    let target = "\n[[target]]\nid = \"end_year\"\nmetric = \"outlay.total\"\nyear = 2025\nat_least = 1.5e7\n";
    std::fs::write(&file, format!("{VALID}{target}")).expect("write");
    let out = policysim(
        dir.path(),
        &[
            "run",
            "years.toml",
            "--reps",
            "20",
            "--quiet",
            "--out",
            "out",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.path().join("out/targets.csv")).expect("targets.csv");
    let row = csv
        .lines()
        .find(|l| l.starts_with("end_year,"))
        .unwrap_or_else(|| panic!("no end_year row in {csv}"));
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(
        &cells[2..9],
        [
            "outlay.total",
            "in 2025",
            "at_least",
            "15000000",
            "20",
            "0",
            "0"
        ],
        "{row}"
    );
    assert_eq!(cells[11].parse::<f64>().expect("mean"), 1.0e7, "{row}");
}

/// 100,000 targets (about 7 MB of TOML) validate in linear time: duplicate checks,
/// merging by id and metric lookups are hash maps. No timing assertion; the time is
/// printed (`cargo test --release --test input_ranges -- --nocapture`).
#[test]
fn a_hundred_thousand_targets_validate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from(VALID);
    let mut over = String::from("extends = \"base.toml\"\n");
    for i in 0..100_000 {
        text.push_str(&format!(
            "\n[[target]]\nid = \"t{i}\"\nmetric = \"outlay.total\"\nyear = 2024\nat_most = {i}\n"
        ));
        // Every tenth overridden from an extending file: merging by id, too.
        if i % 10 == 0 {
            over.push_str(&format!("\n[[target]]\nid = \"t{i}\"\nat_most = 1\n"));
        }
    }
    std::fs::write(dir.path().join("base.toml"), &text).expect("write");
    let file = dir.path().join("many.toml");
    std::fs::write(&file, &over).expect("write");
    let started = std::time::Instant::now();
    let loaded = policysim::scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "100,000 targets ({} bytes) loaded and validated in {:.2?}",
        text.len(),
        started.elapsed()
    );
    // VALID's own two targets, and 100,000.
    assert_eq!(loaded.scenario.targets.len(), 100_002);
    let model = policysim::engine::Model::new(&loaded.scenario);
    assert!(model.layout.index_of("target.t99999").is_some());
    eprintln!("and the model built after {:.2?}", started.elapsed());
}

/// docs/scenario-format.md shows the ranges the readers check: its tables are generated
/// from `spec::KEYS` (`POLICYSIM_BLESS_DOCS=1 cargo test --test input_ranges docs`
/// rewrites them after a change to the table).
#[test]
fn the_documented_ranges_are_the_checked_ranges() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario-format.md");
    let doc = std::fs::read_to_string(&path).expect("docs/scenario-format.md");
    let (begin, end) = ("<!-- ranges:begin -->\n", "<!-- ranges:end -->");
    let from = doc.find(begin).expect("ranges:begin marker") + begin.len();
    let to = doc.find(end).expect("ranges:end marker");
    let generated = policysim::scenario::spec::markdown();
    if std::env::var_os("POLICYSIM_BLESS_DOCS").is_some() {
        let updated = format!("{}{generated}{}", &doc[..from], &doc[to..]);
        std::fs::write(&path, updated).expect("write docs");
        return;
    }
    assert!(
        doc[from..to] == generated,
        "docs/scenario-format.md's range tables differ from spec::KEYS; regenerate them"
    );
}

/// The key table a schema will be generated from: each key once, described, and every
/// number bounded.
#[test]
fn the_key_table_is_well_formed() {
    use policysim::scenario::spec::{Kind, KEYS};
    let mut seen = std::collections::HashSet::new();
    for k in KEYS {
        assert!(seen.insert(k.key), "{} listed twice", k.key);
        assert!(!k.doc.is_empty(), "{} has no description", k.key);
        if matches!(k.kind, Kind::Integer | Kind::Number | Kind::NumberOrDist) {
            assert!(k.min <= k.max, "{}: empty range", k.key);
            assert!(k.max.is_finite(), "{}: unbounded", k.key);
        }
    }
}
