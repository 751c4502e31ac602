//! The fan chart of cumulative outlay, with the appropriations as a step line.

use plotters::prelude::*;

use super::chart::{drawable, not_drawn, Chart, Drawn};
use super::ledger::{draw_paid_to_date, PaidToDate};
use super::{figure, text_style, MILLION, PALETTE};
use crate::scenario::Scenario;
use crate::stats::Statistics;

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
/// A run from actuals (`actual`) shows the ledger's cumulative outlay as a line up to the
/// as-of month and the fan from that month on.
pub(super) fn fan_chart(
    caption: &str,
    runs: &[(&str, &Statistics)],
    s: &Scenario,
    actual: Option<&PaidToDate>,
) -> String {
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
        .chain(actual.iter().flat_map(|a| a.cumulative.iter().copied()))
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
        let from = actual.map_or(0, |a| a.as_of_month);
        for (k, band) in bands.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let name = (!single).then_some(runs[k].0);
            draw_band(
                &mut chart,
                band.get(from..).unwrap_or(&[]),
                from,
                color,
                name,
            )?;
        }
        if let Some(a) = actual {
            draw_paid_to_date(&mut chart, a)?;
        }
        if !steps.is_empty() {
            draw_appropriations(&mut chart, &steps)?;
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

/// One run's fan from month `from` on: its P5–P95 band, its P25–P75 band when it is the
/// only run (`name` is `None`), and its median; `name` labels the legend when several
/// runs share the chart.
fn draw_band(
    chart: &mut Chart<'_, '_>,
    band: &[[f64; 5]],
    from: usize,
    color: RGBColor,
    name: Option<&str>,
) -> Drawn {
    let label = |what: &str| name.map_or(what.to_string(), |n| format!("{n} {what}"));
    let x = |i: usize| (i + from) as f64 + 0.5;
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
        .label(label("P5–P95"))
        .legend(move |(x, y)| {
            Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.15).filled())
        });
    if name.is_none() {
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
        .label(label("median"))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
    Ok(())
}

/// The cumulative appropriations as a black step line, each year's total marked.
fn draw_appropriations(chart: &mut Chart<'_, '_>, steps: &[(f64, f64)]) -> Drawn {
    chart
        .draw_series(LineSeries::new(
            steps.iter().copied(),
            BLACK.stroke_width(2),
        ))?
        .label("cumulative appropriations 累计预算")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    chart.draw_series(steps.chunks(2).map(|p| {
        EmptyElement::at(p[1])
            + Circle::new((0, 0), 3, BLACK.filled())
            + Text::new(format!("{:.1}", p[1].1), (-30, -14), text_style(11))
    }))?;
    Ok(())
}
