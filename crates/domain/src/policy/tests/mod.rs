//! Every state x action x role x own/other body x cycle state, against a table written
//! out independently of the implementation.
use super::*;
use crate::{ActorBody, Credential};
use CycleState as C;
use SubmissionStatus as S;

const OURS: Uuid = Uuid::from_u128(0xB0D1);
const THEIRS: Uuid = Uuid::from_u128(0xB0D2);
const ME: Uuid = Uuid::from_u128(0x5E1F);
const SOMEONE: Uuid = Uuid::from_u128(0x07E4);
const VERSION: i32 = 4;

const SESSION: Credential = Credential::Session {
    session_id: Uuid::nil(),
};
const READ_ONLY: Credential = Credential::ApiToken {
    token_id: Uuid::nil(),
    write: false,
};
const WRITING_TOKEN: Credential = Credential::ApiToken {
    token_id: Uuid::nil(),
    write: true,
};

/// A user `ME` of `role`; an officer belongs to `OURS`.
fn actor(role: Role, credential: Credential) -> Actor {
    Actor {
        user_id: ME,
        role,
        body: (role == Role::Officer).then(|| ActorBody {
            id: OURS,
            code: "OURS".into(),
        }),
        credential,
    }
}

fn facts(own: bool, status: S, cycle: C) -> SubmissionFacts {
    SubmissionFacts {
        body_id: if own { OURS } else { THEIRS },
        status,
        cycle_state: cycle,
        submitter_id: Some(SOMEONE),
        version: VERSION,
    }
}

fn forbidden(m: &str) -> Result<S, Refusal> {
    Err(Refusal::Forbidden(m.into()))
}

fn invalid(m: &str) -> Result<S, Refusal> {
    Err(Refusal::Invalid(m.into()))
}

// The expectation, written out from the three places as they read today, and kept
// apart from the implementation: tables and literal messages.

/// Who sees what: the table of docs/security.md, one row per (role, own) pair.
fn sees(role: Role, own: bool, status: S) -> bool {
    let seen: &[S] = match (role, own) {
        (Role::Admin | Role::Secretariat, _) => S::ALL,
        (Role::Officer, true) => S::ALL,
        (Role::Officer, false) => &[S::Submitted, S::Accepted],
        (Role::Viewer, _) => &[S::Accepted],
    };
    seen.contains(&status)
}

/// The legal moves of the state machine, from its diagram.
const LEGAL: [(S, Act, S); 7] = [
    (S::NotStarted, Act::Edit, S::Draft),
    (S::Draft, Act::Edit, S::Draft),
    (S::Returned, Act::Edit, S::Returned),
    (S::Draft, Act::Submit, S::Submitted),
    (S::Returned, Act::Submit, S::Submitted),
    (S::Submitted, Act::Return, S::Returned),
    (S::Submitted, Act::Accept, S::Accepted),
];

/// One combination of everything the answer depends on.
#[derive(Debug, Clone, Copy)]
struct Case {
    role: Role,
    own: bool,
    credential: Credential,
    status: S,
    cycle: C,
    act: Act,
    expected_version: Option<i32>,
    self_submitted: bool,
}

/// What the API answers today for `c`, step by step as the handlers and `wpt-db`
/// run: the API's grant check (with its second query for 404), then `guard` or
/// `propose_amendment` or `decide_amendment`, then the rest of `act`.
fn expected(c: Case) -> Result<S, Refusal> {
    let read_only = c.credential == READ_ONLY;
    // Actor::own_body and Actor::secretariat, with their words.
    let officer_grant = if read_only {
        Some("this API token is read-only")
    } else if c.role != Role::Officer {
        Some(
            "only an officer of a sectoral body may report progress; the secretariat acts through review",
        )
    } else {
        None
    };
    let secretariat_grant = if read_only {
        Some("this API token is read-only")
    } else if !matches!(c.role, Role::Admin | Role::Secretariat) {
        Some("only the secretariat or an administrator may do this")
    } else {
        None
    };
    let visible = sees(c.role, c.own, c.status);

    if matches!(c.act, Act::Comment | Act::ResolveComment) {
        // The review conversation: who sees the review, whatever the report's status.
        let in_conversation = match (c.role, c.own) {
            (Role::Admin | Role::Secretariat, _) => true,
            (Role::Officer, own) => own,
            (Role::Viewer, _) => false,
        };
        if !in_conversation {
            return Err(Refusal::Hidden);
        }
        if read_only {
            return forbidden("this API token is read-only");
        }
        if c.cycle == C::Closed {
            return invalid(
                "the cycle is closed; its conversations stay readable but take no new comments",
            );
        }
        return Ok(c.status);
    }

    if c.act == Act::DecideAmendment {
        // `actor.secretariat()?` first in the handler: 403, no lookup, no 404.
        if let Some(m) = secretariat_grant {
            return forbidden(m);
        }
        if c.cycle == C::Closed {
            return invalid("the cycle is closed; it takes no edits");
        }
        return Ok(c.status);
    }
    if !visible {
        return Err(Refusal::Hidden);
    }
    if c.act == Act::ProposeAmendment {
        if let Some(m) = officer_grant {
            return forbidden(m);
        }
        if !c.own {
            return forbidden("only the body's own officers propose amendments");
        }
        if c.cycle == C::Closed {
            return invalid("the cycle is closed; it takes no edits");
        }
        if c.status != S::Accepted {
            return invalid("only an accepted report is amended; edit the draft instead");
        }
        return Ok(S::Accepted);
    }
    let writes = matches!(c.act, Act::Edit | Act::Submit);
    let grant = if writes {
        officer_grant
    } else {
        secretariat_grant
    };
    if let Some(m) = grant {
        return forbidden(m);
    }
    if writes && !c.own {
        return forbidden("only the body's own officers write its report");
    }
    let Some(&(_, _, to)) = LEGAL
        .iter()
        .find(|(from, act, _)| *from == c.status && *act == c.act)
    else {
        let verb = match c.act {
            Act::Edit => "Edit",
            Act::Submit => "Submit",
            Act::Return => "Return",
            _ => "Accept",
        };
        return invalid(&format!(
            "cannot {verb} a submission that is {}",
            c.status.as_str()
        ));
    };
    match c.cycle {
        C::Open => {}
        C::Planned => return invalid("the cycle is planned; it takes no edits"),
        C::Closed => return invalid("the cycle is closed; it takes no edits"),
    }
    if let Some(v) = c.expected_version
        && v != VERSION
    {
        return Err(Refusal::Stale(v));
    }
    if !writes && c.self_submitted {
        return forbidden("nobody reviews their own submission");
    }
    Ok(to)
}

#[test]
fn every_combination_gets_what_today_s_code_answers() {
    let mut checked = 0;
    for &role in Role::ALL {
        for own in [true, false] {
            for credential in [SESSION, READ_ONLY, WRITING_TOKEN] {
                for &status in S::ALL {
                    for &cycle in C::ALL {
                        for act in Act::ALL {
                            for expected_version in [None, Some(VERSION), Some(VERSION - 1)] {
                                for self_submitted in [false, true] {
                                    let case = Case {
                                        role,
                                        own,
                                        credential,
                                        status,
                                        cycle,
                                        act,
                                        expected_version,
                                        self_submitted,
                                    };
                                    let a = actor(role, credential);
                                    let mut f = facts(own, status, cycle);
                                    if self_submitted {
                                        f.submitter_id = Some(ME);
                                    }
                                    assert_eq!(
                                        decide(&a, &f, act, expected_version),
                                        expected(case),
                                        "{case:?}"
                                    );
                                    assert_eq!(
                                        can_see(&a, &f),
                                        sees(role, own, status),
                                        "{case:?}"
                                    );
                                    checked += 1;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 3 * 5 * 3 * 8 * 3 * 2);
}

#[test]
fn allowed_actions_are_exactly_the_acts_decide_lets_through() {
    for &role in Role::ALL {
        for own in [true, false] {
            for &status in S::ALL {
                for &cycle in C::ALL {
                    let a = actor(role, SESSION);
                    let f = facts(own, status, cycle);
                    let want: Vec<Act> = Act::ALL
                        .into_iter()
                        .filter(|act| {
                            expected(Case {
                                role,
                                own,
                                credential: SESSION,
                                status,
                                cycle,
                                act: *act,
                                expected_version: None,
                                self_submitted: false,
                            })
                            .is_ok()
                        })
                        .collect();
                    assert_eq!(
                        allowed_actions(&a, &f),
                        want,
                        "{role} {own} {status} {cycle}"
                    );
                }
            }
        }
    }
}

/// `submission_page`'s `editable`, as written there (the page exists only for what
/// the viewer can see).
fn web_editable(actor: &Actor, own: bool, status: S, cycle: C) -> bool {
    let own = own && actor.body.is_some();
    own && cycle == C::Open && matches!(status, S::NotStarted | S::Draft | S::Returned)
}

/// `submission_page`'s `reviewable`, as written there.
fn web_reviewable(actor: &Actor, status: S, cycle: C) -> bool {
    actor.secretariat().is_ok() && cycle == C::Open && status == S::Submitted
}

#[test]
fn the_pages_booleans_are_edit_and_review_of_allowed_actions() {
    for &role in Role::ALL {
        for own in [true, false] {
            for &status in S::ALL {
                for &cycle in C::ALL {
                    let a = actor(role, SESSION);
                    let f = facts(own, status, cycle);
                    if !can_see(&a, &f) {
                        continue; // the page is a 404
                    }
                    let allowed = allowed_actions(&a, &f);
                    let case = format!("{role} {own} {status} {cycle}");
                    assert_eq!(
                        allowed.contains(&Act::Edit),
                        web_editable(&a, own, status, cycle),
                        "{case}"
                    );
                    let reviewable = web_reviewable(&a, status, cycle);
                    assert_eq!(allowed.contains(&Act::Accept), reviewable, "{case}");
                    assert_eq!(allowed.contains(&Act::Return), reviewable, "{case}");
                }
            }
        }
    }
}

#[test]
fn the_page_offers_submit_on_a_report_not_started_but_the_policy_refuses_it() {
    // `editable` shows the Submit form too, also on a report not started; `act`
    // answers 409 there. Pages using allowed_actions will not offer it.
    let officer = actor(Role::Officer, SESSION);
    let f = facts(true, S::NotStarted, C::Open);
    assert!(web_editable(&officer, true, S::NotStarted, C::Open));
    assert_eq!(
        allowed_actions(&officer, &f),
        vec![Act::Edit, Act::Comment, Act::ResolveComment]
    );
    assert_eq!(
        decide(&officer, &f, Act::Submit, None),
        invalid("cannot Submit a submission that is not_started")
    );
}

#[test]
fn the_page_offers_review_to_the_submitter_but_the_policy_refuses_it() {
    // An officer who submitted and then became secretariat: `reviewable` shows
    // the forms, `act` answers 403.
    let reviewer = actor(Role::Secretariat, SESSION);
    let mut f = facts(false, S::Submitted, C::Open);
    f.submitter_id = Some(ME);
    assert!(web_reviewable(&reviewer, S::Submitted, C::Open));
    assert_eq!(
        allowed_actions(&reviewer, &f),
        vec![Act::DecideAmendment, Act::Comment, Act::ResolveComment]
    );
    assert_eq!(
        decide(&reviewer, &f, Act::Accept, None),
        forbidden("nobody reviews their own submission")
    );
}

mod cases;
