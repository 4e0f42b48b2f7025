//! The tracker's closed vocabularies.
//!
//! Each is stored as text in the database (with a CHECK constraint in the migration)
//! and serialized with the same spelling in JSON, so one string means one thing
//! everywhere: `as_str` and `FromStr` are the only conversions.

use serde::{Deserialize, Serialize};

/// An unknown value for one of the vocabularies below.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}; expected one of: {expected}")]
pub struct UnknownVariant {
    /// Which vocabulary.
    pub kind: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted spellings, comma-separated.
    pub expected: String,
}

macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal $(, example = $example:literal)? {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialized spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        // Written by hand: the derive would name the variants as Rust spells them, not
        // as they are serialized.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let schema = utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]));
                // The value the OpenAPI document's examples show (else the first).
                $(let schema = schema.examples([$example]);)?
                schema.into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// The ASEAN Community pillar a sectoral body belongs to.
    Pillar, "pillar" {
        /// ASEAN Political-Security Community.
        Apsc => "APSC",
        /// ASEAN Economic Community.
        Aec => "AEC",
        /// ASEAN Socio-Cultural Community.
        Ascc => "ASCC",
    }
}

text_enum! {
    /// The life stage of a work plan.
    WorkPlanStatus, "work plan status", example = "active" {
        /// Being prepared; not yet adopted.
        Draft => "draft",
        /// The plan being implemented now.
        Active => "active",
        /// A finished plan kept for the record.
        Archived => "archived",
    }
}

text_enum! {
    /// How a sectoral body takes part in a work plan.
    ParticipationRole, "participation role", example = "member" {
        /// Leads the whole plan (SOMTC for the TIP work plans).
        Lead => "lead",
        /// Takes part in the plan.
        Member => "member",
    }
}

text_enum! {
    /// How a sectoral body takes part in one activity.
    AssignmentRole, "assignment role" {
        /// The one body that leads the activity.
        Lead => "lead",
        /// A body that cooperates on the activity and reports its own part.
        Cooperating => "cooperating",
    }
}

text_enum! {
    /// What an indicator measures.
    IndicatorMeasure, "indicator measure" {
        /// A count or amount.
        Number => "number",
        /// A share from 0 to 100.
        Percent => "percent",
        /// A described, not counted, result.
        Qualitative => "qualitative",
    }
}

text_enum! {
    /// What a user may do; see the roles table in docs/security.md.
    Role, "role", example = "officer" {
        /// Users, bodies, work plans, and everything the secretariat may do.
        Admin => "admin",
        /// The SOMTC secretariat: plan structure, cycles, review.
        Secretariat => "secretariat",
        /// A sectoral body's focal point: its own body's progress and submissions.
        Officer => "officer",
        /// Partners and integrators: read-only, accepted data only.
        Viewer => "viewer",
    }
}

text_enum! {
    /// What a body reports about its part of an activity.
    ProgressStatus, "progress status", example = "on_track" {
        /// Not begun.
        NotStarted => "not_started",
        /// Going to plan.
        OnTrack => "on_track",
        /// Likely to slip.
        AtRisk => "at_risk",
        /// Behind plan.
        Delayed => "delayed",
        /// Done.
        Completed => "completed",
        /// Stopped for good.
        Discontinued => "discontinued",
    }
}

impl ProgressStatus {
    /// Whether this body's part is finished (done or stopped).
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            ProgressStatus::Completed | ProgressStatus::Discontinued
        )
    }
}

text_enum! {
    /// The on-track signal of an activity, derived from dates or set by the secretariat.
    Signal, "signal" {
        /// No sign of slippage.
        OnTrack => "on_track",
        /// A milestone is overdue.
        AtRisk => "at_risk",
        /// Past its planned end and not completed.
        OffTrack => "off_track",
    }
}

text_enum! {
    /// Orders of the activity list.
    ActivitySort, "sort" {
        /// By code (the default).
        Code => "code",
        /// By title.
        Title => "title",
        /// By planned end, earliest first (activities without one last).
        PlannedEnd => "planned_end",
        /// By the latest progress update, most recent first.
        LastUpdate => "last_update",
        /// By relevance to `q` (the default when `q` is given).
        Relevance => "relevance",
    }
}

text_enum! {
    /// What a reporting cycle prepares for.
    CycleKind, "cycle kind" {
        /// A SOMTC meeting.
        Somtc => "somtc",
        /// An AMMTC meeting.
        Ammtc => "ammtc",
        /// The mid-term review.
        MidTermReview => "mid_term_review",
        /// The final review.
        FinalReview => "final_review",
        /// Any other occasion.
        AdHoc => "ad_hoc",
    }
}

text_enum! {
    /// Where a reporting cycle stands.
    CycleState, "cycle state", example = "open" {
        /// Scheduled; bodies cannot enter data yet.
        Planned => "planned",
        /// Bodies enter and submit; the secretariat reviews.
        Open => "open",
        /// Frozen: its edition is final and nothing changes.
        Closed => "closed",
    }
}

text_enum! {
    /// Where a body's submission for a cycle stands.
    SubmissionStatus, "submission status", example = "draft" {
        /// Nothing entered yet.
        NotStarted => "not_started",
        /// Being written by the body.
        Draft => "draft",
        /// Handed to the secretariat.
        Submitted => "submitted",
        /// Sent back by the secretariat with a reason.
        Returned => "returned",
        /// Accepted by the secretariat; locked.
        Accepted => "accepted",
    }
}

text_enum! {
    /// Where a proposed change to an accepted entry stands.
    AmendmentStatus, "amendment status" {
        /// Proposed by the body's officer; waiting for the secretariat.
        Proposed => "proposed",
        /// Accepted: its values replaced the entry's (the original stays in the amendment).
        Accepted => "accepted",
        /// Rejected: the entry keeps its values.
        Rejected => "rejected",
    }
}

text_enum! {
    /// Why a notice (in-app notification and e-mail) was sent; see docs/operations.md.
    NoticeKind, "notice kind", example = "report_returned" {
        /// A reporting cycle opened: what each participating body owes, by when.
        CycleOpened => "cycle_opened",
        /// A body submitted its report (to the secretariat).
        ReportSubmitted => "report_submitted",
        /// The secretariat returned a report, with the reason (to the body's officers).
        ReportReturned => "report_returned",
        /// The secretariat accepted a report (to the body's officers).
        ReportAccepted => "report_accepted",
        /// An amendment of an accepted report was proposed (to the secretariat).
        AmendmentProposed => "amendment_proposed",
        /// An amendment was approved or rejected (to its proposer).
        AmendmentDecided => "amendment_decided",
        /// A body's due date was extended (to its officers).
        DeadlineExtended => "deadline_extended",
        /// A report is due soon or missing (to the body's officers).
        Reminder => "reminder",
        /// A comment was added to something the person follows.
        CommentAdded => "comment_added",
        /// The daily digest of a user's notices.
        Digest => "digest",
        /// Security: an invitation to set a password.
        Invitation => "invitation",
        /// Security: a password reset link.
        PasswordReset => "password_reset",
        /// Security: a new sign-in to an administrator account.
        AdminSignIn => "admin_sign_in",
        /// A test message (`wpt mail test`).
        Test => "test",
    }
}

impl NoticeKind {
    /// Security messages are sent whatever the person's e-mail setting says.
    pub const fn is_security(self) -> bool {
        matches!(
            self,
            NoticeKind::Invitation
                | NoticeKind::PasswordReset
                | NoticeKind::AdminSignIn
                | NoticeKind::Test
        )
    }
}

text_enum! {
    /// When a user gets notices by e-mail (the in-app inbox always gets them).
    EmailSetting, "e-mail setting", example = "immediate" {
        /// One message per notice, sent at once.
        Immediate => "immediate",
        /// One message a day gathering the day's notices.
        DailyDigest => "daily_digest",
        /// No e-mail (security messages still come).
        Off => "off",
    }
}

text_enum! {
    /// Where an outbox message stands.
    OutboxStatus, "outbox status", example = "queued" {
        /// Waiting to be sent (also between retries).
        Queued => "queued",
        /// Accepted by the SMTP server.
        Sent => "sent",
        /// Given up (permanent error or too old); an administrator may retry it.
        Failed => "failed",
        /// Waiting for the recipient's daily digest.
        Digest => "digest",
        /// Gathered into a digest message (its own row).
        Digested => "digested",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_text() {
        for p in Pillar::ALL {
            assert_eq!(p.as_str().parse::<Pillar>(), Ok(*p));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(*r));
            let json = serde_json::to_string(r).expect("serializes");
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
    }

    #[test]
    fn the_schema_lists_the_serialized_spellings() {
        let schema = serde_json::to_value(<Role as utoipa::PartialSchema>::schema()).expect("json");
        assert_eq!(
            schema["enum"],
            serde_json::json!(["admin", "secretariat", "officer", "viewer"])
        );
    }

    #[test]
    fn unknown_text_names_the_accepted_values() {
        let err = "apsc".parse::<Pillar>().expect_err("case matters");
        assert_eq!(err.expected, "APSC, AEC, ASCC");
        assert!(err.to_string().contains("unknown pillar"));
    }
}
