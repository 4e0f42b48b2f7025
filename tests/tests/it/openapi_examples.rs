//! The OpenAPI document's examples: every request body and every 2xx JSON answer
//! carries one, and every example in the document (of a body, an answer, a parameter, a
//! schema or a field) validates against its own schema, formats included, with the
//! references resolved against the document's components.

use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn document() -> Value {
    serde_json::from_str(&wpt_api::openapi_json()).expect("json")
}

fn is_json(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim();
    media == "application/json" || media.ends_with("+json")
}

/// The errors of `instance` against `schema`, whose references point into `doc`.
fn errors(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "$defs": {"checked": schema},
        "$ref": "#/$defs/checked",
    });
    let validator = match jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
    {
        Ok(v) => v,
        Err(e) => return vec![format!("the schema does not compile: {e}")],
    };
    validator
        .iter_errors(instance)
        .map(|e| format!("{e} (at `{}`)", e.instance_path()))
        .collect()
}

/// The examples a schema object or media type states, `example` and `examples` alike.
fn stated(holder: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = holder.get("example").into_iter().cloned().collect();
    match holder.get("examples") {
        // A schema's `examples` is a list of values.
        Some(Value::Array(values)) => out.extend(values.iter().cloned()),
        // A media type's or parameter's is a map of Example objects.
        Some(Value::Object(named)) => {
            out.extend(named.values().filter_map(|e| e.get("value").cloned()))
        }
        _ => {}
    }
    out
}

/// Checks every example stated inside `schema` (at any depth) against the subschema
/// that states it.
fn walk_schema(doc: &Value, schema: &Value, at: &str, problems: &mut Vec<String>) {
    let Value::Object(map) = schema else { return };
    for example in stated(schema) {
        for e in errors(doc, schema, &example) {
            problems.push(format!("{at}: example {example}: {e}"));
        }
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (name, p) in props {
            walk_schema(doc, p, &format!("{at}.{name}"), problems);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(s) = map.get(key) {
            walk_schema(doc, s, &format!("{at}/{key}"), problems);
        }
    }
    for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
        for (i, s) in map
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            walk_schema(doc, s, &format!("{at}/{key}/{i}"), problems);
        }
    }
}

#[test]
fn every_request_body_and_2xx_json_answer_has_an_example_that_validates() {
    let doc = document();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_uppercase());
            let mut contents = Vec::new();
            if let Some(content) = op["requestBody"]["content"].as_object() {
                contents.extend(
                    content
                        .iter()
                        .map(|(m, c)| ("request body".to_owned(), m, c, true)),
                );
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                if let Some(content) = response["content"].as_object() {
                    let required = status.starts_with('2');
                    contents.extend(
                        content
                            .iter()
                            .map(|(m, c)| (status.clone(), m, c, required)),
                    );
                }
            }
            for (what, media, content, required) in contents {
                if !is_json(media) {
                    continue;
                }
                let examples = stated(content);
                if examples.is_empty() && required {
                    let why = wpt_api::spec::compose_example(
                        &doc,
                        &content["schema"],
                        what == "request body",
                    )
                    .err()
                    .unwrap_or_default();
                    problems.push(format!("{name} {what} ({media}): no example; {why}"));
                }
                for example in examples {
                    checked += 1;
                    for e in errors(&doc, &content["schema"], &example) {
                        problems.push(format!("{name} {what} ({media}): {e}"));
                    }
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                for example in stated(param) {
                    for e in errors(&doc, &param["schema"], &example) {
                        problems.push(format!("{name} parameter {}: {e}", param["name"]));
                    }
                }
                walk_schema(
                    &doc,
                    &param["schema"],
                    &format!("{name} parameter {}", param["name"]),
                    &mut problems,
                );
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 60, "examples checked: {checked}");
}

#[test]
fn every_example_stated_in_a_schema_validates_against_it() {
    let doc = document();
    let mut problems = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        walk_schema(&doc, schema, name, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_wrong_example_is_caught() {
    let doc = document();
    let wrong = json!({"code": "not a code", "name": "x"});
    assert!(
        !errors(
            &doc,
            &json!({"$ref": "#/components/schemas/CreateBody"}),
            &wrong
        )
        .is_empty()
    );
    let bad_date = json!("2026-13-45");
    assert!(
        !errors(
            &doc,
            &json!({"type": "string", "format": "date"}),
            &bad_date
        )
        .is_empty()
    );
}
