//! Who is looking at a page: the session cookie, login and logout.
//!
//! A web login is a session of the same auth service as the API's (the same password
//! check, per-account lock and per-address limit, the same `sessions` table, audit entry
//! and revocation), whose credential is an opaque random cookie instead of tokens. The
//! cookie is `HttpOnly` (no script can read it), `SameSite=Strict` (no other site's page
//! can send it), limited to `/ui`, and ends with the session (12 hours) or after
//! `WPT_WEB_IDLE_TIMEOUT_SECS` without use (30 minutes). When the request came over
//! HTTPS through a proxy it is `Secure` and named `__Host-wpt_session` (so it must be
//! `Path=/` with no `Domain`: a sibling subdomain cannot set or shadow it), and only that
//! name is read. Only its SHA-256 is stored. The API never accepts it: `/api/v1` stays
//! bearer-only.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use wpt_api::AppState;
use wpt_api::auth::ClientAddr;
use wpt_db::DbError;
use wpt_db::auth::sessions;
use wpt_domain::{Actor, Role};

use crate::html::{PageError, bare_page};

/// The cookie's name over plain HTTP.
pub const COOKIE: &str = "wpt_session";
/// The cookie's name over HTTPS: the `__Host-` prefix makes browsers accept it only
/// `Secure`, with `Path=/` and no `Domain`.
pub const HOST_COOKIE: &str = "__Host-wpt_session";

fn cookie_name(headers: &HeaderMap) -> &'static str {
    if secure(headers) { HOST_COOKIE } else { COOKIE }
}

/// A signed-in person, read from the database on every request (one query for the
/// session and the user, one for the name), so a deactivated account or an ended
/// session stops at once.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who acts, as the use cases know them.
    pub actor: Actor,
    /// Their display name.
    pub name: String,
    /// Read-only maintenance, when it is on (in force or announced): the banner of
    /// every page, and forms without their buttons while it is in force.
    pub maintenance: Option<wpt_domain::models::MaintenanceState>,
    /// The message of the action just done, carried by the redirect ([`crate::flash`]).
    pub flash: Option<String>,
    /// How many of their notifications are unread (the bell in the header).
    pub unread: u64,
    /// Their time zone (`None`: not set, times are shown in UTC); also this request's
    /// zone for every time the page shows ([`crate::time`]).
    pub zone: Option<wpt_domain::time_zone::Tz>,
    /// The key that seals this session's messages.
    pub(crate) flash_key: crate::flash::FlashKey,
    /// Whether the request came over HTTPS (the flash cookie is then `Secure`).
    pub(crate) secure: bool,
}

/// The session cookie's value in a request, if any (over HTTPS, only the `__Host-` one).
pub fn cookie_value(headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(headers);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(headers: &HeaderMap, value: &str, max_age: i64) -> HeaderValue {
    let attributes = if secure(headers) {
        format!("{HOST_COOKIE}={value}; Path=/; Secure")
    } else {
        format!("{COOKIE}={value}; Path=/ui")
    };
    HeaderValue::from_str(&format!(
        "{attributes}; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("wpt_session=; Path=/ui; Max-Age=0"))
}

/// A `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(headers: &HeaderMap) -> HeaderValue {
    set_cookie(headers, "", 0)
}

/// Where a person goes after login: the page they asked for, if it is one of ours.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| {
        n.starts_with("/ui/")
            && !n.starts_with("/ui/login")
            && !n.contains("//")
            && !n.contains('\\')
            && n.len() <= 500
            && n.bytes().all(|b| b.is_ascii_graphic())
    })
    .map(str::to_owned)
}

/// The start page of a role.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Officer => "/ui/activities",
        _ => "/ui/dashboard",
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = cookie_value(&parts.headers);
        let actor = match &cookie {
            Some(c) => sessions::actor_for_cookie(&state.db, &state.auth, c).await,
            None => Err(DbError::Unauthenticated("no session".into())),
        };
        match actor {
            Ok(actor) => {
                let me = wpt_db::users::me(&state.db, &actor)
                    .await
                    .map_err(|e| PageError::from(e).into_response())?;
                // From the process's cache (wpt_db::maintenance): no query on most pages.
                let maintenance = match wpt_db::maintenance::current(&state.db).await {
                    Ok(m) => m.on.then_some(m),
                    Err(e) => {
                        tracing::warn!(error = %e, "maintenance state unreadable");
                        None
                    }
                };
                let flash_key =
                    crate::flash::FlashKey::of_session(cookie.as_deref().unwrap_or_default());
                let flash =
                    crate::flash::cookie_value(&parts.headers).and_then(|v| flash_key.open(v));
                // One indexed count per page: the bell's number.
                let unread = wpt_db::notify::inbox::unread(&state.db, actor.user_id)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "unread notifications uncountable");
                        0
                    });
                let zone = me
                    .time_zone
                    .as_deref()
                    .and_then(wpt_domain::time_zone::parse);
                crate::time::set_current(zone);
                Ok(Viewer {
                    unread,
                    zone,
                    actor,
                    name: me.name,
                    maintenance,
                    flash,
                    flash_key,
                    secure: secure(&parts.headers),
                })
            }
            Err(DbError::Unauthenticated(_)) => {
                // Back to the login page, then to this page (GET) or the start page.
                let mut target = String::from("/ui/login");
                if cookie.is_some() {
                    target.push_str("?expired=1");
                }
                if parts.method == Method::GET
                    && let Some(next) = safe_next(
                        parts
                            .uri
                            .path_and_query()
                            .map(axum::http::uri::PathAndQuery::as_str),
                    )
                {
                    target.push(if cookie.is_some() { '&' } else { '?' });
                    target.push_str("next=");
                    target.push_str(&urlencode(&next));
                }
                let mut response = if parts.headers.contains_key("hx-request") {
                    let mut r = StatusCode::UNAUTHORIZED.into_response();
                    if let Ok(v) = HeaderValue::from_str(&target) {
                        r.headers_mut().insert("hx-redirect", v);
                    }
                    r
                } else {
                    Redirect::to(&target).into_response()
                };
                if let Some(c) = &cookie {
                    response
                        .headers_mut()
                        .insert(header::SET_COOKIE, clear_cookie(&parts.headers));
                    // Whose session it was: a form carried through the login page is
                    // given back only to them (`login_keeping`).
                    if let Ok(Some(user)) = sessions::owner_of_cookie(&state.db, c).await {
                        response.extensions_mut().insert(EndedSessionOf(user));
                    }
                }
                Err(response)
            }
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded_byte_serialize(s)
}

fn form_urlencoded_byte_serialize(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}

/// `GET /`, `/ui`, `/ui/`: the start page of the signed-in person's role, or the login
/// page.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let actor = match cookie_value(&headers) {
        Some(c) => sessions::actor_for_cookie(&state.db, &state.auth, &c)
            .await
            .ok(),
        None => None,
    };
    match actor {
        Some(a) => Redirect::to(home_of(a.role)).into_response(),
        None => Redirect::to("/ui/login").into_response(),
    }
}

/// What the login page was asked with.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    signed_out: Option<String>,
}

fn login_form(next: Option<&str>, email: &str, notice: Option<Markup>) -> Markup {
    login_form_carrying(next, email, notice, None)
}

/// A form posted when the session had ended, carried through the login (see
/// [`login_keeping`]): its fields (urlencoded), where they were posted, and its seal
/// ([`carry_seal`]).
type Carry<'a> = Option<(&'a str, &'a str, &'a str)>;

/// On the [`Viewer`] extractor's "log in again" answer: the user whose session the
/// cookie named.
#[derive(Debug, Clone, Copy)]
struct EndedSessionOf(uuid::Uuid);

/// The seal of a carried form: a SHA-256 over the user whose session ended, the action
/// and the fields. The login gives the form back only when the person logging in is
/// that user (the seal computed for them matches); anyone else logging in on that
/// browser gets the start page and the form is dropped.
fn carry_seal(user: uuid::Uuid, fields: &str, action: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"wpt carry v1\0");
    h.update(user.as_bytes());
    h.update(action.as_bytes());
    h.update(b"\0");
    h.update(fields.as_bytes());
    hex::encode(h.finalize())
}

fn login_form_carrying(
    next: Option<&str>,
    email: &str,
    notice: Option<Markup>,
    carry: Carry<'_>,
) -> Markup {
    bare_page(
        "Log in",
        html! {
            p { "The Work Plan Tracker of the ASEAN Multi-Sectoral Work Plan Against Trafficking in Persons 2023-2028." }
            @if let Some(n) = notice { (n) }
            form.stack method="post" action="/ui/login" {
                @if let Some(next) = next {
                    input type="hidden" name="next" value=(next);
                }
                // Filled by zone.js with the browser's time zone: the first login sets
                // the account's zone from it (`wpt_db::time_zones::set_from_browser`).
                input #browser-time-zone type="hidden" name="time_zone" value="";
                @if let Some((fields, to, seal)) = carry {
                    input type="hidden" name="carry" value=(fields);
                    input type="hidden" name="carry_to" value=(to);
                    input type="hidden" name="carry_for" value=(seal);
                }
                label for="email" { "Email" }
                input #email type="email" name="email" value=(email) autocomplete="username" required maxlength="320" autofocus;
                label for="password" { "Password" }
                input #password type="password" name="password" autocomplete="current-password" required maxlength="1024";
                button type="submit" { "Log in" }
            }
            p { a href="/ui/forgot" #forgot-link { "Forgot your password?" } }
            script src=(crate::assets::url("zone.js")) defer {}
        },
    )
}

/// `GET /ui/login`.
pub async fn login_page(Query(q): Query<LoginQuery>) -> Markup {
    let notice = if q.expired.is_some() {
        Some(html! { p.notice role="status" { "Your session has ended. Please log in again." } })
    } else if q.signed_out.is_some() {
        Some(html! { p.notice role="status" { "You have logged out." } })
    } else {
        None
    };
    login_form(safe_next(q.next.as_deref()).as_deref(), "", notice)
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
    /// A form posted when the session had ended (urlencoded), to post again.
    carry: Option<String>,
    /// Where that form was posted.
    carry_to: Option<String>,
    /// The carried form's seal: whose it is ([`carry_seal`]).
    carry_for: Option<String>,
    /// The browser's time zone (zone.js): kept when the account has none yet.
    time_zone: Option<String>,
}

/// Instead of sending someone whose session ended to the login page empty-handed
/// (which would drop what they had typed), the login page carries the form they posted
/// (`fields`, to `action`); once logged in, they get it back with one button that
/// posts it again ([`login`]). `rejection` is the [`Viewer`] extractor's answer; any
/// other refusal than "log in again" is answered as it is.
pub fn login_keeping(rejection: Response, fields: &[(String, String)], action: &str) -> Response {
    let to_login = rejection.status() == StatusCode::SEE_OTHER
        && rejection
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/ui/login"));
    let Some(action) = safe_next(Some(action)) else {
        return rejection;
    };
    if !to_login {
        return rejection;
    }
    // Only a session that is known to have been someone's carries their form: it is
    // sealed to them.
    let Some(EndedSessionOf(user)) = rejection.extensions().get::<EndedSessionOf>().copied() else {
        return rejection;
    };
    let carry = serde_urlencoded::to_string(fields).unwrap_or_default();
    let seal = carry_seal(user, &carry, &action);
    let notice = html! {
        p.notice role="status" {
            "Your session has ended, so what you typed has not been saved yet. It is kept: log in again and you will be asked to save it."
        }
    };
    let mut response =
        login_form_carrying(None, "", Some(notice), Some((&carry, &action, &seal))).into_response();
    for cookie in rejection.headers().get_all(header::SET_COOKIE) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    response
}

/// After a login that carried a form: the form again, hidden, with one button.
fn resume_page(fields: &[(String, String)], action: &str) -> Markup {
    bare_page(
        "Save what you typed",
        html! {
            p.notice role="status" { "You are logged in again. What you typed before your session ended has not been saved yet." }
            form.stack #resume method="post" action=(action) {
                @for (name, value) in fields {
                    input type="hidden" name=(name) value=(value);
                }
                button type="submit" { "Save what I typed" }
            }
            p { a href="/ui/" { "Leave it unsaved and go to the start page" } }
        },
    )
}

/// `POST /ui/login`: the same login as the API's, with a cookie for an answer.
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    form: crate::html::FormData<LoginForm>,
) -> Response {
    let addr = client.0;
    let input = form.0;
    let next = safe_next(input.next.as_deref());
    let carry_to = safe_next(input.carry_to.as_deref());
    let carry = input
        .carry
        .as_deref()
        .zip(carry_to.as_deref())
        .zip(input.carry_for.as_deref())
        .map(|((c, to), seal)| (c, to, seal))
        .filter(|(c, _, _)| c.len() <= 512 * 1024);
    let refuse = |status: StatusCode, message: &str| {
        (
            status,
            login_form_carrying(
                next.as_deref(),
                &input.email,
                Some(html! { p.error role="alert" { (message) } }),
                carry,
            ),
        )
            .into_response()
    };
    if input.email.len() > 320 || input.password.len() > 4096 {
        return refuse(StatusCode::UNAUTHORIZED, "The email or password is wrong.");
    }
    let attempt = match state.login_throttle.begin(client.bucket()) {
        Ok(attempt) => attempt,
        Err(retry_after) => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed logins from this address. Try again in {} minute(s).",
                    retry_after.div_ceil(60)
                ),
            );
        }
    };
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    match sessions::login_web(
        &state.db,
        &state.auth,
        &input.email,
        &input.password,
        addr,
        user_agent,
    )
    .await
    {
        Ok(session) => {
            let max_age = (session.expires_at - chrono::Utc::now())
                .num_seconds()
                .max(0);
            let actor = sessions::actor_for_cookie(&state.db, &state.auth, &session.cookie).await;
            // The first login's browser zone becomes the account's; a zone already set
            // (chosen, or from an earlier login) stays. A failure costs only the zone.
            if let (Ok(a), Some(zone)) = (&actor, input.time_zone.as_deref())
                && !zone.trim().is_empty()
                && let Ok(grant) = a.own_account()
                && let Err(e) = wpt_db::time_zones::set_from_browser(&state.db, &grant, zone).await
            {
                tracing::warn!(error = %e, "time zone from the browser not kept");
            }
            let target = next.clone().unwrap_or_else(|| {
                actor
                    .as_ref()
                    .map(|a| home_of(a.role))
                    .unwrap_or("/ui/")
                    .to_owned()
            });
            // The form comes back only to the person whose session ended; anyone else
            // logging in on this browser does not see it (it is dropped).
            let carried = carry
                .filter(|(c, to, seal)| {
                    actor
                        .as_ref()
                        .is_ok_and(|a| carry_seal(a.user_id, c, to) == *seal)
                })
                .and_then(|(c, to, _)| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(c)
                        .ok()
                        .map(|f| (f, to))
                });
            let mut response = match carried {
                Some((fields, to)) => resume_page(&fields, to).into_response(),
                None => Redirect::to(&target).into_response(),
            };
            response.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&headers, &session.cookie, max_age),
            );
            response
        }
        Err(DbError::Unauthenticated(_)) => {
            attempt.failed();
            state.metrics.login_failed();
            tracing::info!(%addr, "failed web login");
            refuse(StatusCode::UNAUTHORIZED, "The email or password is wrong.")
        }
        Err(DbError::RateLimited { retry_after }) => refuse(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "Too many failed logins for this account from this address. Try again in {} minute(s).",
                retry_after.div_ceil(60)
            ),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// `POST /ui/logout`: ends the session (audited) and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(c) = cookie_value(&headers)
        && let Err(e) = sessions::logout_web(&state.db, &c).await
    {
        return PageError::from(e).into_response();
    }
    let mut response = Redirect::to("/ui/login?signed_out=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&headers));
    response
}
