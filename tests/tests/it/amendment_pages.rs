//! Corrections of an accepted report in the pages (issue 24): the secretariat sees each
//! pending one beside the accepted values, accepts or rejects it after a confirmation
//! that works without script (and in place with htmx), and the report's page says what
//! was done; the body's officers see a pending correction and the outcome under the
//! entry. Everyone else posting the decision is refused as the API refuses them, and
//! nothing changes.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp, TestResponse};

const PLAN: &str = "MSWP-TIP-2023-2028";

struct Setup {
    app: TestApp,
    sec: Caller,
    sec_cookie: String,
    dgicm: Caller,
    dgicm_cookie: String,
    somtc_cookie: String,
    viewer_cookie: String,
    activity: String,
    cycle: String,
    /// `/api/v1/cycles/{cycle}/submissions/DGICM`.
    api: String,
    /// `/ui/cycles/{cycle}/submissions/DGICM`.
    page: String,
}

async fn etag_of(app: &TestApp, token: &str, path: &str) -> String {
    let res = app.get_as(token, path).await;
    res.assert_status(StatusCode::OK);
    res.header("etag").expect("etag").to_owned()
}

/// DGICM's report in an open cycle, its entry "On track, 40%", accepted.
async fn accepted_report() -> Setup {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (dgicm, dgicm_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let (_, somtc_cookie) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let (_, viewer_cookie) = app.web_caller(Role::Viewer, None).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN);
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{plan}/activities"))
        .bearer(&sec.token)
        .json(&json!({"area": "A", "code": "A.c.1", "title": "Border officers briefed", "lead_body": "DGICM", "cooperating_bodies": []}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let activity = res.json()["id"].as_str().expect("id").to_owned();
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "27th SOMTC", "meeting_date": "2099-06-20",
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
    let api = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = etag_of(&app, &dgicm.token, &api).await;
    app.request(Method::PUT, &api)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": activity, "status": "on_track", "percent_complete": 40, "narrative": "58 officers briefed"}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    for (who, action) in [(&dgicm, "submit"), (&sec, "accept")] {
        let etag = etag_of(&app, &who.token, &api).await;
        app.request(Method::POST, &format!("{api}/{action}"))
            .bearer(&who.token)
            .header("if-match", &etag)
            .send()
            .await
            .assert_status(StatusCode::OK);
    }
    let page = format!("/ui/cycles/{cycle}/submissions/DGICM");
    Setup {
        app,
        sec,
        sec_cookie,
        dgicm,
        dgicm_cookie,
        somtc_cookie,
        viewer_cookie,
        activity,
        cycle,
        api,
        page,
    }
}

/// DGICM's officer proposes a correction through the API; the response.
async fn propose(s: &Setup, status: &str, percent: i32, reason: &str) -> TestResponse {
    s.app
        .request(Method::POST, &format!("{}/amendments", s.api))
        .bearer(&s.dgicm.token)
        .json(&json!({"entry": {"activity_id": s.activity, "status": status, "percent_complete": percent,
                                 "narrative": "85 officers briefed"}, "reason": reason}))
        .send()
        .await
}

async fn proposed(s: &Setup, status: &str, percent: i32, reason: &str) -> String {
    let res = propose(s, status, percent, reason).await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

/// The amendment `id` as the secretariat reads it through the API.
async fn amendment(s: &Setup, id: &str) -> Value {
    let list = s
        .app
        .get_as(&s.sec.token, &format!("{}/amendments", s.api))
        .await
        .json();
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no amendment {id} in {list}"))
}

/// DGICM's entry as the secretariat reads it.
async fn entry(s: &Setup) -> Value {
    let report = s.app.get_as(&s.sec.token, &s.api).await.json();
    report["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["activity_id"] == s.activity.as_str())
        .cloned()
        .expect("the entry")
}

/// The `wpt_flash=...` pair a response sets.
fn flash_of(res: &TestResponse) -> String {
    res.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wpt_flash="))
        .unwrap_or_else(|| panic!("no flash cookie: {:?}", res.headers))
        .split(';')
        .next()
        .expect("pair")
        .to_owned()
}

/// Opens `to` with the flash cookie `res` set and checks the page shows `message` in
/// its visible status region; the page.
async fn shown(app: &TestApp, cookie: &str, res: &TestResponse, to: &str, message: &str) -> String {
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
        .unwrap_or_else(|| panic!("no status region: {html}"))
        .split("</div>")
        .next()
        .expect("region")
        .to_owned();
    assert!(region.contains(message), "{message:?} not in {region}");
    html
}

#[tokio::test]
async fn the_secretariat_accepts_a_correction_after_a_confirmation_without_script() {
    let s = accepted_report().await;
    let app = &s.app;
    let id = proposed(&s, "delayed", 60, "85 officers were briefed, not 58").await;

    // The officer's page: the correction waits, and no second one is offered (the API
    // refuses one with 409).
    let officer = app.web_get(Some(&s.dgicm_cookie), &s.page).await.text();
    assert!(
        officer.contains("Correction proposed ")
            && officer.contains("waiting for the secretariat."),
        "{officer}"
    );
    assert!(
        !officer.contains(&format!("/amend/{}", s.activity)),
        "no second proposal offered: {officer}"
    );
    assert!(
        !officer.contains("/decide\""),
        "officers get no decision form: {officer}"
    );
    propose(&s, "completed", 100, "Another")
        .await
        .assert_problem(StatusCode::CONFLICT, "amendment_pending");

    // The board: a count linking to the report's corrections.
    let board = app
        .web_get(
            Some(&s.sec_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(
        board.contains(&format!(
            "<a href=\"{}#amendments\">1 correction to decide</a>",
            s.page
        )),
        "{board}"
    );
    let officer_board = app
        .web_get(
            Some(&s.dgicm_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(
        officer_board.contains("1 correction waiting for the secretariat"),
        "{officer_board}"
    );
    let viewer_board = app
        .web_get(
            Some(&s.viewer_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(!viewer_board.contains("correction"), "{viewer_board}");

    // The review page: the proposal beside the accepted values, reason, proposer, form.
    let review = app.web_get(Some(&s.sec_cookie), &s.page).await.text();
    let item = review
        .split(&format!("id=\"amendment-{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no pending correction: {review}"));
    assert!(
        item.contains("Correction to A.c.1 Border officers briefed"),
        "{item}"
    );
    assert!(
        item.contains("Accepted values beside the proposed ones"),
        "{item}"
    );
    assert!(item.contains("58 officers briefed") && item.contains("85 officers briefed"));
    assert!(item.contains("40%") && item.contains("60%"), "{item}");
    assert!(item.contains("85 officers were briefed, not 58"), "{item}");
    assert!(item.contains(&s.dgicm.email), "the proposer: {item}");
    assert!(item.contains("<time datetime="), "{item}");
    let action = format!("{}/amendments/{id}/decide", s.page);
    assert!(item.contains(&format!("action=\"{action}\"")), "{item}");
    assert!(review.contains("See it and decide"), "{review}");

    // Accept: the first post asks, with the consequences, and changes nothing.
    let ask = app
        .web_post(
            Some(&s.sec_cookie),
            &action,
            &[("decision", "accept"), ("note", "Checked the lists")],
            false,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    assert!(
        html.contains("Accept the correction to A.c.1 in DGICM"),
        "{html}"
    );
    assert!(
        html.contains("<strong>On track, 40%</strong> to <strong>Delayed, 60%</strong>"),
        "{html}"
    );
    assert!(html.contains("Status: On track → Delayed"), "{html}");
    assert!(html.contains("cannot be undone"), "{html}");
    assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
    assert!(
        html.contains("name=\"note\" value=\"Checked the lists\""),
        "{html}"
    );
    assert!(html.contains("No, go back"), "{html}");
    assert_eq!(amendment(&s, &id).await["status"], "proposed");
    assert_eq!(entry(&s).await["status"], "on_track");

    // Confirmed: decided, and the report's page says so.
    let res = app
        .web_post(
            Some(&s.sec_cookie),
            &action,
            &[
                ("decision", "accept"),
                ("note", "Checked the lists"),
                ("confirm", "yes"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let to = res.header("location").expect("location").to_owned();
    assert_eq!(to, format!("{}#amendments", s.page));
    let page = shown(
        app,
        &s.sec_cookie,
        &res,
        &to,
        "Correction to A.c.1 accepted: DGICM's entry now reads Delayed, 60%.",
    )
    .await;
    let a = amendment(&s, &id).await;
    assert_eq!(a["status"], "accepted");
    assert_eq!(a["review_note"], "Checked the lists");
    assert_eq!(a["reviewer_id"], s.sec.id.to_string());
    let e = entry(&s).await;
    assert_eq!(e["status"], "delayed");
    assert_eq!(e["percent_complete"], 60);
    assert_eq!(e["amended"], true);
    // History: decided, by whom, with the note; nothing pending any more.
    let history = page
        .split("id=\"amendment-history\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no history: {page}"));
    assert!(history.contains("Correction accepted"), "{history}");
    assert!(history.contains("Checked the lists"), "{history}");
    assert!(history.contains(&s.sec.email), "{history}");
    assert!(
        page.contains("No correction is waiting for a decision."),
        "{page}"
    );
    let board = app
        .web_get(
            Some(&s.sec_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(!board.contains("to decide"), "{board}");

    // The officer sees the outcome, and may propose again.
    let officer = app.web_get(Some(&s.dgicm_cookie), &s.page).await.text();
    assert!(officer.contains("Correction accepted"), "{officer}");
    assert!(
        officer.contains("the entry now reads Delayed, 60%"),
        "{officer}"
    );
    assert!(officer.contains("Checked the lists"), "{officer}");
    assert!(
        officer.contains(&format!("/amend/{}", s.activity)),
        "{officer}"
    );

    // Deciding it again is refused (409), shown on the report's page.
    let again = app
        .web_post(
            Some(&s.sec_cookie),
            &action,
            &[("decision", "reject"), ("confirm", "yes")],
            false,
        )
        .await;
    again.assert_status(StatusCode::CONFLICT);
    assert!(
        again.text().contains("already accepted"),
        "{}",
        again.text()
    );
    assert_eq!(amendment(&s, &id).await["status"], "accepted");
}

#[tokio::test]
async fn a_rejection_with_htmx_reaches_the_officer_and_no_one_else_may_decide() {
    let s = accepted_report().await;
    let app = &s.app;
    let id = proposed(&s, "completed", 100, "The campaign ended in May").await;
    let action = format!("{}/amendments/{id}/decide", s.page);
    let confirmed = [
        ("decision", "reject"),
        ("note", "Not a correction"),
        ("confirm", "yes"),
    ];

    // Officers of that body and of another, and viewers: refused as the API refuses
    // them (403), with and without htmx; nothing changes.
    for cookie in [&s.dgicm_cookie, &s.somtc_cookie, &s.viewer_cookie] {
        for htmx in [false, true] {
            for accept in ["accept", "reject"] {
                let res = app
                    .web_post(
                        Some(cookie),
                        &action,
                        &[("decision", accept), ("confirm", "yes")],
                        htmx,
                    )
                    .await;
                res.assert_status(StatusCode::FORBIDDEN);
            }
        }
    }
    // The API says the same.
    app.request(Method::POST, &format!("/api/v1/amendments/{id}/reject"))
        .bearer(&s.dgicm.token)
        .json(&json!({}))
        .send()
        .await
        .assert_status(StatusCode::FORBIDDEN);
    // A correction named under another body's report is not found.
    app.web_post(
        Some(&s.sec_cookie),
        &format!(
            "/ui/cycles/{}/submissions/SOMTC/amendments/{id}/decide",
            s.cycle
        ),
        &confirmed,
        false,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    // No decision chosen: 422, nothing decided.
    app.web_post(Some(&s.sec_cookie), &action, &[("confirm", "yes")], false)
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(amendment(&s, &id).await["status"], "proposed");
    assert_eq!(entry(&s).await["status"], "on_track");

    // With htmx the question comes in place of the correction.
    let ask = app
        .web_post(
            Some(&s.sec_cookie),
            &action,
            &[("decision", "reject"), ("note", "Not a correction")],
            true,
        )
        .await;
    ask.assert_status(StatusCode::OK);
    let html = ask.text();
    assert!(
        html.starts_with(&format!("<div class=\"confirm\" id=\"amendment-{id}\">")),
        "{html}"
    );
    assert!(
        html.contains("Reject the correction to A.c.1 in DGICM"),
        "{html}"
    );
    assert!(
        html.contains("keeps its accepted values (On track, 40%)"),
        "{html}"
    );
    assert!(
        html.contains("<blockquote>Not a correction</blockquote>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("hx-post=\"{action}\""))
            && html.contains("name=\"confirm\" value=\"yes\""),
        "{html}"
    );
    assert!(!html.contains("<html"), "a fragment: {html}");
    assert_eq!(amendment(&s, &id).await["status"], "proposed");

    // Confirmed with htmx: the browser is sent to the report, which says what was done.
    let res = app
        .web_post(Some(&s.sec_cookie), &action, &confirmed, true)
        .await;
    res.assert_status(StatusCode::OK);
    let to = res.header("hx-redirect").expect("hx-redirect").to_owned();
    assert_eq!(to, s.page, "the page itself, so that the browser loads it");
    shown(
        app,
        &s.sec_cookie,
        &res,
        &to,
        "Correction to A.c.1 rejected: DGICM's entry keeps On track, 40%.",
    )
    .await;
    let a = amendment(&s, &id).await;
    assert_eq!(a["status"], "rejected");
    assert_eq!(a["review_note"], "Not a correction");
    let e = entry(&s).await;
    assert_eq!(e["status"], "on_track");
    assert_eq!(e["percent_complete"], 40);
    assert_eq!(e["amended"], false);

    // The officer's page shows the outcome and the note, and offers a new proposal.
    let officer = app.web_get(Some(&s.dgicm_cookie), &s.page).await.text();
    assert!(officer.contains("Correction rejected"), "{officer}");
    assert!(officer.contains("Not a correction"), "{officer}");
    assert!(
        !officer.contains("waiting for the secretariat"),
        "{officer}"
    );
    assert!(
        officer.contains(&format!("/amend/{}", s.activity)),
        "{officer}"
    );
    // Deciding it again with htmx: the refusal in place (409).
    let again = app
        .web_post(Some(&s.sec_cookie), &action, &confirmed, true)
        .await;
    again.assert_status(StatusCode::CONFLICT);
    assert!(
        again
            .text()
            .starts_with(&format!("<div id=\"amendment-{id}\">")),
        "{}",
        again.text()
    );
}

#[tokio::test]
async fn the_corrections_list_costs_the_same_queries_however_long_it_is() {
    let s = accepted_report().await;
    let app = &s.app;
    let first = proposed(&s, "delayed", 50, "First").await;
    let (_, one) = app
        .count_statements(async {
            app.web_get(Some(&s.sec_cookie), &s.page)
                .await
                .assert_status(StatusCode::OK)
                .text()
        })
        .await;
    // Three more, decided in turn through the API, and one pending again.
    let mut last = first;
    for n in 0..3 {
        app.request(Method::POST, &format!("/api/v1/amendments/{last}/reject"))
            .bearer(&s.sec.token)
            .json(&json!({"note": format!("No {n}")}))
            .send()
            .await
            .assert_status(StatusCode::OK);
        last = proposed(&s, "delayed", 50 + n, &format!("Again {n}")).await;
    }
    let (html, four) = app
        .count_statements(async {
            app.web_get(Some(&s.sec_cookie), &s.page)
                .await
                .assert_status(StatusCode::OK)
                .text()
        })
        .await;
    assert!(html.contains("No 2") && html.contains("Again 2"), "{html}");
    assert_eq!(
        one, four,
        "the same number of queries for one correction as for four"
    );
    // The board counts them per body.
    let b = app
        .web_get(
            Some(&s.sec_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(b.contains("1 correction to decide"), "{b}");
}

#[tokio::test]
async fn a_correction_left_when_the_cycle_closes_is_shown_but_not_offered_for_decision() {
    let s = accepted_report().await;
    let app = &s.app;
    let id = proposed(&s, "delayed", 60, "85 officers were briefed, not 58").await;
    app.request(Method::POST, &format!("/api/v1/cycles/{}/close", s.cycle))
        .bearer(&s.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    let review = app.web_get(Some(&s.sec_cookie), &s.page).await.text();
    assert!(
        review.contains(&format!("id=\"amendment-{id}\"")),
        "{review}"
    );
    assert!(
        review.contains(
            "The cycle is closed: these corrections can no longer be accepted or rejected."
        ),
        "{review}"
    );
    assert!(!review.contains("/decide\""), "no decision form: {review}");
    let board = app
        .web_get(
            Some(&s.sec_cookie),
            &format!("/ui/cycles/{}/board", s.cycle),
        )
        .await
        .text();
    assert!(
        board.contains("1 correction not decided (the cycle is closed)"),
        "{board}"
    );
    // A post from an old page: no question, the use case's refusal (409).
    let res = app
        .web_post(
            Some(&s.sec_cookie),
            &format!("{}/amendments/{id}/decide", s.page),
            &[("decision", "accept")],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(res.text().contains("role=\"alert\""), "{}", res.text());
    assert_eq!(amendment(&s, &id).await["status"], "proposed");
    assert_eq!(entry(&s).await["status"], "on_track");
}
