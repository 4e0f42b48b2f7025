//! The request id of the request being served, for the audit log.
//!
//! The HTTP layer sets it around each request (`wpt_api::middleware`); use cases read
//! it when they append to the audit log, so no signature has to thread it through.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request id, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id.
pub async fn with_request_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}
