//! What contract fuzzing (tests/fuzz/run) found, pinned as tests: whole numbers with a
//! fraction, filters naming nothing, declared lengths of query parameters, and the
//! answers every operation documents.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::TestApp;

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string()
}

#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_an_integer_and_a_fraction_is_refused() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let created = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.f.1", "title": "Fractions", "lead_body": "DGICM"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/activities/{id}/progress");
    let res = app
        .request(Method::POST, &path)
        .bearer(&dgicm.token)
        .json(&json!({"status": "on_track", "percent_complete": 40.0, "narrative": "Forty"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(res.json()["percent_complete"], 40);
    let res = app
        .request(Method::POST, &path)
        .bearer(&dgicm.token)
        .json(&json!({"status": "on_track", "percent_complete": 40.5, "narrative": "Forty and a half"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.error_fields(), ["percent_complete"]);
}

#[tokio::test]
async fn filters_naming_nothing_match_nothing_and_long_parameters_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    for path in [
        "/api/v1/activities?body=NO-SUCH-BODY",
        "/api/v1/activities?area=Z",
        "/api/v1/users?body=NO-SUCH-BODY",
    ] {
        let res = app
            .request(Method::GET, path)
            .bearer(&admin.token)
            .send()
            .await;
        res.assert_status(StatusCode::OK);
        let page = res.json();
        assert_eq!(
            page["items"].as_array().map(Vec::len),
            Some(0),
            "{path}: {page}"
        );
        assert!(page["next_cursor"].is_null(), "{path}");
    }
    // Without q, relevance is the default order.
    let by_code = app
        .request(Method::GET, "/api/v1/activities?sort=code&limit=200")
        .send()
        .await
        .json();
    let by_relevance = app
        .request(Method::GET, "/api/v1/activities?sort=relevance&limit=200")
        .send()
        .await;
    by_relevance.assert_status(StatusCode::OK);
    assert_eq!(by_relevance.json()["items"], by_code["items"]);

    let long = "A".repeat(41);
    for (path, field) in [
        (format!("/api/v1/activities?body={long}"), "body"),
        (format!("/api/v1/activities?area={long}"), "area"),
        (format!("/api/v1/audit?action={}", "a".repeat(65)), "action"),
        (
            format!("/api/v1/audit?resource_id={}", "a".repeat(129)),
            "resource_id",
        ),
    ] {
        let res = app
            .request(Method::GET, &path)
            .bearer(&admin.token)
            .send()
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), [field], "{path}");
    }
    let res = app
        .request(Method::POST, "/api/v1/auth/logout")
        .anonymous()
        .json(&json!({"refresh_token": "r".repeat(201)}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[test]
fn every_operation_documents_the_answers_given_before_its_handler_runs() {
    let spec = serde_json::to_value(wpt_api::openapi()).expect("spec");
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = &op["responses"];
            let has = |code: &str| responses.get(code).is_some();
            if op.get("requestBody").is_some() {
                for code in ["400", "413", "415", "422"] {
                    assert!(has(code), "{method} {path} lacks {code}");
                }
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params
                .iter()
                .any(|p| p["in"] == "path" || p["in"] == "query")
            {
                assert!(has("422"), "{method} {path} lacks 422");
            }
            if let Some(if_match) = params.iter().find(|p| p["name"] == "If-Match") {
                assert!(has("428") && has("412"), "{method} {path} lacks 428/412");
                assert_eq!(
                    if_match["schema"]["pattern"],
                    wpt_api::spec::IF_MATCH_PATTERN
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 10,
        "the versioned writes carry If-Match ({checked})"
    );
    // Required texts say so; codes carry the code pattern.
    let narrative = &spec["components"]["schemas"]["ProgressInput"]["properties"]["narrative"];
    assert_eq!(narrative["minLength"], 1, "{narrative}");
    assert!(narrative["pattern"].is_string(), "{narrative}");
    let lead = &spec["components"]["schemas"]["CreateActivity"]["properties"]["lead_body"];
    assert_eq!(lead["pattern"], wpt_api::spec::CODE_PATTERN);
}
