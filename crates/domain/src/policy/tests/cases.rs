//! Spot checks with literal expectations: the cases people ask about.

use super::*;

#[test]
fn a_viewer_sees_accepted_reports_only() {
    let viewer = actor(Role::Viewer, SESSION);
    for own in [true, false] {
        assert!(!can_see(&viewer, &facts(own, S::NotStarted, C::Open)));
        assert!(!can_see(&viewer, &facts(own, S::Draft, C::Open)));
        assert!(!can_see(&viewer, &facts(own, S::Submitted, C::Open)));
        assert!(!can_see(&viewer, &facts(own, S::Returned, C::Open)));
        assert!(can_see(&viewer, &facts(own, S::Accepted, C::Closed)));
    }
}

#[test]
fn another_body_s_officer_sees_submitted_and_accepted_reports_only() {
    let officer = actor(Role::Officer, SESSION);
    assert!(!can_see(&officer, &facts(false, S::NotStarted, C::Open)));
    assert!(!can_see(&officer, &facts(false, S::Draft, C::Open)));
    assert!(can_see(&officer, &facts(false, S::Submitted, C::Open)));
    assert!(!can_see(&officer, &facts(false, S::Returned, C::Open)));
    assert!(can_see(&officer, &facts(false, S::Accepted, C::Open)));
    for &status in S::ALL {
        assert!(can_see(&officer, &facts(true, status, C::Open)), "{status}");
    }
}

#[test]
fn the_secretariat_and_administrators_see_everything() {
    for role in [Role::Admin, Role::Secretariat] {
        for &status in S::ALL {
            assert!(can_see(
                &actor(role, SESSION),
                &facts(false, status, C::Open)
            ));
        }
    }
}

#[test]
fn another_body_s_officer_is_forbidden_a_submitted_report_but_not_shown_a_draft() {
    let officer = actor(Role::Officer, SESSION);
    assert_eq!(
        decide(
            &officer,
            &facts(false, S::Submitted, C::Open),
            Act::Edit,
            None
        ),
        forbidden("only the body's own officers write its report")
    );
    assert_eq!(
        decide(&officer, &facts(false, S::Draft, C::Open), Act::Edit, None),
        Err(Refusal::Hidden)
    );
    assert_eq!(
        decide(
            &officer,
            &facts(false, S::Submitted, C::Open),
            Act::Accept,
            None
        ),
        forbidden("only the secretariat or an administrator may do this")
    );
    assert_eq!(
        decide(
            &officer,
            &facts(false, S::Returned, C::Open),
            Act::Return,
            None
        ),
        Err(Refusal::Hidden)
    );
}

#[test]
fn the_body_s_officer_writes_and_submits_its_own_report() {
    let officer = actor(Role::Officer, SESSION);
    assert_eq!(
        decide(
            &officer,
            &facts(true, S::NotStarted, C::Open),
            Act::Edit,
            Some(VERSION)
        ),
        Ok(S::Draft)
    );
    assert_eq!(
        decide(
            &officer,
            &facts(true, S::Returned, C::Open),
            Act::Edit,
            None
        ),
        Ok(S::Returned)
    );
    assert_eq!(
        decide(
            &officer,
            &facts(true, S::Draft, C::Open),
            Act::Submit,
            Some(VERSION)
        ),
        Ok(S::Submitted)
    );
    assert_eq!(
        decide(
            &officer,
            &facts(true, S::Submitted, C::Open),
            Act::Edit,
            None
        ),
        invalid("cannot Edit a submission that is submitted")
    );
}

#[test]
fn the_secretariat_reviews_submitted_reports_only() {
    let secretariat = actor(Role::Secretariat, SESSION);
    assert_eq!(
        decide(
            &secretariat,
            &facts(false, S::Draft, C::Open),
            Act::Accept,
            None
        ),
        invalid("cannot Accept a submission that is draft")
    );
    assert_eq!(
        decide(
            &secretariat,
            &facts(false, S::Submitted, C::Open),
            Act::Accept,
            None
        ),
        Ok(S::Accepted)
    );
    assert_eq!(
        decide(
            &secretariat,
            &facts(false, S::Submitted, C::Open),
            Act::Return,
            None
        ),
        Ok(S::Returned)
    );
    assert_eq!(
        decide(
            &secretariat,
            &facts(false, S::Draft, C::Open),
            Act::Edit,
            None
        ),
        forbidden(
            "only an officer of a sectoral body may report progress; the secretariat acts through review"
        )
    );
}

#[test]
fn a_closed_or_planned_cycle_takes_no_step_but_the_state_is_checked_first() {
    let officer = actor(Role::Officer, SESSION);
    let secretariat = actor(Role::Secretariat, SESSION);
    for cycle in [C::Closed, C::Planned] {
        let words = format!("the cycle is {cycle}; it takes no edits");
        assert_eq!(
            decide(&officer, &facts(true, S::Draft, cycle), Act::Edit, None),
            invalid(&words)
        );
        assert_eq!(
            decide(&officer, &facts(true, S::Draft, cycle), Act::Submit, None),
            invalid(&words)
        );
        assert_eq!(
            decide(
                &secretariat,
                &facts(true, S::Submitted, cycle),
                Act::Accept,
                None
            ),
            invalid(&words)
        );
        // The transition is checked before the cycle.
        assert_eq!(
            decide(
                &secretariat,
                &facts(true, S::Accepted, cycle),
                Act::Accept,
                None
            ),
            invalid("cannot Accept a submission that is accepted")
        );
        // And the cycle before the version.
        assert_eq!(
            decide(&officer, &facts(true, S::Draft, cycle), Act::Edit, Some(1)),
            invalid(&words)
        );
    }
    for role in Role::ALL {
        assert!(
            allowed_actions(&actor(*role, SESSION), &facts(true, S::Accepted, C::Closed))
                .is_empty(),
            "{role}"
        );
    }
}

#[test]
fn a_stale_version_comes_after_the_state_and_before_the_own_review() {
    let secretariat = actor(Role::Secretariat, SESSION);
    let mut f = facts(false, S::Submitted, C::Open);
    f.submitter_id = Some(ME);
    assert_eq!(
        decide(&secretariat, &f, Act::Accept, Some(VERSION - 1)),
        Err(Refusal::Stale(VERSION - 1))
    );
    assert_eq!(
        decide(&secretariat, &f, Act::Return, Some(VERSION)),
        forbidden("nobody reviews their own submission")
    );
}

#[test]
fn a_read_only_token_may_not_act_even_on_its_own_body_s_report() {
    let officer = actor(Role::Officer, READ_ONLY);
    assert_eq!(
        decide(&officer, &facts(true, S::Draft, C::Open), Act::Edit, None),
        forbidden("this API token is read-only")
    );
    assert_eq!(
        decide(&officer, &facts(false, S::Draft, C::Open), Act::Edit, None),
        Err(Refusal::Hidden)
    );
    let admin = actor(Role::Admin, READ_ONLY);
    assert_eq!(
        decide(
            &admin,
            &facts(false, S::Submitted, C::Open),
            Act::Accept,
            None
        ),
        forbidden("this API token is read-only")
    );
}

#[test]
fn amendments_are_proposed_by_the_body_on_an_accepted_report_of_a_cycle_not_closed() {
    let officer = actor(Role::Officer, SESSION);
    let p = Act::ProposeAmendment;
    assert_eq!(
        decide(&officer, &facts(true, S::Accepted, C::Open), p, None),
        Ok(S::Accepted)
    );
    assert_eq!(
        decide(&officer, &facts(true, S::Accepted, C::Closed), p, None),
        invalid("the cycle is closed; it takes no edits")
    );
    // Unlike the workflow, the cycle is checked before the report's status.
    assert_eq!(
        decide(&officer, &facts(true, S::Draft, C::Closed), p, None),
        invalid("the cycle is closed; it takes no edits")
    );
    assert_eq!(
        decide(&officer, &facts(true, S::Draft, C::Open), p, None),
        invalid("only an accepted report is amended; edit the draft instead")
    );
    assert_eq!(
        decide(&officer, &facts(false, S::Accepted, C::Open), p, None),
        forbidden("only the body's own officers propose amendments")
    );
    assert_eq!(
        decide(&officer, &facts(false, S::Draft, C::Open), p, None),
        Err(Refusal::Hidden)
    );
    assert_eq!(
        decide(
            &actor(Role::Viewer, SESSION),
            &facts(false, S::Draft, C::Open),
            p,
            None
        ),
        Err(Refusal::Hidden)
    );
    assert_eq!(
        decide(
            &actor(Role::Viewer, SESSION),
            &facts(false, S::Accepted, C::Open),
            p,
            None
        ),
        forbidden(
            "only an officer of a sectoral body may report progress; the secretariat acts through review"
        )
    );
}

#[test]
fn deciding_an_amendment_is_refused_before_anything_is_looked_up() {
    let viewer = actor(Role::Viewer, SESSION);
    // Never hidden: the amendment routes answer 403 first.
    assert_eq!(
        decide(
            &viewer,
            &facts(false, S::Draft, C::Open),
            Act::DecideAmendment,
            None
        ),
        forbidden("only the secretariat or an administrator may do this")
    );
    let amendment = AmendmentFacts {
        status: AmendmentStatus::Proposed,
        proposer_id: SOMEONE,
    };
    assert_eq!(
        decide_amendment(&viewer, &facts(false, S::Accepted, C::Open), &amendment),
        Err(Refusal::Forbidden(
            "only the secretariat or an administrator may do this".into()
        ))
    );
}

#[test]
fn an_amendment_is_decided_once_in_a_cycle_not_closed_by_someone_else() {
    let secretariat = actor(Role::Secretariat, SESSION);
    let open = facts(true, S::Accepted, C::Open);
    let closed = facts(true, S::Accepted, C::Closed);
    let proposed = |by| AmendmentFacts {
        status: AmendmentStatus::Proposed,
        proposer_id: by,
    };
    assert_eq!(
        decide_amendment(&secretariat, &open, &proposed(SOMEONE)),
        Ok(())
    );
    assert_eq!(
        decide_amendment(&secretariat, &open, &proposed(ME)),
        Err(Refusal::Forbidden(
            "nobody decides their own amendment".into()
        ))
    );
    // 409 before 403: the closed cycle before the own amendment.
    assert_eq!(
        decide_amendment(&secretariat, &closed, &proposed(ME)),
        Err(Refusal::Invalid(
            "the cycle is closed; it takes no edits".into()
        ))
    );
    // And the amendment's own state before the cycle's.
    let rejected = AmendmentFacts {
        status: AmendmentStatus::Rejected,
        proposer_id: ME,
    };
    assert_eq!(
        decide_amendment(&secretariat, &closed, &rejected),
        Err(Refusal::Invalid("the amendment is already rejected".into()))
    );
    assert_eq!(
        decide(&secretariat, &closed, Act::DecideAmendment, None),
        Err(Refusal::Invalid(
            "the cycle is closed; it takes no edits".into()
        ))
    );
    assert_eq!(
        decide(&secretariat, &open, Act::DecideAmendment, None),
        Ok(S::Accepted)
    );
}

#[test]
fn every_amendment_decision_matches_today_s_order() {
    let mut checked = 0;
    for &role in Role::ALL {
        for credential in [SESSION, READ_ONLY] {
            for &status in S::ALL {
                for &cycle in C::ALL {
                    for &stored in AmendmentStatus::ALL {
                        for by_me in [false, true] {
                            let a = actor(role, credential);
                            let f = facts(false, status, cycle);
                            let amendment = AmendmentFacts {
                                status: stored,
                                proposer_id: if by_me { ME } else { SOMEONE },
                            };
                            let want: Result<(), Refusal> = if credential == READ_ONLY {
                                Err(Refusal::Forbidden("this API token is read-only".into()))
                            } else if !matches!(role, Role::Admin | Role::Secretariat) {
                                Err(Refusal::Forbidden(
                                    "only the secretariat or an administrator may do this".into(),
                                ))
                            } else if stored != AmendmentStatus::Proposed {
                                Err(Refusal::Invalid(format!(
                                    "the amendment is already {stored}"
                                )))
                            } else if cycle == C::Closed {
                                Err(Refusal::Invalid(
                                    "the cycle is closed; it takes no edits".into(),
                                ))
                            } else if by_me {
                                Err(Refusal::Forbidden(
                                    "nobody decides their own amendment".into(),
                                ))
                            } else {
                                Ok(())
                            };
                            assert_eq!(
                                decide_amendment(&a, &f, &amendment),
                                want,
                                "{role} {credential:?} {status} {cycle} {stored} {by_me}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 5 * 3 * 3 * 2);
}

#[test]
fn the_system_s_nil_id_counts_as_nobody_for_own_checks() {
    // The grants name the nil user as `None`; a report nobody submitted has a
    // `None` submitter too, so today's comparison treats them as the same person.
    let mut system = actor(Role::Secretariat, SESSION);
    system.user_id = Uuid::nil();
    let mut f = facts(false, S::Submitted, C::Open);
    f.submitter_id = None;
    assert_eq!(
        decide(&system, &f, Act::Accept, None),
        forbidden("nobody reviews their own submission")
    );
    let amendment = AmendmentFacts {
        status: AmendmentStatus::Proposed,
        proposer_id: Uuid::nil(),
    };
    assert_eq!(
        decide_amendment(&system, &facts(false, S::Accepted, C::Open), &amendment),
        Ok(())
    );
}

#[test]
fn acts_and_workflow_actions_map_both_ways() {
    for action in SubmissionAction::ALL {
        assert_eq!(Act::from(action).workflow(), Some(action));
    }
    assert_eq!(Act::ProposeAmendment.workflow(), None);
    assert_eq!(Act::DecideAmendment.workflow(), None);
}

#[test]
fn refusals_read_as_today_s_errors() {
    assert_eq!(Refusal::Hidden.to_string(), "submission not found");
    assert_eq!(
        Refusal::Stale(3).to_string(),
        "the resource has changed since version 3"
    );
    assert_eq!(
        Refusal::from(Denied("no".into())),
        Refusal::Forbidden("no".into())
    );
}

#[test]
fn progress_is_recorded_by_an_assigned_body_on_a_live_activity_only() {
    let body = ActorBody {
        id: OURS,
        code: "DGICM".into(),
    };
    assert_eq!(record_progress(&body, true, false), Ok(()));
    assert_eq!(
        record_progress(&body, false, false),
        Err(Refusal::Forbidden(
            "DGICM is neither the lead nor a cooperating body of this activity".into()
        ))
    );
    // Not assigned wins over archived: the body has no business with it either way.
    assert!(matches!(
        record_progress(&body, false, true),
        Err(Refusal::Forbidden(_))
    ));
    assert_eq!(
        record_progress(&body, true, true),
        Err(Refusal::Conflict(
            "the activity is archived; restore it before reporting".into()
        ))
    );
}

#[test]
fn viewers_read_through_the_accepted_lens_and_nobody_else_does() {
    for &role in Role::ALL {
        let a = actor(role, SESSION);
        let viewer = role == Role::Viewer;
        assert_eq!(lens(&a) == Lens::Accepted, viewer, "{role}");
        assert_eq!(reads_unaccepted(&a).is_err(), viewer, "{role}");
    }
}

#[test]
fn the_review_is_seen_by_the_secretariat_admins_and_the_body_s_own_officers() {
    let cases = [
        (Role::Admin, OURS, true),
        (Role::Admin, THEIRS, true),
        (Role::Secretariat, THEIRS, true),
        (Role::Officer, OURS, true),
        (Role::Officer, THEIRS, false),
        (Role::Viewer, OURS, false),
    ];
    for (role, body, want) in cases {
        assert_eq!(
            sees_review(&actor(role, SESSION), body),
            want,
            "{role} on {body}"
        );
    }
}

#[test]
fn the_review_conversation_is_hidden_from_viewers_and_other_bodies_in_every_state() {
    for &status in S::ALL {
        for &cycle in C::ALL {
            for act in [Act::Comment, Act::ResolveComment] {
                let viewer = actor(Role::Viewer, SESSION);
                let officer = actor(Role::Officer, SESSION);
                assert_eq!(
                    decide(&viewer, &facts(true, status, cycle), act, None),
                    Err(Refusal::Hidden)
                );
                // Another body's officer sees a submitted report, not its conversation.
                assert_eq!(
                    decide(&officer, &facts(false, status, cycle), act, None),
                    Err(Refusal::Hidden)
                );
                assert!(!sees_conversation(&viewer, OURS));
                assert!(!sees_conversation(&officer, THEIRS));
                assert!(sees_conversation(&officer, OURS));
                let open = cycle != C::Closed;
                for who in [
                    actor(Role::Secretariat, SESSION),
                    actor(Role::Admin, SESSION),
                ] {
                    assert_eq!(
                        decide(&who, &facts(false, status, cycle), act, None).is_ok(),
                        open
                    );
                }
                assert_eq!(
                    decide(&officer, &facts(true, status, cycle), act, None).is_ok(),
                    open
                );
            }
        }
    }
}

#[test]
fn a_read_only_token_reads_the_conversation_but_does_not_write_in_it() {
    let token = actor(Role::Secretariat, READ_ONLY);
    assert!(sees_conversation(&token, THEIRS));
    assert_eq!(
        decide(
            &token,
            &facts(false, S::Returned, C::Open),
            Act::Comment,
            None
        ),
        forbidden("this API token is read-only")
    );
}
