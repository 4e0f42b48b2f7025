//! Issue 14: the login limits hold under concurrency, cover the current password of a
//! password change, count the client behind a trusted proxy, and cannot be used to
//! lock a real user out from elsewhere.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;
use wpt_domain::Role;
use wpt_tests::{TEST_PASSWORD, TestApp, TestDb};

/// `n` logins of `email` with `password` at once, each from `peer`; their statuses.
async fn concurrent_logins(
    app: &TestApp,
    email: &str,
    password: &str,
    n: usize,
) -> Vec<StatusCode> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let router = app.router.clone();
        let body = json!({ "email": email, "password": password }).to_string();
        set.spawn(async move {
            let request = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/auth/login")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .expect("a request");
            router
                .oneshot(request)
                .await
                .expect("the router is infallible")
                .status()
        });
    }
    set.join_all().await
}

fn tally(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn login_from(
    app: &TestApp,
    peer: &str,
    email: &str,
    password: &str,
) -> wpt_tests::TestResponse {
    app.request(Method::POST, "/api/v1/auth/login")
        .anonymous()
        .peer(peer)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
}

/// The attempt is counted before the password is verified, so 48 wrong passwords at
/// once are verified at most `max_failures` times (before: 32 to 47 were).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_passwords_for_one_account_are_verified_at_most_max_failures_times() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    let max = usize::try_from(app.state.auth.settings.max_failures).expect("small");
    let statuses = concurrent_logins(&app, &caller.email, "not the password at all", 48).await;
    let wrong = tally(&statuses, StatusCode::UNAUTHORIZED);
    let limited = tally(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        (1..=max).contains(&wrong) && wrong + limited == 48,
        "{wrong} answered 401 and {limited} 429 (at most {max} may be verified): {statuses:?}"
    );
    // The address is now locked for this account, even with the right password.
    app.login(&caller.email, TEST_PASSWORD)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

/// A stolen session cannot guess the current password without limit: the same budget
/// as logins, then 429 (before: 403 forever).
#[tokio::test]
async fn wrong_current_passwords_are_limited_like_logins() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Officer, Some("SOMTC")).await;
    let max = usize::try_from(app.state.auth.settings.max_failures).expect("small");
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let res = app
            .request(Method::POST, "/api/v1/me/password")
            .bearer(&caller.token)
            .json(&json!({ "current_password": "a wrong guess here", "new_password": "a brand new password" }))
            .send()
            .await;
        statuses.push(res.status);
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
            assert!(res.header("retry-after").is_some());
        }
    }
    assert!(
        tally(&statuses, StatusCode::FORBIDDEN) <= max
            && statuses.last() == Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );

    // The account page counts the same way.
    let (_, cookie) = app.web_caller(Role::Officer, Some("DGICM")).await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let res = app
            .web_post(
                Some(&cookie),
                "/ui/account/password",
                &[
                    ("current_password", "a wrong guess here"),
                    ("new_password", "a brand new password"),
                    ("confirm_password", "a brand new password"),
                ],
                false,
            )
            .await;
        statuses.push(res.status);
    }
    assert!(
        tally(&statuses, StatusCode::FORBIDDEN) <= max
            && statuses.last() == Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

/// Five wrong passwords from one address lock that address out of the account, not
/// the account: its owner, elsewhere, still logs in (after at most a short delay).
#[tokio::test]
async fn an_attacker_locked_out_does_not_lock_the_account_from_another_address() {
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    let max = app.state.auth.settings.max_failures;
    for _ in 0..max {
        login_from(&app, "192.0.2.66:4000", &caller.email, "not the password!!")
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let locked = login_from(&app, "192.0.2.66:4001", &caller.email, TEST_PASSWORD).await;
    locked.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");

    let started = Instant::now();
    login_from(&app, "203.0.113.10:4000", &caller.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the owner waited {:?}",
        started.elapsed()
    );
    // The attacker's address stays locked out.
    login_from(&app, "192.0.2.66:4002", &caller.email, TEST_PASSWORD)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

fn with_address_limit(db: &TestDb, limit: u32) -> wpt_api::AppState {
    let mut state = wpt_api::AppState::new(db.db.clone(), wpt_tests::test_auth());
    state.login_throttle = std::sync::Arc::new(wpt_api::throttle::AddressThrottle::new(
        limit,
        Duration::from_secs(600),
    ));
    state
}

/// IPv6 clients are counted per /64 (one subscriber's whole network), both by the
/// per-address limit and by the per-account lock.
#[tokio::test]
async fn ipv6_addresses_in_one_slash_64_share_a_budget() {
    let db = TestDb::prepared().await;
    let state = with_address_limit(&db, 3);
    let app = TestApp::with_state(state, db);
    for (n, peer) in [
        "[2001:db8:1:2::1]:1000",
        "[2001:db8:1:2::2]:1000",
        "[2001:db8:1:2:ffff::3]:1000",
    ]
    .into_iter()
    .enumerate()
    {
        login_from(
            &app,
            peer,
            &format!("guess{n}@test.example"),
            "whatever password",
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    login_from(
        &app,
        "[2001:db8:1:2::abcd]:1000",
        "guess@test.example",
        "whatever password",
    )
    .await
    .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    login_from(
        &app,
        "[2001:db8:1:3::1]:1000",
        "guess@test.example",
        "whatever password",
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // The account lock: five wrong passwords from five addresses of one /64.
    let app = TestApp::spawn().await;
    let caller = app.caller(Role::Viewer, None).await;
    for n in 0..app.state.auth.settings.max_failures {
        login_from(
            &app,
            &format!("[2001:db8:9:9::{n}]:1000"),
            &caller.email,
            "not the password!!",
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    login_from(
        &app,
        "[2001:db8:9:9::ffff]:1000",
        &caller.email,
        TEST_PASSWORD,
    )
    .await
    .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    login_from(&app, "[2001:db8:9:a::1]:1000", &caller.email, TEST_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

/// Behind a trusted proxy (`WPT_TRUSTED_PROXIES`), each client it names has a budget of
/// its own; a hop the client wrote itself, on the left, is not believed.
#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let db = TestDb::prepared().await;
    let mut state = with_address_limit(&db, 3);
    state.trusted_proxies =
        std::sync::Arc::new(wpt_api::client::TrustedProxies::parse("10.0.0.0/8").expect("valid"));
    let app = TestApp::with_state(state, db);
    let via_proxy = |forwarded: &'static str, n: usize| {
        app.request(Method::POST, "/api/v1/auth/login")
            .anonymous()
            .peer("10.0.0.2:5000")
            .header("x-forwarded-for", forwarded)
            .json(&json!({ "email": format!("guess{n}@test.example"), "password": "whatever password" }))
            .send()
    };
    for n in 0..3 {
        via_proxy("198.51.100.1", n)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    via_proxy("203.0.113.50, 198.51.100.1", 9)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    via_proxy("198.51.100.2", 9)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    // Through two trusted proxies, the client is still the right-most untrusted hop.
    via_proxy("198.51.100.1, 10.9.9.9", 9)
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

/// Without trusting the peer (the default), `X-Forwarded-For` is the client's own word
/// and ignored: everything from one peer shares its budget.
#[tokio::test]
async fn x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    for trusted in ["", "192.0.2.0/24"] {
        let db = TestDb::prepared().await;
        let mut state = with_address_limit(&db, 3);
        state.trusted_proxies =
            std::sync::Arc::new(wpt_api::client::TrustedProxies::parse(trusted).expect("valid"));
        let app = TestApp::with_state(state, db);
        for n in 0..4 {
            let res = app
                .request(Method::POST, "/api/v1/auth/login")
                .anonymous()
                .peer("10.0.0.2:5000")
                .header("x-forwarded-for", &format!("198.51.100.{n}"))
                .json(&json!({ "email": format!("guess{n}@test.example"), "password": "whatever password" }))
                .send()
                .await;
            if n < 3 {
                res.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
            } else {
                res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
            }
        }
    }
}
