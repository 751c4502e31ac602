//! From the merged tree to a validated `Scenario`: every key read, every value checked,
//! every id resolved. Any error here stops the program before a replication runs.
//!
//! One file per section of the scenario format (docs/scenario-format.md); `ids` is the
//! one place that refuses duplicate ids and resolves ids to indices.

mod budget;
mod districts;
mod firms;
pub(crate) mod ids;
mod instruments;
mod listing;
mod occurrences;
mod resolver;
mod run;
mod targets;
mod tiers;

use super::error::{Result, ScenarioError};
use super::node::Node;
use super::read::TableReader;
use super::types::*;
use crate::calendar::Calendar;
use resolver::Resolver;

/// Resolves a merged scenario tree.
pub fn resolve(tree: &Node) -> Result<Scenario> {
    let top = TableReader::new(tree, "")?;
    let header = run::resolve_header(&top)?;
    let (start, end) = (header.start, header.end);

    // The NEV processes may start before the unicorn policy (the plan is a month older).
    let nev_table = top.opt_table("nev")?;
    let nev_start = match &nev_table {
        Some(t) => t.opt_date("start")?.unwrap_or(start),
        None => start,
    };
    if nev_start > end {
        let t = nev_table.as_ref().expect(
            "without a [nev] table nev_start is scenario.start, which the header checked is before scenario.end",
        );
        return Err(ScenarioError::at(
            &t.required("start")?.origin,
            "nev.start",
            "expected a date before scenario.end",
        ));
    }
    run::check_horizon(&top, &header, nev_start.min(start))?;
    let calendar = Calendar::new(start, nev_start.min(start), start, header.payments_until);
    let (replications, seed) = run::resolve_run(&top)?;
    let actuals = run::resolve_actuals(&top)?;

    let mut r = Resolver::new(calendar.clone(), start, end);
    let tiers = tiers::resolve_tiers(&mut r, &top, tree, header.fx_cny_per_usd)?;
    let certification = tiers::resolve_certification(&mut r, &top)?;
    // Listing before cohorts: cohorts name stages. Districts before cohorts: cohorts name districts.
    let listing = listing::resolve_listing(&mut r, &top)?;
    districts::declare_districts(&mut r, &top)?;
    let cohorts = firms::resolve_cohorts(&mut r, &top)?;
    let entry = firms::resolve_entry(&mut r, &top)?;
    let growth = firms::resolve_growth(&mut r, &top)?;
    let occurrences = occurrences::resolve_occurrences(&mut r, &top)?;
    let budget_lines = budget::resolve_budget_lines(&mut r, &top)?;
    let instruments = instruments::resolve_instruments(&mut r, &top, &occurrences)?;
    let nev = districts::resolve_nev(&mut r, nev_table, nev_start)?;
    let districts = districts::resolve_districts(&mut r, &top, nev_start)?;
    let (targets, summary_checks) = targets::resolve_targets(&r, &top, &districts, nev_start)?;
    top.finish()?;

    let mut scenario = Scenario {
        name: header.name,
        title: header.title,
        end: calendar.day(end) + 1.0,
        payments_until: calendar.day(header.payments_until) + 1.0,
        calendar,
        fx_cny_per_usd: header.fx_cny_per_usd,
        replications,
        seed,
        tiers,
        certification,
        cohorts,
        entry,
        growth,
        listing,
        occurrences,
        instruments,
        budget_lines,
        nev,
        districts,
        targets,
        uncertain: r.uncertain,
        actuals,
    };
    check_summary_metrics(&mut scenario, summary_checks)?;
    Ok(scenario)
}

/// Refuses a target on a run metric the run does not compute, and resolves those read
/// over a window (docs/model.md, "Metrics over a window"), or refuses the window.
fn check_summary_metrics(
    scenario: &mut Scenario,
    checks: Vec<targets::SummaryCheck>,
) -> Result<()> {
    let layout = crate::metrics::MetricLayout::new(scenario);
    for check in checks {
        let (name, origin, path) = (&check.name, &check.origin, &check.key_path);
        if layout.index_of(name).is_none() || name.starts_with("target.") {
            return Err(ScenarioError::at(
                origin,
                path,
                format!(
                    "unknown metric `{name}`; expected a district metric ({}) or a run metric such as `firms.count.unicorn`, `listings.new`, `outlay.total`",
                    NevQuantity::ALL.iter().map(|q| q.metric_base()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if let Some((k, window, origin, path)) = &check.window {
            let metric = crate::metric_window::resolve(scenario, &layout, name, *window)
                .map_err(|why| ScenarioError::at(origin, path, why))?;
            scenario.targets[*k].metric = metric;
        }
    }
    Ok(())
}
