//! The pages' CSV download of the consolidated report (issue 24, item 12), opened by a
//! real spreadsheet: LibreOffice Calc converts it headless to XLSX and the cells are
//! read back (calamine). Thai, Vietnamese and Khmer narratives must come through as
//! typed, the byte-order mark must not leak into the first header, and the headers and
//! statuses are words.
//!
//! The import options are those Calc's Text Import dialog offers for this file: comma,
//! double quotes, Unicode (UTF-8). They are named on the command line because
//! LibreOffice 7.4's headless conversion without options reads a CSV as Windows-1252
//! whatever its byte-order mark (newer versions' dialog detect it; Excel needs it).
//! Needs Debian's `libreoffice-calc-nogui` (`.ci/run` installs it). Slow and the same on
//! either database, so it runs in the SQLite pass only; without LibreOffice it is skipped
//! with the reason printed, except under `CI=true`, where that fails.

use std::process::Command;

use axum::http::{Method, StatusCode};
use calamine::{Reader, Xlsx};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::TestApp;

const PLAN: &str = "MSWP-TIP-2023-2028";
const THAI: &str = "ฝึกอบรมเจ้าหน้าที่ตรวจคนเข้าเมืองที่ด่านอรัญประเทศ 2 รุ่น";
const VIETNAMESE: &str = "Thiếu phiên dịch viên cho hai ngôn ngữ; cần hỗ trợ từ Bộ Công an";
const KHMER: &str = "វគ្គបណ្តុះបណ្តាលទីពីរនៅប៉ោយប៉ែត";

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

/// A cycle in which DGICM's report, in three scripts, is accepted; its id.
async fn world(app: &TestApp) -> String {
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let activity = post(
        app,
        &sec.token,
        &format!("/api/v1/work-plans/{plan}/activities"),
        json!({"area": "A", "code": "A.a.93", "title": "Hotline \"1300\", border checkpoints",
               "lead_body": "DGICM", "planned_start": "2024-01-01", "planned_end": "2027-12-31"}),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cycle = post(
        app,
        &sec.token,
        "/api/v1/cycles",
        json!({"work_plan_id": plan, "kind": "somtc", "name": "28th SOMTC", "meeting_date": "2099-06-20",
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
    let saved = app
        .request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag(&seen))
        .json(&json!({"entries": [{"activity_id": activity, "status": "on_track", "percent_complete": 40,
                       "narrative": THAI, "challenges": VIETNAMESE, "next_steps": KHMER}]}))
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
    cycle
}

/// The XLSX LibreOffice Calc makes of `csv`, or `None` (the reason printed) when it is
/// not installed and this is not CI.
fn calc_converts(csv: &[u8]) -> Option<Vec<u8>> {
    let calc = Command::new("libreoffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && [
            "/usr/lib/libreoffice/program/libsclo.so",
            "/usr/lib64/libreoffice/program/libsclo.so",
        ]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    if !calc {
        let why = "LibreOffice Calc is not installed (apt-get install -y --no-install-recommends \
                   libreoffice-calc-nogui)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("skipping the LibreOffice Calc conversion: {why}");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("report.csv");
    std::fs::write(&input, csv).expect("write");
    // A private profile, so that conversions running at the same time do not collide.
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.path().join("profile").display()
    );
    let out = Command::new("libreoffice")
        .args([
            &profile,
            "--headless",
            // Comma, double quote, UTF-8 (76), from line 1: the Text Import dialog's
            // choices for this file.
            "--infilter=CSV:44,34,76,1",
            "--convert-to",
            "xlsx",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&input)
        .output()
        .expect("libreoffice runs");
    let xlsx = dir.path().join("report.xlsx");
    assert!(
        out.status.success() && xlsx.exists(),
        "conversion failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read(xlsx).expect("read the xlsx"))
}

#[tokio::test]
async fn the_pages_csv_opens_in_libreoffice_calc_with_thai_vietnamese_and_khmer_intact() {
    let app = TestApp::spawn().await;
    let cycle = world(&app).await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let csv = app
        .web_get(Some(&cookie), &format!("/ui/cycles/{cycle}/report.csv"))
        .await;
    csv.assert_status(StatusCode::OK);
    assert!(
        csv.body.starts_with(&[0xef, 0xbb, 0xbf]),
        "a UTF-8 byte-order mark first"
    );
    // The bytes themselves are UTF-8 with the text as typed.
    let text = std::str::from_utf8(&csv.body[3..]).expect("UTF-8");
    assert!(text.contains(THAI) && text.contains(VIETNAMESE) && text.contains(KHMER));

    if std::env::var_os("TEST_DATABASE_URL").is_some() {
        eprintln!("the LibreOffice Calc conversion runs in the SQLite pass only");
        return;
    }
    let Some(xlsx) = calc_converts(&csv.body) else {
        return;
    };
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an xlsx");
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).expect("the sheet");
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = &rows[0];
    // Readable headers, each in its own column; the mark is not part of the first one.
    assert_eq!(header[0], "Area", "{header:?}");
    for name in [
        "Activity code",
        "Activity",
        "Body",
        "Report status",
        "What was done",
        "Challenges",
        "Next steps",
    ] {
        assert!(header.iter().any(|h| h == name), "{name} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let row = rows
        .iter()
        .find(|r| r[col("Activity code")] == "A.a.93")
        .unwrap_or_else(|| panic!("A.a.93 in {rows:?}"));
    assert_eq!(row[col("Activity")], "Hotline \"1300\", border checkpoints");
    assert_eq!(row[col("Body")], "DGICM");
    assert_eq!(row[col("What was done")], THAI);
    assert_eq!(row[col("Challenges")], VIETNAMESE);
    assert_eq!(row[col("Next steps")], KHMER);
    assert_eq!(row[col("Report status")], "Accepted");
}
