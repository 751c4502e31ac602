//! `[listing]`: the hazard of entering the listing pipeline, its stages, and the IPO
//! regimes (market windows) that scale every stage's pass probability and duration.

use rand::distr::weighted::WeightedIndex;

use super::super::error::{Result, ScenarioError};
use super::super::read::{check_non_negative, TableReader};
use super::super::types::*;
use super::ids::Ids;
use super::resolver::{Range, Resolver};

pub fn resolve_listing(r: &mut Resolver, top: &TableReader<'_>) -> Result<Listing> {
    let t = top.table("listing")?;
    let entry_hazard_per_year = r.by_tier(&t, "entry_hazard_per_year", Range::NonNegative)?;
    let mut stages = Vec::new();
    for (node, path) in t.array("stages")? {
        let st = TableReader::new(node, &path)?;
        let id = st.string("id")?;
        r.stages
            .add(&id, &st.required("id")?.origin, &st.key_path("id"))?;
        let label = st.opt_string("label")?.unwrap_or_else(|| id.clone());
        let months = r.event_dist(&st, "months", 0.0, f64::INFINITY, "a duration in months")?;
        let pass = r.req_param(&st, "pass", Range::Probability)?;
        st.finish()?;
        stages.push(ListingStage {
            id,
            label,
            months,
            pass,
        });
    }
    if stages.is_empty() {
        return Err(ScenarioError::at(
            t.origin(),
            "listing.stages",
            "expected at least one listing stage",
        ));
    }
    let regimes = resolve_regimes(&t)?;
    let regime_index = WeightedIndex::new(regimes.iter().map(|r| r.weight)).map_err(|_| {
        ScenarioError::at(
            t.origin(),
            "listing.regimes",
            "expected regime weights with a positive sum",
        )
    })?;
    t.finish()?;
    Ok(Listing {
        entry_hazard_per_year,
        stages,
        regimes,
        regime_index,
    })
}

/// `[[listing.regimes]]`; one `normal` regime when none is written.
fn resolve_regimes(t: &TableReader<'_>) -> Result<Vec<IpoRegime>> {
    let mut regimes = Vec::new();
    let mut ids = Ids::new("IPO regime", &[]);
    for (node, path) in t.array("regimes")? {
        let rt = TableReader::new(node, &path)?;
        let id = rt.string("id")?;
        ids.add(&id, &rt.required("id")?.origin, &rt.key_path("id"))?;
        let label = rt.opt_string("label")?.unwrap_or_else(|| id.clone());
        let weight = check_non_negative(
            rt.required("weight")?,
            &rt.key_path("weight"),
            rt.f64("weight")?,
        )?;
        let pass_multiplier = rt.opt_f64("pass_multiplier")?.unwrap_or(1.0);
        let months_multiplier = rt.opt_f64("months_multiplier")?.unwrap_or(1.0);
        for (key, v) in [
            ("pass_multiplier", pass_multiplier),
            ("months_multiplier", months_multiplier),
        ] {
            if let Some(n) = rt.get(key) {
                check_non_negative(n, &rt.key_path(key), v)?;
            }
        }
        rt.finish()?;
        regimes.push(IpoRegime {
            id,
            label,
            weight,
            pass_multiplier,
            months_multiplier,
        });
    }
    if regimes.is_empty() {
        regimes.push(IpoRegime {
            id: "normal".into(),
            label: "normal".into(),
            weight: 1.0,
            pass_multiplier: 1.0,
            months_multiplier: 1.0,
        });
    }
    Ok(regimes)
}
