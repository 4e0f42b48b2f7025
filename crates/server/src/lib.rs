//! The `wpt` binary's library half: configuration, start-up and serving, shared with
//! the integration tests so they exercise exactly what production runs.

pub mod config;

use std::path::Path;

use anyhow::Context;
use wpt_db::Database;
use wpt_db::reference::{self, ReferenceOutcome};
use wpt_domain::reference::ReferenceData;

/// The reference data built into the binary, used when the configured file is absent
/// (a binary copied without the repository still starts with the bodies and plans).
pub const BUILT_IN_REFERENCE: &str = include_str!("../../../data/reference.toml");

/// Reads the reference file at `path`, or the built-in copy when there is none.
pub fn read_reference(path: &Path) -> anyhow::Result<(String, &'static str)> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((text, "file")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((BUILT_IN_REFERENCE.to_owned(), "built-in"))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Applies reference data from `text`, logging what changed.
pub async fn apply_reference(db: &Database, text: &str, origin: &str) -> anyhow::Result<()> {
    let data = ReferenceData::from_toml_str(text).context("reference data")?;
    match reference::apply(db, &data, text).await? {
        ReferenceOutcome::AlreadyApplied => {
            tracing::debug!(origin, "reference data unchanged since last applied");
        }
        ReferenceOutcome::Applied(summary) => {
            tracing::info!(origin, %summary, "reference data applied");
        }
    }
    Ok(())
}

/// Everything `wpt serve` does before it listens: migrate (when configured) and apply
/// the reference data.
pub async fn prepare(
    db: &Database,
    migrate: bool,
    reference_text: &str,
    origin: &str,
) -> anyhow::Result<()> {
    if migrate {
        db.migrate_up().await.context("migrating the database")?;
    }
    apply_reference(db, reference_text, origin).await
}
