//! Evidence files chosen in the pages' Update form: a multipart post without htmx
//! stores the file through the API's upload code and attaches it to the update; an
//! officer of another body is refused with nothing stored; a refused type gives the
//! form back, as typed, with the problem in plain words and nothing saved.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use wpt_domain::Role;
use wpt_tests::{TestApp, TestResponse, WEB_ORIGIN};

const PLAN: &str = "MSWP-TIP-2023-2028";
const BOUNDARY: &str = "----wpt-page-boundary-Q2xq8sK1";

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% workshop\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The form as a browser sends it: the text fields, then the file input (`None`: no
/// file chosen, an empty part without a name, as browsers send it).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    multipart_in(fields, "file", file)
}

/// [`multipart`] with the file input named `input`.
fn multipart_in(
    fields: &[(&str, &str)],
    input: &str,
    file: Option<(&str, &str, &[u8])>,
) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let (name, media_type, bytes) = file.unwrap_or(("", "application/octet-stream", b""));
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{input}\"; filename=\"{name}\"\r\nContent-Type: {media_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post(app: &TestApp, cookie: &str, path: &str, body: Vec<u8>, htmx: bool) -> TestResponse {
    let mut req = app
        .request(Method::POST, path)
        .anonymous()
        .header("host", WEB_ORIGIN.trim_start_matches("http://"))
        .header("origin", WEB_ORIGIN)
        .header("cookie", cookie)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .raw(body);
    if htmx {
        req = req.header("hx-request", "true");
    }
    req.send().await
}

fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().expect("a value").to_owned()
}

fn fields<'a>(narrative: &'a str, seen: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("seen", seen),
        ("from", "list"),
        ("status", "on_track"),
        ("percent_complete", "30"),
        ("narrative", narrative),
        ("challenges", ""),
        ("next_steps", ""),
        ("evidence_urls", ""),
    ]
}

struct Setup {
    app: TestApp,
    sec_token: String,
    dgicm: String,
    somtc: String,
    activity: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let (sec, _) = app.web_caller(Role::Secretariat, None).await;
    let (_, dgicm) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let (_, somtc) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{plan}/activities"))
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.f.1", "title": "Regional workshop", "lead_body": "DGICM", "cooperating_bodies": []}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let activity = res.json()["id"].as_str().expect("id").to_owned();
    Setup {
        app,
        sec_token: sec.token,
        dgicm,
        somtc,
        activity,
    }
}

async fn timeline(s: &Setup) -> serde_json::Value {
    s.app
        .get_as(
            &s.sec_token,
            &format!("/api/v1/activities/{}/progress", s.activity),
        )
        .await
        .json()
}

async fn stored_rows(s: &Setup, sha: &str) -> u64 {
    wpt_db::attachments::count_by_hash(s.app.database(), sha)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_file_chosen_in_the_update_form_without_script_is_stored_and_attached() {
    let s = setup().await;
    let form_page = s
        .app
        .web_get(
            Some(&s.dgicm),
            &format!("/ui/activities/{}/update", s.activity),
        )
        .await
        .text();
    assert!(
        form_page.contains("enctype=\"multipart/form-data\""),
        "{form_page}"
    );
    assert!(
        form_page.contains("type=\"file\" name=\"file\""),
        "{form_page}"
    );
    let seen = input_value(&form_page, "seen");
    let bytes = pdf();
    let path = format!("/ui/activities/{}/progress", s.activity);
    let res = post(
        &s.app,
        &s.dgicm,
        &path,
        multipart(
            &fields("Workshop held", &seen),
            Some(("Workshop report.pdf", "application/pdf", &bytes)),
        ),
        false,
    )
    .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert!(
        res.header("set-cookie")
            .is_some_and(|c| c.contains("wpt_flash")),
        "a flash message is set: {:?}",
        res.headers
    );
    let t = timeline(&s).await;
    let file = &t["items"][0]["attachments"][0];
    assert_eq!(file["filename"], "Workshop report.pdf", "{t}");
    assert_eq!(file["sha256"], sha_hex(&bytes));
    assert_eq!(file["attached"], true);
    assert_eq!(stored_rows(&s, &sha_hex(&bytes)).await, 1);
    // The page lists it and its link downloads the same bytes.
    let id = file["id"].as_str().expect("id");
    let download = s
        .app
        .web_get(Some(&s.dgicm), &format!("/ui/attachments/{id}"))
        .await;
    download.assert_status(StatusCode::OK);
    assert_eq!(download.body, bytes);

    // With htmx in the row, and no file chosen: saved, with no file.
    let again = s
        .app
        .web_get(
            Some(&s.dgicm),
            &format!("/ui/activities/{}/update", s.activity),
        )
        .await
        .text();
    let seen = input_value(&again, "seen");
    let res = post(
        &s.app,
        &s.dgicm,
        &path,
        multipart(
            &[
                ("seen", seen.as_str()),
                ("from", "row"),
                ("status", "on_track"),
                ("percent_complete", "50"),
                ("narrative", "No file this time"),
            ],
            None,
        ),
        true,
    )
    .await;
    res.assert_status(StatusCode::OK);
    assert!(res.text().contains("Saved: A.f.1"), "{}", res.text());
    let t = timeline(&s).await;
    assert_eq!(t["items"].as_array().map(Vec::len), Some(2), "{t}");
    let newest = t["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["narrative"] == "No file this time")
        .expect("the second update");
    assert_eq!(newest["attachments"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_officer_of_another_body_is_refused_and_nothing_is_stored() {
    let s = setup().await;
    let bytes = pdf();
    let res = post(
        &s.app,
        &s.somtc,
        &format!("/ui/activities/{}/progress", s.activity),
        multipart(
            &fields("Not ours", ""),
            Some(("Theirs.pdf", "application/pdf", &bytes)),
        ),
        false,
    )
    .await;
    res.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(stored_rows(&s, &sha_hex(&bytes)).await, 0);
    assert_eq!(
        timeline(&s).await["items"].as_array().map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn a_refused_type_gives_the_form_back_as_typed_with_a_plain_error() {
    let s = setup().await;
    let page = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";
    let res = post(
        &s.app,
        &s.dgicm,
        &format!("/ui/activities/{}/progress", s.activity),
        multipart(
            &fields("Typed before the bad file", ""),
            Some(("report.pdf", "application/pdf", page)),
        ),
        false,
    )
    .await;
    res.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let html = res.text();
    assert!(html.contains("The file was refused"), "{html}");
    assert!(html.contains("Nothing was saved"), "{html}");
    assert!(
        html.contains("Typed before the bad file"),
        "the text is kept: {html}"
    );
    assert!(html.contains("type=\"file\""), "the form is back: {html}");
    assert_eq!(stored_rows(&s, &sha_hex(page)).await, 0);
    assert_eq!(
        timeline(&s).await["items"].as_array().map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn a_report_block_takes_a_file_and_drops_it_when_unticked() {
    let s = setup().await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let created = s
        .app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&s.sec_token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle = created.json()["id"].as_str().expect("id").to_owned();
    s.app
        .request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&s.sec_token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let page_path = format!("/ui/cycles/{cycle}/submissions/DGICM");
    let page = s.app.web_get(Some(&s.dgicm), &page_path).await.text();
    assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
    let a = s.activity.as_str();
    let file_input = format!("{a}.file");
    assert!(page.contains(&format!("name=\"{file_input}\"")), "{page}");
    let version = input_value(&page, "version");
    let status = format!("{a}.status");
    let narrative = format!("{a}.narrative");
    let files = format!("{a}.files");
    let bytes = pdf();

    // "Save all blocks" without script, with a file in the block.
    let res = post(
        &s.app,
        &s.dgicm,
        &format!("{page_path}/save"),
        multipart_in(
            &[
                ("version", version.as_str()),
                (status.as_str(), "on_track"),
                (narrative.as_str(), "MoU signed"),
                (files.as_str(), "1"),
            ],
            &file_input,
            Some(("MoU.pdf", "application/pdf", &bytes)),
        ),
        false,
    )
    .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let api = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let sub = s.app.get_as(&s.sec_token, &api).await.json();
    let entry = sub["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["activity_id"] == a)
        .expect("the entry")
        .clone();
    assert_eq!(
        entry["attachments"][0]["sha256"],
        sha_hex(&bytes),
        "{entry}"
    );
    let page = s.app.web_get(Some(&s.dgicm), &page_path).await.text();
    assert!(page.contains("Keep MoU.pdf"), "{page}");

    // The block's own button (htmx), its box unticked: the file is dropped.
    let version = sub["version"].to_string();
    let res = post(
        &s.app,
        &s.dgicm,
        &format!("{page_path}/entries/{a}"),
        multipart_in(
            &[
                ("version", version.as_str()),
                (status.as_str(), "on_track"),
                (narrative.as_str(), "MoU signed"),
                (files.as_str(), "1"),
            ],
            &file_input,
            None,
        ),
        true,
    )
    .await;
    res.assert_status(StatusCode::OK);
    let sub = s.app.get_as(&s.sec_token, &api).await.json();
    let entry = sub["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["activity_id"] == a)
        .expect("the entry")
        .clone();
    assert_eq!(
        entry["attachments"].as_array().map(Vec::len),
        Some(0),
        "{entry}"
    );
}
