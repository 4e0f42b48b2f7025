//! The `wpt` binary's library half: configuration, start-up and serving, shared with
//! the integration tests so they exercise exactly what production runs.

pub mod config;

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use wpt_db::Database;
use wpt_db::auth::{Auth, AuthSettings, JwtKeys, PasswordHasher};
use wpt_db::reference::{self, ReferenceOutcome};
use wpt_domain::reference::ReferenceData;

use crate::config::Config;

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

/// Everything `wpt serve` does to the database before it listens: migrate (when
/// configured) and apply the reference data.
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

/// The signing secret: `WPT_JWT_SECRET`, else `jwt-secret` in the data directory,
/// created (readable by its owner only) on first start. Instances that share the
/// directory, or the variable, accept each other's tokens.
pub fn jwt_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok(secret.0.as_bytes().to_vec());
    }
    let path = config.data_dir.join("jwt-secret");
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!(
            "{} holds fewer than 32 bytes; delete it to have a new one generated",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create {} (set WPT_DATA_DIR)",
            config.data_dir.display()
        )
    })?;
    let secret = wpt_db::auth::tokens::generate("")?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new token signing secret");
            Ok(secret.into_bytes())
        }
        // Another instance sharing the directory created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Authentication as the server runs it: OWASP argon2id and the configured secret.
pub fn auth(config: &Config) -> anyhow::Result<Auth> {
    let settings = AuthSettings::default();
    Ok(Auth {
        hasher: PasswordHasher::owasp(),
        jwt: JwtKeys::new(&jwt_secret(config)?, settings.access_ttl)?,
        settings,
    })
}
