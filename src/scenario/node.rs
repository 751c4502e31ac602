//! The scenario as written: a TOML tree whose every value remembers the file and byte span
//! it came from, so that errors found after `extends` merging still point at the right
//! line of the right file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::error::{Result, ScenarioError};

/// One scenario file's text, kept for line/column lookups and hashing.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// Where a value was written.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Origin {
    /// 1-based line and column of the span's start (column counted in characters).
    pub fn line_column(&self) -> (usize, usize) {
        let text = &self.file.text;
        let at = self.span.start.min(text.len());
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..at].chars().count() + 1;
        (line, column)
    }
}

#[derive(Debug, Clone)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// A TOML date or datetime, kept as written (`2024-06-30`).
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_origin: Origin,
    pub node: Node,
}

/// A TOML table in the order written.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl Value {
    /// What a user would call this value's type, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Arrays of tables that merge by `id` under `extends` (docs/scenario-format.md, Merging).
const ID_KEYED_ARRAYS: &[&str] = &[
    "tier",
    "cohort",
    "occurrence",
    "instrument",
    "budget_line",
    "district",
    "target",
];

/// Reads a scenario file and everything it `extends`, merged into one tree.
///
/// Returns the merged top-level table and the files read, base first.
pub fn load(path: &Path) -> Result<(Node, Vec<Arc<SourceFile>>)> {
    let mut files = Vec::new();
    let node = load_chain(path, &mut Vec::new(), &mut files)?;
    Ok((node, files))
}

/// Longest `extends` chain: deeper is surely a mistake, and each level is a stack frame.
pub const EXTENDS_DEPTH_MAX: usize = 32;
/// Largest scenario file read: a scenario of 100,000 targets is about 10 MiB.
pub const FILE_BYTES_MAX: u64 = 16 << 20;

fn load_chain(
    path: &Path,
    chain: &mut Vec<PathBuf>,
    files: &mut Vec<Arc<SourceFile>>,
) -> Result<Node> {
    let canonical = path.canonicalize().map_err(|e| {
        ScenarioError::file(
            path.to_path_buf(),
            format!("cannot read the scenario file: {e}"),
        )
    })?;
    if chain.len() >= EXTENDS_DEPTH_MAX {
        return Err(ScenarioError::file(
            path.to_path_buf(),
            format!("expected an `extends` chain at most {EXTENDS_DEPTH_MAX} files deep"),
        ));
    }
    if let Some(cycle) = cycle_through(chain, &canonical) {
        return Err(ScenarioError::file(
            path.to_path_buf(),
            format!("`extends` forms a cycle: {cycle}"),
        ));
    }
    let text = read_bounded(path)?;
    let file = Arc::new(SourceFile {
        path: path.to_path_buf(),
        text,
    });
    let mut node = parse(&file)?;
    chain.push(canonical);

    let extends = match &mut node.value {
        Value::Table(t) => {
            let i = t.entries.iter().position(|e| e.key == "extends");
            i.map(|i| t.entries.remove(i))
        }
        _ => None,
    };
    let merged = if let Some(entry) = extends {
        let Value::String(base) = &entry.node.value else {
            return Err(ScenarioError::at(
                &entry.node.origin,
                "extends",
                format!(
                    "expected a string (path of the base scenario), found {}",
                    entry.node.value.type_name()
                ),
            ));
        };
        let base_path = path.parent().unwrap_or(Path::new(".")).join(base);
        if !base_path.exists() {
            return Err(ScenarioError::at(
                &entry.node.origin,
                "extends",
                format!("base scenario `{}` does not exist", base_path.display()),
            ));
        }
        if !base_path.is_file() {
            return Err(ScenarioError::at(
                &entry.node.origin,
                "extends",
                format!(
                    "expected a regular file as the base scenario, found `{}` (a device, pipe or directory)",
                    base_path.display()
                ),
            ));
        }
        if chain.len() >= EXTENDS_DEPTH_MAX {
            return Err(ScenarioError::at(
                &entry.node.origin,
                "extends",
                format!("expected an `extends` chain at most {EXTENDS_DEPTH_MAX} files deep"),
            ));
        }
        // A cycle is reported at the `extends` that closes it, with its line and column.
        if let Some(cycle) = base_path
            .canonicalize()
            .ok()
            .and_then(|base| cycle_through(chain, &base))
        {
            return Err(ScenarioError::at(
                &entry.node.origin,
                "extends",
                format!("expected a base scenario that does not extend this one; `extends` forms a cycle: {cycle}"),
            ));
        }
        let base = load_chain(&base_path, chain, files)?;
        merge(base, node, "")
    } else {
        node
    };
    chain.pop();
    files.push(file);
    Ok(merged)
}

/// A scenario file's text: only a regular file (not `/dev/zero`, a FIFO or a
/// directory), and at most `FILE_BYTES_MAX` bytes, however long the file grows.
fn read_bounded(path: &Path) -> Result<String> {
    use std::io::Read;
    let refuse = |what: String| ScenarioError::file(path.to_path_buf(), what);
    let meta = std::fs::metadata(path)
        .map_err(|e| refuse(format!("cannot read the scenario file: {e}")))?;
    if !meta.is_file() {
        return Err(refuse(
            "expected a regular file as a scenario (not a device, pipe or directory)".into(),
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| refuse(format!("cannot read the scenario file: {e}")))?;
    let mut bytes = Vec::new();
    file.take(FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refuse(format!("cannot read the scenario file: {e}")))?;
    if bytes.len() as u64 > FILE_BYTES_MAX {
        return Err(refuse(format!(
            "expected a scenario file of at most {} MiB",
            FILE_BYTES_MAX >> 20
        )));
    }
    String::from_utf8(bytes)
        .map_err(|e| refuse(format!("cannot read the scenario file: not UTF-8 ({e})")))
}

/// The chain of files closed into a cycle by extending `next`, if `next` is already on
/// it: `a -> b -> a`.
fn cycle_through(chain: &[PathBuf], next: &Path) -> Option<String> {
    chain.iter().any(|p| p == next).then(|| {
        chain
            .iter()
            .map(|p| p.as_path())
            .chain(std::iter::once(next))
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    })
}

/// Parses one file's text into a spanned tree.
pub fn parse(file: &Arc<SourceFile>) -> Result<Node> {
    let table = DeTable::parse(&file.text).map_err(|e| {
        let origin = Origin {
            file: file.clone(),
            span: e.span().unwrap_or(0..0),
        };
        ScenarioError::at(
            &origin,
            "",
            format!("not valid TOML: {}", e.message().trim()),
        )
    })?;
    let span = table.span();
    Ok(Node {
        value: Value::Table(convert_table(file, table.into_inner(), "")?),
        origin: Origin {
            file: file.clone(),
            span,
        },
    })
}

/// `path` is the key path of the table (`""` at the top), spelled as the resolver spells
/// it (`tier[unicorn].routes[0]`), so that a value refused here names its key.
fn convert_table(file: &Arc<SourceFile>, table: DeTable<'_>, path: &str) -> Result<Table> {
    let mut entries = Vec::with_capacity(table.len());
    for (key, value) in table {
        let key_origin = Origin {
            file: file.clone(),
            span: key.span(),
        };
        let key = key.into_inner().into_owned();
        let key_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        entries.push(Entry {
            node: convert_value(file, value, &key_path)?,
            key,
            key_origin,
        });
    }
    Ok(Table { entries })
}

/// An array element's label in a key path: its `id` if it is a table with one (as
/// `read::as_array` labels it), else its index.
fn element_label(value: &DeValue<'_>, index: usize) -> String {
    let id = match value {
        DeValue::Table(t) => t.iter().find(|(k, _)| k.get_ref() == "id"),
        _ => None,
    };
    match id.map(|(_, v)| v.get_ref()) {
        Some(DeValue::String(id)) => id.to_string(),
        _ => index.to_string(),
    }
}

fn convert_value(file: &Arc<SourceFile>, value: Spanned<DeValue<'_>>, path: &str) -> Result<Node> {
    let origin = Origin {
        file: file.clone(),
        span: value.span(),
    };
    let value = match value.into_inner() {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(v) => Value::Integer(v),
            Err(_) => {
                return Err(ScenarioError::at(
                    &origin,
                    path,
                    format!(
                        "expected an integer in {}..={}, found {}",
                        i64::MIN,
                        i64::MAX,
                        i.as_str()
                    ),
                ))
            }
        },
        // NaN and infinities are kept: the reader of the key refuses them naming its
        // key path, which this parser does not know.
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(v) => Value::Float(v),
            Err(_) => {
                return Err(ScenarioError::at(
                    &origin,
                    path,
                    format!("expected a number, found {}", f.as_str()),
                ))
            }
        },
        DeValue::Boolean(b) => Value::Boolean(b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            for (i, v) in a.into_iter().enumerate() {
                let label = element_label(v.get_ref(), i);
                items.push(convert_value(file, v, &format!("{path}[{label}]"))?);
            }
            Value::Array(items)
        }
        DeValue::Table(t) => Value::Table(convert_table(file, t, path)?),
    };
    Ok(Node { value, origin })
}

/// Merges `over` onto `base` as docs/scenario-format.md (Merging) says: tables key by key, id-keyed arrays of
/// tables entry by entry, anything else (and a table that is one value, see
/// `is_one_value`) replaced by the extending file's value.
fn merge(base: Node, over: Node, key: &str) -> Node {
    match (base.value, over.value) {
        (Value::Table(b), Value::Table(o)) if !is_one_value(key, &o) => Node {
            value: Value::Table(merge_tables(b, o)),
            origin: over.origin,
        },
        (Value::Array(b), Value::Array(o)) if ID_KEYED_ARRAYS.contains(&key) => Node {
            value: Value::Array(merge_by_id(b, o)),
            origin: over.origin,
        },
        (_, value) => Node {
            value,
            origin: over.origin,
        },
    }
}

/// Tables that are one value rather than a set of settings: a distribution (it has a
/// `dist` key), an instrument's `trigger` and `funding` shares, and a placement's
/// `districts` weights. An override replaces them whole; merged, they would keep keys of
/// the base's value (a normal's `sd` under a new uniform, a funder or a district the new
/// shares leave out). Per-tier maps and appropriations by year still merge key by key.
fn is_one_value(key: &str, table: &Table) -> bool {
    table.get("dist").is_some() || matches!(key, "trigger" | "funding" | "districts")
}

fn merge_tables(mut base: Table, over: Table) -> Table {
    // Positions by key: a linear scan per key would be quadratic in a table's size.
    let position: BTreeMap<String, usize> = base
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.clone(), i))
        .collect();
    for entry in over.entries {
        match position.get(&entry.key).copied() {
            Some(i) => {
                let old = std::mem::replace(&mut base.entries[i].node, placeholder(&entry.node));
                let node = merge(old, entry.node, &entry.key);
                base.entries[i] = Entry {
                    key: entry.key,
                    key_origin: entry.key_origin,
                    node,
                };
            }
            None => base.entries.push(entry),
        }
    }
    base
}

fn entry_id(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Table(t) => match t.get("id").map(|e| &e.node.value) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn merge_by_id(mut base: Vec<Node>, over: Vec<Node>) -> Vec<Node> {
    // The first entry of each id, as a scan from the start would find it.
    let mut position: BTreeMap<String, usize> = BTreeMap::new();
    for (i, b) in base.iter().enumerate() {
        if let Some(id) = entry_id(b) {
            position.entry(id.to_string()).or_insert(i);
        }
    }
    for item in over {
        match entry_id(&item).and_then(|id| position.get(id).copied()) {
            Some(i) => {
                let old = std::mem::replace(&mut base[i], placeholder(&item));
                base[i] = merge(old, item, "");
            }
            None => {
                if let Some(id) = entry_id(&item) {
                    position.entry(id.to_string()).or_insert(base.len());
                }
                base.push(item);
            }
        }
    }
    base
}

/// A cheap value to hold a slot while its node is moved out to be merged.
fn placeholder(like: &Node) -> Node {
    Node {
        value: Value::Boolean(false),
        origin: like.origin.clone(),
    }
}

/// The merged tree as plain TOML/JSON data (for `check` and the manifest).
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::String(s) => J::String(s.clone()),
        Value::Integer(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Boolean(b) => J::Bool(*b),
        Value::Datetime(d) => J::String(d.clone()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Table(t) => {
            let map: serde_json::Map<String, J> = t
                .entries
                .iter()
                .map(|e| (e.key.clone(), to_json(&e.node)))
                .collect();
            J::Object(map)
        }
    }
}

/// The merged tree as a TOML value, for printing.
pub fn to_toml(node: &Node) -> toml::Value {
    match &node.value {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Integer(i) => toml::Value::Integer(*i),
        Value::Float(f) => toml::Value::Float(*f),
        Value::Boolean(b) => toml::Value::Boolean(*b),
        Value::Datetime(d) => d
            .parse()
            .map(toml::Value::Datetime)
            .unwrap_or_else(|_| toml::Value::String(d.clone())),
        Value::Array(a) => toml::Value::Array(a.iter().map(to_toml).collect()),
        Value::Table(t) => {
            let map: toml::map::Map<String, toml::Value> = t
                .entries
                .iter()
                .map(|e| (e.key.clone(), to_toml(&e.node)))
                .collect();
            toml::Value::Table(map)
        }
    }
}

/// A canonical form that does not depend on the order keys were written or merged in
/// (serde_json's map keeps keys sorted): what the scenario hash is computed over.
pub fn canonical_json(node: &Node) -> String {
    to_json(node).to_string()
}
