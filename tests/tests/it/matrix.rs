//! The matrix both ways: `GET /work-plans/{id}/matrix` writes what the import reads, so
//! an exported matrix imports with no change (CSV and XLSX, formula-looking text
//! included), and `?dry_run=true` previews an import exactly, writing nothing.

use axum::http::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::TestApp;

const PLAN: &str = "MSWP-TIP-2023-2028";

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Text a spreadsheet would run as a formula, a leading quote, separators, quotes and
/// line breaks: all must come back as they were.
const MATRIX: &str = "Code,Area,ACTIP/APA reference,Activity,Description,Expected outputs,Lead body,Cooperating bodies,Implementation status,Planned start,Planned end
A.a.1,A,APA A.1,Regional awareness campaign,\"=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\",Campaign materials,SOMTC,DGICM;ACW,on_track,2024-01-01,2026-12-31
A.a.2,A,-,'quoted title,\"Line one
line two, with a comma\",@everyone,DGICM,,,,
B.a.1,B,ACTIP Art. 14,+ Victim identification guidelines,＝full-width,'=already marked,DGICM,,not_started,,
C.a.1,C,ACTIP Art. 16,\"Prosecutors' training, phase 1\",,200 prosecutors trained,SOMTC,SLOM,,2025-01-01,2025-12-31
";

fn plan() -> uuid::Uuid {
    wpt_domain::reference_id("work_plan", PLAN)
}

async fn activity_rows(app: &TestApp) -> u64 {
    wpt_db::entities::activity::Entity::find()
        .count(app.database().conn())
        .await
        .expect("count")
}

async fn import(
    app: &TestApp,
    token: &str,
    media: &str,
    body: impl Into<Vec<u8>>,
    dry_run: bool,
) -> wpt_tests::TestResponse {
    let query = if dry_run { "?dry_run=true" } else { "" };
    app.request(
        Method::POST,
        &format!("/api/v1/work-plans/{}/import{query}", plan()),
    )
    .bearer(token)
    .header("content-type", media)
    .raw(body)
    .send()
    .await
}

async fn export(
    app: &TestApp,
    token: &str,
    query: &str,
    accept: Option<&str>,
) -> wpt_tests::TestResponse {
    let mut request = app
        .request(
            Method::GET,
            &format!("/api/v1/work-plans/{}/matrix{query}", plan()),
        )
        .bearer(token);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await
}

fn totals(report: &Value) -> (u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().expect("a count");
    (n("created"), n("updated"), n("unchanged"))
}

/// The activities of the plan as the API lists them, by code, without what an import
/// does not set (ids, versions, times, signals).
async fn activities(app: &TestApp) -> Vec<Value> {
    let list = app
        .get(&format!(
            "/api/v1/activities?work_plan={}&limit=100",
            plan()
        ))
        .await
        .json();
    let mut items: Vec<Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            json!({
                "code": a["code"], "area": a["area"], "title": a["title"],
                "description": a["description"], "actip_reference": a["actip_reference"],
                "expected_outputs": a["expected_outputs"], "planned_start": a["planned_start"],
                "planned_end": a["planned_end"], "lead_body": a["lead_body"],
                "cooperating_bodies": a["cooperating_bodies"], "version": a["version"],
            })
        })
        .collect();
    items.sort_by_key(|a| a["code"].as_str().unwrap_or_default().to_owned());
    items
}

#[tokio::test]
async fn an_exported_csv_reimports_with_no_change_and_its_cells_are_neutralised() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    import(&app, &sec.token, "text/csv", MATRIX, false)
        .await
        .assert_status(StatusCode::OK);
    let before = activities(&app).await;
    assert_eq!(before.len(), 4);
    let b = before.iter().find(|a| a["code"] == "B.a.1").expect("B.a.1");
    assert_eq!(
        b["expected_outputs"], "=already marked",
        "a typed mark is read as one"
    );

    let res = export(&app, &sec.token, "?format=csv", None).await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"matrix-MSWP-TIP-2023-2028.csv\"")
    );
    let text = res.text();
    assert!(
        text.starts_with("\"Code\",\"Area\",\"ACTIP / APA Reference\",\"Area of Collaboration\",\"Proposed Programme/Project/Activity\""),
        "{text}"
    );
    for cell in [
        "\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"x\"\")\"",
        "\"'-\"",
        "\"''quoted title\"",
        "\"'@everyone\"",
        "\"'+ Victim identification guidelines\"",
        "\"'＝full-width\"",
        "\"'=already marked\"",
        "\"ACW; DGICM\"",
        "\"Line one\nline two, with a comma\"",
    ] {
        assert!(text.contains(cell), "{cell} in\n{text}");
    }
    // By code within the area, areas in order.
    let codes: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix('"'))
        .filter_map(|l| l.split('"').next())
        .filter(|c| c.contains('.'))
        .collect();
    assert_eq!(codes, ["A.a.1", "A.a.2", "B.a.1", "C.a.1"]);

    let audit = app.audit_rows().await;
    let preview = import(&app, &sec.token, "text/csv", text.clone(), true).await;
    preview.assert_status(StatusCode::OK);
    assert_eq!(totals(&preview.json()), (0, 0, 4));
    let again = import(&app, &sec.token, "text/csv", text, false).await;
    again.assert_status(StatusCode::OK);
    let report = again.json();
    assert_eq!(totals(&report), (0, 0, 4), "{report}");
    assert_eq!(report["dry_run"], false);
    assert!(
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|r| r["outcome"] == "unchanged" && r["changes"] == json!([]))
    );
    assert_eq!(
        activities(&app).await,
        before,
        "no field, body or version changed"
    );
    assert_eq!(app.audit_rows().await, audit, "no audit entry");
}

#[tokio::test]
async fn an_exported_xlsx_reimports_with_no_change() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    import(&app, &sec.token, "text/csv", MATRIX, false)
        .await
        .assert_status(StatusCode::OK);
    let before = activities(&app).await;

    // No Accept (or */*) is XLSX; so is asking for it.
    for (query, accept) in [
        ("", None),
        ("", Some("*/*")),
        ("", Some(XLSX)),
        ("?format=xlsx", Some("text/csv")),
    ] {
        let res = export(&app, &sec.token, query, accept).await;
        res.assert_status(StatusCode::OK);
        assert_eq!(res.header("content-type"), Some(XLSX), "{query} {accept:?}");
    }
    let res = export(&app, &sec.token, "", None).await;
    assert_eq!(
        res.header("content-disposition"),
        Some("attachment; filename=\"matrix-MSWP-TIP-2023-2028.xlsx\"")
    );
    let workbook = res.body.clone();
    assert!(workbook.starts_with(b"PK"), "a zip package");

    let audit = app.audit_rows().await;
    let preview = import(&app, &sec.token, XLSX, workbook.clone(), true).await;
    preview.assert_status(StatusCode::OK);
    assert_eq!(totals(&preview.json()), (0, 0, 4), "{}", preview.text());
    let again = import(&app, &sec.token, XLSX, workbook, false).await;
    again.assert_status(StatusCode::OK);
    assert_eq!(totals(&again.json()), (0, 0, 4), "{}", again.text());
    assert_eq!(
        activities(&app).await,
        before,
        "no field, body or version changed"
    );
    assert_eq!(app.audit_rows().await, audit, "no audit entry");
}

#[tokio::test]
async fn formats_are_negotiated_and_refused_clearly() {
    let app = TestApp::spawn().await;
    let viewer = app.caller(Role::Viewer, None).await;
    let csv = export(&app, &viewer.token, "", Some("text/csv")).await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.header("content-type")
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    export(&app, &viewer.token, "", Some("application/json"))
        .await
        .assert_problem(StatusCode::NOT_ACCEPTABLE, "not_acceptable");
    export(&app, &viewer.token, "?format=json", None)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    export(&app, &viewer.token, "?colour=red", None)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    app.request(
        Method::GET,
        &format!("/api/v1/work-plans/{}/matrix", uuid::Uuid::now_v7()),
    )
    .bearer(&viewer.token)
    .send()
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_preview_reports_what_the_import_then_does_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    import(&app, &sec.token, "text/csv", MATRIX, false)
        .await
        .assert_status(StatusCode::OK);
    let changed = MATRIX
        .replace("Campaign materials", "Campaign materials in all languages")
        .replace("SOMTC,SLOM,,2025-01-01", "DGICM,SLOM;SOMTC,,2025-02-01")
        + "D.a.1,D,,Regional dialogue,,,SOMTC,,,,\n";
    let (activities_before, audit_before, listed) = (
        activity_rows(&app).await,
        app.audit_rows().await,
        activities(&app).await,
    );
    let preview = import(&app, &sec.token, "text/csv", changed.clone(), true).await;
    preview.assert_status(StatusCode::OK);
    let preview = preview.json();
    assert_eq!(totals(&preview), (1, 2, 2));
    assert_eq!(preview["dry_run"], true);
    let rows = preview["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    assert_eq!(
        rows[0],
        json!({"row": 2, "code": "A.a.1", "title": "Regional awareness campaign", "outcome": "change",
            "changes": [{"field": "expected_outputs", "old": "Campaign materials",
                "new": "Campaign materials in all languages"}]})
    );
    assert_eq!(rows[3]["code"], "C.a.1");
    assert_eq!(
        rows[3]["changes"],
        json!([
            {"field": "planned_start", "old": "2025-01-01", "new": "2025-02-01"},
            {"field": "lead_body", "old": "SOMTC", "new": "DGICM"},
            {"field": "cooperating_bodies", "old": "SLOM", "new": "SLOM; SOMTC"},
        ])
    );
    assert_eq!(
        rows[4],
        json!({"row": 6, "code": "D.a.1", "title": "Regional dialogue", "outcome": "create", "changes": []})
    );
    assert_eq!(
        activity_rows(&app).await,
        activities_before,
        "nothing created"
    );
    assert_eq!(app.audit_rows().await, audit_before, "nothing audited");
    assert_eq!(activities(&app).await, listed, "nothing changed");

    // The import does what the preview said.
    let done = import(&app, &sec.token, "text/csv", changed, false).await;
    done.assert_status(StatusCode::OK);
    let mut done = done.json();
    assert_eq!(done["dry_run"], false);
    done["dry_run"] = json!(true);
    assert_eq!(done, preview);
    assert_eq!(
        app.audit_rows().await,
        audit_before + 3,
        "one entry per created or changed row"
    );
}

#[tokio::test]
async fn a_preview_of_a_bad_file_gives_the_imports_errors_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let bad = MATRIX.to_owned() + "D.a.1,Z,,Dialogue,,,NOPE,,,2026-13-01,\n";
    let audit = app.audit_rows().await;
    let preview = import(&app, &sec.token, "text/csv", bad.clone(), true).await;
    preview.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let real = import(&app, &sec.token, "text/csv", bad, false).await;
    real.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(preview.error_fields(), real.error_fields());
    for f in ["rows[6].area", "rows[6].lead_body", "rows[6].planned_start"] {
        assert!(preview.error_fields().contains(&f.to_owned()), "{f}");
    }
    assert_eq!(activity_rows(&app).await, 0);
    assert_eq!(app.audit_rows().await, audit);
    // Officers and viewers may not preview either.
    for role in [Role::Officer, Role::Viewer] {
        let body = (role == Role::Officer).then_some("SOMTC");
        let c = app.caller(role, body).await;
        import(&app, &c.token, "text/csv", MATRIX, true)
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn viewers_read_the_status_accepted_and_others_the_latest() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    import(&app, &sec.token, "text/csv", MATRIX, false)
        .await
        .assert_status(StatusCode::OK);
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    let a = activities(&app).await;
    let _ = a;
    let list = app
        .get(&format!(
            "/api/v1/activities?work_plan={}&limit=100",
            plan()
        ))
        .await
        .json();
    let id = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["code"] == "A.a.1")
        .expect("A.a.1")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.request(Method::POST, &format!("/api/v1/activities/{id}/progress"))
        .bearer(&officer.token)
        .json(&json!({"status": "delayed", "percent_complete": 20, "narrative": "Printing late."}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    let line = |text: String| {
        text.lines()
            .find(|l| l.starts_with("\"A.a.1\""))
            .expect("A.a.1")
            .to_owned()
    };
    let recorded = line(export(&app, &sec.token, "?format=csv", None).await.text());
    assert!(recorded.contains("\"delayed\""), "{recorded}");
    let viewer = app.caller(Role::Viewer, None).await;
    let accepted = line(
        export(&app, &viewer.token, "?format=csv", None)
            .await
            .text(),
    );
    assert!(!accepted.contains("delayed"), "{accepted}");
    assert!(
        accepted.contains("\"SOMTC\",\"ACW; DGICM\",\"\","),
        "{accepted}"
    );
}

#[tokio::test]
async fn what_the_api_stored_with_spaces_or_empty_text_reimports_unchanged() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    app.request(
        Method::POST,
        &format!("/api/v1/work-plans/{}/activities", plan()),
    )
    .bearer(&sec.token)
    .json(&json!({
        "area": "A", "code": "-1", "title": "  Spaced title ",
        "description": "  padded description\n", "actip_reference": "",
        "expected_outputs": "@mention", "lead_body": "SOMTC", "cooperating_bodies": ["DGICM"],
    }))
    .send()
    .await
    .assert_status(StatusCode::CREATED);
    let before = activities(&app).await;
    let audit = app.audit_rows().await;
    for (format, media) in [("csv", "text/csv"), ("xlsx", XLSX)] {
        let file = export(&app, &sec.token, &format!("?format={format}"), None).await;
        file.assert_status(StatusCode::OK);
        let res = import(&app, &sec.token, media, file.body.clone(), false).await;
        res.assert_status(StatusCode::OK);
        assert_eq!(totals(&res.json()), (0, 0, 1), "{format}: {}", res.text());
    }
    assert_eq!(activities(&app).await, before);
    assert_eq!(app.audit_rows().await, audit);
}
