//! One CSV file of an actuals folder, read row by row with the position of every field,
//! so that each check can say where it failed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::error::{ActualsError, Result};
use crate::scenario::spec;

/// The rows of one file, its columns checked against what the file may hold.
pub struct Table {
    pub file: PathBuf,
    columns: BTreeMap<String, usize>,
    names: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

/// One row of a `Table`: its fields by column name, each check naming line and column.
pub struct Row<'t> {
    table: &'t Table,
    pub line: u64,
    record: &'t csv::StringRecord,
}

impl Table {
    /// Reads `dir/name`; `None` when the file is absent (every file is optional).
    /// `required` columns must be in the header, and every header must be one of
    /// `required` or `optional` (a misspelt column would otherwise be silently empty).
    pub fn read(
        dir: &Path,
        name: &str,
        required: &[&str],
        optional: &[&str],
    ) -> Result<Option<Table>> {
        let file = dir.join(name);
        if !file.exists() {
            return Ok(None);
        }
        let err = |line: u64, column: usize, message: String| ActualsError {
            file: file.clone(),
            line,
            column,
            column_name: String::new(),
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(&file)
            .map_err(|e| ActualsError::file(file.clone(), format!("cannot read: {e}")))?;
        let header = reader
            .headers()
            .map_err(|e| err(1, 0, format!("cannot read the header row: {e}")))?
            .clone();
        let names: Vec<String> = header.iter().map(str::to_string).collect();
        let mut columns = BTreeMap::new();
        for (k, h) in names.iter().enumerate() {
            if !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
                let mut known = required.to_vec();
                known.extend_from_slice(optional);
                return Err(err(
                    1,
                    k + 1,
                    format!("unknown column `{h}`; expected one of {}", known.join(", ")),
                ));
            }
            if columns.insert(h.clone(), k).is_some() {
                return Err(err(1, k + 1, format!("column `{h}` appears twice")));
            }
        }
        if let Some(missing) = required.iter().find(|c| !columns.contains_key(**c)) {
            return Err(err(1, 0, format!("missing column `{missing}`")));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, 0, format!("not a well-formed CSV row: {e}"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record));
        }
        Ok(Some(Table {
            file,
            columns,
            names,
            rows,
        }))
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, record)| Row {
            table: self,
            line: *line,
            record,
        })
    }
}

/// What a number in an actuals file may hold: the ranges of the scenario format
/// (docs/scenario-format.md, "Valid ranges"), so that a ledger's typo of a few zeros is
/// refused as a scenario's is, and sums of amounts stay finite.
#[derive(Debug, Clone, Copy)]
pub enum Range {
    /// Yuan: [0, `spec::MONEY_MAX`].
    Money,
    /// A valuation: [0, `spec::NUMBER_MAX`], as a tier route's.
    Valuation,
    /// An observed quantity: [-`spec::NUMBER_MAX`, `spec::NUMBER_MAX`].
    Any,
}

impl Range {
    fn bounds(self) -> (f64, f64, &'static str) {
        match self {
            Range::Money => (0.0, spec::MONEY_MAX, "[0, 1e12] (yuan)"),
            Range::Valuation => (0.0, spec::NUMBER_MAX, "[0, 1e15]"),
            Range::Any => (-spec::NUMBER_MAX, spec::NUMBER_MAX, "[-1e15, 1e15]"),
        }
    }
}

impl<'t> Row<'t> {
    /// An error about `column` of this row.
    pub fn error(&self, column: &str, message: impl Into<String>) -> ActualsError {
        self.table.error_at(self.line, column, message)
    }

    /// The field, `None` when the column is absent or the field empty.
    pub fn optional(&self, column: &str) -> Option<&'t str> {
        let k = *self.table.columns.get(column)?;
        self.record.get(k).filter(|v| !v.is_empty())
    }

    pub fn required(&self, column: &str) -> Result<&'t str> {
        self.optional(column)
            .ok_or_else(|| self.error(column, "expected a value, found an empty field"))
    }

    pub fn date(&self, column: &str) -> Result<Option<NaiveDate>> {
        self.optional(column)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    .filter(|d| (spec::first_date()..=spec::last_date()).contains(d))
                    .ok_or_else(|| {
                        self.error(
                            column,
                            format!(
                                "expected a date YYYY-MM-DD that exists, from {} to {}, found `{v}`",
                                spec::FIRST_DATE,
                                spec::LAST_DATE
                            ),
                        )
                    })
            })
            .transpose()
    }

    pub fn required_date(&self, column: &str) -> Result<NaiveDate> {
        self.required(column)?;
        Ok(self.date(column)?.expect("a required field is present"))
    }

    /// A finite number in `range` (the scenario format's: `Money`, `Valuation`, `Any`).
    pub fn number(&self, column: &str, range: Range) -> Result<Option<f64>> {
        let (lo, hi, text) = range.bounds();
        self.optional(column)
            .map(|v| match v.parse::<f64>() {
                Ok(x) if x.is_finite() && (lo..=hi).contains(&x) => Ok(x),
                _ => Err(self.error(column, format!("expected a number in {text}, found `{v}`"))),
            })
            .transpose()
    }

    pub fn boolean(&self, column: &str) -> Result<Option<bool>> {
        self.optional(column)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(self.error(column, format!("expected true or false, found `{v}`"))),
            })
            .transpose()
    }
}

impl Table {
    /// An error about `column` of the row on `line`.
    pub fn error_at(&self, line: u64, column: &str, message: impl Into<String>) -> ActualsError {
        let k = self.columns.get(column).copied();
        ActualsError {
            file: self.file.clone(),
            line,
            column: k.map_or(0, |k| k + 1),
            column_name: k.map_or(String::new(), |k| self.names[k].clone()),
            message: message.into(),
        }
    }
}
