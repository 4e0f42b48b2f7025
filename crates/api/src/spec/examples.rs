//! An example for every request body and every 2xx JSON answer, composed from its
//! schema, so `/docs` and generated clients show real-looking data. The values come
//! from the fields themselves (`#[schema(example = ...)]` beside each field, or on a
//! type for a whole object, as the PATCH bodies do; an enum's in `wpt_domain::enums`:
//! utoipa drops an example beside a reference); what a type or format determines
//! (numbers, booleans, UUIDs, dates) is filled in here, and a nullable field without an
//! example of its own is `null`. A plain text field with no example has no value to
//! give: composing fails there and names the field, and the contract test
//! (`tests/tests/it/openapi_examples.rs`) fails with that name.

use serde_json::{Map, Value};
use utoipa::openapi::{Content, OpenApi, RefOr};

/// How deep a composed example may nest (the schemas have no cycles; this bounds a
/// mistake).
const MAX_DEPTH: usize = 16;

/// Sets `example` on the JSON content of every request body and 2xx answer that has
/// none and whose schema can be composed.
pub(super) fn add(spec: &mut OpenApi) {
    let Ok(doc) = serde_json::to_value(&*spec) else {
        return;
    };
    for item in spec.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                for (media, content) in body.content.iter_mut() {
                    if let RefOr::T(content) = content {
                        fill(&doc, media, content, true);
                    }
                }
            }
            for (status, response) in op.responses.responses.iter_mut() {
                if let (true, RefOr::T(response)) = (status.starts_with('2'), response) {
                    for (media, content) in response.content.iter_mut() {
                        if let RefOr::T(content) = content {
                            fill(&doc, media, content, false);
                        }
                    }
                }
            }
        }
    }
}

fn fill(doc: &Value, media: &str, content: &mut Content, request: bool) {
    if !is_json(media) || content.example.is_some() || !content.examples.is_empty() {
        return;
    }
    let Some(schema) = content
        .schema
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
    else {
        return;
    };
    if let Ok(example) = compose(doc, &schema, request) {
        content.example = Some(example);
    }
}

/// Whether a media type is JSON (`application/json`, `application/problem+json`).
pub fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    media == "application/json" || media.ends_with("+json")
}

/// An example of `schema`, its references resolved against `doc`; for a `request`
/// body, optional fields that would be `null` are left out (in a PATCH body `null`
/// clears a field). `Err` names the first field that has no example to give, as
/// `Schema.field[].field`.
pub fn compose(doc: &Value, schema: &Value, request: bool) -> Result<Value, String> {
    Composer { doc, request }.value(schema, &Place::default(), 0)
}

/// Where in the schemas a value is composed: for error messages, and for the UUIDs,
/// which follow the field's name so that the same id reads the same everywhere (an
/// activity's `id` is every `activity_id`).
#[derive(Default, Clone)]
struct Place {
    /// `Schema.field[].field`.
    at: String,
    /// The field's name.
    field: String,
    /// The component the field belongs to.
    owner: String,
}

struct Composer<'a> {
    doc: &'a Value,
    request: bool,
}

impl Composer<'_> {
    fn value(&self, s: &Value, place: &Place, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{}: nested too deep", place.at));
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or(r);
            let target = self
                .doc
                .pointer(r.trim_start_matches('#'))
                .ok_or_else(|| format!("{}: unresolved {r}", place.at))?;
            let at = if place.at.is_empty() {
                name.to_owned()
            } else {
                place.at.clone()
            };
            let inner = Place {
                at,
                field: place.field.clone(),
                owner: name.to_owned(),
            };
            return self.value(target, &inner, depth + 1);
        }
        if let Some(example) = s.get("example") {
            return Ok(example.clone());
        }
        if let Some(example) = s
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return Ok(example.clone());
        }
        if let Some(value) = s.get("const") {
            return Ok(value.clone());
        }
        if let Some(value) = s
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|v| !v.is_null()))
        {
            return Ok(value.clone());
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = s.get(key).and_then(Value::as_array) {
                return self.alternatives(alternatives, place, depth);
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            let mut merged = Map::new();
            for part in all {
                if let Value::Object(fields) = self.value(part, place, depth + 1)? {
                    merged.extend(fields);
                }
            }
            return Ok(Value::Object(merged));
        }
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if types.contains(&"null") {
            // No example of its own: show the field empty rather than invent a value
            // (a `closed_at` on an open cycle).
            return Ok(Value::Null);
        }
        match types.first().copied() {
            Some("object") => self.object(s, place, depth),
            Some("array") => self.array(s, place, depth),
            Some("string") => string(s, place),
            Some("integer") => Ok(Value::from(number(s).round() as i64)),
            Some("number") => Ok(Value::from(number(s))),
            Some("boolean") => Ok(Value::Bool(false)),
            None if s.get("properties").is_some() => self.object(s, place, depth),
            // Any value (`serde_json::Value` fields).
            None => Ok(Value::Object(Map::new())),
            Some(other) => Err(format!("{}: no example for type {other}", place.at)),
        }
    }

    fn alternatives(
        &self,
        alternatives: &[Value],
        place: &Place,
        depth: usize,
    ) -> Result<Value, String> {
        let mut first_error = None;
        let mut nullable = false;
        for alternative in alternatives {
            if alternative.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
                continue;
            }
            match self.value(alternative, place, depth + 1) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(_) if nullable => Ok(Value::Null),
            Some(e) => Err(e),
            None => Ok(Value::Null),
        }
    }

    fn object(&self, s: &Value, place: &Place, depth: usize) -> Result<Value, String> {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Map::new();
        for (name, property) in s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let inner = Place {
                at: format!("{}.{name}", place.at),
                field: name.clone(),
                owner: place.owner.clone(),
            };
            let value = self.value(property, &inner, depth + 1)?;
            if self.request && value.is_null() && !required.contains(&name.as_str()) {
                continue;
            }
            out.insert(name.clone(), value);
        }
        Ok(Value::Object(out))
    }

    fn array(&self, s: &Value, place: &Place, depth: usize) -> Result<Value, String> {
        let Some(items) = s.get("items") else {
            return Ok(Value::Array(Vec::new()));
        };
        let inner = Place {
            at: format!("{}[]", place.at),
            ..place.clone()
        };
        let item = self.value(items, &inner, depth + 1)?;
        let count = s
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(1)
            .max(1);
        Ok(Value::Array(vec![item; count as usize]))
    }
}

/// A number within the schema's bounds: its minimum, else 1 (0 when the maximum is
/// below 1).
fn number(s: &Value) -> f64 {
    let mut n = s
        .get("minimum")
        .and_then(Value::as_f64)
        .or_else(|| {
            s.get("exclusiveMinimum")
                .and_then(Value::as_f64)
                .map(|m| m + 1.0)
        })
        .unwrap_or(1.0);
    if let Some(max) = s.get("maximum").and_then(Value::as_f64) {
        n = n.min(max);
    }
    n
}

/// A string its format determines; a plain text has none.
fn string(s: &Value, place: &Place) -> Result<Value, String> {
    let value = match s.get("format").and_then(Value::as_str) {
        Some("uuid") => uuid(place),
        Some("date") => "2026-06-30".to_owned(),
        Some("date-time") => "2026-06-30T09:30:00Z".to_owned(),
        Some("email") => "officer.dgicm@demo.wpt".to_owned(),
        Some("uri" | "url") => "https://example.org/evidence/report.pdf".to_owned(),
        Some("password") => "correct-horse-battery-staple".to_owned(),
        _ => {
            return Err(format!(
                "{}: a text with no example (add #[schema(example = ...)] to the field)",
                place.at
            ));
        }
    };
    Ok(Value::String(value))
}

/// A version-7-shaped UUID named after the field (`activity_id`; an `id` after its
/// component: `Activity.id` is `activity_id`), the same wherever that name appears.
fn uuid(place: &Place) -> String {
    let key = if place.field == "id" {
        format!("{}_id", snake(&place.owner))
    } else {
        place.field.clone()
    };
    // FNV-1a: stable across builds and platforms.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("0192f3a0-5c1e-7d2b-9a4f-{:012x}", hash & 0xffff_ffff_ffff)
}

/// `WorkPlanBody` -> `work_plan_body`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn composes_from_field_examples_types_and_formats() {
        let doc = json!({"components": {"schemas": {
            "Activity": {"type": "object", "required": ["id", "code", "open"], "properties": {
                "id": {"type": "string", "format": "uuid"},
                "code": {"type": "string", "example": "A.a.1"},
                "open": {"type": "boolean"},
                "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                "count": {"type": "integer", "minimum": 0},
                "note": {"type": ["string", "null"]},
            }},
        }}});
        let example = compose(
            &doc,
            &json!({"$ref": "#/components/schemas/Activity"}),
            true,
        )
        .expect("composed");
        assert_eq!(example["code"], "A.a.1");
        assert_eq!(example["open"], false);
        assert_eq!(example["count"], 0);
        assert!(example.get("percent").is_none(), "{example}");
        assert!(example.get("note").is_none(), "{example}");
        let activity_id = compose(
            &doc,
            &json!({"type": "object", "properties": {"activity_id": {"type": "string", "format": "uuid"}}}),
            false,
        )
        .expect("composed");
        assert_eq!(example["id"], activity_id["activity_id"]);
    }

    #[test]
    fn a_plain_text_without_an_example_is_named() {
        let doc = json!({"components": {"schemas": {
            "Body": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        }}});
        let err = compose(&doc, &json!({"$ref": "#/components/schemas/Body"}), false)
            .expect_err("Body.name has no example");
        assert!(err.starts_with("Body.name:"), "{err}");
    }
}
