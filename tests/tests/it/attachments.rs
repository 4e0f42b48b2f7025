//! Evidence files: upload, attach, who sees them, limits and types, storage on a folder
//! and on a real S3-compatible server (moto), the sweep, and the edition's hashes.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wpt_api::attachments::Storage;
use wpt_domain::Role;
use wpt_tests::storage::{S3Server, folder};
use wpt_tests::{Caller, TestApp, TestDb, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";
const BOUNDARY: &str = "----wpt-test-boundary-7MA4YWxkTrZu0gW";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

/// A small but real PDF.
fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// A multipart body with `bytes` in the field `file`, named `name`.
fn form(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> TestResponse {
    app.request(Method::POST, "/api/v1/attachments")
        .bearer(token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(form(name, bytes))
        .send()
        .await
}

/// An application whose evidence files go to `storage`, read by default as the
/// secretariat.
async fn app_with(storage: Storage) -> TestApp {
    let db = TestDb::prepared().await;
    let mut state = wpt_api::AppState::new(db.db.clone(), wpt_tests::test_auth());
    state.attachments = Arc::new(storage);
    let mut app = TestApp::with_state(state, db);
    let reader = app.caller(Role::Secretariat, None).await;
    app.default_token = Some(reader.token);
    app
}

struct Team {
    sec: Caller,
    dgicm: Caller,
    somtc: Caller,
    viewer: Caller,
    admin: Caller,
    /// Led by DGICM.
    activity: String,
}

async fn team(app: &TestApp) -> Team {
    let sec = app.caller(Role::Secretariat, None).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.a.1", "title": "Border campaign", "lead_body": "DGICM", "cooperating_bodies": []}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    Team {
        activity: res.json()["id"].as_str().expect("id").to_owned(),
        dgicm: app.caller(Role::Officer, Some("DGICM")).await,
        somtc: app.caller(Role::Officer, Some("SOMTC")).await,
        viewer: app.caller(Role::Viewer, None).await,
        admin: app.caller(Role::Admin, None).await,
        sec,
    }
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn rows_named(app: &TestApp, sha: &str) -> u64 {
    wpt_db::attachments::count_by_hash(app.database(), sha)
        .await
        .expect("count")
}

async fn status_of(app: &TestApp, token: &str, path: &str) -> StatusCode {
    app.get_as(token, path).await.status
}

/// The whole path of one file on a progress update, on `storage`.
async fn upload_attach_and_read(storage: Storage) {
    let app = app_with(storage).await;
    let t = team(&app).await;
    let bytes = pdf("workshop report");
    let res = upload(
        &app,
        &t.dgicm.token,
        "../../etc/Workshop report.pdf",
        &bytes,
    )
    .await;
    res.assert_status(StatusCode::CREATED);
    let a = res.json();
    assert_eq!(a["filename"], "Workshop report.pdf", "the path is cut off");
    assert_eq!(a["media_type"], "application/pdf");
    assert_eq!(a["size"], bytes.len());
    assert_eq!(a["sha256"], sha_hex(&bytes));
    assert_eq!(a["attached"], false);
    let id = a["id"].as_str().expect("id").to_owned();
    let meta = format!("/api/v1/attachments/{id}");
    let content = format!("{meta}/content");
    assert!(app.state.attachments.contains(&sha_hex(&bytes)).await);

    // Unattached: the uploader only.
    assert_eq!(status_of(&app, &t.dgicm.token, &meta).await, StatusCode::OK);
    assert_eq!(
        status_of(&app, &t.dgicm.token, &content).await,
        StatusCode::OK
    );
    let another_dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    for who in [&t.sec, &t.somtc, &t.viewer, &t.admin, &another_dgicm] {
        for path in [&meta, &content] {
            app.get_as(&who.token, path)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
    }

    // Somebody else cannot attach it; nothing is written then.
    let progress = format!("/api/v1/activities/{}/progress", t.activity);
    let refused = app
        .request(Method::POST, &progress)
        .bearer(&another_dgicm.token)
        .json(&json!({"status": "on_track", "narrative": "Held", "attachment_ids": [id]}))
        .send()
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(refused.error_fields(), vec!["attachment_ids[0]"]);
    let timeline = app.get_as(&t.sec.token, &progress).await.json();
    assert_eq!(timeline["items"].as_array().map(Vec::len), Some(0));

    // Attached to a progress update: whoever may read progress (not viewers).
    let res = app
        .request(Method::POST, &progress)
        .bearer(&t.dgicm.token)
        .json(&json!({"status": "on_track", "narrative": "Workshop held", "attachment_ids": [id]}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    assert_eq!(res.json()["attachments"][0]["id"], id.as_str());
    assert_eq!(res.json()["attachments"][0]["attached"], true);
    let timeline = app.get_as(&t.somtc.token, &progress).await.json();
    assert_eq!(
        timeline["items"][0]["attachments"][0]["sha256"],
        sha_hex(&bytes)
    );
    for who in [&t.sec, &t.somtc, &t.admin, &another_dgicm, &t.dgicm] {
        assert_eq!(status_of(&app, &who.token, &meta).await, StatusCode::OK);
        assert_eq!(status_of(&app, &who.token, &content).await, StatusCode::OK);
    }
    for path in [&meta, &content] {
        app.get_as(&t.viewer.token, path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.request(Method::GET, path)
            .anonymous()
            .send()
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    // Attached once, it cannot be attached again.
    app.request(Method::POST, &progress)
        .bearer(&t.dgicm.token)
        .json(&json!({"status": "on_track", "narrative": "Again", "attachment_ids": [id]}))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The bytes, as a download that is never rendered.
    let got = app.get_as(&t.somtc.token, &content).await;
    got.assert_status(StatusCode::OK);
    assert_eq!(got.body, bytes);
    assert_eq!(got.header("content-type"), Some("application/pdf"));
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    let disposition = got.header("content-disposition").expect("disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"Workshop report.pdf\""),
        "{disposition}"
    );
    let etag = format!("\"{}\"", sha_hex(&bytes));
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    let cached = app
        .request(Method::GET, &content)
        .bearer(&t.somtc.token)
        .header("if-none-match", &etag)
        .send()
        .await;
    cached.assert_status(StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    let part = app
        .request(Method::GET, &content)
        .bearer(&t.somtc.token)
        .header("range", "bytes=5-14")
        .send()
        .await;
    part.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, &bytes[5..15]);
    let range = format!("bytes 5-14/{}", bytes.len());
    assert_eq!(part.header("content-range"), Some(range.as_str()));
    let tail = app
        .request(Method::GET, &content)
        .bearer(&t.somtc.token)
        .header("range", "bytes=-6")
        .send()
        .await;
    tail.assert_status(StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body, &bytes[bytes.len() - 6..]);
    let past = app
        .request(Method::GET, &content)
        .bearer(&t.somtc.token)
        .header("range", &format!("bytes={}-", bytes.len()))
        .send()
        .await;
    past.assert_problem(StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable");
    let star = format!("bytes */{}", bytes.len());
    assert_eq!(past.header("content-range"), Some(star.as_str()));

    // The pages: the activity's timeline links the file; the link downloads it for
    // whoever may see it and is a 404 page for a viewer.
    let (_, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let page = app
        .web_get(Some(&sec_cookie), &format!("/ui/activities/{}", t.activity))
        .await;
    page.assert_status(StatusCode::OK);
    let link = format!("/ui/attachments/{id}");
    assert!(page.text().contains(&link), "the timeline links the file");
    assert!(page.text().contains("Workshop report.pdf"));
    let download = app.web_get(Some(&sec_cookie), &link).await;
    download.assert_status(StatusCode::OK);
    assert_eq!(download.body, bytes);
    assert!(
        download
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;"))
    );
    let (_, viewer_cookie) = app.web_caller(Role::Viewer, None).await;
    app.web_get(Some(&viewer_cookie), &link)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_on_a_progress_update_is_seen_by_who_may_read_progress_folder() {
    let (_dir, storage) = folder(wpt_api::attachments::DEFAULT_MAX_BYTES);
    upload_attach_and_read(storage).await;
}

#[tokio::test]
async fn a_file_on_a_progress_update_is_seen_by_who_may_read_progress_s3() {
    let s3 = S3Server::start();
    upload_attach_and_read(s3.storage("evidence", wpt_api::attachments::DEFAULT_MAX_BYTES)).await;
}

/// A minimal OOXML document (Word) built as Office builds it.
fn docx() -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>"),
        ("word/document.xml", "<?xml version=\"1.0\"?><w:document/>"),
    ] {
        zip.start_file(name, opts).expect("entry");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.finish().expect("zip");
    out.into_inner()
}

#[tokio::test]
async fn types_are_decided_by_content_and_limits_hold_with_nothing_stored() {
    let (_dir, storage) = folder(4096);
    let app = app_with(storage).await;
    let t = team(&app).await;
    let tok = &t.dgicm.token;

    // Over the limit: 413, no row, no object.
    let big = vec![b'a'; 5000];
    upload(&app, tok, "big.txt", &big)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert_eq!(rows_named(&app, &sha_hex(&big)).await, 0);
    assert!(
        app.state
            .attachments
            .names()
            .await
            .expect("list")
            .is_empty()
    );

    // Refused types, whatever their names.
    for (name, bytes) in [
        (
            "report.pdf",
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
        ),
        (
            "chart.png",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec(),
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"x()\"/>".to_vec(),
        ),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n".to_vec()),
        ("setup.pdf", {
            let mut v = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
            v.extend_from_slice(&[0u8; 100]);
            v
        }),
        ("tool.doc", {
            let mut v = b"\x7fELF\x02\x01\x01\x00".to_vec();
            v.extend_from_slice(&[0u8; 100]);
            v
        }),
    ] {
        let res = upload(&app, tok, name, &bytes).await;
        res.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
        assert_eq!(rows_named(&app, &sha_hex(&bytes)).await, 0, "{name}");
    }
    assert!(
        app.state
            .attachments
            .names()
            .await
            .expect("list")
            .is_empty()
    );

    // Empty, or no file at all: 422.
    let empty = upload(&app, tok, "empty.pdf", b"").await;
    empty.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(empty.error_fields(), vec!["file"]);
    let no_file = app
        .request(Method::POST, "/api/v1/attachments")
        .bearer(tok)
        .header("content-type", &format!("multipart/form-data; boundary={BOUNDARY}"))
        .raw(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n"))
        .send()
        .await;
    no_file.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // Not multipart at all.
    app.request(Method::POST, "/api/v1/attachments")
        .bearer(tok)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    // Accepted types, by content.
    for (name, bytes, media) in [
        (
            "minutes.csv",
            "activity,status\nA.a.1,on_track\nB.a.1,\"Tập huấn\"\n"
                .as_bytes()
                .to_vec(),
            "text/csv",
        ),
        (
            "notes",
            "Plain notes of the meeting, ภาษาไทย.\n".as_bytes().to_vec(),
            "text/plain",
        ),
        (
            "mou.docx",
            docx(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "photo.jpg",
            {
                let mut v = vec![
                    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
                ];
                v.extend_from_slice(&[0u8; 64]);
                v
            },
            "image/jpeg",
        ),
        ("CON.pdf", pdf("device name"), "application/pdf"),
    ] {
        let res = upload(&app, tok, name, &bytes).await;
        res.assert_status(StatusCode::CREATED);
        assert_eq!(res.json()["media_type"], media, "{name}");
    }
    let names: Vec<String> = [pdf("device name")].iter().map(|b| sha_hex(b)).collect();
    assert_eq!(rows_named(&app, &names[0]).await, 1);

    // Officers only.
    for who in [&t.sec, &t.viewer, &t.admin] {
        upload(&app, &who.token, "x.pdf", &pdf("x"))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    app.request(Method::POST, "/api/v1/attachments")
        .anonymous()
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(form("x.pdf", &pdf("x")))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn cleaned_names_keep_no_path_controls_or_device_names() {
    let (_dir, storage) = folder(1 << 20);
    let app = app_with(storage).await;
    let t = team(&app).await;
    for (raw, clean) in [
        ("C:\\\\Users\\\\me\\\\MoU signed.pdf", "MoU signed.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("CON.pdf", "_CON.pdf"),
        (".hidden.pdf", "hidden.pdf"),
    ] {
        let res = upload(&app, &t.dgicm.token, raw, &pdf(raw)).await;
        res.assert_status(StatusCode::CREATED);
        assert_eq!(res.json()["filename"], clean, "{raw}");
    }
}

#[tokio::test]
async fn an_upload_cut_off_half_way_leaves_nothing() {
    let (_dir, storage) = folder(1 << 20);
    let app = app_with(storage).await;
    let t = team(&app).await;
    let bytes = pdf(&"x".repeat(20_000));
    let mut body = form("half.pdf", &bytes);
    body.truncate(body.len() / 2);
    let res = app
        .request(Method::POST, "/api/v1/attachments")
        .bearer(&t.dgicm.token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(body)
        .send()
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "malformed_request");
    assert_eq!(rows_named(&app, &sha_hex(&bytes)).await, 0);
    assert!(
        app.state
            .attachments
            .names()
            .await
            .expect("list")
            .is_empty()
    );
    // An id nobody uploaded attaches nothing, and the update is not written.
    let progress = format!("/api/v1/activities/{}/progress", t.activity);
    app.request(Method::POST, &progress)
        .bearer(&t.dgicm.token)
        .json(&json!({"status": "on_track", "narrative": "x", "attachment_ids": [uuid::Uuid::now_v7()]}))
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let timeline = app.get(&progress).await.json();
    assert_eq!(timeline["items"].as_array().map(Vec::len), Some(0));
}

/// The same file twice is one object; the sweep deletes unattached uploads past the
/// cutoff and the objects no row names, and keeps attached files.
async fn dedupe_and_sweep(storage: Storage) {
    let app = app_with(storage).await;
    let t = team(&app).await;
    let kept = pdf("kept");
    let twice = pdf("uploaded twice");
    let a = upload(&app, &t.dgicm.token, "a.pdf", &twice).await.json();
    let b = upload(&app, &t.somtc.token, "b.pdf", &twice).await.json();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["sha256"], b["sha256"]);
    assert_eq!(rows_named(&app, &sha_hex(&twice)).await, 2);
    let keep = upload(&app, &t.dgicm.token, "kept.pdf", &kept).await.json();
    let names = app.state.attachments.names().await.expect("list");
    assert_eq!(names.len(), 2, "one object per content: {names:?}");
    app.request(
        Method::POST,
        &format!("/api/v1/activities/{}/progress", t.activity),
    )
    .bearer(&t.dgicm.token)
    .json(&json!({"status": "on_track", "narrative": "x", "attachment_ids": [keep["id"]]}))
    .send()
    .await
    .assert_status(StatusCode::CREATED);

    // Nothing is old enough yet.
    let (rows, objects) = app
        .state
        .attachments
        .sweep(app.database())
        .await
        .expect("sweep");
    assert_eq!((rows, objects), (0, 0));
    // As if a day had passed.
    let later = chrono::Utc::now() + chrono::Duration::seconds(5);
    let (rows, objects) = app
        .state
        .attachments
        .sweep_before(app.database(), later)
        .await
        .expect("sweep");
    assert_eq!((rows, objects), (2, 1));
    assert_eq!(rows_named(&app, &sha_hex(&twice)).await, 0);
    assert!(!app.state.attachments.contains(&sha_hex(&twice)).await);
    assert!(app.state.attachments.contains(&sha_hex(&kept)).await);
    let id = keep["id"].as_str().expect("id");
    let got = app.get(&format!("/api/v1/attachments/{id}/content")).await;
    got.assert_status(StatusCode::OK);
    assert_eq!(got.body, kept);
    app.get(&format!(
        "/api/v1/attachments/{}",
        a["id"].as_str().expect("id")
    ))
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_same_file_twice_is_stored_once_and_orphans_are_swept_folder() {
    let (_dir, storage) = folder(1 << 20);
    dedupe_and_sweep(storage).await;
}

#[tokio::test]
async fn the_same_file_twice_is_stored_once_and_orphans_are_swept_s3() {
    let s3 = S3Server::start();
    dedupe_and_sweep(s3.storage("tenant-a/evidence", 1 << 20)).await;
}

fn sub_path(cycle: &str, body: &str) -> String {
    format!("/api/v1/cycles/{cycle}/submissions/{body}")
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get_as(token, path).await;
    res.assert_status(StatusCode::OK);
    res.header("etag").expect("etag").to_owned()
}

#[tokio::test]
async fn a_file_on_a_report_entry_is_seen_by_who_may_see_the_report_and_the_edition_proves_it() {
    let (_dir, storage) = folder(1 << 20);
    let app = app_with(storage).await;
    let t = team(&app).await;
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&t.sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&t.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let bytes = pdf("signed MoU");
    let up = upload(&app, &t.dgicm.token, "MoU.pdf", &bytes).await.json();
    let id = up["id"].as_str().expect("id").to_owned();
    let path = sub_path(&cycle, "DGICM");
    let etag = etag_of(&app, &t.dgicm.token, &path).await;
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&t.dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": t.activity, "status": "on_track", "narrative": "MoU signed", "attachment_ids": [id]}]}))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    assert_eq!(
        saved.json()["entries"][0]["attachments"][0]["id"],
        id.as_str()
    );
    let meta = format!("/api/v1/attachments/{id}");
    let content = format!("{meta}/content");

    // A draft: the body and the secretariat; another body's officer and viewers 404.
    for who in [&t.dgicm, &t.sec, &t.admin] {
        assert_eq!(status_of(&app, &who.token, &content).await, StatusCode::OK);
    }
    for who in [&t.somtc, &t.viewer] {
        for p in [&meta, &content] {
            app.get_as(&who.token, p)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
    }
    // A save without attachment_ids keeps the files.
    let etag = etag_of(&app, &t.dgicm.token, &path).await;
    let resaved = app
        .request(Method::PUT, &path)
        .bearer(&t.dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": t.activity, "status": "on_track", "narrative": "MoU signed and filed"}]}))
        .send()
        .await;
    resaved.assert_status(StatusCode::OK);
    assert_eq!(
        resaved.json()["entries"][0]["attachments"][0]["id"],
        id.as_str()
    );

    // Submitted: other bodies' officers too; viewers still not.
    let etag = etag_of(&app, &t.dgicm.token, &path).await;
    app.request(Method::POST, &format!("{path}/submit"))
        .bearer(&t.dgicm.token)
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(
        status_of(&app, &t.somtc.token, &content).await,
        StatusCode::OK
    );
    app.get_as(&t.viewer.token, &content)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // The secretariat's review page links the file, and the link downloads it.
    let (_, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let review = app
        .web_get(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/submissions/DGICM"),
        )
        .await;
    review.assert_status(StatusCode::OK);
    assert!(review.text().contains(&format!("/ui/attachments/{id}")));
    let download = app
        .web_get(Some(&sec_cookie), &format!("/ui/attachments/{id}"))
        .await;
    download.assert_status(StatusCode::OK);
    assert_eq!(download.body, bytes);

    // Accepted: viewers too.
    let etag = etag_of(&app, &t.sec.token, &path).await;
    app.request(Method::POST, &format!("{path}/accept"))
        .bearer(&t.sec.token)
        .header("if-match", &etag)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let got = app.get_as(&t.viewer.token, &content).await;
    got.assert_status(StatusCode::OK);
    assert_eq!(got.body, bytes);

    // The consolidated CSV names the file.
    let csv = app
        .get_as(
            &t.sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=csv"),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(csv.text().contains("MoU.pdf"), "{}", csv.text());

    // Closed: the edition lists the file by name, size and SHA-256, and its hash
    // covers them.
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/close"))
        .bearer(&t.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let edition = app
        .get_as(&t.viewer.token, &format!("/api/v1/cycles/{cycle}/edition"))
        .await;
    edition.assert_status(StatusCode::OK);
    let edition = edition.json();
    let entries = edition["content"]["entries"].as_array().expect("entries");
    let files: Vec<&Value> = entries
        .iter()
        .filter_map(|e| e["attachments"].as_array())
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "{edition}");
    assert_eq!(files[0]["name"], "MoU.pdf");
    assert_eq!(files[0]["size"], bytes.len());
    // The hash of the bytes served equals the one the edition froze.
    let served = app.get_as(&t.viewer.token, &content).await.body;
    assert_eq!(files[0]["sha256"], sha_hex(&served));
    assert_eq!(
        edition["sha256"],
        canonical_hash(&edition["content"]),
        "the edition's hash covers the files"
    );
}

/// The edition's hash recomputed from its content: canonical JSON (sorted keys, no
/// spaces), as tests/it/cycles.rs does.
fn canonical_hash(content: &Value) -> String {
    fn canonical(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        format!(
                            "{}:{}",
                            Value::String((*k).clone()),
                            canonical(&m[k.as_str()])
                        )
                    })
                    .collect();
                format!("{{{}}}", parts.join(","))
            }
            Value::Array(a) => format!(
                "[{}]",
                a.iter().map(canonical).collect::<Vec<_>>().join(",")
            ),
            other => other.to_string(),
        }
    }
    hex::encode(Sha256::digest(canonical(content).as_bytes()))
}
