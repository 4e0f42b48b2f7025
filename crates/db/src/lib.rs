//! Persistence and use cases of the Work Plan Tracker.
//!
//! What lives here: the sea-orm entities, the connection to SQLite or PostgreSQL,
//! migrations at start, the reference-data loader, and one module of queries and use
//! cases per resource. Each use case that writes does so through the one write path,
//! [`Database::write`] (see [`write`]): one transaction, audit entries appended last. What
//! must not: anything HTTP (no axum); the API crate talks to this crate only through
//! [`Database`], the use-case functions and [`DbError`].

pub mod activities;
pub mod api_tokens;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bodies;
mod cache;
mod connection;
pub mod context;
pub mod cycles;
pub mod entities;
mod error;
pub mod import;
pub mod indicators;
mod json;
pub mod maintenance;
pub mod milestones;
pub mod notify;
mod paging;
pub mod participation;
pub mod progress;
pub mod reference;
pub mod seed;
mod seed_history;
mod sql;
pub mod time_zones;
pub mod trends;
pub mod users;
pub mod work_plans;
mod write;
mod write_rate;

pub use connection::{Backend, Database};
pub use error::{DbError, DbResult};
pub use write::Write;

/// Reads an enumerated column; the CHECK constraints make a failure here a sign of a
/// corrupted database, reported as an internal error.
pub(crate) fn stored<T>(text: &str) -> DbResult<T>
where
    T: std::str::FromStr<Err = wpt_domain::UnknownVariant>,
{
    text.parse()
        .map_err(|e: wpt_domain::UnknownVariant| DbError::internal(e.to_string()))
}
