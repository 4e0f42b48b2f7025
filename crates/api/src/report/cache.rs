//! Rendered reports, cached and bounded (issue 14).
//!
//! - **Cached by the audit position**, as the plan summaries are: every write appends
//!   to the audit log, so a report rendered at one position (and on one day: the late
//!   and missing bodies depend on the date) is still right while neither has moved. A
//!   second identical request (same cycle, format and audience) costs one indexed
//!   `MAX(id)` and no rendering. The audience is what the report's content depends on
//!   of the caller: the role and, for an officer, the body. The cache holds the answer
//!   whatever its format (status, headers and bytes), so a new format needs nothing
//!   here; it keeps at most [`CACHED_REPORTS`] answers of at most [`CACHED_BYTES`] each,
//!   [`CACHED_TOTAL`] together, in memory (the finished bytes: a hit is sent with no
//!   disk or database read but the position; the bounds keep the memory target). A
//!   streamed answer (JSON, CSV) is kept as its pieces, shared with the response, once
//!   it has been sent whole, if it stayed within [`KEPT_STREAM`] (past it the copy is
//!   dropped at once, so a stream takes constant memory whatever its size); one cut
//!   short or failed is not kept, nor one whose audit position moved while its pages
//!   were read (its head and its rows may then be of different states), nor one read
//!   at a negative position (an unlinked entry: no state to name it by).
//! - **Bounded renders**: at most `WPT_REPORT_RENDERS` renders run at once in this
//!   process; a render that cannot start within [`RENDER_WAIT`] is refused 503 with
//!   `Retry-After` (`DbError::Busy`), so many XLSX or DOCX requests at once cannot take
//!   every core and all the memory. The slot bounds database and CPU work, not sockets:
//!   a streamed answer holds it while it reads and encodes a page, gives it back while
//!   it waits for a slow client, and gives it up for good once its last page is read
//!   (`super::stream`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;
use wpt_db::DbError;
use wpt_domain::{Actor, Role};

use super::ReportFormat;
use super::stream::BoxError;
use crate::error::ApiError;

/// Renders that may run at once when not configured (`WPT_REPORT_RENDERS`).
pub const DEFAULT_RENDERS: usize = 4;

/// How long a render waits for a free slot before the request is refused.
pub const RENDER_WAIT: Duration = Duration::from_secs(2);

/// Answers kept (the least recent position goes first).
pub const CACHED_REPORTS: usize = 64;

/// A larger answer is sent but not kept (the JSON of a 10,000-activity plan's cycle is
/// about 10.5 MB).
pub const CACHED_BYTES: usize = 16 * 1024 * 1024;

/// A streamed answer is copied for the cache only while it is at most this large: a
/// larger one is sent, not kept, and its copy is dropped as soon as it passes it.
pub const KEPT_STREAM: usize = 2 * 1024 * 1024;

/// All the answers kept, together, at most: older positions leave first.
pub const CACHED_TOTAL: usize = 32 * 1024 * 1024;

/// A cycle, a format and an audience.
type Of = (Uuid, ReportFormat, Role, Option<Uuid>);

/// The audit position and the day an answer reflects.
type At = (i64, NaiveDate);

/// A stream of the answer's pieces.
type Pieces = Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>;

/// Starts a streamed answer's reader, given its [`Reading`].
type StartReading = Box<dyn FnOnce(Reading) -> Pieces + Send>;

/// What the reader of a streamed answer holds: the render slot, taken while it reads
/// and encodes, and the audit position the answer was started at, to say whether the
/// state moved while the pages were read.
pub struct Reading {
    slot: Option<OwnedSemaphorePermit>,
    /// `None`: a reader outside the render slots (nothing to hold, nothing kept).
    slots: Option<Arc<Semaphore>>,
    position: Option<i64>,
    moved: Arc<AtomicBool>,
}

impl Reading {
    /// A reader that takes no render slot and whose answer is not cached.
    pub(crate) fn unbounded() -> Self {
        Self {
            slot: None,
            slots: None,
            position: None,
            moved: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The render slot, before a page is read: waits for it (at most `wait`; `false`
    /// when it did not come).
    pub(crate) async fn hold(&mut self, wait: Duration) -> bool {
        let Some(slots) = self.slots.as_ref().filter(|_| self.slot.is_none()) else {
            return true;
        };
        match tokio::time::timeout(wait, slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => {
                self.slot = Some(slot);
                true
            }
            _ => false,
        }
    }

    /// Gives the render slot back (while waiting for the client, and once read).
    pub(crate) fn release(&mut self) {
        self.slot = None;
    }

    /// The audit position the answer was started at, when it may be cached.
    pub(crate) fn position(&self) -> Option<i64> {
        self.position
    }

    /// The state moved while the pages were read: the answer is sent, not kept.
    pub(crate) fn moved(&self) {
        self.moved.store(true, Ordering::Release);
    }
}

/// What a render answers: its headers and either the whole file (XLSX, DOCX: written
/// from the rows as they were read, about a megabyte) or the pieces as they are
/// written (JSON, CSV: sent as they come).
pub(crate) struct Rendering {
    headers: HeaderMap,
    body: RenderedBody,
}

enum RenderedBody {
    Whole(Bytes),
    Streamed(StartReading),
}

impl Rendering {
    fn headers(content_type: HeaderValue, disposition: Option<HeaderValue>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type);
        if let Some(d) = disposition {
            headers.insert(header::CONTENT_DISPOSITION, d);
        }
        headers
    }

    /// A file written whole.
    pub(crate) fn whole(
        content_type: HeaderValue,
        disposition: Option<HeaderValue>,
        bytes: Vec<u8>,
    ) -> Self {
        Self {
            headers: Self::headers(content_type, disposition),
            body: RenderedBody::Whole(Bytes::from(bytes)),
        }
    }

    /// An answer sent as it is written: `start` starts its reader with its [`Reading`]
    /// (the render slot and the audit position).
    pub(crate) fn streamed<S>(
        content_type: HeaderValue,
        disposition: Option<HeaderValue>,
        start: impl FnOnce(Reading) -> S + Send + 'static,
    ) -> Self
    where
        S: Stream<Item = Result<Bytes, BoxError>> + Send + 'static,
    {
        Self {
            headers: Self::headers(content_type, disposition),
            body: RenderedBody::Streamed(Box::new(move |reading| Box::pin(start(reading)))),
        }
    }
}

/// A rendered answer, whatever its format: its headers and its pieces.
#[derive(Debug)]
struct Rendered {
    headers: HeaderMap,
    body: Vec<Bytes>,
    size: usize,
}

impl Rendered {
    fn response(&self) -> Response {
        let body = match self.body.as_slice() {
            [one] => Body::from(one.clone()),
            pieces => Body::from_stream(super::stream::pieces(pieces.to_vec())),
        };
        let mut response = Response::new(body);
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
    /// one, or `render`'s, run in a render slot. A streamed answer's reader holds the
    /// slot while it reads (not while the client is slow to take a piece), and the
    /// answer is kept once it has been sent whole, if it was within [`KEPT_STREAM`] and
    /// the audit position did not move while it was read.
    pub(crate) async fn answer<F>(
        self: &Arc<Self>,
        actor: &Actor,
        id: Uuid,
        format: ReportFormat,
        position: i64,
        render: F,
    ) -> Result<Response, ApiError>
    where
        F: Future<Output = Result<Rendering, ApiError>>,
    {
        let of: Of = (id, format, actor.role, actor.body.as_ref().map(|b| b.id));
        let at: At = (position, chrono::Utc::now().date_naive());
        if let Some(hit) = self.get(&of, at) {
            return Ok(hit.response());
        }
        let slot = self.slot("report rendering").await?;
        self.renders.fetch_add(1, Ordering::Relaxed);
        let Rendering { headers, body } = render.await?;
        match body {
            RenderedBody::Whole(bytes) => {
                let rendered = Arc::new(Rendered {
                    headers,
                    size: bytes.len(),
                    body: vec![bytes],
                });
                drop(slot);
                if rendered.size <= CACHED_BYTES {
                    self.put(of, at, rendered.clone());
                }
                Ok(rendered.response())
            }
            RenderedBody::Streamed(start) => {
                let moved = Arc::new(AtomicBool::new(false));
                let pieces = start(Reading {
                    slot: Some(slot),
                    slots: Some(self.slots.clone()),
                    position: Some(position),
                    moved: moved.clone(),
                });
                // No copy at a negative position: it could never be kept.
                let kept = (position >= 0).then(|| Kept {
                    renders: self.clone(),
                    of,
                    at,
                    headers: headers.clone(),
                    pieces: Some(Vec::new()),
                    size: 0,
                    moved,
                });
                let mut response = Response::new(Body::from_stream(Tee {
                    inner: pieces,
                    kept,
                }));
                *response.headers_mut() = headers;
                Ok(response)
            }
        }
    }

    fn get(&self, of: &Of, at: At) -> Option<Arc<Rendered>> {
        let cached = self.cached.lock().ok()?;
        cached
            .get(of)
            .filter(|(k, _)| *k == at)
            .map(|(_, r)| r.clone())
    }

    fn put(&self, of: Of, at: At, rendered: Arc<Rendered>) {
        // A negative position names no state (an entry was unlinked): never kept.
        if at.0 < 0 {
            return;
        }
        let Ok(mut cached) = self.cached.lock() else {
            return;
        };
        // Keep the newest: a slower render must not replace a fresher answer.
        if cached.get(&of).is_some_and(|(k, _)| *k > at) {
            return;
        }
        cached.remove(&of);
        // Within the count and the total size: the oldest positions leave first.
        loop {
            let total: usize = cached.values().map(|(_, r)| r.size).sum();
            if cached.len() < CACHED_REPORTS && total + rendered.size <= CACHED_TOTAL {
                break;
            }
            let oldest = cached
                .iter()
                .min_by_key(|(_, (k, _))| *k)
                .map(|(of, _)| *of);
            match oldest {
                Some(oldest) => {
                    cached.remove(&oldest);
                }
                None => break,
            }
        }
        cached.insert(of, (at, rendered));
    }
}

/// A streamed answer's copy for the cache, while it is within [`KEPT_STREAM`].
struct Kept {
    renders: Arc<ReportRenders>,
    of: Of,
    at: At,
    headers: HeaderMap,
    pieces: Option<Vec<Bytes>>,
    size: usize,
    /// Set by the reader when the audit position moved while it read.
    moved: Arc<AtomicBool>,
}

/// The pieces of a streamed answer on their way to the client, copied (by reference:
/// `Bytes` are shared) for the cache while they stay small.
struct Tee {
    inner: Pieces,
    kept: Option<Kept>,
}

impl Stream for Tee {
    type Item = Result<Bytes, BoxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.inner.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(piece))) => {
                let too_large = self.kept.as_mut().is_some_and(|kept| {
                    kept.size += piece.len();
                    if let Some(pieces) = kept.pieces.as_mut() {
                        pieces.push(piece.clone());
                    }
                    kept.size > KEPT_STREAM
                });
                if too_large {
                    // Too large to keep: the copy goes now (constant memory).
                    self.kept = None;
                }
            }
            // A failed answer is not kept.
            Poll::Ready(Some(Err(_))) => self.kept = None,
            Poll::Ready(None) => {
                if let Some(kept) = self.kept.take()
                    && !kept.moved.load(Ordering::Acquire)
                    && let Some(pieces) = kept.pieces
                {
                    kept.renders.put(
                        kept.of,
                        kept.at,
                        Arc::new(Rendered {
                            headers: kept.headers,
                            body: pieces,
                            size: kept.size,
                        }),
                    );
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}
