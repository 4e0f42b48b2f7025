//! The report written to the socket as it is read (issue 21): a page of activities is
//! read, encoded and sent, and the next is read only when the client has taken it (a
//! channel of [`IN_FLIGHT`] pieces between the reader and the socket), so a report of
//! any size takes one page of rows and a few encoded pieces of memory.
//!
//! Everything that can fail as bad input (the cycle, the caller, the format) is checked
//! before the first byte: once the answer has started, a failure can only cut it short.
//! A database error half-way is logged and ends the body with an error, so the client
//! sees a broken transfer (no final chunk), never a document that looks complete.
//!
//! - [`JsonReport`]: the same document as [`super::CycleReport`] serialized whole, byte
//!   for byte: its head (cycle, generated_at, totals, late and missing bodies), then
//!   `"areas"`, each area's activities as they come in area order.
//! - [`CsvReport`]: the header, then each page's rows.

use std::convert::Infallible;

use axum::body::Bytes;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::mpsc;
use wpt_db::Database;
use wpt_db::cycles::{ReportPages, ReportRow};

use super::{Nest, Nested, ReportHead, ReportTotals};

/// Encoded pieces waiting for the client at most.
pub const IN_FLIGHT: usize = 2;

/// An error while the report was being written.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Turns the rows of a report, a page at a time, into bytes.
pub trait Encode: Send + 'static {
    /// The bytes of one page of rows.
    fn page(&mut self, rows: Vec<ReportRow>) -> Result<Vec<u8>, BoxError>;
    /// The bytes after the last row.
    fn end(&mut self) -> Result<Vec<u8>, BoxError>;
}

/// `first`, then each page of `pages` encoded by `encode`, then its end: read from the
/// database only as fast as the client takes it.
pub fn streamed(
    db: Database,
    mut pages: ReportPages,
    first: Vec<u8>,
    mut encode: impl Encode,
) -> impl Stream<Item = Result<Bytes, BoxError>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BoxError>>(IN_FLIGHT);
    tokio::spawn(async move {
        let send = |piece: Vec<u8>| {
            let tx = tx.clone();
            async move {
                if piece.is_empty() {
                    return true;
                }
                tx.send(Ok(Bytes::from(piece))).await.is_ok()
            }
        };
        if !send(first).await {
            return;
        }
        loop {
            let piece = match pages.next(db.conn()).await {
                Ok(Some(rows)) => encode.page(rows),
                Ok(None) => break,
                Err(e) => Err(e.into()),
            };
            match piece {
                Ok(piece) => {
                    if !send(piece).await {
                        // The client went away: stop reading.
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "the report failed after its answer had started");
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
        match encode.end() {
            Ok(piece) => {
                send(piece).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "the report failed after its answer had started");
                let _ = tx.send(Err(e)).await;
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
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
