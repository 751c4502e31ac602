//! The short summary `run` prints when it finishes.

use std::path::Path;

use crate::output::manifest::Manifest;
use crate::scenario::Scenario;
use crate::stats::Statistics;

fn yuan_m(x: f64) -> String {
    format!("{:.2}", x / 1.0e6)
}

pub fn print_run_summary(s: &Scenario, stats: &Statistics, manifest: &Manifest, out: &Path) {
    let e = &manifest.execution;
    println!(
        "{}: {} replications in {:.2} s ({:.0} reps/s, {:.1} M events/s) -> {}",
        s.name,
        stats.replications,
        e.wall_seconds,
        stats.replications as f64 / e.wall_seconds,
        e.events as f64 / e.wall_seconds / 1e6,
        out.display()
    );
    let metric = |name: &str| stats.metrics.iter().find(|m| m.name == name);
    println!("\nOutlay (million yuan)      mean      P50      P95      P99");
    let mut names = vec!["outlay.total".to_string()];
    names.extend(s.years().map(|y| format!("outlay.year.{y}")));
    names.push("outlay.after_horizon".into());
    for name in names {
        if let Some(m) = metric(&name) {
            println!(
                "  {:<22} {:>8} {:>8} {:>8} {:>8}",
                name.trim_start_matches("outlay."),
                yuan_m(m.mean),
                yuan_m(m.quantiles[2]),
                yuan_m(m.quantiles[5]),
                yuan_m(m.quantiles[6])
            );
        }
    }
    let exceed: Vec<_> = stats
        .budget
        .iter()
        .filter(|b| b.p_exceed.is_some_and(|p| p > 0.0))
        .collect();
    if !exceed.is_empty() {
        println!("\nAppropriations at risk      year  P(exceed)");
        for b in exceed {
            println!(
                "  {:<25} {}  {:>8.3}",
                b.line,
                b.year,
                b.p_exceed.unwrap_or(0.0)
            );
        }
    }
    if !stats.targets.is_empty() {
        println!("\nTargets                                   P(attained)   95% CI           mean");
        for t in &stats.targets {
            let cmp = if t.comparator == "at_least" {
                ">="
            } else {
                "<="
            };
            println!(
                "  {:<28} {:>2} {:<9} {:>6.3}   [{:.3}, {:.3}]  {:>10.2}",
                t.id, cmp, t.threshold, t.probability, t.ci_low, t.ci_high, t.mean
            );
        }
    }
}
