//! `report.html`: one self-contained page (no script, font or stylesheet from the
//! network) with SVG charts drawn by plotters and the tables of the run's CSV files.
//!
//! The page is a function of the statistics and the scenario only (no clock, no path), so
//! a run split into shards and merged writes the same bytes as one run. Tables show the
//! same f64 values as the CSV files: scaled and rounded for reading (the unit says so), and
//! each cell's `title` holds the value exactly as the CSV writes it.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::compare::Comparison;
use crate::output::rundir::RunDir;
use crate::output::tables::num;
use crate::scenario::types::TargetMetric;
use crate::scenario::Scenario;

use crate::stats::{Statistics, TargetSummary};

pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(crate) type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;

/// Fonts the browser should try for Chinese labels before its default sans-serif.
const FONTS: &str = "\"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", \
\"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", \"Hiragino Sans GB\", sans-serif";
pub(crate) const FONT: &str = "sans-serif";
pub(crate) const MILLION: f64 = 1.0e6;
pub(crate) const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Writes `report.html` into a run folder.
pub fn write_run_report(
    dir: &mut RunDir,
    s: &Scenario,
    stats: &Statistics,
    tornado: &[crate::sensitivity::Swing],
    seed: u64,
) -> Result<()> {
    let html = run_report(s, stats, &stats.outlay_total, tornado, seed);
    let mut w = dir.create("report.html")?;
    w.write_all(html.as_bytes())?;
    w.flush()?;
    Ok(())
}

/// The report of one run. `outlay_total` holds the per-replication `outlay.total` values
/// (the histogram is left out when it is empty).
/// `tornado`: the given-data tornado of `outlay.total` (no section when empty).
pub fn run_report(
    s: &Scenario,
    stats: &Statistics,
    outlay_total: &[f64],
    tornado: &[crate::sensitivity::Swing],
    seed: u64,
) -> String {
    let mut charts = Vec::new();
    charts.push(fan_chart(
        "累计支出 Cumulative outlay: median, P25–P75, P5–P95 (million yuan)",
        &[(s.name.as_str(), stats)],
        s,
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

// ---------------------------------------------------------------------------------------
// Page and tables

pub(crate) fn page(title: &str, charts: usize, body: &str) -> String {
    // The head script turns any page error into the title; the last script checks that
    // every chart rendered. A headless browser test reads the title ("ok").
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script>window.onerror = function (m) {{ document.title = "page-fail: " + m; }};</script>
<style>
body {{ font-family: {FONTS}; margin: 1.5em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
svg text {{ font-family: {FONTS}; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }}
.sub {{ color: #555; }}
figure {{ margin: 1em 0; }} figure svg {{ max-width: 100%; height: auto; display: block; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }}
th, td {{ border: 1px solid #ddd; padding: 2px 6px; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
th {{ background: #f3f3f3; }} tr.g td {{ background: #f8f8f8; font-weight: bold; }}
</style></head>
<body data-charts="{charts}">
{body}
<script>
(function () {{
  var want = parseInt(document.body.getAttribute("data-charts"), 10);
  var got = document.querySelectorAll("figure.chart svg").length;
  if (document.title.indexOf("page-fail") === 0) return;
  document.title = got === want ? "ok" : "charts-missing: " + got + " of " + want;
}})();
</script>
</body></html>
"#,
        title = esc(title),
    )
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number cell: `shown` for reading, the exact CSV text in the title.
fn cell(x: f64, shown: String) -> String {
    format!("<td class=\"n\" title=\"{}\">{}</td>", num(x), shown)
}

fn money(x: f64) -> String {
    cell(x, format!("{:.2}", x / MILLION))
}

fn prob(x: f64) -> String {
    cell(x, format!("{:.4}", x))
}

fn opt_cell(x: Option<f64>, f: fn(f64) -> String) -> String {
    x.map(f).unwrap_or_else(|| "<td></td>".into())
}

fn outlay_table(s: &Scenario, stats: &Statistics) -> String {
    let mut t = String::from(
        "<table><tr><th>metric (million yuan)</th><th>mean</th><th>P50</th><th>P90</th>\
         <th>P95</th><th>P99</th><th>max</th></tr>",
    );
    let mut names = vec!["outlay.total".to_string()];
    names.extend(s.years().map(|y| format!("outlay.year.{y}")));
    names.extend(
        [
            "outlay.after_horizon",
            "outlay.funder.city",
            "outlay.funder.district",
        ]
        .map(String::from),
    );
    for name in names {
        if let Some(m) = stats.metrics.iter().find(|m| m.name == name) {
            let _ = write!(
                t,
                "<tr><td><code>{}</code></td>{}{}{}{}{}{}</tr>",
                esc(&name),
                money(m.mean),
                money(m.quantiles[2]),
                money(m.quantiles[4]),
                money(m.quantiles[5]),
                money(m.quantiles[6]),
                money(m.max)
            );
        }
    }
    t.push_str("</table>");
    t
}

fn budget_table(stats: &Statistics) -> String {
    let mut t = String::from(
        "<table><tr><th>budget line</th><th>label</th><th>year</th><th>overflow</th>\
         <th>appropriation</th><th>mean demand</th><th>mean outlay</th><th>P50 outlay</th>\
         <th>P95 outlay</th><th>P(exceed)</th><th>expected overrun</th><th>CVaR95 demand</th>\
         <th>mean carried over</th></tr>",
    );
    for b in &stats.budget {
        let _ = write!(
            t,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}{}{}{}{}{}</tr>",
            esc(&b.line),
            esc(&b.label),
            b.year,
            b.overflow,
            opt_cell(b.appropriation, money),
            money(b.mean_demand),
            money(b.mean_outlay),
            money(b.p50_outlay),
            money(b.p95_outlay),
            opt_cell(b.p_exceed, prob),
            opt_cell(b.expected_overrun, money),
            money(b.cvar95_demand),
            money(b.mean_carried_over),
        );
    }
    t.push_str("</table>");
    t
}

/// The district a target is about, for grouping (city-wide when none).
fn target_group(s: &Scenario, id: &str) -> (usize, String) {
    let district = s
        .targets
        .iter()
        .find(|t| t.id == id)
        .and_then(|t| match t.metric {
            TargetMetric::Nev { district, .. } => district,
            TargetMetric::Summary(_) => None,
        });
    match district {
        Some(d) => (d + 1, s.districts[d].label.clone()),
        None => (0, "全市 city-wide".to_string()),
    }
}

/// Targets in display order: grouped by district (city-wide first), scenario order within.
fn grouped<'a>(
    s: &Scenario,
    targets: &'a [TargetSummary],
) -> Vec<(String, Vec<&'a TargetSummary>)> {
    let mut groups: Vec<(usize, String, Vec<&TargetSummary>)> = Vec::new();
    for t in targets {
        let (k, label) = target_group(s, &t.id);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.2.push(t),
            None => groups.push((k, label, vec![t])),
        }
    }
    groups.sort_by_key(|g| g.0);
    groups.into_iter().map(|(_, l, v)| (l, v)).collect()
}

fn targets_table(s: &Scenario, targets: &[TargetSummary]) -> String {
    let mut t = String::from(
        "<table><tr><th>target</th><th>label</th><th>metric</th><th>window</th><th>goal</th>\
         <th>P(attained)</th><th>95% low</th><th>95% high</th><th>mean</th><th>P05</th>\
         <th>P50</th><th>P95</th></tr>",
    );
    let plain = |x: f64| cell(x, format!("{}", (x * 100.0).round() / 100.0));
    for (group, items) in grouped(s, targets) {
        let _ = write!(
            t,
            "<tr class=\"g\"><td colspan=\"12\">{}</td></tr>",
            esc(&group)
        );
        for x in items {
            let cmp = if x.comparator == "at_least" {
                "≥"
            } else {
                "≤"
            };
            let _ = write!(
                t,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td>\
                 <td title=\"{}\">{} {}</td>{}{}{}{}{}{}{}</tr>",
                esc(&x.id),
                esc(&x.label),
                esc(&x.metric),
                esc(&x.window),
                num(x.threshold),
                cmp,
                num(x.threshold),
                prob(x.probability),
                prob(x.ci_low),
                prob(x.ci_high),
                plain(x.mean),
                plain(x.p05),
                plain(x.p50),
                plain(x.p95),
            );
        }
    }
    t.push_str("</table>");
    t
}

/// The metrics a comparison table leads with.
fn headline_metrics(s: &Scenario) -> Vec<String> {
    let mut names = vec!["outlay.total".to_string()];
    names.extend(s.years().map(|y| format!("outlay.year.{y}")));
    names.extend(
        [
            "outlay.after_horizon",
            "outlay.funder.city",
            "outlay.funder.district",
            "listings.new",
            "firms.entered",
        ]
        .map(String::from),
    );
    names
}

fn comparison_table(s: &Scenario, c: &Comparison) -> String {
    let mut t = format!(
        "<table><tr><th>metric</th><th>mean {}</th><th>mean {}</th><th>difference</th>\
         <th>95% low</th><th>95% high</th><th>P(b &gt; a)</th></tr>",
        esc(&c.scenario_a),
        esc(&c.scenario_b)
    );
    for name in headline_metrics(s) {
        let Some(m) = c.metric(&name) else { continue };
        let d = &m.diff;
        let f: fn(f64) -> String = if name.starts_with("outlay.") {
            money
        } else {
            |x| cell(x, format!("{:.3}", x))
        };
        let unit = if name.starts_with("outlay.") {
            " (million yuan)"
        } else {
            ""
        };
        let _ = write!(
            t,
            "<tr><td><code>{}</code>{}</td>{}{}{}{}{}{}</tr>",
            esc(&name),
            unit,
            f(d.mean_a),
            f(d.mean_b),
            f(d.mean_diff),
            f(d.ci95_low),
            f(d.ci95_high),
            prob(d.p_b_greater)
        );
    }
    t.push_str("</table>");
    t
}

fn target_change_table(c: &Comparison) -> String {
    if c.targets.is_empty() {
        return String::new();
    }
    let mut t = format!(
        "<details><summary>All {} targets</summary><table><tr><th>target</th><th>label</th>\
         <th>P {}</th><th>P {}</th><th>change</th><th>95% low</th><th>95% high</th></tr>",
        c.targets.len(),
        esc(&c.scenario_a),
        esc(&c.scenario_b)
    );
    for x in &c.targets {
        let _ = write!(
            t,
            "<tr><td><code>{}</code></td><td>{}</td>{}{}{}{}{}</tr>",
            esc(&x.target),
            esc(&x.label),
            prob(x.probability_a),
            prob(x.probability_b),
            prob(x.change),
            prob(x.change_ci95_low),
            prob(x.change_ci95_high)
        );
    }
    t.push_str("</table></details>");
    t
}

// ---------------------------------------------------------------------------------------
// Charts

/// Whether plotters can draw an axis from `lo` to `hi`: both ends and the span finite.
/// An infinite or NaN range makes its search for tick marks loop without end.
fn drawable(lo: f64, hi: f64) -> bool {
    lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && hi > lo
}

/// What stands in the page for a chart whose values cannot be drawn.
fn not_drawn(caption: &str) -> String {
    format!(
        "<p>chart “{}” not drawn: its values are not all finite numbers (see the CSV files)</p>",
        esc(caption)
    )
}

/// Draws an SVG of `w × h` pixels and wraps it in a `<figure class="chart">`.
pub(crate) fn figure(
    w: u32,
    h: u32,
    caption: &str,
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> String {
    let mut svg = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|_| draw(&root))
            .and_then(|_| root.present())
    };
    if let Err(e) = drawn {
        // A drawing failure is a bug; say so in place of the chart rather than lose the run.
        return format!(
            "<p>chart “{}” could not be drawn: {}</p>",
            esc(caption),
            esc(&e.to_string())
        );
    }
    format!(
        "<figure class=\"chart\">{svg}<figcaption>{}</figcaption></figure>",
        esc(caption)
    )
}

pub(crate) fn text_style(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font())
}

/// Cumulative annual appropriations (summed over budget lines) by month index: the
/// appropriation of every year up to the month's year. `None` after the last year.
fn appropriation_steps(s: &Scenario, month_labels: &[String]) -> Vec<(f64, f64)> {
    let years: Vec<i32> = s.years().collect();
    let mut cum = 0.0;
    let mut steps = Vec::new();
    for (k, year) in years.iter().enumerate() {
        if s.budget_lines
            .iter()
            .all(|l| l.appropriation.get(k).copied().flatten().is_none())
        {
            continue;
        }
        cum += s
            .budget_lines
            .iter()
            .filter_map(|l| l.appropriation.get(k).copied().flatten())
            .sum::<f64>();
        let prefix = format!("{year}-");
        let idx: Vec<usize> = month_labels
            .iter()
            .enumerate()
            .filter(|(_, m)| m.starts_with(&prefix))
            .map(|(i, _)| i)
            .collect();
        if let (Some(first), Some(last)) = (idx.first(), idx.last()) {
            steps.push((*first as f64, cum / MILLION));
            steps.push((*last as f64 + 1.0, cum / MILLION));
        }
    }
    steps
}

/// Fan chart of `outlay.cumulative`: for one run P5–P95 and P25–P75 bands and the median;
/// for several, each run's P5–P95 band and median. Appropriations of `s` as a step line.
fn fan_chart(caption: &str, runs: &[(&str, &Statistics)], s: &Scenario) -> String {
    let bands: Vec<Vec<[f64; 5]>> = runs
        .iter()
        .map(|(_, st)| {
            st.series
                .iter()
                .filter(|b| b.series == "outlay.cumulative")
                .map(|b| b.quantiles.map(|q| q / MILLION))
                .collect()
        })
        .collect();
    let labels: Vec<String> = runs[0]
        .1
        .series
        .iter()
        .filter(|b| b.series == "outlay.cumulative")
        .map(|b| b.month.clone())
        .collect();
    let steps = appropriation_steps(s, &labels);
    let months = labels.len().max(2);
    let ymax = bands
        .iter()
        .flatten()
        .map(|q| q[4])
        .chain(steps.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.08;
    if !drawable(0.0, ymax) {
        return not_drawn(caption);
    }
    figure(1000, 440, caption, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..months as f64, 0f64..ymax)?;
        chart
            .configure_mesh()
            .x_labels(12)
            .x_label_formatter(&|x| {
                labels
                    .get(x.round().max(0.0) as usize)
                    .cloned()
                    .unwrap_or_default()
            })
            .y_desc("million yuan 百万元")
            .label_style(text_style(12))
            .draw()?;
        let single = runs.len() == 1;
        for (k, band) in bands.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let x = |i: usize| i as f64 + 0.5;
            let poly = |lo: usize, hi: usize| -> Vec<(f64, f64)> {
                let mut p: Vec<(f64, f64)> = band
                    .iter()
                    .enumerate()
                    .map(|(i, q)| (x(i), q[hi]))
                    .collect();
                p.extend(band.iter().enumerate().rev().map(|(i, q)| (x(i), q[lo])));
                p
            };
            chart
                .draw_series(std::iter::once(Polygon::new(
                    poly(0, 4),
                    color.mix(0.15).filled(),
                )))?
                .label(if single {
                    "P5–P95".to_string()
                } else {
                    format!("{} P5–P95", runs[k].0)
                })
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.15).filled())
                });
            if single {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly(1, 3),
                        color.mix(0.35).filled(),
                    )))?
                    .label("P25–P75")
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.35).filled())
                    });
            }
            chart
                .draw_series(LineSeries::new(
                    band.iter().enumerate().map(|(i, q)| (x(i), q[2])),
                    color.stroke_width(2),
                ))?
                .label(if single {
                    "median".to_string()
                } else {
                    format!("{} median", runs[k].0)
                })
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        if !steps.is_empty() {
            chart
                .draw_series(LineSeries::new(
                    steps.iter().copied(),
                    BLACK.stroke_width(2),
                ))?
                .label("cumulative appropriations 累计预算")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2))
                });
            chart.draw_series(steps.chunks(2).map(|p| {
                EmptyElement::at(p[1])
                    + Circle::new((0, 0), 3, BLACK.filled())
                    + Text::new(format!("{:.1}", p[1].1), (-30, -14), text_style(11))
            }))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(text_style(12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// Histogram of total outlay with P95 and CVaR95 marked.
fn histogram(s: &Scenario, stats: &Statistics, outlay_total: &[f64]) -> String {
    let values: Vec<f64> = outlay_total.iter().map(|v| v / MILLION).collect();
    // The marks are summary.csv's numbers for outlay.total.
    let total = stats.metrics.iter().find(|m| m.name == "outlay.total");
    let p95 = total.map_or(0.0, |m| m.quantiles[5]) / MILLION;
    let cvar95 = total.map_or(0.0, |m| m.cvar95) / MILLION;
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi <= lo {
        hi = lo + 1.0;
    }
    const BINS: usize = 40;
    let width = (hi - lo) / BINS as f64;
    let caption_of = |p95: f64, cvar95: f64| {
        format!(
            "总支出分布 Total outlay over {} replications of {} (million yuan); P95 {:.2}, CVaR95 {:.2}",
            values.len(),
            s.name,
            p95,
            cvar95
        )
    };
    if !drawable(lo, hi + width * 0.5) || values.iter().any(|v| v.is_nan()) {
        return not_drawn(&caption_of(p95, cvar95));
    }
    let mut counts = [0u64; BINS];
    for v in &values {
        counts[(((v - lo) / width) as usize).min(BINS - 1)] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.12;
    let caption = caption_of(p95, cvar95);
    figure(1000, 380, &caption, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi + width * 0.5, 0f64..top.max(1.0))?;
        chart
            .configure_mesh()
            .x_desc("total outlay, million yuan 总支出（百万元）")
            .y_desc("replications")
            .label_style(text_style(12))
            .draw()?;
        chart.draw_series(counts.iter().enumerate().map(|(i, c)| {
            let x0 = lo + i as f64 * width;
            Rectangle::new(
                [(x0, 0.0), (x0 + width, *c as f64)],
                PALETTE[0].mix(0.6).filled(),
            )
        }))?;
        for (value, name, color) in [(p95, "P95", PALETTE[1]), (cvar95, "CVaR95", BLACK)] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(value, 0.0), (value, top)],
                    color.stroke_width(2),
                )))?
                .label(format!("{name} = {value:.2}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(text_style(12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    })
}

/// A row of a horizontal chart: a value with an optional interval, or a group heading.
pub(crate) struct Row {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) interval: Option<(f64, f64)>,
    pub(crate) heading: bool,
}

impl Row {
    pub(crate) fn heading(label: String) -> Row {
        Row {
            label,
            value: 0.0,
            interval: None,
            heading: true,
        }
    }
}

/// Horizontal chart with one row per item: bars (`bars`) or points, each with its interval.
pub(crate) fn row_chart(
    caption: &str,
    x_desc: &str,
    rows: &[Row],
    x_range: (f64, f64),
    bars: bool,
) -> String {
    let n = rows.len().max(1);
    let h = 70 + 17 * n as u32;
    if !drawable(x_range.0, x_range.1) {
        return not_drawn(caption);
    }
    figure(1000, h, caption, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(420)
            .build_cartesian_2d(x_range.0..x_range.1, 0f64..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .y_label_formatter(&|_| String::new())
            .x_desc(x_desc)
            .label_style(text_style(12))
            .draw()?;
        let y = |i: usize| n as f64 - i as f64 - 0.5;
        let zero = 0f64.clamp(x_range.0, x_range.1);
        if x_range.0 < 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (0.0, n as f64)],
                BLACK.stroke_width(1),
            )))?;
        }
        for (i, r) in rows.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(x_range.0, y(i)));
            let style = if r.heading {
                TextStyle::from((FONT, 13, FontStyle::Bold).into_font())
            } else {
                text_style(12)
            };
            root.draw(&Text::new(
                r.label.clone(),
                (px - 6, py),
                style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            if r.heading {
                continue;
            }
            if bars {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(zero, y(i) - 0.35), (r.value, y(i) + 0.35)],
                    PALETTE[0].mix(0.7).filled(),
                )))?;
            }
            if let Some((lo, hi)) = r.interval {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(lo, y(i)), (hi, y(i))],
                    BLACK.stroke_width(2),
                )))?;
            }
            if !bars {
                chart.draw_series(std::iter::once(Circle::new(
                    (r.value, y(i)),
                    4,
                    PALETTE[1].filled(),
                )))?;
            }
        }
        Ok(())
    })
}

pub(crate) fn label_with_id(label: &str, id: &str) -> String {
    let label: String = label.chars().take(26).collect();
    if label.is_empty() {
        id.to_string()
    } else {
        format!("{label} ({id})")
    }
}

/// Mean outlay by instrument (bars) with the P95 as a whisker from the mean.
fn instrument_chart(s: &Scenario, stats: &Statistics) -> String {
    let rows: Vec<Row> = s
        .instruments
        .iter()
        .filter_map(|i| {
            let m = stats
                .metrics
                .iter()
                .find(|m| m.name == format!("outlay.instrument.{}", i.id))?;
            Some(Row {
                label: label_with_id(&i.label, &i.id),
                value: m.mean / MILLION,
                interval: Some((m.mean / MILLION, m.quantiles[5] / MILLION)),
                heading: false,
            })
        })
        .collect();
    let max = rows
        .iter()
        .map(|r| r.interval.map_or(r.value, |i| i.1))
        .fold(0.0f64, f64::max)
        .max(0.01)
        * 1.05;
    row_chart(
        "按政策工具支出 Outlay by instrument: mean (bar) to P95 (line), million yuan",
        "million yuan 百万元",
        &rows,
        (0.0, max),
        true,
    )
}

/// Attainment probability with its Wilson interval, grouped by district.
fn targets_chart(s: &Scenario, stats: &Statistics) -> String {
    let mut rows = Vec::new();
    for (group, items) in grouped(s, &stats.targets) {
        rows.push(Row::heading(group));
        rows.extend(items.iter().map(|t| Row {
            label: label_with_id(&t.label, &t.id),
            value: t.probability,
            interval: Some((t.ci_low, t.ci_high)),
            heading: false,
        }));
    }
    row_chart(
        "目标达成概率 Probability each target is attained, with 95% Wilson interval, by district",
        "probability 概率",
        &rows,
        (0.0, 1.0),
        false,
    )
}

fn symmetric_range(rows: &[Row]) -> (f64, f64) {
    let m = rows
        .iter()
        .flat_map(|r| {
            let (lo, hi) = r.interval.unwrap_or((r.value, r.value));
            [r.value.abs(), lo.abs(), hi.abs()]
        })
        .fold(0.0f64, f64::max);
    let m = if m > 0.0 { m * 1.1 } else { 1.0 };
    (-m, m)
}

/// Outlay differences (b − a) with their paired intervals.
fn difference_chart(c: &Comparison) -> String {
    let rows: Vec<Row> = c
        .metrics
        .iter()
        .filter(|m| {
            m.metric == "outlay.total"
                || m.metric.starts_with("outlay.year.")
                || m.metric == "outlay.after_horizon"
                || m.metric.starts_with("outlay.funder.")
                || (m.metric.starts_with("outlay.line.") && m.metric.matches('.').count() == 2)
                || (m.metric.starts_with("outlay.instrument.") && m.diff.mean_diff != 0.0)
        })
        .map(|m| Row {
            label: m.metric.clone(),
            value: m.diff.mean_diff / MILLION,
            interval: Some((m.diff.ci95_low / MILLION, m.diff.ci95_high / MILLION)),
            heading: false,
        })
        .collect();
    row_chart(
        &format!(
            "支出差异 Outlay difference {} − {} with 95% paired interval (million yuan)",
            c.scenario_b, c.scenario_a
        ),
        "million yuan 百万元",
        &rows,
        symmetric_range(&rows),
        false,
    )
}

/// The targets whose probability changed most, with the change's paired interval.
fn target_change_chart(c: &Comparison) -> Option<String> {
    if c.targets.is_empty() {
        return None;
    }
    let mut t: Vec<_> = c.targets.iter().filter(|t| t.change != 0.0).collect();
    if t.is_empty() {
        return None;
    }
    t.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()));
    t.truncate(20);
    let rows: Vec<Row> = t
        .iter()
        .map(|x| Row {
            label: label_with_id(&x.label, &x.target),
            value: x.change,
            interval: Some((x.change_ci95_low, x.change_ci95_high)),
            heading: false,
        })
        .collect();
    Some(row_chart(
        &format!(
            "目标概率变化 Change in attainment probability {} − {} (largest {}), 95% paired interval",
            c.scenario_b,
            c.scenario_a,
            rows.len()
        ),
        "change in probability 概率变化",
        &rows,
        symmetric_range(&rows),
        false,
    ))
}
