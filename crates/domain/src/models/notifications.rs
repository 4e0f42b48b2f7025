//! The in-app inbox, the e-mail setting and the outbox as the API shows them (issue 17).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{EmailSetting, NoticeKind, OutboxStatus};

/// One notification of the caller's inbox.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Notification {
    /// Stable identifier.
    pub id: Uuid,
    /// Why it was sent.
    pub kind: NoticeKind,
    /// A one-line title.
    #[schema(example = "Your report for 26th SOMTC was returned")]
    pub title: String,
    /// The message.
    #[schema(example = "The secretariat returned DGICM's report for revision. The reason: ...")]
    pub body: String,
    /// The page it is about (a path of the pages, `/ui/...`).
    #[schema(example = "/ui/cycles/0190b8a2-0000-7000-8000-000000000000/submissions/DGICM")]
    pub link: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When the caller marked it read; `null` while unread.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the caller's inbox, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NotificationPage {
    /// The notifications of this page.
    pub items: Vec<Notification>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
    /// How many of the caller's notifications are unread (all pages).
    pub unread_count: u64,
}

/// The caller's notification settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NotificationSettings {
    /// When notices come by e-mail (the inbox always gets them). Security messages
    /// (password reset, invitation, a new sign-in to an administrator account) come
    /// whatever this says.
    pub email: EmailSetting,
}

/// One message of the mail outbox, as administrators see it (without its body).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutboxMessage {
    /// Stable identifier (also the left part of its `Message-ID`).
    pub id: Uuid,
    /// Why it was sent.
    pub kind: NoticeKind,
    /// The recipient's address.
    #[schema(example = "officer.dgicm@example.org")]
    pub to_address: String,
    /// The recipient's account, when it is one.
    pub recipient_user_id: Option<Uuid>,
    /// The subject line.
    #[schema(example = "[ASEAN TIP Work Plan Tracker] Reporting cycle opened: 26th SOMTC")]
    pub subject: String,
    /// Where it stands.
    pub status: OutboxStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (queued messages).
    pub next_attempt_at: DateTime<Utc>,
    /// What the SMTP server or the connection said at the last failed attempt.
    #[schema(example = "Connection refused (os error 111)")]
    pub last_error: Option<String>,
    /// The `Message-ID` header, stable across resends.
    #[schema(example = "<0190b8a2-0000-7000-8000-000000000000@wpt.example.org>")]
    pub message_id: String,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}
