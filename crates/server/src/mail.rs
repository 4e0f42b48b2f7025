//! Sending mail: the SMTP settings (`WPT_SMTP_URL`, `WPT_MAIL_FROM`, `WPT_PUBLIC_URL`,
//! ...), the transport built from them with `lettre` (TLS, STARTTLS or none; optional
//! authentication), and the delivery worker `wpt serve` spawns, which leases due outbox
//! rows (`wpt_db::notify::deliver`), sends them and marks them sent, retried or failed.
//! The rows themselves are written by the use cases, in their own transaction.

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use wpt_db::Database;
use wpt_db::notify::deliver::{self, Leased, Outcome};

use crate::config::Secret;

/// How long a worker holds the rows it leased; a worker that dies mid-send lets them
/// go after this, and another sends them (with the same `Message-ID`).
pub const LEASE: Duration = Duration::from_secs(300);

/// Rows leased at a time.
const BATCH: u64 = 20;

/// The mail settings (docs/configuration.md).
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587?tls=starttls`; `None`: mail is off, notices go to the
    /// in-app inbox only and no outbox row is written.
    pub smtp_url: Option<Secret>,
    /// The sender address (`WPT_MAIL_FROM`), optionally `Name <address>`.
    pub from: String,
    /// The base of every link in a message (`WPT_PUBLIC_URL`), no trailing slash.
    pub public_url: String,
    /// A message not sent this long after it was queued is marked failed.
    pub give_up: Duration,
    /// The first retry waits this long; each next one twice as long (at most 6 h).
    pub retry: Duration,
    /// How often the worker looks for due messages.
    pub poll: Duration,
    /// The hour (UTC) daily digests are sent.
    pub digest_hour: u32,
}

impl MailSettings {
    /// Checks what can be checked without connecting: the URL's form and the sender.
    pub fn check(&self) -> Result<(), String> {
        if let Some(url) = &self.smtp_url {
            SmtpUrl::parse(&url.0)?;
        }
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("WPT_MAIL_FROM {:?} is not an address: {e}", self.from))?;
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return Err(format!(
                "WPT_PUBLIC_URL {:?} must start with http:// or https:// (the base of every link in a message)",
                self.public_url
            ));
        }
        Ok(())
    }

    /// What the database needs: whether to queue mail, and the links' base.
    pub fn db_config(&self) -> wpt_db::notify::MailConfig {
        if self.smtp_url.is_some() {
            wpt_db::notify::MailConfig::sending(&self.public_url)
        } else {
            wpt_db::notify::MailConfig::off(&self.public_url)
        }
    }
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    /// Host name or address.
    pub host: String,
    /// Port (default 587 for STARTTLS, 465 for TLS, 25 for none).
    pub port: u16,
    /// User and password, percent-decoded.
    pub credentials: Option<(String, String)>,
    /// How the connection is secured.
    pub tls: Tls,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (`smtps://` or `tls=tls`).
    Tls,
    /// No encryption: only for a local test server.
    None,
}

impl SmtpUrl {
    /// Parses `smtp[s]://[user[:pass]@]host[:port][?tls=starttls|tls|none]`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "WPT_SMTP_URL {why}: expected smtp://user:pass@host:587?tls=starttls (tls=starttls, tls or none; smtps:// means tls)"
            )
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("has no scheme"))?;
        let mut tls = match scheme {
            "smtp" => Tls::StartTls,
            "smtps" => Tls::Tls,
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", "starttls")) => tls = Tls::StartTls,
                Some(("tls", "tls")) => tls = Tls::Tls,
                Some(("tls", "none")) => tls = Tls::None,
                _ => return Err(bad(&format!("has an unknown parameter {pair:?}"))),
            }
        }
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let credentials = userinfo
            .map(|u| {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                Ok::<_, String>((percent_decode(user)?, percent_decode(pass)?))
            })
            .transpose()
            .map_err(|e| bad(&e))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_owned(),
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("has a bad port {p:?}")))?,
            ),
            None => (
                hostport.to_owned(),
                match tls {
                    Tls::StartTls => 587,
                    Tls::Tls => 465,
                    Tls::None => 25,
                },
            ),
        };
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        Ok(Self {
            host,
            port,
            credentials,
            tls,
        })
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "has a bad %-escape in the user or password".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "has a user or password that is not UTF-8".to_owned())
}

/// A connected-on-demand SMTP sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

/// Why a message was not sent.
#[derive(Debug)]
pub struct SendError {
    /// The server or connection's answer.
    pub message: String,
    /// A 5xx answer (or a message that cannot be built): retrying will not help.
    pub permanent: bool,
}

impl Mailer {
    /// The sender `settings` describe; `None` when mail is off.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Option<Self>> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        let url = SmtpUrl::parse(&url.0).map_err(anyhow::Error::msg)?;
        let builder = match url.tls {
            Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&url.host)
                .context("WPT_SMTP_URL: STARTTLS setup")?,
            Tls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&url.host)
                .context("WPT_SMTP_URL: TLS setup")?,
            Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host),
        };
        let mut builder = builder
            .port(url.port)
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, pass)) = url.credentials {
            builder = builder.credentials(Credentials::new(user, pass));
        }
        let from = settings
            .from
            .parse::<Mailbox>()
            .context("WPT_MAIL_FROM is not an address")?;
        Ok(Some(Self {
            transport: builder.build(),
            from,
        }))
    }

    /// Sends one multipart (text and HTML) message; the server's answer.
    pub async fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
        message_id: &str,
    ) -> Result<String, SendError> {
        let permanent = |message: String| SendError {
            message,
            permanent: true,
        };
        let to: Mailbox = to
            .parse()
            .map_err(|e| permanent(format!("the recipient {to:?} is not an address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                text.to_owned(),
                html.to_owned(),
            ))
            .map_err(|e| permanent(format!("the message cannot be built: {e}")))?;
        match self.transport.send(message).await {
            Ok(response) => Ok(format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) => Err(SendError {
                message: error_chain(&e),
                permanent: e.is_permanent(),
            }),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// One round of the worker: gathers due digests, then sends every due message (in
/// batches), as `worker`. How many were sent.
pub async fn deliver_due(
    db: &Database,
    mailer: &Mailer,
    settings: &MailSettings,
    worker: &str,
) -> anyhow::Result<usize> {
    deliver::gather_digests(db, chrono::Utc::now(), settings.digest_hour).await?;
    let mut sent = 0;
    loop {
        let rows = deliver::lease(db, worker, chrono::Utc::now(), LEASE, BATCH).await?;
        let n = rows.len();
        for row in rows {
            if send_one(db, mailer, settings, worker, &row).await? {
                sent += 1;
            }
        }
        if n < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(sent);
        }
    }
}

async fn send_one(
    db: &Database,
    mailer: &Mailer,
    settings: &MailSettings,
    worker: &str,
    row: &Leased,
) -> anyhow::Result<bool> {
    // Earlier rows of the batch may have taken long: send only while this worker still
    // holds the row's lease (renewed for the send), so no message goes out twice.
    if !deliver::renew_lease(db, row, worker, chrono::Utc::now(), LEASE).await? {
        tracing::warn!(id = %row.id, kind = %row.kind, "mail not sent: the lease ran out; left to whoever holds it");
        return Ok(false);
    }
    match mailer
        .send(
            &row.to_address,
            &row.subject,
            &row.text_body,
            &row.html_body,
            &row.message_id,
        )
        .await
    {
        Ok(answer) => {
            let marked = deliver::mark_sent(db, row, worker).await?;
            tracing::info!(id = %row.id, kind = %row.kind, %answer, marked, "mail sent");
            Ok(true)
        }
        Err(e) => {
            let outcome = deliver::mark_attempt_failed(
                db,
                row,
                worker,
                &e.message,
                e.permanent,
                settings.retry,
                settings.give_up,
            )
            .await?;
            match outcome {
                Outcome::Retry(at) => {
                    tracing::warn!(id = %row.id, kind = %row.kind, error = %e.message, retry_at = %at, "mail not sent; will retry");
                }
                Outcome::Failed => {
                    tracing::error!(id = %row.id, kind = %row.kind, error = %e.message, "mail failed; given up (an administrator may retry it)");
                }
                Outcome::LeaseLost => {}
            }
            Ok(false)
        }
    }
}

/// A name for this worker, unique per process.
pub fn worker_name() -> String {
    let host = hostname_or_local();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}:{}:{nanos:09}", std::process::id())
}

fn hostname_or_local() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "local".to_owned())
}

/// Spawns the delivery worker: a round every `settings.poll` (the first at once); a
/// failed round is logged and tried again at the next tick. Nothing when mail is off.
pub fn spawn_delivery(db: Database, settings: MailSettings) -> anyhow::Result<bool> {
    let Some(mailer) = Mailer::new(&settings)? else {
        return Ok(false);
    };
    let worker = worker_name();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(settings.poll);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = deliver_due(&db, &mailer, &settings, &worker).await {
                tracing::warn!(error = %format!("{e:#}"), "mail delivery round failed");
            }
        }
    });
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_read_with_their_tls_mode_port_and_credentials() {
        let u = SmtpUrl::parse("smtp://user%40x:p%3Ass@mail.example.org:587?tls=starttls")
            .expect("valid");
        assert_eq!(u.host, "mail.example.org");
        assert_eq!(u.port, 587);
        assert_eq!(u.tls, Tls::StartTls);
        assert_eq!(u.credentials, Some(("user@x".into(), "p:ss".into())));
        assert_eq!(SmtpUrl::parse("smtps://h").expect("valid").port, 465);
        let none = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").expect("valid");
        assert_eq!((none.tls, none.credentials), (Tls::None, None));
        for bad in [
            "http://h",
            "smtp://",
            "smtp://h:port",
            "smtp://h?tls=maybe",
            "smtp://u:%zz@h",
        ] {
            let e = SmtpUrl::parse(bad).expect_err(bad);
            assert!(e.starts_with("WPT_SMTP_URL"), "{e}");
        }
    }
}
