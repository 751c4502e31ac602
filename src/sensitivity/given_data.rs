//! First-order indices and tornado swings from the parameters and metric values of
//! ordinary replications (no design needed): replications sorted by a parameter, the
//! metric's variance between bins of that order over its total variance.

use super::Swing;
use crate::job::Rows;
use crate::metrics::MetricLayout;
use crate::scenario::Scenario;
use crate::stats::Columns;

/// The replications in ascending order of `x` (ties by replication, so the order is a
/// function of the values alone).
fn ranked(x: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(a.cmp(&b)));
    order
}

/// The mean of `y` over the replications in the lowest and highest tenth of `x`'s order
/// (at least one replication each).
pub fn decile_means(x: &[f64], y: &[f64]) -> (f64, f64) {
    let order = ranked(x);
    let k = (x.len() / 10).max(1);
    let mean = |ix: &[usize]| ix.iter().map(|&i| y[i]).sum::<f64>() / ix.len() as f64;
    (mean(&order[..k]), mean(&order[x.len() - k..]))
}

/// The first-order index of `x` for `y` by the binning estimator: replications grouped
/// by `x` (by value when it takes at most √n values, else into √n bins of equal count),
/// S = (between-bin sum of squares − (B − 1)·within-bin mean square) / total sum of
/// squares. The correction removes the between-bin sum's expected share of noise, so an
/// `x` that does not matter gets S near 0 rather than near (B − 1)/n. NaN if `y` is
/// constant.
pub fn first_order(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    if n < 4 {
        return f64::NAN;
    }
    let order = ranked(x);
    let bins = ((n as f64).sqrt() as usize).max(2);
    // Group boundaries in `order`: at each change of value when values are few.
    let mut starts = vec![0];
    let distinct = 1 + order.windows(2).filter(|w| x[w[0]] != x[w[1]]).count();
    if distinct <= bins {
        starts.extend((1..n).filter(|&i| x[order[i - 1]] != x[order[i]]));
    } else {
        starts.extend((1..bins).map(|b| b * n / bins));
    }
    starts.push(n);
    let grand = y.iter().sum::<f64>() / n as f64;
    let total: f64 = y.iter().map(|v| (v - grand).powi(2)).sum();
    if total <= 0.0 {
        return f64::NAN;
    }
    let (mut between, mut within) = (0.0, 0.0);
    for w in starts.windows(2) {
        let group = &order[w[0]..w[1]];
        let m = group.iter().map(|&i| y[i]).sum::<f64>() / group.len() as f64;
        between += group.len() as f64 * (m - grand).powi(2);
        within += group.iter().map(|&i| (y[i] - m).powi(2)).sum::<f64>();
    }
    let groups = (starts.len() - 1) as f64;
    let noise = if n as f64 > groups {
        (groups - 1.0) * within / (n as f64 - groups)
    } else {
        0.0
    };
    (between - noise) / total
}

/// One tornado bar per column of `params` for `y`, widest swing first; an error reading a
/// column is returned.
pub fn tornado(
    names: &[String],
    params: &dyn Fn(usize) -> std::io::Result<Vec<f64>>,
    y: &[f64],
) -> std::io::Result<Vec<Swing>> {
    let mut swings: Vec<Swing> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let x = params(j)?;
            let (low, high) = decile_means(&x, y);
            Ok(Swing {
                parameter: name.clone(),
                low,
                high,
                first_order: first_order(&x, y),
            })
        })
        .collect::<std::io::Result<_>>()?;
    swings.sort_by(|a, b| {
        b.width()
            .total_cmp(&a.width())
            .then(a.parameter.cmp(&b.parameter))
    });
    Ok(swings)
}

/// The tornado of `outlay.total` over a run's parameters (empty when nothing is drawn
/// per replication or fewer than 10 replications ran).
pub(crate) fn outlay_tornado(
    s: &Scenario,
    layout: &MetricLayout,
    rows: &Rows,
) -> std::io::Result<Vec<Swing>> {
    let names = crate::engine::params::ParameterLayout::new(s).names;
    if names.is_empty() || rows.store.replications() < 10 {
        return Ok(Vec::new());
    }
    let y = rows.store.metric(layout.outlay_total)?;
    tornado(&names, &|j| rows.parameters.metric(j), &y)
}
