//! `[[budget_line]]`: appropriations by year and what happens to demand above them.

use chrono::Datelike;

use super::super::error::{Result, ScenarioError};
use super::super::read::{as_f64, check_non_negative, TableReader};
use super::super::types::*;
use super::resolver::Resolver;

pub fn resolve_budget_lines(r: &mut Resolver, top: &TableReader<'_>) -> Result<Vec<BudgetLine>> {
    let mut lines = Vec::new();
    for (node, path) in top.array("budget_line")? {
        let t = TableReader::new(node, &path)?;
        let id = t.string("id")?;
        r.budget_lines
            .add(&id, &t.required("id")?.origin, &t.key_path("id"))?;
        let label = t.opt_string("label")?.unwrap_or_else(|| id.clone());
        let appropriation = resolve_appropriation(r, &t)?;
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

/// `appropriation = { "2024" = amount, ... }` by year offset; years not written: `None`.
/// A year before the year of `start` is checked and then dropped: the policy pays nothing
/// in it, and a successor that `extends` its predecessor inherits the predecessor's years
/// without a way to remove them (docs/scenario-format.md, `[[budget_line]]`).
fn resolve_appropriation(r: &Resolver, t: &TableReader<'_>) -> Result<Vec<Option<f64>>> {
    let calendar = &r.calendar;
    let years = (calendar.last_year() - calendar.first_year() + 1) as usize;
    let mut appropriation = vec![None; years];
    // The key each year was written as, to name both of two keys for one year.
    let mut written: Vec<Option<&str>> = vec![None; years];
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
            // `2024` and `02024` are one year: the second is a duplicate, not a
            // silent override of the first.
            let i = (y - calendar.first_year()) as usize;
            if let Some(first) = written[i].replace(year) {
                return Err(ScenarioError::at(
                    origin,
                    &path,
                    format!("duplicate appropriation for year {y}: `{first}` and `{year}` are the same year"),
                ));
            }
            let amount = check_non_negative(n, &path, as_f64(n, &path)?)?;
            if y >= r.start.year() {
                appropriation[i] = Some(amount);
            }
        }
    }
    Ok(appropriation)
}
