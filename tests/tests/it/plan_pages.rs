//! The pages that run the plan's structure without a browser: `/ui/admin/bodies`
//! (bodies and participation) and `/ui/plans/{id}` (areas, activities, milestones,
//! indicators). Every form's refusals come back with the message and what was typed;
//! officers and viewers get no form and 403 on a forged post, with nothing written.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TestApp};

fn plan_id() -> String {
    wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028").to_string()
}

async fn audit_count(app: &TestApp, admin: &Caller) -> usize {
    app.get_as(&admin.token, "/api/v1/audit?limit=200")
        .await
        .json()["items"]
        .as_array()
        .map_or(0, Vec::len)
}

async fn new_activity(app: &TestApp, admin: &Caller, code: &str, lead: &str) -> Value {
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/work-plans/{}/activities", plan_id()),
        )
        .bearer(&admin.token)
        .json(&json!({"area": "A", "code": code, "title": format!("Activity {code}"), "lead_body": lead}))
        .send()
        .await;
    res.assert_status(StatusCode::CREATED);
    res.json()
}

#[tokio::test]
async fn the_administrator_creates_edits_and_adds_a_body_and_sees_refusals_in_words() {
    let app = TestApp::spawn().await;
    let (admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());

    let page = app.web_get(c, "/ui/admin/bodies").await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    assert!(html.contains("AICHR") && html.contains("Taking part in MSWP-TIP-2023-2028"));
    assert!(
        html.contains("href=\"/ui/admin/bodies\""),
        "in the navigation"
    );

    // A new body: a bad code comes back with the message and the typed name.
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies",
            &[
                ("code", "bad code"),
                ("name", "Typed name kept"),
                ("pillar", "ASCC"),
                ("notes", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(
        html.contains("Typed name kept") && html.contains("bad code"),
        "{html}"
    );
    assert!(html.contains("class=\"problem\""), "{html}");
    // A bad pillar, and a taken code.
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies",
            &[("code", "NEWB"), ("name", "N"), ("pillar", "MOON")],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("choose one of the listed pillars"));
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies",
            &[("code", "SOMTC"), ("name", "Again"), ("pillar", "APSC")],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(res.text().contains("A body SOMTC exists"), "{}", res.text());
    // Created.
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies",
            &[
                ("code", "SOMRDPE"),
                ("name", "Rural development"),
                ("pillar", "ASCC"),
                ("confirmed", "yes"),
                ("notes", "Tenth body"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let body = app
        .get_as(&admin.token, "/api/v1/bodies/SOMRDPE")
        .await
        .json();
    assert_eq!(body["confirmed"], true);
    assert_eq!(body["notes"], "Tenth body");

    // Edit: an empty name is refused as typed; a stale version is a 412 in words.
    let edit = app.web_get(c, "/ui/admin/bodies/SOMRDPE").await;
    edit.assert_status(StatusCode::OK);
    assert!(edit.text().contains("name=\"version\" value=\"1\""));
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies/SOMRDPE",
            &[
                ("name", ""),
                ("pillar", "ASCC"),
                ("notes", "Typed note"),
                ("version", "1"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().contains("Typed note"));
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies/SOMRDPE",
            &[("name", "Renamed"), ("pillar", "ASCC"), ("version", "1")],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let res = app
        .web_post(
            c,
            "/ui/admin/bodies/SOMRDPE",
            &[("name", "Overwrite"), ("pillar", "ASCC"), ("version", "1")],
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
    assert!(
        res.text().contains("Changed by someone else"),
        "{}",
        res.text()
    );
    let body = app
        .get_as(&admin.token, "/api/v1/bodies/SOMRDPE")
        .await
        .json();
    assert_eq!(body["name"], "Renamed");
    assert_eq!(body["confirmed"], false, "an unticked box clears it");

    // Join the plan: a second lead is refused in words; as a member it joins.
    let join = format!("/ui/admin/plans/{}/bodies", plan_id());
    let res = app
        .web_post(c, &join, &[("body", "SOMRDPE"), ("role", "lead")], false)
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(
        res.text().contains("already led by SOMTC"),
        "{}",
        res.text()
    );
    let res = app
        .web_post(c, &join, &[("body", "SOMRDPE"), ("role", "chair")], false)
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .web_post(c, &join, &[("body", "SOMRDPE"), ("role", "member")], false)
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let res = app
        .web_post(c, &join, &[("body", "SOMRDPE"), ("role", "member")], false)
        .await;
    res.assert_status(StatusCode::CONFLICT);

    // Assigned an activity, it cannot leave: the page names the activity.
    new_activity(&app, &admin, "A.77.1", "SOMRDPE").await;
    let leave = format!("{join}/SOMRDPE/remove");
    let res = app.web_post(c, &leave, &[], false).await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(
        res.text().contains("A.77.1 Activity A.77.1"),
        "{}",
        res.text()
    );
    // An unassigned member leaves.
    let res = app
        .web_post(c, &format!("{join}/SOM-ED/remove"), &[], false)
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let parts = app
        .get_as(
            &admin.token,
            &format!("/api/v1/work-plans/{}/bodies?limit=200", plan_id()),
        )
        .await
        .json();
    let codes: Vec<&str> = parts["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["body"]["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"SOMRDPE") && !codes.contains(&"SOM-ED"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn only_administrators_reach_the_bodies_page_and_its_posts() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let before = audit_count(&app, &admin).await;
    for (role, body) in [
        (Role::Secretariat, None),
        (Role::Officer, Some("DGICM")),
        (Role::Viewer, None),
    ] {
        let (_, cookie) = app.web_caller(role, body).await;
        let c = Some(cookie.as_str());
        app.web_get(c, "/ui/admin/bodies")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        app.web_get(c, "/ui/admin/bodies/SOMTC")
            .await
            .assert_status(StatusCode::FORBIDDEN);
        let home = app.web_get(c, "/ui/dashboard").await.text();
        assert!(!home.contains("/ui/admin/bodies"), "no link for {role:?}");
        for (path, form) in [
            (
                "/ui/admin/bodies".to_owned(),
                vec![("code", "FORGED"), ("name", "F"), ("pillar", "ASCC")],
            ),
            (
                "/ui/admin/bodies/SOMTC".to_owned(),
                vec![("name", "Forged"), ("pillar", "APSC"), ("version", "1")],
            ),
            (
                format!("/ui/admin/plans/{}/bodies", plan_id()),
                vec![("body", "SOMTC"), ("role", "member")],
            ),
            (
                format!("/ui/admin/plans/{}/bodies/AICHR/remove", plan_id()),
                vec![],
            ),
        ] {
            app.web_post(c, &path, &form, false)
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    // Only the logins were audited: nothing of the forged posts.
    let entries = app
        .get_as(&admin.token, "/api/v1/audit?limit=200")
        .await
        .json();
    let written: Vec<&str> = entries["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| !a.starts_with("session.") && !a.starts_with("user."))
        .collect();
    assert!(written.len() <= before, "{written:?}");
    assert_eq!(
        app.get_as(&admin.token, "/api/v1/bodies/SOMTC")
            .await
            .json()["version"],
        1
    );
}

#[tokio::test]
async fn the_secretariat_builds_the_structure_and_every_refusal_keeps_what_was_typed() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    let c = Some(cookie.as_str());
    let plan = format!("/ui/plans/{}", plan_id());

    let res = app.web_get(c, "/ui/plans").await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some(plan.as_str()));
    let html = app.web_get(c, &plan).await.text();
    assert!(html.contains("id=\"new-activity\"") && html.contains("id=\"new-area\""));
    assert!(html.contains(&format!("{plan}/import")), "the matrix link");

    // Area: a taken letter, then a bad one, then a new one.
    let areas = format!("{plan}/areas");
    let res = app
        .web_post(
            c,
            &areas,
            &[("code", "A"), ("title", "Typed area title")],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(res.text().contains("Typed area title"));
    let res = app
        .web_post(c, &areas, &[("code", "e e"), ("title", "")], false)
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    app.web_post(c, &areas, &[("code", "E"), ("title", "Monitoring")], false)
        .await
        .assert_status(StatusCode::SEE_OTHER);

    // Activity: every refusal comes back as typed, nothing is written.
    let acts = format!("{plan}/activities");
    let typed = |over: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = vec![
            ("area", "A"),
            ("code", "A.88.1"),
            ("title", "Typed activity title"),
            ("description", "Typed description"),
            ("actip_reference", "ACTIP Art. 11"),
            ("expected_outputs", ""),
            ("planned_start", "2026-01-01"),
            ("planned_end", "2026-12-31"),
            ("lead_body", "DGICM"),
            ("cooperating_bodies", "AICHR"),
        ];
        for (k, v) in over {
            f.retain(|(key, _)| key != k);
            f.push((k, v));
        }
        f
    };
    for (over, status, words) in [
        (
            vec![("planned_end", "2025-01-01")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "is before planned_start",
        ),
        (
            vec![("planned_start", "soon")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "must be a date",
        ),
        (
            vec![("title", "")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Title",
        ),
        (
            vec![("code", "lower case")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Code",
        ),
        (
            vec![("lead_body", "NOPE")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "no sectoral body has the code",
        ),
        (
            vec![("cooperating_bodies", "DGICM")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "the lead body cannot also cooperate",
        ),
        (
            vec![("area", "Z")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "the work plan has no area",
        ),
    ] {
        let res = app.web_post(c, &acts, &typed(&over), false).await;
        assert_eq!(res.status, status, "{over:?}: {}", res.text());
        let html = res.text();
        assert!(html.contains(words), "{over:?}: {html}");
        assert!(html.contains("Typed description"), "typed kept: {over:?}");
        let coop = over
            .iter()
            .find(|(k, _)| *k == "cooperating_bodies")
            .map_or("AICHR", |(_, v)| *v);
        assert!(
            html.contains(&format!("value=\"{coop}\" checked")),
            "checkbox kept: {over:?}"
        );
    }
    let list = app
        .get_as(&admin.token, "/api/v1/activities?q=Typed&limit=200")
        .await
        .json();
    assert_eq!(
        list["items"].as_array().map_or(0, Vec::len),
        0,
        "nothing written"
    );
    let res = app.web_post(c, &acts, &typed(&[]), false).await;
    res.assert_status(StatusCode::SEE_OTHER);
    let location = res.header("location").expect("to the activity").to_owned();
    let id = location.rsplit('/').next().expect("id").to_owned();
    let res = app.web_post(c, &acts, &typed(&[]), false).await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(res.text().contains("already has an activity A.88.1"));

    let page = app.web_get(c, &location).await;
    page.assert_status(StatusCode::OK);
    assert!(page.text().contains("Typed activity title"));

    // Milestones.
    let ms = format!("{location}/milestones");
    for (form, words) in [
        (vec![("title", ""), ("due_on", "2026-06-30")], "Title"),
        (
            vec![("title", "Typed milestone"), ("due_on", "")],
            "is required",
        ),
        (
            vec![("title", "Typed milestone"), ("due_on", "30/06/2026")],
            "must be a date",
        ),
    ] {
        let res = app.web_post(c, &ms, &form, false).await;
        res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().contains(words), "{form:?}");
    }
    app.web_post(
        c,
        &ms,
        &[("title", "Workshop held"), ("due_on", "2026-06-30")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    // Indicators.
    let is = format!("{location}/indicators");
    for (form, words) in [
        (
            vec![
                ("name", "Typed indicator"),
                ("measure", "percent"),
                ("target", "150"),
            ],
            "from 0 to 100",
        ),
        (
            vec![
                ("name", "Typed indicator"),
                ("measure", "number"),
                ("baseline", "many"),
            ],
            "must be a number",
        ),
        (vec![("name", ""), ("measure", "number")], "Name"),
        (
            vec![("name", "Typed indicator"), ("measure", "vibes")],
            "choose one of the listed measures",
        ),
    ] {
        let res = app.web_post(c, &is, &form, false).await;
        res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains(words), "{form:?}: {html}");
    }
    app.web_post(
        c,
        &is,
        &[
            ("name", "Officials trained"),
            ("measure", "number"),
            ("unit", "people"),
            ("baseline", "0"),
            ("target", "120"),
        ],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let ms_api = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}/milestones"))
        .await
        .json();
    assert_eq!(ms_api["items"].as_array().map_or(0, Vec::len), 1);
    let is_api = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}/indicators"))
        .await
        .json();
    assert_eq!(is_api["items"].as_array().map_or(0, Vec::len), 1);

    // Edit: a stale version is a 412 in words, as typed; then saved; then archived.
    let mut edit = typed(&[("title", "Retitled")]);
    edit.retain(|(k, _)| *k != "code");
    let mut stale = edit.clone();
    stale.push(("version", "99"));
    let res = app.web_post(c, &location, &stale, false).await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
    assert!(res.text().contains("Changed by someone else") && res.text().contains("Retitled"));
    let version = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}"))
        .await
        .json()["version"]
        .to_string();
    let mut ok = edit.clone();
    ok.push(("version", version.as_str()));
    ok.retain(|(k, _)| *k != "cooperating_bodies");
    app.web_post(c, &location, &ok, false)
        .await
        .assert_status(StatusCode::SEE_OTHER);
    let a = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}"))
        .await
        .json();
    assert_eq!(a["title"], "Retitled");
    assert_eq!(
        a["cooperating_bodies"],
        json!([]),
        "unticked: no longer cooperating"
    );
    let v = a["version"].to_string();
    app.web_post(
        c,
        &format!("{location}/archive"),
        &[("version", v.as_str()), ("archived", "true")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    let a = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}"))
        .await
        .json();
    assert_eq!(a["archived"], true);
    // A stale archive is refused in words.
    let res = app
        .web_post(
            c,
            &format!("{location}/archive"),
            &[("version", v.as_str()), ("archived", "false")],
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn officers_and_viewers_read_the_structure_without_forms_and_a_forged_post_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let a = new_activity(&app, &admin, "A.66.1", "DGICM").await;
    let id = a["id"].as_str().expect("id");
    let plan = format!("/ui/plans/{}", plan_id());
    let activity = format!("{plan}/activities/{id}");
    app.request(Method::POST, &format!("/api/v1/activities/{id}/milestones"))
        .bearer(&admin.token)
        .json(&json!({"title": "Visible milestone", "due_on": "2027-01-31"}))
        .send()
        .await
        .assert_status(StatusCode::CREATED);
    for (role, body) in [(Role::Officer, Some("DGICM")), (Role::Viewer, None)] {
        let (_, cookie) = app.web_caller(role, body).await;
        let c = Some(cookie.as_str());
        let html = app.web_get(c, &plan).await.text();
        assert!(
            html.contains("A.66.1") && html.contains("href=\"/ui/plans\""),
            "{role:?}"
        );
        assert!(
            !html.contains("<form class=\"stack\""),
            "no form for {role:?}: {html}"
        );
        assert!(!html.contains("/import\""), "no matrix link for {role:?}");
        let html = app.web_get(c, &activity).await.text();
        assert!(html.contains("Visible milestone"), "{role:?}");
        assert!(
            !html.contains("method=\"post\" action=\"/ui/plans"),
            "no form for {role:?}: {html}"
        );
        for (path, form) in [
            (
                format!("{plan}/areas"),
                vec![("code", "F"), ("title", "Forged")],
            ),
            (
                format!("{plan}/activities"),
                vec![
                    ("area", "A"),
                    ("code", "A.66.2"),
                    ("title", "Forged"),
                    ("lead_body", "DGICM"),
                ],
            ),
            (
                activity.clone(),
                vec![
                    ("area", "A"),
                    ("title", "Forged"),
                    ("lead_body", "DGICM"),
                    ("version", "2"),
                ],
            ),
            (
                format!("{activity}/archive"),
                vec![("version", "2"), ("archived", "true")],
            ),
            (
                format!("{activity}/milestones"),
                vec![("title", "Forged"), ("due_on", "2027-01-31")],
            ),
            (
                format!("{activity}/indicators"),
                vec![("name", "Forged"), ("measure", "number")],
            ),
        ] {
            app.web_post(c, &path, &form, false)
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    let after = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}"))
        .await
        .json();
    assert_eq!(after["title"], "Activity A.66.1");
    assert_eq!(after["archived"], false);
    let ms = app
        .get_as(&admin.token, &format!("/api/v1/activities/{id}/milestones"))
        .await
        .json();
    assert_eq!(ms["items"].as_array().map_or(0, Vec::len), 1);
    // An activity of the plan under another plan's address is not found.
    let other = wpt_domain::reference_id("work_plan", "BOHOL-TIP-2017-2020");
    let (_, cookie) = app.web_caller(Role::Secretariat, None).await;
    app.web_get(Some(&cookie), &format!("/ui/plans/{other}/activities/{id}"))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
