//! `[nev]` and `[[district]]`: the new-energy-vehicle industry by district — its scale,
//! project and upgrade flows, specialised-firm batches, listing candidates and firms
//! above the statistical scale.

use chrono::{Datelike, NaiveDate};

use super::super::dist::Dist;
use super::super::error::{Result, ScenarioError};
use super::super::node::Node;
use super::super::read::{as_str, check_non_negative, TableReader};
use super::super::types::*;
use super::resolver::{Range, Resolver};

/// The district ids, read ahead of the districts themselves: cohorts and the entry
/// place firms in districts, and are read before the NEV section.
pub fn declare_districts(r: &mut Resolver, top: &TableReader<'_>) -> Result<()> {
    for (n, p) in top.array("district")? {
        let t = TableReader::new(n, &p)?;
        let id_node = t.required("id")?;
        let id = as_str(id_node, &t.key_path("id"))?;
        r.districts.add(id, &id_node.origin, &t.key_path("id"))?;
    }
    Ok(())
}

pub fn resolve_nev(
    r: &mut Resolver,
    nev_table: Option<TableReader<'_>>,
    nev_start: NaiveDate,
) -> Result<Nev> {
    Ok(match nev_table {
        Some(t) => {
            // Read with the calendar, before the districts (it is `nev_start`).
            t.read_elsewhere("start");
            let base_year = t
                .opt_u32("base_year")?
                .map(|y| {
                    i32::try_from(y).expect("spec.rs bounds nev.base_year to 2200, well inside i32")
                })
                .unwrap_or(nev_start.year());
            let rho = r.opt_param(
                &t,
                "scale_common_shock_correlation",
                Range::Probability,
                0.0,
            )?;
            t.finish()?;
            Nev {
                start: r.calendar.day(nev_start),
                base_year,
                scale_common_shock_correlation: rho,
            }
        }
        None => Nev {
            start: r.calendar.day(nev_start),
            base_year: nev_start.year(),
            scale_common_shock_correlation: Param::Const(0.0),
        },
    })
}

pub fn resolve_districts(
    r: &mut Resolver,
    top: &TableReader<'_>,
    nev_start: NaiveDate,
) -> Result<Vec<District>> {
    let mut districts = Vec::new();
    for (node, path) in top.array("district")? {
        let t = TableReader::new(node, &path)?;
        districts.push(resolve_district(r, &t, node, nev_start)?);
    }
    Ok(districts)
}

fn resolve_district(
    r: &mut Resolver,
    t: &TableReader<'_>,
    node: &Node,
    nev_start: NaiveDate,
) -> Result<District> {
    let id = t.string("id")?;
    let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
    let scale_100m_cny = check_non_negative(
        t.required("scale_100m_cny")?,
        &t.key_path("scale_100m_cny"),
        t.f64("scale_100m_cny")?,
    )?;
    let scale_drift_per_year = r.opt_param(t, "scale_drift_per_year", Range::Any, 0.0)?;
    let scale_volatility_per_year =
        r.opt_param(t, "scale_volatility_per_year", Range::NonNegative, 0.0)?;
    let projects = resolve_flow(r, t, "projects", true)?;
    let upgrades = resolve_flow(r, t, "upgrades", false)?;
    let specialized = match t.opt_table("specialized")? {
        None => SpecializedBatches {
            dates: Vec::new(),
            candidates: 0,
            probability: Param::Const(0.0),
        },
        Some(st) => {
            let s = SpecializedBatches {
                dates: r.dates_in(&st, "dates", nev_start, r.end)?,
                candidates: st.u64("candidates")?,
                probability: r.req_param(&st, "probability", Range::Probability)?,
            };
            st.finish()?;
            s
        }
    };
    let mut listing_candidates = Vec::new();
    for (n, p) in t.array("listing_candidates")? {
        let lt = TableReader::new(n, &p)?;
        let stage = r.stage(lt.required("stage")?, &lt.key_path("stage"), false)?;
        let count = lt.u64("count")?;
        lt.finish()?;
        listing_candidates.push((stage, count));
    }
    let above_scale = resolve_above_scale(r, t)?;
    if t.opt_bool("enabled")? == Some(false) {
        return Err(ScenarioError::at(
            &node.origin,
            &t.key_path("enabled"),
            "districts cannot be switched off",
        ));
    }
    t.finish()?;
    Ok(District {
        id,
        label,
        scale_100m_cny,
        scale_drift_per_year,
        scale_volatility_per_year,
        projects,
        upgrades,
        specialized,
        listing_candidates,
        above_scale,
    })
}

fn resolve_flow(
    r: &mut Resolver,
    t: &TableReader<'_>,
    key: &str,
    with_head: bool,
) -> Result<ProjectFlow> {
    match t.opt_table(key)? {
        None => Ok(ProjectFlow {
            rate_per_year: Param::Const(0.0),
            investment_100m_cny: Dist::Fixed(0.0),
            head_probability: Param::Const(0.0),
        }),
        Some(ft) => {
            let f = ProjectFlow {
                rate_per_year: r.req_param(&ft, "rate_per_year", Range::NonNegative)?,
                investment_100m_cny: r.event_dist(
                    &ft,
                    "investment_100m_cny",
                    0.0,
                    f64::INFINITY,
                    "an investment",
                )?,
                head_probability: if with_head {
                    r.opt_param(&ft, "head_probability", Range::Probability, 0.0)?
                } else {
                    Param::Const(0.0)
                },
            };
            ft.finish()?;
            Ok(f)
        }
    }
}

fn resolve_above_scale(r: &mut Resolver, t: &TableReader<'_>) -> Result<AboveScale> {
    Ok(match t.opt_table("above_scale")? {
        None => AboveScale {
            firms: 0,
            births_per_year: Param::Const(0.0),
            death_hazard_per_year: Param::Const(0.0),
        },
        Some(at) => {
            let a = AboveScale {
                firms: at.u64("firms")?,
                births_per_year: r.opt_param(&at, "births_per_year", Range::NonNegative, 0.0)?,
                death_hazard_per_year: r.opt_param(
                    &at,
                    "death_hazard_per_year",
                    Range::NonNegative,
                    0.0,
                )?,
            };
            at.finish()?;
            a
        }
    })
}
