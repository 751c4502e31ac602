//! `firms.csv`: one row per known firm.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::Result;
use super::table::{Range, Table};
use super::Bounds;
use crate::scenario::types::Scenario;

#[derive(Debug, Clone, PartialEq)]
pub struct KnownFirm {
    pub id: String,
    pub name: Option<String>,
    /// Index into the scenario's districts; `None` when the firm has none.
    pub district: Option<usize>,
    pub nev: bool,
    /// Founding day (negative: before the scenario's start).
    pub founded: f64,
    /// The last known valuation (US dollars) and its day, when one is known.
    pub valuation_usd: Option<(f64, f64)>,
}

pub fn read(dir: &Path, s: &Scenario, bounds: &Bounds) -> Result<Vec<KnownFirm>> {
    let Some(table) = Table::read(
        dir,
        "firms.csv",
        &["firm_id", "district", "nev", "founded"],
        &["name", "valuation_usd", "valuation_cny", "valuation_date"],
    )?
    else {
        return Ok(Vec::new());
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut firms = Vec::new();
    for row in table.rows() {
        let id = row.required("firm_id")?;
        if let Some(first) = seen.insert(id.to_string(), row.line) {
            return Err(row.error(
                "firm_id",
                format!(
                    "duplicate firm_id `{id}` (first on line {first}); expected one row per firm"
                ),
            ));
        }
        let district = match row.optional("district") {
            None => None,
            Some(d) => Some(s.districts.iter().position(|x| x.id == d).ok_or_else(|| {
                let known: Vec<&str> = s.districts.iter().map(|x| x.id.as_str()).collect();
                row.error(
                    "district",
                    format!(
                        "unknown district `{d}`; expected one of {}",
                        known.join(", ")
                    ),
                )
            })?),
        };
        let nev = row
            .boolean("nev")?
            .ok_or_else(|| row.error("nev", "expected true or false, found an empty field"))?;
        let founded = row.required_date("founded")?;
        if let Some(as_of) = bounds.as_of {
            if founded > as_of {
                return Err(row.error(
                    "founded",
                    format!("{founded} is after the as-of date {as_of}"),
                ));
            }
        }
        let usd = row.number("valuation_usd", Range::Valuation)?;
        let cny = row.number("valuation_cny", Range::Valuation)?;
        let valuation = match (usd, cny) {
            (Some(_), Some(_)) => {
                return Err(row.error(
                    "valuation_cny",
                    "expected valuation_usd or valuation_cny, not both",
                ))
            }
            (Some(v), None) => Some(v),
            (None, Some(v)) => Some(v / s.fx_cny_per_usd),
            (None, None) => None,
        };
        let valued_on = row.date("valuation_date")?;
        let valuation_usd = match (valuation, valued_on) {
            (Some(v), Some(date)) => {
                if let Some(why) = bounds
                    .as_of
                    .filter(|a| date > *a)
                    .map(|a| format!("{date} is after the as-of date {a}"))
                {
                    return Err(row.error("valuation_date", why));
                }
                Some((v, s.calendar.day(date)))
            }
            (Some(_), None) => {
                return Err(row.error(
                    "valuation_date",
                    "expected the date of the valuation given, found an empty field",
                ))
            }
            (None, Some(_)) => {
                return Err(row.error(
                    "valuation_date",
                    "a valuation date without valuation_usd or valuation_cny",
                ))
            }
            (None, None) => None,
        };
        firms.push(KnownFirm {
            id: id.to_string(),
            name: row.optional("name").map(str::to_string),
            district,
            nev,
            founded: s.calendar.day(founded),
            valuation_usd,
        });
    }
    Ok(firms)
}
