//! The request ids: the server makes its own for every request; a client's sane
//! `x-request-id` is kept beside it. The response (header and problem documents) echoes
//! the client's id when it sent one, else carries the server's; log lines carry both,
//! and the audit log stores the server's as `request_id` and the client's as
//! `client_request_id`, so a client cannot pass its id off as the server's.
//!
//! They are kept in `wpt_db::context` (a task-local) for the duration of the request so
//! that code deep in a handler (the error type, the audit log) can read them without
//! threading them through every signature.

pub use wpt_db::context::RequestIds;

/// The header that carries it.
pub const HEADER: &str = "x-request-id";

/// The id the current response carries (the client's, echoed, or the server's), or
/// `"-"` outside a request.
pub fn current() -> String {
    wpt_db::context::echoed_request_id().unwrap_or_else(|| "-".to_owned())
}

/// Runs `fut` with `ids` as the current request's ids.
pub async fn scope<F: std::future::Future>(ids: RequestIds, fut: F) -> F::Output {
    wpt_db::context::with_request_ids(ids, fut).await
}

/// The server's own id for a request (always made here, whatever the client sent) and
/// the client's, kept if it is 1 to 128 visible ASCII characters.
pub fn ids(client: Option<&str>) -> RequestIds {
    let client_id = client
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned);
    RequestIds {
        id: uuid::Uuid::new_v4().to_string(),
        client_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_client_id_is_kept_beside_the_servers_own_and_anything_else_dropped() {
        let kept = ids(Some("abc-123"));
        assert_eq!(kept.client_id.as_deref(), Some("abc-123"));
        assert_eq!(kept.echoed(), "abc-123");
        assert!(uuid::Uuid::parse_str(&kept.id).is_ok(), "{}", kept.id);
        let long = "x".repeat(129);
        for bad in [Some(""), Some("has space"), Some(long.as_str()), None] {
            let made = ids(bad);
            assert_eq!(made.client_id, None, "{bad:?}");
            assert_eq!(made.echoed(), made.id);
            assert!(
                uuid::Uuid::parse_str(&made.id).is_ok(),
                "{bad:?} gave {}",
                made.id
            );
        }
    }
}
