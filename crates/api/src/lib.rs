//! HTTP layer of the Work Plan Tracker.
//!
//! What lives here: the axum router built with utoipa-axum (so every route carries its
//! OpenAPI description), request and response types, the extractors, the error type and
//! its code table. What must not: database access other than through `wpt-db`'s use
//! cases (this crate does not depend on sea-orm; `.ci/run` checks it).

pub mod attachments;
pub mod auth;
pub mod client;
pub mod error;
pub mod etag;
pub mod extract;
pub mod maintenance;
pub mod matrix;
pub mod metrics;
pub mod middleware;
pub mod report;
pub mod request_id;
pub mod routes;
pub mod spec;
pub mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;
use wpt_db::Database;
use wpt_db::auth::Auth;

use crate::error::{ApiError, ErrorCode};

/// The largest request body accepted (api.md: over 1 MiB is a 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Database,
    /// Passwords, tokens and their settings.
    pub auth: Arc<Auth>,
    /// Failed logins per client address.
    pub login_throttle: Arc<throttle::AddressThrottle>,
    /// Password-reset requests per client address (issue 17).
    pub reset_throttle: Arc<throttle::AddressThrottle>,
    /// Proxies whose `X-Forwarded-For`/`Forwarded` name the client (none by default).
    pub trusted_proxies: Arc<client::TrustedProxies>,
    /// Default lead times of reporting cycles.
    pub cycles: wpt_db::cycles::CycleSettings,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
    /// Rendered reports: the cache and the bounded render slots.
    pub reports: Arc<report::ReportRenders>,
    /// Where evidence files are stored, and their size limit (in memory unless set).
    pub attachments: Arc<attachments::Storage>,
}

impl AppState {
    /// State with the default per-address login limit (20 failures per 15 minutes).
    pub fn new(db: Database, auth: Auth) -> Self {
        Self {
            db,
            auth: Arc::new(auth),
            login_throttle: Arc::new(throttle::AddressThrottle::new(
                20,
                Duration::from_secs(15 * 60),
            )),
            reset_throttle: Arc::new(throttle::AddressThrottle::new(
                5,
                Duration::from_secs(15 * 60),
            )),
            trusted_proxies: Arc::new(client::TrustedProxies::default()),
            cycles: wpt_db::cycles::CycleSettings::default(),
            metrics: Arc::new(metrics::Metrics::default()),
            reports: Arc::new(report::ReportRenders::default()),
            attachments: Arc::new(attachments::Storage::default()),
        }
    }
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// How long one request may take.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from a browser; empty means CORS is off.
    pub cors_origins: Vec<String>,
    /// The token `GET /metrics` requires; `None` means the endpoint is not served.
    pub metrics_token: Option<String>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            metrics_token: None,
        }
    }
}

/// Declares the bearer scheme that protected operations name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An access token from POST /api/v1/auth/login (a JWT, 15 minutes) or a personal API token (wpt_...) from POST /api/v1/me/tokens.".into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `Cache-Control: no-store` for responses that carry credentials or account data.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Work Plan Tracker API",
        description = "Tracks how the ASEAN Sectoral Bodies implement the ASEAN Multi-Sectoral Work Plan Against Trafficking in Persons 2023-2028: bodies, work plans and their structure, each body's progress, and the SOMTC/AMMTC reporting cycles.\n\nConventions (docs/API-DESIGN.md): JSON in `snake_case`; lists return `{items, next_cursor}` with `?limit=` (1-200, default 50) and `?cursor=`; every error is RFC 9457 `application/problem+json` with a stable `code`; every response carries `x-request-id`; versioned resources carry a strong `ETag`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "The operator of this installation (for the ASEAN work plan: the SOMTC secretariat)"),
    ),
    // Relative: the document is served by the installation it describes, and its paths
    // carry `/api/v1` already.
    servers((url = "/", description = "The installation serving this document")),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Login, token refresh and logout"),
        (name = "me", description = "The caller's own account and API tokens"),
        (name = "users", description = "Account administration"),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "bodies", description = "The ASEAN Sectoral Bodies and the member states"),
        (name = "work plans", description = "Work plans, their participating bodies and thematic areas"),
        (name = "activities", description = "The activities of a work plan, their bodies, signal and history"),
        (name = "progress", description = "Each body's own progress on its activities"),
        (name = "attachments", description = "Evidence files: upload, then attach to a progress update or a report entry"),
        (name = "milestones", description = "Dated checkpoints inside activities"),
        (name = "indicators", description = "MERL indicators and each body's actuals"),
        (name = "cycles", description = "SOMTC and AMMTC reporting cycles, their schedule, report and edition"),
        (name = "submissions", description = "Each body's report for a cycle, its review and its conversation"),
        (name = "trends", description = "Activities, plans and indicators across cycles, from accepted reports"),
        (name = "operations", description = "Health and readiness probes"),
        (name = "maintenance", description = "Read-only maintenance: its state, and turning it on or off"),
        (name = "notifications", description = "The in-app inbox, the e-mail setting and the mail outbox"),
    ),
    components(schemas(error::Problem, wpt_domain::FieldError))
)]
struct ApiDoc;

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(
                    OpenApiRouter::new()
                        .merge(routes::auth::router())
                        .merge(routes::me::router())
                        .merge(routes::notifications::router())
                        .merge(routes::users::router())
                        .layer(axum::middleware::map_response(no_store)),
                )
                .merge(routes::audit::router())
                .merge(routes::bodies::router())
                .merge(routes::work_plans::router())
                .merge(routes::participation::router())
                .merge(routes::activities::router())
                .merge(routes::attachments::router())
                .merge(routes::milestones::router())
                .merge(routes::indicators::router())
                .merge(routes::cycles::router())
                .merge(routes::trends::router())
                .merge(routes::maintenance::router()),
        )
}

/// The OpenAPI document, exactly as served at [`OPENAPI_PATH`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut spec = api_router().into_openapi();
    spec::apply_conventions(&mut spec);
    spec
}

/// The whole application: API, OpenAPI document, `/docs`, probes, and the layers every
/// request passes.
pub fn router(state: AppState, settings: &ApiSettings) -> Router {
    router_with_pages(state, settings, Router::new())
}

/// [`router`] with `pages` (the web pages, which are not part of the API document)
/// served beside the API, behind the same request id, timeout, metrics and body limit.
pub fn router_with_pages(
    state: AppState,
    settings: &ApiSettings,
    pages: Router<AppState>,
) -> Router {
    let (api, mut spec) = api_router().split_for_parts();
    spec::apply_conventions(&mut spec);
    let context = middleware::ContextSettings {
        timeout: settings.request_timeout,
        metrics: state.metrics.clone(),
    };
    let metrics_route = {
        let token = settings.metrics_token.clone();
        let state = state.clone();
        axum::routing::get(move |headers: axum::http::HeaderMap| async move {
            serve_metrics(&state, token.as_deref(), &headers)
        })
    };
    // Only the API's routes: the pages check maintenance themselves (banner, forms), and
    // unknown paths keep their 404.
    let api = api.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        maintenance::guard,
    ));
    let mut app = api
        .route("/metrics", metrics_route)
        .merge(pages)
        .with_state(state)
        .merge(SwaggerUi::new("/docs").url(OPENAPI_PATH, spec))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    if let Some(cors) = cors_layer(&settings.cors_origins) {
        app = app.layer(cors);
    }
    app.layer(axum::middleware::from_fn_with_state(
        context,
        middleware::request_context,
    ))
}

/// CORS for the configured origins only; none configured means no CORS headers at
/// all, so browsers keep the same-origin policy.
fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        tower_http::cors::CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                header::HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::HeaderName::from_static("x-request-id"),
            ]),
    )
}

/// `GET /metrics`: only with `WPT_METRICS_TOKEN` set, only to a client presenting it.
fn serve_metrics(
    state: &AppState,
    token: Option<&str>,
    headers: &axum::http::HeaderMap,
) -> Response {
    let Some(expected) = token else {
        return ApiError::new(
            ErrorCode::NotFound,
            "no route for GET /metrics; set WPT_METRICS_TOKEN to serve metrics",
        )
        .into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compare in constant time: the token guards operational detail.
    let same = presented.len() == expected.len()
        && presented
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return ApiError::new(
            ErrorCode::Unauthenticated,
            "GET /metrics needs Authorization: Bearer <WPT_METRICS_TOKEN>",
        )
        .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(state.db.pool_stats()),
    )
        .into_response()
}

async fn unknown_route(method: Method, uri: Uri) -> impl IntoResponse {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {method} {}; see {OPENAPI_PATH}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> impl IntoResponse {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} does not accept {method}", uri.path()),
    )
}

/// The OpenAPI document as the committed `openapi/openapi.json` holds it: pretty JSON.
pub fn openapi_json() -> String {
    openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
