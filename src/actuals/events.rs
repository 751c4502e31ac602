//! `events.csv`: observed events, in any order; checked firm by firm for a sequence the
//! model can produce (docs/model.md: a failed or finished attempt to list is not
//! repeated, a listed firm leaves the tiers, an exited firm does nothing more).

use std::path::Path;

use super::error::Result;
use super::table::{Range, Table};
use super::{firm_ids, happened_on, row_firm, Bounds, KnownFirm};
use crate::scenario::types::{Scenario, TierIx};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventKind {
    Certified(TierIx),
    Decertified,
    /// Entered listing stage `stage` (an index of the scenario's stages).
    ListingStage(usize),
    Listed,
    Exited,
    /// Occurrence `j` of the scenario, with its magnitude (0 when none was given).
    Occurrence(usize, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub day: f64,
    /// Index into `Actuals::firms`.
    pub firm: usize,
    pub kind: EventKind,
}

const KINDS: &str = "certified:<tier>, decertified, listing_stage:<stage>, listed, exited, \
                     occurrence:<id>";

pub fn read(dir: &Path, s: &Scenario, bounds: &Bounds, firms: &[KnownFirm]) -> Result<Vec<Event>> {
    let Some(table) = Table::read(
        dir,
        "events.csv",
        &["date", "firm_id", "event"],
        &["magnitude"],
    )?
    else {
        return Ok(Vec::new());
    };
    let ids = firm_ids(firms);
    // (day, line, event): the line breaks ties and names the row in sequence errors.
    let mut events = Vec::new();
    for row in table.rows() {
        let date = happened_on(&row, "date", bounds)?;
        let firm = row_firm(&ids, &row)?;
        let text = row.required("event")?;
        let unknown = |what: &str, id: &str, known: Vec<&str>| {
            row.error(
                "event",
                format!(
                    "unknown {what} `{id}`; expected one of {}",
                    known.join(", ")
                ),
            )
        };
        let kind = match text.split_once(':') {
            None if text == "decertified" => EventKind::Decertified,
            None if text == "listed" => EventKind::Listed,
            None if text == "exited" => EventKind::Exited,
            Some(("certified", t)) => {
                let tier = s.tiers.iter().skip(1).position(|x| x.id == t);
                EventKind::Certified(
                    1 + tier.ok_or_else(|| {
                        unknown(
                            "tier",
                            t,
                            s.tiers.iter().skip(1).map(|x| x.id.as_str()).collect(),
                        )
                    })?,
                )
            }
            Some(("listing_stage", st)) => EventKind::ListingStage(
                s.listing
                    .stages
                    .iter()
                    .position(|x| x.id == st)
                    .ok_or_else(|| {
                        unknown(
                            "listing stage",
                            st,
                            s.listing.stages.iter().map(|x| x.id.as_str()).collect(),
                        )
                    })?,
            ),
            Some(("occurrence", o)) => {
                let j = s
                    .occurrences
                    .iter()
                    .position(|x| x.id == o)
                    .ok_or_else(|| {
                        unknown(
                            "occurrence",
                            o,
                            s.occurrences.iter().map(|x| x.id.as_str()).collect(),
                        )
                    })?;
                EventKind::Occurrence(j, row.number("magnitude", Range::Money)?.unwrap_or(0.0))
            }
            _ => {
                return Err(row.error(
                    "event",
                    format!("unknown event `{text}`; expected one of {KINDS}"),
                ))
            }
        };
        if row.optional("magnitude").is_some() && !matches!(kind, EventKind::Occurrence(..)) {
            return Err(row.error("magnitude", "a magnitude belongs only to an occurrence"));
        }
        let event = Event {
            day: s.calendar.day(date),
            firm,
            kind,
        };
        events.push((row.line, event));
    }
    events.sort_by(|a, b| a.1.day.total_cmp(&b.1.day).then(a.0.cmp(&b.0)));
    check_sequences(&table, &events, firms, s)?;
    Ok(events.into_iter().map(|(_, e)| e).collect())
}

/// Where a firm stands as its events are replayed in date order.
#[derive(Debug, Clone, Copy, Default)]
struct Standing {
    tier: Option<TierIx>,
    stage: Option<usize>,
    listed: bool,
    exited: bool,
}

/// Refuses an event the model cannot produce after the firm's earlier events.
fn check_sequences(
    table: &Table,
    events: &[(u64, Event)],
    firms: &[KnownFirm],
    s: &Scenario,
) -> Result<()> {
    let mut standing = vec![Standing::default(); firms.len()];
    for &(line, e) in events {
        let st = &mut standing[e.firm];
        let id = &firms[e.firm].id;
        let refuse = |why: String| table.error_at(line, "event", why);
        if st.exited {
            return Err(refuse(format!(
                "firm `{id}` exited earlier; expected no event after `exited`"
            )));
        }
        let after_listing =
            st.listed && !matches!(e.kind, EventKind::Exited | EventKind::Occurrence(..));
        if after_listing {
            return Err(refuse(format!(
                "firm `{id}` listed earlier and left the tiers and the pipeline; expected only \
                 `exited` or an occurrence after `listed`"
            )));
        }
        match e.kind {
            EventKind::Certified(t) => st.tier = Some(t),
            EventKind::Decertified => {
                if st.tier.take().is_none() {
                    return Err(refuse(format!(
                        "firm `{id}` is not certified at this date; expected `certified:<tier>` \
                         before `decertified`"
                    )));
                }
            }
            EventKind::ListingStage(k) => {
                if let Some(prev) = st.stage.filter(|&p| k <= p) {
                    return Err(refuse(format!(
                        "firm `{id}` already entered stage `{}`; stages are entered in order \
                         ({}), each once",
                        s.listing.stages[prev].id,
                        s.listing
                            .stages
                            .iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join(" → ")
                    )));
                }
                st.stage = Some(k);
            }
            EventKind::Listed => {
                if st.stage.is_none() {
                    return Err(refuse(format!(
                        "firm `{id}` listed before it entered the pipeline; expected a \
                         `listing_stage:<stage>` event before `listed`"
                    )));
                }
                st.listed = true;
                st.tier = None;
            }
            EventKind::Exited => st.exited = true,
            EventKind::Occurrence(..) => {}
        }
    }
    Ok(())
}
