//! Rendered reports, cached and bounded (issue 14).
//!
//! - **Cached by the audit position**, as the plan summaries are: every write appends
//!   to the audit log, so a report rendered at one position (and on one day: the late
//!   and missing bodies depend on the date) is still right while neither has moved. A
//!   second identical request (same cycle, format and audience) costs one indexed
//!   `MAX(id)` and no rendering. The audience is what the report's content depends on
//!   of the caller: the role and, for an officer, the body. The cache holds the answer
//!   whatever its format (status, headers and bytes), so a new format needs nothing
//!   here; it keeps at most [`CACHED_REPORTS`] answers of at most [`CACHED_BYTES`] each.
//! - **Bounded renders**: at most `WPT_REPORT_RENDERS` renders run at once in this
//!   process; a render that cannot start within [`RENDER_WAIT`] is refused 503 with
//!   `Retry-After` (`DbError::Busy`), so many XLSX or DOCX requests at once cannot take
//!   every core and all the memory.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use tokio::sync::Semaphore;
use uuid::Uuid;
use wpt_db::DbError;
use wpt_domain::{Actor, Role};

use super::ReportFormat;
use crate::error::ApiError;

/// Renders that may run at once when not configured (`WPT_REPORT_RENDERS`).
pub const DEFAULT_RENDERS: usize = 4;

/// How long a render waits for a free slot before the request is refused.
pub const RENDER_WAIT: Duration = Duration::from_secs(2);

/// Answers kept (the least recent position goes first).
pub const CACHED_REPORTS: usize = 64;

/// A larger answer is sent but not kept.
pub const CACHED_BYTES: usize = 8 * 1024 * 1024;

/// A cycle, a format and an audience.
type Of = (Uuid, ReportFormat, Role, Option<Uuid>);

/// The audit position and the day an answer reflects.
type At = (i64, NaiveDate);

/// A rendered answer, whatever its format.
#[derive(Debug)]
struct Rendered {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Rendered {
    fn response(&self) -> Response {
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// The cache and the render slots of this process.
#[derive(Debug)]
pub struct ReportRenders {
    slots: Arc<Semaphore>,
    cached: Mutex<HashMap<Of, (At, Arc<Rendered>)>>,
    renders: AtomicU64,
}

impl Default for ReportRenders {
    fn default() -> Self {
        Self::new(DEFAULT_RENDERS)
    }
}

impl ReportRenders {
    /// At most `renders` renders at once.
    pub fn new(renders: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(renders)),
            cached: Mutex::new(HashMap::new()),
            renders: AtomicU64::new(0),
        }
    }

    /// How many reports this process has rendered (cache misses), for tests and
    /// monitoring.
    pub fn rendered(&self) -> u64 {
        self.renders.load(Ordering::Relaxed)
    }

    /// The render slots (tests hold them to see a full queue refused).
    pub fn slots(&self) -> &Arc<Semaphore> {
        &self.slots
    }

    /// A render slot, waiting at most [`RENDER_WAIT`] for one; when every slot stays
    /// taken, `DbError::Busy` (503 with `Retry-After`). Other renders (the matrix) take
    /// theirs here too, so all of them together are bounded.
    pub(crate) async fn slot(
        &self,
        what: &'static str,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        tokio::time::timeout(RENDER_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| DbError::Busy {
                what,
                retry_after: 5,
            })?
            .map_err(ApiError::internal)
    }

    /// The answer for `actor`'s `format` of cycle `id` at audit `position`: the cached
    /// one, or `render`'s, run in a render slot and kept when it succeeded.
    pub(crate) async fn answer<F>(
        &self,
        actor: &Actor,
        id: Uuid,
        format: ReportFormat,
        position: i64,
        render: F,
    ) -> Result<Response, ApiError>
    where
        F: Future<Output = Result<Response, ApiError>>,
    {
        let of: Of = (id, format, actor.role, actor.body.as_ref().map(|b| b.id));
        let at: At = (position, chrono::Utc::now().date_naive());
        if let Some(hit) = self.get(&of, at) {
            return Ok(hit.response());
        }
        let _slot = self.slot("report rendering").await?;
        self.renders.fetch_add(1, Ordering::Relaxed);
        let response = render.await?;
        if response.status() != StatusCode::OK {
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(ApiError::internal)?;
        let rendered = Arc::new(Rendered {
            status: parts.status,
            headers: parts.headers,
            body,
        });
        if rendered.body.len() <= CACHED_BYTES {
            self.put(of, at, rendered.clone());
        }
        Ok(rendered.response())
    }

    fn get(&self, of: &Of, at: At) -> Option<Arc<Rendered>> {
        let cached = self.cached.lock().ok()?;
        cached
            .get(of)
            .filter(|(k, _)| *k == at)
            .map(|(_, r)| r.clone())
    }

    fn put(&self, of: Of, at: At, rendered: Arc<Rendered>) {
        let Ok(mut cached) = self.cached.lock() else {
            return;
        };
        // Keep the newest: a slower render must not replace a fresher answer.
        if cached.get(&of).is_some_and(|(k, _)| *k > at) {
            return;
        }
        if cached.len() >= CACHED_REPORTS && !cached.contains_key(&of) {
            let oldest = cached
                .iter()
                .min_by_key(|(_, (k, _))| *k)
                .map(|(of, _)| *of);
            if let Some(oldest) = oldest {
                cached.remove(&oldest);
            }
        }
        cached.insert(of, (at, rendered));
    }
}
