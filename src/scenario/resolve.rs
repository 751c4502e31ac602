//! From the merged tree to a validated `Scenario`: every key read, every value checked,
//! every id resolved. Any error here stops the program before a replication runs.

use chrono::{Datelike, Months, NaiveDate};
use rand::distr::weighted::WeightedIndex;

use super::dist::Dist;
use super::error::{Result, ScenarioError};
use super::node::{Node, Origin, Value};
use super::read::{
    as_array, as_date, as_f64, as_str, as_u64, check_non_negative, check_probability, TableReader,
};
use super::types::*;
use crate::calendar::Calendar;

/// What a per-replication parameter may range over; draws are clamped to it.
#[derive(Clone, Copy)]
enum Range {
    Probability,
    NonNegative,
    Any,
}

impl Range {
    fn bounds(self) -> (f64, f64) {
        match self {
            Range::Probability => (0.0, 1.0),
            Range::NonNegative => (0.0, f64::INFINITY),
            Range::Any => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

struct Resolver {
    uncertain: Vec<UncertainParam>,
    tier_ids: Vec<String>,
    calendar: Calendar,
    start: NaiveDate,
    end: NaiveDate,
}

impl Resolver {
    fn param(&mut self, node: &Node, path: &str, range: Range) -> Result<Param> {
        let dist = Dist::from_node(node, path)?;
        let (min, max) = range.bounds();
        match dist {
            Dist::Fixed(v) => {
                match range {
                    Range::Probability => check_probability(node, path, v)?,
                    Range::NonNegative => check_non_negative(node, path, v)?,
                    Range::Any => v,
                };
                Ok(Param::Const(v))
            }
            dist => {
                let (lo, hi) = dist.support();
                if hi < min || lo > max {
                    return Err(ScenarioError::at(
                        &node.origin,
                        path,
                        format!("distribution over [{lo}, {hi}] never falls in the allowed range [{min}, {max}]"),
                    ));
                }
                self.uncertain.push(UncertainParam {
                    key_path: path.to_string(),
                    dist,
                    min,
                    max,
                });
                Ok(Param::Drawn(self.uncertain.len() - 1))
            }
        }
    }

    fn req_param(&mut self, t: &TableReader<'_>, key: &str, range: Range) -> Result<Param> {
        let node = t.required(key)?;
        self.param(node, &t.key_path(key), range)
    }

    fn opt_param(
        &mut self,
        t: &TableReader<'_>,
        key: &str,
        range: Range,
        default: f64,
    ) -> Result<Param> {
        match t.get(key) {
            Some(node) => self.param(node, &t.key_path(key), range),
            None => Ok(Param::Const(default)),
        }
    }

    /// A per-event distribution that must stay within [lo, hi].
    fn event_dist(
        &self,
        t: &TableReader<'_>,
        key: &str,
        lo: f64,
        hi: f64,
        what: &str,
    ) -> Result<Dist> {
        let node = t.required(key)?;
        let path = t.key_path(key);
        let d = Dist::from_node(node, &path)?;
        d.check_within(node, &path, lo, hi, what)?;
        Ok(d)
    }

    fn tier(&self, node: &Node, path: &str, allow_none: bool) -> Result<TierIx> {
        self.tier_named(as_str(node, path)?, &node.origin, path, allow_none)
    }

    /// The index of tier `id` (a value or a table key at `origin`).
    fn tier_named(
        &self,
        id: &str,
        origin: &Origin,
        path: &str,
        allow_none: bool,
    ) -> Result<TierIx> {
        match self.tier_ids.iter().position(|t| t == id) {
            Some(i) if i != NO_TIER || allow_none => Ok(i),
            _ => Err(ScenarioError::at(
                origin,
                path,
                format!(
                    "unknown tier `{id}`; expected one of {}",
                    self.tier_list(allow_none)
                ),
            )),
        }
    }

    fn tier_list(&self, allow_none: bool) -> String {
        let skip = usize::from(!allow_none);
        self.tier_ids[skip..]
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `{ tier_id = rate, ... }` into a vector by tier index; missing tiers get 0.
    fn by_tier(&mut self, t: &TableReader<'_>, key: &str, range: Range) -> Result<Vec<Param>> {
        let mut out = vec![Param::Const(0.0); self.tier_ids.len()];
        if let Some(table) = t.opt_table(key)? {
            for (tier_id, node, key_origin) in table.entries() {
                let path = table.key_path(tier_id);
                let i = self.tier_named(tier_id, key_origin, &path, true)?;
                out[i] = self.param(node, &path, range)?;
            }
        }
        Ok(out)
    }

    fn date_in(&self, node: &Node, path: &str, from: NaiveDate, to: NaiveDate) -> Result<f64> {
        let d = as_date(node, path)?;
        if d < from || d > to {
            return Err(ScenarioError::at(
                &node.origin,
                path,
                format!("date {d} is outside the horizon {from} .. {to}"),
            ));
        }
        Ok(self.calendar.day(d))
    }

    fn dates_in(
        &self,
        t: &TableReader<'_>,
        key: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<f64>> {
        let mut days = Vec::new();
        for (node, path) in t.array(key)? {
            days.push(self.date_in(node, &path, from, to)?);
        }
        let node = t.required(key)?;
        if days.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ScenarioError::at(
                &node.origin,
                &t.key_path(key),
                "expected dates in increasing order",
            ));
        }
        Ok(days)
    }
}

/// Resolves a merged scenario tree.
pub fn resolve(tree: &Node) -> Result<Scenario> {
    let top = TableReader::new(tree, "")?;

    let s = top.table("scenario")?;
    let name = s.string("name")?;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(ScenarioError::at(
            &s.required("name")?.origin,
            "scenario.name",
            format!("expected a name of ASCII letters, digits, `_`, `-` or `.` (it names the output folder), found `{name}`"),
        ));
    }
    let title = s.opt_string("title")?.unwrap_or_default();
    let start = s.date("start")?;
    let end = s.date("end")?;
    if end <= start {
        return Err(ScenarioError::at(
            &s.required("end")?.origin,
            "scenario.end",
            "expected a date after scenario.start",
        ));
    }
    let payments_until = match s.opt_date("payments_until")? {
        Some(d) if d < end => {
            return Err(ScenarioError::at(
                &s.required("payments_until")?.origin,
                "scenario.payments_until",
                "expected a date on or after scenario.end",
            ))
        }
        Some(d) => d,
        None => end
            .checked_add_months(Months::new(36))
            .expect("date in range"),
    };
    let fx_cny_per_usd = s.f64("fx_cny_per_usd")?;
    if fx_cny_per_usd <= 0.0 {
        return Err(ScenarioError::at(
            &s.required("fx_cny_per_usd")?.origin,
            "scenario.fx_cny_per_usd",
            "expected a positive exchange rate",
        ));
    }
    s.finish()?;

    // The NEV processes may start before the unicorn policy (the plan is a month older).
    let nev_table = top.opt_table("nev")?;
    let nev_start = match &nev_table {
        Some(t) => t.opt_date("start")?.unwrap_or(start),
        None => start,
    };
    if nev_start > end {
        let t = nev_table.as_ref().expect("nev table read above");
        return Err(ScenarioError::at(
            &t.required("start")?.origin,
            "nev.start",
            "expected a date before scenario.end",
        ));
    }
    let calendar = Calendar::new(start, nev_start.min(start), start, payments_until);

    let (replications, seed) = match top.opt_table("run")? {
        Some(run) => {
            let reps = run.opt_u64("replications")?.unwrap_or(1000);
            if reps == 0 {
                return Err(ScenarioError::at(
                    &run.required("replications")?.origin,
                    "run.replications",
                    "expected at least 1",
                ));
            }
            let seed = run.opt_u64("seed")?.unwrap_or(0);
            run.finish()?;
            (reps, seed)
        }
        None => (1000, 0),
    };

    let mut r = Resolver {
        uncertain: Vec::new(),
        tier_ids: vec!["none".into()],
        calendar: calendar.clone(),
        start,
        end,
    };

    // Tiers, lowest first.
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
        if r.tier_ids.contains(&id) {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate tier id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let mut routes = Vec::new();
        for (rn, rp) in t.array("routes")? {
            let rt = TableReader::new(rn, &rp)?;
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
                        &rp,
                        "expected exactly one of min_valuation_usd or min_valuation_cny",
                    ))
                }
            };
            rt.finish()?;
            routes.push(Route {
                max_age_years,
                min_valuation_usd,
                min_log_valuation_usd: min_valuation_usd.ln(),
            });
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
        r.tier_ids.push(id.clone());
        tiers.push(Tier { id, label, routes });
    }
    if tiers.len() == 1 {
        return Err(ScenarioError::at(
            tree_origin(tree),
            "tier",
            "expected at least one [[tier]]",
        ));
    }

    let certification = {
        let c = top.table("certification")?;
        let common = r.dates_in(&c, "dates", start, end)?;
        // Each tier's review dates: its own where `dates_by_tier` names it.
        let mut tier_dates = vec![common; r.tier_ids.len()];
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
        Certification {
            dates,
            reviewed,
            apply_probability,
        }
    };

    // Listing before cohorts: cohorts name stages. Districts before cohorts: cohorts name districts.
    let listing = resolve_listing(&mut r, &top)?;
    let district_ids: Vec<String> = top
        .array("district")?
        .iter()
        .map(|(n, p)| {
            let t = TableReader::new(n, p)?;
            as_str(t.required("id")?, &t.key_path("id")).map(str::to_string)
        })
        .collect::<Result<_>>()?;

    let placement = |r: &mut Resolver, t: &TableReader<'_>| -> Result<Placement> {
        let districts = match t.opt_table("districts")? {
            None => None,
            Some(dt) => {
                let mut idx = Vec::new();
                let mut weights = Vec::new();
                for (id, node, origin) in dt.entries() {
                    let path = dt.key_path(id);
                    let Some(i) = district_ids.iter().position(|d| d == id) else {
                        return Err(ScenarioError::at(
                            origin,
                            &path,
                            format!(
                                "unknown district `{id}`; expected one of {}",
                                district_ids.join(", ")
                            ),
                        ));
                    };
                    idx.push(i);
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
        let _ = r;
        Ok(Placement {
            districts,
            nev_probability,
        })
    };

    let mut cohorts = Vec::new();
    for (i, (node, path)) in top.array("cohort")?.into_iter().enumerate() {
        let t = TableReader::new(node, &path)?;
        let id = t.opt_string("id")?.unwrap_or_else(|| format!("cohort{i}"));
        let enabled = t.opt_bool("enabled")?.unwrap_or(true);
        let tier = r.tier(t.required("tier")?, &t.key_path("tier"), true)?;
        let count = t.u64("count")?;
        let valuation_usd = r.event_dist(&t, "valuation_usd", 0.0, f64::INFINITY, "a valuation")?;
        let age_years = r.event_dist(&t, "age_years", 0.0, f64::INFINITY, "an age")?;
        let listing_stage = match t.get("listing_stage") {
            None => None,
            Some(n) => Some(stage_index(
                &listing,
                n,
                &t.key_path("listing_stage"),
                false,
            )?),
        };
        let placement = placement(&mut r, &t)?;
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

    let entry = {
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
        let placement = placement(&mut r, &t)?;
        t.finish()?;
        Entry {
            rate_per_year,
            attraction_multiplier,
            tier,
            valuation_usd,
            age_years,
            placement,
        }
    };

    let growth = {
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
        g
    };

    let mut occurrences = Vec::new();
    for (node, path) in top.array("occurrence")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        if occurrences.iter().any(|o: &Occurrence| o.id == id) {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate occurrence id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let process = match (t.get("rate_per_year"), t.get("dates")) {
            (Some(_), None) => {
                OccurrenceProcess::Rate(r.by_tier(&t, "rate_per_year", Range::NonNegative)?)
            }
            (None, Some(_)) => {
                let dates = r.dates_in(&t, "dates", start, end)?;
                // One probability (a number or distribution) for every tier assessed, or
                // `{ tier = probability, ... }` (tiers not named: 0).
                let probability = match &t.required("probability")?.value {
                    Value::Table(p) if p.get("dist").is_none() => {
                        r.by_tier(&t, "probability", Range::Probability)?
                    }
                    _ => {
                        vec![r.req_param(&t, "probability", Range::Probability)?; r.tier_ids.len()]
                    }
                };
                let mut tiers = vec![true; r.tier_ids.len()];
                tiers[NO_TIER] = false;
                if t.get("tiers").is_some() {
                    tiers = vec![false; r.tier_ids.len()];
                    for (n, p) in t.array("tiers")? {
                        tiers[r.tier(n, &p, true)?] = true;
                    }
                }
                OccurrenceProcess::Scheduled {
                    dates,
                    probability,
                    tiers,
                }
            }
            _ => {
                return Err(ScenarioError::at(
                    &node.origin,
                    &path,
                    "expected either `rate_per_year` (by tier) or `dates` with `probability`",
                ))
            }
        };
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

    let budget_lines = resolve_budget_lines(&top, &calendar)?;
    let instruments = resolve_instruments(&mut r, &top, &listing, &occurrences, &budget_lines)?;

    let (nev, districts) = resolve_nev(&mut r, nev_table, &top, &listing, nev_start)?;
    let (targets, summary_checks) = resolve_targets(&r, &top, &districts, nev_start)?;

    top.finish()?;
    let calendar_end = calendar.day(end) + 1.0;
    let payments_day = calendar.day(payments_until) + 1.0;
    let scenario = Scenario {
        name,
        title,
        calendar,
        end: calendar_end,
        payments_until: payments_day,
        fx_cny_per_usd,
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
    };
    let layout = crate::metrics::MetricLayout::new(&scenario);
    for (name, origin, path) in summary_checks {
        if layout.index_of(&name).is_none() || name.starts_with("target.") {
            return Err(ScenarioError::at(
                &origin,
                &path,
                format!(
                    "unknown metric `{name}`; expected a district metric ({}) or a run metric such as `firms.count.unicorn`, `listings.new`, `outlay.total`",
                    NevQuantity::ALL.iter().map(|q| q.metric_base()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    Ok(scenario)
}

fn tree_origin(tree: &Node) -> &Origin {
    &tree.origin
}

fn stage_index(listing: &Listing, node: &Node, path: &str, allow_listed: bool) -> Result<usize> {
    let id = as_str(node, path)?;
    if allow_listed && id == "listed" {
        return Ok(listing.listed());
    }
    listing
        .stages
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| {
            let mut ids: Vec<String> = listing
                .stages
                .iter()
                .map(|s| format!("`{}`", s.id))
                .collect();
            if allow_listed {
                ids.push("`listed`".into());
            }
            ScenarioError::at(
                &node.origin,
                path,
                format!(
                    "unknown listing stage `{id}`; expected one of {}",
                    ids.join(", ")
                ),
            )
        })
}

fn resolve_listing(r: &mut Resolver, top: &TableReader<'_>) -> Result<Listing> {
    let t = top.table("listing")?;
    let entry_hazard_per_year = r.by_tier(&t, "entry_hazard_per_year", Range::NonNegative)?;
    let mut stages = Vec::new();
    for (node, path) in t.array("stages")? {
        let st = TableReader::new(node, &path)?;
        let id = st.string("id")?;
        if id == "listed" || stages.iter().any(|s: &ListingStage| s.id == id) {
            return Err(ScenarioError::at(
                &st.required("id")?.origin,
                &st.key_path("id"),
                format!("duplicate or reserved stage id `{id}`"),
            ));
        }
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
    let mut regimes = Vec::new();
    for (node, path) in t.array("regimes")? {
        let rt = TableReader::new(node, &path)?;
        let id = rt.string("id")?;
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

fn resolve_budget_lines(top: &TableReader<'_>, calendar: &Calendar) -> Result<Vec<BudgetLine>> {
    let mut lines = Vec::new();
    let years = (calendar.last_year() - calendar.first_year() + 1) as usize;
    for (node, path) in top.array("budget_line")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        if lines.iter().any(|l: &BudgetLine| l.id == id) {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate budget line id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let mut appropriation = vec![None; years];
        if let Some(at) = t.opt_table("appropriation")? {
            for (year, n, origin) in at.entries() {
                let path = at.key_path(year);
                let y: i32 = year.parse().map_err(|_| {
                    ScenarioError::at(
                        origin,
                        &path,
                        format!("expected a year such as \"2024\", found `{year}`"),
                    )
                })?;
                if y < calendar.first_year() || y > calendar.last_year() {
                    return Err(ScenarioError::at(
                        origin,
                        &path,
                        format!(
                            "year {y} is outside the horizon {} .. {}",
                            calendar.first_year(),
                            calendar.last_year()
                        ),
                    ));
                }
                appropriation[(y - calendar.first_year()) as usize] =
                    Some(check_non_negative(n, &path, as_f64(n, &path)?)?);
            }
        }
        let overflow = match t.opt_string("overflow")?.as_deref() {
            None | Some("none") => Overflow::None,
            Some("defer") => Overflow::Defer,
            Some("prorate") => Overflow::Prorate,
            Some(other) => {
                return Err(ScenarioError::at(
                    &t.required("overflow")?.origin,
                    &t.key_path("overflow"),
                    format!(
                        "unknown overflow rule `{other}`; expected `none`, `defer` or `prorate`"
                    ),
                ))
            }
        };
        t.finish()?;
        lines.push(BudgetLine {
            id,
            label,
            appropriation,
            overflow,
        });
    }
    Ok(lines)
}

fn resolve_instruments(
    r: &mut Resolver,
    top: &TableReader<'_>,
    listing: &Listing,
    occurrences: &[Occurrence],
    lines: &[BudgetLine],
) -> Result<Vec<Instrument>> {
    let mut out: Vec<Instrument> = Vec::new();
    for (node, path) in top.array("instrument")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        if out.iter().any(|i| i.id == id) {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate instrument id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let clause = t.opt_string("clause")?.unwrap_or_default();
        let enabled = t.opt_bool("enabled")?.unwrap_or(true);
        let money = |key: &str| -> Result<f64> {
            let n = t.required(key)?;
            check_non_negative(n, &t.key_path(key), as_f64(n, &t.key_path(key))?)
        };
        let opt_money = |key: &str| -> Result<Option<f64>> {
            match t.get(key) {
                Some(n) => Ok(Some(check_non_negative(
                    n,
                    &t.key_path(key),
                    as_f64(n, &t.key_path(key))?,
                )?)),
                None => Ok(None),
            }
        };
        let kind_name = t.string("kind")?;
        let kind = match kind_name.as_str() {
            "fixed" => InstrumentKind::Fixed { amount: r.event_dist(&t, "amount", 0.0, f64::INFINITY, "a non-negative amount")? },
            "up_to" => InstrumentKind::UpTo {
                cap: money("cap")?,
                fraction: r.event_dist(&t, "fraction", 0.0, 1.0, "a fraction in")?,
            },
            "matching" => InstrumentKind::Matching { ratio: money("ratio")?, cap: opt_money("cap")? },
            "cost_share" => InstrumentKind::CostShare { ratio: money("ratio")?, cap: opt_money("cap")? },
            "tiered" => {
                let mut brackets = Vec::new();
                for (bn, bp) in t.array("brackets")? {
                    let bt = TableReader::new(bn, &bp)?;
                    let from = check_non_negative(bt.required("from")?, &bt.key_path("from"), bt.f64("from")?)?;
                    let pays = check_non_negative(bt.required("pays")?, &bt.key_path("pays"), bt.f64("pays")?)?;
                    bt.finish()?;
                    if brackets.last().is_some_and(|&(f, _)| f >= from) {
                        return Err(ScenarioError::at(&bn.origin, &bp, "expected brackets in increasing order of `from`"));
                    }
                    brackets.push((from, pays));
                }
                if brackets.is_empty() {
                    return Err(ScenarioError::at(&node.origin, &t.key_path("brackets"), "expected at least one bracket"));
                }
                InstrumentKind::Tiered { brackets }
            }
            "stipend" => {
                let months = t.u64("months")?;
                InstrumentKind::Stipend { amount_per_month: money("amount")?, months: months as u32 }
            }
            other => {
                return Err(ScenarioError::at(
                    &t.required("kind")?.origin,
                    &t.key_path("kind"),
                    format!("unknown instrument kind `{other}`; expected fixed, up_to, matching, cost_share, tiered or stipend"),
                ))
            }
        };
        for key in ["ratio"] {
            if let Some(n) = t.get(key) {
                let v = as_f64(n, &t.key_path(key))?;
                if v > 10.0 {
                    return Err(ScenarioError::at(
                        &n.origin,
                        &t.key_path(key),
                        format!("expected a ratio such as 0.3 or 1.0, found {v}"),
                    ));
                }
            }
        }

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
            "listing_stage" => Trigger::ListingStage(stage_index(listing, tt.required("stage")?, &tt.key_path("stage"), true)?),
            "occurrence" => {
                let on = tt.required("occurrence")?;
                let oid = as_str(on, &tt.key_path("occurrence"))?;
                match occurrences.iter().position(|o| o.id == oid) {
                    Some(i) => Trigger::Occurrence(i),
                    None => {
                        return Err(ScenarioError::at(
                            &on.origin,
                            &tt.key_path("occurrence"),
                            format!(
                                "unknown occurrence `{oid}`; expected one of {}",
                                occurrences.iter().map(|o| format!("`{}`", o.id)).collect::<Vec<_>>().join(", ")
                            ),
                        ))
                    }
                }
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
            let has =
                matches!(trigger, Trigger::Occurrence(o) if occurrences[o].magnitude.is_some());
            if !has {
                return Err(ScenarioError::at(
                    &trigger_node.origin,
                    &t.key_path("trigger"),
                    format!("a `{}` instrument pays on a magnitude: expected an occurrence trigger whose occurrence has a `magnitude`", kind.name()),
                ));
            }
        }

        let mut eligible = vec![false; r.tier_ids.len()];
        let en = t.required("eligible_tiers")?;
        for (n, p) in as_array(en, &t.key_path("eligible_tiers"))? {
            eligible[r.tier(n, &p, true)?] = true;
        }
        let take_up = r.opt_param(&t, "take_up", Range::Probability, 1.0)?;
        let payment_lag_months = match t.get("payment_lag_months") {
            Some(_) => r.event_dist(
                &t,
                "payment_lag_months",
                0.0,
                f64::INFINITY,
                "a lag in months",
            )?,
            None => Dist::Fixed(0.0),
        };
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

        let ln = t.required("budget_line")?;
        let lid = as_str(ln, &t.key_path("budget_line"))?;
        let budget_line = lines.iter().position(|l| l.id == lid).ok_or_else(|| {
            ScenarioError::at(
                &ln.origin,
                &t.key_path("budget_line"),
                format!(
                    "unknown budget line `{lid}`; expected one of {}",
                    lines
                        .iter()
                        .map(|l| format!("`{}`", l.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        let max_per_firm = t.opt_u64("max_per_firm")?.map(|m| m as u32);
        let cap_per_firm = opt_money("cap_per_firm")?;
        if cap_per_firm.is_some() && matches!(kind, InstrumentKind::Stipend { .. }) {
            return Err(ScenarioError::at(
                &t.required("cap_per_firm")?.origin,
                &t.key_path("cap_per_firm"),
                "a stipend's total is amount × months: expected no cap_per_firm on a stipend",
            ));
        }
        t.finish()?;
        out.push(Instrument {
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
        });
    }
    Ok(out)
}

fn resolve_nev(
    r: &mut Resolver,
    nev_table: Option<TableReader<'_>>,
    top: &TableReader<'_>,
    listing: &Listing,
    nev_start: NaiveDate,
) -> Result<(Nev, Vec<District>)> {
    let nev = match nev_table {
        Some(t) => {
            t.get("start");
            let base_year = t
                .opt_u64("base_year")?
                .map(|y| y as i32)
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
    };
    let mut districts: Vec<District> = Vec::new();
    for (node, path) in top.array("district")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        if districts.iter().any(|d| d.id == id) || id == "total" {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate or reserved district id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let scale_100m_cny = check_non_negative(
            t.required("scale_100m_cny")?,
            &t.key_path("scale_100m_cny"),
            t.f64("scale_100m_cny")?,
        )?;
        let scale_drift_per_year = r.opt_param(&t, "scale_drift_per_year", Range::Any, 0.0)?;
        let scale_volatility_per_year =
            r.opt_param(&t, "scale_volatility_per_year", Range::NonNegative, 0.0)?;
        let flow = |r: &mut Resolver, key: &str, with_head: bool| -> Result<ProjectFlow> {
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
        };
        let projects = flow(r, "projects", true)?;
        let upgrades = flow(r, "upgrades", false)?;
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
            let stage = stage_index(listing, lt.required("stage")?, &lt.key_path("stage"), false)?;
            let count = lt.u64("count")?;
            lt.finish()?;
            listing_candidates.push((stage, count));
        }
        let above_scale = match t.opt_table("above_scale")? {
            None => AboveScale {
                firms: 0,
                births_per_year: Param::Const(0.0),
                death_hazard_per_year: Param::Const(0.0),
            },
            Some(at) => {
                let a = AboveScale {
                    firms: at.u64("firms")?,
                    births_per_year: r.opt_param(
                        &at,
                        "births_per_year",
                        Range::NonNegative,
                        0.0,
                    )?,
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
        };
        if t.opt_bool("enabled")? == Some(false) {
            return Err(ScenarioError::at(
                &node.origin,
                &t.key_path("enabled"),
                "districts cannot be switched off",
            ));
        }
        t.finish()?;
        districts.push(District {
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
        });
    }
    Ok((nev, districts))
}

/// A run-metric target whose name can only be checked once the metric layout exists.
type SummaryCheck = (String, Origin, String);

fn resolve_targets(
    r: &Resolver,
    top: &TableReader<'_>,
    districts: &[District],
    nev_start: NaiveDate,
) -> Result<(Vec<Target>, Vec<SummaryCheck>)> {
    let mut targets: Vec<Target> = Vec::new();
    let mut summary_checks = Vec::new();
    for (node, path) in top.array("target")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        if targets.iter().any(|x| x.id == id) {
            return Err(ScenarioError::at(
                &t.required("id")?.origin,
                &t.key_path("id"),
                format!("duplicate target id `{id}`"),
            ));
        }
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let enabled = t.opt_bool("enabled")?.unwrap_or(true);
        let metric_node = t.required("metric")?;
        let metric_text = as_str(metric_node, &t.key_path("metric"))?.to_string();
        let district_node = t.get("district");

        let window = match (t.get("by"), t.get("year")) {
            (Some(n), None) => {
                let day = r.date_in(n, &t.key_path("by"), nev_start.min(r.start), r.end)? + 1.0;
                Some((
                    TargetWindow::By(day),
                    format!("by {}", as_date(n, &t.key_path("by"))?),
                ))
            }
            (None, Some(n)) => {
                // An integer: `year = 2024.5` must not pass as 2024.
                let y = as_u64(n, &t.key_path("year"))?.min(i32::MAX as u64) as i32;
                if y < nev_start.year().min(r.start.year()) || y > r.end.year() {
                    return Err(ScenarioError::at(
                        &n.origin,
                        &t.key_path("year"),
                        format!(
                            "year {y} is outside the horizon {} .. {}",
                            nev_start.year().min(r.start.year()),
                            r.end.year()
                        ),
                    ));
                }
                Some((TargetWindow::Year(y), format!("in {y}")))
            }
            (Some(_), Some(n)) => {
                return Err(ScenarioError::at(
                    &n.origin,
                    &t.key_path("year"),
                    "expected either `by` or `year`, not both",
                ))
            }
            (None, None) => None,
        };

        // `nev.scale` + district, or a full name `nev.scale.wujin` / `nev.new_listed.total`.
        let (base, district_id) = match district_node {
            Some(n) => (
                metric_text.clone(),
                Some((as_str(n, &t.key_path("district"))?.to_string(), n)),
            ),
            None => match NevQuantity::ALL
                .iter()
                .find(|q| metric_text.starts_with(&format!("{}.", q.metric_base())))
            {
                Some(q) => {
                    let rest = &metric_text[q.metric_base().len() + 1..];
                    (
                        q.metric_base().to_string(),
                        Some((rest.to_string(), metric_node)),
                    )
                }
                None => (metric_text.clone(), None),
            },
        };
        let quantity = NevQuantity::ALL
            .iter()
            .copied()
            .find(|q| q.metric_base() == base);
        let (metric, metric_name, window_label) = match (quantity, district_id) {
            (Some(quantity), district) => {
                let district = match district {
                    None => None,
                    Some((d, _)) if d == "total" => None,
                    Some((d, n)) => {
                        Some(districts.iter().position(|x| x.id == d).ok_or_else(|| {
                            ScenarioError::at(
                                &n.origin,
                                &t.key_path(if district_node.is_some() {
                                    "district"
                                } else {
                                    "metric"
                                }),
                                format!(
                                    "unknown district `{d}`; expected `total` or one of {}",
                                    districts
                                        .iter()
                                        .map(|x| format!("`{}`", x.id))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })?)
                    }
                };
                let (window, label) = window.unwrap_or((
                    TargetWindow::By(r.calendar.day(r.end) + 1.0),
                    format!("by {}", r.end),
                ));
                if quantity.is_level() {
                    if let TargetWindow::By(day) = window {
                        let d = r.calendar.date(day - 1.0);
                        if (d.month(), d.day()) != (12, 31) {
                            return Err(ScenarioError::at(
                                &t.required("by")?.origin,
                                &t.key_path("by"),
                                format!("`{base}` is an annual level: expected a year-end date (YYYY-12-31) or `year`"),
                            ));
                        }
                    }
                }
                let name = format!(
                    "{base}.{}",
                    district.map_or("total", |d| districts[d].id.as_str())
                );
                (
                    TargetMetric::Nev {
                        quantity,
                        district,
                        window,
                    },
                    name,
                    label,
                )
            }
            (None, _) => {
                if enabled {
                    summary_checks.push((
                        metric_text.clone(),
                        metric_node.origin.clone(),
                        t.key_path("metric"),
                    ));
                }
                if let Some(n) = district_node {
                    return Err(ScenarioError::at(
                        &n.origin,
                        &t.key_path("district"),
                        format!("`{metric_text}` is not a district metric"),
                    ));
                }
                if let Some((w, _)) = window {
                    let at_end = match w {
                        TargetWindow::By(day) => day == r.calendar.day(r.end) + 1.0,
                        TargetWindow::Year(y) => y == r.end.year(),
                    };
                    if !at_end {
                        return Err(ScenarioError::at(
                            &node.origin,
                            &path,
                            "run metrics are read at the scenario end: expected `by` = scenario.end or no window",
                        ));
                    }
                }
                (
                    TargetMetric::Summary(metric_text.clone()),
                    metric_text.clone(),
                    format!("by {}", r.end),
                )
            }
        };
        let comparator = match (t.opt_f64("at_least")?, t.opt_f64("at_most")?) {
            (Some(x), None) => Comparator::AtLeast(x),
            (None, Some(x)) => Comparator::AtMost(x),
            _ => {
                return Err(ScenarioError::at(
                    &node.origin,
                    &path,
                    "expected exactly one of `at_least` or `at_most`",
                ))
            }
        };
        t.finish()?;
        if enabled {
            targets.push(Target {
                id,
                label,
                metric_name,
                metric,
                comparator,
                window_label,
            });
        }
    }
    Ok((targets, summary_checks))
}
