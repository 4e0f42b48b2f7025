//! The web pages, without a browser: sessions and their cookie, the same-origin rule,
//! who sees which button and what a forged form gets, and the whole reporting cycle
//! through the pages, each checked against the API (the same use cases underneath).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp, WEB_ORIGIN};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

struct World {
    sec: Caller,
    sec_cookie: String,
    dgicm: Caller,
    dgicm_cookie: String,
    /// DGICM leads it.
    mine: String,
    /// SOMTC leads it, DGICM has no part.
    theirs: String,
}

async fn world(app: &TestApp) -> World {
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (dgicm, dgicm_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let mut ids = Vec::new();
    for (code, lead) in [("A.w.1", "DGICM"), ("B.w.1", "SOMTC")] {
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/work-plans/{}/activities", plan_id()),
            )
            .bearer(&sec.token)
            .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": lead}))
            .send()
            .await;
        res.assert_status(StatusCode::CREATED);
        ids.push(res.json()["id"].as_str().expect("id").to_owned());
    }
    World {
        sec,
        sec_cookie,
        dgicm,
        dgicm_cookie,
        mine: ids[0].clone(),
        theirs: ids[1].clone(),
    }
}

async fn timeline(app: &TestApp, token: &str, activity: &str) -> Vec<Value> {
    let res = app
        .get_as(token, &format!("/api/v1/activities/{activity}/progress"))
        .await;
    res.assert_status(StatusCode::OK);
    res.json()["items"].as_array().expect("items").clone()
}

fn progress_form<'a>(narrative: &'a str, seen: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("status", "at_risk"),
        ("percent_complete", "35"),
        ("narrative", narrative),
        ("challenges", ""),
        ("next_steps", "Convene the working group"),
        ("evidence_urls", "https://example.org/minutes\n"),
        ("seen", seen),
        ("from", "row"),
    ]
}

#[tokio::test]
async fn a_login_sets_a_strict_http_only_cookie_that_the_pages_take_and_the_api_does_not() {
    let app = TestApp::spawn().await;
    // No session: to the login page, remembering where the person was going.
    let res = app.web_get(None, "/ui/activities?area=A").await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some("/ui/login?next=%2Fui%2Factivities%3Farea%3DA")
    );
    // A wrong password is a readable page, with no cookie.
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let refused = app
        .web_login(&officer.email, "not the password")
        .await
        .expect_err("refused");
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.text().contains("The email or password is wrong."));
    assert!(refused.header("set-cookie").is_none());

    let res = app
        .web_post(
            None,
            "/ui/login",
            &[
                ("email", &officer.email),
                ("password", wpt_tests::TEST_PASSWORD),
                ("next", "/ui/activities?area=A"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/ui/activities?area=A"));
    let set = res.header("set-cookie").expect("a cookie").to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ui", "Max-Age=43200"] {
        assert!(
            set.contains(attribute)
                || (attribute == "Max-Age=43200" && set.contains("Max-Age=4319")),
            "{attribute} in {set}"
        );
    }
    let cookie = set.split(';').next().expect("name=value").to_owned();
    assert!(cookie.starts_with("wpt_session=wpts_"), "{cookie}");

    let page = app.web_get(Some(&cookie), "/ui/activities").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.header("content-security-policy"),
        Some(wpt_web::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let html = page.text();
    assert!(html.contains("My activities (DGICM)"), "{html}");
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("style=\""), "no inline style");

    // The API stays bearer-only: the cookie is no credential there.
    app.request(Method::GET, "/api/v1/me")
        .anonymous()
        .header("cookie", &cookie)
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // A forged open redirect after login is ignored.
    let res = app
        .web_post(
            None,
            "/ui/login",
            &[
                ("email", &officer.email),
                ("password", wpt_tests::TEST_PASSWORD),
                ("next", "//evil.example/ui/"),
            ],
            false,
        )
        .await;
    assert_eq!(res.header("location"), Some("/ui/activities"));

    // Logout ends the session at once; the old cookie leads back to the login page.
    let out = app.web_post(Some(&cookie), "/ui/logout", &[], false).await;
    out.assert_status(StatusCode::SEE_OTHER);
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let again = app.web_get(Some(&cookie), "/ui/activities").await;
    again.assert_status(StatusCode::SEE_OTHER);
    assert!(
        again
            .header("location")
            .is_some_and(|l| l.starts_with("/ui/login?expired=1"))
    );
    // htmx requests are told where to go instead.
    let partial = app
        .request(Method::GET, "/ui/activities")
        .anonymous()
        .header("cookie", &cookie)
        .header("hx-request", "true")
        .send()
        .await;
    partial.assert_status(StatusCode::UNAUTHORIZED);
    assert!(
        partial
            .header("hx-redirect")
            .is_some_and(|l| l.starts_with("/ui/login"))
    );

    // Both are in the audit log, marked as web sessions.
    let admin = app.caller(Role::Admin, None).await;
    let audit = app
        .get_as(
            &admin.token,
            "/api/v1/audit?resource_type=session&limit=200",
        )
        .await
        .json();
    let web_logins = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "session.create" && e["after"]["via"] == "web")
        .count();
    assert_eq!(web_logins, 2, "{audit}");
    assert!(
        audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "session.revoke" && e["after"]["reason"] == "logout")
    );
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_of_the_pages_at_once() {
    let app = TestApp::spawn().await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    app.web_get(Some(&cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
    let admin = app.caller(Role::Admin, None).await;
    let user = app
        .get_as(&admin.token, &format!("/api/v1/users/{}", officer.id))
        .await;
    let etag = user.header("etag").expect("etag").to_owned();
    app.request(Method::PATCH, &format!("/api/v1/users/{}", officer.id))
        .bearer(&admin.token)
        .header("if-match", &etag)
        .json(&json!({"active": false}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    app.web_get(Some(&cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn forms_from_another_origin_are_refused_before_anything_runs() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let form = serde_urlencoded::to_string(progress_form("Forged", "")).expect("form");
    for (origin, fetch_site) in [
        (Some("http://evil.example"), None),
        (Some("null"), None),
        (None, Some("cross-site")),
        (None, None),
    ] {
        let mut req = app
            .request(Method::POST, &format!("/ui/activities/{}/progress", w.mine))
            .anonymous()
            .header("host", WEB_ORIGIN.trim_start_matches("http://"))
            .header("cookie", &w.dgicm_cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(form.clone());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(f) = fetch_site {
            req = req.header("sec-fetch-site", f);
        }
        let res = req.send().await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{origin:?} {fetch_site:?}"
        );
        assert!(res.text().contains("did not come from a page of this site"));
    }
    // Login too (no one can be logged in to an account of someone else's choosing).
    let res = app
        .request(Method::POST, "/ui/login")
        .anonymous()
        .header("host", WEB_ORIGIN.trim_start_matches("http://"))
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(format!("email={}&password=x", w.dgicm.email))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(res.header("set-cookie").is_none());
    assert!(
        timeline(&app, &w.sec.token, &w.mine).await.is_empty(),
        "nothing was recorded"
    );
    // The same origin without Origin but with Sec-Fetch-Site: same-origin is a browser.
    let res = app
        .request(Method::POST, &format!("/ui/activities/{}/progress", w.mine))
        .anonymous()
        .header("host", WEB_ORIGIN.trim_start_matches("http://"))
        .header("cookie", &w.dgicm_cookie)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(form)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(timeline(&app, &w.sec.token, &w.mine).await.len(), 1);
}

#[tokio::test]
async fn an_officer_sees_update_only_on_their_body_s_activities_and_a_forged_post_is_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let list = app.web_get(Some(&w.dgicm_cookie), "/ui/activities").await;
    list.assert_status(StatusCode::OK);
    let html = list.text();
    assert!(html.contains("A.w.1"), "own activity listed");
    assert!(!html.contains("B.w.1"), "the list is the officer's body's");
    assert!(html.contains(&format!("/ui/activities/{}/update", w.mine)));
    assert!(!html.contains(&format!("/ui/activities/{}/update", w.theirs)));

    // Another body's activity: readable, but no Update anywhere, and the form refused.
    let detail = app
        .web_get(
            Some(&w.dgicm_cookie),
            &format!("/ui/activities/{}", w.theirs),
        )
        .await;
    detail.assert_status(StatusCode::OK);
    assert!(!detail.text().contains("/update"), "no Update button");
    app.web_get(
        Some(&w.dgicm_cookie),
        &format!("/ui/activities/{}/update", w.theirs),
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let forged = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("/ui/activities/{}/progress", w.theirs),
            &progress_form("Forged", ""),
            true,
        )
        .await;
    forged.assert_status(StatusCode::FORBIDDEN);
    assert!(timeline(&app, &w.sec.token, &w.theirs).await.is_empty());

    // The secretariat and viewers see every activity and no Update button.
    let (_, viewer_cookie) = app.web_caller(Role::Viewer, None).await;
    for cookie in [&w.sec_cookie, &viewer_cookie] {
        let html = app.web_get(Some(cookie), "/ui/activities").await.text();
        assert!(html.contains("A.w.1") && html.contains("B.w.1"));
        assert!(!html.contains("/update\""), "no Update button: {html}");
        let res = app
            .web_post(
                Some(cookie),
                &format!("/ui/activities/{}/progress", w.mine),
                &progress_form("Not an officer", ""),
                true,
            )
            .await;
        res.assert_status(StatusCode::FORBIDDEN);
    }
    assert!(timeline(&app, &w.sec.token, &w.mine).await.is_empty());
}

#[tokio::test]
async fn progress_saved_from_the_row_is_the_api_s_progress_and_bad_input_saves_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // The form opens in the row.
    let form = app
        .request(Method::GET, &format!("/ui/activities/{}/update", w.mine))
        .anonymous()
        .header("cookie", &w.dgicm_cookie)
        .header("hx-request", "true")
        .send()
        .await;
    form.assert_status(StatusCode::OK);
    let html = form.text();
    assert!(
        html.starts_with(&format!("<tbody id=\"act-{}\"", w.mine)),
        "{html}"
    );
    assert!(html.contains("<label for=\"narrative-"), "labelled fields");

    // Invalid input: every problem named, nothing written.
    let bad = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("/ui/activities/{}/progress", w.mine),
            &[
                ("status", "sideways"),
                ("percent_complete", "150"),
                ("narrative", "   "),
                ("evidence_urls", "ftp://example.org/x"),
                ("seen", ""),
            ],
            true,
        )
        .await;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let text = bad.text();
    assert!(text.contains("role=\"alert\""), "{text}");
    assert!(text.contains("choose one of the listed statuses"), "{text}");
    assert!(timeline(&app, &w.sec.token, &w.mine).await.is_empty());

    let saved = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("/ui/activities/{}/progress", w.mine),
            &progress_form("Two workshops held", ""),
            true,
        )
        .await;
    saved.assert_status(StatusCode::OK);
    let html = saved.text();
    assert!(
        html.contains("At risk"),
        "the row shows the new status: {html}"
    );
    assert!(
        html.contains("hx-swap-oob=\"innerHTML\"")
            && html.contains("Saved: A.w.1 is At risk, 35% complete."),
        "announced: {html}"
    );
    let items = timeline(&app, &w.sec.token, &w.mine).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["narrative"], "Two workshops held");
    assert_eq!(items[0]["status"], "at_risk");
    assert_eq!(items[0]["percent_complete"], 35);
    assert_eq!(items[0]["author_id"], w.dgicm.id.to_string());
    assert_eq!(
        items[0]["evidence_urls"],
        json!(["https://example.org/minutes"])
    );

    // A form opened before that report is stale: refused, and it says when.
    let stale = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("/ui/activities/{}/progress", w.mine),
            &progress_form("Written on an old page", ""),
            true,
        )
        .await;
    stale.assert_status(StatusCode::CONFLICT);
    assert!(
        stale.text().contains("Changed by someone else at "),
        "{}",
        stale.text()
    );
    assert_eq!(timeline(&app, &w.sec.token, &w.mine).await.len(), 1);

    // The counters are the API's figures for the same body.
    let list = app
        .web_get(Some(&w.dgicm_cookie), "/ui/activities")
        .await
        .text();
    let api_at_risk = app
        .get_as(
            &w.sec.token,
            "/api/v1/activities?body=DGICM&status=at_risk&limit=200",
        )
        .await
        .json()["items"]
        .as_array()
        .expect("items")
        .len();
    assert!(
        list.contains(&format!(
            "<strong id=\"count-at-risk\">{api_at_risk}</strong>"
        )),
        "{list}"
    );
}

fn version_in(html: &str) -> String {
    let marker = "id=\"report-version\" type=\"hidden\" name=\"version\" value=\"";
    let start = html.find(marker).expect("the report's version") + marker.len();
    html[start..].split('"').next().expect("a value").to_owned()
}

#[tokio::test]
async fn a_whole_cycle_through_the_pages_matches_the_api_at_every_step() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // The secretariat creates and opens a cycle from the cycles page.
    let created = app
        .web_post(
            Some(&w.sec_cookie),
            "/ui/cycles",
            &[
                ("work_plan_id", &plan_id()),
                ("kind", "somtc"),
                ("name", "30th SOMTC"),
                ("meeting_date", "2099-06-20"),
                ("period_start", "2098-07-01"),
                ("period_end", "2099-06-30"),
                ("opens_on", "2026-01-01"),
                ("due_on", ""),
            ],
            false,
        )
        .await;
    created.assert_status(StatusCode::SEE_OTHER);
    let cycles = app.get_as(&w.sec.token, "/api/v1/cycles").await.json();
    let cycle = cycles["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["name"] == "30th SOMTC")
        .expect("created")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Officers may not open cycles.
    app.web_post(
        Some(&w.dgicm_cookie),
        &format!("/ui/cycles/{cycle}/open"),
        &[],
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    app.web_post(
        Some(&w.sec_cookie),
        &format!("/ui/cycles/{cycle}/open"),
        &[("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // The officer's report: one block per activity, prefilled, saved block by block.
    let mine = format!("/ui/cycles/{cycle}/submissions/DGICM");
    let page = app.web_get(Some(&w.dgicm_cookie), &mine).await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    assert!(html.contains("A.w.1") && !html.contains("B.w.1"), "{html}");
    assert!(html.contains("id=\"countdown\""));
    let v1 = version_in(&html);
    let entry = format!("{mine}/entries/{}", w.mine);
    let save = |text: &'static str, version: String| {
        let app = &app;
        let cookie = w.dgicm_cookie.clone();
        let entry = entry.clone();
        async move {
            app.web_post(
                Some(&cookie),
                &entry,
                &[
                    ("status", "on_track"),
                    ("percent_complete", "50"),
                    ("narrative", text),
                    ("version", &version),
                ],
                true,
            )
            .await
        }
    };
    // Two windows read the same version: the first save is kept, the second is told.
    let first = save("Saved in the first window", v1.clone()).await;
    first.assert_status(StatusCode::OK);
    assert!(first.text().contains("Saved at "), "{}", first.text());
    assert!(first.text().contains("hx-swap-oob"), "new version sent");
    let second = save("Saved in the second window", v1.clone()).await;
    second.assert_status(StatusCode::PRECONDITION_FAILED);
    assert!(
        second.text().contains("Changed by someone else at "),
        "{}",
        second.text()
    );
    let api = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{cycle}/submissions/DGICM"),
        )
        .await
        .json();
    assert_eq!(api["entries"][0]["narrative"], "Saved in the first window");
    assert_eq!(api["status"], "draft");

    // Submit with the current version.
    let html = app.web_get(Some(&w.dgicm_cookie), &mine).await.text();
    let v = version_in(&html);
    app.web_post(
        Some(&w.dgicm_cookie),
        &format!("{mine}/submit"),
        &[("version", &v), ("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);

    // The secretariat's queue lists it; the Return form requires a reason.
    let queue = app.web_get(Some(&w.sec_cookie), "/ui/review").await.text();
    assert!(queue.contains(&mine), "{queue}");
    app.web_get(Some(&w.dgicm_cookie), "/ui/review")
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let review = app.web_get(Some(&w.sec_cookie), &mine).await.text();
    assert!(review.contains("id=\"return-form\""));
    let version = |html: &str| {
        let marker = "name=\"version\" value=\"";
        let start = html.find(marker).expect("version") + marker.len();
        html[start..].split('"').next().expect("value").to_owned()
    };
    let v = version(&review);
    let no_reason = app
        .web_post(
            Some(&w.sec_cookie),
            &format!("{mine}/return"),
            &[("version", &v), ("reason", "  ")],
            false,
        )
        .await;
    no_reason.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text().contains("say why the report goes back"));
    let api_path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let status = |_: &TestApp| app.get_as(&w.sec.token, &api_path);
    assert_eq!(
        status(&app).await.json()["status"],
        "submitted",
        "nothing changed"
    );
    // An officer cannot return or accept.
    app.web_post(
        Some(&w.dgicm_cookie),
        &format!("{mine}/accept"),
        &[("version", &v)],
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    let returned = app
        .web_post(
            Some(&w.sec_cookie),
            &format!("{mine}/return"),
            &[
                ("version", &v),
                ("reason", "Add the workshop dates"),
                ("confirm", "yes"),
            ],
            false,
        )
        .await;
    returned.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        returned.header("location"),
        Some("/ui/review"),
        "queue empty"
    );
    assert_eq!(status(&app).await.json()["status"], "returned");

    // The officer sees the reason at the top and resubmits.
    let html = app.web_get(Some(&w.dgicm_cookie), &mine).await.text();
    assert!(html.contains("id=\"return-reason\"") && html.contains("Add the workshop dates"));
    let v = version_in(&html);
    let saved = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("{mine}/entries/{}?version={v}", w.mine),
            &[
                ("status", "on_track"),
                ("percent_complete", "60"),
                ("narrative", "Workshops on 3 and 4 March"),
            ],
            false,
        )
        .await;
    saved.assert_status(StatusCode::SEE_OTHER);
    let html = app.web_get(Some(&w.dgicm_cookie), &mine).await.text();
    let v = version_in(&html);
    app.web_post(
        Some(&w.dgicm_cookie),
        &format!("{mine}/submit"),
        &[("version", &v), ("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(status(&app).await.json()["status"], "submitted");

    // Accept locks it: read-only page, and a save is refused by the use case.
    let review = app.web_get(Some(&w.sec_cookie), &mine).await.text();
    let v = version(&review);
    app.web_post(
        Some(&w.sec_cookie),
        &format!("{mine}/accept"),
        &[("version", &v), ("confirm", "yes")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert_eq!(status(&app).await.json()["status"], "accepted");
    let html = app.web_get(Some(&w.dgicm_cookie), &mine).await.text();
    assert!(html.contains("the report is locked"), "{html}");
    assert!(!html.contains("report-version"), "no forms");
    let refused = app
        .web_post(
            Some(&w.dgicm_cookie),
            &format!("{mine}/entries/{}?version={}", w.mine, 99),
            &[("status", "on_track"), ("narrative", "Late change")],
            true,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
    let api = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/cycles/{cycle}/submissions/DGICM"),
        )
        .await
        .json();
    assert_eq!(api["entries"][0]["narrative"], "Workshops on 3 and 4 March");

    // The board: "1 of N submitted", the accepted body with its reviewer.
    let board = app
        .web_get(Some(&w.sec_cookie), &format!("/ui/cycles/{cycle}/board"))
        .await
        .text();
    let api_board = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{cycle}/submissions"))
        .await
        .json();
    let total = api_board["items"].as_array().expect("items").len();
    assert!(
        board.contains(&format!("1 of {total} submitted")),
        "{board}"
    );
    // The report preview and its downloads.
    let preview = app
        .web_get(Some(&w.sec_cookie), &format!("/ui/cycles/{cycle}/report"))
        .await;
    preview.assert_status(StatusCode::OK);
    assert!(preview.text().contains("Workshops on 3 and 4 March"));
    let csv = app
        .web_get(
            Some(&w.dgicm_cookie),
            &format!("/ui/cycles/{cycle}/report.csv"),
        )
        .await;
    csv.assert_status(StatusCode::OK);
    let api_csv = app
        .request(
            Method::GET,
            &format!("/api/v1/cycles/{cycle}/report?format=csv"),
        )
        .bearer(&w.sec.token)
        .send()
        .await;
    // The pages' CSV is for spreadsheets: a byte-order mark, headers and statuses in
    // words; the same rows as the API's (which keeps its codes).
    assert!(csv.body.starts_with("\u{feff}".as_bytes()), "a BOM");
    let text = csv.text();
    assert!(
        text.starts_with("\u{feff}\"Area\",\"Activity code\",\"Activity\""),
        "{text}"
    );
    assert!(
        text.contains("\"Accepted\",\"On track\",\"60\",\"Workshops on 3 and 4 March\""),
        "{text}"
    );
    assert_eq!(
        csv.header("content-disposition"),
        Some("attachment; filename=\"30th SOMTC - consolidated report.csv\"")
    );
    assert_eq!(
        text.lines().count(),
        api_csv.text().lines().count(),
        "the same rows"
    );
    assert!(
        !api_csv.body.starts_with("\u{feff}".as_bytes()),
        "the API's keeps its codes and no BOM"
    );
    let xlsx = app
        .web_get(
            Some(&w.sec_cookie),
            &format!("/ui/cycles/{cycle}/report.xlsx"),
        )
        .await;
    xlsx.assert_status(StatusCode::OK);
    assert!(xlsx.body.starts_with(b"PK"), "a workbook");
}

#[tokio::test]
async fn the_dashboard_shows_the_summary_s_numbers_for_its_filters() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    app.web_post(
        Some(&w.dgicm_cookie),
        &format!("/ui/activities/{}/progress", w.mine),
        &progress_form("Started", ""),
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    app.request(
        Method::POST,
        &format!("/api/v1/activities/{}/milestones", w.mine),
    )
    .bearer(&w.sec.token)
    .json(&json!({"title": "Venue booked", "due_on": "2024-02-01"}))
    .send()
    .await
    .assert_status(StatusCode::CREATED);
    let summary = app
        .get_as(
            &w.sec.token,
            &format!("/api/v1/work-plans/{}/summary", plan_id()),
        )
        .await
        .json();
    for (query, area) in [
        ("", None),
        ("?area=A", Some("A")),
        ("?area=B&body=DGICM", Some("B")),
    ] {
        let html = app
            .web_get(Some(&w.sec_cookie), &format!("/ui/dashboard{query}"))
            .await
            .text();
        let signals = summary["signals"].as_array().expect("signals");
        // The schedule warning: activities past their planned end (the off-track signal).
        let n: i64 = signals
            .iter()
            .filter(|s| area.is_none_or(|a| s["area"] == a))
            .map(|s| s["off_track"].as_i64().expect("count"))
            .sum();
        assert!(
            html.contains(&format!(
                "<strong id=\"tile-past-planned-end\">{n}</strong>"
            )),
            "past planned end = {n} for {query}"
        );
        // The headline counts the same reports as the tables (issue 24: one truth).
        let body = query.split("body=").nth(1);
        for key in ["on_track", "at_risk", "delayed", "completed"] {
            let n: i64 = summary["by_status"]
                .as_array()
                .expect("rows")
                .iter()
                .filter(|c| area.is_none_or(|a| c["area"] == a))
                .filter(|c| body.is_none_or(|b| c["body"] == b))
                .filter(|c| c["status"] == key)
                .map(|c| c["count"].as_i64().expect("count"))
                .sum();
            assert!(
                html.contains(&format!("<strong id=\"tile-{key}\">{n}</strong>")),
                "tile-{key} = {n} for {query}"
            );
        }
        let overdue = summary["milestones"]["overdue"].as_i64().expect("overdue");
        assert!(html.contains(&format!(
            "<strong id=\"tile-overdue-milestones\">{overdue}</strong>"
        )));
    }
    // DGICM's at_risk count in area A, from the API's rows, is in the by-body table.
    let n: i64 = summary["by_status"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|c| c["area"] == "A" && c["body"] == "DGICM" && c["status"] == "at_risk")
        .map(|c| c["count"].as_i64().expect("count"))
        .sum();
    assert_eq!(n, 1);
    let html = app
        .web_get(Some(&w.sec_cookie), "/ui/dashboard?area=A")
        .await
        .text();
    let row = html
        .split("<tr data-row=\"DGICM\">")
        .nth(1)
        .expect("DGICM's row");
    assert!(
        row.contains(&format!(
            "<td class=\"num\" data-status=\"at_risk\">{n}</td>"
        )),
        "{row}"
    );
    assert!(html.contains("<svg"), "a chart beside the table");
    let long = "X".repeat(41);
    app.web_get(Some(&w.sec_cookie), &format!("/ui/dashboard?body={long}"))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // The overdue milestones listed are the summary's, narrowed by the same filters.
    assert_eq!(summary["milestones"]["overdue"], 1, "{summary}");
    for (query, listed) in [
        ("", true),
        ("?area=A", true),
        ("?area=B", false),
        ("?body=DGICM", true),
        ("?body=SOMTC", false),
    ] {
        let html = app
            .web_get(Some(&w.sec_cookie), &format!("/ui/dashboard{query}"))
            .await
            .text();
        if listed {
            assert!(
                html.contains("<table id=\"table-overdue\" data-total=\"1\">")
                    && html.contains("Venue booked"),
                "{query}: {html}"
            );
        } else {
            assert!(html.contains("id=\"overdue-none\""), "{query}");
        }
    }
}

#[tokio::test]
async fn assets_are_embedded_and_unknown_pages_are_html_404s() {
    let app = TestApp::spawn().await;
    let htmx = app
        .web_get(None, "/ui/assets/vendor/htmx-2.0.11/htmx.min.js")
        .await;
    htmx.assert_status(StatusCode::OK);
    assert_eq!(
        htmx.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        htmx.header("cache-control")
            .is_some_and(|c| c.contains("immutable"))
    );
    let missing = app.web_get(None, "/ui/no-such-page").await;
    missing.assert_status(StatusCode::NOT_FOUND);
    assert!(
        missing
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    let root = app.web_get(None, "/").await;
    root.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(root.header("location"), Some("/ui/login"));
    // The API's unknown routes stay problem+json.
    app.get("/api/v1/no-such-thing")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_officer_changes_their_password_on_the_account_page() {
    let app = TestApp::spawn().await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let other = app
        .web_login(&officer.email, wpt_tests::TEST_PASSWORD)
        .await
        .expect("a second browser");
    let page = app.web_get(Some(&cookie), "/ui/account").await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains("<label for=\"current-password\">"));
    let new = "a brand new passphrase 42";
    let post = |current: &'static str, new: &'static str, confirm: &'static str| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            app.web_post(
                Some(&cookie),
                "/ui/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", confirm),
                ],
                false,
            )
            .await
        }
    };
    let mismatch = post(wpt_tests::TEST_PASSWORD, new, "something else entirely").await;
    mismatch.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        mismatch
            .text()
            .contains("is not the same as the new password")
    );
    let wrong = post("not my password at all", new, new).await;
    wrong.assert_status(StatusCode::FORBIDDEN);
    assert!(
        wrong.text().contains("Current password: is wrong"),
        "{}",
        wrong.text()
    );
    let short = post(wpt_tests::TEST_PASSWORD, "short", "short").await;
    short.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing changed so far.
    app.login(&officer.email, wpt_tests::TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);

    let done = post(wpt_tests::TEST_PASSWORD, new, new).await;
    done.assert_status(StatusCode::OK);
    assert!(done.text().contains("Your password has been changed."));
    app.login(&officer.email, wpt_tests::TEST_PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login(&officer.email, new)
        .await
        .assert_status(StatusCode::OK);
    // This session stays; the other browser's ends at once.
    app.web_get(Some(&cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
    app.web_get(Some(&other), "/ui/activities")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    // Nobody signed in gets the login page, not the form.
    app.web_get(None, "/ui/account")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_only_that_one_is_read() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let res = app
        .request(Method::POST, "/ui/login")
        .anonymous()
        .header("host", WEB_ORIGIN.trim_start_matches("http://"))
        .header("origin", WEB_ORIGIN)
        .header("x-forwarded-proto", "https")
        .header("content-type", "application/x-www-form-urlencoded")
        .raw(
            serde_urlencoded::to_string([
                ("email", officer.email.as_str()),
                ("password", wpt_tests::TEST_PASSWORD),
            ])
            .expect("a form"),
        )
        .send()
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let set = res.header("set-cookie").expect("a cookie").to_owned();
    assert!(set.starts_with("__Host-wpt_session=wpts_"), "{set}");
    for attribute in ["; Path=/;", "; Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(set.contains(attribute), "{attribute} in {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let value = set
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("value");
    let get = |cookie: String| {
        let app = &app;
        async move {
            app.request(Method::GET, "/ui/activities")
                .anonymous()
                .header("host", WEB_ORIGIN.trim_start_matches("http://"))
                .header("x-forwarded-proto", "https")
                .header("cookie", &cookie)
                .send()
                .await
        }
    };
    get(format!("__Host-wpt_session={value}"))
        .await
        .assert_status(StatusCode::OK);
    // The unprefixed name (which a sibling subdomain could set) is not read over HTTPS.
    get(format!("wpt_session={value}"))
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_page_session_idle_longer_than_the_timeout_ends() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    use wpt_db::entities::session;
    let app = TestApp::spawn().await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let idle_for = |minutes: i64| {
        let app = &app;
        async move {
            session::Entity::update_many()
                .col_expr(
                    session::Column::LastSeenAt,
                    Expr::value(chrono::Utc::now() - chrono::Duration::minutes(minutes)),
                )
                .filter(session::Column::UserId.eq(officer.id))
                .filter(session::Column::CookieHash.is_not_null())
                .exec(app.database().conn())
                .await
                .expect("update");
        }
    };
    // 29 minutes idle: still in, and the use is recorded (at most once a minute).
    idle_for(29).await;
    app.web_get(Some(&cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
    let mut seen = None;
    for _ in 0..50 {
        let row = session::Entity::find()
            .filter(session::Column::UserId.eq(officer.id))
            .filter(session::Column::CookieHash.is_not_null())
            .one(app.database().conn())
            .await
            .expect("query")
            .expect("row");
        seen = row.last_seen_at;
        if seen.is_some_and(|t| chrono::Utc::now() - t < chrono::Duration::minutes(1)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        seen.is_some_and(|t| chrono::Utc::now() - t < chrono::Duration::minutes(1)),
        "{seen:?}"
    );
    // 31 minutes idle (the default timeout is 30): back to the login page.
    idle_for(31).await;
    let res = app.web_get(Some(&cookie), "/ui/activities").await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert!(
        res.header("location")
            .is_some_and(|l| l.starts_with("/ui/login?expired=1")),
        "{:?}",
        res.header("location")
    );
}

#[tokio::test]
async fn the_account_page_lists_the_sessions_and_ends_one() {
    let app = TestApp::spawn().await;
    let (officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let other = app
        .web_login(&officer.email, wpt_tests::TEST_PASSWORD)
        .await
        .expect("a second browser");
    let sessions = app
        .get_as(&officer.token, "/api/v1/me/sessions")
        .await
        .json();
    let items = sessions["items"].as_array().expect("items").clone();
    // The API login of the caller and the two browsers.
    assert_eq!(items.len(), 3, "{sessions}");
    assert_eq!(items.iter().filter(|s| s["via"] == "web").count(), 2);
    let page = app.web_get(Some(&cookie), "/ui/account").await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    assert!(html.contains("My sessions"), "{html}");
    assert_eq!(html.matches("(this session)").count(), 1, "{html}");
    for s in &items {
        let id = s["id"].as_str().expect("id");
        assert!(
            html.contains(&format!("action=\"/ui/account/sessions/{id}/end\"")),
            "{id}"
        );
    }
    // End the API session from the page: its token stops working, the page stays.
    let api_session = items.iter().find(|s| s["via"] == "api").expect("api")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/account/sessions/{api_session}/end"),
            &[],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    app.get_as(&officer.token, "/api/v1/me")
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.web_get(Some(&other), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
    // Another person's session id is a 404 page, and ends nothing.
    let (_, stranger) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let web_ids: Vec<String> = items
        .iter()
        .filter(|s| s["via"] == "web")
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .collect();
    app.web_post(
        Some(&stranger),
        &format!("/ui/account/sessions/{}/end", web_ids[0]),
        &[],
        false,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    app.web_get(Some(&other), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
    // Ending this very session logs out.
    let mine = web_ids
        .iter()
        .find(|id| {
            let at = html
                .find(&format!("/ui/account/sessions/{id}/end"))
                .expect("row");
            let row_start = html[..at].rfind("<tr>").expect("row start");
            html[row_start..at].contains("(this session)")
        })
        .expect("this session's row")
        .clone();
    let out = app
        .web_post(
            Some(&cookie),
            &format!("/ui/account/sessions/{mine}/end"),
            &[],
            false,
        )
        .await;
    out.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(out.header("location"), Some("/ui/login?signed_out=1"));
    app.web_get(Some(&cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    app.web_get(Some(&other), "/ui/activities")
        .await
        .assert_status(StatusCode::OK);
}
