//! The web pages of the Work Plan Tracker: server-rendered HTML (maud) with htmx for
//! partial updates, served by the same binary under `/ui/`.
//!
//! Every page calls the same `wpt-db` use cases as the API, with the same grants, audit
//! entries and version checks, so the workflow exists once. What is different is only
//! how the caller is known ([`session`]: an opaque HttpOnly, SameSite=Strict cookie of a
//! session issued by the same auth service) and how answers look (HTML instead of JSON).
//!
//! Safety rules every route follows:
//! - unsafe methods must come from this origin ([`same_origin`]); the cookie is
//!   SameSite=Strict as a second line;
//! - `Content-Security-Policy: default-src 'self'`, no inline script or style, so the
//!   only script is the vendored htmx served from here;
//! - pages are `Cache-Control: no-store` (they show data of one account).

pub mod account;
pub mod activities;
pub mod admin;
pub mod assets;
pub mod attachments;
pub mod cycles;
pub mod dashboard;
pub mod flash;
pub mod html;
pub mod notifications;
pub mod plans;
pub mod reset;
pub mod session;
pub mod tasks;
pub mod time;
pub mod trends;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use wpt_api::AppState;

/// The policy every page is served with: only this origin's script, style, images and
/// requests; no plugins, no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The web pages, to merge beside the API (see `wpt_api::router_with_pages`). Full
/// paths, no nesting and no fallback of their own: the API's fallback stays the one
/// fallback, and unknown `/ui/...` paths get an HTML 404 from the catch-all route.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route("/ui", get(session::home))
        .route("/ui/", get(session::home))
        .route("/ui/login", get(session::login_page).post(session::login))
        .route("/ui/logout", post(session::logout))
        .route("/ui/forgot", get(reset::forgot_page).post(reset::forgot))
        .route("/ui/reset", get(reset::reset_page).post(reset::reset))
        .route("/ui/account", get(account::show))
        .route(
            "/ui/account/notifications",
            post(notifications::set_setting),
        )
        .route("/ui/notifications", get(notifications::inbox))
        .route("/ui/notifications/read", post(notifications::mark_read))
        .route("/ui/admin/outbox", get(notifications::outbox))
        .route("/ui/admin/outbox/{id}/retry", post(notifications::retry))
        .route("/ui/account/password", post(account::change_password))
        .route("/ui/account/time-zone", post(time::set_zone))
        .route("/ui/account/sessions/{id}/end", post(account::end_session))
        .route("/ui/admin/maintenance", get(admin::show).post(admin::set))
        .route(
            "/ui/admin/users",
            get(admin::users::list).post(admin::users::create),
        )
        .route("/ui/admin/users/new", get(admin::users::new_form))
        .route(
            "/ui/admin/users/{id}",
            get(admin::users::show).post(admin::users::update),
        )
        .route(
            "/ui/admin/users/{id}/active",
            post(admin::users::set_active),
        )
        .route(
            "/ui/admin/users/{id}/password",
            post(admin::users::reset_password),
        )
        .route(
            "/ui/account/tokens",
            get(account::tokens::list).post(account::tokens::create),
        )
        .route(
            "/ui/account/tokens/{id}/revoke",
            post(account::tokens::revoke),
        )
        .route(
            "/ui/admin/bodies",
            get(admin::bodies::list).post(admin::bodies::create),
        )
        .route(
            "/ui/admin/bodies/{code}",
            get(admin::bodies::edit).post(admin::bodies::update),
        )
        .route("/ui/admin/plans/{id}/bodies", post(admin::bodies::join))
        .route(
            "/ui/admin/plans/{id}/bodies/{code}/remove",
            post(admin::bodies::leave),
        )
        .route("/ui/activities", get(activities::list))
        .route("/ui/activities/{id}", get(activities::detail))
        .route("/ui/activities/{id}/update", get(activities::update_form))
        .route("/ui/activities/{id}/row", get(activities::row))
        // A form with a file: `attachments::read_form` bounds the fields and the file.
        .route(
            "/ui/activities/{id}/progress",
            post(activities::record).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/ui/attachments/{id}", get(attachments::download))
        .route("/ui/milestones/{id}/done", post(activities::milestone_done))
        .route("/ui/dashboard", get(dashboard::show))
        .route("/ui/cycles", get(cycles::index).post(cycles::create))
        .route("/ui/cycles/{id}/open", post(cycles::open))
        .route(
            "/ui/cycles/{id}/edit",
            get(cycles::edit_cycle_form).post(cycles::edit_cycle),
        )
        .route("/ui/cycles/{id}/delete", post(cycles::delete_cycle))
        .route("/ui/cycles/{id}/close", post(cycles::close))
        .route("/ui/cycles/{id}/reopen", post(cycles::reopen))
        .route("/ui/cycles/{id}/board", get(cycles::board))
        .route("/ui/cycles/{id}/reminders", post(cycles::remind))
        .route("/ui/cycles/{id}/report", get(cycles::report))
        .route("/ui/cycles/{id}/report.csv", get(cycles::report_csv))
        .route("/ui/cycles/{id}/report.xlsx", get(cycles::report_xlsx))
        .route("/ui/cycles/{id}/report.docx", get(cycles::report_docx))
        .route("/ui/cycles/{id}/my-report", get(cycles::my_report))
        .route(
            "/ui/cycles/{id}/submissions/{body}",
            get(cycles::submission),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/entries/{activity}",
            post(cycles::save_entry).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/save",
            post(cycles::save_all).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/submit",
            post(cycles::submit).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/return",
            post(cycles::return_submission),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/accept",
            post(cycles::accept),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/amend/{activity}",
            get(cycles::amend_form)
                .post(cycles::propose_amendment)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/amendments/{amendment}/decide",
            post(cycles::decide_amendment),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/extension",
            get(cycles::extension_form).post(cycles::extend),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/comments",
            post(cycles::add_comment),
        )
        .route(
            "/ui/cycles/{id}/submissions/{body}/comments/{comment}/resolve",
            post(cycles::resolve_comment),
        )
        .route("/ui/review", get(cycles::review_queue))
        .merge(plans::router())
        .route("/ui/assets/{*path}", get(assets::serve))
        .route("/ui/{*rest}", get(html::not_found).post(html::not_found))
        .layer(axum::middleware::from_fn(same_origin))
        .layer(axum::middleware::from_fn(flash::clear_after_page))
        .layer(axum::middleware::map_response(page_headers))
        .layer(axum::middleware::from_fn(time::scope))
}

/// Refuses an unsafe request that does not come from a page of this origin.
///
/// Browsers send `Origin` on every POST; it must name the host the request was sent to.
/// A request without `Origin` is accepted only when `Sec-Fetch-Site` says it is
/// same-origin. Anything else (another site's form, a request with neither header)
/// gets 403 before any handler runs.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok());
    let allowed = match (origin, host) {
        (Some(origin), Some(host)) => origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => fetch_site == Some("same-origin"),
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(?origin, ?host, "cross-origin form post refused");
        html::error_page(
            StatusCode::FORBIDDEN,
            "This form did not come from a page of this site, so it was not accepted. Open the page again and retry.",
        )
        .into_response()
    }
}

async fn page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
