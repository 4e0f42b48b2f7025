//! The ids of the request being served, for the audit log.
//!
//! The HTTP layer sets them around each request (`wpt_api::middleware`); use cases read
//! them when they append to the audit log, so no signature has to thread them through.
//!
//! Two ids, because only one of them can be trusted: the server makes its own for every
//! request (`request_id`, what the audit log and the log lines name the request by), and
//! keeps the `x-request-id` a client sent, if any, beside it (`client_request_id`). A
//! client's id is whatever the client chose, possibly another request's.

/// The ids of one request.
#[derive(Debug, Clone)]
pub struct RequestIds {
    /// The server's own id, unique per request.
    pub id: String,
    /// The `x-request-id` the client sent, if it sent a usable one.
    pub client_id: Option<String>,
}

impl RequestIds {
    /// The id the response carries: the client's when it sent one (echoed), else the
    /// server's.
    pub fn echoed(&self) -> &str {
        self.client_id.as_deref().unwrap_or(&self.id)
    }
}

tokio::task_local! {
    static REQUEST: RequestIds;
}

/// The server's id of the current request, if any.
pub fn request_id() -> Option<String> {
    REQUEST.try_with(|r| r.id.clone()).ok()
}

/// The id the client sent with the current request, if any.
pub fn client_request_id() -> Option<String> {
    REQUEST.try_with(|r| r.client_id.clone()).ok().flatten()
}

/// The id the current request's response carries (see [`RequestIds::echoed`]).
pub fn echoed_request_id() -> Option<String> {
    REQUEST.try_with(|r| r.echoed().to_owned()).ok()
}

/// Runs `fut` with `ids` as the current request's ids.
pub async fn with_request_ids<F: std::future::Future>(ids: RequestIds, fut: F) -> F::Output {
    REQUEST.scope(ids, fut).await
}
