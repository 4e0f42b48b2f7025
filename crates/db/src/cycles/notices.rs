//! The workflow notices of a reporting cycle (issue 17): what each step tells whom.
//! The use cases hand these to [`Write::notify`](crate::Write::notify); the texts hold
//! only what their recipients may see (no report content beyond a return's reason,
//! which the returned body's officers read on the page anyway).

use uuid::Uuid;

use crate::entities::reporting_cycle;
use crate::notify::{Notice, NoticeKind, Recipients};

fn submission_link(cycle: &reporting_cycle::Model, body_code: &str) -> String {
    format!("/ui/cycles/{}/submissions/{body_code}", cycle.id)
}

/// The cycle opened: to the officers of `body` (one participating body), what is due when.
pub(crate) fn cycle_opened(cycle: &reporting_cycle::Model, body: Uuid) -> Notice {
    Notice {
        kind: NoticeKind::CycleOpened,
        to: Recipients::BodyOfficers(body),
        subject: format!("Reporting cycle opened: {}", cycle.name),
        text: format!(
            "The reporting cycle \"{}\" is open. Your body's report covers {} to {} and \
             is due on {}, for the meeting on {}.\n\nThe report is prefilled with your \
             body's latest progress: check it, complete it and submit it.",
            cycle.name, cycle.period_start, cycle.period_end, cycle.due_on, cycle.meeting_date
        ),
        link: format!("/ui/cycles/{}/my-report", cycle.id),
        dedupe_key: Some(format!("cycle_opened:{}:{body}", cycle.id)),
    }
}

/// A body submitted its report: to the secretariat.
pub(crate) fn submitted(cycle: &reporting_cycle::Model, body_code: &str, late: bool) -> Notice {
    Notice {
        kind: NoticeKind::ReportSubmitted,
        to: Recipients::Secretariat,
        subject: format!("{body_code} submitted its report for {}", cycle.name),
        text: format!(
            "{body_code} submitted its report for the reporting cycle \"{}\"{}. It is \
             waiting for your review: accept it, or return it with a reason.",
            cycle.name,
            if late { " after its due date" } else { "" }
        ),
        link: submission_link(cycle, body_code),
        dedupe_key: None,
    }
}

/// The secretariat returned a report: to that body's officers, with the reason.
pub(crate) fn returned(
    cycle: &reporting_cycle::Model,
    body: Uuid,
    body_code: &str,
    reason: &str,
) -> Notice {
    Notice {
        kind: NoticeKind::ReportReturned,
        to: Recipients::BodyOfficers(body),
        subject: format!("Your report for {} was returned", cycle.name),
        text: format!(
            "The secretariat returned {body_code}'s report for the reporting cycle \"{}\" \
             for revision. The reason:\n\n{}\n\nPlease revise the report and submit it \
             again (due on {}).",
            cycle.name,
            reason.trim(),
            cycle.due_on
        ),
        link: submission_link(cycle, body_code),
        dedupe_key: None,
    }
}

/// The secretariat accepted a report: to that body's officers.
pub(crate) fn accepted(cycle: &reporting_cycle::Model, body: Uuid, body_code: &str) -> Notice {
    Notice {
        kind: NoticeKind::ReportAccepted,
        to: Recipients::BodyOfficers(body),
        subject: format!("Your report for {} was accepted", cycle.name),
        text: format!(
            "The secretariat accepted {body_code}'s report for the reporting cycle \"{}\". \
             It is now locked; a later correction is an amendment.",
            cycle.name
        ),
        link: submission_link(cycle, body_code),
        dedupe_key: None,
    }
}

/// An amendment was proposed: to the secretariat.
pub(crate) fn amendment_proposed(cycle: &reporting_cycle::Model, body_code: &str) -> Notice {
    Notice {
        kind: NoticeKind::AmendmentProposed,
        to: Recipients::Secretariat,
        subject: format!("{body_code} proposed an amendment ({})", cycle.name),
        text: format!(
            "{body_code} proposed an amendment to its accepted report for the reporting \
             cycle \"{}\". It is waiting for your decision.",
            cycle.name
        ),
        link: submission_link(cycle, body_code),
        dedupe_key: None,
    }
}

/// An amendment was decided: to its proposer.
pub(crate) fn amendment_decided(
    cycle: &reporting_cycle::Model,
    body_code: &str,
    proposer: Uuid,
    accepted: bool,
) -> Notice {
    let word = if accepted { "accepted" } else { "rejected" };
    Notice {
        kind: NoticeKind::AmendmentDecided,
        to: Recipients::User(proposer),
        subject: format!("Your amendment was {word} ({})", cycle.name),
        text: format!(
            "The secretariat {word} the amendment you proposed to {body_code}'s report \
             for the reporting cycle \"{}\".{}",
            cycle.name,
            if accepted {
                " The report now shows the amended values; the original is kept."
            } else {
                " The report keeps its accepted values; the page shows the secretariat's note."
            }
        ),
        link: submission_link(cycle, body_code),
        dedupe_key: None,
    }
}
