//! The sensitivity section of a report: tornado and index bars, in the style (and with
//! the drawing code) of `output::report`.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::table::MetricResult;
use super::Swing;
use crate::output::report::{
    esc, figure, label_with_id, page, row_chart, text_style, Row, MILLION, PALETTE,
};
use crate::scenario::Scenario;

/// Bars shown in a tornado: the widest swings.
const TORNADO_BARS: usize = 15;

/// A parameter's label: its key path, after the scenario's (Chinese) label of the
/// instrument, occurrence, tier or district it belongs to.
pub fn parameter_label(s: &Scenario, key: &str) -> String {
    let Some((kind, rest)) = key.split_once('[') else {
        return key.to_string();
    };
    let Some((id, _)) = rest.split_once(']') else {
        return key.to_string();
    };
    let label = match kind {
        "instrument" => s.instruments.iter().find(|i| i.id == id).map(|i| &i.label),
        "occurrence" => s.occurrences.iter().find(|o| o.id == id).map(|o| &o.label),
        "district" => s.districts.iter().find(|d| d.id == id).map(|d| &d.label),
        "tier" => s.tiers.iter().find(|t| t.id == id).map(|t| &t.label),
        _ => None,
    };
    match label {
        Some(l) if !l.is_empty() && l != id => {
            format!("{} {key}", l.chars().take(14).collect::<String>())
        }
        _ => key.to_string(),
    }
}

/// Tornado chart: per parameter, a bar from the metric's mean in its lowest decile to
/// its mean in its highest, around the overall mean; `scale` divides values for display.
pub fn tornado_chart(
    s: &Scenario,
    caption: &str,
    unit: &str,
    mean: f64,
    swings: &[Swing],
    scale: f64,
) -> String {
    let shown = &swings[..swings.len().min(TORNADO_BARS)];
    let n = shown.len().max(1);
    let lo = shown.iter().map(|w| w.low.min(w.high)).fold(mean, f64::min) / scale;
    let hi = shown.iter().map(|w| w.low.max(w.high)).fold(mean, f64::max) / scale;
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-6).max(1e-12);
    let (x0, x1) = (lo - pad, hi + pad);
    figure(1000, 70 + 22 * n as u32, caption, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(420)
            .build_cartesian_2d(x0..x1, 0f64..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(unit)
            .label_style(text_style(12))
            .draw()?;
        let m = mean / scale;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(m, 0.0), (m, n as f64)],
            BLACK.stroke_width(1),
        )))?;
        for (i, w) in shown.iter().enumerate() {
            let y = n as f64 - i as f64 - 0.5;
            let (px, py) = chart.backend_coord(&(x0, y));
            let label = format!(
                "{}  S={}",
                parameter_label(s, &w.parameter),
                index_text(w.first_order)
            );
            root.draw(&Text::new(
                label,
                (px - 6, py),
                text_style(12).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            for (end, colour) in [(w.low, PALETTE[0]), (w.high, PALETTE[1])] {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(m, y - 0.35), (end / scale, y + 0.35)],
                    colour.mix(0.7).filled(),
                )))?;
            }
        }
        Ok(())
    })
}

fn index_text(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "–".into()
    }
}

/// The run report's section: the given-data tornado of `outlay.total`.
pub fn run_section(s: &Scenario, mean: f64, swings: &[Swing]) -> String {
    let mut out = String::new();
    out.push_str(
        "<h2>What drives the outlay (tornado)</h2><p>Mean total outlay when each parameter drawn \
         once per replication sits in its lowest decile (blue) and its highest (red), widest \
         swing first; S is the given-data first-order index (binned replications, \
         docs/model.md, Sensitivity). <code>policysim sensitivity</code> gives total-order \
         indices and intervals.</p>",
    );
    out.push_str(&tornado_chart(
        s,
        "支出龙卷风图 Tornado of total outlay (million yuan)",
        "mean outlay.total in the decile (million yuan)",
        mean,
        swings,
        MILLION,
    ));
    out
}

/// The page of `policysim sensitivity`.
pub fn sensitivity_report(
    s: &Scenario,
    results: &[MetricResult],
    rows: usize,
    seed: u64,
    means: &[f64],
) -> String {
    let mut body = String::new();
    let mut charts = 0;
    let _ = write!(
        body,
        "<h1>{}</h1><p class=\"sub\">{} — scenario <code>{}</code>, seed {seed}, Saltelli design \
         of {rows} rows ({} inputs: the parameters drawn once per replication and the \
         intrinsic randomness). Bars: first-order index, whiskers its bootstrap 95 % interval; \
         points: total order. docs/model.md, Sensitivity.</p>",
        esc(&s.title),
        esc("常州 policysim 敏感性分析 sensitivity analysis"),
        esc(&s.name),
        results.first().map_or(0, |result| result.inputs.len()),
    );
    for (result, &mean) in results.iter().zip(means) {
        let _ = write!(body, "<h2>{}</h2>", esc(&result.metric));
        let mut rows_first = vec![Row::heading("first order 一阶".into())];
        let mut rows_total = vec![Row::heading("total order 总效应".into())];
        for (input, ix) in result.inputs.iter().zip(&result.indices) {
            let label = label_with_id(&parameter_label(s, input), "");
            let label = if label.is_empty() {
                input.clone()
            } else {
                label
            };
            let bar = |x: super::indices::Index| Row {
                label: label.clone(),
                value: finite(x.value),
                interval: (x.low.is_finite() && x.high.is_finite()).then_some((x.low, x.high)),
                heading: false,
            };
            rows_first.push(bar(ix.first));
            rows_total.push(bar(ix.total));
        }
        rows_first.extend(rows_total);
        let lo = rows_first
            .iter()
            .filter(|row| !row.heading)
            .flat_map(|row| [row.value, row.interval.map_or(0.0, |i| i.0)])
            .fold(0.0, f64::min);
        body.push_str(&row_chart(
            &format!("{} — Sobol indices", result.metric),
            "share of variance",
            &rows_first,
            (lo.max(-0.5), 1.05),
            true,
        ));
        charts += 1;
        let swings: Vec<Swing> = result.swings.iter().flatten().cloned().collect();
        if !swings.is_empty() {
            let money = result.metric.starts_with("outlay.");
            let (scale, unit) = if money {
                (MILLION, "mean in the decile (million yuan)")
            } else {
                (1.0, "mean in the decile")
            };
            body.push_str(&tornado_chart(
                s,
                &format!("{} — tornado 龙卷风图", result.metric),
                unit,
                mean,
                &swings,
                scale,
            ));
            charts += 1;
        }
    }
    page(&format!("sensitivity {}", s.name), charts, &body)
}

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x
    } else {
        0.0
    }
}
