//! The firms: `[[cohort]]` (the initial pool), `[entry]` (new firms arriving), where
//! both are placed (`districts`, `nev_probability`), and `[growth]` (how valuations move
//! and firms exit).

use rand::distr::weighted::WeightedIndex;

use super::super::dist::Dist;
use super::super::error::{Result, ScenarioError};
use super::super::read::{as_f64, check_non_negative, check_probability, TableReader};
use super::super::spec::FIRMS_MAX;
use super::super::types::*;
use super::ids::Ids;
use super::resolver::{Range, Resolver};

/// Where a cohort's or the entry's firms are placed.
fn resolve_placement(r: &Resolver, t: &TableReader<'_>) -> Result<Placement> {
    let districts = match t.opt_table("districts")? {
        None => None,
        Some(dt) => {
            let mut idx = Vec::new();
            let mut weights = Vec::new();
            for (id, node, origin) in dt.entries() {
                let path = dt.key_path(id);
                idx.push(r.districts.find(id, origin, &path, 0, &[])?);
                weights.push(check_non_negative(node, &path, as_f64(node, &path)?)?);
            }
            let w = WeightedIndex::new(&weights).map_err(|_| {
                ScenarioError::at(
                    dt.origin(),
                    dt.path(),
                    "expected district weights with a positive sum",
                )
            })?;
            Some((idx, w))
        }
    };
    let nev_probability = match t.get("nev_probability") {
        Some(n) => check_probability(
            n,
            &t.key_path("nev_probability"),
            as_f64(n, &t.key_path("nev_probability"))?,
        )?,
        None => 0.0,
    };
    Ok(Placement {
        districts,
        nev_probability,
    })
}

pub fn resolve_cohorts(r: &mut Resolver, top: &TableReader<'_>) -> Result<Vec<Cohort>> {
    let mut cohorts = Vec::new();
    let mut ids = Ids::new("cohort", &[]);
    let mut firms: u64 = 0;
    for (i, (node, path)) in top.array("cohort")?.into_iter().enumerate() {
        let t = TableReader::new(node, &path)?;
        let id = t.opt_string("id")?.unwrap_or_else(|| format!("cohort{i}"));
        let id_origin = t.get("id").map_or(&node.origin, |n| &n.origin);
        ids.add(&id, id_origin, &t.key_path("id"))?;
        let enabled = t.opt_bool("enabled")?.unwrap_or(true);
        let tier = r.tier(t.required("tier")?, &t.key_path("tier"), true)?;
        let count = t.u64("count")?;
        // Each count is bounded by its range; their sum is too, as a replication holds
        // every cohort's firms at once.
        firms += count;
        if firms as f64 > FIRMS_MAX {
            return Err(ScenarioError::at(
                &t.required("count")?.origin,
                &t.key_path("count"),
                format!("expected at most {FIRMS_MAX:e} firms in all cohorts together, found {firms} up to this cohort"),
            ));
        }
        let valuation_usd = r.event_dist(&t, "valuation_usd", 0.0, f64::INFINITY, "a valuation")?;
        let age_years = r.event_dist(&t, "age_years", 0.0, f64::INFINITY, "an age")?;
        let listing_stage = match t.get("listing_stage") {
            None => None,
            Some(n) => Some(r.stage(n, &t.key_path("listing_stage"), false)?),
        };
        let placement = resolve_placement(r, &t)?;
        t.finish()?;
        if enabled {
            cohorts.push(Cohort {
                id,
                tier,
                count,
                valuation_usd,
                age_years,
                listing_stage,
                placement,
            });
        }
    }
    Ok(cohorts)
}

pub fn resolve_entry(r: &mut Resolver, top: &TableReader<'_>) -> Result<Entry> {
    let t = top.table("entry")?;
    let rate_per_year = r.req_param(&t, "rate_per_year", Range::NonNegative)?;
    let attraction_multiplier =
        r.opt_param(&t, "attraction_multiplier", Range::NonNegative, 1.0)?;
    let tier = match t.get("tier") {
        Some(n) => r.tier(n, &t.key_path("tier"), true)?,
        None => NO_TIER,
    };
    let valuation_usd = r.event_dist(&t, "valuation_usd", 0.0, f64::INFINITY, "a valuation")?;
    let age_years = r.event_dist(&t, "age_years", 0.0, f64::INFINITY, "an age")?;
    let placement = resolve_placement(r, &t)?;
    t.finish()?;
    Ok(Entry {
        rate_per_year,
        attraction_multiplier,
        tier,
        valuation_usd,
        age_years,
        placement,
    })
}

pub fn resolve_growth(r: &mut Resolver, top: &TableReader<'_>) -> Result<Growth> {
    let t = top.table("growth")?;
    let g = Growth {
        drift_per_year: r.req_param(&t, "drift_per_year", Range::Any)?,
        volatility_per_year: r.req_param(&t, "volatility_per_year", Range::NonNegative)?,
        rounds_per_year: r.opt_param(&t, "rounds_per_year", Range::NonNegative, 0.0)?,
        round_step_up: match t.get("round_step_up") {
            Some(_) => r.event_dist(
                &t,
                "round_step_up",
                0.0,
                f64::INFINITY,
                "a valuation multiplier",
            )?,
            None => Dist::Fixed(1.0),
        },
        exit_hazard_per_year: r.by_tier(&t, "exit_hazard_per_year", Range::NonNegative)?,
    };
    t.finish()?;
    Ok(g)
}
