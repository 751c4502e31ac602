//! The short summary `run` and `merge` print when they finish.

use std::path::Path;

use crate::actuals::TargetStatus;
use crate::output::manifest::Manifest;
use crate::scenario::types::TargetMetric;
use crate::scenario::Scenario;
use crate::stats::Statistics;

fn yuan_m(x: f64) -> String {
    format!("{:.2}", x / 1.0e6)
}

/// After `merge`: what it combined and how long that took (no simulation throughput:
/// the shards' event counts were not processed here), then the tables of a run.
pub fn print_merge_summary(
    s: &Scenario,
    stats: &Statistics,
    manifest: &Manifest,
    shards: usize,
    out: &Path,
) {
    println!(
        "{}: merged {} replications from {} shard folders in {:.2} s -> {}",
        s.name,
        stats.replications,
        shards,
        manifest.execution.wall_seconds,
        out.display()
    );
    print_tables(s, stats);
}

pub fn print_run_summary(s: &Scenario, stats: &Statistics, manifest: &Manifest, out: &Path) {
    let e = &manifest.execution;
    // Both event counts (docs/performance.md): the model's dated changes of state, and
    // what went through the event queue.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cores = e.threads.clamp(1, cores);
    let per_core_m = |events: u64| events as f64 / e.wall_seconds / cores as f64 / 1e6;
    println!(
        "{}: {} replications in {:.2} s on {} {} ({:.0} reps/s; per core {:.1} M model \
         events/s, {:.1} M queue events/s) -> {}",
        s.name,
        stats.replications,
        e.wall_seconds,
        cores,
        if cores == 1 { "core" } else { "cores" },
        stats.replications as f64 / e.wall_seconds,
        per_core_m(e.model_events.total()),
        per_core_m(e.events),
        out.display()
    );
    print_tables(s, stats);
}

/// Outlay, appropriations at risk and targets.
fn print_tables(s: &Scenario, stats: &Statistics) {
    let metric = |name: &str| stats.metrics.iter().find(|m| m.name == name);
    let mut names = crate::metrics::headline_outlay(s);
    if stats.from_actuals {
        // Each followed by the ledger's part and the simulated rest.
        names = crate::output::report::split_outlay_names(&names);
    }
    let shown: Vec<(&str, _)> = names
        .iter()
        .filter_map(|name| Some((name.trim_start_matches("outlay."), metric(name)?)))
        .collect();
    let width = outlay_name_width(shown.iter().map(|(name, _)| *name));
    println!(
        "\n{:<width$}     mean      P50      P95      P99",
        "Outlay (million yuan)"
    );
    for (name, m) in shown {
        println!(
            "  {:<width$} {:>8} {:>8} {:>8} {:>8}",
            name,
            yuan_m(m.mean),
            yuan_m(m.quantiles[2]),
            yuan_m(m.quantiles[5]),
            yuan_m(m.quantiles[6])
        );
    }
    let exceed: Vec<_> = stats
        .budget
        .iter()
        .filter(|b| b.p_exceed.is_some_and(|p| p > 0.0))
        .collect();
    if !exceed.is_empty() {
        print!("\nAppropriations at risk      year  P(exceed)");
        println!(
            "{}",
            if stats.from_actuals {
                "  paid to date"
            } else {
                ""
            }
        );
        for b in exceed {
            print!(
                "  {:<25} {}  {:>8.3}",
                b.line,
                b.year,
                b.p_exceed.unwrap_or(0.0)
            );
            match b.ledger {
                Some(part) => println!("  {:>12}", yuan_m(part.paid_to_date)),
                None => println!(),
            }
        }
    }
    print_targets(s, stats);
}

/// A target's probability of being attained, its threshold, and in a run from actuals
/// its status (simulated, observed or unknown).
type Attained = (f64, f64, Option<TargetStatus>);

/// Targets as a compact table: district targets of one kind and window on one line
/// (P(attained) per district and city-wide), every other target on a line of its own.
fn print_targets(s: &Scenario, stats: &Statistics) {
    if stats.targets.is_empty() {
        return;
    }
    let nd = s.districts.len();
    // (metric base, window, comparator) -> (probability, threshold) per district column
    // (last column: city-wide).
    let mut grid: Vec<(String, Vec<Option<Attained>>)> = Vec::new();
    let mut others = Vec::new();
    for (t, ts) in s.targets.iter().zip(&stats.targets) {
        match &t.metric {
            TargetMetric::Nev {
                quantity, district, ..
            } => {
                let cmp = ts.comparator.symbol();
                let key = format!(
                    "{} {} {}",
                    quantity.metric_base().trim_start_matches("nev."),
                    t.window_label,
                    cmp
                );
                let row = match grid.iter().position(|(k, _)| *k == key) {
                    Some(i) => i,
                    None => {
                        grid.push((key, vec![None; nd + 1]));
                        grid.len() - 1
                    }
                };
                let cell = &mut grid[row].1[district.unwrap_or(nd)];
                if cell.is_some() {
                    // A second target on the same cell (another threshold): list it apart.
                    others.push(ts);
                } else {
                    *cell = Some((ts.probability, ts.threshold, ts.status));
                }
            }
            TargetMetric::Summary(_) | TargetMetric::Flow { .. } => others.push(ts),
        }
    }
    if !grid.is_empty() {
        print!("\nP(target attained)                   ");
        for d in &s.districts {
            print!(" {:>8}", truncate(&d.id, 8));
        }
        println!(" {:>8}", "city");
        for (key, cells) in &grid {
            // The key ends with its comparator; the thresholds follow on their own line.
            print!("  {:<35}", truncate(key, 35));
            for c in cells {
                match c {
                    Some((p, _, Some(TargetStatus::Observed(..)))) => {
                        print!(" {:>8}", format!("{p} obs"))
                    }
                    Some((_, _, Some(TargetStatus::Unknown))) => print!(" {:>8}", "unknown"),
                    Some((p, _, _)) => print!(" {p:>8.3}"),
                    None => print!(" {:>8}", "-"),
                }
            }
            println!();
            print!("    {:<33}", "threshold");
            for c in cells {
                match c {
                    Some((_, x, _)) => print!(" {:>8}", threshold(*x)),
                    None => print!(" {:>8}", ""),
                }
            }
            println!();
        }
    }
    if !others.is_empty() {
        println!("\nOther targets                         P(attained)   95% CI            mean");
        for t in others {
            let cmp = t.comparator.symbol();
            if t.status == Some(TargetStatus::Unknown) {
                let id = truncate(&t.id, 28);
                println!("  {id:<28} {cmp} {:<10} unknown", t.threshold);
                continue;
            }
            println!(
                "  {:<28} {} {:<10} {:>6.3}   [{:.3}, {:.3}] {:>10.2}{}",
                truncate(&t.id, 28),
                cmp,
                t.threshold,
                t.probability,
                t.ci_low,
                t.ci_high,
                t.mean,
                match t.status {
                    Some(TargetStatus::Observed(..)) => "  observed",
                    _ => "",
                }
            );
        }
    }
    if stats.targets.iter().any(|t| t.status.is_some()) {
        println!(
            "\n(obs, observed: the window closed before the as-of date, read from the actuals; \
             unknown: closed, and not in the actuals)"
        );
    }
    println!("\n(all targets with intervals: targets.csv)");
}

/// A threshold in at most 8 characters: 120, 0.35, 1.50e10.
fn threshold(x: f64) -> String {
    let exact = crate::output::tables::num(x);
    if exact.len() <= 8 {
        exact
    } else {
        format!("{x:.2e}")
    }
}

/// The width of the outlay table's name column: its longest name (characters, as a
/// terminal shows them), and never less than a plain run's 22.
fn outlay_name_width<'a>(names: impl Iterator<Item = &'a str>) -> usize {
    names.map(|n| n.chars().count()).fold(22, usize::max)
}

fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// The closing line of a precision run: which rules held, at what count, which did not.
pub fn print_precision(outcomes: &[crate::precision::RuleOutcome], n: u64) {
    if outcomes.is_empty() {
        return;
    }
    let said: Vec<String> = outcomes
        .iter()
        .map(|o| match (o.held, o.held_at) {
            (true, Some(at)) => format!("{} held at {at} (half-width {:.4})", o.rule, o.half_width),
            _ => format!(
                "{} did NOT hold (half-width {:.4} at {n})",
                o.rule, o.half_width
            ),
        })
        .collect();
    let stop = if outcomes.iter().all(|o| o.held) {
        "every rule holds"
    } else {
        "stopped at --max-reps"
    };
    println!(
        "precision: {stop} after {n} replications: {}",
        said.join("; ")
    );
}
