//! `sensitivity.csv`: one row per (metric, input).

use std::io::Write;

use super::indices::Indices;
use super::Swing;
use crate::output::tables::{csv_writer, num};

/// One metric's results: each input's indices and, for the parameters, tornado swings.
pub struct MetricResult {
    pub metric: String,
    pub inputs: Vec<String>,
    pub indices: Vec<Indices>,
    /// By input; `None` for the intrinsic randomness, which has no deciles.
    pub swings: Vec<Option<Swing>>,
}

pub fn write<W: Write>(w: W, results: &[MetricResult]) -> csv::Result<()> {
    let mut out = csv_writer(w);
    out.write_record([
        "metric",
        "parameter",
        "first_order",
        "first_order_low",
        "first_order_high",
        "total_order",
        "total_order_low",
        "total_order_high",
        "low_decile_mean",
        "high_decile_mean",
    ])?;
    let cell = |x: f64| if x.is_finite() { num(x) } else { String::new() };
    for r in results {
        for ((input, ix), swing) in r.inputs.iter().zip(&r.indices).zip(&r.swings) {
            let (low, high) = swing
                .as_ref()
                .map_or((f64::NAN, f64::NAN), |s| (s.low, s.high));
            out.write_record([
                r.metric.clone(),
                input.clone(),
                cell(ix.first.value),
                cell(ix.first.low),
                cell(ix.first.high),
                cell(ix.total.value),
                cell(ix.total.low),
                cell(ix.total.high),
                cell(low),
                cell(high),
            ])?;
        }
    }
    out.flush()?;
    Ok(())
}
