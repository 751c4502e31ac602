//! What every chart shares: the SVG figure, fonts and colours, and the horizontal row chart.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::esc;

pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(crate) type Drawn = Result<(), DrawingAreaErrorKind<std::io::Error>>;
/// A chart of `Area` with numeric axes (months or money across, money up).
pub(crate) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const MILLION: f64 = 1.0e6;
pub(crate) const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Whether plotters can draw an axis from `lo` to `hi`: both ends and the span finite.
/// An infinite or NaN range makes its search for tick marks loop without end.
pub(super) fn drawable(lo: f64, hi: f64) -> bool {
    lo.is_finite() && hi.is_finite() && (hi - lo).is_finite() && hi > lo
}

/// What stands in the page for a chart whose values cannot be drawn.
pub(super) fn not_drawn(caption: &str) -> String {
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

pub(super) fn symmetric_range(rows: &[Row]) -> (f64, f64) {
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
