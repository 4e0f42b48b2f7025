//! Configuration: defaults, then an optional TOML file, then `WPT_*` environment
//! variables, each overriding the one before. docs/configuration.md lists every key.
//!
//! Every problem is reported as one line that says which setting is wrong and what
//! would be right; nothing here panics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// A secret setting: usable, but never printed by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://...` (the default) or `postgres://...`.
    pub database_url: String,
    /// Where the server listens.
    pub bind: SocketAddr,
    /// Log format.
    pub log_format: LogFormat,
    /// The reference-data file; the copy built into the binary when it does not exist.
    pub reference_data: PathBuf,
    /// Whether `wpt serve` applies pending migrations before serving.
    pub migrate_on_start: bool,
    /// Largest number of pooled database connections.
    pub db_max_connections: u32,
    /// How long one request may take.
    pub request_timeout: Duration,
    /// Where the server keeps files of its own (the generated signing secret).
    pub data_dir: PathBuf,
    /// The access-token signing secret; generated into `data_dir` when absent.
    pub jwt_secret: Option<Secret>,
    /// The key of the audit chain and of edition signatures (not the token secret);
    /// generated into `data_dir` when absent.
    pub audit_key: Option<Secret>,
    /// Email of the administrator created on a start without an active one.
    pub admin_email: String,
    /// Its password; generated and printed once when absent.
    pub admin_password: Option<Secret>,
    /// Browser origins allowed by CORS; empty: CORS off.
    pub cors_origins: Vec<String>,
    /// Submissions are due this many days before the meeting unless a cycle says otherwise.
    pub submission_lead_days: u32,
    /// The secretariat's review is due this many days before the meeting.
    pub review_lead_days: u32,
    /// The token `GET /metrics` requires; unset: metrics are not served.
    pub metrics_token: Option<Secret>,
    /// Reverse proxies whose `X-Forwarded-For`/`Forwarded` name the client; none by
    /// default (the socket's peer is the client).
    pub trusted_proxies: wpt_api::client::TrustedProxies,
    /// Wrong passwords per account and client address in a window before that address
    /// is refused for the account.
    pub login_max_failures: u32,
    /// Wrong passwords per client address, any accounts, in a window.
    pub login_address_failures: u32,
    /// The window of both, in seconds.
    pub login_window: Duration,
    /// A web page session unused this long ends.
    pub web_idle_timeout: Duration,
    /// How often `wpt serve` prunes expired sessions and refresh tokens.
    pub prune_interval: Duration,
    /// Writes each user may make per minute (per process).
    pub write_rate: u32,
    /// Reports that may render at once (per process).
    pub report_renders: u32,
    /// Where evidence files are stored: `file:///folder` (default: `data_dir/files`) or
    /// `s3://bucket/prefix`.
    pub storage_url: String,
    /// The largest evidence file, in bytes.
    pub attachment_max_bytes: u64,
    /// The endpoint of an S3-compatible server (`WPT_S3_ENDPOINT`).
    pub s3_endpoint: Option<String>,
    /// Mail: SMTP, sender, public URL, delivery worker (crate::mail).
    pub mail: crate::mail::MailSettings,
    /// Days before a body's due day on which reminders go out (`WPT_REMINDER_DAYS`,
    /// default `14,7,1`); the due day and every 7 days after it always remind.
    pub reminder_days: wpt_domain::deadline::ReminderDays,
}

/// The file and environment keys, all optional; `None` means "not set here".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    database_url: Option<String>,
    bind: Option<String>,
    log_format: Option<String>,
    reference_data: Option<String>,
    migrate_on_start: Option<String>,
    db_max_connections: Option<String>,
    request_timeout_secs: Option<String>,
    data_dir: Option<String>,
    jwt_secret: Option<String>,
    audit_key: Option<String>,
    admin_email: Option<String>,
    admin_password: Option<String>,
    cors_origins: Option<String>,
    submission_lead_days: Option<String>,
    review_lead_days: Option<String>,
    metrics_token: Option<String>,
    trusted_proxies: Option<String>,
    login_max_failures: Option<String>,
    login_address_failures: Option<String>,
    login_window_secs: Option<String>,
    web_idle_timeout_secs: Option<String>,
    prune_interval_secs: Option<String>,
    write_rate: Option<String>,
    report_renders: Option<String>,
    storage_url: Option<String>,
    attachment_max_bytes: Option<String>,
    s3_endpoint: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    public_url: Option<String>,
    mail_give_up_secs: Option<String>,
    mail_retry_secs: Option<String>,
    mail_poll_secs: Option<String>,
    mail_digest_hour: Option<String>,
    reminder_days: Option<String>,
}

/// The keys in the order docs/configuration.md lists them: `(file key, env var)`.
const KEYS: &[(&str, &str)] = &[
    ("database_url", "WPT_DATABASE_URL"),
    ("bind", "WPT_BIND"),
    ("log_format", "WPT_LOG_FORMAT"),
    ("reference_data", "WPT_REFERENCE_DATA"),
    ("migrate_on_start", "WPT_MIGRATE_ON_START"),
    ("db_max_connections", "WPT_DB_MAX_CONNECTIONS"),
    ("request_timeout_secs", "WPT_REQUEST_TIMEOUT_SECS"),
    ("data_dir", "WPT_DATA_DIR"),
    ("jwt_secret", "WPT_JWT_SECRET"),
    ("audit_key", "WPT_AUDIT_KEY"),
    ("admin_email", "WPT_ADMIN_EMAIL"),
    ("admin_password", "WPT_ADMIN_PASSWORD"),
    ("cors_origins", "WPT_CORS_ORIGINS"),
    ("submission_lead_days", "WPT_SUBMISSION_LEAD_DAYS"),
    ("review_lead_days", "WPT_REVIEW_LEAD_DAYS"),
    ("metrics_token", "WPT_METRICS_TOKEN"),
    ("trusted_proxies", "WPT_TRUSTED_PROXIES"),
    ("login_max_failures", "WPT_LOGIN_MAX_FAILURES"),
    ("login_address_failures", "WPT_LOGIN_ADDRESS_FAILURES"),
    ("login_window_secs", "WPT_LOGIN_WINDOW_SECS"),
    ("web_idle_timeout_secs", "WPT_WEB_IDLE_TIMEOUT_SECS"),
    ("prune_interval_secs", "WPT_PRUNE_INTERVAL_SECS"),
    ("write_rate", "WPT_WRITE_RATE"),
    ("report_renders", "WPT_REPORT_RENDERS"),
    ("storage_url", "WPT_STORAGE_URL"),
    ("attachment_max_bytes", "WPT_ATTACHMENT_MAX_BYTES"),
    ("s3_endpoint", "WPT_S3_ENDPOINT"),
    ("smtp_url", "WPT_SMTP_URL"),
    ("mail_from", "WPT_MAIL_FROM"),
    ("public_url", "WPT_PUBLIC_URL"),
    ("mail_give_up_secs", "WPT_MAIL_GIVE_UP_SECS"),
    ("mail_retry_secs", "WPT_MAIL_RETRY_SECS"),
    ("mail_poll_secs", "WPT_MAIL_POLL_SECS"),
    ("mail_digest_hour", "WPT_MAIL_DIGEST_HOUR"),
    ("reminder_days", "WPT_REMINDER_DAYS"),
];

/// A configuration problem, as one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the optional file, then the environment (through `env`, so tests can
    /// pass their own), and validates the result.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut raw = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!("cannot read config file {}: {e}", path.display()))
                })?;
                toml_file(&text)
                    .map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))?
            }
            None => RawConfig::default(),
        };
        for (key, var) in KEYS {
            if let Some(value) = env(var) {
                let slot = match *key {
                    "database_url" => &mut raw.database_url,
                    "bind" => &mut raw.bind,
                    "log_format" => &mut raw.log_format,
                    "reference_data" => &mut raw.reference_data,
                    "migrate_on_start" => &mut raw.migrate_on_start,
                    "db_max_connections" => &mut raw.db_max_connections,
                    "data_dir" => &mut raw.data_dir,
                    "jwt_secret" => &mut raw.jwt_secret,
                    "audit_key" => &mut raw.audit_key,
                    "admin_email" => &mut raw.admin_email,
                    "admin_password" => &mut raw.admin_password,
                    "cors_origins" => &mut raw.cors_origins,
                    "submission_lead_days" => &mut raw.submission_lead_days,
                    "review_lead_days" => &mut raw.review_lead_days,
                    "metrics_token" => &mut raw.metrics_token,
                    "trusted_proxies" => &mut raw.trusted_proxies,
                    "login_max_failures" => &mut raw.login_max_failures,
                    "login_address_failures" => &mut raw.login_address_failures,
                    "login_window_secs" => &mut raw.login_window_secs,
                    "web_idle_timeout_secs" => &mut raw.web_idle_timeout_secs,
                    "prune_interval_secs" => &mut raw.prune_interval_secs,
                    "write_rate" => &mut raw.write_rate,
                    "report_renders" => &mut raw.report_renders,
                    "storage_url" => &mut raw.storage_url,
                    "attachment_max_bytes" => &mut raw.attachment_max_bytes,
                    "s3_endpoint" => &mut raw.s3_endpoint,
                    "smtp_url" => &mut raw.smtp_url,
                    "mail_from" => &mut raw.mail_from,
                    "public_url" => &mut raw.public_url,
                    "mail_give_up_secs" => &mut raw.mail_give_up_secs,
                    "mail_retry_secs" => &mut raw.mail_retry_secs,
                    "mail_poll_secs" => &mut raw.mail_poll_secs,
                    "mail_digest_hour" => &mut raw.mail_digest_hour,
                    "reminder_days" => &mut raw.reminder_days,
                    _ => &mut raw.request_timeout_secs,
                };
                *slot = Some(value);
            }
        }
        Self::validate(raw)
    }

    fn validate(raw: RawConfig) -> Result<Self, ConfigError> {
        let database_url = raw
            .database_url
            .unwrap_or_else(|| "sqlite://wpt.db?mode=rwc".to_owned());
        let known_scheme = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|s| database_url.starts_with(s));
        if !known_scheme {
            return Err(ConfigError(
                "WPT_DATABASE_URL must start with sqlite:, postgres:// or postgresql:// (e.g. sqlite://wpt.db?mode=rwc)".into(),
            ));
        }
        let bind_text = raw.bind.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind = bind_text.parse().map_err(|_| {
            ConfigError(format!(
                "WPT_BIND {bind_text:?} is not an address and port such as 127.0.0.1:8080"
            ))
        })?;
        let log_format = match raw.log_format.as_deref().unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError(format!(
                    "WPT_LOG_FORMAT {other:?} must be pretty or json"
                )));
            }
        };
        let migrate_on_start = match raw.migrate_on_start.as_deref().unwrap_or("true") {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            other => {
                return Err(ConfigError(format!(
                    "WPT_MIGRATE_ON_START {other:?} must be true or false"
                )));
            }
        };
        let db_max_connections = number(
            raw.db_max_connections.as_deref(),
            "WPT_DB_MAX_CONNECTIONS",
            10,
            1..=1000,
        )?;
        let timeout = number(
            raw.request_timeout_secs.as_deref(),
            "WPT_REQUEST_TIMEOUT_SECS",
            30,
            1..=3600,
        )?;
        if let Some(secret) = &raw.jwt_secret
            && secret.len() < 32
        {
            return Err(ConfigError(
                "WPT_JWT_SECRET must be at least 32 bytes (or unset, to generate one in WPT_DATA_DIR)".into(),
            ));
        }
        if let Some(key) = &raw.audit_key {
            if key.len() < 32 {
                return Err(ConfigError(
                    "WPT_AUDIT_KEY must be at least 32 bytes (or unset, to generate one in WPT_DATA_DIR)".into(),
                ));
            }
            if raw.jwt_secret.as_ref() == Some(key) {
                return Err(ConfigError(
                    "WPT_AUDIT_KEY must differ from WPT_JWT_SECRET: whoever can sign tokens must not also be able to rewrite the audit log".into(),
                ));
            }
        }
        if let Some(password) = &raw.admin_password
            && password.chars().count() < 12
        {
            return Err(ConfigError(
                "WPT_ADMIN_PASSWORD must be at least 12 characters (or unset, to generate one)"
                    .into(),
            ));
        }
        let admin_email = raw
            .admin_email
            .unwrap_or_else(|| "admin@wpt.local".to_owned())
            .trim()
            .to_lowercase();
        if !admin_email.contains('@') {
            return Err(ConfigError(format!(
                "WPT_ADMIN_EMAIL {admin_email:?} is not an email address"
            )));
        }
        let cors_origins: Vec<String> = raw
            .cors_origins
            .unwrap_or_default()
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| !(o.starts_with("https://") || o.starts_with("http://")))
        {
            return Err(ConfigError(format!(
                "WPT_CORS_ORIGINS entry {bad:?} must be an origin such as https://dashboard.example.org"
            )));
        }
        let submission_lead_days = number(
            raw.submission_lead_days.as_deref(),
            "WPT_SUBMISSION_LEAD_DAYS",
            30,
            1..=365,
        )?;
        let review_lead_days = number(
            raw.review_lead_days.as_deref(),
            "WPT_REVIEW_LEAD_DAYS",
            14,
            0..=365,
        )?;
        if review_lead_days > submission_lead_days {
            return Err(ConfigError("WPT_REVIEW_LEAD_DAYS must not exceed WPT_SUBMISSION_LEAD_DAYS: the review follows the submissions".into()));
        }
        if let Some(t) = &raw.metrics_token
            && t.len() < 16
        {
            return Err(ConfigError(
                "WPT_METRICS_TOKEN must be at least 16 characters (or unset: no metrics)".into(),
            ));
        }
        let trusted_proxies =
            wpt_api::client::TrustedProxies::parse(raw.trusted_proxies.as_deref().unwrap_or(""))
                .map_err(|e| ConfigError(format!("WPT_TRUSTED_PROXIES entry {e}")))?;
        let login_max_failures = number(
            raw.login_max_failures.as_deref(),
            "WPT_LOGIN_MAX_FAILURES",
            5,
            1..=100,
        )?;
        let login_address_failures = number(
            raw.login_address_failures.as_deref(),
            "WPT_LOGIN_ADDRESS_FAILURES",
            20,
            1..=100_000,
        )?;
        let login_window_secs = number(
            raw.login_window_secs.as_deref(),
            "WPT_LOGIN_WINDOW_SECS",
            900,
            60..=86_400,
        )?;
        let web_idle_timeout_secs = number(
            raw.web_idle_timeout_secs.as_deref(),
            "WPT_WEB_IDLE_TIMEOUT_SECS",
            1800,
            60..=43_200,
        )?;
        let prune_interval_secs = number(
            raw.prune_interval_secs.as_deref(),
            "WPT_PRUNE_INTERVAL_SECS",
            3600,
            60..=604_800,
        )?;
        let write_rate = number(
            raw.write_rate.as_deref(),
            "WPT_WRITE_RATE",
            120,
            1..=100_000,
        )?;
        let report_renders = number(
            raw.report_renders.as_deref(),
            "WPT_REPORT_RENDERS",
            4,
            1..=64,
        )?;
        let data_dir = PathBuf::from(raw.data_dir.unwrap_or_else(|| "data/local".to_owned()));
        let storage_url = match raw.storage_url.filter(|u| !u.trim().is_empty()) {
            Some(u) if u.starts_with("file://") || u.starts_with("s3://") => u,
            Some(u) => {
                return Err(ConfigError(format!(
                    "WPT_STORAGE_URL {u:?} must be file:///folder or s3://bucket/prefix"
                )));
            }
            None => {
                let folder = data_dir.join("files");
                let folder = std::path::absolute(&folder).unwrap_or(folder);
                format!("file://{}", folder.display())
            }
        };
        let attachment_max_bytes = match raw.attachment_max_bytes.as_deref() {
            None => wpt_api::attachments::DEFAULT_MAX_BYTES,
            Some(t) => match t.parse::<u64>() {
                Ok(n) if (1..=(4u64 << 30)).contains(&n) => n,
                _ => {
                    return Err(ConfigError(format!(
                        "WPT_ATTACHMENT_MAX_BYTES {t:?} must be a whole number of bytes from 1 to 4294967296"
                    )));
                }
            },
        };
        let mail = crate::mail::MailSettings {
            smtp_url: raw.smtp_url.filter(|u| !u.trim().is_empty()).map(Secret),
            from: raw.mail_from.unwrap_or_else(|| "wpt@localhost".to_owned()),
            public_url: raw
                .public_url
                .unwrap_or_else(|| format!("http://{bind}"))
                .trim_end_matches('/')
                .to_owned(),
            give_up: Duration::from_secs(u64::from(number(
                raw.mail_give_up_secs.as_deref(),
                "WPT_MAIL_GIVE_UP_SECS",
                172_800,
                60..=2_592_000,
            )?)),
            retry: Duration::from_secs(u64::from(number(
                raw.mail_retry_secs.as_deref(),
                "WPT_MAIL_RETRY_SECS",
                60,
                1..=86_400,
            )?)),
            poll: Duration::from_secs(u64::from(number(
                raw.mail_poll_secs.as_deref(),
                "WPT_MAIL_POLL_SECS",
                5,
                1..=86_400,
            )?)),
            digest_hour: number(
                raw.mail_digest_hour.as_deref(),
                "WPT_MAIL_DIGEST_HOUR",
                7,
                0..=23,
            )?,
        };
        mail.check().map_err(ConfigError)?;
        let reminder_days = match raw.reminder_days.as_deref() {
            None => wpt_domain::deadline::ReminderDays::default(),
            Some(t) => wpt_domain::deadline::ReminderDays::parse(t).map_err(|e| {
                ConfigError(format!(
                    "WPT_REMINDER_DAYS {t:?}: {e}; give days before the due date such as 14,7,1"
                ))
            })?,
        };
        Ok(Config {
            reminder_days,
            mail,
            write_rate,
            report_renders,
            web_idle_timeout: Duration::from_secs(u64::from(web_idle_timeout_secs)),
            prune_interval: Duration::from_secs(u64::from(prune_interval_secs)),
            trusted_proxies,
            login_max_failures,
            login_address_failures,
            login_window: Duration::from_secs(u64::from(login_window_secs)),
            metrics_token: raw.metrics_token.map(Secret),
            submission_lead_days,
            review_lead_days,
            storage_url,
            attachment_max_bytes,
            s3_endpoint: raw.s3_endpoint.filter(|u| !u.trim().is_empty()),
            data_dir,
            jwt_secret: raw.jwt_secret.map(Secret),
            audit_key: raw.audit_key.map(Secret),
            admin_email,
            admin_password: raw.admin_password.map(Secret),
            cors_origins,
            database_url,
            bind,
            log_format,
            reference_data: PathBuf::from(
                raw.reference_data
                    .unwrap_or_else(|| "data/reference.toml".to_owned()),
            ),
            migrate_on_start,
            db_max_connections,
            request_timeout: Duration::from_secs(u64::from(timeout)),
        })
    }
}

fn toml_file(text: &str) -> Result<RawConfig, String> {
    // Values in the file may be written as TOML numbers or booleans; they are read as
    // text so that the file and the environment go through one validation.
    let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_owned())?;
    let mut strings = toml::Table::new();
    for (key, value) in table {
        let text = match value {
            toml::Value::String(s) => s,
            other => other.to_string(),
        };
        strings.insert(key, toml::Value::String(text));
    }
    RawConfig::deserialize(strings).map_err(|e| e.message().to_owned())
}

fn number(
    text: Option<&str>,
    var: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, ConfigError> {
    match text {
        None => Ok(default),
        Some(t) => match t.parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError(format!(
                "{var} {t:?} must be a whole number from {} to {}",
                range.start(),
                range.end()
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_serve_sqlite_on_localhost() {
        let c = Config::load(None, env(&[])).expect("defaults are valid");
        assert_eq!(c.database_url, "sqlite://wpt.db?mode=rwc");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.log_format, LogFormat::Pretty);
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("wpt.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\ndb_max_connections = 4\n").expect("write");
        let c = Config::load(Some(&file), env(&[("WPT_BIND", "127.0.0.1:9001")])).expect("valid");
        assert_eq!(c.bind.to_string(), "127.0.0.1:9001");
        assert_eq!(c.db_max_connections, 4);
    }

    #[test]
    fn each_bad_setting_is_one_line_naming_it() {
        for (var, value) in [
            ("WPT_BIND", "localhost"),
            ("WPT_DATABASE_URL", "mysql://x"),
            ("WPT_LOG_FORMAT", "xml"),
            ("WPT_DB_MAX_CONNECTIONS", "0"),
            ("WPT_MIGRATE_ON_START", "maybe"),
            ("WPT_JWT_SECRET", "too-short"),
            ("WPT_AUDIT_KEY", "too-short"),
            ("WPT_ADMIN_PASSWORD", "short"),
            ("WPT_CORS_ORIGINS", "example.org"),
            ("WPT_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("WPT_TRUSTED_PROXIES", "proxy.example.org"),
            ("WPT_LOGIN_MAX_FAILURES", "0"),
            ("WPT_LOGIN_ADDRESS_FAILURES", "many"),
            ("WPT_LOGIN_WINDOW_SECS", "10"),
        ] {
            let err = Config::load(None, env(&[(var, value)])).expect_err(var);
            assert!(err.0.contains(var), "{err}");
            assert!(!err.0.contains('\n'));
        }
    }

    #[test]
    fn nothing_is_a_trusted_proxy_unless_listed() {
        let c = Config::load(None, env(&[])).expect("defaults");
        assert!(c.trusted_proxies.is_empty());
        assert_eq!((c.login_max_failures, c.login_address_failures), (5, 20));
        let c = Config::load(
            None,
            env(&[
                ("WPT_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
                ("WPT_LOGIN_WINDOW_SECS", "600"),
            ]),
        )
        .expect("valid");
        assert!(c.trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
        assert!(c.trusted_proxies.contains("::1".parse().expect("ip")));
        assert!(!c.trusted_proxies.contains("192.0.2.1".parse().expect("ip")));
        assert_eq!(c.login_window.as_secs(), 600);
    }

    #[test]
    fn the_audit_key_is_not_the_token_secret() {
        let same = "x".repeat(40);
        let err = Config::load(
            None,
            env(&[("WPT_JWT_SECRET", &same), ("WPT_AUDIT_KEY", &same)]),
        )
        .expect_err("the same secret twice");
        assert!(err.0.contains("WPT_AUDIT_KEY"), "{err}");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("wpt.toml");
        std::fs::write(&file, "bnid = \"x\"\n").expect("write");
        let err = Config::load(Some(&file), env(&[])).expect_err("typo");
        assert!(err.0.contains("bnid"), "{err}");
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = Config::load(None, |k| match k {
            "WPT_JWT_SECRET" => Some("s".repeat(40)),
            "WPT_AUDIT_KEY" => Some("k".repeat(40)),
            "WPT_ADMIN_PASSWORD" => Some("a very long password".into()),
            _ => None,
        })
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("ssssssss")
                && !shown.contains("kkkkkkkk")
                && !shown.contains("very long"),
            "{shown}"
        );
    }
}
