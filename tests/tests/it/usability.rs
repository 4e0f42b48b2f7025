//! The pages as a busy focal point uses them (issue 24): every form works from every
//! page it appears on, with htmx and as a plain form; one-way actions ask first and say
//! what will happen; every action ends with a visible message carried by the redirect;
//! a closed cycle can be reopened, its first edition kept on record.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{TestApp, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

/// The value of the hidden or text input `name` in a page.
fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().expect("a value").to_owned()
}

/// The `wpt_flash=...` pair a response sets.
fn flash_of(res: &TestResponse) -> String {
    let set = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wpt_flash="))
        .unwrap_or_else(|| panic!("no flash cookie: {:?}", res.headers))
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/ui"),
        "{set}"
    );
    set.split(';').next().expect("pair").to_owned()
}

/// Follows a page's redirect as a browser does (with the flash cookie it set) and
/// returns the next page, checking that it shows `message` and clears the cookie.
async fn follow(app: &TestApp, cookie: &str, res: &TestResponse, message: &str) -> String {
    res.assert_status(StatusCode::SEE_OTHER);
    let to = res.header("location").expect("a location").to_owned();
    let flash = flash_of(res);
    let page = app
        .web_get(
            Some(&format!("{cookie}; {flash}")),
            to.split('#').next().expect("path"),
        )
        .await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    let region = html
        .split("id=\"announce\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no status region: {html}"));
    let region = region.split("</div>").next().expect("region");
    assert!(
        region.contains(message),
        "{to} shows {message:?} in its status region: {region}"
    );
    assert!(
        !html.contains("class=\"visually-hidden\" role=\"status\""),
        "the message is visible"
    );
    let cleared = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("wpt_flash=;") && v.contains("Max-Age=0"));
    assert!(cleared, "the page clears the message once shown");
    html
}

async fn activity(app: &TestApp, token: &str, code: &str, lead: &str) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(token)
        .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": lead}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn timeline_len(app: &TestApp, token: &str, id: &str) -> usize {
    app.get_as(token, &format!("/api/v1/activities/{id}/progress"))
        .await
        .json()["items"]
        .as_array()
        .map_or(0, Vec::len)
}

/// The progress form, posted from the page `from` names (where the answer returns to).
fn update<'a>(narrative: &'a str, seen: &'a str, from: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = wpt_tests::progress_form(narrative, seen);
    form.push(("from", from));
    form
}

#[tokio::test]
async fn the_update_form_saves_from_the_list_the_row_and_the_activity_page_with_and_without_htmx() {
    let app = TestApp::spawn().await;
    let (sec, _) = app.web_caller(Role::Secretariat, None).await;
    let (_, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let id = activity(&app, &sec.token, "A.u.1", "DGICM").await;
    let form_path = format!("/ui/activities/{id}/update");
    let post_path = format!("/ui/activities/{id}/progress");
    let mut saves = 0;

    // 1. In the row of the list, with htmx: the answer is the row, and a visible message.
    let row_form = app
        .request(Method::GET, &form_path)
        .anonymous()
        .header("cookie", &cookie)
        .header("hx-request", "true")
        .send()
        .await
        .text();
    assert!(
        row_form.contains(&format!("hx-target=\"#act-{id}\"")),
        "{row_form}"
    );
    assert_eq!(input_value(&row_form, "from"), "row");
    let seen = input_value(&row_form, "seen");
    let res = app
        .web_post(
            Some(&cookie),
            &post_path,
            &update("In the row", &seen, "row"),
            true,
        )
        .await;
    res.assert_status(StatusCode::OK);
    saves += 1;
    let html = res.text();
    assert!(
        html.starts_with(&format!("<tbody id=\"act-{id}\"")),
        "{html}"
    );
    assert!(
        html.contains("<div id=\"announce\" hx-swap-oob=\"innerHTML\"><p>Saved: A.u.1 is On track, 40% complete.</p></div>"),
        "{html}"
    );
    // The list page has the region the message goes into, visible.
    let list = app.web_get(Some(&cookie), "/ui/activities").await.text();
    assert!(
        list.contains("<div class=\"flash\" id=\"announce\" role=\"status\" aria-live=\"polite\">"),
        "{list}"
    );

    // 2. The row's form posted without script (htmx failed to load): a redirect back
    //    to the list, with the message.
    let seen = input_value(&app.web_get(Some(&cookie), &form_path).await.text(), "seen");
    let res = app
        .web_post(
            Some(&cookie),
            &post_path,
            &update("Row, no script", &seen, "row"),
            false,
        )
        .await;
    saves += 1;
    assert_eq!(
        res.header("location"),
        Some(format!("/ui/activities#act-{id}").as_str())
    );
    follow(
        &app,
        &cookie,
        &res,
        "Saved: A.u.1 is On track, 40% complete.",
    )
    .await;

    // 3. The Update page of its own, opened from the list without script: a plain form
    //    (no htmx target that exists only in the list), back to the list.
    let page = app.web_get(Some(&cookie), &form_path).await.text();
    assert!(
        !page.contains("hx-post"),
        "a plain form on its own page: {page}"
    );
    assert!(!page.contains("hx-target"), "{page}");
    assert_eq!(input_value(&page, "from"), "list");
    for htmx in [false, true] {
        let seen = input_value(&app.web_get(Some(&cookie), &form_path).await.text(), "seen");
        let res = app
            .web_post(
                Some(&cookie),
                &post_path,
                &update("From the list page", &seen, "list"),
                htmx,
            )
            .await;
        saves += 1;
        if htmx {
            res.assert_status(StatusCode::OK);
            assert_eq!(
                res.header("hx-redirect"),
                Some(format!("/ui/activities#act-{id}").as_str())
            );
            flash_of(&res);
        } else {
            follow(
                &app,
                &cookie,
                &res,
                "Saved: A.u.1 is On track, 40% complete.",
            )
            .await;
        }
    }

    // 4. From the activity's page: its link opens the form for that page, which goes
    //    back there.
    let detail = app
        .web_get(Some(&cookie), &format!("/ui/activities/{id}"))
        .await
        .text();
    let link = format!("{form_path}?from=activity");
    assert!(detail.contains(&format!("href=\"{link}\"")), "{detail}");
    let page = app.web_get(Some(&cookie), &link).await.text();
    assert!(!page.contains("hx-target"), "{page}");
    assert_eq!(input_value(&page, "from"), "activity");
    assert!(
        page.contains(&format!("href=\"/ui/activities/{id}\"")),
        "Cancel goes back: {page}"
    );
    for htmx in [false, true] {
        let seen = input_value(&app.web_get(Some(&cookie), &link).await.text(), "seen");
        let res = app
            .web_post(
                Some(&cookie),
                &post_path,
                &update("From the activity page", &seen, "activity"),
                htmx,
            )
            .await;
        saves += 1;
        if htmx {
            res.assert_status(StatusCode::OK);
            assert_eq!(
                res.header("hx-redirect"),
                Some(format!("/ui/activities/{id}").as_str())
            );
        } else {
            assert_eq!(
                res.header("location"),
                Some(format!("/ui/activities/{id}").as_str())
            );
            let html = follow(
                &app,
                &cookie,
                &res,
                "Saved: A.u.1 is On track, 40% complete.",
            )
            .await;
            assert!(
                html.contains("From the activity page"),
                "the page shows it: {html}"
            );
        }
    }
    // A refused save from that page is that page again, with the text and the origin.
    let res = app
        .web_post(
            Some(&cookie),
            &post_path,
            &[
                ("status", "on_track"),
                ("percent_complete", "400"),
                ("narrative", "Typed on the activity page"),
                ("seen", ""),
                ("from", "activity"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("Typed on the activity page"), "{html}");
    assert_eq!(input_value(&html, "from"), "activity");
    assert!(!html.contains("hx-target"), "{html}");
    assert_eq!(
        timeline_len(&app, &sec.token, &id).await,
        saves,
        "every save landed"
    );
}

#[tokio::test]
async fn a_flash_cookie_shows_only_in_the_session_that_it_was_made_for() {
    let app = TestApp::spawn().await;
    let (sec, _) = app.web_caller(Role::Secretariat, None).await;
    let (_, one) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let (_, two) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let id = activity(&app, &sec.token, "A.u.2", "DGICM").await;
    let res = app
        .web_post(
            Some(&one),
            &format!("/ui/activities/{id}/progress"),
            &update("Mine", "", "list"),
            false,
        )
        .await;
    let flash = flash_of(&res);
    let other = app
        .web_get(Some(&format!("{two}; {flash}")), "/ui/activities")
        .await
        .text();
    assert!(
        !other.contains("Saved: A.u.2"),
        "another session cannot show it"
    );
    let forged = app
        .web_get(
            Some(&format!(
                "{one}; wpt_flash={}.{}",
                hex::encode("Pay at evil.example"),
                "00".repeat(16)
            )),
            "/ui/activities",
        )
        .await
        .text();
    assert!(
        !forged.contains("evil.example"),
        "a forged message is not shown"
    );
}

async fn cycle_state(app: &TestApp, token: &str, id: &str) -> Value {
    app.get_as(token, &format!("/api/v1/cycles/{id}"))
        .await
        .json()["state"]
        .clone()
}

#[tokio::test]
async fn one_way_actions_ask_first_with_their_consequences_and_a_closed_cycle_reopens() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, dgicm) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let mine = activity(&app, &sec.token, "A.u.3", "DGICM").await;
    let created = app
        .web_post(
            Some(&sec_cookie),
            "/ui/cycles",
            &[
                ("work_plan_id", &plan_id()),
                ("kind", "somtc"),
                ("name", "31st SOMTC"),
                ("meeting_date", "2099-06-20"),
                ("period_start", "2098-07-01"),
                ("period_end", "2099-06-30"),
                ("opens_on", "2026-01-01"),
                ("due_on", ""),
            ],
            false,
        )
        .await;
    let index = follow(&app, &sec_cookie, &created, "Created 31st SOMTC: planned").await;
    let cycles = app.get_as(&sec.token, "/api/v1/cycles").await.json();
    let cycle = cycles["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["name"] == "31st SOMTC")
        .expect("created")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The state buttons are in a column of their own, apart from the links.
    assert!(
        index.contains("<td class=\"state-change\"><form method=\"post\" action=\"/ui/cycles/"),
        "{index}"
    );

    // Open: the first post asks, and changes nothing.
    let ask = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/open"),
            &[],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    assert!(html.contains("Open 31st SOMTC for submissions?"), "{html}");
    assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
    assert!(html.contains("No, go back"));
    assert_eq!(cycle_state(&app, &sec.token, &cycle).await, "planned");
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/open"),
            &[("confirm", "yes")],
            false,
        )
        .await;
    follow(&app, &sec_cookie, &res, "31st SOMTC is open").await;
    assert_eq!(cycle_state(&app, &sec.token, &cycle).await, "open");

    // DGICM saves its block (plain form: a message after the redirect) and submits.
    let report = format!("/ui/cycles/{cycle}/submissions/DGICM");
    let html = app.web_get(Some(&dgicm), &report).await.text();
    let v = input_value(&html, "version");
    let res = app
        .web_post(
            Some(&dgicm),
            &format!("{report}/entries/{mine}?version={v}"),
            &[
                ("status", "on_track"),
                ("percent_complete", "50"),
                ("narrative", "Held the workshop"),
            ],
            false,
        )
        .await;
    follow(
        &app,
        &dgicm,
        &res,
        "Saved A.u.3 in this report: On track, 50%.",
    )
    .await;
    // Close while DGICM has a draft: the confirmation says who is missing and who has
    // a draft, in words.
    let ask = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/close"),
            &[],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    let board = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    let bodies = board["items"].as_array().expect("items").len();
    assert!(
        html.contains(&format!("{bodies} of {bodies} bodies have not submitted.")),
        "{html}"
    );
    assert!(
        html.contains("DGICM has a draft it has not submitted."),
        "{html}"
    );
    assert!(html.contains("Close 31st SOMTC anyway?"), "{html}");
    assert_eq!(cycle_state(&app, &sec.token, &cycle).await, "open");

    // Submit asks first, then submits.
    let v = input_value(&app.web_get(Some(&dgicm), &report).await.text(), "version");
    let ask = app
        .web_post(
            Some(&dgicm),
            &format!("{report}/submit"),
            &[("version", &v)],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    assert!(
        ask.text()
            .contains("You cannot change the report after this"),
        "{}",
        ask.text()
    );
    let api = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    assert_eq!(app.get_as(&sec.token, &api).await.json()["status"], "draft");
    let res = app
        .web_post(
            Some(&dgicm),
            &format!("{report}/submit"),
            &[("version", &v), ("confirm", "yes")],
            false,
        )
        .await;
    follow(&app, &dgicm, &res, "report for 31st SOMTC was submitted").await;

    // Return: the reason is checked first, then shown on the confirmation.
    let v = input_value(
        &app.web_get(Some(&sec_cookie), &report).await.text(),
        "version",
    );
    let ask = app
        .web_post(
            Some(&sec_cookie),
            &format!("{report}/return"),
            &[("version", &v), ("reason", "Add the dates")],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    assert!(
        html.contains("<blockquote>Add the dates</blockquote>"),
        "{html}"
    );
    assert_eq!(input_value(&html, "reason"), "Add the dates");
    assert_eq!(
        app.get_as(&sec.token, &api).await.json()["status"],
        "submitted"
    );
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("{report}/return"),
            &[
                ("version", &v),
                ("reason", "Add the dates"),
                ("confirm", "yes"),
            ],
            false,
        )
        .await;
    assert_eq!(res.header("location"), Some("/ui/review"));
    let queue = follow(
        &app,
        &sec_cookie,
        &res,
        "report returned; DGICM will see your reason. That was the last submitted report.",
    )
    .await;
    assert!(queue.contains("Nothing to review"), "{queue}");

    // Resubmit and accept (asked first).
    let v = input_value(&app.web_get(Some(&dgicm), &report).await.text(), "version");
    app.web_post(
        Some(&dgicm),
        &format!("{report}/submit"),
        &[("version", &v), ("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let v = input_value(
        &app.web_get(Some(&sec_cookie), &report).await.text(),
        "version",
    );
    let ask = app
        .web_post(
            Some(&sec_cookie),
            &format!("{report}/accept"),
            &[("version", &v)],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    assert!(
        ask.text().contains("The report is locked"),
        "{}",
        ask.text()
    );
    assert_eq!(
        app.get_as(&sec.token, &api).await.json()["status"],
        "submitted"
    );
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("{report}/accept"),
            &[("version", &v), ("confirm", "yes")],
            false,
        )
        .await;
    follow(
        &app,
        &sec_cookie,
        &res,
        "report for 31st SOMTC accepted and locked.",
    )
    .await;

    // Close, confirmed: the edition is made.
    let html = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/close"),
            &[],
            false,
        )
        .await
        .text();
    assert!(html.contains("from the 1 accepted report."), "{html}");
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/close"),
            &[("confirm", "yes")],
            false,
        )
        .await;
    let index = follow(&app, &sec_cookie, &res, "31st SOMTC is closed").await;
    assert!(
        index.contains(&format!("action=\"/ui/cycles/{cycle}/reopen\"")),
        "{index}"
    );
    let first = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/edition"))
        .await;
    first.assert_status(StatusCode::OK);
    let first_sha = first.json()["sha256"].as_str().expect("sha").to_owned();

    // Officers cannot reopen; the secretariat can, asked first.
    app.web_post(
        Some(&dgicm),
        &format!("/ui/cycles/{cycle}/reopen"),
        &[("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let ask = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/reopen"),
            &[],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    assert!(ask.text().contains("kept in the audit record"));
    assert_eq!(cycle_state(&app, &sec.token, &cycle).await, "closed");
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("/ui/cycles/{cycle}/reopen"),
            &[("confirm", "yes")],
            false,
        )
        .await;
    follow(&app, &sec_cookie, &res, "31st SOMTC is open again").await;
    let reopened = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}"))
        .await
        .json();
    assert_eq!(reopened["state"], "open");
    assert_eq!(reopened["closed_at"], Value::Null);
    app.get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/edition"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    // The first edition is in the record of the reopening, whole.
    let audit = app
        .get_as(
            &sec.token,
            &format!("/api/v1/audit?action=cycle.reopen&resource_id={cycle}"),
        )
        .await
        .json();
    let entry = &audit["items"][0];
    assert_eq!(
        entry["before"]["edition"]["sha256"],
        first_sha.as_str(),
        "{audit}"
    );
    assert_eq!(
        entry["before"]["edition"]["content"]["entries"][0]["activity"], "A.u.3",
        "{audit}"
    );

    // The API's reopen of an open cycle is a 409; closing again makes a new edition.
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/reopen"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/close"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let second = app
        .get_as(&sec.token, &format!("/api/v1/cycles/{cycle}/edition"))
        .await;
    second.assert_status(StatusCode::OK);
    assert_eq!(
        second.json()["sha256"],
        first_sha.as_str(),
        "the same accepted data"
    );
    assert_ne!(
        second.json()["created_at"],
        first.json()["created_at"],
        "a new edition"
    );
    let verify = app.get_as(&sec.token, "/api/v1/audit/verify").await;
    verify.assert_status(StatusCode::OK);
}

/// A cycle opened through the API, with DGICM's report page's path.
async fn open_cycle(app: &TestApp, token: &str, name: &str) -> String {
    let res = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": name, "meeting_date": "2099-06-20", "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let id = res.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    id
}

fn block<'a>(activity: &'a str, narrative: &'a str, percent: &'a str) -> Vec<(String, &'a str)> {
    vec![
        (format!("{activity}.status"), "on_track"),
        (format!("{activity}.percent_complete"), percent),
        (format!("{activity}.narrative"), narrative),
        (format!("{activity}.challenges"), ""),
        (format!("{activity}.next_steps"), ""),
        (format!("{activity}.evidence_urls"), ""),
    ]
}

fn pairs<'a>(owned: &'a [(String, &'a str)]) -> Vec<(&'a str, &'a str)> {
    owned.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

#[tokio::test]
async fn the_report_form_never_drops_typed_text() {
    let app = TestApp::spawn().await;
    let (sec, _) = app.web_caller(Role::Secretariat, None).await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let one = activity(&app, &sec.token, "A.u.4", "DGICM").await;
    let two = activity(&app, &sec.token, "A.u.5", "DGICM").await;
    let cycle = open_cycle(&app, &sec.token, "32nd SOMTC").await;
    let report = format!("/ui/cycles/{cycle}/submissions/DGICM");
    let api = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let narrative_of = |v: &Value, id: &str| {
        v["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["activity_id"] == id)
            .expect("entry")["narrative"]
            .clone()
    };

    // One form holds every block; each block says it is not saved in this report yet.
    let html = app.web_get(Some(&cookie), &report).await.text();
    assert!(
        html.contains(&format!("action=\"{report}/save\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("formaction=\"{report}/submit\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"{one}.narrative\"")),
        "{html}"
    );
    assert_eq!(html.matches("data-block=\"unsaved\"").count(), 2, "{html}");
    assert!(html.contains("data-warn-unsaved") && html.contains("/ui/assets/app.js?v="));
    let v = input_value(&html, "version");

    // "Save all" with one block wrong saves nothing and shows both blocks as typed.
    let mut owned = vec![("version".to_owned(), v.as_str())];
    owned.extend(block(&one, "Typed in the first block", "150"));
    owned.extend(block(&two, "Typed in the second block", "20"));
    let res = app
        .web_post(
            Some(&cookie),
            &format!("{report}/save"),
            &pairs(&owned),
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(
        html.contains("Typed in the first block") && html.contains("Typed in the second block"),
        "{html}"
    );
    assert!(html.contains("1 block has fields to correct"), "{html}");
    assert_eq!(html.matches("data-block=\"changed\"").count(), 2, "{html}");
    assert_eq!(
        app.get_as(&sec.token, &api).await.json()["status"],
        "not_started"
    );

    // Submit with nothing saved: every block is saved first, then it asks.
    let mut owned = vec![("version".to_owned(), v.as_str())];
    owned.extend(block(&one, "Typed in the first block", "15"));
    owned.extend(block(&two, "Typed in the second block", "20"));
    let ask = app
        .web_post(
            Some(&cookie),
            &format!("{report}/submit"),
            &pairs(&owned),
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    assert!(html.contains("id=\"all-saved\""), "{html}");
    let saved = app.get_as(&sec.token, &api).await.json();
    assert_eq!(saved["status"], "draft");
    assert_eq!(narrative_of(&saved, &one), "Typed in the first block");
    assert_eq!(narrative_of(&saved, &two), "Typed in the second block");
    let v2 = input_value(&html, "version");
    assert_ne!(v2, v, "the confirmation carries the new version");

    // A block saved with htmx brings the report's new status to the top of the page.
    let owned = block(&one, "Saved alone", "30");
    let mut fields = pairs(&owned);
    fields.push(("version", &v2));
    let res = app
        .web_post(
            Some(&cookie),
            &format!("{report}/entries/{one}"),
            &fields,
            true,
        )
        .await;
    res.assert_status(StatusCode::OK);
    let html = res.text();
    assert!(
        html.contains("<dd id=\"submission-status\" hx-swap-oob=\"true\">"),
        "{html}"
    );
    assert!(html.contains("data-block=\"saved\""), "{html}");
    assert_eq!(
        narrative_of(&app.get_as(&sec.token, &api).await.json(), &two),
        "Typed in the second block",
        "only that block"
    );

    // The session ends while typing: the login keeps the text, and after logging in
    // one button saves it.
    let v3 = input_value(&app.web_get(Some(&cookie), &report).await.text(), "version");
    let mut owned = vec![("version".to_owned(), v3.as_str())];
    owned.extend(block(&one, "Typed after the session ended", "35"));
    owned.extend(block(&two, "Second block, also kept", "25"));
    // The officer's session ends (past its end, as an expired one is).
    {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        use wpt_db::entities::session;
        session::Entity::update_many()
            .col_expr(
                session::Column::ExpiresAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::hours(1)),
            )
            .filter(session::Column::UserId.eq(officer.id))
            .exec(app.database().conn())
            .await
            .expect("expired");
    }
    let expired = cookie.as_str();
    let res = app
        .web_post(
            Some(expired),
            &format!("{report}/save"),
            &pairs(&owned),
            false,
        )
        .await;
    res.assert_status(StatusCode::OK);
    let login = res.text();
    assert!(login.contains("has not been saved yet"), "{login}");
    let carry = input_value(&login, "carry");
    assert!(carry.contains("Typed+after+the+session+ended"), "{carry}");
    assert_eq!(input_value(&login, "carry_to"), format!("{report}/save"));
    let seal = input_value(&login, "carry_for");
    // A cookie that names no session carries nothing: whose the form was is unknown.
    let res = app
        .web_post(
            Some("wpt_session=wpts_this-session-never-was"),
            &format!("{report}/save"),
            &pairs(&owned),
            false,
        )
        .await;
    assert!(!res.text().contains("name=\"carry\""), "{}", res.text());
    // htmx: the page is left as it is (nothing swapped), with a message.
    let res = app
        .web_post(
            Some(expired),
            &format!("{report}/entries/{one}"),
            &pairs(&owned),
            true,
        )
        .await;
    assert_eq!(res.header("hx-reswap"), Some("none"));
    assert!(res.text().contains("Your text is still on this page"));

    // Someone else logging in next on this browser is not offered the form.
    let other = app.caller(Role::Officer, Some("DGICM")).await;
    let res = app
        .web_post(
            None,
            "/ui/login",
            &[
                ("email", other.email.as_str()),
                ("password", wpt_tests::TEST_PASSWORD),
                ("carry", &carry.replace("&amp;", "&")),
                ("carry_to", &format!("{report}/save")),
                ("carry_for", &seal),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert!(!res.text().contains("Typed after the session ended"));

    let officer_email = officer.email.clone();
    let res = app
        .web_post(
            None,
            "/ui/login",
            &[
                ("email", &officer_email),
                ("password", wpt_tests::TEST_PASSWORD),
                ("carry", &carry.replace("&amp;", "&")),
                ("carry_to", &format!("{report}/save")),
                ("carry_for", &seal),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::OK);
    let fresh = res
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a new session")
        .to_owned();
    let resume = res.text();
    assert!(resume.contains("Save what I typed"), "{resume}");
    assert!(resume.contains("Typed after the session ended"), "{resume}");
    let saved = app
        .web_post(
            Some(&fresh),
            &format!("{report}/save"),
            &pairs(&owned),
            false,
        )
        .await;
    follow(&app, &fresh, &saved, "every block is as you see it").await;
    let api_now = app.get_as(&sec.token, &api).await.json();
    assert_eq!(
        narrative_of(&api_now, &one),
        "Typed after the session ended"
    );
}

#[tokio::test]
async fn problems_read_in_the_form_s_words_and_say_what_to_do() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let res = app
        .web_post(
            Some(&sec_cookie),
            "/ui/cycles",
            &[
                ("work_plan_id", &plan_id()),
                ("kind", "somtc"),
                ("name", "Backwards"),
                ("meeting_date", "2099-06-20"),
                ("period_start", "2099-06-30"),
                ("period_end", "2098-07-01"),
                ("opens_on", "2026-01-01"),
                ("due_on", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(
        html.contains("Period covered to: is before Period covered from"),
        "{html}"
    );
    let id = activity(&app, &sec.token, "A.u.6", "DGICM").await;
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/activities/{id}/progress"),
            &[
                ("status", "on_track"),
                ("narrative", "Held"),
                ("evidence_urls", "www.asean.org/x.pdf"),
                ("seen", ""),
                ("from", "list"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("Evidence links"), "{html}");
    assert!(html.contains("start each link with https://"), "{html}");
    assert!(
        html.contains("www.asean.org/x.pdf"),
        "kept as typed: {html}"
    );
}
