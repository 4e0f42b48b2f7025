//! The submission workflow as a state machine:
//! `not_started -> draft -> submitted -> returned -> submitted -> accepted`.
//!
//! Who may act is checked before what the state allows (a wrong role is 403 whatever
//! the state); an action the state does not allow is an invalid transition (409).

use crate::{Role, SubmissionStatus};

/// What someone does to a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionAction {
    /// The body's officer edits entries.
    Edit,
    /// The body's officer hands it in.
    Submit,
    /// The secretariat sends it back, with a reason.
    Return,
    /// The secretariat accepts it.
    Accept,
}

impl SubmissionAction {
    /// The action as a submission's event history spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Edit => "edit",
            Self::Submit => "submit",
            Self::Return => "return",
            Self::Accept => "accept",
        }
    }

    /// Every action.
    pub const ALL: [SubmissionAction; 4] = [Self::Edit, Self::Submit, Self::Return, Self::Accept];

    /// The roles that may take this action at all.
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Self::Edit | Self::Submit => &[Role::Officer],
            Self::Return | Self::Accept => &[Role::Secretariat, Role::Admin],
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The role may never take this action.
    #[error("a {role} cannot {action:?} a submission")]
    Forbidden {
        /// The role.
        role: Role,
        /// The action.
        action: SubmissionAction,
    },
    /// The role may, but not from this state.
    #[error("cannot {action:?} a submission that is {from}")]
    Invalid {
        /// The state.
        from: SubmissionStatus,
        /// The action.
        action: SubmissionAction,
    },
}

/// The state after `action` by `role` from `from`, or why not.
pub fn transition(
    from: SubmissionStatus,
    action: SubmissionAction,
    role: Role,
) -> Result<SubmissionStatus, TransitionError> {
    use SubmissionAction as A;
    use SubmissionStatus as S;
    if !action.allowed_roles().contains(&role) {
        return Err(TransitionError::Forbidden { role, action });
    }
    match (from, action) {
        (S::NotStarted | S::Draft, A::Edit) => Ok(S::Draft),
        (S::Returned, A::Edit) => Ok(S::Returned),
        (S::Draft | S::Returned, A::Submit) => Ok(S::Submitted),
        (S::Submitted, A::Return) => Ok(S::Returned),
        (S::Submitted, A::Accept) => Ok(S::Accepted),
        _ => Err(TransitionError::Invalid { from, action }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionAction as A;
    use SubmissionStatus as S;

    /// The whole table: every (state, action, role) and its outcome.
    #[test]
    fn every_state_action_and_role_has_the_expected_outcome() {
        let legal = [
            (S::NotStarted, A::Edit, S::Draft),
            (S::Draft, A::Edit, S::Draft),
            (S::Returned, A::Edit, S::Returned),
            (S::Draft, A::Submit, S::Submitted),
            (S::Returned, A::Submit, S::Submitted),
            (S::Submitted, A::Return, S::Returned),
            (S::Submitted, A::Accept, S::Accepted),
        ];
        let mut checked = 0;
        for from in S::ALL {
            for action in A::ALL {
                for role in Role::ALL {
                    let got = transition(*from, action, *role);
                    let may = action.allowed_roles().contains(role);
                    let expected = legal
                        .iter()
                        .find(|(f, a, _)| f == from && *a == action)
                        .map(|(_, _, to)| *to);
                    match (may, expected) {
                        (false, _) => assert!(
                            matches!(got, Err(TransitionError::Forbidden { .. })),
                            "{from} {action:?} {role}"
                        ),
                        (true, Some(to)) => assert_eq!(got, Ok(to), "{from} {action:?} {role}"),
                        (true, None) => assert!(
                            matches!(got, Err(TransitionError::Invalid { .. })),
                            "{from} {action:?} {role}"
                        ),
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 5 * 4 * 4);
    }

    #[test]
    fn accepted_is_final_for_everyone() {
        for action in A::ALL {
            for role in Role::ALL {
                assert!(transition(S::Accepted, action, *role).is_err());
            }
        }
    }
}
