//! The ids of one kind of scenario entry (tiers, stages, districts, ...): the one place
//! that refuses a duplicate id and that turns an id into an index, or refuses it naming
//! the ids that exist. An ordered map keeps both logarithmic, so a file with 100,000
//! targets validates in near-linear time; unlike a hash map (seeded anew by every
//! process), it takes the same steps on every run, which the fuzz targets' coverage
//! feedback, and so their fixed-seed CI runs, rely on (fuzz/README.md). The other maps
//! the reader and the metric layout keep are ordered maps for the same reason.

use std::collections::BTreeMap;

use super::super::error::{Result, ScenarioError};
use super::super::node::Origin;

/// The longest id: ids name metrics, columns and sheets (`outlay.instrument.<id>`).
pub const ID_MAX_CHARS: usize = 64;

/// An id is 1 to `ID_MAX_CHARS` ASCII letters, digits, `_` and `-`: an empty id would
/// name the metric `outlay.instrument.`, and one with a `.` could read as another metric
/// (`outlay.line.a.2024`: line `a` in 2024, or line `a.2024`?).
pub fn check_id(id: &str, origin: &Origin, path: &str) -> Result<()> {
    if !well_formed(id) {
        let shown: String = id.chars().take(ID_MAX_CHARS).collect();
        let more = if id.chars().count() > ID_MAX_CHARS {
            "..."
        } else {
            ""
        };
        return Err(ScenarioError::at(
            origin,
            path,
            format!(
                "expected an id of 1 to {ID_MAX_CHARS} ASCII letters, digits, `_` or `-`, found {shown:?}{more}"
            ),
        ));
    }
    Ok(())
}

/// Whether `id` is an id `check_id` accepts (and a key path may name an entry by).
pub fn well_formed(id: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    !id.is_empty() && id.len() <= ID_MAX_CHARS && id.chars().all(allowed)
}

pub struct Ids {
    /// What the ids name, as a message says it ("tier", "listing stage", ...).
    kind: &'static str,
    /// Ids with a meaning of their own (`listed`, `total`), refused as definitions.
    reserved: &'static [&'static str],
    order: Vec<String>,
    index: BTreeMap<String, usize>,
}

impl Ids {
    pub fn new(kind: &'static str, reserved: &'static [&'static str]) -> Ids {
        Ids {
            kind,
            reserved,
            order: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// Adds `id` as the next index; a malformed, duplicate or reserved id is refused at
    /// `origin`.
    pub fn add(&mut self, id: &str, origin: &Origin, path: &str) -> Result<usize> {
        check_id(id, origin, path)?;
        if self.index.contains_key(id) || self.reserved.contains(&id) {
            let what = if self.reserved.is_empty() {
                "duplicate"
            } else {
                "duplicate or reserved"
            };
            return Err(ScenarioError::at(
                origin,
                path,
                format!("{what} {} id `{id}`", self.kind),
            ));
        }
        let i = self.order.len();
        self.index.insert(id.to_string(), i);
        self.order.push(id.to_string());
        Ok(i)
    }

    /// Adds an id the format defines itself (the tier `none`), which no file wrote.
    pub fn add_implicit(&mut self, id: &str) -> usize {
        let i = self.order.len();
        self.index.insert(id.to_string(), i);
        self.order.push(id.to_string());
        i
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The index of `id`, or an error naming the ids that exist (`skip` first ones left
    /// out, `extra` added: e.g. the implicit `none` tier, the pseudo-stage `listed`).
    pub fn find(
        &self,
        id: &str,
        origin: &Origin,
        path: &str,
        skip: usize,
        extra: &[&str],
    ) -> Result<usize> {
        match self.position(id) {
            Some(i) if i >= skip => Ok(i),
            _ => Err(self.unknown(id, origin, path, skip, extra)),
        }
    }

    pub fn unknown(
        &self,
        id: &str,
        origin: &Origin,
        path: &str,
        skip: usize,
        extra: &[&str],
    ) -> ScenarioError {
        let quoted = |ids: &mut dyn Iterator<Item = &str>| {
            ids.map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let known = quoted(&mut self.order.iter().skip(skip).map(String::as_str));
        let extra = quoted(&mut extra.iter().copied());
        let expected = match (extra.is_empty(), known.is_empty()) {
            (true, true) => format!("no {} is defined", self.kind),
            (true, false) => format!("expected one of {known}"),
            (false, true) => format!("expected {extra}"),
            (false, false) => format!("expected {extra} or one of {known}"),
        };
        ScenarioError::at(
            origin,
            path,
            format!("unknown {} `{id}`; {expected}", self.kind),
        )
    }
}
