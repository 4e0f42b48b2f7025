//! The request id: taken from `x-request-id` when the client sent a sane one, made up
//! otherwise, echoed on every response, attached to every log line of the request and
//! to every problem document.
//!
//! It is kept in `wpt_db::context` (a task-local) for the duration of the request so
//! that code deep in a handler (the error type, the audit log) can read it without
//! threading it through every signature.

/// The header that carries it.
pub const HEADER: &str = "x-request-id";

/// The id of the request being served, or `"-"` outside one.
pub fn current() -> String {
    wpt_db::context::request_id().unwrap_or_else(|| "-".to_owned())
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    wpt_db::context::with_request_id(id, fut).await
}

/// Keeps a client's id if it is 1 to 128 visible ASCII characters, else makes one.
pub fn accept_or_generate(client: Option<&str>) -> String {
    match client {
        Some(id)
            if !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            id.to_owned()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_client_id_is_kept_and_anything_else_replaced() {
        assert_eq!(accept_or_generate(Some("abc-123")), "abc-123");
        let long = "x".repeat(129);
        for bad in [Some(""), Some("has space"), Some(long.as_str()), None] {
            let id = accept_or_generate(bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} gave {id}");
        }
    }
}
