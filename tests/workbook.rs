//! report.xlsx is a view of the CSV files (docs/output.md): read back with an independent
//! reader (calamine), every numeric cell is the f64 its CSV field parses to, bit for bit,
//! stored as a number; text stays text; an empty field is an empty cell. Byte
//! reproducibility across threads, shards and resume is pinned in tests/batch.rs, which
//! compares report.xlsx with the other outputs.

mod common;
mod process;

use std::path::Path;

use calamine::{open_workbook, Data, Range, Reader, Xlsx};

/// Columns that hold names or labels; every other field is a number.
const TEXT_COLUMNS: &[&str] = &[
    "metric",
    "target",
    "label",
    "window",
    "comparator",
    "budget_line",
    "overflow",
    "instrument",
    "clause",
    "scenario_a",
    "scenario_b",
];

/// Runs policysim from the crate root; it must succeed.
fn policysim(args: &[&str]) {
    process::ok(&process::policysim(args, &[]));
}

/// Runs the baseline into `dir` with `extra` arguments; it must succeed.
fn run_baseline(dir: &Path, reps: u64, extra: &[&str]) {
    let (root, out) = (process::root(), process::s(dir));
    process::ok(&process::run_in(
        root,
        process::BASELINE,
        reps,
        out,
        extra,
        &[],
    ));
}

/// Each (sheet, CSV file of `dir`) pair of report.xlsx holds that file, and it has rows.
fn assert_sheets_are_csv(dir: &Path, sheets: &[(&str, &str)]) {
    let book = dir.join("report.xlsx");
    for (name, file) in sheets {
        assert!(
            assert_sheet_is_csv(&book, name, &dir.join(file)) > 0,
            "{name} has rows"
        );
    }
}

/// A CSV file as text: header and records.
fn csv_text(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let csv = common::Csv::read(path);
    (csv.header, csv.rows)
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut book: Xlsx<_> = open_workbook(path).expect("an xlsx calamine reads");
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

fn cell(range: &Range<Data>, r: usize, c: usize) -> Data {
    range
        .get_value((r as u32, c as u32))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// The cell holds exactly the CSV field: the same f64 bits for a number (stored as a
/// number, never text), the same string for text, nothing for an empty field.
fn assert_cell_is_field(at: &str, got: &Data, column: &str, field: &str) {
    if field.is_empty() {
        assert_eq!(got, &Data::Empty, "{at}: empty field");
        return;
    }
    let number = field.parse::<f64>().ok().filter(|x| x.is_finite());
    match (number, TEXT_COLUMNS.contains(&column)) {
        (Some(x), false) => match got {
            Data::Float(y) => assert_eq!(
                y.to_bits(),
                x.to_bits(),
                "{at}: cell {y:?} is not the CSV's {field}"
            ),
            other => panic!("{at}: the number {field} is stored as {other:?}"),
        },
        _ => assert_eq!(got, &Data::String(field.to_string()), "{at}"),
    }
}

/// A sheet made of one CSV file: Chinese header, the CSV header, then its rows.
fn assert_sheet_is_csv(book: &Path, name: &str, csv: &Path) -> usize {
    let range = sheet(book, name);
    let (header, rows) = csv_text(csv);
    for (c, h) in header.iter().enumerate() {
        assert!(
            matches!(cell(&range, 0, c), Data::String(ref s) if !s.is_empty()),
            "{name}: Chinese header of {h}"
        );
        assert_eq!(cell(&range, 1, c), Data::String(h.clone()), "{name} header");
    }
    for (i, row) in rows.iter().enumerate() {
        for (c, field) in row.iter().enumerate() {
            let at = format!("{name} row {} column {}", i + 3, header[c]);
            assert_cell_is_field(&at, &cell(&range, i + 2, c), &header[c], field);
        }
    }
    assert_eq!(range.end().map(|(r, _)| r as usize), Some(rows.len() + 1));
    rows.len()
}

/// Rows of the 摘要 sheet whose first cell is `key`, as (row, cells).
fn find_row(range: &Range<Data>, key: &Data) -> Option<Vec<Data>> {
    range
        .rows()
        .find(|r| r.first() == Some(key))
        .map(|r| r.to_vec())
}

#[test]
fn run_workbook_cells_equal_the_csv_values_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_baseline(&dir, 120, &["--threads", "2"]);
    let book = dir.join("report.xlsx");
    assert_sheets_are_csv(
        &dir,
        &[
            ("预算 Budget", "budget.csv"),
            ("目标 Targets", "targets.csv"),
            ("分布 Summary", "summary.csv"),
        ],
    );

    // 政策工具: instrument columns and the year of payment (blank for the whole run), then
    // that metric's row of summary.csv; every instrument and instrument-year has its row.
    let (sh, srows) = csv_text(&dir.join("summary.csv"));
    let instruments = sheet(&book, "政策工具 Instruments");
    let mut seen = 0;
    for r in 2..instruments.height() {
        let Data::String(id) = cell(&instruments, r, 0) else {
            panic!("instrument id")
        };
        let name = match cell(&instruments, r, 4) {
            Data::Empty => format!("outlay.instrument.{id}"),
            Data::Float(year) => format!("outlay.instrument.{id}.{year}"),
            other => panic!("政策工具 row {r}: year {other:?}"),
        };
        let row = srows.iter().find(|x| x[0] == name).expect("summary row");
        for c in 1..sh.len() {
            let at = format!("政策工具 {name} {}", sh[c]);
            assert_cell_is_field(&at, &cell(&instruments, r, c + 4), &sh[c], &row[c]);
        }
        seen += 1;
    }
    let instrument_rows = srows
        .iter()
        .filter(|x| x[0].starts_with("outlay.instrument."))
        .count();
    assert_eq!(
        seen, instrument_rows,
        "every instrument and instrument-year has its row"
    );
    assert!(
        srows
            .iter()
            .any(|x| x[0].ends_with(".2024") && x[0].starts_with("outlay.instrument.")),
        "summary.csv holds outlay by instrument and year"
    );

    // 摘要: outlay by year from summary.csv, targets by probability from targets.csv.
    let summary = sheet(&book, "摘要 Summary");
    let column = |name: &str| sh.iter().position(|h| h == name).unwrap();
    for year in 2023..=2027 {
        let row = find_row(&summary, &Data::Float(year as f64)).expect("year row");
        let csv = srows
            .iter()
            .find(|x| x[0] == format!("outlay.year.{year}"))
            .unwrap();
        for (k, stat) in ["mean", "p50", "p95"].iter().enumerate() {
            assert_cell_is_field(stat, &row[k + 1], stat, &csv[column(stat)]);
        }
    }
    let (th, trows) = csv_text(&dir.join("targets.csv"));
    let p = th.iter().position(|h| h == "probability").unwrap();
    let mut last = f64::INFINITY;
    for t in &trows {
        let row = find_row(&summary, &Data::String(t[0].clone())).expect("target row");
        assert_cell_is_field(&t[0], &row[2], "probability", &t[p]);
    }
    let mut order = summary.rows().filter(|r| {
        trows
            .iter()
            .any(|t| r.first() == Some(&Data::String(t[0].clone())))
    });
    assert!(
        order.all(|r| {
            let Data::Float(x) = r[2] else { return false };
            let sorted = x <= last;
            last = x;
            sorted
        }),
        "targets sorted by attainment probability, most likely first"
    );
    // Appropriations at risk: exactly budget.csv's rows with P(exceed) ≥ 5 %.
    let (bh, brows) = csv_text(&dir.join("budget.csv"));
    let pe = bh.iter().position(|h| h == "p_exceed").unwrap();
    let at_risk: Vec<_> = brows
        .iter()
        .filter(|b| b[pe].parse::<f64>().is_ok_and(|x| x >= 0.05))
        .collect();
    assert!(
        !at_risk.is_empty(),
        "the baseline has appropriations at risk"
    );
    let listed = summary
        .rows()
        .filter(|r| matches!(r.get(5), Some(Data::Float(_))))
        .count();
    assert_eq!(
        listed,
        at_risk.len(),
        "one 摘要 row per appropriation at risk"
    );
}

#[test]
fn comparison_workbook_cells_equal_the_csv_values_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cmp");
    policysim(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/rewards_doubled.toml",
        "--reps",
        "60",
        "--threads",
        "2",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_sheets_are_csv(
        &dir,
        &[
            ("对比 Comparison", "comparison.csv"),
            ("对比目标 Comparison targets", "comparison_targets.csv"),
        ],
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["outputs"]["report.xlsx"].is_string());
}

/// A run from actuals: the 预算 and 目标 sheets carry budget.csv's paid-to-date and
/// remaining columns and targets.csv's status (an unknown target's empty statistics as
/// empty cells), bit for bit, and 摘要's outlay by year splits each mean into the
/// ledger's part and the remaining one, copied from summary.csv.
#[test]
fn as_of_run_workbook_shows_paid_to_date_and_status_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_baseline(
        &dir,
        60,
        &["--actuals", "actuals/example", "--as-of", "2026-03-31"],
    );
    let book = dir.join("report.xlsx");
    assert_sheets_are_csv(
        &dir,
        &[
            ("预算 Budget", "budget.csv"),
            ("目标 Targets", "targets.csv"),
        ],
    );
    let (bh, _) = csv_text(&dir.join("budget.csv"));
    assert!(bh.ends_with(
        &[
            "paid_to_date",
            "mean_remaining_demand",
            "mean_remaining_outlay"
        ]
        .map(String::from)
    ));
    let (th, trows) = csv_text(&dir.join("targets.csv"));
    assert_eq!(th.last().map(String::as_str), Some("status"));
    for status in ["observed", "unknown"] {
        assert!(
            trows.iter().any(|t| t.last().unwrap() == status),
            "a target {status}"
        );
    }
    let (sh, srows) = csv_text(&dir.join("summary.csv"));
    let mean = sh.iter().position(|h| h == "mean").unwrap();
    let summary = sheet(&book, "摘要 Summary");
    for year in 2023..=2027 {
        let row = find_row(&summary, &Data::Float(year as f64)).expect("year row");
        for (k, part) in ["actual", "remaining"].iter().enumerate() {
            let name = format!("outlay.{part}.year.{year}");
            let csv = srows.iter().find(|x| x[0] == name).unwrap();
            assert_cell_is_field(&name, &row[4 + k], "mean", &csv[mean]);
        }
    }
}
