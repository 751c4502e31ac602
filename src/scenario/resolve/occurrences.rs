//! `[[occurrence]]`: events that happen to firms (a Poisson rate by tier, or scheduled
//! assessments with a probability), optionally with a magnitude an instrument pays on.

use super::super::error::{Result, ScenarioError};
use super::super::node::{Node, Value};
use super::super::read::TableReader;
use super::super::types::*;
use super::resolver::{Range, Resolver};

pub fn resolve_occurrences(r: &mut Resolver, top: &TableReader<'_>) -> Result<Vec<Occurrence>> {
    let mut occurrences = Vec::new();
    for (node, path) in top.array("occurrence")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        r.occurrences
            .add(&id, &t.required("id")?.origin, &t.key_path("id"))?;
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let process = resolve_process(r, &t, node, &path)?;
        let magnitude = match t.get("magnitude") {
            Some(_) => Some(r.event_dist(&t, "magnitude", 0.0, f64::INFINITY, "a magnitude")?),
            None => None,
        };
        t.finish()?;
        occurrences.push(Occurrence {
            id,
            label,
            process,
            magnitude,
        });
    }
    Ok(occurrences)
}

fn resolve_process(
    r: &mut Resolver,
    t: &TableReader<'_>,
    node: &Node,
    path: &str,
) -> Result<OccurrenceProcess> {
    match (t.get("rate_per_year"), t.get("dates")) {
        (Some(_), None) => Ok(OccurrenceProcess::Rate(r.by_tier(
            t,
            "rate_per_year",
            Range::NonNegative,
        )?)),
        (None, Some(_)) => {
            let dates = r.dates_in(t, "dates", r.start, r.end)?;
            // One probability (a number or distribution) for every tier assessed, or
            // `{ tier = probability, ... }` (tiers not named: 0).
            let probability = match &t.required("probability")?.value {
                Value::Table(p) if p.get("dist").is_none() => {
                    r.by_tier(t, "probability", Range::Probability)?
                }
                _ => vec![r.req_param(t, "probability", Range::Probability)?; r.tiers.len()],
            };
            let mut tiers = vec![true; r.tiers.len()];
            tiers[NO_TIER] = false;
            if t.get("tiers").is_some() {
                tiers = vec![false; r.tiers.len()];
                for (n, p) in t.array("tiers")? {
                    tiers[r.tier(n, &p, true)?] = true;
                }
            }
            Ok(OccurrenceProcess::Scheduled {
                dates,
                probability,
                tiers,
            })
        }
        _ => Err(ScenarioError::at(
            &node.origin,
            path,
            "expected either `rate_per_year` (by tier) or `dates` with `probability`",
        )),
    }
}
