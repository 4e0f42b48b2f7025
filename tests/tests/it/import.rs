//! Importing the classic matrix: all rows checked first, nothing half-written, and a
//! second import of the same file changes nothing.

use axum::http::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use wpt_domain::Role;
use wpt_tests::TestApp;

const PLAN: &str = "MSWP-TIP-2023-2028";

const MATRIX: &str = "Code,Area,ACTIP/APA reference,Activity,Expected outputs,Lead body,Cooperating bodies,Implementation status,Planned start,Planned end
A.a.1,A,APA A.1,Regional awareness campaign,Campaign materials,SOMTC,DGICM;ACW,on_track,2024-01-01,2026-12-31
B.a.1,B,ACTIP Art. 14,Victim identification guidelines,Guidelines endorsed,DGICM,,not_started,,
C.a.1,C,ACTIP Art. 16,\"Prosecutors' training, phase 1\",200 prosecutors trained,SOMTC,SLOM,,2025-01-01,2025-12-31
";

fn path() -> String {
    format!(
        "/api/v1/work-plans/{}/import",
        wpt_domain::reference_id("work_plan", PLAN)
    )
}

/// `(created, updated, unchanged)` of an import's answer.
fn totals(report: &serde_json::Value) -> (u64, u64, u64) {
    let n = |k: &str| report[k].as_u64().expect("a count");
    (n("created"), n("updated"), n("unchanged"))
}

async fn counts(app: &TestApp) -> (u64, u64, u64) {
    let c = app.database().conn();
    (
        wpt_db::entities::activity::Entity::find()
            .count(c)
            .await
            .expect("count"),
        wpt_db::entities::activity_assignment::Entity::find()
            .count(c)
            .await
            .expect("count"),
        wpt_db::entities::audit_log::Entity::find()
            .count(c)
            .await
            .expect("count"),
    )
}

async fn send(
    app: &TestApp,
    token: &str,
    content_type: &str,
    body: impl Into<Vec<u8>>,
) -> wpt_tests::TestResponse {
    app.request(Method::POST, &path())
        .bearer(token)
        .header("content-type", content_type)
        .raw(body)
        .send()
        .await
}

#[tokio::test]
async fn a_csv_matrix_imports_and_importing_it_again_changes_nothing() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let first = send(&app, &sec.token, "text/csv", MATRIX).await;
    first.assert_status(StatusCode::OK);
    assert_eq!(totals(&first.json()), (3, 0, 0));
    let list = app
        .get(&format!(
            "/api/v1/activities?work_plan={}",
            wpt_domain::reference_id("work_plan", PLAN)
        ))
        .await
        .json();
    let a = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["code"] == "A.a.1")
        .expect("A.a.1")
        .clone();
    assert_eq!(a["lead_body"], "SOMTC");
    assert_eq!(a["cooperating_bodies"], serde_json::json!(["ACW", "DGICM"]));
    assert_eq!(a["planned_end"], "2026-12-31");
    let c = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["code"] == "C.a.1")
        .expect("C.a.1")
        .clone();
    assert_eq!(c["title"], "Prosecutors' training, phase 1");

    let before = counts(&app).await;
    let again = send(&app, &sec.token, "text/csv", MATRIX).await;
    assert_eq!(totals(&again.json()), (0, 0, 3));
    assert_eq!(
        counts(&app).await,
        before,
        "no row, assignment or audit entry was written"
    );

    let changed = MATRIX
        .replace(
            "Campaign materials",
            "Campaign materials in all ASEAN languages",
        )
        .replace("SOMTC,SLOM", "SOMTC,SLOM;SOMHD");
    let third = send(&app, &sec.token, "text/csv; charset=utf-8", changed)
        .await
        .json();
    assert_eq!(totals(&third), (0, 2, 1));
}

#[tokio::test]
async fn one_bad_row_leaves_the_database_exactly_as_it_was() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    send(&app, &sec.token, "text/csv", MATRIX)
        .await
        .assert_status(StatusCode::OK);
    let before = counts(&app).await;
    let bad = MATRIX.replace("Regional awareness campaign", "Renamed campaign")
        + "D.a.1,D,,Dialogue,,NOPE,,,,\nD.a.2,Z,,Another,,SOMTC,,finished,2026-13-01,\n";
    let res = send(&app, &sec.token, "text/csv", bad).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields = res.error_fields();
    for f in [
        "rows[5].lead_body",
        "rows[6].area",
        "rows[6].status",
        "rows[6].planned_start",
    ] {
        assert!(fields.contains(&f.to_owned()), "{f} in {fields:?}");
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    let a = app.get("/api/v1/activities?q=campaign").await.json();
    assert_eq!(
        a["items"][0]["title"], "Regional awareness campaign",
        "the good row was not applied either"
    );
}

#[tokio::test]
async fn an_xlsx_matrix_imports_too() {
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in MATRIX.lines().enumerate() {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes());
        let record = reader.records().next().expect("a record").expect("csv");
        for (c, cell) in record.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).expect("write");
        }
    }
    let bytes = book.save_to_buffer().expect("xlsx");
    let res = send(
        &app,
        &sec.token,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["created"], 3);
}

#[tokio::test]
async fn only_the_secretariat_imports_and_only_csv_or_xlsx() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("SOMTC")).await;
    send(&app, &officer.token, "text/csv", MATRIX)
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let sec = app.caller(Role::Secretariat, None).await;
    send(&app, &sec.token, "application/json", "{}")
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    send(
        &app,
        &sec.token,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "not a zip",
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = send(&app, &sec.token, "text/csv", "Title,Colour\nx,y\n").await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(res.error_fields().contains(&"header.colour".to_owned()));
}

/// The matrix for `n` activities `D.a.1..n`, each with `output` as its expected outputs.
fn matrix_of(n: usize, output: &str) -> String {
    let mut csv =
        String::from("Code,Area,Activity,Expected outputs,Lead body,Cooperating bodies\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "D.a.{i},D,Activity {i},{output} {i},SOMTC,DGICM\n"
        ));
    }
    csv
}

/// An import writes many rows in one transaction while PATCHes of the same activities
/// commit beside it. Audit entries are appended last in every write (the write path),
/// so the audit chain's lock is always the last lock a transaction takes: neither side
/// can hold it while waiting for a row the other has locked. On PostgreSQL an append in
/// the middle of the import deadlocked against a PATCH (one of them failed with 500);
/// here both must finish, every PATCH lands (retrying only a stale version), and the
/// chain verifies.
#[tokio::test]
async fn an_import_and_concurrent_patches_both_finish_with_the_chain_intact() {
    const N: usize = 80;
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let other = app.caller(Role::Secretariat, None).await;
    send(&app, &sec.token, "text/csv", matrix_of(N, "Outputs"))
        .await
        .assert_status(StatusCode::OK);
    let list = app
        .get(&format!(
            "/api/v1/activities?work_plan={}&area=D&limit=200",
            wpt_domain::reference_id("work_plan", PLAN)
        ))
        .await
        .json();
    // By the row number in the matrix, last first: the PATCHes walk towards the rows
    // the import has not reached yet, so both sides hold rows the other wants next.
    let mut rows: Vec<(usize, String)> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| {
            let code = a["code"].as_str().expect("code");
            let n = code
                .rsplit('.')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("number");
            (n, a["id"].as_str().expect("id").to_owned())
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    let ids: Vec<String> = rows.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids.len(), N);

    let import = async {
        send(
            &app,
            &sec.token,
            "text/csv",
            matrix_of(N, "Changed outputs"),
        )
        .await
    };
    let patches = async {
        let mut landed = 0;
        for (i, id) in ids.iter().enumerate() {
            let path = format!("/api/v1/activities/{id}");
            for _attempt in 0..20 {
                let etag = app
                    .get(&path)
                    .await
                    .header("etag")
                    .expect("etag")
                    .to_owned();
                let r = app
                    .request(Method::PATCH, &path)
                    .bearer(&other.token)
                    .header("if-match", &etag)
                    .json(&serde_json::json!({"title": format!("Patched {i}")}))
                    .send()
                    .await;
                if r.status == StatusCode::PRECONDITION_FAILED {
                    continue;
                }
                r.assert_status(StatusCode::OK);
                landed += 1;
                break;
            }
        }
        landed
    };
    let (imported, landed) = tokio::join!(import, patches);
    imported.assert_status(StatusCode::OK);
    assert_eq!(landed, N, "every PATCH landed");
    for id in &ids {
        let a = app.get(&format!("/api/v1/activities/{id}")).await.json();
        assert!(
            a["expected_outputs"]
                .as_str()
                .is_some_and(|o| o.starts_with("Changed outputs")),
            "the import changed {id}: {a}"
        );
    }
    let verified = wpt_db::audit::verify(app.database()).await.expect("verify");
    assert!(verified.ok, "the chain verifies: {verified:?}");
}

/// The matrix's rows as cells, for building workbooks by hand.
fn matrix_rows() -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(MATRIX.as_bytes())
        .records()
        .map(|r| r.expect("csv").iter().map(str::to_owned).collect())
        .collect()
}

/// Issue 14: a shared-strings table claiming 10^17 entries, a sheet spanning A1 to
/// XFD1048576 (declared, or only in its cells) and a deflate bomb each get a 4xx
/// problem, write nothing, and leave the server serving. Before the limits the first
/// two aborted the process on the allocation and the bomb inflated to a gigabyte.
#[tokio::test]
async fn hostile_xlsx_files_are_refused_and_the_server_keeps_serving() {
    use wpt_tests::hostile_xlsx as h;
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let app = TestApp::spawn().await;
    let sec = app.caller(Role::Secretariat, None).await;
    let before = counts(&app).await;
    let bomb = h::deflate_bomb();
    assert!(bomb.len() < 1024 * 1024, "the bomb fits the body limit");
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "shared strings claiming 10^17 entries",
            h::absurd_shared_strings(&matrix_rows()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "dimension A1:XFD1048576",
            h::far_apart_cells(true),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "cells A1 and XFD1048576 under a dimension of A1:A1",
            h::far_apart_cells(false),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "a deflate bomb of 1000 MiB",
            bomb,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (what, file, status, code) in cases {
        let started = std::time::Instant::now();
        let res = send(&app, &sec.token, XLSX, file).await;
        let doc = res.assert_problem(status, code);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{what}: refused in {:?}",
            started.elapsed()
        );
        eprintln!("{what}: {} {doc}", res.status);
        app.get("/healthz").await.assert_status(StatusCode::OK);
        app.get("/api/v1/bodies/SOMTC")
            .await
            .assert_status(StatusCode::OK);
    }
    assert_eq!(counts(&app).await, before, "nothing was written");
    // The same package with nothing hostile in it imports.
    let res = send(&app, &sec.token, XLSX, h::plain(&matrix_rows())).await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["created"], 3);
}
