//! Notices: the in-app inbox and the e-mail outbox, written with the event that causes
//! them (issue 17).
//!
//! **Interface.** A use case that wants people told calls
//! [`Write::notify`](crate::Write::notify)`(Notice { kind, to, subject, text, link,
//! dedupe_key })` on its open write, beside `record`. Nothing is written then: at
//! [`commit`](crate::Write::commit), in the same transaction and before the audit append
//! (which stays last), every notice is resolved with one query to its recipients (active
//! users only: [`Recipients::User`] one user, [`Recipients::BodyOfficers`] the officers of
//! a body, [`Recipients::Secretariat`] the secretariat role, [`Recipients::Address`] a bare
//! e-mail address for security mail such as an invitation; a user named twice gets it
//! once), then each user gets a row in `notifications` (the inbox) and, when mail is on
//! ([`Database::with_mail`](crate::Database::with_mail)), a row in `outbox` with a
//! plain-text and an HTML body rendered here ([`render`]) from `subject`, `text` and
//! `link` (a path such as `/ui/cycles/ID`, made absolute with `WPT_PUBLIC_URL`), plus why
//! the person got it and where to change the setting. The user's e-mail setting decides
//! the outbox row: `immediate` queued, `daily_digest` held for the digest, `off` none;
//! security kinds ([`NoticeKind::is_security`]) ignore it. `dedupe_key` (per notice; the
//! rows get `key:recipient`) makes a retried event or a reminder step write its rows once,
//! even from several instances (`ON CONFLICT DO NOTHING` on a unique column). So there is
//! no event without its message and no message without its event. `text` must hold only
//! what every recipient may see: never a password, a token or report content.
//! [`deliver`] leases and marks outbox rows for the delivery worker in `wpt serve`,
//! [`inbox`] reads and marks the inbox and the setting, [`admin`] lists the outbox.

pub mod admin;
pub mod deliver;
pub mod inbox;
pub mod render;
mod resolve;

use uuid::Uuid;

pub use wpt_domain::{EmailSetting, NoticeKind, OutboxStatus};

/// Something to tell people, written at commit with the write that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Why it is sent (also the e-mail's category).
    pub kind: NoticeKind,
    /// Who gets it.
    pub to: Recipients,
    /// The inbox title and the e-mail subject (the tracker's name is prefixed in mail).
    pub subject: String,
    /// The message, plain text, paragraphs separated by blank lines.
    pub text: String,
    /// The page it is about: a path (`/ui/...`) or an absolute URL (a security link).
    pub link: String,
    /// Written once per key and recipient (`None`: always written).
    pub dedupe_key: Option<String>,
}

/// Who gets a [`Notice`]; users are resolved at commit, active ones only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipients {
    /// One user (e.g. the proposer of an amendment).
    User(Uuid),
    /// Every active officer of the sectoral body with this id.
    BodyOfficers(Uuid),
    /// Every active member of the secretariat.
    Secretariat,
    /// A bare address, e-mail only, no inbox row: security mail such as an invitation.
    Address(String),
}

/// How messages are rendered and whether they are queued for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailConfig {
    /// The base of every link, without a trailing slash (`WPT_PUBLIC_URL`).
    pub public_url: String,
    /// Whether outbox rows are written (`WPT_SMTP_URL` set). Off: the inbox only.
    pub sending: bool,
}

impl MailConfig {
    /// Mail on, links based at `public_url`.
    pub fn sending(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            sending: true,
        }
    }

    /// Mail off: notices reach the in-app inbox only.
    pub fn off(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            sending: false,
        }
    }

    /// The host of the public URL, the right-hand side of every `Message-ID`.
    pub fn message_host(&self) -> &str {
        let rest = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, r)| r);
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = host.split(':').next().unwrap_or("");
        if host.is_empty() {
            "wpt.localhost"
        } else {
            host
        }
    }

    /// `link` made absolute.
    pub fn absolute(&self, link: &str) -> String {
        if link.starts_with("http://") || link.starts_with("https://") {
            link.to_owned()
        } else if link.starts_with('/') {
            format!("{}{link}", self.public_url)
        } else {
            format!("{}/{link}", self.public_url)
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self::off("http://localhost:8080")
    }
}

pub(crate) use resolve::write_notices;
