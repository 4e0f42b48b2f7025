//! Each account's time zone (issue 24, item 10): set by the browser at the first login
//! in the pages, never over one already set; set and refused through `PATCH /me` and the
//! account page; and the pages show times in it with the offset (UTC, saying so, for a
//! person without one), while the API keeps RFC 3339 in UTC.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use wpt_domain::Role;
use wpt_tests::{Caller, TEST_PASSWORD, TestApp, TestResponse};

async fn me(app: &TestApp, token: &str) -> Value {
    let res = app.get_as(token, "/api/v1/me").await;
    res.assert_status(StatusCode::OK);
    res.json()
}

async fn patch_me(app: &TestApp, token: &str, body: Value) -> TestResponse {
    app.request(Method::PATCH, "/api/v1/me")
        .bearer(token)
        .json(&body)
        .send()
        .await
}

/// A login through the login page, with the hidden field zone.js fills.
async fn page_login(app: &TestApp, email: &str, zone: Option<&str>) -> String {
    let mut form = vec![("email", email), ("password", TEST_PASSWORD)];
    if let Some(z) = zone {
        form.push(("time_zone", z));
    }
    let res = app.web_post(None, "/ui/login", &form, false).await;
    res.assert_status(StatusCode::SEE_OTHER);
    res.header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

async fn zone_audits(app: &TestApp, admin: &Caller, user: &str) -> Vec<Value> {
    let audit = app
        .get_as(
            &admin.token,
            "/api/v1/audit?action=user.time_zone&limit=100",
        )
        .await;
    audit.assert_status(StatusCode::OK);
    audit.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["resource_id"] == user)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_caller_sets_shows_and_clears_their_zone_through_the_api_and_bad_ones_are_refused() {
    let app = TestApp::spawn().await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;
    let admin = app.caller(Role::Admin, None).await;
    assert_eq!(me(&app, &officer.token).await["time_zone"], Value::Null);

    let res = patch_me(&app, &officer.token, json!({"time_zone": "Asia/Jakarta"})).await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["time_zone"], "Asia/Jakarta");
    assert_eq!(me(&app, &officer.token).await["time_zone"], "Asia/Jakarta");

    for bad in ["Asia/Atlantis", "asia/jakarta", "+07:00", "", "UTC+7"] {
        let res = patch_me(&app, &officer.token, json!({"time_zone": bad})).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.error_fields(), vec!["time_zone"], "{bad}");
    }
    patch_me(&app, &officer.token, json!({"time_zone": 7}))
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        me(&app, &officer.token).await["time_zone"],
        "Asia/Jakarta",
        "refusals change nothing"
    );
    // An absent key changes nothing; null clears.
    let res = patch_me(&app, &officer.token, json!({})).await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["time_zone"], "Asia/Jakarta");
    let res = patch_me(&app, &officer.token, json!({"time_zone": null})).await;
    res.assert_status(StatusCode::OK);
    assert_eq!(res.json()["time_zone"], Value::Null);

    // Audited, before and after, by the caller.
    let audits = zone_audits(&app, &admin, &officer.id.to_string()).await;
    assert_eq!(audits.len(), 2, "{audits:?}");
    assert!(audits.iter().any(|e| e["before"]["time_zone"].is_null()
        && e["after"]["time_zone"] == "Asia/Jakarta"
        && e["actor_id"] == officer.id.to_string()));
}

#[tokio::test]
async fn the_first_login_sets_the_browser_zone_and_later_logins_never_replace_one() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let officer = app.caller(Role::Officer, Some("DGICM")).await;

    // A login without script (no zone) and one with a made-up zone set nothing.
    let cookie = page_login(&app, &officer.email, None).await;
    page_login(&app, &officer.email, Some("Not/AZone")).await;
    assert_eq!(me(&app, &officer.token).await["time_zone"], Value::Null);
    let account = app.web_get(Some(&cookie), "/ui/account").await;
    account.assert_status(StatusCode::OK);
    let html = account.text();
    assert!(
        html.contains("no time zone is set for your account yet"),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"\" selected>Not set (UTC)"),
        "{html}"
    );

    // The first login whose browser reports a zone sets it, audited.
    page_login(&app, &officer.email, Some("Asia/Jakarta")).await;
    assert_eq!(me(&app, &officer.token).await["time_zone"], "Asia/Jakarta");
    let audits = zone_audits(&app, &admin, &officer.id.to_string()).await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0]["after"]["from"], "browser");

    // A browser elsewhere does not move it.
    page_login(&app, &officer.email, Some("Europe/Paris")).await;
    assert_eq!(me(&app, &officer.token).await["time_zone"], "Asia/Jakarta");

    // Chosen on the account page, it survives the next login too.
    let cookie = page_login(&app, &officer.email, Some("Europe/Paris")).await;
    let res = app
        .web_post(
            Some(&cookie),
            "/ui/account/time-zone",
            &[("time_zone", "Asia/Manila")],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    page_login(&app, &officer.email, Some("America/New_York")).await;
    assert_eq!(me(&app, &officer.token).await["time_zone"], "Asia/Manila");
    assert_eq!(
        zone_audits(&app, &admin, &officer.id.to_string())
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn the_account_page_sets_a_zone_and_refuses_an_unknown_one_as_a_form_error() {
    let app = TestApp::spawn().await;
    let (viewer, cookie) = app.web_caller(Role::Viewer, None).await;
    let c = Some(cookie.as_str());
    let page = app.web_get(c, "/ui/account").await.text();
    assert!(page.contains("id=\"time-zone-form\""), "{page}");
    for zone in [
        "Asia/Jakarta",
        "Asia/Yangon",
        "Asia/Dili",
        "UTC",
        "Europe/Paris",
    ] {
        assert!(
            page.contains(&format!("<option value=\"{zone}\"")),
            "{zone}"
        );
    }
    // The member states' zones come first.
    let at = |s: &str| page.find(s).unwrap_or_else(|| panic!("{s} on the page"));
    assert!(at("Asia/Jakarta") < at("Africa/Abidjan"));

    let res = app
        .web_post(
            c,
            "/ui/account/time-zone",
            &[("time_zone", "Mars/Olympus")],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("Time zone: is not a time zone"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert_eq!(me(&app, &viewer.token).await["time_zone"], Value::Null);

    // With htmx as without: saved, and said so on the next page.
    let res = app
        .web_post(
            c,
            "/ui/account/time-zone",
            &[("time_zone", "Asia/Bangkok")],
            true,
        )
        .await;
    assert!(
        res.status.is_success() || res.status.is_redirection(),
        "{}",
        res.status
    );
    assert_eq!(me(&app, &viewer.token).await["time_zone"], "Asia/Bangkok");
    let res = app
        .web_post(
            c,
            "/ui/account/time-zone",
            &[("time_zone", "Asia/Jakarta")],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    let flash = res
        .header("set-cookie")
        .and_then(|v| v.split(';').next())
        .expect("the message")
        .to_owned();
    let page = app
        .web_get(Some(&format!("{cookie}; {flash}")), "/ui/account")
        .await
        .text();
    assert!(
        page.contains("Time zone saved: Asia/Jakarta (UTC+7)"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"Asia/Jakarta\" selected"),
        "{page}"
    );
    assert_eq!(me(&app, &viewer.token).await["time_zone"], "Asia/Jakarta");
}

#[tokio::test]
async fn pages_show_a_moment_in_the_person_s_zone_with_its_offset_and_in_utc_without_one() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    // A known moment on every page: maintenance announced for it (far ahead, so nothing
    // is refused meanwhile).
    app.request(Method::PUT, "/api/v1/admin/maintenance")
        .bearer(&admin.token)
        .json(&json!({"on": true, "message": "Upgrade", "starts_at": "2099-12-20T21:55:00Z"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    // The API keeps UTC.
    let state = app.get_as(&admin.token, "/api/v1/maintenance").await.json();
    assert_eq!(state["starts_at"], "2099-12-20T21:55:00Z");

    let (jakarta, jakarta_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    patch_me(&app, &jakarta.token, json!({"time_zone": "Asia/Jakarta"}))
        .await
        .assert_status(StatusCode::OK);
    let (_, utc_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;

    let html = app
        .web_get(Some(&jakarta_cookie), "/ui/activities")
        .await
        .text();
    assert!(
        html.contains("Read-only from 21 Dec 2099 04:55 UTC+7"),
        "{html}"
    );
    let html = app
        .web_get(Some(&utc_cookie), "/ui/activities")
        .await
        .text();
    assert!(
        html.contains("Read-only from 20 Dec 2099 21:55 UTC"),
        "{html}"
    );

    // The administrator's page: the moment in a <time> carrying UTC for machines, and
    // the form's value in the administrator's zone.
    let admin_cookie = page_login(&app, &admin.email, Some("Asia/Jakarta")).await;
    let html = app
        .web_get(Some(&admin_cookie), "/ui/admin/maintenance")
        .await
        .text();
    assert!(
        html.contains("<time datetime=\"2099-12-20T21:55:00Z\">21 Dec 2099 04:55 UTC+7</time>"),
        "{html}"
    );
    assert!(html.contains("value=\"2099-12-21T04:55\""), "{html}");
    assert!(
        html.contains("Read-only from (Asia/Jakarta, UTC+7; empty: now)"),
        "{html}"
    );
}
