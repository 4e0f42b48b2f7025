//! The report written to the socket as it is read (issue 21): a page of activities is
//! read, encoded and sent, and the next is read only when the client has taken it (a
//! channel of [`IN_FLIGHT`] pieces between the reader and the socket), so a report of
//! any size takes one page of rows and a few encoded pieces of memory.
//!
//! Everything that can fail as bad input (the cycle, the caller, the format) is checked
//! before the first byte: once the answer has started, a failure can only cut it short.
//! A database error half-way is logged and ends the body with an error, so the client
//! sees a broken transfer (no final chunk), never a document that looks complete; so
//! does a client that takes no piece for [`SEND_TIMEOUT`].
//!
//! The render slot (`super::cache`) is held while a page is read and encoded, given
//! back while the reader waits for a slow client (taken again before the next page),
//! and given up once the last page is read. A report read while writes commit is not
//! one reading of the database: its head (totals, board) and each page are read at
//! their own moment, so it may mix states across pages; the audit position is compared
//! before and after, and such an answer is sent but never cached.
//!
//! - [`JsonReport`]: the same document as [`super::CycleReport`] serialized whole, byte
//!   for byte: its head (cycle, generated_at, totals, late and missing bodies), then
//!   `"areas"`, each area's activities as they come in area order.
//! - [`CsvReport`]: the header, then each page's rows.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use wpt_db::Database;
use wpt_db::cycles::{ReportPages, ReportRow};

use super::cache::Reading;
use super::{Nest, Nested, ReportHead, ReportTotals};

/// Encoded pieces waiting for the client at most.
pub const IN_FLIGHT: usize = 2;

/// How long one piece may wait for the client to take it (or a page for a render slot)
/// before the answer is cut short: a stalled download ends, with its reader.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// An error while the report was being written.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Turns the rows of a report, a page at a time, into bytes.
pub trait Encode: Send + 'static {
    /// The bytes of one page of rows.
    fn page(&mut self, rows: Vec<ReportRow>) -> Result<Vec<u8>, BoxError>;
    /// The bytes after the last row.
    fn end(&mut self) -> Result<Vec<u8>, BoxError>;
}

/// Why the reader stopped before the end.
enum Stop {
    /// The client went away: nothing to say.
    Gone,
    /// The client took no piece for [`SEND_TIMEOUT`], or no slot came: cut short.
    Stalled(&'static str),
    /// Reading or encoding failed: cut short.
    Failed(BoxError),
}

/// Sends `piece` (none when empty). When the client has not taken the pieces before
/// it, the reader gives its render slot back while it waits (the slot bounds database
/// and CPU work, not sockets), at most [`SEND_TIMEOUT`].
async fn send(
    tx: &mpsc::Sender<Result<Bytes, BoxError>>,
    reading: &mut Reading,
    piece: Vec<u8>,
) -> Result<(), Stop> {
    if piece.is_empty() {
        return Ok(());
    }
    match tx.try_send(Ok(Bytes::from(piece))) {
        Ok(()) => Ok(()),
        Err(TrySendError::Closed(_)) => Err(Stop::Gone),
        Err(TrySendError::Full(piece)) => {
            reading.release();
            match tokio::time::timeout(SEND_TIMEOUT, tx.send(piece)).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Stop::Gone),
                Err(_) => Err(Stop::Stalled(
                    "the client took no piece of the report in time",
                )),
            }
        }
    }
}

/// Reads and sends every page, then the end.
async fn read_all(
    db: &Database,
    pages: &mut ReportPages,
    first: Vec<u8>,
    encode: &mut impl Encode,
    reading: &mut Reading,
    tx: &mpsc::Sender<Result<Bytes, BoxError>>,
) -> Result<(), Stop> {
    send(tx, reading, first).await?;
    loop {
        if !reading.hold(SEND_TIMEOUT).await {
            return Err(Stop::Stalled(
                "no render slot came for the next page in time",
            ));
        }
        let Some(rows) = pages
            .next(db.conn())
            .await
            .map_err(|e| Stop::Failed(e.into()))?
        else {
            break;
        };
        let piece = encode.page(rows).map_err(Stop::Failed)?;
        send(tx, reading, piece).await?;
    }
    // Every read is done: the slot is free for other renders while the end is sent.
    reading.release();
    // The head was read at the start position and the pages since: if a write came in
    // between, the answer may mix states (documented); it is sent, but not kept.
    let Some(from) = reading.position() else {
        let end = encode.end().map_err(Stop::Failed)?;
        return send(tx, reading, end).await;
    };
    match wpt_db::audit::position(db).await {
        Ok(now) if now == from => {}
        Ok(now) => {
            tracing::info!(
                from,
                to = now,
                "the audit position moved while a report was read: it is not cached"
            );
            reading.moved();
        }
        Err(e) => {
            tracing::warn!(error = %e, "the audit position after a report");
            reading.moved();
        }
    }
    let end = encode.end().map_err(Stop::Failed)?;
    send(tx, reading, end).await
}

/// `first`, then each page of `pages` encoded by `encode`, then its end: read from the
/// database only as fast as the client takes it (outside the render slots, not cached:
/// the web pages' readable CSV).
pub fn streamed(
    db: Database,
    pages: ReportPages,
    first: Vec<u8>,
    encode: impl Encode,
) -> impl Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    streamed_in(db, pages, first, encode, Reading::unbounded())
}

/// [`streamed`] in the render slot of `reading` (held while a page is read and
/// encoded, not while the client is slow), saying whether the state moved meanwhile.
pub(crate) fn streamed_in(
    db: Database,
    mut pages: ReportPages,
    first: Vec<u8>,
    mut encode: impl Encode,
    mut reading: Reading,
) -> impl Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(IN_FLIGHT);
    let cut = Arc::new(AtomicBool::new(false));
    let cut_by_reader = cut.clone();
    tokio::spawn(async move {
        let read = read_all(&db, &mut pages, first, &mut encode, &mut reading, &tx).await;
        drop(reading);
        match read {
            Ok(()) | Err(Stop::Gone) => {}
            Err(Stop::Stalled(why)) => {
                tracing::warn!("{why}: the report is cut short");
                // The channel may be full: the stream ends with an error after it.
                cut_by_reader.store(true, Ordering::Release);
            }
            Err(Stop::Failed(e)) => {
                tracing::error!(error = %e, "the report failed after its answer had started");
                cut_by_reader.store(true, Ordering::Release);
                let _ = tx.try_send(Err(e));
            }
        }
    });
    // A stream cut short ends with an error, so the client sees a broken transfer (no
    // final chunk), never a document that looks complete.
    futures_util::stream::unfold(Some((rx, cut)), |state| async move {
        let (mut rx, cut) = state?;
        match rx.recv().await {
            Some(Err(e)) => Some((Err(e), None)),
            Some(piece) => Some((piece, Some((rx, cut)))),
            None if cut.load(Ordering::Acquire) => {
                Some((Err(BoxError::from("the report was cut short")), None))
            }
            None => None,
        }
    })
}

/// The head of the JSON document: [`super::CycleReport`]'s fields before `areas`, in
/// its order.
#[derive(Serialize)]
struct JsonHead<'a> {
    cycle: &'a wpt_domain::models::Cycle,
    generated_at: chrono::DateTime<chrono::Utc>,
    totals: &'a ReportTotals,
    late_bodies: &'a [String],
    missing_bodies: &'a [String],
}

/// The JSON report, written as its rows come in area order.
#[derive(Debug, Default)]
pub struct JsonReport {
    nest: Nest,
    /// Whether an area is open, and whether it has an activity yet.
    area_open: bool,
    area_has_activity: bool,
}

impl JsonReport {
    /// The document's first bytes: its head and the opening of `areas`.
    pub fn head(head: &ReportHead) -> Result<Vec<u8>, BoxError> {
        let mut out = serde_json::to_vec(&JsonHead {
            cycle: &head.cycle,
            generated_at: head.generated_at,
            totals: &head.totals,
            late_bodies: &head.late_bodies,
            missing_bodies: &head.missing_bodies,
        })?;
        // `{...}` becomes `{...,"areas":[`.
        out.pop();
        out.extend_from_slice(b",\"areas\":[");
        Ok(out)
    }

    fn write(&mut self, nested: Vec<Nested>, out: &mut Vec<u8>) -> Result<(), BoxError> {
        for n in nested {
            match n {
                Nested::Area(code, title) => {
                    if self.area_open {
                        out.extend_from_slice(b"]},");
                    }
                    out.extend_from_slice(b"{\"code\":");
                    serde_json::to_writer(&mut *out, &code)?;
                    out.extend_from_slice(b",\"title\":");
                    serde_json::to_writer(&mut *out, &title)?;
                    out.extend_from_slice(b",\"activities\":[");
                    self.area_open = true;
                    self.area_has_activity = false;
                }
                Nested::Activity(activity) => {
                    if self.area_has_activity {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, &activity)?;
                    self.area_has_activity = true;
                }
            }
        }
        Ok(())
    }
}

impl Encode for JsonReport {
    fn page(&mut self, rows: Vec<ReportRow>) -> Result<Vec<u8>, BoxError> {
        let mut nested = Vec::new();
        for r in rows {
            self.nest.push(r, &mut nested);
        }
        let mut out = Vec::new();
        self.write(nested, &mut out)?;
        Ok(out)
    }

    fn end(&mut self) -> Result<Vec<u8>, BoxError> {
        let mut nested = Vec::new();
        self.nest.finish(&mut nested);
        let mut out = Vec::new();
        self.write(nested, &mut out)?;
        if self.area_open {
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

/// The API's CSV, written a page at a time (its header is [`super::csv::csv_header`]).
#[derive(Debug, Default)]
pub struct CsvReport;

impl Encode for CsvReport {
    fn page(&mut self, rows: Vec<ReportRow>) -> Result<Vec<u8>, BoxError> {
        Ok(super::csv::csv_rows(&rows)?)
    }

    fn end(&mut self) -> Result<Vec<u8>, BoxError> {
        Ok(Vec::new())
    }
}

/// A stream of pieces already in memory (a cached answer).
pub(super) fn pieces(
    pieces: Vec<Bytes>,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    futures_util::stream::iter(pieces.into_iter().map(Ok))
}
