//! The backtest's report: a table of the scores and each observation drawn on its
//! predictive interval, in the style (and with the drawing code) of `output::report`.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::{window_label, Scored};
use crate::output::report::{esc, figure, page, text_style, MILLION, PALETTE};
use crate::scenario::Scenario;

/// The backtest page: how many observations fall inside their intervals, the table, and
/// one strip per observation.
pub fn backtest_report(s: &Scenario, scored: &[Scored], reps: u64, seed: u64) -> String {
    let n = scored.len();
    let in90 = scored.iter().filter(|x| x.score.in90).count();
    let in50 = scored.iter().filter(|x| x.score.in50).count();
    let mut body = format!(
        "<h1>回测 backtest — {}</h1><p class=\"sub\">{} · {reps} replications, seed {seed} · \
         {in90} of {n} observations inside their 90 % interval, {in50} of {n} inside their \
         50 % interval (expected about 90 % and 50 % of them if the model's uncertainty is \
         honest). PIT is the mid-PIT; CRPS the fair ensemble estimator (docs/model.md, \
         Backtest).</p>",
        esc(&s.name),
        esc(&s.title)
    );
    body.push_str(
        "<table><tr><th>metric 指标</th><th>window 窗口</th><th>observed 实际</th>\
        <th>mean</th><th>5 %</th><th>25 %</th><th>median</th><th>75 %</th><th>95 %</th>\
        <th>PIT</th><th>in 50 %</th><th>in 90 %</th><th>CRPS</th></tr>",
    );
    for x in scored {
        let (o, sc) = (&x.observation, &x.score);
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
            esc(&metric_label(s, &o.metric)),
            esc(&window_label(o.window)),
            shown(o.value),
            shown(sc.mean)
        );
        for q in sc.quantiles {
            let _ = write!(body, "<td class=\"n\">{}</td>", shown(q));
        }
        let _ = write!(
            body,
            "<td class=\"n\">{:.3}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            sc.pit,
            yes(sc.in50),
            yes(sc.in90),
            shown(sc.crps)
        );
    }
    body.push_str("</table><h2>观测值与预测区间 observations on their predictive intervals</h2>");
    for x in scored {
        body.push_str(&strip(s, x));
    }
    page(&format!("backtest {}", s.name), n, &body)
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes 是"
    } else {
        "no 否"
    }
}

pub(crate) fn shown(x: f64) -> String {
    if x.abs() >= 1e5 {
        format!("{:.2} M", x / MILLION)
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// The metric with the scenario's (Chinese) label of the tier, instrument, budget line or
/// district it names, where it names one.
fn metric_label(s: &Scenario, metric: &str) -> String {
    let id = metric.rsplit('.').next().unwrap_or(metric);
    let label = s
        .tiers
        .iter()
        .map(|t| (&t.id, &t.label))
        .chain(s.instruments.iter().map(|i| (&i.id, &i.label)))
        .chain(s.budget_lines.iter().map(|l| (&l.id, &l.label)))
        .chain(s.districts.iter().map(|d| (&d.id, &d.label)))
        .find(|(i, _)| i.as_str() == id)
        .map(|(_, l)| l.as_str());
    match label {
        Some(l) if !l.is_empty() && l != id => {
            format!("{} {metric}", l.chars().take(14).collect::<String>())
        }
        _ => metric.to_string(),
    }
}

/// One observation on its predictive distribution: the central 90 % interval, the 50 %
/// interval inside it, the median, and the observed value as a dot.
fn strip(s: &Scenario, x: &Scored) -> String {
    let (o, sc) = (&x.observation, &x.score);
    let money = o.metric.starts_with("outlay.");
    let (scale, unit) = if money {
        (MILLION, "million yuan 百万元")
    } else {
        (1.0, "value 数值")
    };
    let q = sc.quantiles.map(|v| v / scale);
    let y = o.value / scale;
    let lo = q[0].min(y);
    let hi = q[4].max(y);
    let pad = ((hi - lo) * 0.08)
        .max(hi.abs() * 1e-6)
        .max(0.5 / scale.max(1.0));
    let (x0, x1) = (lo - pad, hi + pad);
    let caption = format!(
        "{} {} — observed {} · PIT {:.2} · {}",
        metric_label(s, &o.metric),
        window_label(o.window),
        shown(o.value),
        sc.pit,
        if sc.in90 {
            "inside the 90 % interval 在90%区间内"
        } else {
            "outside the 90 % interval 在90%区间外"
        }
    );
    if !(x0.is_finite() && x1.is_finite() && x1 > x0) {
        return format!(
            "<p>chart “{}” not drawn: values not finite</p>",
            esc(&caption)
        );
    }
    figure(1000, 110, &caption, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(10)
            .build_cartesian_2d(x0..x1, 0f64..1f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(unit)
            .label_style(text_style(12))
            .draw()?;
        let band = |a: f64, b: f64, h: f64, c: RGBColor| {
            Rectangle::new([(a, 0.5 - h), (b, 0.5 + h)], c.mix(0.45).filled())
        };
        chart.draw_series([
            band(q[0], q[4], 0.22, PALETTE[0]),
            band(q[1], q[3], 0.34, PALETTE[0]),
        ])?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(q[2], 0.12), (q[2], 0.88)],
            BLACK.stroke_width(2),
        )))?;
        let dot = if sc.in90 { PALETTE[2] } else { RED };
        chart.draw_series(std::iter::once(Circle::new((y, 0.5), 6, dot.filled())))?;
        Ok(())
    })
}
