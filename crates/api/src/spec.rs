//! Conventions every operation shares, applied once to the finished OpenAPI document so
//! no handler can forget them: the answers the extractors give before a handler runs
//! (400, 413 and 415 for request bodies; 422 for path and query parameters; 428 and 412
//! for `If-Match`; 503 for the writes read-only maintenance refuses), the exact shape of
//! an `If-Match` value, and the text rules the server applies to request-body strings.

use std::collections::BTreeSet;

use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Object, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder, Schema};

/// What an `If-Match` header must look like: one strong ETag as the server sends it.
pub const IF_MATCH_PATTERN: &str = r#"^"[0-9]{1,9}"$"#;

/// A code as `check_code` takes it.
pub const CODE_PATTERN: &str = r"^[A-Z0-9.-]{1,40}$";

/// Characters no text field takes (`char::is_control`: C0, DEL and C1 controls), except
/// line breaks and tabs, which multi-line texts may hold.
const CONTROL: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

/// Fields that must hold a non-blank text (`check_text` with `required`).
const NON_BLANK: &[&str] = &[
    "name",
    "title",
    "reason",
    "narrative",
    "baseline",
    "target",
    "text",
];

/// Fields holding a sectoral body's or area's code (`check_code`).
const CODES: &[&str] = &[
    "code",
    "lead_body",
    "area",
    "body",
    "cooperating_bodies",
    "member_bodies",
];

mod examples;

pub use examples::compose as compose_example;

/// Adds the shared answers and the `If-Match` shape to every operation, the text rules
/// to every request body's fields, `security: []` to the public operations, and an
/// example to every request body and 2xx JSON answer.
pub fn apply_conventions(spec: &mut OpenApi) {
    reference_page_items(spec);
    binary_files(spec);
    text_rules(spec);
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
            operation(op);
        }
    }
    crate::maintenance::document(spec);
    examples::add(spec);
}

fn operation(op: &mut Operation) {
    let has_security = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if op.security.is_none() {
        // Public (login, refresh, logout, the probes): say so rather than leave it
        // unsaid. The access test checks that every other operation names `bearer`.
        op.security = Some(Vec::new());
    }
    let mut has_params = false;
    let mut if_match = false;
    for p in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = p {
            match p.parameter_in {
                ParameterIn::Path | ParameterIn::Query => has_params = true,
                ParameterIn::Header if p.name.eq_ignore_ascii_case("if-match") => {
                    if_match = true;
                    shape_if_match(p);
                }
                _ => {}
            }
        }
    }
    if op.request_body.is_some() {
        add(op, "400", "The body is not valid JSON");
        add(op, "413", "The body is larger than 1 MiB");
        add(op, "415", "The body is not sent as application/json");
        add(op, "422", "Invalid fields");
    }
    if has_params {
        add(op, "422", "Invalid path or query parameters");
    }
    if if_match {
        add(op, "428", "If-Match is missing, malformed, or `*`");
        add(
            op,
            "412",
            "If-Match does not name the current version (a well-formed tag that is not it)",
        );
    }
    if has_security {
        add(op, "401", "Not authenticated");
    }
}

fn shape_if_match(p: &mut Parameter) {
    let mut schema = Object::with_type(Type::String);
    schema.pattern = Some(IF_MATCH_PATTERN.into());
    schema.description = Some("The ETag last read, e.g. \"3\"".into());
    p.schema = Some(RefOr::T(Schema::Object(schema)));
}

/// What a file that is neither JSON nor text is: bytes (an XLSX workbook). utoipa spells
/// `Vec<u8>` as an array of integers, which no client should send or expect. A multipart
/// form keeps its object schema (its fields; a file field is already `binary`).
fn binary_files(spec: &mut OpenApi) {
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
                as_bytes(body.content.iter_mut());
            }
            for answer in op.responses.responses.values_mut() {
                if let RefOr::T(answer) = answer {
                    as_bytes(answer.content.iter_mut());
                }
            }
        }
    }
}

fn as_bytes<'a>(contents: impl Iterator<Item = (&'a String, &'a mut RefOr<Content>)>) {
    for (media, content) in contents {
        if let RefOr::T(content) = content
            && !examples::is_json(media)
            && !media.starts_with("text/")
            && !media.starts_with("multipart/")
        {
            let mut bytes = Object::with_type(Type::String);
            bytes.format = Some(SchemaFormat::KnownFormat(KnownFormat::Binary));
            content.schema = Some(RefOr::T(Schema::Object(bytes)));
        }
    }
}

/// `Page<T>` inlines `T` in `Page_T`: point its items at the component `T` instead when
/// they are the same schema, so clients generate one type per resource (and `T` is
/// used even when only a page of it is ever answered).
fn reference_page_items(spec: &mut OpenApi) {
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    let names: Vec<String> = components.schemas.keys().cloned().collect();
    for page in names {
        let Some(item) = page.strip_prefix("Page_") else {
            continue;
        };
        let Some(named) = components
            .schemas
            .get(item)
            .and_then(|s| serde_json::to_value(s).ok())
        else {
            continue;
        };
        if let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(&page)
            && let Some(RefOr::T(Schema::Array(array))) = obj.properties.get_mut("items")
            && let ArrayItems::RefOrSchema(items) = &mut array.items
            && serde_json::to_value(items.as_ref()).ok().as_ref() == Some(&named)
        {
            **items = RefOr::Ref(Ref::from_schema_name(item));
        }
    }
}

/// Documents a problem+json answer `status` of `op`, unless it is documented already.
pub(crate) fn add(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
        });
}

/// The patterns of request-body strings, so that generated and hand-written clients
/// know the rules the server applies: no control characters in texts, non-blank
/// where a text is required, codes as `check_code` takes them, emails as
/// `normalize_email` takes them, http(s) evidence links.
fn text_rules(spec: &mut OpenApi) {
    let Ok(doc) = serde_json::to_value(&*spec) else {
        return;
    };
    let mut bodies = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|m| m.values()) {
                collect_refs(&op["requestBody"], &mut bodies);
            }
        }
    }
    // Nested request types (a report's entries) are request bodies too.
    let mut pending: Vec<String> = bodies.iter().cloned().collect();
    while let Some(name) = pending.pop() {
        let mut nested = BTreeSet::new();
        collect_refs(&doc["components"]["schemas"][&name], &mut nested);
        for n in nested {
            if bodies.insert(n.clone()) {
                pending.push(n);
            }
        }
    }
    let Some(components) = spec.components.as_mut() else {
        return;
    };
    for name in &bodies {
        if let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(name) {
            for (field, prop) in obj.properties.iter_mut() {
                if let RefOr::T(schema) = prop {
                    shape_string(field, schema);
                }
            }
        }
    }
}

fn collect_refs(value: &serde_json::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(|r| r.as_str())
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn is_string(o: &Object) -> bool {
    match &o.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(ts) => ts.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

fn shape_string(field: &str, schema: &mut Schema) {
    match schema {
        Schema::Array(array) => {
            if field == "evidence_urls" {
                array.max_items = Some(20);
            }
            if let ArrayItems::RefOrSchema(items) = &mut array.items
                && let RefOr::T(Schema::Object(item)) = items.as_mut()
                && is_string(item)
            {
                if field == "evidence_urls" {
                    item.pattern = Some(format!(r"^https?://[^\s{CONTROL}]{{2,}}$"));
                    item.max_length = Some(2000);
                } else if CODES.contains(&field) {
                    item.pattern = Some(CODE_PATTERN.into());
                }
            }
        }
        Schema::Object(o) => {
            if !is_string(o)
                || o.format.is_some()
                || o.pattern.is_some()
                || o.enum_values.is_some()
                || field.contains("password")
                || matches!(field, "refresh_token" | "file")
            {
                return;
            }
            o.pattern = Some(if field == "email" {
                format!(r"^[^\s@{CONTROL}]+@[^\s@.{CONTROL}](?:[^\s@{CONTROL}]*[^\s@.{CONTROL}])?$")
            } else if CODES.contains(&field) {
                CODE_PATTERN.into()
            } else if NON_BLANK.contains(&field) {
                o.min_length = Some(1);
                format!(r"^[^{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*$")
            } else {
                format!(r"^[^{CONTROL}]*$")
            });
        }
        _ => {}
    }
}
