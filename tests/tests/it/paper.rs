//! The meeting paper: the consolidated report as a Word document (`?format=docx`, Word's
//! media type in `Accept`, and the report page's download), read by real consumers.
//!
//! - Its structure, read from the package (`word/document.xml` and the header, footer
//!   and relationships): the headings in order with Word's built-in heading styles,
//!   every table's first row marked as a header row repeated on each page, A4 with page
//!   numbers, the draft notice on every page of an open cycle and the edition's SHA-256
//!   on a closed one's; a viewer's paper has the accepted entries and no actuals.
//! - LibreOffice converts it to PDF (`libreoffice --headless --convert-to pdf`) and the
//!   PDF's text (`pdftotext`) has every activity code, every body and the edition hash.
//!   Debian's `libreoffice-writer-nogui` and `poppler-utils` (`.ci/run` installs them).
//!   The conversion is slow and does not depend on the database, so it runs in the
//!   SQLite pass only (not again with `TEST_DATABASE_URL`); without LibreOffice it is
//!   skipped with the reason printed, except under `CI=true`, where that fails.

use std::collections::BTreeSet;
use std::io::Read;
use std::process::Command;

use axum::http::{Method, StatusCode};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const NARRATIVE: &str = "Border officials briefed in Aranyaprathet & Poipet <2 sessions>";
const ACTUAL: &str = "8642";

/// Evidence links the API accepts but that are no URL a relationship target may carry:
/// the paper shows them as text, without a hyperlink.
const BAD_LINKS: [&str; 2] = ["https://x/%zz", "https://["];

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

struct World {
    sec: Caller,
    viewer: Caller,
    cycle: String,
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app
        .request(Method::POST, path)
        .bearer(token)
        .json(&body)
        .send()
        .await;
    assert!(
        res.status.is_success(),
        "{path}: {} {}",
        res.status,
        res.text()
    );
    res.json()
}

/// Two activities (DGICM leads, AICHR cooperates on the first), an overdue milestone, an
/// indicator with an actual, and an open cycle in which DGICM's report is accepted.
async fn world(app: &TestApp) -> World {
    let sec = app.caller(Role::Secretariat, None).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let mut ids = Vec::new();
    for (code, title, coop) in [
        (
            "A.a.91",
            "Safe migration campaign at border checkpoints",
            vec!["AICHR"],
        ),
        (
            "B.a.91",
            "Regional guidelines on victim identification",
            vec![],
        ),
    ] {
        let a = post(
            app,
            &sec.token,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
            json!({"area": &code[..1], "code": code, "title": title, "actip_reference": "ACTIP Art. 11",
                   "lead_body": "DGICM", "cooperating_bodies": coop,
                   "planned_start": "2024-01-01", "planned_end": "2027-12-31"}),
        )
        .await;
        ids.push(a["id"].as_str().expect("id").to_owned());
    }
    post(
        app,
        &sec.token,
        &format!("/api/v1/activities/{}/milestones", ids[0]),
        json!({"title": "Pilot workshop held", "due_on": "2024-03-31"}),
    )
    .await;
    let indicator = post(
        app,
        &sec.token,
        &format!("/api/v1/activities/{}/indicators", ids[0]),
        json!({"name": "Officials trained", "measure": "number", "baseline": "0", "target": "400"}),
    )
    .await;
    post(
        app,
        &dgicm.token,
        &format!(
            "/api/v1/indicators/{}/actuals",
            indicator["id"].as_str().expect("id")
        ),
        json!({"period_start": "2025-07-01", "period_end": "2026-06-30", "value": ACTUAL}),
    )
    .await;
    let cycle = post(
        app,
        &sec.token,
        "/api/v1/cycles",
        json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "27th SOMTC", "meeting_date": "2099-06-20",
               "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    post(
        app,
        &sec.token,
        &format!("/api/v1/cycles/{cycle}/open"),
        json!({}),
    )
    .await;

    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = |res: &wpt_tests::TestResponse| res.header("etag").expect("etag").to_owned();
    let seen = app.get_as(&dgicm.token, &path).await;
    seen.assert_status(StatusCode::OK);
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"activity_id": id, "status": "on_track", "percent_complete": 40, "narrative": NARRATIVE,
                   "challenges": "Interpreters for two languages", "next_steps": "Second round in Mae Sot",
                   "evidence_urls": ["https://example.org/evidence/briefing.pdf", BAD_LINKS[0], BAD_LINKS[1]]})
        })
        .collect();
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag(&seen))
        .json(&json!({ "entries": entries }))
        .send()
        .await;
    saved.assert_status(StatusCode::OK);
    app.request(Method::POST, &format!("{path}/submit"))
        .bearer(&dgicm.token)
        .header("if-match", &etag(&saved))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let seen = app.get_as(&sec.token, &path).await;
    app.request(Method::POST, &format!("{path}/accept"))
        .bearer(&sec.token)
        .header("if-match", &etag(&seen))
        .send()
        .await
        .assert_status(StatusCode::OK);
    World { sec, viewer, cycle }
}

/// The paper of `cycle` as `token` reads it, asked for by `Accept`.
async fn paper(app: &TestApp, token: &str, cycle: &str) -> Vec<u8> {
    let res = app
        .request(Method::GET, &format!("/api/v1/cycles/{cycle}/report"))
        .bearer(token)
        .header("accept", DOCX)
        .send()
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.header("content-type"), Some(DOCX));
    assert!(
        res.header("content-disposition")
            .is_some_and(|d| d.contains(".docx")),
        "a download"
    );
    res.body
}

/// A part of the package, as text.
fn part(docx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip package");
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

/// What the tests read from `word/document.xml`.
#[derive(Debug, Default)]
struct Structure {
    /// (level, text) of every paragraph in a `HeadingN` style, in order.
    headings: Vec<(u8, String)>,
    /// Per table: whether its first row is marked `w:tblHeader`.
    header_rows: Vec<bool>,
    /// All text, paragraphs separated by newlines.
    text: String,
    /// The page size (w, h) of the section.
    page: Option<(String, String)>,
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.value.to_string())
}

fn structure(document: &str) -> Structure {
    let mut reader = Reader::from_str(document);
    let mut s = Structure::default();
    let (mut style, mut para) = (None::<String>, String::new());
    let (mut in_text, mut row_in_table, mut in_first_row) = (false, Vec::<usize>::new(), false);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "w:tbl" => {
                s.header_rows.push(false);
                row_in_table.push(0);
            }
            Event::Start(e) if e.name().as_ref() == "w:tr" => {
                let n = row_in_table.last_mut().expect("a row inside a table");
                *n += 1;
                in_first_row = *n == 1;
            }
            Event::Empty(e) if e.name().as_ref() == "w:tblHeader" => {
                assert!(in_first_row, "only a table's first row is its header");
                *s.header_rows.last_mut().expect("a table") = true;
            }
            Event::Empty(e) if e.name().as_ref() == "w:pStyle" => style = attr(&e, "w:val"),
            Event::Empty(e) if e.name().as_ref() == "w:pgSz" => {
                s.page = Some((
                    attr(&e, "w:w").unwrap_or_default(),
                    attr(&e, "w:h").unwrap_or_default(),
                ));
            }
            Event::Empty(e) if e.name().as_ref() == "w:br" => para.push('\n'),
            Event::Start(e) if e.name().as_ref() == "w:t" => in_text = true,
            Event::End(e) if e.name().as_ref() == "w:t" => in_text = false,
            Event::Text(t) if in_text => para.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let name: &str = r.as_ref();
                para.push_str(match name {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                });
            }
            Event::End(e) if e.name().as_ref() == "w:p" => {
                if let Some(level) = style
                    .as_deref()
                    .and_then(|s| s.strip_prefix("Heading"))
                    .and_then(|n| n.parse().ok())
                {
                    s.headings.push((level, para.clone()));
                }
                s.text.push_str(&para);
                s.text.push('\n');
                style = None;
                para.clear();
            }
            Event::Empty(e) if e.name().as_ref() == "w:p" => s.text.push('\n'),
            Event::End(e) if e.name().as_ref() == "w:tbl" => {
                row_in_table.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    s
}

#[tokio::test]
async fn the_paper_is_a_real_document_with_headings_header_rows_and_the_draft_notice() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let docx = paper(&app, &w.sec.token, &w.cycle).await;
    let report = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{}/report", w.cycle))
        .await
        .json();
    let doc = structure(&part(&docx, "word/document.xml"));

    // The headings: summary, then each area and its activities by code, then the annex.
    let mut expected: Vec<(u8, String)> = vec![
        (1, "Summary".into()),
        (2, "Accepted entries by status".into()),
        (2, "By area".into()),
        (2, "By body".into()),
        (1, "Activities by area".into()),
    ];
    for area in report["areas"].as_array().expect("areas") {
        expected.push((
            2,
            format!(
                "Area {}: {}",
                area["code"].as_str().expect("code"),
                area["title"].as_str().expect("title")
            ),
        ));
        for a in area["activities"].as_array().expect("activities") {
            expected.push((
                3,
                format!(
                    "{} {}",
                    a["code"].as_str().expect("code"),
                    a["title"].as_str().expect("title")
                ),
            ));
        }
    }
    expected.extend([
        (1, "Annex".into()),
        (2, "Overdue milestones".into()),
        (2, "Indicators".into()),
    ]);
    assert_eq!(doc.headings, expected);
    let styles = part(&docx, "word/styles.xml");
    for level in 1..=3 {
        assert!(
            styles.contains(&format!(
                "w:styleId=\"Heading{level}\"><w:name w:val=\"heading {level}\"/>"
            )) && styles.contains(&format!("<w:outlineLvl w:val=\"{}\"/>", level - 1)),
            "Word's built-in heading {level}, with its outline level"
        );
    }

    // Every table repeats its header row; A4 with "Page N of M" in the footer.
    assert!(doc.header_rows.len() >= 6, "{:?}", doc.header_rows);
    assert!(doc.header_rows.iter().all(|h| *h), "{:?}", doc.header_rows);
    assert_eq!(doc.page, Some(("11906".into(), "16838".into())), "A4");
    let footer = part(&docx, "word/footer1.xml");
    assert!(footer.contains("w:instr=\" PAGE \"") && footer.contains("w:instr=\" NUMPAGES \""));
    let header = part(&docx, "word/header1.xml");
    assert!(
        header.contains("Draft: not all reports accepted"),
        "{header}"
    );
    assert!(
        part(&docx, "word/document.xml").contains("<w:headerReference w:type=\"default\""),
        "the one section's header is on every page"
    );

    // The content: user text as text, every activity and body, the annex.
    assert!(doc.text.contains(NARRATIVE), "{}", doc.text);
    for needle in [
        "A.a.91",
        "B.a.91",
        "DGICM",
        "AICHR",
        "ACTIP Art. 11",
        "Interpreters for two languages",
        "Second round in Mae Sot",
        "Pilot workshop held",
        "Officials trained",
        ACTUAL,
        "on track, 40%",
        "Planned: 1 January 2024 to 31 December 2027",
    ] {
        assert!(doc.text.contains(needle), "{needle} missing: {}", doc.text);
    }
    let rels = part(&docx, "word/_rels/document.xml.rels");
    assert!(
        rels.contains(
            "Target=\"https://example.org/evidence/briefing.pdf\" TargetMode=\"External\""
        ),
        "evidence links are links: {rels}"
    );
    for bad in BAD_LINKS {
        assert!(doc.text.contains(bad), "{bad} shown as text: {}", doc.text);
        assert!(
            !rels.contains(&format!("Target=\"{bad}\"")),
            "{bad} is no relationship target: {rels}"
        );
    }
    assert_eq!(
        rels.matches("TargetMode=\"External\"").count(),
        rels.matches("briefing.pdf").count(),
        "only the good link is a hyperlink: {rels}"
    );

    // A viewer's paper: the accepted entries, and no indicator actuals.
    let theirs = structure(&part(
        &paper(&app, &w.viewer.token, &w.cycle).await,
        "word/document.xml",
    ));
    assert!(theirs.text.contains(NARRATIVE));
    assert!(!theirs.text.contains(ACTUAL), "a viewer reads no actuals");

    // `?format=docx` and the report page's download are the same document.
    let by_query = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{}/report?format=docx", w.cycle),
        )
        .await;
    by_query.assert_status(StatusCode::OK);
    assert_eq!(by_query.header("content-type"), Some(DOCX));
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let page = app
        .web_get(Some(&cookie), &format!("/ui/cycles/{}/report", w.cycle))
        .await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.text()
            .contains(&format!("href=\"/ui/cycles/{}/report.docx\"", w.cycle))
    );
    let download = app
        .web_get(
            Some(&cookie),
            &format!("/ui/cycles/{}/report.docx", w.cycle),
        )
        .await;
    download.assert_status(StatusCode::OK);
    assert_eq!(download.header("content-type"), Some(DOCX));
    assert_eq!(
        structure(&part(&download.body, "word/document.xml")).headings,
        expected
    );
}

/// The text of a PDF made from `docx` by LibreOffice, or `None` (with the reason printed)
/// when LibreOffice is not installed and this is not CI.
fn converted_text(docx: &[u8]) -> Option<String> {
    let have = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !(have("libreoffice", "--version") && have("pdftotext", "-v")) {
        let why = "libreoffice or pdftotext is not installed (apt-get install -y --no-install-recommends \
                   libreoffice-writer-nogui poppler-utils)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipping the LibreOffice conversion: {why}");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("paper.docx");
    std::fs::write(&input, docx).expect("write");
    // A private profile, so that conversions running at the same time do not collide.
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.path().join("profile").display()
    );
    let out = Command::new("libreoffice")
        .args([&profile, "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&input)
        .output()
        .expect("libreoffice runs");
    let pdf = dir.path().join("paper.pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "conversion failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    Some(String::from_utf8_lossy(&text.stdout).into_owned())
}

#[tokio::test]
async fn a_closed_cycle_s_paper_names_its_frozen_edition_and_libreoffice_reads_it() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    post(
        &app,
        &w.sec.token,
        &format!("/api/v1/cycles/{}/close", w.cycle),
        json!({}),
    )
    .await;
    let sha = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{}/edition", w.cycle))
        .await
        .json()["sha256"]
        .as_str()
        .expect("sha256")
        .to_owned();
    let docx = paper(&app, &w.sec.token, &w.cycle).await;
    // To look at it: WPT_PAPER_OUT=/tmp/paper.docx.
    if let Some(out) = std::env::var_os("WPT_PAPER_OUT") {
        std::fs::write(out, &docx).expect("write the paper");
    }
    let header = part(&docx, "word/header1.xml");
    assert!(
        header.contains("frozen edition") && header.contains(&sha),
        "{header}"
    );
    assert!(!header.contains("Draft"), "{header}");
    let doc = structure(&part(&docx, "word/document.xml"));
    assert!(doc.text.contains(&sha) && doc.text.contains("frozen"));

    if std::env::var_os("TEST_DATABASE_URL").is_some() {
        eprintln!("the LibreOffice conversion runs in the SQLite pass only");
        return;
    }
    let Some(pdf) = converted_text(&docx) else {
        return;
    };
    let report = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{}/report", w.cycle))
        .await
        .json();
    let mut codes = BTreeSet::new();
    let mut bodies = BTreeSet::new();
    for area in report["areas"].as_array().expect("areas") {
        for a in area["activities"].as_array().expect("activities") {
            codes.insert(a["code"].as_str().expect("code").to_owned());
            for b in a["bodies"].as_array().expect("bodies") {
                bodies.insert(b["body"].as_str().expect("body").to_owned());
            }
        }
    }
    for b in report["totals"]["by_body"].as_array().expect("by_body") {
        bodies.insert(b["body"].as_str().expect("body").to_owned());
    }
    assert!(codes.contains("A.a.91") && bodies.contains("AICHR"));
    for needle in codes.iter().chain(&bodies).chain([&sha]) {
        assert!(
            pdf.contains(needle.as_str()),
            "{needle} is not in the PDF's text:\n{pdf}"
        );
    }
    // The header is on every page, and the footer numbers them.
    let pages: Vec<&str> = pdf
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 2, "{pdf}");
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains(&sha), "page {} has no edition hash", i + 1);
        assert!(
            page.contains(&format!("Page {} of {}", i + 1, pages.len())),
            "page {} is not numbered:\n{page}",
            i + 1
        );
    }
}
