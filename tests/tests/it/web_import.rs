//! The import page `/ui/plans/{id}/import` without a browser: a preview shows every bad
//! row by row and column and writes nothing, a confirm imports exactly the previewed
//! file, the exported matrix previews as unchanged, and everyone else is refused.

use axum::http::{Method, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use wpt_domain::Role;
use wpt_tests::{TestApp, TestResponse, WEB_ORIGIN, hostile_xlsx};

const PLAN: &str = "MSWP-TIP-2023-2028";

const MATRIX: &str = "Code,Area,Activity,Lead body,Cooperating bodies,Planned start
A.a.1,A,Regional awareness campaign,SOMTC,DGICM,2024-01-01
A.a.2,A,=Border officials' training,DGICM,,
B.a.1,B,Victim identification guidelines,DGICM,SOMTC,
";

fn plan() -> uuid::Uuid {
    wpt_domain::reference_id("work_plan", PLAN)
}

async fn rows(app: &TestApp) -> (u64, u64) {
    let c = app.database().conn();
    (
        wpt_db::entities::activity::Entity::find()
            .count(c)
            .await
            .expect("count"),
        wpt_db::entities::audit_log::Entity::find()
            .count(c)
            .await
            .expect("count"),
    )
}

/// A file to upload: its name, media type and bytes.
type Upload<'a> = (&'a str, &'a str, Vec<u8>);

/// Posts `file` (or no file part at all) as the upload form does, from `origin`.
async fn upload(
    app: &TestApp,
    cookie: &str,
    file: Option<(&str, &str, &[u8])>,
    origin: &str,
) -> TestResponse {
    let boundary = "----wpt-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    if let Some((name, media, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {media}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    app.request(
        Method::POST,
        &format!("/ui/plans/{}/import/preview", plan()),
    )
    .anonymous()
    .header("host", WEB_ORIGIN.trim_start_matches("http://"))
    .header("origin", origin)
    .header("cookie", cookie)
    .header(
        "content-type",
        &format!("multipart/form-data; boundary={boundary}"),
    )
    .raw(body)
    .send()
    .await
}

/// The SHA-256 the preview's confirm form carries.
fn confirm_hash(page: &str) -> String {
    let at = page
        .find("name=\"sha256\" value=\"")
        .unwrap_or_else(|| panic!("a confirm form in\n{page}"));
    page[at + 21..at + 21 + 64].to_owned()
}

#[tokio::test]
async fn a_bad_row_is_shown_by_row_and_column_and_a_fixed_file_imports_on_confirm() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, other) = app.web_caller(Role::Secretariat, None).await;
    let page = app
        .web_get(Some(&cookie), &format!("/ui/plans/{}/import", plan()))
        .await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    for part in [
        "enctype=\"multipart/form-data\"",
        "<label for=\"matrix-file\">",
        "type=\"file\"",
        "/matrix.xlsx",
        "/matrix.csv",
    ] {
        assert!(html.contains(part), "{part} in the page");
    }

    let before = rows(&app).await;
    let bad = MATRIX.replace(
        "B.a.1,B,Victim identification guidelines,DGICM",
        "B.a.1,B,Victim identification guidelines,NOPE",
    );
    let res = upload(
        &app,
        &cookie,
        Some(("matrix.csv", "text/csv", bad.as_bytes())),
        WEB_ORIGIN,
    )
    .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("matrix.csv cannot be imported"), "{html}");
    assert!(html.contains("Nothing was saved"));
    assert!(
        html.contains("<td>4</td><td>Lead Sectoral Body</td>"),
        "row 4, the lead body's column:\n{html}"
    );
    assert!(
        !html.contains("name=\"sha256\""),
        "no confirm for a bad file"
    );
    assert_eq!(rows(&app).await, before, "nothing written");

    let res = upload(
        &app,
        &cookie,
        Some(("matrix.csv", "text/csv", MATRIX.as_bytes())),
        WEB_ORIGIN,
    )
    .await;
    res.assert_status(StatusCode::OK);
    let html = res.text();
    assert!(html.contains("Preview of matrix.csv"), "{html}");
    assert!(html.contains("Nothing has been saved yet"));
    assert!(html.contains("<strong>3</strong>to create"), "{html}");
    assert!(
        html.contains("Row 3: <strong>A.a.2</strong> =Border officials&#39; training")
            || html.contains("Row 3: <strong>A.a.2</strong> =Border officials' training"),
        "{html}"
    );
    assert_eq!(rows(&app).await, before, "a preview writes nothing");
    let sha = confirm_hash(&html);

    // Someone else cannot confirm it: the file is held for the one who previewed it.
    let res = app
        .web_post(
            Some(&other),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &sha)],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("no longer held"));
    assert_eq!(rows(&app).await, before);

    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &sha)],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some(format!("/ui/plans/{}/import", plan()).as_str())
    );
    let after = rows(&app).await;
    assert_eq!(
        after,
        (before.0 + 3, before.1 + 3),
        "three activities, three audit entries"
    );

    // Once only: a second confirm of the same preview imports nothing.
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &sha)],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rows(&app).await, after);

    // The current matrix, downloaded from the page, previews as unchanged.
    for (ext, media) in [
        ("csv", "text/csv"),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ] {
        let file = app
            .web_get(Some(&cookie), &format!("/ui/plans/{}/matrix.{ext}", plan()))
            .await;
        file.assert_status(StatusCode::OK);
        let res = upload(
            &app,
            &cookie,
            Some((&format!("matrix.{ext}"), media, &file.body)),
            WEB_ORIGIN,
        )
        .await;
        res.assert_status(StatusCode::OK);
        let html = res.text();
        assert!(html.contains("<strong>3</strong>unchanged"), "{html}");
        assert!(html.contains("there is nothing to import"), "{html}");
        assert!(!html.contains("name=\"sha256\""));
    }
    assert_eq!(rows(&app).await, after);
}

#[tokio::test]
async fn refusals_keep_the_form_and_write_nothing() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let before = rows(&app).await;
    let cases: Vec<(Option<Upload>, StatusCode, &str)> = vec![
        (
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file to upload",
        ),
        (
            Some(("", "application/octet-stream", Vec::new())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file to upload",
        ),
        (
            Some(("notes.txt", "text/plain", b"hello".to_vec())),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Choose a .csv or .xlsx file",
        ),
        (
            Some(("empty.csv", "text/csv", Vec::new())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "The file is empty",
        ),
        (
            Some((
                "bomb.xlsx",
                "application/octet-stream",
                hostile_xlsx::deflate_bomb(),
            )),
            StatusCode::PAYLOAD_TOO_LARGE,
            "inflates",
        ),
        (
            Some((
                "far.xlsx",
                "application/octet-stream",
                hostile_xlsx::far_apart_cells(true),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a matrix fits in",
        ),
        (
            Some((
                "header.csv",
                "text/csv",
                b"Colour,Code\nred,A.a.1\n".to_vec(),
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not a column of the matrix",
        ),
    ];
    for (file, status, message) in cases {
        let res = upload(
            &app,
            &cookie,
            file.as_ref().map(|(n, m, b)| (*n, *m, b.as_slice())),
            WEB_ORIGIN,
        )
        .await;
        res.assert_status(status);
        let html = res.text();
        assert!(html.contains(message), "{message} in\n{html}");
        assert!(html.contains("id=\"matrix-file\""), "the form again");
        assert!(!html.contains("name=\"sha256\""));
    }
    // Not a multipart form at all.
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import/preview", plan()),
            &[("file", "x")],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A confirm of a file never previewed.
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &"0".repeat(64))],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("Upload the file again"));
    // No such plan.
    app.web_get(
        Some(&cookie),
        &format!("/ui/plans/{}/import", uuid::Uuid::now_v7()),
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    assert_eq!(rows(&app).await, before, "nothing written");
}

#[tokio::test]
async fn officers_viewers_and_forged_posts_are_refused() {
    let app = TestApp::spawn().await;
    let (_, secretariat) = app.web_caller(Role::Secretariat, None).await;
    let (_, officer) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let (_, viewer) = app.web_caller(Role::Viewer, None).await;
    let before = rows(&app).await;
    for cookie in [officer, viewer] {
        let page = app
            .web_get(Some(&cookie), &format!("/ui/plans/{}/import", plan()))
            .await;
        page.assert_status(StatusCode::FORBIDDEN);
        assert!(!page.text().contains("matrix-file"), "no form");
        upload(
            &app,
            &cookie,
            Some(("m.csv", "text/csv", MATRIX.as_bytes())),
            WEB_ORIGIN,
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
        app.web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &"0".repeat(64))],
            false,
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
        // The downloads are for every reader.
        app.web_get(Some(&cookie), &format!("/ui/plans/{}/matrix.csv", plan()))
            .await
            .assert_status(StatusCode::OK);
    }
    // Another site's form, as the secretariat.
    upload(
        &app,
        &secretariat,
        Some(("m.csv", "text/csv", MATRIX.as_bytes())),
        "https://evil.example",
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    // Not signed in: to the login page.
    let res = app
        .web_get(None, &format!("/ui/plans/{}/import", plan()))
        .await;
    assert!(res.status.is_redirection(), "{}", res.status);
    assert_eq!(rows(&app).await, before, "nothing written");
}

/// The activity of `plan()` with this code: its id and title.
async fn activity(app: &TestApp, code: &str) -> (uuid::Uuid, String) {
    use sea_orm::{ColumnTrait, QueryFilter};
    use wpt_db::entities::activity;
    let a = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan()))
        .filter(activity::Column::Code.eq(code))
        .one(app.database().conn())
        .await
        .expect("read")
        .expect("the activity");
    (a.id, a.title)
}

#[tokio::test]
async fn a_confirm_after_someone_else_edited_shows_the_new_preview_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let other = app.caller(Role::Secretariat, None).await;
    let res = upload(
        &app,
        &cookie,
        Some(("matrix.csv", "text/csv", MATRIX.as_bytes())),
        WEB_ORIGIN,
    )
    .await;
    res.assert_status(StatusCode::OK);
    let sha = confirm_hash(&res.text());
    app.web_post(
        Some(&cookie),
        &format!("/ui/plans/{}/import", plan()),
        &[("sha256", &sha)],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // The preview: A.a.1 changes its title, B.a.1 is unchanged.
    let file = MATRIX.replace("Regional awareness campaign", "Regional campaign phase 2");
    let res = upload(
        &app,
        &cookie,
        Some(("matrix.csv", "text/csv", file.as_bytes())),
        WEB_ORIGIN,
    )
    .await;
    res.assert_status(StatusCode::OK);
    let html = res.text();
    assert!(html.contains("<strong>1</strong>to change"), "{html}");
    assert!(html.contains("<strong>2</strong>unchanged"), "{html}");
    let sha = confirm_hash(&html);

    // Meanwhile another user edits B.a.1, which the preview called unchanged.
    let (b, _) = activity(&app, "B.a.1").await;
    let current = app.get(&format!("/api/v1/activities/{b}")).await;
    let etag = current.header("etag").expect("etag").to_owned();
    app.request(Method::PATCH, &format!("/api/v1/activities/{b}"))
        .bearer(&other.token)
        .header("if-match", &etag)
        .json(&serde_json::json!({"title": "Guidelines edited meanwhile"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let before = rows(&app).await;

    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &sha)],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    let html = res.text();
    assert!(
        html.contains("The plan changed since the preview"),
        "{html}"
    );
    assert!(html.contains("<strong>2</strong>to change"), "{html}");
    assert!(html.contains("Guidelines edited meanwhile"), "{html}");
    assert_eq!(rows(&app).await, before, "nothing written");
    assert_eq!(
        activity(&app, "B.a.1").await.1,
        "Guidelines edited meanwhile",
        "the other user's edit is kept"
    );
    assert_eq!(
        activity(&app, "A.a.1").await.1,
        "Regional awareness campaign"
    );

    // The file is held again under the new preview: confirming that imports it.
    assert_eq!(confirm_hash(&html), sha);
    app.web_post(
        Some(&cookie),
        &format!("/ui/plans/{}/import", plan()),
        &[("sha256", &sha)],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(activity(&app, "A.a.1").await.1, "Regional campaign phase 2");
}

#[tokio::test]
async fn one_person_cannot_push_out_everyone_elses_previews() {
    let app = TestApp::spawn().await;
    let (_, mine) = app.web_caller(Role::Secretariat, None).await;
    let (_, theirs) = app.web_caller(Role::Secretariat, None).await;
    let res = upload(
        &app,
        &mine,
        Some(("matrix.csv", "text/csv", MATRIX.as_bytes())),
        WEB_ORIGIN,
    )
    .await;
    res.assert_status(StatusCode::OK);
    let kept = confirm_hash(&res.text());
    // Another person previews more distinct files than the whole store holds.
    let mut hashes = Vec::new();
    for i in 0..=wpt_web::plans::import::HELD_MAX {
        let file = MATRIX.replace("Regional awareness campaign", &format!("Campaign {i}"));
        let res = upload(
            &app,
            &theirs,
            Some(("matrix.csv", "text/csv", file.as_bytes())),
            WEB_ORIGIN,
        )
        .await;
        res.assert_status(StatusCode::OK);
        hashes.push(confirm_hash(&res.text()));
    }
    // Their oldest is gone (they hold at most HELD_PER_USER), mine is still held.
    let res = app
        .web_post(
            Some(&theirs),
            &format!("/ui/plans/{}/import", plan()),
            &[("sha256", &hashes[0])],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("no longer held"));
    app.web_post(
        Some(&mine),
        &format!("/ui/plans/{}/import", plan()),
        &[("sha256", &kept)],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
}
