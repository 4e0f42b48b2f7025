//! The landing pages' "Your tasks" and the officers' milestone completion in the pages
//! (issue 24, items 5 and 6): what to do next comes first, counts are links, filters
//! say what they do, and a milestone is marked done from the activity's page or the
//! Update form, with and without htmx, by its bodies' officers only.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

const PLAN: &str = "MSWP-TIP-2023-2028";

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", PLAN).to_string()
}

async fn activity(app: &TestApp, sec: &Caller, code: &str, lead: &str) -> String {
    let res = app
        .request(Method::POST, &format!("/api/v1/work-plans/{}/activities", plan_id()))
        .bearer(&sec.token)
        .json(&json!({"area": &code[..1], "code": code, "title": format!("Activity {code}"), "lead_body": lead}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn milestone(app: &TestApp, sec: &Caller, activity: &str, title: &str, due: &str) -> String {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/activities/{activity}/milestones"),
        )
        .bearer(&sec.token)
        .json(&json!({"title": title, "due_on": due}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()["id"].as_str().expect("id").to_owned()
}

async fn open_cycle(app: &TestApp, sec: &Caller) -> String {
    open_named_cycle(app, sec, "26th SOMTC").await
}

async fn open_named_cycle(app: &TestApp, sec: &Caller, name: &str) -> String {
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan_id(), "kind": "somtc", "name": name, "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let id = created.json()["id"].as_str().expect("id").to_owned();
    app.request(Method::POST, &format!("/api/v1/cycles/{id}/open"))
        .bearer(&sec.token)
        .send()
        .await
        .assert_status(StatusCode::OK);
    id
}

async fn step(app: &TestApp, who: &Caller, path: &str, action: &str, body: Option<Value>) {
    let etag = app
        .get_as(&who.token, path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let mut req = app
        .request(Method::POST, &format!("{path}/{action}"))
        .bearer(&who.token)
        .header("if-match", &etag);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.assert_status(StatusCode::OK);
}

/// The text of the "Your tasks" section of a page.
fn tasks(html: &str) -> &str {
    let start = html
        .find("id=\"your-tasks\"")
        .unwrap_or_else(|| panic!("no tasks: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").expect("section end")]
}

#[tokio::test]
async fn officers_and_the_secretariat_see_their_tasks_first() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (dgicm, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let a = activity(&app, &sec, "A.t.1", "DGICM").await;
    let b = activity(&app, &sec, "A.t.2", "DGICM").await;
    milestone(&app, &sec, &a, "Venue booked", "2020-01-15").await;
    milestone(&app, &sec, &b, "Guidelines endorsed", "2099-01-15").await;

    // No cycle open: nothing due, the overdue milestone is a link to the filter.
    let html = app.web_get(Some(&cookie), "/ui/activities").await.text();
    let t = tasks(&html);
    assert!(t.contains("1 milestone overdue"), "{t}");
    assert!(
        t.contains("href=\"/ui/activities?milestones=overdue\""),
        "{t}"
    );
    assert!(
        html.find("id=\"your-tasks\"") < html.find("id=\"activities\""),
        "tasks come first"
    );
    assert!(
        html.contains("<a href=\"/ui/activities?milestones=overdue\"><strong id=\"count-overdue-milestones\">1</strong>"),
        "the count is a link: {html}"
    );
    assert!(
        html.contains("Past planned end") && html.contains("Milestones overdue"),
        "filters named for what they do"
    );
    let filtered = app
        .web_get(Some(&cookie), "/ui/activities?milestones=overdue")
        .await
        .text();
    assert!(
        filtered.contains("A.t.1") && !filtered.contains("A.t.2"),
        "{filtered}"
    );
    assert!(
        filtered.contains("1 milestone overdue"),
        "the schedule warning, in words"
    );

    // A cycle opens: the report, its status and due date, a link to it.
    let cycle = open_cycle(&app, &sec).await;
    let html = app.web_get(Some(&cookie), "/ui/activities").await.text();
    let t = tasks(&html);
    assert!(
        t.contains(&format!("href=\"/ui/cycles/{cycle}/my-report\"")),
        "{t}"
    );
    assert!(t.contains("No report yet") && t.contains("due "), "{t}");
    assert!(t.contains("datetime=\"2099-05-21\""), "{t}");

    // Submitted, then returned: "Returned: action needed" with the reason.
    let path = format!("/api/v1/cycles/{cycle}/submissions/DGICM");
    let etag = app
        .get_as(&dgicm.token, &path)
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.request(Method::PUT, &path)
        .bearer(&dgicm.token)
        .header("if-match", &etag)
        .json(&json!({"entries": [{"activity_id": a, "status": "on_track", "narrative": "Going"}]}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    step(&app, &dgicm, &path, "submit", None).await;
    let html = app.web_get(Some(&sec_cookie), "/ui/dashboard").await.text();
    let t = tasks(&html);
    assert!(t.contains("1 report awaiting review"), "{t}");
    assert!(t.contains("href=\"/ui/review\""), "{t}");
    assert!(t.contains("No body is late"), "{t}");
    step(
        &app,
        &sec,
        &path,
        "return",
        Some(json!({"reason": "Please add the number of officers trained"})),
    )
    .await;
    let html = app.web_get(Some(&cookie), "/ui/activities").await.text();
    let t = tasks(&html);
    assert!(t.contains("Returned: action needed"), "{t}");
    assert!(
        t.contains("Please add the number of officers trained"),
        "{t}"
    );

    // Viewers have no tasks section.
    let (_, viewer_cookie) = app.web_caller(Role::Viewer, None).await;
    let html = app
        .web_get(Some(&viewer_cookie), "/ui/dashboard")
        .await
        .text();
    assert!(!html.contains("id=\"your-tasks\""));
}

#[tokio::test]
async fn tasks_read_all_open_cycles_in_a_constant_number_of_queries() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (_, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    activity(&app, &sec, "A.t.1", "DGICM").await;
    let mut ids = Vec::new();
    for name in ["First open cycle", "Second open cycle", "Third open cycle"] {
        ids.push(open_named_cycle(&app, &sec, name).await);
    }
    // The boards of the open cycles are one grouped read: the same statements for one
    // cycle as for three (counted on the use case itself, which background work such
    // as mail does not touch).
    let actor = wpt_domain::Actor {
        user_id: sec.id,
        role: Role::Secretariat,
        body: None,
        credential: wpt_domain::Credential::Session {
            session_id: uuid::Uuid::now_v7(),
        },
    };
    let uuids: Vec<uuid::Uuid> = ids.iter().map(|i| i.parse().expect("uuid")).collect();
    let (one, n1) = app
        .count_statements(wpt_db::cycles::boards(app.database(), &actor, &uuids[..1]))
        .await;
    let (three, n3) = app
        .count_statements(wpt_db::cycles::boards(app.database(), &actor, &uuids))
        .await;
    assert_eq!(n1, n3, "constant number of queries");
    assert_eq!(one.expect("boards").len(), 1);
    let three = three.expect("boards");
    assert_eq!(three.len(), 3);
    for id in &uuids {
        assert!(three[id].iter().any(|r| r.body == "DGICM"), "{id}");
    }
    // Both landing pages list every open cycle in "Your tasks".
    for (c, page) in [(&cookie, "/ui/activities"), (&sec_cookie, "/ui/dashboard")] {
        let html = app.web_get(Some(c), page).await.text();
        let t = tasks(&html);
        for name in ["First open cycle", "Second open cycle", "Third open cycle"] {
            assert!(t.contains(name), "{page}: {name} in {t}");
        }
    }
    let html = app.web_get(Some(&cookie), "/ui/activities").await.text();
    let t = tasks(&html);
    for id in &ids {
        assert!(t.contains(&format!("/ui/cycles/{id}/my-report")), "{t}");
    }
}

async fn version(app: &TestApp, token: &str, m: &str) -> String {
    app.get_as(token, &format!("/api/v1/milestones/{m}"))
        .await
        .json()["version"]
        .to_string()
}

#[tokio::test]
async fn officers_mark_a_milestone_done_from_the_activity_page_and_the_update_form() {
    let app = TestApp::spawn().await;
    let (sec, sec_cookie) = app.web_caller(Role::Secretariat, None).await;
    let (dgicm, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let (_, somtc_cookie) = app.web_caller(Role::Officer, Some("SOMTC")).await;
    let (_, viewer_cookie) = app.web_caller(Role::Viewer, None).await;
    let a = activity(&app, &sec, "A.m.1", "DGICM").await;
    let m1 = milestone(&app, &sec, &a, "Venue booked", "2020-01-15").await;
    let m2 = milestone(&app, &sec, &a, "Invitations sent", "2020-02-15").await;

    // From the activity's page, without script.
    let page = app
        .web_get(Some(&cookie), &format!("/ui/activities/{a}"))
        .await
        .text();
    assert!(
        page.contains(&format!("action=\"/ui/milestones/{m1}/done\"")),
        "{page}"
    );
    let today = chrono::Utc::now().date_naive().to_string();
    let v1 = version(&app, &dgicm.token, &m1).await;
    let done = |v: &str, day: &str, back: &str| {
        vec![
            ("version".to_owned(), v.to_owned()),
            ("completed_on".to_owned(), day.to_owned()),
            ("back".to_owned(), back.to_owned()),
        ]
    };
    let form = done(&v1, "2020-01-10", "activity");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();

    // Refused to everyone but the activity's bodies' officers; nothing changes.
    for (who, status) in [
        (&somtc_cookie, StatusCode::FORBIDDEN),
        (&viewer_cookie, StatusCode::FORBIDDEN),
        (&sec_cookie, StatusCode::FORBIDDEN),
    ] {
        let res = app
            .web_post(
                Some(who),
                &format!("/ui/milestones/{m1}/done"),
                &pairs,
                false,
            )
            .await;
        res.assert_status(status);
    }
    let m = app
        .get_as(&sec.token, &format!("/api/v1/milestones/{m1}"))
        .await
        .json();
    assert!(m["completed_on"].is_null(), "{m}");

    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/milestones/{m1}/done"),
            &pairs,
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some(format!("/ui/activities/{a}#milestones").as_str())
    );
    let flash = res
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("wpt_flash="))
        .expect("a message")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let shown = app
        .web_get(
            Some(&format!("{cookie}; {flash}")),
            &format!("/ui/activities/{a}"),
        )
        .await
        .text();
    assert!(
        shown.contains("Milestone &quot;Venue booked&quot; marked done on 10 Jan 2020."),
        "{shown}"
    );
    let m = app
        .get_as(&sec.token, &format!("/api/v1/milestones/{m1}"))
        .await
        .json();
    assert_eq!(m["completed_on"], "2020-01-10");
    assert_eq!(m["completed_by"], dgicm.id.to_string());

    // The same form again (stale version): refused, nothing changes.
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/milestones/{m1}/done"),
            &pairs,
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);

    // From the Update form, with htmx: back to the form.
    let page = app
        .web_get(
            Some(&cookie),
            &format!("/ui/activities/{a}/update?from=activity"),
        )
        .await
        .text();
    assert!(
        page.contains(&format!("action=\"/ui/milestones/{m2}/done\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("action=\"/ui/milestones/{m1}/done\"")),
        "done ones are not offered"
    );
    let v2 = version(&app, &dgicm.token, &m2).await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
    let future = done(&v2, &tomorrow, "update");
    let pairs: Vec<(&str, &str)> = future
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.web_post(
        Some(&cookie),
        &format!("/ui/milestones/{m2}/done"),
        &pairs,
        true,
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let form = done(&v2, &today, "update");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app
        .web_post(
            Some(&cookie),
            &format!("/ui/milestones/{m2}/done"),
            &pairs,
            true,
        )
        .await;
    res.assert_status(StatusCode::OK);
    assert_eq!(
        res.header("hx-redirect"),
        Some(format!("/ui/activities/{a}/update?from=activity").as_str())
    );
    let m = app
        .get_as(&sec.token, &format!("/api/v1/milestones/{m2}"))
        .await
        .json();
    assert_eq!(m["completed_on"], today.as_str());
    let page = app
        .web_get(Some(&cookie), &format!("/ui/activities/{a}"))
        .await
        .text();
    assert!(page.contains("No schedule warning"), "{page}");
}
