//! Persistence and use cases of the Work Plan Tracker.
//!
//! What lives here: the sea-orm entities, the connection to SQLite or PostgreSQL,
//! migrations at start, the reference-data loader, and one module of queries and use
//! cases per resource. Each use case that writes opens exactly one transaction. What
//! must not: anything HTTP (no axum); the API crate talks to this crate only through
//! [`Database`], the use-case functions and [`DbError`].

pub mod activities;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod bodies;
mod connection;
pub mod context;
pub mod cycles;
pub mod entities;
mod error;
pub mod import;
pub mod indicators;
pub mod milestones;
mod paging;
pub mod progress;
pub mod reference;
pub mod seed;
pub mod users;
pub mod work_plans;

pub use connection::{Backend, Database};
pub use error::{DbError, DbResult};

/// Reads an enumerated column; the CHECK constraints make a failure here a sign of a
/// corrupted database, reported as an internal error.
pub(crate) fn stored<T>(text: &str) -> DbResult<T>
where
    T: std::str::FromStr<Err = wpt_domain::UnknownVariant>,
{
    text.parse()
        .map_err(|e: wpt_domain::UnknownVariant| DbError::internal(e.to_string()))
}

/// SQL written with `$1`-style parameters, for the connection's backend: SQLite takes
/// the same numbers as `?1`. For the few aggregate queries that are clearer as SQL.
pub(crate) fn portable(backend: sea_orm::DbBackend, sql: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    }
}
