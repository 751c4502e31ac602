//! What every section's reader shares: the parameters drawn per replication, the ids
//! defined so far, and the scenario's horizon.

use chrono::NaiveDate;

use super::super::dist::Dist;
use super::super::error::{Result, ScenarioError};
use super::super::node::{Node, Origin};
use super::super::read::{as_date, as_str, check_non_negative, check_probability, TableReader};
use super::super::types::*;
use super::ids::Ids;
use crate::calendar::Calendar;

/// What a per-replication parameter may range over; draws are clamped to it.
#[derive(Clone, Copy)]
pub enum Range {
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

pub struct Resolver {
    pub uncertain: Vec<UncertainParam>,
    /// `none` (index 0, `NO_TIER`) then the scenario's tiers, lowest first.
    pub tiers: Ids,
    pub stages: Ids,
    pub occurrences: Ids,
    pub budget_lines: Ids,
    pub districts: Ids,
    pub calendar: Calendar,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Resolver {
    pub fn new(calendar: Calendar, start: NaiveDate, end: NaiveDate) -> Resolver {
        let mut tiers = Ids::new("tier", &[]);
        tiers.add_implicit("none");
        Resolver {
            uncertain: Vec::new(),
            tiers,
            stages: Ids::new("listing stage", &["listed"]),
            occurrences: Ids::new("occurrence", &[]),
            budget_lines: Ids::new("budget line", &[]),
            districts: Ids::new("district", &["total"]),
            calendar,
            start,
            end,
        }
    }

    pub fn param(&mut self, node: &Node, path: &str, range: Range) -> Result<Param> {
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

    pub fn req_param(&mut self, t: &TableReader<'_>, key: &str, range: Range) -> Result<Param> {
        let node = t.required(key)?;
        self.param(node, &t.key_path(key), range)
    }

    pub fn opt_param(
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
    pub fn event_dist(
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

    pub fn tier(&self, node: &Node, path: &str, allow_none: bool) -> Result<TierIx> {
        self.tier_named(as_str(node, path)?, &node.origin, path, allow_none)
    }

    /// The index of tier `id` (a value or a table key at `origin`).
    pub fn tier_named(
        &self,
        id: &str,
        origin: &Origin,
        path: &str,
        allow_none: bool,
    ) -> Result<TierIx> {
        let skip = usize::from(!allow_none);
        self.tiers.find(id, origin, path, skip, &[])
    }

    /// `{ tier_id = rate, ... }` into a vector by tier index; missing tiers get 0.
    pub fn by_tier(&mut self, t: &TableReader<'_>, key: &str, range: Range) -> Result<Vec<Param>> {
        let mut out = vec![Param::Const(0.0); self.tiers.len()];
        if let Some(table) = t.opt_table(key)? {
            for (tier_id, node, key_origin) in table.entries() {
                let path = table.key_path(tier_id);
                let i = self.tier_named(tier_id, key_origin, &path, true)?;
                out[i] = self.param(node, &path, range)?;
            }
        }
        Ok(out)
    }

    /// The index of the listing stage named at `node`; `listed` too where allowed.
    pub fn stage(&self, node: &Node, path: &str, allow_listed: bool) -> Result<usize> {
        let id = as_str(node, path)?;
        if allow_listed && id == "listed" {
            return Ok(self.stages.len());
        }
        let extra: &[&str] = if allow_listed { &["listed"] } else { &[] };
        self.stages.find(id, &node.origin, path, 0, extra)
    }

    pub fn date_in(&self, node: &Node, path: &str, from: NaiveDate, to: NaiveDate) -> Result<f64> {
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

    pub fn dates_in(
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
