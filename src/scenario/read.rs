//! Typed reading of the spanned tree, one table at a time. Every accessor knows the key
//! path it is reading, and `finish` refuses keys nobody asked for — misplaced keys never
//! pass silently.

use std::cell::Cell;

use chrono::NaiveDate;

use super::dist::Dist;
use super::error::{Result, ScenarioError};
use super::node::{Node, Origin, Table, Value};
use super::spec;

/// Reads one TOML table, tracking which keys were used.
pub struct TableReader<'a> {
    table: &'a Table,
    origin: &'a Origin,
    path: String,
    used: Vec<Cell<bool>>,
}

impl<'a> TableReader<'a> {
    pub fn new(node: &'a Node, path: &str) -> Result<Self> {
        match &node.value {
            Value::Table(table) => Ok(TableReader {
                table,
                origin: &node.origin,
                path: path.to_string(),
                used: (0..table.entries.len()).map(|_| Cell::new(false)).collect(),
            }),
            other => Err(ScenarioError::at(
                &node.origin,
                path,
                format!("expected a table, found {}", other.type_name()),
            )),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn origin(&self) -> &'a Origin {
        self.origin
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{}", self.path, key)
        }
    }

    /// The value at `key`, marked as used.
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        let i = self.table.entries.iter().position(|e| e.key == key)?;
        self.used[i].set(true);
        Some(&self.table.entries[i].node)
    }

    /// Marks `key` as used without reading it here: another step reads and checks it.
    pub fn read_elsewhere(&self, key: &str) {
        self.get(key);
    }

    pub fn required(&self, key: &str) -> Result<&'a Node> {
        self.get(key).ok_or_else(|| {
            ScenarioError::at(self.origin, &self.key_path(key), "missing required key")
        })
    }

    /// Refuses any key that was not read: a typo or a misplaced key is an error.
    pub fn finish(&self) -> Result<()> {
        for (entry, used) in self.table.entries.iter().zip(&self.used) {
            if !used.get() {
                return Err(ScenarioError::at(
                    &entry.key_origin,
                    &self.key_path(&entry.key),
                    "unknown key (see docs/scenario-format.md for the keys this table accepts)",
                ));
            }
        }
        Ok(())
    }

    /// Marks every key as used; for tables whose keys are data (tier ids, years).
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Node, &'a Origin)> + '_ {
        for u in &self.used {
            u.set(true);
        }
        self.table
            .entries
            .iter()
            .map(|e| (e.key.as_str(), &e.node, &e.key_origin))
    }

    pub fn f64(&self, key: &str) -> Result<f64> {
        as_f64(self.required(key)?, &self.key_path(key))
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.get(key)
            .map(|n| as_f64(n, &self.key_path(key)))
            .transpose()
    }

    pub fn u64(&self, key: &str) -> Result<u64> {
        as_u64(self.required(key)?, &self.key_path(key))
    }

    /// An integer that a `u32` holds: its key's range keeps it there, and a value past it
    /// is refused rather than wrapped.
    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.get(key)
            .map(|n| {
                let path = self.key_path(key);
                u32::try_from(as_u64(n, &path)?).map_err(|_| {
                    ScenarioError::at(&n.origin, &path, "expected an integer below 4294967296")
                })
            })
            .transpose()
    }

    pub fn u32(&self, key: &str) -> Result<u32> {
        self.required(key)?;
        Ok(self
            .opt_u32(key)?
            .expect("`required` just returned the key, so opt_u32 finds it"))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        self.get(key)
            .map(|n| as_u64(n, &self.key_path(key)))
            .transpose()
    }

    pub fn string(&self, key: &str) -> Result<String> {
        as_str(self.required(key)?, &self.key_path(key)).map(str::to_string)
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>> {
        self.get(key)
            .map(|n| as_str(n, &self.key_path(key)).map(str::to_string))
            .transpose()
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.get(key)
            .map(|n| match &n.value {
                Value::Boolean(b) => Ok(*b),
                other => Err(expected(n, &self.key_path(key), "a boolean", other)),
            })
            .transpose()
    }

    pub fn date(&self, key: &str) -> Result<NaiveDate> {
        as_date(self.required(key)?, &self.key_path(key))
    }

    pub fn opt_date(&self, key: &str) -> Result<Option<NaiveDate>> {
        self.get(key)
            .map(|n| as_date(n, &self.key_path(key)))
            .transpose()
    }

    pub fn dist(&self, key: &str) -> Result<Dist> {
        Dist::from_node(self.required(key)?, &self.key_path(key))
    }

    pub fn opt_dist(&self, key: &str) -> Result<Option<Dist>> {
        self.get(key)
            .map(|n| Dist::from_node(n, &self.key_path(key)))
            .transpose()
    }

    pub fn table(&self, key: &str) -> Result<TableReader<'a>> {
        TableReader::new(self.required(key)?, &self.key_path(key))
    }

    pub fn opt_table(&self, key: &str) -> Result<Option<TableReader<'a>>> {
        self.get(key)
            .map(|n| TableReader::new(n, &self.key_path(key)))
            .transpose()
    }

    /// The items of an array at `key` (empty when absent), each with its key path.
    pub fn array(&self, key: &str) -> Result<Vec<(&'a Node, String)>> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(node) => as_array(node, &self.key_path(key)),
        }
    }
}

/// The items of an array, each with a key path naming it by `id` where it has one.
pub fn as_array<'a>(node: &'a Node, path: &str) -> Result<Vec<(&'a Node, String)>> {
    match &node.value {
        Value::Array(items) => Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let label = match &item.value {
                    Value::Table(t) => match t.get("id").map(|e| &e.node.value) {
                        // An entry is named by its id only where the id can name it.
                        Some(Value::String(id)) if super::resolve::ids::well_formed(id) => {
                            id.clone()
                        }
                        _ => i.to_string(),
                    },
                    _ => i.to_string(),
                };
                (item, format!("{path}[{label}]"))
            })
            .collect()),
        other => Err(expected(node, path, "an array", other)),
    }
}

pub fn expected(node: &Node, path: &str, what: &str, found: &Value) -> ScenarioError {
    ScenarioError::at(
        &node.origin,
        path,
        format!("expected {what}, found {}", found.type_name()),
    )
}

/// A number, checked against its key's range (`spec`): finite, in range.
pub fn as_f64(node: &Node, path: &str) -> Result<f64> {
    let v = match &node.value {
        Value::Integer(i) => *i as f64,
        Value::Float(f) => *f,
        other => return Err(expected(node, path, "a number", other)),
    };
    spec::check_number(node, path, v)
}

/// A non-negative integer, checked against its key's range (`spec`).
pub fn as_u64(node: &Node, path: &str) -> Result<u64> {
    match &node.value {
        Value::Integer(i) if *i >= 0 => {
            spec::check_number(node, path, *i as f64)?;
            Ok(*i as u64)
        }
        Value::Integer(_) => Err(ScenarioError::at(
            &node.origin,
            path,
            "expected a non-negative integer",
        )),
        other => Err(expected(node, path, "a non-negative integer", other)),
    }
}

pub fn as_str<'a>(node: &'a Node, path: &str) -> Result<&'a str> {
    match &node.value {
        Value::String(s) => Ok(s),
        other => Err(expected(node, path, "a string", other)),
    }
}

pub fn as_date(node: &Node, path: &str) -> Result<NaiveDate> {
    let text = match &node.value {
        Value::String(s) | Value::Datetime(s) => s,
        other => return Err(expected(node, path, "a date YYYY-MM-DD", other)),
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ScenarioError::at(
            &node.origin,
            path,
            format!("expected a date YYYY-MM-DD, found `{text}`"),
        )
    })?;
    if !(spec::first_date()..=spec::last_date()).contains(&date) {
        return Err(ScenarioError::at(
            &node.origin,
            path,
            format!(
                "expected a date in {} .. {}, found {date}",
                spec::FIRST_DATE,
                spec::LAST_DATE
            ),
        ));
    }
    Ok(date)
}

/// A probability: a number in [0, 1].
pub fn check_probability(node: &Node, path: &str, p: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(ScenarioError::at(
            &node.origin,
            path,
            format!("expected a probability in [0, 1], found {p}"),
        ))
    }
}

pub fn check_non_negative(node: &Node, path: &str, x: f64) -> Result<f64> {
    if x >= 0.0 {
        Ok(x)
    } else {
        Err(ScenarioError::at(
            &node.origin,
            path,
            format!("expected a non-negative number, found {x}"),
        ))
    }
}
