//! The `wpt` binary's library half: configuration, start-up and serving, shared with
//! the integration tests so they exercise exactly what production runs.

pub mod config;
pub mod mail;

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
/// configured), link the audit entries a stopped process left unlinked, and apply the
/// reference data.
pub async fn prepare(
    db: &Database,
    migrate: bool,
    reference_text: &str,
    origin: &str,
) -> anyhow::Result<()> {
    if migrate {
        db.migrate_up().await.context("migrating the database")?;
    }
    // A process killed between a commit and its sealer's round left entries committed
    // but unlinked: link them before anything else is written. A failure is logged (the
    // background sealer tries again, `wpt audit verify` names what stops it).
    if let Err(e) = db.seal_audit().await {
        tracing::error!(error = %e, "linking the audit entries left unlinked failed");
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
    // A backup taken while writes ran may end in entries not linked yet.
    db.seal_audit()
        .await
        .context("linking the restored audit entries")?;
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

/// How often `wpt serve` links audit entries in the background (besides right after
/// every write): what another instance's killed process left unlinked is linked within
/// this.
pub const SEAL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Links committed but unlinked audit entries ([`Database::seal_audit`]) every
/// [`SEAL_INTERVAL`]; a failed round is logged and tried again at the next tick.
pub fn spawn_sealing(db: wpt_db::Database) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SEAL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = db.seal_audit().await {
                tracing::warn!(error = %e, "linking audit entries failed");
            }
        }
    });
}

/// How often `wpt serve` queues the reminders due (issue 17).
pub const REMINDER_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Queues the reminders due ([`wpt_db::cycles::send_due_reminders`]) a minute after
/// start-up and then every hour, with the clock of that moment. Each reminder is written
/// once per body and step (its dedupe key), so several instances and restarts send it
/// once; a failed run is logged and tried again at the next tick.
pub fn spawn_reminders(db: wpt_db::Database, days: wpt_domain::deadline::ReminderDays) {
    tokio::spawn(async move {
        let start = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut ticks = tokio::time::interval_at(start, REMINDER_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match wpt_db::cycles::send_due_reminders(&db, &days, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminders = n, "queued the reminders due"),
                Err(e) => tracing::warn!(error = %e, "queuing reminders failed"),
            }
        }
    });
}

/// The evidence files' store that `config` names (`WPT_STORAGE_URL`, `WPT_S3_ENDPOINT`
/// and the usual `AWS_*` variables).
pub fn storage(config: &Config) -> anyhow::Result<wpt_api::attachments::Storage> {
    let s3 = wpt_api::attachments::S3Settings {
        endpoint: config.s3_endpoint.clone(),
        ..Default::default()
    };
    wpt_api::attachments::Storage::from_url(&config.storage_url, &s3, config.attachment_max_bytes)
        .map_err(anyhow::Error::msg)
}

/// The folder beside a backup `FILE` that holds its evidence files: `FILE.files`.
pub fn files_beside(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".files");
    std::path::PathBuf::from(name)
}

/// The folder of a `file://` store, or `None` for a bucket.
fn storage_folder(config: &Config) -> Option<std::path::PathBuf> {
    config
        .storage_url
        .strip_prefix("file://")
        .map(std::path::PathBuf::from)
}

/// Copies every file of `from` into `to` (created), keeping what `to` has already
/// (objects are named by their content); how many were copied.
fn copy_files(from: &Path, to: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut copied = 0;
    if !from.exists() {
        return Ok(0);
    }
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        // Only finished objects: 64 hex characters (not a multipart upload's staging file).
        let is_object = name
            .to_str()
            .is_some_and(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()));
        if !entry.file_type()?.is_file() || !is_object {
            continue;
        }
        let target = to.join(&name);
        if !target.exists() {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// `wpt backup`'s second half: the evidence files of a `file://` store into
/// `FILE.files`; for a bucket, the line telling the operator to back it up with its own
/// tools (docs/operations.md).
pub fn backup_files(config: &Config, file: &Path) -> anyhow::Result<String> {
    match storage_folder(config) {
        Some(folder) => {
            let to = files_beside(file);
            if to.exists() {
                anyhow::bail!("{} exists already; a backup never overwrites", to.display());
            }
            let n = copy_files(&folder, &to)?;
            Ok(format!("evidence files: {n} copied to {}", to.display()))
        }
        None => Ok(format!(
            "evidence files are in {}: back up the bucket with its own tools (docs/operations.md)",
            config.storage_url
        )),
    }
}

/// `wpt restore`'s second half: the files of `FILE.files` into the `file://` store.
pub fn restore_files(config: &Config, file: &Path) -> anyhow::Result<String> {
    let from = files_beside(file);
    match storage_folder(config) {
        Some(folder) if from.exists() => {
            let n = copy_files(&from, &folder)?;
            Ok(format!(
                "evidence files: {n} restored into {}",
                folder.display()
            ))
        }
        Some(_) => Ok(format!(
            "evidence files: none beside the backup ({} does not exist)",
            from.display()
        )),
        None => Ok(format!(
            "evidence files are in {}: restore the bucket with its own tools if needed",
            config.storage_url
        )),
    }
}

/// Every `interval` (and once shortly after the start), deletes uploads nobody
/// attached within a day and the stored files no row names
/// ([`wpt_api::attachments::Storage::sweep`]). Several instances may sweep at once: a
/// deletion is idempotent.
pub fn spawn_attachment_sweep(
    storage: std::sync::Arc<wpt_api::attachments::Storage>,
    db: wpt_db::Database,
    interval: std::time::Duration,
) {
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut ticks = tokio::time::interval_at(first, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match storage.sweep(&db).await {
                Ok((rows, objects)) => {
                    tracing::info!(unattached = rows, objects, "swept evidence files")
                }
                Err(e) => tracing::warn!(error = %e, "sweeping evidence files failed"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(storage_url: &str) -> Config {
        let url = storage_url.to_owned();
        Config::load(None, move |k| (k == "WPT_STORAGE_URL").then(|| url.clone()))
            .expect("a configuration")
    }

    #[test]
    fn backup_and_restore_carry_the_folder_stores_files_and_only_finished_ones() {
        let from = tempfile::tempdir().expect("dir");
        let object = "a".repeat(64);
        std::fs::write(from.path().join(&object), b"evidence").expect("write");
        std::fs::write(from.path().join(format!("{object}#1")), b"staging").expect("write");
        let backups = tempfile::tempdir().expect("dir");
        let file = backups.path().join("wpt.backup");
        let said = backup_files(&config(&format!("file://{}", from.path().display())), &file)
            .expect("backup");
        assert!(said.contains("1 copied"), "{said}");
        let copy = files_beside(&file);
        assert_eq!(
            std::fs::read(copy.join(&object)).expect("copied"),
            b"evidence"
        );
        assert!(!copy.join(format!("{object}#1")).exists());
        assert!(
            backup_files(&config(&format!("file://{}", from.path().display())), &file).is_err(),
            "a backup never overwrites"
        );

        let to = tempfile::tempdir().expect("dir");
        let target = to.path().join("files");
        let said = restore_files(&config(&format!("file://{}", target.display())), &file)
            .expect("restore");
        assert!(said.contains("1 restored"), "{said}");
        assert_eq!(
            std::fs::read(target.join(&object)).expect("restored"),
            b"evidence"
        );

        let bucket = backup_files(&config("s3://bucket/prefix"), &file).expect("bucket");
        assert!(bucket.contains("back up the bucket"), "{bucket}");
    }
}
