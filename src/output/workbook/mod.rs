//! `report.xlsx`: the CSV tables of a run or comparison folder as an Excel workbook, for
//! the people who read Excel rather than programs (docs/output.md).
//!
//! The workbook is a view of the CSV files, never a different number: every sheet is
//! built by reading back the CSV text just written to the folder, and every numeric cell
//! holds the f64 that text parses to. Money stays in yuan and is only *displayed* in
//! millions (the format `#,##0.00,,`), probabilities are displayed as percentages.
//! The bytes depend only on the CSV files and the scenario: the document's creation time
//! is the scenario calendar's first day, not the clock.

mod sheet;
mod summary;

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use crate::output::rundir::RunDir;
use crate::scenario::types::Scenario;

/// The workbook's file name in a run or comparison folder.
pub const FILE: &str = "report.xlsx";

/// A CSV file read back as text: its header and its records.
pub struct CsvTable {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    pub fn read(path: &Path) -> Result<CsvTable> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let header = reader.headers()?.iter().map(String::from).collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(String::from).collect()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(CsvTable { header, rows })
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("the CSV writer writes a column {name:?}"))
    }
}

/// Metrics in yuan, displayed in millions: outlays, demands and carried-over liabilities.
pub fn is_money(metric: &str) -> bool {
    ["outlay.", "demand.", "carried."]
        .iter()
        .any(|p| metric.starts_with(p))
}

/// Writes `report.xlsx` of a run folder from its CSV files (already written under their
/// temporary names): 摘要 Summary, 预算 Budget, 政策工具 Instruments, 目标 Targets and
/// 分布 Summary.
pub fn write_run_workbook(dir: &mut RunDir, s: &Scenario, seed: u64) -> Result<()> {
    let summary = CsvTable::read(&dir.temp_path("summary.csv"))?;
    let budget = CsvTable::read(&dir.temp_path("budget.csv"))?;
    let targets = CsvTable::read(&dir.temp_path("targets.csv"))?;
    let mut book = new_workbook(s)?;
    summary::write(&mut book, s, seed, &summary, &budget, &targets)?;
    sheet::BUDGET.write(&mut book, &budget)?;
    write_instruments(&mut book, s, &summary)?;
    sheet::TARGETS.write(&mut book, &targets)?;
    sheet::DISTRIBUTION.write(&mut book, &summary)?;
    save(&mut book, dir)
}

/// Writes `report.xlsx` of a comparison folder from its CSV files: 对比 Comparison
/// (comparison.csv) and 对比目标 Comparison targets (comparison_targets.csv).
pub fn write_comparison_workbook(dir: &mut RunDir, first: &Scenario) -> Result<()> {
    let metrics = CsvTable::read(&dir.temp_path("comparison.csv"))?;
    let targets = CsvTable::read(&dir.temp_path("comparison_targets.csv"))?;
    let mut book = new_workbook(first)?;
    sheet::COMPARISON.write(&mut book, &metrics)?;
    sheet::COMPARISON_TARGETS.write(&mut book, &targets)?;
    save(&mut book, dir)
}

fn new_workbook(s: &Scenario) -> Result<Workbook> {
    let mut book = Workbook::new();
    // The clock would make two runs of the same seed differ; the calendar's first day is
    // a date of the run that every re-run shares.
    let origin = s.calendar.date(0.0);
    let created = ExcelDateTime::from_ymd(
        chrono::Datelike::year(&origin).clamp(1900, 9999) as u16,
        chrono::Datelike::month(&origin) as u8,
        chrono::Datelike::day(&origin) as u8,
    )?;
    let properties = DocProperties::new()
        .set_title(&s.title)
        .set_author("policysim")
        .set_creation_datetime(&created);
    book.set_properties(&properties);
    Ok(book)
}

fn save(book: &mut Workbook, dir: &mut RunDir) -> Result<()> {
    let bytes = book.save_to_buffer()?;
    let mut w = dir.create(FILE)?;
    w.write_all(&bytes)?;
    w.flush()?;
    Ok(())
}

/// 政策工具 Instruments: for each instrument, the `outlay.instrument.<id>` row of
/// summary.csv (the whole run, `year` blank) and then its `outlay.instrument.<id>.<year>`
/// rows, with the instrument's label, clause and budget line from the scenario.
fn write_instruments(book: &mut Workbook, s: &Scenario, summary: &CsvTable) -> Result<()> {
    let metric = summary.column("metric");
    let by_metric: std::collections::HashMap<&str, &Vec<String>> = summary
        .rows
        .iter()
        .map(|r| (r[metric].as_str(), r))
        .collect();
    let mut rows = Vec::new();
    for i in &s.instruments {
        let whole = format!("outlay.instrument.{}", i.id);
        let periods = std::iter::once((String::new(), whole.clone()))
            .chain(s.years().map(|y| (y.to_string(), format!("{whole}.{y}"))));
        for (year, name) in periods {
            let Some(row) = by_metric.get(name.as_str()) else {
                continue;
            };
            let mut out = vec![
                i.id.clone(),
                i.label.clone(),
                i.clause.clone(),
                s.budget_lines[i.budget_line].id.clone(),
                year,
            ];
            out.extend(row[1..].iter().cloned());
            rows.push(out);
        }
    }
    let mut header: Vec<String> = ["instrument", "label", "clause", "budget_line", "year"]
        .map(String::from)
        .into();
    header.extend(summary.header[1..].iter().cloned());
    sheet::INSTRUMENTS.write(book, &CsvTable { header, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_metrics_are_the_outlay_demand_and_carried_families() {
        assert!(is_money("outlay.total"));
        assert!(is_money("demand.line.science.2024"));
        assert!(is_money("carried.line.talent.2025"));
        assert!(!is_money("nev.scale.liyang"));
        assert!(!is_money("listings.new"));
    }
}
