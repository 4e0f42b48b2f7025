//! Review conversations (issue 19): who takes part (the secretariat, administrators and
//! the body's officers; everyone else 404), threads through return, resubmission,
//! acceptance and closing, resolution, the notices to the other side, and the refusals.

use axum::http::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use wpt_db::entities::notification;
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

struct World {
    admin: Caller,
    sec: Caller,
    dgicm: Caller,
    somtc: Caller,
    viewer: Caller,
    cycle: String,
    activity: String,
    other_activity: String,
}

/// An activity DGICM leads (and one it has no part in), and an open cycle.
async fn world(app: &TestApp) -> World {
    let admin = app.caller(Role::Admin, None).await;
    let sec = app.caller(Role::Secretariat, None).await;
    let dgicm = app.caller(Role::Officer, Some("DGICM")).await;
    let somtc = app.caller(Role::Officer, Some("SOMTC")).await;
    let viewer = app.caller(Role::Viewer, None).await;
    let plan = wpt_domain::reference_id("work_plan", PLAN).to_string();
    let mut ids = Vec::new();
    for (code, lead) in [("A.a.1", "DGICM"), ("B.a.1", "SOMTC")] {
        let res = app
            .request(Method::POST, &format!("/api/v1/work-plans/{plan}/activities"))
            .bearer(&sec.token)
            .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": lead}))
            .send()
            .await;
        res.assert_status(StatusCode::CREATED);
        ids.push(res.json()["id"].as_str().expect("id").to_owned());
    }
    let res = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    let cycle = res.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    World {
        admin,
        sec,
        dgicm,
        somtc,
        viewer,
        cycle,
        activity: ids[0].clone(),
        other_activity: ids[1].clone(),
    }
}

fn comments_path(w: &World) -> String {
    format!("/api/v1/cycles/{}/submissions/DGICM/comments", w.cycle)
}

async fn post(app: &TestApp, token: &str, w: &World, body: Value) -> wpt_tests::TestResponse {
    app.request(Method::POST, &comments_path(w))
        .bearer(token)
        .json(&body)
        .send()
        .await
}

async fn thread(app: &TestApp, token: &str, w: &World) -> Vec<Value> {
    let res = app.get_as(token, &comments_path(w)).await;
    res.assert_status(StatusCode::OK);
    res.json()["items"].as_array().expect("items").clone()
}

/// One workflow step on DGICM's report, with the ETag read just before.
async fn step(app: &TestApp, token: &str, w: &World, action: &str, body: Option<Value>) {
    let sub = format!("/api/v1/cycles/{}/submissions/DGICM", w.cycle);
    let read = app.get_as(token, &sub).await;
    read.assert_status(StatusCode::OK);
    let etag = read.header("etag").expect("etag").to_owned();
    let (method, path) = if action == "save" {
        (Method::PUT, sub.clone())
    } else {
        (Method::POST, format!("{sub}/{action}"))
    };
    let mut req = app
        .request(method, &path)
        .bearer(token)
        .header("if-match", &etag);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.assert_status(StatusCode::OK);
}

async fn notices(app: &TestApp, user: &Caller) -> u64 {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user.id))
        .filter(notification::Column::Kind.eq("comment_added"))
        .count(app.database().conn())
        .await
        .expect("count notices")
}

#[tokio::test]
async fn only_the_secretariat_administrators_and_the_body_s_officers_see_the_conversation() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    post(
        &app,
        &w.sec.token,
        &w,
        json!({"text": "Which workshop is this?"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    for who in [&w.admin, &w.sec, &w.dgicm] {
        assert_eq!(thread(&app, &who.token, &w).await.len(), 1, "{}", who.role);
    }
    // Another body's officer and a viewer: 404, reading and writing, in every state.
    for who in [&w.somtc, &w.viewer] {
        app.get_as(&who.token, &comments_path(&w))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        post(&app, &who.token, &w, json!({"text": "Let me in"}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    app.request(Method::GET, &comments_path(&w))
        .anonymous()
        .send()
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Accepted: viewers and other officers now read the report, never its conversation.
    step(
        &app,
        &w.dgicm.token,
        &w,
        "save",
        Some(json!({"entries": []})),
    )
    .await;
    step(&app, &w.dgicm.token, &w, "submit", None).await;
    step(&app, &w.sec.token, &w, "accept", None).await;
    for who in [&w.somtc, &w.viewer] {
        app.get_as(
            &who.token,
            &format!("/api/v1/cycles/{}/submissions/DGICM", w.cycle),
        )
        .await
        .assert_status(StatusCode::OK);
        app.get_as(&who.token, &comments_path(&w))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let res = app
            .request(
                Method::POST,
                &format!(
                    "{}/{}/resolve",
                    comments_path(&w),
                    thread(&app, &w.sec.token, &w).await[0]["id"]
                        .as_str()
                        .expect("id")
                ),
            )
            .bearer(&who.token)
            .send()
            .await;
        res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    assert_eq!(
        thread(&app, &w.sec.token, &w).await.len(),
        1,
        "nothing written by the refused"
    );
    // An unknown body or cycle is a 404 too.
    app.get_as(
        &w.sec.token,
        &format!("/api/v1/cycles/{}/submissions/NOPE/comments", w.cycle),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_thread_runs_through_return_resubmission_acceptance_and_closing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let first = post(
        &app,
        &w.sec.token,
        &w,
        json!({"text": "Which workshop is this?", "activity_id": w.activity}),
    )
    .await;
    first.assert_status(StatusCode::CREATED);
    let first = first.json();
    assert_eq!(first["activity_code"], "A.a.1");
    assert_eq!(first["author_role"], "secretariat");
    assert_eq!(first["reply_to"], Value::Null);
    let root = first["id"].as_str().expect("id").to_owned();

    step(
        &app,
        &w.dgicm.token,
        &w,
        "save",
        Some(json!({"entries": []})),
    )
    .await;
    step(&app, &w.dgicm.token, &w, "submit", None).await;
    step(
        &app,
        &w.sec.token,
        &w,
        "return",
        Some(json!({"reason": "Attach the MoU"})),
    )
    .await;
    // The officer answers; the reply inherits the thread's entry.
    let reply = post(
        &app,
        &w.dgicm.token,
        &w,
        json!({"text": "The Bangkok one; MoU attached.", "reply_to": root}),
    )
    .await;
    reply.assert_status(StatusCode::CREATED);
    let reply = reply.json();
    assert_eq!(reply["reply_to"], root.as_str());
    assert_eq!(reply["activity_id"], w.activity.as_str());
    step(&app, &w.dgicm.token, &w, "submit", None).await;
    step(
        &app,
        &w.sec.token,
        &w,
        "return",
        Some(json!({"reason": "Still missing"})),
    )
    .await;
    // A reply to a reply joins the thread (one level deep).
    let nested = post(
        &app,
        &w.sec.token,
        &w,
        json!({"text": "Thanks, now the dates?", "reply_to": reply["id"]}),
    )
    .await;
    nested.assert_status(StatusCode::CREATED);
    assert_eq!(nested.json()["reply_to"], root.as_str());
    step(&app, &w.dgicm.token, &w, "submit", None).await;
    step(&app, &w.sec.token, &w, "accept", None).await;
    post(
        &app,
        &w.admin.token,
        &w,
        json!({"text": "Accepted; noted for the AMMTC paper."}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let all = thread(&app, &w.dgicm.token, &w).await;
    let texts: Vec<&str> = all
        .iter()
        .map(|c| c["text"].as_str().expect("text"))
        .collect();
    assert_eq!(
        texts,
        [
            "Which workshop is this?",
            "The Bangkok one; MoU attached.",
            "Thanks, now the dates?",
            "Accepted; noted for the AMMTC paper."
        ]
    );
    // Paging: two by two, the same comments in the same order.
    let page = app
        .get_as(&w.sec.token, &format!("{}?limit=2", comments_path(&w)))
        .await;
    page.assert_status(StatusCode::OK);
    let cursor = page.json()["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let next = app
        .get_as(
            &w.sec.token,
            &format!("{}?limit=2&cursor={cursor}", comments_path(&w)),
        )
        .await;
    assert_eq!(next.json()["items"][0]["text"], "Thanks, now the dates?");

    // Closed: readable by the same people, no new comments, no resolving (409).
    app.request(Method::POST, &format!("/api/v1/cycles/{}/close", w.cycle))
        .bearer(&w.sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(thread(&app, &w.dgicm.token, &w).await.len(), 4);
    post(&app, &w.sec.token, &w, json!({"text": "One more"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.request(
        Method::POST,
        &format!("{}/{root}/resolve", comments_path(&w)),
    )
    .bearer(&w.dgicm.token)
    .send()
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(thread(&app, &w.sec.token, &w).await.len(), 4);
    // The edition does not carry the conversation.
    let edition = app
        .get_as(&w.sec.token, &format!("/api/v1/cycles/{}/edition", w.cycle))
        .await;
    edition.assert_status(StatusCode::OK);
    assert!(!edition.text().contains("Which workshop is this?"));
}

#[tokio::test]
async fn either_side_resolves_a_thread_once_and_replies_are_not_resolved_alone() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let root = post(
        &app,
        &w.dgicm.token,
        &w,
        json!({"text": "Is the template final?"}),
    )
    .await
    .json();
    let reply = post(
        &app,
        &w.sec.token,
        &w,
        json!({"text": "Yes.", "reply_to": root["id"]}),
    )
    .await
    .json();
    let resolve = |id: &Value, token: &str| {
        let path = format!("{}/{}/resolve", comments_path(&w), id.as_str().expect("id"));
        let token = token.to_owned();
        let app = &app;
        async move { app.request(Method::POST, &path).bearer(&token).send().await }
    };
    resolve(&reply["id"], &w.dgicm.token)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let done = resolve(&root["id"], &w.dgicm.token).await;
    done.assert_status(StatusCode::OK);
    let done = done.json();
    assert_eq!(done["resolved_by"], w.dgicm.id.to_string());
    assert!(done["resolved_at"].is_string());
    resolve(&root["id"], &w.sec.token)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    // A second thread, resolved by the secretariat.
    let other = post(&app, &w.dgicm.token, &w, json!({"text": "And the annex?"}))
        .await
        .json();
    resolve(&other["id"], &w.sec.token)
        .await
        .assert_status(StatusCode::OK);
    // A comment of another report is not found here.
    resolve(&json!(uuid::Uuid::now_v7().to_string()), &w.sec.token)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let listed = thread(&app, &w.sec.token, &w).await;
    assert!(listed[0]["resolved_at"].is_string());
    assert!(
        listed[1]["resolved_at"].is_null(),
        "the reply carries no resolution of its own"
    );
    // Audited: three comments added, two threads resolved.
    let audit = app
        .get_as(&w.admin.token, "/api/v1/audit?action=comment.add")
        .await;
    assert_eq!(audit.json()["items"].as_array().expect("items").len(), 3);
    let audit = app
        .get_as(&w.admin.token, "/api/v1/audit?action=comment.resolve")
        .await;
    let items = audit.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn bad_comments_are_refused_with_the_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for (body, field) in [
        (json!({"text": ""}), "text"),
        (json!({"text": "   "}), "text"),
        (json!({"text": "x".repeat(4001)}), "text"),
        (
            json!({"text": "On what?", "activity_id": w.other_activity}),
            "activity_id",
        ),
        (
            json!({"text": "On what?", "activity_id": uuid::Uuid::now_v7()}),
            "activity_id",
        ),
        (
            json!({"text": "To whom?", "reply_to": uuid::Uuid::now_v7()}),
            "reply_to",
        ),
    ] {
        let res = post(&app, &w.dgicm.token, &w, body).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), vec![field.to_owned()]);
    }
    post(
        &app,
        &w.dgicm.token,
        &w,
        json!({"text": "Hi", "author_id": w.sec.id}),
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    // 4,000 characters is the limit, not more.
    post(&app, &w.dgicm.token, &w, json!({"text": "y".repeat(4000)}))
        .await
        .assert_status(StatusCode::CREATED);
    // A reply stays on its thread's entry.
    let root = post(&app, &w.sec.token, &w, json!({"text": "General"}))
        .await
        .json();
    let res = post(
        &app,
        &w.dgicm.token,
        &w,
        json!({"text": "On A.a.1", "reply_to": root["id"], "activity_id": w.activity}),
    )
    .await;
    assert_eq!(res.error_fields(), vec!["activity_id".to_owned()]);
    assert_eq!(thread(&app, &w.sec.token, &w).await.len(), 2);
}

#[tokio::test]
async fn a_new_comment_tells_the_other_side_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let second_sec = app.caller(Role::Secretariat, None).await;
    post(
        &app,
        &w.dgicm.token,
        &w,
        json!({"text": "Is the template final?"}),
    )
    .await
    .assert_status(StatusCode::CREATED);
    assert_eq!(notices(&app, &w.sec).await, 1);
    assert_eq!(notices(&app, &second_sec).await, 1);
    for nobody in [&w.dgicm, &w.somtc, &w.viewer] {
        assert_eq!(notices(&app, nobody).await, 0, "{}", nobody.email);
    }
    post(&app, &w.sec.token, &w, json!({"text": "Yes."}))
        .await
        .assert_status(StatusCode::CREATED);
    assert_eq!(notices(&app, &w.dgicm).await, 1);
    assert_eq!(
        notices(&app, &w.sec).await,
        1,
        "not told of one's own side's comment"
    );
    assert_eq!(notices(&app, &w.somtc).await, 0);
    assert_eq!(notices(&app, &w.viewer).await, 0);
    // The notice names the report, not what was said.
    let row = notification::Entity::find()
        .filter(notification::Column::UserId.eq(w.dgicm.id))
        .filter(notification::Column::Kind.eq("comment_added"))
        .one(app.database().conn())
        .await
        .expect("read")
        .expect("a notice");
    assert!(!row.body.contains("Yes."), "{}", row.body);
    assert!(row.link.contains("/submissions/DGICM"), "{}", row.link);
}

#[tokio::test]
async fn reading_a_conversation_is_a_constant_number_of_queries() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut counts = Vec::new();
    for n in [2, 12] {
        while thread(&app, &w.sec.token, &w).await.len() < n {
            let token = if thread(&app, &w.sec.token, &w).await.len() % 2 == 0 {
                &w.sec.token
            } else {
                &w.dgicm.token
            };
            post(
                &app,
                token,
                &w,
                json!({"text": "More", "activity_id": w.activity}),
            )
            .await
            .assert_status(StatusCode::CREATED);
        }
        let (res, count) = app
            .count_statements(app.get_as(&w.sec.token, &comments_path(&w)))
            .await;
        res.assert_status(StatusCode::OK);
        counts.push(count);
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
}

#[tokio::test]
async fn the_report_page_carries_the_conversation_and_its_forms_work_without_script() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (_, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, officer_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let (_, other_cookie) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let page = format!("/ui/cycles/{}/submissions/DGICM", w.cycle);
    // The secretariat comments on an entry from the page (a plain form post).
    let res = app
        .web_post(
            Some(&sec_cookie),
            &format!("{page}/comments"),
            &[
                ("text", "Which workshop is this?"),
                ("activity_id", &w.activity),
                ("reply_to", ""),
            ],
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(res.header("location").expect("location").starts_with(&page));
    // The flash message shows on the page it leads to.
    let cookie_with_flash = format!(
        "{sec_cookie}; {}",
        res.header("set-cookie")
            .expect("flash")
            .split(';')
            .next()
            .expect("cookie")
    );
    let shown = app.web_get(Some(&cookie_with_flash), &page).await;
    assert!(shown.text().contains("Comment added"), "flash message");
    // The officer sees it under the block and in the conversation, and replies.
    let seen = app.web_get(Some(&officer_cookie), &page).await;
    seen.assert_status(StatusCode::OK);
    let html = seen.text();
    assert!(html.contains("id=\"conversation\""));
    assert!(html.contains("Which workshop is this?"));
    assert!(html.contains("1 unresolved"));
    let root = thread(&app, &w.sec.token, &w).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let res = app
        .web_post(
            Some(&officer_cookie),
            &format!("{page}/comments"),
            &[("text", "The Bangkok one."), ("reply_to", &root)],
            false,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    // An empty comment: the page again with the refusal, nothing written.
    let res = app
        .web_post(
            Some(&officer_cookie),
            &format!("{page}/comments"),
            &[("text", "  ")],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("role=\"alert\""));
    // Resolving asks first, then resolves.
    let resolve = format!("{page}/comments/{root}/resolve");
    let ask = app
        .web_post(Some(&officer_cookie), &resolve, &[], false)
        .await;
    ask.assert_status(StatusCode::OK);
    assert!(ask.text().contains("Yes, mark it resolved"));
    assert!(thread(&app, &w.sec.token, &w).await[0]["resolved_at"].is_null());
    let done = app
        .web_post(
            Some(&officer_cookie),
            &resolve,
            &[("confirm", "yes")],
            false,
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(thread(&app, &w.sec.token, &w).await[0]["resolved_at"].is_string());
    // Forged posts: another body's officer (404), and a post from another site (403).
    app.web_post(
        Some(&other_cookie),
        &format!("{page}/comments"),
        &[("text", "Forged")],
        false,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
    let forged = app
        .request(Method::POST, &format!("{page}/comments"))
        .anonymous()
        .header("host", "localhost")
        .header("origin", "https://evil.example")
        .header("cookie", &officer_cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw("text=Forged")
        .send()
        .await;
    forged.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(thread(&app, &w.sec.token, &w).await.len(), 2);
    // The board and the review queue count unresolved threads.
    post(&app, &w.dgicm.token, &w, json!({"text": "A new question"}))
        .await
        .assert_status(StatusCode::CREATED);
    let board = app
        .web_get(Some(&sec_cookie), &format!("/ui/cycles/{}/board", w.cycle))
        .await
        .text();
    assert!(board.contains("Unresolved comments"));
    assert!(
        board.contains("<span class=\"badge unresolved\">1</span>"),
        "{board}"
    );
}
