//! `[[tier]]` with its certification routes, and `[certification]`: when tiers are
//! reviewed and how many eligible firms apply.

use super::super::error::{Result, ScenarioError};
use super::super::node::Node;
use super::super::read::{check_non_negative, TableReader};
use super::super::types::*;
use super::resolver::{Range, Resolver};

/// Tiers, lowest first, after the implicit `none`.
pub fn resolve_tiers(
    r: &mut Resolver,
    top: &TableReader<'_>,
    tree: &Node,
    fx_cny_per_usd: f64,
) -> Result<Vec<Tier>> {
    let mut tiers = vec![Tier {
        id: "none".into(),
        label: "无".into(),
        routes: Vec::new(),
    }];
    for (node, path) in top.array("tier")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        // Sets of tiers (certified ever, reviewed on a date) are bits of a u32.
        if tiers.len() == 32 {
            return Err(ScenarioError::at(
                &node.origin,
                &path,
                "expected at most 31 tiers",
            ));
        }
        r.tiers
            .add(&id, &t.required("id")?.origin, &t.key_path("id"))?;
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let mut routes = Vec::new();
        for (rn, rp) in t.array("routes")? {
            routes.push(resolve_route(rn, &rp, fx_cny_per_usd)?);
        }
        if routes.is_empty() {
            return Err(ScenarioError::at(
                &node.origin,
                &t.key_path("routes"),
                "expected at least one certification route",
            ));
        }
        if t.opt_bool("enabled")? == Some(false) {
            return Err(ScenarioError::at(
                &node.origin,
                &t.key_path("enabled"),
                "tiers cannot be switched off",
            ));
        }
        t.finish()?;
        tiers.push(Tier { id, label, routes });
    }
    if tiers.len() == 1 {
        return Err(ScenarioError::at(
            &tree.origin,
            "tier",
            "expected at least one [[tier]]",
        ));
    }
    Ok(tiers)
}

fn resolve_route(rn: &Node, rp: &str, fx_cny_per_usd: f64) -> Result<Route> {
    let rt = TableReader::new(rn, rp)?;
    let max_age_years = check_non_negative(
        rt.required("max_age_years")?,
        &rt.key_path("max_age_years"),
        rt.f64("max_age_years")?,
    )?;
    let usd = rt.opt_f64("min_valuation_usd")?;
    let cny = rt.opt_f64("min_valuation_cny")?;
    let min_valuation_usd = match (usd, cny) {
        (Some(v), None) => v,
        (None, Some(v)) => v / fx_cny_per_usd,
        _ => {
            return Err(ScenarioError::at(
                &rn.origin,
                rp,
                "expected exactly one of min_valuation_usd or min_valuation_cny",
            ))
        }
    };
    rt.finish()?;
    Ok(Route {
        max_age_years,
        min_valuation_usd,
        min_log_valuation_usd: min_valuation_usd.ln(),
    })
}

pub fn resolve_certification(r: &mut Resolver, top: &TableReader<'_>) -> Result<Certification> {
    let (start, end) = (r.start, r.end);
    let c = top.table("certification")?;
    let common = r.dates_in(&c, "dates", start, end)?;
    // Each tier's review dates: its own where `dates_by_tier` names it.
    let mut tier_dates = vec![common; r.tiers.len()];
    if let Some(by_tier) = c.opt_table("dates_by_tier")? {
        for (tier_id, _, key_origin) in by_tier.entries() {
            let i = r.tier_named(tier_id, key_origin, &by_tier.key_path(tier_id), false)?;
            tier_dates[i] = r.dates_in(&by_tier, tier_id, start, end)?;
        }
    }
    let mut dates: Vec<f64> = tier_dates[1..].concat();
    dates.sort_by(f64::total_cmp);
    dates.dedup();
    let reviewed = dates
        .iter()
        .map(|d| {
            (1..tier_dates.len())
                .filter(|&t| tier_dates[t].contains(d))
                .fold(0, |mask, t| mask | 1 << t)
        })
        .collect();
    let apply_probability = r.opt_param(&c, "apply_probability", Range::Probability, 1.0)?;
    c.finish()?;
    Ok(Certification {
        dates,
        reviewed,
        apply_probability,
    })
}
