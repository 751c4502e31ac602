//! 摘要 Summary: the figures a director asks for first, each cell copied from a CSV
//! field — outlay by year (summary.csv), appropriations at risk (budget.csv), targets by
//! attainment probability (targets.csv) — under the run's identity.

use anyhow::Result;
use rust_xlsxwriter::{Workbook, Worksheet};

use super::sheet::{probability_scale, write_cell, Formats, Kind, Widths};
use super::CsvTable;
use crate::output::manifest::ENGINE_VERSION;
use crate::scenario::types::Scenario;

pub const NAME: &str = "摘要 Summary";

/// An appropriation is at risk when the probability that demand exceeds it is at least
/// this (docs/output.md).
pub const AT_RISK: f64 = 0.05;

/// Where the next block of the sheet goes, and the widths it has needed so far.
struct Cursor<'w> {
    ws: &'w mut Worksheet,
    row: u32,
    widths: Widths,
    formats: Formats,
}

impl Cursor<'_> {
    fn title(&mut self, text: &str) -> Result<()> {
        self.row += 1;
        self.ws
            .write_string_with_format(self.row, 0, text, &self.formats.title)?;
        self.row += 1;
        Ok(())
    }

    /// A header row: (Chinese, English) per column.
    fn header(&mut self, columns: &[(&str, &str)]) -> Result<()> {
        for (c, (zh, en)) in columns.iter().enumerate() {
            let text = format!("{zh} {en}");
            self.ws
                .write_string_with_format(self.row, c as u16, &text, &self.formats.header)?;
            self.widths.fit(c, &[&text]);
        }
        self.row += 1;
        Ok(())
    }

    /// A row of CSV fields, each with its kind.
    fn cells(&mut self, cells: &[(&str, Kind)]) -> Result<()> {
        for (c, (text, kind)) in cells.iter().enumerate() {
            let shown = write_cell(self.ws, self.row, c as u16, text, *kind, &self.formats)?;
            self.widths.fit(c, &[&shown]);
        }
        self.row += 1;
        Ok(())
    }
}

/// Adds the 摘要 Summary sheet.
pub fn write(
    book: &mut Workbook,
    s: &Scenario,
    seed: u64,
    summary: &CsvTable,
    budget: &CsvTable,
    targets: &CsvTable,
) -> Result<()> {
    let ws = book.add_worksheet();
    ws.set_name(NAME)?;
    let mut at = Cursor {
        ws,
        row: 0,
        widths: Widths::new(7),
        formats: Formats::new(),
    };
    at.ws
        .write_string_with_format(0, 0, &s.title, &at.formats.title)?;
    at.ws.set_freeze_panes(1, 0)?;
    at.row = 1;
    identity(&mut at, s, seed, targets)?;
    outlay_by_year(&mut at, s, summary)?;
    at_risk(&mut at, budget)?;
    targets_by_probability(&mut at, targets)?;
    at.widths.apply(at.ws)?;
    Ok(())
}

fn identity(at: &mut Cursor, s: &Scenario, seed: u64, targets: &CsvTable) -> Result<()> {
    at.title("运行 Run")?;
    let replications = targets
        .rows
        .first()
        .map(|r| r[targets.column("replications")].clone());
    let seed = seed.to_string();
    // A seed above 2^53 has no exact f64: it stays text.
    let seed_kind = if seed.len() < 16 {
        Kind::Year
    } else {
        Kind::Text
    };
    at.cells(&[("情景 Scenario", Kind::Text), (&s.name, Kind::Text)])?;
    at.cells(&[("随机种子 Seed", Kind::Text), (&seed, seed_kind)])?;
    if let Some(n) = &replications {
        at.cells(&[("重复次数 Replications", Kind::Text), (n, Kind::Count)])?;
    }
    at.cells(&[
        ("引擎版本 Engine version", Kind::Text),
        (&format!("policysim {ENGINE_VERSION}"), Kind::Text),
    ])
}

fn outlay_by_year(at: &mut Cursor, s: &Scenario, summary: &CsvTable) -> Result<()> {
    at.title("分年度支出 Outlay by year (百万元 M¥)")?;
    // A run from actuals splits each mean into the ledger's part and the simulated rest.
    let from_actuals = summary
        .rows
        .iter()
        .any(|r| r[summary.column("metric")] == "outlay.actual.total");
    let mut header = vec![
        ("年度", "Year"),
        ("均值", "Mean"),
        ("中位数", "P50"),
        ("P95", "P95"),
    ];
    if from_actuals {
        header.extend([("已支付", "Paid to date"), ("剩余均值", "Remaining mean")]);
    }
    at.header(&header)?;
    let (metric, mean, p50, p95) = (
        summary.column("metric"),
        summary.column("mean"),
        summary.column("p50"),
        summary.column("p95"),
    );
    let mut rows: Vec<(String, Kind, String)> = s
        .years()
        .map(|y| (y.to_string(), Kind::Year, format!("outlay.year.{y}")))
        .collect();
    rows.push((
        "其后 After horizon".into(),
        Kind::Text,
        "outlay.after_horizon".into(),
    ));
    rows.push(("合计 Total".into(), Kind::Text, "outlay.total".into()));
    for (label, kind, name) in &rows {
        let Some(r) = summary.rows.iter().find(|r| &r[metric] == name) else {
            continue;
        };
        let mut cells = vec![
            (label.as_str(), *kind),
            (&r[mean], Kind::Yuan),
            (&r[p50], Kind::Yuan),
            (&r[p95], Kind::Yuan),
        ];
        if from_actuals {
            for part in ["outlay.actual.", "outlay.remaining."] {
                let split = name.replacen("outlay.", part, 1);
                let row = summary.rows.iter().find(|r| r[metric] == split);
                cells.push(row.map_or(("", Kind::Text), |r| (&r[mean], Kind::Yuan)));
            }
        }
        at.cells(&cells)?;
    }
    Ok(())
}

fn at_risk(at: &mut Cursor, budget: &CsvTable) -> Result<()> {
    at.title("超支风险 Appropriations at risk: P(exceed) ≥ 5%")?;
    // A run from actuals: what the ledger paid, and the mean demand from the as-of date.
    let ledger = ["paid_to_date", "mean_remaining_demand"]
        .map(|name| budget.header.iter().position(|h| h == name));
    let mut header = vec![
        ("预算科目", "Budget line"),
        ("名称", "Label"),
        ("年度", "Year"),
        ("预算额(百万元)", "Appropriation (M¥)"),
        ("支出P95(百万元)", "P95 outlay (M¥)"),
        ("超预算概率", "P(exceed)"),
        ("期望超支(百万元)", "Expected overrun (M¥)"),
    ];
    if ledger[0].is_some() {
        header.extend([
            ("已支付(百万元)", "Paid to date (M¥)"),
            ("剩余应付均值(百万元)", "Mean remaining demand (M¥)"),
        ]);
    }
    at.header(&header)?;
    let c = |name| budget.column(name);
    let p_exceed = c("p_exceed");
    let mut any = false;
    for r in &budget.rows {
        if r[p_exceed].parse::<f64>().is_ok_and(|p| p >= AT_RISK) {
            any = true;
            let mut cells = vec![
                (r[c("budget_line")].as_str(), Kind::Text),
                (&r[c("label")], Kind::Text),
                (&r[c("year")], Kind::Year),
                (&r[c("appropriation")], Kind::Yuan),
                (&r[c("p95_outlay")], Kind::Yuan),
                (&r[p_exceed], Kind::Share),
                (&r[c("expected_overrun")], Kind::Yuan),
            ];
            cells.extend(
                ledger
                    .iter()
                    .flatten()
                    .map(|&j| (r[j].as_str(), Kind::Yuan)),
            );
            at.cells(&cells)?;
        }
    }
    if !any {
        at.cells(&[("无 None", Kind::Text)])?;
    }
    Ok(())
}

fn targets_by_probability(at: &mut Cursor, targets: &CsvTable) -> Result<()> {
    at.title("目标达成概率 Targets by attainment probability")?;
    let header_row = at.row;
    let status = targets.header.iter().position(|h| h == "status");
    let mut header = vec![
        ("目标", "Target"),
        ("名称", "Label"),
        ("达成概率", "P(attained)"),
        ("95%下限", "CI95 low"),
        ("95%上限", "CI95 high"),
    ];
    if status.is_some() {
        header.push(("来源", "Status"));
    }
    at.header(&header)?;
    let c = |name| targets.column(name);
    let probability = c("probability");
    let mut rows: Vec<&Vec<String>> = targets.rows.iter().collect();
    // An unknown target of a run from actuals has no probability: it goes last.
    let p = |r: &Vec<String>| r[probability].parse::<f64>().unwrap_or(f64::NEG_INFINITY);
    // Most likely first; a stable sort keeps the scenario's order among equals.
    rows.sort_by(|a, b| p(b).total_cmp(&p(a)));
    let first = at.row;
    for r in rows {
        let mut cells = vec![
            (r[c("target")].as_str(), Kind::Text),
            (&r[c("label")], Kind::Text),
            (&r[probability], Kind::Share),
            (&r[c("ci95_low")], Kind::Share),
            (&r[c("ci95_high")], Kind::Share),
        ];
        cells.extend(status.map(|j| (r[j].as_str(), Kind::Text)));
        at.cells(&cells)?;
    }
    if at.row > first {
        let last_column = 4 + u16::from(status.is_some());
        at.ws.autofilter(header_row, 0, at.row - 1, last_column)?;
        at.ws
            .add_conditional_format(first, 2, at.row - 1, 2, &probability_scale())?;
    }
    Ok(())
}
