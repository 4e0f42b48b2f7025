//! The accounts pages (`/ui/admin/users`), the personal API tokens page
//! (`/ui/account/tokens`) and the first administrator of `wpt serve`, without a
//! browser: every form's refusals keep what was typed, a stale form shows the current
//! values, the last administrator stays, and only the right people get the forms.

use axum::http::{Method, StatusCode};
use serde_json::json;
use wpt_domain::Role;
use wpt_tests::{TEST_PASSWORD, TestApp, TestDb};

/// The text of the element with this id (`<x id="ID" ...>text<`).
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = start + html[start..].find('>').expect("the tag ends");
    html[open + 1..]
        .split('<')
        .next()
        .expect("text")
        .trim()
        .to_owned()
}

/// The version the account page's forms carry.
fn version_in(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("a version") + marker.len();
    html[start..].split('"').next().expect("a value").to_owned()
}

async fn api_user(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    let res = app.get_as(token, &format!("/api/v1/users/{id}")).await;
    res.assert_status(StatusCode::OK);
    res.json()
}

async fn count_users(app: &TestApp, token: &str) -> usize {
    let res = app.get_as(token, "/api/v1/users?limit=200").await;
    res.assert_status(StatusCode::OK);
    res.json()["items"].as_array().expect("items").len()
}

#[tokio::test]
async fn an_administrator_creates_an_officer_who_logs_in_with_the_shown_password() {
    let app = TestApp::spawn().await;
    let (admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());
    let list = app.web_get(c, "/ui/admin/users").await;
    list.assert_status(StatusCode::OK);
    let html = list.text();
    assert!(
        html.contains("href=\"/ui/admin/users\" aria-current=\"page\""),
        "in the navigation"
    );
    assert!(html.contains(&admin.email));
    let form = app.web_get(c, "/ui/admin/users/new").await;
    form.assert_status(StatusCode::OK);
    assert!(form.text().contains("<option value=\"DGICM\""));
    let before = count_users(&app, &admin.token).await;

    // An officer without a body: refused, as typed.
    let res = app
        .web_post(
            c,
            "/ui/admin/users",
            &[
                ("email", "new.officer@test.example"),
                ("name", "Focal point"),
                ("role", "officer"),
                ("body", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("is required for an officer"), "{html}");
    assert!(html.contains("value=\"new.officer@test.example\""));
    assert!(html.contains("value=\"Focal point\""));
    assert!(html.contains("<option value=\"officer\" selected"));
    // A bad email and a body for a viewer: both named, nothing written.
    let res = app
        .web_post(
            c,
            "/ui/admin/users",
            &[
                ("email", "not an email"),
                ("name", "Viewer"),
                ("role", "viewer"),
                ("body", "DGICM"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text();
    assert!(html.contains("must be an email address"), "{html}");
    assert!(html.contains("is only for officers"), "{html}");
    assert!(html.contains("<option value=\"DGICM\" selected"));
    // An unknown role.
    app.web_post(
        c,
        "/ui/admin/users",
        &[
            ("email", "x@test.example"),
            ("name", "X"),
            ("role", "superuser"),
            ("body", ""),
        ],
        false,
    )
    .await
    .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count_users(&app, &admin.token).await,
        before,
        "nothing was written"
    );

    let res = app
        .web_post(
            c,
            "/ui/admin/users",
            &[
                ("email", "New.Officer@test.example"),
                ("name", "DGICM focal point"),
                ("role", "officer"),
                ("body", "DGICM"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::CREATED);
    let html = res.text();
    let email = text_of(&html, "shown-email");
    let password = text_of(&html, "shown-password");
    assert_eq!(email, "new.officer@test.example");
    assert!(password.len() >= 20, "a generated password: {password}");
    let officer = app
        .web_login(&email, &password)
        .await
        .unwrap_or_else(|r| panic!("the new officer cannot log in: {}", r.text()));
    let mine = app.web_get(Some(&officer), "/ui/activities").await;
    mine.assert_status(StatusCode::OK);
    assert!(mine.text().contains("officer, DGICM"));
    assert_eq!(count_users(&app, &admin.token).await, before + 1);

    // The same email again (any case): 409, as typed.
    let res = app
        .web_post(
            c,
            "/ui/admin/users",
            &[
                ("email", "NEW.officer@test.example"),
                ("name", "Twice"),
                ("role", "viewer"),
                ("body", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(res.text().contains("value=\"Twice\""));
    // Audited as the API's create is.
    let audit = app
        .get_as(&admin.token, "/api/v1/audit?action=user.create&limit=200")
        .await;
    audit.assert_status(StatusCode::OK);
    assert!(
        audit.text().contains("new.officer@test.example"),
        "{}",
        audit.text()
    );
}

#[tokio::test]
async fn the_list_filters_by_role_body_state_and_text_in_pages_of_constant_cost() {
    let app = TestApp::spawn().await;
    let (admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());
    app.create_account("somhd.one@test.example", Role::Officer, Some("SOMHD"))
        .await;
    app.create_account("dgicm.one@test.example", Role::Officer, Some("DGICM"))
        .await;
    let gone = app
        .create_account("viewer.gone@test.example", Role::Viewer, None)
        .await;
    app.request(Method::PATCH, &format!("/api/v1/users/{}", gone.id))
        .bearer(&admin.token)
        .header("if-match", &format!("\"{}\"", gone.version))
        .json(&json!({"active": false}))
        .send()
        .await
        .assert_status(StatusCode::OK);

    let page = |q: &'static str| {
        let app = &app;
        async move {
            let res = app.web_get(c, &format!("/ui/admin/users{q}")).await;
            res.assert_status(StatusCode::OK);
            res.text()
        }
    };
    let by_role = page("?role=officer").await;
    assert!(by_role.contains("somhd.one@") && by_role.contains("dgicm.one@"));
    // (The header names the administrator too: look in the table's email cells.)
    assert!(!by_role.contains(&format!("<span class=\"muted\">{}</span>", admin.email)));
    assert!(by_role.contains("<span class=\"muted\">somhd.one@test.example</span>"));
    assert!(!by_role.contains("viewer.gone@"));
    let by_body = page("?body=SOMHD").await;
    assert!(by_body.contains("somhd.one@") && !by_body.contains("dgicm.one@"));
    let off = page("?active=false").await;
    assert!(off.contains("viewer.gone@") && off.contains("Deactivated"));
    assert!(!off.contains("somhd.one@"));
    let on = page("?active=true").await;
    assert!(on.contains("somhd.one@") && !on.contains("viewer.gone@"));
    let text = page("?q=DGICM.O").await;
    assert!(text.contains("dgicm.one@") && !text.contains("somhd.one@"));
    // LIKE's wildcards are taken literally.
    let wild = page("?q=%25").await;
    assert!(wild.contains("No account matches"), "{wild}");
    let blank = page("?role=&body=&active=&q=").await;
    assert!(blank.contains("somhd.one@") && blank.contains("viewer.gone@"));
    app.web_get(c, "/ui/admin/users?role=king")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    app.web_get(c, "/ui/admin/users?active=maybe")
        .await
        .assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // Pages of 50, by email; the next page keeps the filters; the same statements for
    // a page of 3 as for a page of 50.
    let (_, few) = app
        .count_statements(app.web_get(c, "/ui/admin/users?role=officer"))
        .await;
    for n in 0..55 {
        app.create_account(&format!("bulk{n:02}@test.example"), Role::Viewer, None)
            .await;
    }
    let (first, many) = app
        .count_statements(app.web_get(c, "/ui/admin/users?role=viewer"))
        .await;
    assert_eq!(few, many, "a constant number of queries per page");
    let first = first.text();
    assert!(first.contains("bulk00@") && !first.contains("bulk55@"));
    let marker = "href=\"/ui/admin/users?";
    let start = first.find(marker).expect("a next page link") + "href=\"".len();
    let next = first[start..]
        .split('"')
        .next()
        .expect("link")
        .replace("&amp;", "&");
    assert!(
        next.contains("role=viewer") && next.contains("cursor="),
        "{next}"
    );
    let second = app.web_get(c, &next).await;
    second.assert_status(StatusCode::OK);
    let second = second.text();
    assert!(second.contains("bulk54@") && !second.contains("bulk00@"));
    assert!(!second.contains("somhd.one@"), "the filter is kept");
}

#[tokio::test]
async fn edits_carry_the_version_and_a_stale_form_shows_the_current_values() {
    let app = TestApp::spawn().await;
    let (admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());
    let officer = app
        .create_account("edit.me@test.example", Role::Officer, Some("DGICM"))
        .await;
    let path = format!("/ui/admin/users/{}", officer.id);
    let opened = app.web_get(c, &path).await;
    opened.assert_status(StatusCode::OK);
    let version = version_in(&opened.text());
    assert_eq!(version, officer.version.to_string());

    // Refusals keep what was typed.
    for (role, body, message) in [
        ("officer", "", "is required for an officer"),
        ("secretariat", "DGICM", "is only for officers"),
    ] {
        let res = app
            .web_post(
                c,
                &path,
                &[
                    ("version", &version),
                    ("name", "Typed name"),
                    ("role", role),
                    ("body", body),
                ],
                false,
            )
            .await;
        res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains(message), "{html}");
        assert!(html.contains("value=\"Typed name\""));
    }
    let res = app
        .web_post(
            c,
            &path,
            &[
                ("version", &version),
                ("name", "  "),
                ("role", "officer"),
                ("body", "DGICM"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);

    // Someone else changes it through the API: the page's form is stale.
    app.request(Method::PATCH, &format!("/api/v1/users/{}", officer.id))
        .bearer(&admin.token)
        .header("if-match", &format!("\"{version}\""))
        .json(&json!({"name": "Changed through the API"}))
        .send()
        .await
        .assert_status(StatusCode::OK);
    let res = app
        .web_post(
            c,
            &path,
            &[
                ("version", &version),
                ("name", "Mine"),
                ("role", "officer"),
                ("body", "SOMHD"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
    let html = res.text();
    assert!(html.contains("Changed by someone else"), "{html}");
    assert!(
        html.contains("value=\"Changed through the API\""),
        "the current values"
    );
    assert!(!html.contains("value=\"Mine\""));
    let fresh = version_in(&html);
    assert_ne!(fresh, version);
    let now = api_user(&app, &admin.token, &officer.id.to_string()).await;
    assert_eq!(
        now["name"], "Changed through the API",
        "nothing overwritten"
    );
    assert_eq!(now["body"], "DGICM");

    // With the current version it saves, as the API's PATCH would.
    let res = app
        .web_post(
            c,
            &path,
            &[
                ("version", &fresh),
                ("name", "Now secretariat"),
                ("role", "secretariat"),
                ("body", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some(format!("{path}?done=saved").as_str())
    );
    let now = api_user(&app, &admin.token, &officer.id.to_string()).await;
    assert_eq!(now["name"], "Now secretariat");
    assert_eq!(now["role"], "secretariat");
    assert!(now["body"].is_null());
    // An unknown account is a 404 page.
    app.web_get(c, &format!("/ui/admin/users/{}", uuid::Uuid::now_v7()))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivation_ends_sessions_and_the_last_administrator_stays() {
    let app = TestApp::spawn().await;
    let (admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());
    let (officer, officer_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let path = format!("/ui/admin/users/{}", officer.id);
    let version = version_in(&app.web_get(c, &path).await.text());
    let res = app
        .web_post(
            c,
            &format!("{path}/active"),
            &[("version", &version), ("active", "false")],
            false,
        )
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    app.web_get(Some(&officer_cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(app.web_login(&officer.email, TEST_PASSWORD).await.is_err());
    let shown = app
        .web_get(c, &format!("{path}?done=deactivated"))
        .await
        .text();
    assert!(shown.contains("Reactivate account"));
    // The old version is stale now.
    app.web_post(
        c,
        &format!("{path}/active"),
        &[("version", &version), ("active", "true")],
        false,
    )
    .await
    .assert_status(StatusCode::PRECONDITION_FAILED);
    let version = version_in(&shown);
    app.web_post(
        c,
        &format!("{path}/active"),
        &[("version", &version), ("active", "true")],
        false,
    )
    .await
    .assert_status(StatusCode::SEE_OTHER);
    assert!(app.web_login(&officer.email, TEST_PASSWORD).await.is_ok());

    // The only administrator cannot deactivate or demote themselves.
    let mine = format!("/ui/admin/users/{}", admin.id);
    let version = version_in(&app.web_get(c, &mine).await.text());
    let res = app
        .web_post(
            c,
            &format!("{mine}/active"),
            &[("version", &version), ("active", "false")],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    assert!(
        res.text().contains("last active administrator"),
        "{}",
        res.text()
    );
    let res = app
        .web_post(
            c,
            &mine,
            &[
                ("version", &version),
                ("name", "Me"),
                ("role", "viewer"),
                ("body", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::CONFLICT);
    let html = res.text();
    assert!(html.contains("last active administrator"));
    assert!(html.contains("value=\"Me\""), "as typed");
    let me = api_user(&app, &admin.token, &admin.id.to_string()).await;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["active"], true);
}

#[tokio::test]
async fn a_reset_password_is_shown_once_and_ends_the_account_s_sessions() {
    let app = TestApp::spawn().await;
    let (_admin, cookie) = app.web_caller(Role::Admin, None).await;
    let c = Some(cookie.as_str());
    let (officer, officer_cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let path = format!("/ui/admin/users/{}", officer.id);
    let version = version_in(&app.web_get(c, &path).await.text());
    let res = app
        .web_post(
            c,
            &format!("{path}/password"),
            &[("version", &version)],
            false,
        )
        .await;
    res.assert_status(StatusCode::OK);
    let password = text_of(&res.text(), "shown-password");
    app.web_get(Some(&officer_cookie), "/ui/activities")
        .await
        .assert_status(StatusCode::SEE_OTHER);
    assert!(app.web_login(&officer.email, TEST_PASSWORD).await.is_err());
    assert!(app.web_login(&officer.email, &password).await.is_ok());
    // The form of before the reset is stale.
    let res = app
        .web_post(
            c,
            &format!("{path}/password"),
            &[("version", &version)],
            false,
        )
        .await;
    res.assert_status(StatusCode::PRECONDITION_FAILED);
    assert!(!res.text().contains("shown-password"));
    assert!(app.web_login(&officer.email, &password).await.is_ok());
}

#[tokio::test]
async fn only_administrators_get_the_accounts_pages_and_forged_posts_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.caller(Role::Admin, None).await;
    let target = app
        .create_account("target@test.example", Role::Viewer, None)
        .await;
    let before = count_users(&app, &admin.token).await;
    for (role, body) in [
        (Role::Secretariat, None),
        (Role::Officer, Some("DGICM")),
        (Role::Viewer, None),
    ] {
        let (_, cookie) = app.web_caller(role, body).await;
        let c = Some(cookie.as_str());
        let start = app.web_get(c, "/ui/dashboard").await.text();
        assert!(!start.contains("/ui/admin/users"), "no link for {role}");
        for path in [
            "/ui/admin/users".to_owned(),
            "/ui/admin/users/new".to_owned(),
            format!("/ui/admin/users/{}", target.id),
        ] {
            let res = app.web_get(c, &path).await;
            res.assert_status(StatusCode::FORBIDDEN);
            assert!(
                !res.text()
                    .contains("<form method=\"post\" action=\"/ui/admin")
            );
        }
        let v = target.version.to_string();
        let forged: [(String, Vec<(&str, &str)>); 4] = [
            (
                "/ui/admin/users".into(),
                vec![
                    ("email", "forged@test.example"),
                    ("name", "F"),
                    ("role", "admin"),
                    ("body", ""),
                ],
            ),
            (
                format!("/ui/admin/users/{}", target.id),
                vec![
                    ("version", &v),
                    ("name", "Forged"),
                    ("role", "admin"),
                    ("body", ""),
                ],
            ),
            (
                format!("/ui/admin/users/{}/active", target.id),
                vec![("version", &v), ("active", "false")],
            ),
            (
                format!("/ui/admin/users/{}/password", target.id),
                vec![("version", &v)],
            ),
        ];
        for (path, form) in &forged {
            app.web_post(c, path, form, false)
                .await
                .assert_status(StatusCode::FORBIDDEN);
        }
    }
    assert_eq!(
        count_users(&app, &admin.token).await,
        before + 3,
        "only the three callers"
    );
    let t = api_user(&app, &admin.token, &target.id.to_string()).await;
    assert_eq!(t["version"], target.version);
    assert_eq!(t["role"], "viewer");
    assert_eq!(t["active"], true);
    // Without a session: to the login page.
    app.web_get(None, "/ui/admin/users")
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_token_made_on_the_page_works_against_the_api_until_revoked() {
    let app = TestApp::spawn().await;
    let (_officer, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let c = Some(cookie.as_str());
    let account = app.web_get(c, "/ui/account").await.text();
    assert!(account.contains("href=\"/ui/account/tokens\""));
    let page = app.web_get(c, "/ui/account/tokens").await;
    page.assert_status(StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("value=\"write\""),
        "an officer may make a writing token"
    );
    assert!(html.contains("You have no API tokens"));

    // Refusals keep what was typed and create nothing.
    for (name, days, message) in [
        ("", "30", "name"),
        ("Dashboard", "0", "must be from 1 to 366"),
        ("Dashboard", "a year", "whole number of days"),
        ("Dashboard", "367", "must be from 1 to 366"),
    ] {
        let res = app
            .web_post(
                c,
                "/ui/account/tokens",
                &[
                    ("name", name),
                    ("access", "write"),
                    ("expires_in_days", days),
                ],
                false,
            )
            .await;
        res.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text();
        assert!(html.contains(message), "{message}: {html}");
        assert!(
            html.contains(&format!("value=\"{days}\"")),
            "the days as typed"
        );
        assert!(
            html.contains("value=\"write\" checked"),
            "the access as typed"
        );
        assert!(!html.contains("id=\"new-token\""));
    }
    assert!(
        app.web_get(c, "/ui/account/tokens")
            .await
            .text()
            .contains("You have no API tokens")
    );

    let res = app
        .web_post(
            c,
            "/ui/account/tokens",
            &[
                ("name", "M&E dashboard"),
                ("access", "write"),
                ("expires_in_days", "30"),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::CREATED);
    let html = res.text();
    let token = text_of(&html, "new-token");
    assert!(token.starts_with("wpt_"), "{token}");
    assert!(
        html.contains("data-copy=\"new-token\""),
        "a copy button for script"
    );
    assert!(html.contains("/ui/assets/copy.js?v="));
    let me = app.get_as(&token, "/api/v1/me").await;
    me.assert_status(StatusCode::OK);
    assert_eq!(me.json()["body"], "DGICM");

    let listed = app.web_get(c, "/ui/account/tokens").await.text();
    assert!(listed.contains("M&amp;E dashboard"));
    assert!(listed.contains("Read and write"));
    assert!(!listed.contains(&token), "never shown again");
    assert!(!listed.contains("id=\"new-token\""));
    let id = wpt_db::api_tokens::list_own(app.database(), _officer.id)
        .await
        .expect("tokens")[0]
        .id;
    assert!(
        listed.contains(&format!("/ui/account/tokens/{id}/revoke")),
        "a revoke button"
    );
    // The use is recorded off the request's path (a spawned update): wait for it, up to
    // five seconds, rather than racing it.
    let mut last = None;
    for _ in 0..50 {
        last = wpt_db::api_tokens::list_own(app.database(), _officer.id)
            .await
            .expect("tokens")[0]
            .last_used_at;
        if last.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(last.is_some(), "its use is recorded and listed");

    let res = app
        .web_post(c, &format!("/ui/account/tokens/{id}/revoke"), &[], false)
        .await;
    res.assert_status(StatusCode::SEE_OTHER);
    app.get_as(&token, "/api/v1/me")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let listed = app
        .web_get(c, "/ui/account/tokens?done=revoked")
        .await
        .text();
    assert!(listed.contains("Revoked"));
    assert!(!listed.contains(&format!("/ui/account/tokens/{id}/revoke")));

    // Another person's token id is not found.
    let (_, other) = app.web_caller(Role::Secretariat, None).await;
    app.web_post(
        Some(&other),
        &format!("/ui/account/tokens/{id}/revoke"),
        &[],
        false,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_gets_read_only_tokens_and_a_forged_write_is_refused() {
    let app = TestApp::spawn().await;
    let (viewer, cookie) = app.web_caller(Role::Viewer, None).await;
    let c = Some(cookie.as_str());
    let html = app.web_get(c, "/ui/account/tokens").await.text();
    assert!(!html.contains("value=\"write\""));
    app.web_post(
        c,
        "/ui/account/tokens",
        &[
            ("name", "Forged"),
            ("access", "write"),
            ("expires_in_days", "30"),
        ],
        false,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);
    assert!(
        wpt_db::api_tokens::list_own(app.database(), viewer.id)
            .await
            .expect("tokens")
            .is_empty()
    );
    let res = app
        .web_post(
            c,
            "/ui/account/tokens",
            &[
                ("name", "Reader"),
                ("access", "read"),
                ("expires_in_days", ""),
            ],
            false,
        )
        .await;
    res.assert_status(StatusCode::CREATED);
    let token = text_of(&res.text(), "new-token");
    app.get_as(&token, "/api/v1/me")
        .await
        .assert_status(StatusCode::OK);
}

/// The configuration `wpt serve` runs with when nothing is set, but for `env`.
fn config(env: &[(&str, &str)]) -> wpt_server::config::Config {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wpt_server::config::Config::load(None, move |k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .expect("a valid configuration")
}

#[tokio::test]
async fn the_first_start_after_the_demo_creates_an_administrator_who_logs_in() {
    // As the README's "Trying it out": `wpt seed --demo`, then `wpt serve`.
    let app = TestApp::on(TestDb::prepared().await);
    wpt_db::seed::demo(app.database(), &app.state.auth.hasher)
        .await
        .expect("demo");
    let config = config(&[]);
    let first = wpt_server::first_admin(app.database(), &app.state.auth.hasher, &config)
        .await
        .expect("start");
    let printed = wpt_server::login_lines("http://127.0.0.1:8080", &first).join("\n");
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {printed}"))
            .trim()
            .to_owned()
    };
    let (email, password) = (field("email:"), field("password:"));
    assert_eq!(email, "admin@wpt.local");
    assert!(printed.contains("http://127.0.0.1:8080/ui/login"));
    let cookie = app
        .web_login(&email, &password)
        .await
        .unwrap_or_else(|r| panic!("the printed administrator cannot log in: {}", r.text()));
    let accounts = app.web_get(Some(&cookie), "/ui/admin/users").await;
    accounts.assert_status(StatusCode::OK);
    assert!(accounts.text().contains("secretariat@demo.wpt"));

    // The next start changes nothing and says how to log in.
    let again = wpt_server::first_admin(app.database(), &app.state.auth.hasher, &config)
        .await
        .expect("start");
    assert_eq!(again, wpt_db::users::FirstAdmin::Exists);
    assert!(wpt_server::login_lines("http://x", &again)[0].contains("/ui/login"));
}

#[tokio::test]
async fn a_start_without_an_active_administrator_creates_one_unless_the_email_is_taken() {
    let app = TestApp::on(TestDb::prepared().await);
    // `wpt user create` of a non-administrator with the configured email ran first.
    app.create_account("admin@wpt.local", Role::Viewer, None)
        .await;
    let first = wpt_server::first_admin(app.database(), &app.state.auth.hasher, &config(&[]))
        .await
        .expect("start");
    assert_eq!(
        first,
        wpt_db::users::FirstAdmin::EmailTaken {
            email: "admin@wpt.local".into()
        }
    );
    let printed = wpt_server::login_lines("http://x", &first).join("\n");
    assert!(printed.contains("WPT_ADMIN_EMAIL"), "{printed}");
    // Another email, with the configured password: created, once.
    let config = config(&[
        ("WPT_ADMIN_EMAIL", "operator@test.example"),
        ("WPT_ADMIN_PASSWORD", "a configured password 1"),
    ]);
    let first = wpt_server::first_admin(app.database(), &app.state.auth.hasher, &config)
        .await
        .expect("start");
    assert_eq!(
        first,
        wpt_db::users::FirstAdmin::Created {
            email: "operator@test.example".into()
        }
    );
    let login = app
        .login("operator@test.example", "a configured password 1")
        .await;
    login.assert_status(StatusCode::OK);
    let token = login.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let me = app.get_as(&token, "/api/v1/me").await.json();
    assert_eq!(me["role"], "admin");
    assert_eq!(
        wpt_server::first_admin(app.database(), &app.state.auth.hasher, &config)
            .await
            .expect("start"),
        wpt_db::users::FirstAdmin::Exists
    );
}
