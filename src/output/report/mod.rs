//! `report.html`: one self-contained page (no script, font or stylesheet from the
//! network) with SVG charts drawn by plotters and the tables of the run's CSV files.
//!
//! The page is a function of the statistics and the scenario only (no clock, no path), so
//! a run split into shards and merged writes the same bytes as one run. Tables show the
//! same f64 values as the CSV files: scaled and rounded for reading (the unit says so), and
//! each cell's `title` holds the value exactly as the CSV writes it.
//!
//! One file per part of the page: `page` (the HTML skeleton), `tables` and
//! `comparison_tables`, `chart` (what every chart shares), and one per chart or family
//! of charts.

pub(crate) mod chart;
mod comparison_charts;
mod comparison_tables;
mod fan;
mod histogram;
mod ledger;
mod page;
mod run_charts;
mod tables;

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;

use crate::actuals::Ledger;
use crate::compare::Comparison;
use crate::output::rundir::RunDir;
use crate::scenario::Scenario;
use crate::stats::Statistics;

pub(crate) use chart::{figure, label_with_id, row_chart, text_style, Row, MILLION, PALETTE};
pub(crate) use page::{esc, page};

use comparison_charts::{difference_chart, target_change_chart};
use comparison_tables::{comparison_table, target_change_table};
use fan::fan_chart;
use histogram::histogram;
use run_charts::{instrument_chart, targets_chart};
use tables::{budget_table, outlay_table, targets_table};

/// Outlay metric names each followed by its ledger part and simulated rest (a run from
/// actuals: `outlay.actual.*`, `outlay.remaining.*`).
pub fn split_outlay_names(names: &[String]) -> Vec<String> {
    ledger::split_names(names)
}

/// Writes `report.html` into a run folder.
pub fn write_run_report(
    dir: &mut RunDir,
    s: &Scenario,
    stats: &Statistics,
    tornado: &[crate::sensitivity::Swing],
    seed: u64,
    ledger: Option<&Ledger>,
) -> Result<()> {
    let html = run_report(s, stats, &stats.outlay_total, tornado, seed, ledger);
    let mut w = dir.create("report.html")?;
    w.write_all(html.as_bytes())?;
    w.flush()?;
    Ok(())
}

/// The report of one run. `outlay_total` holds the per-replication `outlay.total` values
/// (the histogram is left out when it is empty).
/// `tornado`: the given-data tornado of `outlay.total` (no section when empty).
/// `ledger`: a run from actuals, whose paid-to-date parts the page shows.
pub fn run_report(
    s: &Scenario,
    stats: &Statistics,
    outlay_total: &[f64],
    tornado: &[crate::sensitivity::Swing],
    seed: u64,
    ledger: Option<&Ledger>,
) -> String {
    let mut charts = Vec::new();
    let actual = ledger.map(|l| ledger::cumulative_paid(s, l));
    charts.push(fan_chart(
        "累计支出 Cumulative outlay: median, P25–P75, P5–P95 (million yuan)",
        &[(s.name.as_str(), stats)],
        s,
        actual.as_ref(),
    ));
    if !outlay_total.is_empty() {
        charts.push(histogram(s, stats, outlay_total));
    }
    charts.push(instrument_chart(s, stats));
    if !stats.targets.is_empty() {
        charts.push(targets_chart(s, stats));
    }

    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"sub\">{} — scenario <code>{}</code>, seed {}, {} replications. \
         Money in million yuan unless stated; hover a cell for the value exactly as in the CSV file.</p>",
        esc(&s.title),
        esc("常州 policysim run report"),
        esc(&s.name),
        seed,
        stats.replications
    );
    if let Some(l) = ledger {
        body.push_str(&ledger::note(l));
    }
    body.push_str("<h2>Outlay</h2>");
    body.push_str(&outlay_table(s, stats));
    for c in &charts {
        body.push_str(c);
    }
    body.push_str("<h2>Budget by line and year (million yuan)</h2>");
    body.push_str(&budget_table(stats));
    if !stats.targets.is_empty() {
        body.push_str("<h2>Targets</h2>");
        body.push_str(&targets_table(s, &stats.targets));
    }
    if !tornado.is_empty() {
        let outlay = stats.metrics[0].mean;
        body.push_str(&crate::sensitivity::report::run_section(s, outlay, tornado));
        charts.push(String::new());
    }
    page(&format!("{} — policysim", s.name), charts.len(), &body)
}

/// The report of a comparison: `runs` in the order compared (the first is the reference).
pub fn comparison_report(
    runs: &[(&Scenario, &Statistics)],
    comparisons: &[Comparison],
    seed: u64,
) -> String {
    let (s0, _) = runs[0];
    let mut charts = Vec::new();
    let named: Vec<(&str, &Statistics)> =
        runs.iter().map(|(s, st)| (s.name.as_str(), *st)).collect();
    charts.push(fan_chart(
        "累计支出 Cumulative outlay by scenario: median and P5–P95 (million yuan)",
        &named,
        s0,
        None,
    ));
    let mut sections = String::new();
    for c in comparisons {
        let (diff_chart, target_chart) = (difference_chart(c), target_change_chart(c));
        let _ = write!(
            sections,
            "<h2>{} vs {}</h2><p>Paired differences ({b} − {a}) over the same replications \
             (common random numbers); intervals: mean ± 1.96·sd/√n of the differences.</p>",
            esc(&c.scenario_b),
            esc(&c.scenario_a),
            a = esc(&c.scenario_a),
            b = esc(&c.scenario_b),
        );
        sections.push_str(&comparison_table(runs[0].0, c));
        sections.push_str(&diff_chart);
        charts.push(diff_chart);
        match target_chart {
            Some(tc) => {
                sections.push_str(&tc);
                charts.push(tc);
            }
            None if !c.targets.is_empty() => {
                sections.push_str("<p>No target's attainment changed in any replication.</p>")
            }
            None => {}
        }
        sections.push_str(&target_change_table(c));
    }
    let names: Vec<&str> = runs.iter().map(|(s, _)| s.name.as_str()).collect();
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Scenario comparison: {}</h1><p class=\"sub\">seed {}, {} replications each; \
         every scenario runs replication r on the same random streams. Money in million yuan \
         unless stated; hover a cell for the value exactly as in comparison.csv.</p>",
        esc(&names.join(" vs ")),
        seed,
        runs[0].1.replications
    );
    body.push_str(&charts[0]);
    body.push_str(&sections);
    page(
        &format!("compare {}", names.join(" vs ")),
        charts.len(),
        &body,
    )
}
