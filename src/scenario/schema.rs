//! The JSON Schema of the scenario format (docs/scenario.schema.json), generated from
//! `spec::KEYS` so that an editor's completion and inline errors (Taplo, "Even Better
//! TOML") say what `check` says: every key with its type, range, string values, default
//! and meaning; an unknown key is flagged. A test keeps the committed file equal to it.
//!
//! No key is required: a file that `extends` a base writes only the keys it changes, and
//! the schema sees one file at a time. What only the merged scenario can tell (a missing
//! key, an unknown tier id, dates out of order) is left to `check`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::dist::DISTRIBUTIONS;
use super::spec::{
    self, KeySpec, Kind, DATA_KEY_PATTERNS, DATE_ARRAYS, KEYS, LOCATION_PARAMETERS, NUMBER_MAX,
    TABLE_ARRAYS,
};

/// A date `check` reads: `YYYY-MM-DD` from 1900 to 2200 (`spec::FIRST_DATE`,
/// `spec::LAST_DATE`), as a TOML date or a string.
const DATE_PATTERN: &str = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$";

/// The schema, draft-07 (what Taplo validates reliably).
pub fn json_schema() -> Value {
    let mut root = Shape::default();
    for k in KEYS {
        root.insert(k.key, k);
    }
    let mut schema = root.schema("");
    let top = schema
        .as_object_mut()
        .expect("the root Shape has keys, so `schema` made it a table (an object)");
    top.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    top.insert("title".into(), json!("policysim scenario"));
    top.insert(
        "description".into(),
        json!("A policysim scenario file (docs/scenario-format.md). No key is required: a file that `extends` a base writes only what it changes; `policysim check` validates the merged scenario."),
    );
    top.insert(
        "definitions".into(),
        json!({ "distribution": distribution() }),
    );
    schema
}

/// The tree of key patterns: a node is a key, a table of keys, a table of data keys
/// (`*`), or a key that may be either (`occurrence.probability`).
#[derive(Default)]
struct Shape {
    spec: Option<&'static KeySpec>,
    keys: BTreeMap<String, Shape>,
    data: Option<Box<Shape>>,
}

impl Shape {
    fn insert(&mut self, pattern: &str, spec: &'static KeySpec) {
        let mut node = self;
        for part in pattern.split('.') {
            node = if part == "*" {
                node.data.get_or_insert_with(Box::default)
            } else {
                node.keys.entry(part.to_string()).or_default()
            };
        }
        node.spec = Some(spec);
    }

    /// The schema of the node at `path` (a key pattern, `""` for the root).
    fn schema(&self, path: &str) -> Value {
        let mut choices = Vec::new();
        if let Some(spec) = self.spec {
            choices.push(leaf(spec, path));
        }
        if !self.keys.is_empty() || self.data.is_some() {
            let table = self.table(path);
            choices.push(if TABLE_ARRAYS.contains(&path) {
                json!({ "type": "array", "items": table })
            } else {
                table
            });
        }
        match <[Value; 1]>::try_from(choices) {
            Ok([one]) => one,
            Err(choices) => json!({ "anyOf": choices }),
        }
    }

    fn table(&self, path: &str) -> Value {
        let child = |key: &str| match path {
            "" => key.to_string(),
            _ => format!("{path}.{key}"),
        };
        let properties: Map<String, Value> = self
            .keys
            .iter()
            .map(|(key, shape)| (key.clone(), shape.schema(&child(key))))
            .collect();
        let mut table = json!({ "type": "object", "properties": properties });
        let data_path = child("*");
        let extra = match &self.data {
            Some(data) => data.schema(&data_path),
            None => json!(false),
        };
        let pattern = DATA_KEY_PATTERNS.iter().find(|(key, _)| *key == data_path);
        let t = table
            .as_object_mut()
            .expect("`table` was made by json!({ ... }) just above, an object");
        match pattern {
            Some((_, regex)) => {
                t.insert("patternProperties".into(), json!({ *regex: extra }));
                t.insert("additionalProperties".into(), json!(false));
            }
            None => {
                t.insert("additionalProperties".into(), extra);
            }
        }
        table
    }
}

/// The schema of one key, with its meaning and default.
fn leaf(k: &KeySpec, path: &str) -> Value {
    let mut schema = match k.kind {
        Kind::Integer => number(k, "integer"),
        Kind::Number => number(k, "number"),
        Kind::NumberOrDist => json!({ "anyOf": [number(k, "number"), distribution_within(k)] }),
        Kind::Date => date(),
        Kind::String if k.values.is_empty() => json!({ "type": "string" }),
        Kind::String => json!({ "type": "string", "enum": k.values }),
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::Table => json!({ "type": "object" }),
        Kind::Array if DATE_ARRAYS.contains(&path) => json!({ "type": "array", "items": date() }),
        Kind::Array => json!({ "type": "array", "items": { "type": "string" } }),
    };
    let s = schema
        .as_object_mut()
        .expect("every arm of the match above makes an object with json!({ ... })");
    let mut description = k.doc.to_string();
    match default_value(k) {
        Some(v) => {
            s.insert("default".into(), v);
        }
        None if !k.default.is_empty() => {
            description.push_str(&format!(" (default: {})", k.default))
        }
        None => {}
    }
    s.insert("description".into(), json!(description));
    schema
}

/// A default that is a value of the key's type; others (`end + 36 months`) are said in
/// the description.
fn default_value(k: &KeySpec) -> Option<Value> {
    match k.kind {
        Kind::Integer => k.default.parse::<i64>().ok().map(Value::from),
        Kind::Number | Kind::NumberOrDist => k.default.parse::<f64>().ok().map(Value::from),
        Kind::Boolean => k.default.parse::<bool>().ok().map(Value::from),
        Kind::String if k.values.contains(&k.default) => Some(json!(k.default)),
        _ => None,
    }
}

fn number(k: &KeySpec, kind: &str) -> Value {
    let mut schema = json!({ "type": kind, "maximum": k.max });
    let lower = if k.min_exclusive {
        "exclusiveMinimum"
    } else {
        "minimum"
    };
    schema[lower] = json!(k.min);
    schema
}

fn date() -> Value {
    json!({ "type": "string", "format": "date", "pattern": DATE_PATTERN })
}

/// A distribution table whose location parameters lie in the key's range
/// (`spec::LOCATION_PARAMETERS`).
fn distribution_within(k: &KeySpec) -> Value {
    let range = number(k, "number");
    let located: Map<String, Value> = LOCATION_PARAMETERS
        .iter()
        .map(|p| match *p {
            "values" => (p.to_string(), json!({ "items": range })),
            _ => (p.to_string(), range.clone()),
        })
        .collect();
    json!({ "allOf": [{ "$ref": "#/definitions/distribution" }, { "properties": located }] })
}

/// `{ dist = "...", ... }`: one of `dist::DISTRIBUTIONS` with exactly its parameters.
fn distribution() -> Value {
    let bounded = json!({ "type": "number", "minimum": -NUMBER_MAX, "maximum": NUMBER_MAX });
    let branches: Vec<Value> = DISTRIBUTIONS
        .iter()
        .map(|(name, parameters)| {
            let mut properties = Map::new();
            properties.insert("dist".into(), json!({ "const": name }));
            for p in *parameters {
                // A scale or shape parameter has its range (`spec::DIST_PARAMETERS`); a
                // location parameter is bounded here and by its key (`distribution_within`).
                let item = spec::dist_parameter(p)
                    .map_or_else(|| bounded.clone(), |k| number(k, "number"));
                let schema = match *p {
                    "values" | "weights" => {
                        json!({ "type": "array", "items": item, "minItems": 1 })
                    }
                    _ => item,
                };
                properties.insert(p.to_string(), schema);
            }
            let mut required = vec!["dist"];
            required.extend(parameters.iter());
            json!({
                "properties": properties,
                "required": required,
                "additionalProperties": false,
            })
        })
        .collect();
    let names: Vec<&str> = DISTRIBUTIONS.iter().map(|(name, _)| *name).collect();
    json!({
        "type": "object",
        "description": "A distribution: { dist = \"...\", ... } with the parameters of its kind (docs/scenario-format.md)",
        "properties": { "dist": { "enum": names } },
        "required": ["dist"],
        "oneOf": branches,
    })
}
