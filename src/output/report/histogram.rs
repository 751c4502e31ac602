//! The histogram of total outlay.

use plotters::prelude::*;

use super::chart::{drawable, not_drawn};
use super::{figure, text_style, MILLION, PALETTE};
use crate::scenario::Scenario;
use crate::stats::Statistics;

/// Histogram of total outlay with P95 and CVaR95 marked.
pub(super) fn histogram(s: &Scenario, stats: &Statistics, outlay_total: &[f64]) -> String {
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
