//! `[[instrument]]`: what the policy pays (its kind and amounts), on which event, to
//! which tiers, within which validity window, funded by whom, from which budget line.

use super::super::dist::Dist;
use super::super::error::{Result, ScenarioError};
use super::super::node::Node;
use super::super::read::{
    as_array, as_f64, as_str, check_non_negative, check_probability, TableReader,
};
use super::super::types::*;
use super::resolver::{Range, Resolver};

pub fn resolve_instruments(
    r: &mut Resolver,
    top: &TableReader<'_>,
    occurrences: &[Occurrence],
) -> Result<Vec<Instrument>> {
    let mut ids = super::ids::Ids::new("instrument", &[]);
    let mut out: Vec<Instrument> = Vec::new();
    for (node, path) in top.array("instrument")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        ids.add(&id, &t.required("id")?.origin, &t.key_path("id"))?;
        out.push(resolve_instrument(r, &t, node, id, occurrences)?);
    }
    Ok(out)
}

fn resolve_instrument(
    r: &mut Resolver,
    t: &TableReader<'_>,
    node: &Node,
    id: String,
    occurrences: &[Occurrence],
) -> Result<Instrument> {
    let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
    let clause = t.opt_string("clause")?.unwrap_or_default();
    let enabled = t.opt_bool("enabled")?.unwrap_or(true);
    let kind = resolve_kind(r, t, node)?;
    if let Some(n) = t.get("ratio") {
        let v = as_f64(n, &t.key_path("ratio"))?;
        if v > 10.0 {
            return Err(ScenarioError::at(
                &n.origin,
                &t.key_path("ratio"),
                format!("expected a ratio such as 0.3 or 1.0, found {v}"),
            ));
        }
    }
    let trigger = resolve_trigger(r, t, &kind, occurrences)?;

    let mut eligible = vec![false; r.tiers.len()];
    let en = t.required("eligible_tiers")?;
    for (n, p) in as_array(en, &t.key_path("eligible_tiers"))? {
        eligible[r.tier(n, &p, true)?] = true;
    }
    let take_up = r.opt_param(t, "take_up", Range::Probability, 1.0)?;
    let payment_lag_months = match t.get("payment_lag_months") {
        Some(_) => r.event_dist(
            t,
            "payment_lag_months",
            0.0,
            f64::INFINITY,
            "a lag in months",
        )?,
        None => Dist::Fixed(0.0),
    };
    let (valid_from, valid_to) = resolve_validity(r, t)?;
    let city_share = resolve_funding(t)?;

    let ln = t.required("budget_line")?;
    let lid = as_str(ln, &t.key_path("budget_line"))?;
    let budget_line = r
        .budget_lines
        .find(lid, &ln.origin, &t.key_path("budget_line"), 0, &[])?;
    let max_per_firm = t.opt_u32("max_per_firm")?;
    let cap_per_firm = opt_money(t, "cap_per_firm")?;
    if cap_per_firm.is_some() && matches!(kind, InstrumentKind::Stipend { .. }) {
        return Err(ScenarioError::at(
            &t.required("cap_per_firm")?.origin,
            &t.key_path("cap_per_firm"),
            "a stipend's total is amount × months: expected no cap_per_firm on a stipend",
        ));
    }
    t.finish()?;
    Ok(Instrument {
        id,
        label,
        clause,
        kind,
        trigger,
        eligible,
        take_up,
        payment_lag_months,
        valid_from,
        valid_to,
        city_share,
        budget_line,
        max_per_firm,
        cap_per_firm,
        enabled,
    })
}

fn money(t: &TableReader<'_>, key: &str) -> Result<f64> {
    let n = t.required(key)?;
    check_non_negative(n, &t.key_path(key), as_f64(n, &t.key_path(key))?)
}

fn opt_money(t: &TableReader<'_>, key: &str) -> Result<Option<f64>> {
    match t.get(key) {
        Some(n) => Ok(Some(check_non_negative(
            n,
            &t.key_path(key),
            as_f64(n, &t.key_path(key))?,
        )?)),
        None => Ok(None),
    }
}

fn resolve_kind(r: &Resolver, t: &TableReader<'_>, node: &Node) -> Result<InstrumentKind> {
    let kind_name = t.string("kind")?;
    Ok(match kind_name.as_str() {
        "fixed" => InstrumentKind::Fixed {
            amount: r.event_dist(t, "amount", 0.0, f64::INFINITY, "a non-negative amount")?,
        },
        "up_to" => InstrumentKind::UpTo {
            cap: money(t, "cap")?,
            fraction: r.event_dist(t, "fraction", 0.0, 1.0, "a fraction in")?,
        },
        "matching" => InstrumentKind::Matching {
            ratio: money(t, "ratio")?,
            cap: opt_money(t, "cap")?,
        },
        "cost_share" => InstrumentKind::CostShare {
            ratio: money(t, "ratio")?,
            cap: opt_money(t, "cap")?,
        },
        "tiered" => InstrumentKind::Tiered {
            brackets: resolve_brackets(t, node)?,
        },
        "stipend" => {
            let months = t.u32("months")?;
            InstrumentKind::Stipend {
                amount_per_month: money(t, "amount")?,
                months,
            }
        }
        other => {
            return Err(ScenarioError::at(
                &t.required("kind")?.origin,
                &t.key_path("kind"),
                format!("unknown instrument kind `{other}`; expected fixed, up_to, matching, cost_share, tiered or stipend"),
            ))
        }
    })
}

fn resolve_brackets(t: &TableReader<'_>, node: &Node) -> Result<Vec<(f64, f64)>> {
    let mut brackets = Vec::new();
    for (bn, bp) in t.array("brackets")? {
        let bt = TableReader::new(bn, &bp)?;
        let from = check_non_negative(bt.required("from")?, &bt.key_path("from"), bt.f64("from")?)?;
        let pays = check_non_negative(bt.required("pays")?, &bt.key_path("pays"), bt.f64("pays")?)?;
        bt.finish()?;
        if brackets.last().is_some_and(|&(f, _)| f >= from) {
            return Err(ScenarioError::at(
                &bn.origin,
                &bp,
                "expected brackets in increasing order of `from`",
            ));
        }
        brackets.push((from, pays));
    }
    if brackets.is_empty() {
        return Err(ScenarioError::at(
            &node.origin,
            &t.key_path("brackets"),
            "expected at least one bracket",
        ));
    }
    Ok(brackets)
}

fn resolve_trigger(
    r: &Resolver,
    t: &TableReader<'_>,
    kind: &InstrumentKind,
    occurrences: &[Occurrence],
) -> Result<Trigger> {
    let trigger_node = t.required("trigger")?;
    let tt = TableReader::new(trigger_node, &t.key_path("trigger"))?;
    let event = tt.string("event")?;
    let trigger = match event.as_str() {
        "first_certified" | "certified" => {
            let tier = r.tier(tt.required("tier")?, &tt.key_path("tier"), false)?;
            if event == "certified" {
                Trigger::Certified(tier)
            } else {
                Trigger::FirstCertified(tier)
            }
        }
        "listing_stage" => {
            Trigger::ListingStage(r.stage(tt.required("stage")?, &tt.key_path("stage"), true)?)
        }
        "occurrence" => {
            let on = tt.required("occurrence")?;
            let oid = as_str(on, &tt.key_path("occurrence"))?;
            Trigger::Occurrence(r.occurrences.find(
                oid,
                &on.origin,
                &tt.key_path("occurrence"),
                0,
                &[],
            )?)
        }
        other => {
            return Err(ScenarioError::at(
                &tt.required("event")?.origin,
                &tt.key_path("event"),
                format!("unknown trigger event `{other}`; expected first_certified, certified, listing_stage or occurrence"),
            ))
        }
    };
    tt.finish()?;
    if kind.needs_magnitude() {
        let has = matches!(trigger, Trigger::Occurrence(o) if occurrences[o].magnitude.is_some());
        if !has {
            return Err(ScenarioError::at(
                &trigger_node.origin,
                &t.key_path("trigger"),
                format!("a `{}` instrument pays on a magnitude: expected an occurrence trigger whose occurrence has a `magnitude`", kind.name()),
            ));
        }
    }
    Ok(trigger)
}

/// `valid_from ..= valid_to` as half-open day numbers.
fn resolve_validity(r: &Resolver, t: &TableReader<'_>) -> Result<(f64, f64)> {
    let valid_from = match t.get("valid_from") {
        Some(n) => r.date_in(n, &t.key_path("valid_from"), r.start, r.end)?,
        None => r.calendar.day(r.start),
    };
    let valid_to = match t.get("valid_to") {
        Some(n) => r.date_in(n, &t.key_path("valid_to"), r.start, r.end)? + 1.0,
        None => r.calendar.day(r.end) + 1.0,
    };
    if valid_to <= valid_from {
        return Err(ScenarioError::at(
            &t.required("valid_to")?.origin,
            &t.key_path("valid_to"),
            "expected valid_to on or after valid_from",
        ));
    }
    Ok((valid_from, valid_to))
}

/// The city's share of `funding = { city = .., district = .. }`, the shares summing to 1.
fn resolve_funding(t: &TableReader<'_>) -> Result<f64> {
    let funding = t.table("funding")?;
    let mut city_share = 0.0;
    let mut total = 0.0;
    for (funder, n, origin) in funding.entries() {
        let p = funding.key_path(funder);
        let share = check_probability(n, &p, as_f64(n, &p)?)?;
        match funder {
            "city" => city_share = share,
            "district" => {}
            other => {
                return Err(ScenarioError::at(
                    origin,
                    &p,
                    format!("unknown funder `{other}`; expected `city` or `district`"),
                ))
            }
        }
        total += share;
    }
    if (total - 1.0).abs() > 1e-9 {
        return Err(ScenarioError::at(
            &t.required("funding")?.origin,
            &t.key_path("funding"),
            format!("expected funding shares that sum to 1, found a sum of {total}"),
        ));
    }
    Ok(city_share)
}
