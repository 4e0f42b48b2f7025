//! The `wpt` binary's library half: configuration, start-up and serving, shared with
//! the integration tests so they exercise exactly what production runs.

pub mod config;

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use wpt_db::Database;
use wpt_db::audit::AuditKey;
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
    match &config.jwt_secret {
        Some(secret) => Ok(secret.0.as_bytes().to_vec()),
        None => secret_file(config, "jwt-secret", "token signing secret"),
    }
}

/// The audit key: `WPT_AUDIT_KEY`, else `audit.key` in the data directory, created
/// (readable by its owner only) on first use, like the token secret and apart from it.
/// Every instance writing to one database must have the same key; losing it leaves the
/// keyed entries unverifiable, so it belongs in the backups (docs/operations.md).
pub fn audit_key(config: &Config) -> anyhow::Result<AuditKey> {
    let bytes = match &config.audit_key {
        Some(key) => key.0.as_bytes().to_vec(),
        None => secret_file(config, "audit.key", "audit key")?,
    };
    Ok(AuditKey::new(&bytes)?)
}

/// A secret of the data directory: the contents of `name`, or a new random one written
/// there (mode 0600) when the file does not exist yet.
fn secret_file(config: &Config, name: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let path = config.data_dir.join(name);
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
    // Written whole under a name of this process's own, then linked into place, so an
    // instance starting at the same moment never reads a half-written secret.
    let partial = config
        .data_dir
        .join(format!(".{name}.{}.partial", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(&partial)
        .and_then(|mut file| {
            file.write_all(secret.as_bytes())?;
            file.sync_all()
        })
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let linked = std::fs::hard_link(&partial, &path);
    let _ = std::fs::remove_file(&partial);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new {what}");
            Ok(secret.into_bytes())
        }
        // Another instance sharing the directory created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(&path)?.trim().as_bytes().to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Authentication as the server runs it: OWASP argon2id, the configured secret and
/// login limits.
pub fn auth(config: &Config) -> anyhow::Result<Auth> {
    let settings = AuthSettings {
        max_failures: config.login_max_failures,
        failure_window: config.login_window,
        web_idle_timeout: config.web_idle_timeout,
        ..AuthSettings::default()
    };
    Ok(Auth {
        hasher: PasswordHasher::owasp(),
        jwt: JwtKeys::new(&jwt_secret(config)?, settings.access_ttl)?,
        settings,
    })
}

/// The file of a `sqlite:` URL (`sqlite://wpt.db?mode=rwc` is `wpt.db`).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Writes a consistent copy of the database to `file` while it is in use: SQLite's
/// `VACUUM INTO`, or `pg_dump --format=custom` for PostgreSQL.
pub async fn backup(db: &Database, url: &str, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        anyhow::bail!("{} exists; choose a new file", file.display());
    }
    match db.backend() {
        wpt_db::Backend::Sqlite => {
            let target = file.to_str().context("the backup path must be UTF-8")?;
            sea_orm::ConnectionTrait::execute_raw(
                db.conn(),
                sea_orm::Statement::from_sql_and_values(
                    sea_orm::DbBackend::Sqlite,
                    "VACUUM INTO ?",
                    [target.into()],
                ),
            )
            .await
            .context("VACUUM INTO")?;
        }
        wpt_db::Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(file)
                .arg(url)
                .status()
                .context("running pg_dump (install postgresql-client)")?;
            if !status.success() {
                anyhow::bail!("pg_dump failed with {status}");
            }
        }
    }
    Ok(())
}

/// Restores a backup into the configured database, which must be empty (a fresh
/// SQLite file or a new PostgreSQL database), applies pending migrations (a backup from
/// before keying gets its seal then), then checks the audit chain with `key`.
///
/// Nothing here updates or deletes audit entries: the triggers that refuse it come back
/// with the backup (SQLite: in the file; PostgreSQL: `pg_restore` creates them after the
/// data), and loading rows into an empty table is an insert.
pub async fn restore(
    url: &str,
    file: &Path,
    key: AuditKey,
) -> anyhow::Result<wpt_domain::models::Verification> {
    if !file.exists() {
        anyhow::bail!("{} does not exist", file.display());
    }
    if url.starts_with("sqlite:") {
        let target = sqlite_path(url).context("WPT_DATABASE_URL names no SQLite file")?;
        if target.exists() {
            anyhow::bail!(
                "{} exists; restore into a new file (move the old one away first)",
                target.display()
            );
        }
        std::fs::copy(file, &target).with_context(|| format!("copying to {}", target.display()))?;
    } else {
        let status = std::process::Command::new("pg_restore")
            .args([
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
            ])
            .arg(url)
            .arg(file)
            .status()
            .context("running pg_restore (install postgresql-client)")?;
        if !status.success() {
            anyhow::bail!("pg_restore failed with {status}; the database must be empty");
        }
    }
    let db = Database::connect(url, 2).await?.with_audit_key(key);
    db.migrate_up()
        .await
        .context("migrating the restored database")?;
    Ok(wpt_db::audit::verify(&db).await?)
}

/// The whole application as `wpt serve` runs it: the API and the web pages.
pub fn app(state: wpt_api::AppState, settings: &wpt_api::ApiSettings) -> axum::Router {
    wpt_api::router_with_pages(state, settings, wpt_web::pages())
}

/// Ended sessions and expired refresh tokens are kept this long before a sweep deletes
/// them (the account page and the audit log are about standing ones; a week leaves
/// time to look into a session that just ended).
pub const PRUNE_RETAIN: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Runs one housekeeping sweep ([`wpt_db::auth::sessions::prune`]) every `interval`,
/// the first one `interval` after start-up; a failed sweep is logged and tried again at
/// the next tick.
pub fn spawn_pruning(
    db: wpt_db::Database,
    interval: std::time::Duration,
    login_window: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match wpt_db::auth::sessions::prune(&db, PRUNE_RETAIN, login_window).await {
                Ok(p) => tracing::info!(
                    sessions = p.sessions,
                    refresh_tokens = p.refresh_tokens,
                    login_attempts = p.login_attempts,
                    "pruned expired sessions"
                ),
                Err(e) => tracing::warn!(error = %e, "pruning sessions failed"),
            }
        }
    });
}

/// What `wpt serve` does about administrators before it listens: on a database without
/// an active administrator (whatever ran first: `wpt seed --demo`, `wpt user create`
/// of another role, an import), it creates one with the configured email and password
/// (`WPT_ADMIN_EMAIL`, `WPT_ADMIN_PASSWORD`), or a generated password.
pub async fn first_admin(
    db: &Database,
    hasher: &PasswordHasher,
    config: &Config,
) -> anyhow::Result<wpt_db::users::FirstAdmin> {
    Ok(wpt_db::users::ensure_first_admin(
        db,
        hasher,
        &config.admin_email,
        config.admin_password.as_ref().map(|s| s.0.as_str()),
    )
    .await?)
}

/// The lines `wpt serve` prints about logging in once it listens at `base` (such as
/// `http://127.0.0.1:8080`). A generated password goes to the terminal only, never to
/// the log.
pub fn login_lines(base: &str, first_admin: &wpt_db::users::FirstAdmin) -> Vec<String> {
    use wpt_db::users::FirstAdmin;
    match first_admin {
        FirstAdmin::Generated { email, password } => vec![
            format!(
                "  No active administrator, so one was created. Log in at {base}/ui/login or with POST /api/v1/auth/login:"
            ),
            format!("    email:    {email}"),
            format!("    password: {password}"),
            "  This password is shown once; change it under My account (or POST /api/v1/me/password).".to_owned(),
        ],
        FirstAdmin::Created { email } => vec![format!(
            "  No active administrator, so one was created: {email} (password from WPT_ADMIN_PASSWORD)"
        )],
        FirstAdmin::EmailTaken { email } => vec![
            format!(
                "  There is no active administrator, and {email} (WPT_ADMIN_EMAIL) is another account's, so none was created."
            ),
            "  Set WPT_ADMIN_EMAIL to an unused address and start again, or run `wpt user create --role admin`.".to_owned(),
        ],
        FirstAdmin::Exists => vec![format!(
            "  Log in at {base}/ui/login or with POST /api/v1/auth/login (wpt user set-password resets a password)."
        )],
    }
}
