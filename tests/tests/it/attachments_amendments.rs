//! Evidence files in amendments (issue 18, item 4): an amendment proposes the entry's
//! set of files like its other fields; new uploads are kept with it while it waits and
//! seen exactly by who sees the amendment; accepted, the entry's files become the set;
//! rejected, the entry keeps its files and the new uploads are orphans again.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::storage::folder;
use wpt_tests::{Caller, TEST_PASSWORD, TestApp, TestDb, TestResponse, WEB_ORIGIN};

const BOUNDARY: &str = "----wpt-amendment-boundary-3f9c2a";

fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// Uploads a small PDF called `name` as `token`; its id.
async fn upload(app: &TestApp, token: &str, name: &str) -> String {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf(name));
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = app
        .request(Method::POST, "/api/v1/attachments")
        .bearer(token)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(body)
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get_as(token, path).await;
    res.assert_status(StatusCode::OK);
    res.header("etag").expect("etag").to_owned()
}

async fn status_of(app: &TestApp, token: &str, id: &str) -> StatusCode {
    app.get_as(token, &format!("/api/v1/attachments/{id}/content"))
        .await
        .status
}

/// The ids of the files on DGICM's entry, as the secretariat reads the report.
async fn entry_files(app: &TestApp, token: &str, path: &str) -> Vec<String> {
    app.get_as(token, path).await.json()["entries"][0]["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_owned())
        .collect()
}

fn ids_of(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            a.as_str()
                .or_else(|| a["id"].as_str())
                .expect("an id")
                .to_owned()
        })
        .collect()
}

async fn propose(
    app: &TestApp,
    token: &str,
    path: &str,
    activity: &str,
    files: &[&str],
) -> TestResponse {
    app.request(Method::POST, &format!("{path}/amendments"))
        .bearer(token)
        .json(
            &json!({"entry": {"activity_id": activity, "status": "on_track", "percent_complete": 70,
                                "narrative": "Corrected", "attachment_ids": files},
                      "reason": "The signed version of the MoU"}),
        )
        .send()
        .await
}

struct Setup {
    app: TestApp,
    sec: Caller,
    dgicm: Caller,
    somtc: Caller,
    viewer: Caller,
    activity: String,
    cycle: String,
    /// DGICM's report.
    path: String,
    /// The file on DGICM's accepted entry.
    draft: String,
    /// The storage folder, removed when the test ends.
    _dir: tempfile::TempDir,
}

/// DGICM's report in an open cycle, with one file on its entry, accepted.
async fn accepted_report() -> Setup {
    let (dir, storage) = folder(1 << 20);
    let db = TestDb::prepared().await;
    let mut state = wpt_api::AppState::new(db.db.clone(), wpt_tests::test_auth());
    state.attachments = Arc::new(storage);
    let app = TestApp::with_state(state, db);
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028");
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{plan}/activities"))
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.a.1", "title": "Border campaign", "lead_body": "DGICM", "cooperating_bodies": []}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let activity = res.json()["id"].as_str().expect("id").to_owned();
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");

    // DGICM reports with a draft MoU; submitted and accepted.
    let draft = upload(&app, &dgicm.token, "MoU-draft.pdf").await;
    let etag = etag_of(&app, &dgicm.token, &path).await;
    app.request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": activity, "status": "on_track", "narrative": "MoU drafted", "attachment_ids": [draft]}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    for (who, action) in [(&dgicm, "submit"), (&sec, "accept")] {
        let etag = etag_of(&app, &who.token, &path).await;
        app.request(Method::POST, &format!("{path}/{action}"))
            .bearer(&who.token)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    assert_eq!(
        entry_files(&app, &sec.token, &path).await,
        vec![draft.clone()]
    );
    Setup {
        app,
        sec,
        dgicm,
        somtc,
        viewer,
        activity,
        cycle,
        path,
        draft,
        _dir: dir,
    }
}

#[tokio::test]
async fn amendments_propose_files_kept_for_who_sees_them_and_applied_only_when_accepted() {
    let Setup {
        app,
        sec,
        dgicm,
        somtc,
        viewer,
        activity,
        path,
        draft,
        _dir: _storage,
        ..
    } = accepted_report().await;

    // Only files of the entry or one's own waiting uploads: another's upload is a 422
    // naming it, and nothing is proposed.
    let theirs = upload(&app, &somtc.token, "not-yours.pdf").await;
    let refused = propose(&app, &dgicm.token, &path, &activity, &[&theirs]).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(refused.error_fields(), vec!["attachment_ids[0]".to_owned()]);
    assert_eq!(
        app.get_as(&sec.token, &format!("{path}/amendments"))
            .await
            .json()["items"],
        json!([])
    );

    // Proposed: drop the draft, add the signed MoU.
    let signed = upload(&app, &dgicm.token, "MoU-signed.pdf").await;
    let proposed = propose(&app, &dgicm.token, &path, &activity, &[&signed]).await;
    proposed.assert_status(StatusCode::CREATED);
    let a = proposed.json();
    assert_eq!(
        ids_of(&a["proposed"]["attachment_ids"]),
        vec![signed.clone()]
    );
    assert_eq!(
        ids_of(&a["original"]["attachment_ids"]),
        vec![draft.clone()]
    );
    assert_eq!(ids_of(&a["proposed_attachments"]), vec![signed.clone()]);
    assert_eq!(a["proposed_attachments"][0]["filename"], "MoU-signed.pdf");
    let amendment = a["id"].as_str().expect("id").to_owned();
    // The entry keeps its files until the decision.
    assert_eq!(
        entry_files(&app, &sec.token, &path).await,
        vec![draft.clone()]
    );
    // Who sees the amendment sees its file: the body and the secretariat; another body's
    // officer and viewers do not (404), though they see the accepted report.
    for who in [&dgicm, &sec] {
        assert_eq!(status_of(&app, &who.token, &signed).await, StatusCode::OK);
    }
    for who in [&somtc, &viewer] {
        app.get_as(&who.token, &format!("/api/v1/attachments/{signed}"))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(status_of(&app, &who.token, &draft).await, StatusCode::OK);
    }
    let meta = app
        .get_as(&dgicm.token, &format!("/api/v1/attachments/{signed}"))
        .await
        .json();
    assert_eq!(meta["attached"], true, "kept with the amendment");
    // The file cannot be attached elsewhere meanwhile.
    app.request(
        Method::POST,
        &format!("/api/v1/activities/{activity}/progress"),
    )
    .bearer(&dgicm.token)
    .json(&json!({"status": "on_track", "narrative": "x", "attachment_ids": [signed]}))
    .send()
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // The sweep keeps it, as if a day had passed (the other body's upload goes).
    let later = chrono::Utc::now() + chrono::Duration::seconds(5);
    app.state
        .attachments
        .sweep_before(app.database(), later)
        .await
        .expect("sweep");
    assert_eq!(status_of(&app, &sec.token, &signed).await, StatusCode::OK);
    assert_eq!(
        status_of(&app, &somtc.token, &theirs).await,
        StatusCode::NOT_FOUND
    );

    // Accepted: the entry's files are the proposed set; everyone who sees the report
    // sees the file; the dropped draft is an unattached upload (its uploader's only).
    let decided = app
        .request(
            Method::POST,
            &format!("/api/v1/amendments/{amendment}/accept"),
        )
        .bearer(&sec.token)
        .json(&json!({"note": "Signed copy received"}))
        .send()
        .await;
    decided.assert_status(StatusCode::OK);
    assert_eq!(
        ids_of(&decided.json()["proposed_attachments"]),
        vec![signed.clone()]
    );
    assert_eq!(
        entry_files(&app, &sec.token, &path).await,
        vec![signed.clone()]
    );
    for who in [&dgicm, &sec, &somtc, &viewer] {
        assert_eq!(status_of(&app, &who.token, &signed).await, StatusCode::OK);
    }
    assert_eq!(
        status_of(&app, &sec.token, &draft).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(status_of(&app, &dgicm.token, &draft).await, StatusCode::OK);
    let listed = app
        .get_as(&viewer.token, &format!("{path}/amendments"))
        .await
        .json();
    assert_eq!(
        ids_of(&listed["items"][0]["proposed_attachments"]),
        vec![signed.clone()]
    );

    // Rejected: the entry keeps its files, and the new upload is an orphan again
    // (its uploader's only, then swept).
    let annex = upload(&app, &dgicm.token, "annex.pdf").await;
    let second = propose(&app, &dgicm.token, &path, &activity, &[&signed, &annex]).await;
    second.assert_status(StatusCode::CREATED);
    let second = second.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(status_of(&app, &sec.token, &annex).await, StatusCode::OK);
    let rejected_at = chrono::Utc::now();
    app.request(Method::POST, &format!("/api/v1/amendments/{second}/reject"))
        .bearer(&sec.token)
        .json(&json!({"note": "The annex is not needed"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(
        entry_files(&app, &sec.token, &path).await,
        vec![signed.clone()]
    );
    assert_eq!(
        status_of(&app, &sec.token, &annex).await,
        StatusCode::NOT_FOUND
    );
    let meta = app
        .get_as(&dgicm.token, &format!("/api/v1/attachments/{annex}"))
        .await
        .json();
    assert_eq!(meta["attached"], false);
    // Its 24 hours start at the rejection, not at its upload: a sweep of what is older
    // than the moment of the rejection keeps it.
    app.state
        .attachments
        .sweep_before(app.database(), rejected_at)
        .await
        .expect("sweep");
    assert_eq!(status_of(&app, &dgicm.token, &annex).await, StatusCode::OK);
    let later = chrono::Utc::now() + chrono::Duration::seconds(5);
    app.state
        .attachments
        .sweep_before(app.database(), later)
        .await
        .expect("sweep");
    assert_eq!(
        status_of(&app, &dgicm.token, &annex).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(&app, &viewer.token, &signed).await,
        StatusCode::OK
    );

    // An amendment without attachment_ids leaves the files alone.
    let third = app
        .request(Method::POST, &format!("{path}/amendments"))
        .bearer(&dgicm.token)
        .json(&json!({"entry": {"activity_id": activity, "status": "completed", "percent_complete": 100,
                                "narrative": "Done"}, "reason": "Finished"}))
        .send()
        .await;
    third.assert_status(StatusCode::CREATED);
    assert!(third.json()["proposed"].get("attachment_ids").is_none());
    assert_eq!(third.json()["proposed_attachments"], json!([]));
    let third = third.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/amendments/{third}/accept"))
        .bearer(&sec.token)
        .json(&json!({}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(entry_files(&app, &sec.token, &path).await, vec![signed]);
}

/// A multipart body: `fields`, then one file input `file` (empty when `file` is None).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let (name, bytes) = file.unwrap_or(("", b""));
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, body: Vec<u8>) -> TestResponse {
    app.request(Method::POST, path)
        .anonymous()
        .header("host", WEB_ORIGIN.trim_start_matches("http://"))
        .header("origin", WEB_ORIGIN)
        .header("cookie", cookie)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(body)
        .send()
        .await
}

#[tokio::test]
async fn the_amendment_page_proposes_files_without_script() {
    let s = accepted_report().await;
    let cookie = s
        .app
        .web_login(&s.dgicm.email, TEST_PASSWORD)
        .await
        .expect("page login");
    let report = format!("/ui/cycles/{}/submissions/DGICM", s.cycle);
    let form_path = format!("{report}/amend/{}", s.activity);
    // The accepted report offers a correction per entry to its own officer only.
    let page = s.app.web_get(Some(&cookie), &report).await.text();
    assert!(page.contains(&form_path), "{page}");
    let other = s
        .app
        .web_login(&s.somtc.email, TEST_PASSWORD)
        .await
        .expect("page login");
    let seen_by_other = s.app.web_get(Some(&other), &report).await.text();
    assert!(!seen_by_other.contains(&form_path));
    // The form: the entry's values, its file to keep or drop, a file input.
    let form = s.app.web_get(Some(&cookie), &form_path).await;
    form.assert_status(StatusCode::OK);
    let form = form.text();
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
    assert!(
        form.contains(&format!("name=\"keep\" value=\"{}\"", s.draft)),
        "{form}"
    );
    assert!(form.contains("type=\"file\" name=\"file\""), "{form}");
    assert!(form.contains("MoU drafted"));

    // No reason: the form again, as typed, with the problem; nothing proposed.
    let refused = post_form(
        &s.app,
        &cookie,
        &form_path,
        multipart(
            &[
                ("status", "on_track"),
                ("narrative", "MoU signed"),
                ("files", "1"),
                ("reason", " "),
            ],
            None,
        ),
    )
    .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("MoU signed"));
    let amendments = format!("{}/amendments", s.path);
    assert_eq!(
        s.app.get_as(&s.sec.token, &amendments).await.json()["items"],
        json!([])
    );

    // The draft unticked, the signed copy chosen: proposed as the entry's new set.
    let signed = pdf("signed copy");
    let done = post_form(
        &s.app,
        &cookie,
        &form_path,
        multipart(
            &[
                ("status", "completed"),
                ("percent_complete", "100"),
                ("narrative", "MoU signed"),
                ("files", "1"),
                ("reason", "The MoU was signed after the report"),
            ],
            Some(("MoU-signed.pdf", &signed)),
        ),
    )
    .await;
    done.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(done.header("location"), Some(report.as_str()));
    let listed = s.app.get_as(&s.sec.token, &amendments).await.json();
    let a = &listed["items"][0];
    assert_eq!(a["status"], "proposed");
    assert_eq!(a["proposed"]["percent_complete"], 100);
    let files = a["proposed_attachments"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{a}");
    assert_eq!(files[0]["filename"], "MoU-signed.pdf");
    assert_eq!(
        ids_of(&a["original"]["attachment_ids"]),
        vec![s.draft.clone()]
    );
    // Until the decision, the entry keeps its file.
    assert_eq!(
        entry_files(&s.app, &s.sec.token, &s.path).await,
        vec![s.draft.clone()]
    );
    let new_id = files[0]["id"].as_str().expect("id");
    assert_eq!(
        status_of(&s.app, &s.viewer.token, new_id).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(&s.app, &s.sec.token, new_id).await,
        StatusCode::OK
    );
}
