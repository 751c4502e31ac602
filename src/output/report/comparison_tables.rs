//! The tables of a comparison's report.

use std::fmt::Write as _;

use super::esc;
use super::tables::{cell, money, prob};
use crate::compare::Comparison;
use crate::metrics::headline_metrics;
use crate::scenario::Scenario;

pub(super) fn comparison_table(s: &Scenario, c: &Comparison) -> String {
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

pub(super) fn target_change_table(c: &Comparison) -> String {
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
