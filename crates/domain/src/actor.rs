//! Who is acting, and what they may do: the policy functions and the grants they return.
//!
//! An [`Actor`] is built only by the authentication layer, from the database, on every
//! request. The policy functions below are the only way to obtain a grant, and every
//! mutating use case in `wpt-db` takes one, so a write without a policy check does not
//! compile. Grants carry who acted (for the audit log) and, for body-scoped writes,
//! which body: always the officer's own, never one named by the request.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Role;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user_id: Uuid,
    /// The user's role, as stored now (never as a token claimed it).
    pub role: Role,
    /// The officer's body; `None` for every other role.
    pub body: Option<ActorBody>,
    /// How the caller authenticated.
    pub credential: Credential,
}

/// An officer's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActorBody {
    /// The body's id.
    pub id: Uuid,
    /// The body's code.
    pub code: String,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An access token of a login session.
    Session {
        /// The session (refresh-token family).
        session_id: Uuid,
    },
    /// A personal API token.
    ApiToken {
        /// The token's id.
        token_id: Uuid,
        /// Whether the token may write at all (never more than its owner).
        write: bool,
    },
    /// The operator at the command line (`wpt user ...`) or the server itself.
    System,
}

/// Why a policy refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Permission to administer users, bodies and work plans.
#[derive(Debug, Clone, Copy)]
pub struct AdminGrant {
    actor: Uuid,
}

/// Permission to maintain the plan's structure and the reporting cycles, and to review.
#[derive(Debug, Clone, Copy)]
pub struct SecretariatGrant {
    actor: Uuid,
}

/// Permission to write one body's own progress and submissions.
#[derive(Debug, Clone)]
pub struct BodyGrant {
    actor: Uuid,
    body: ActorBody,
}

/// Permission to act on one's own account (password, API tokens).
#[derive(Debug, Clone, Copy)]
pub struct SelfGrant {
    actor: Uuid,
    may_write: bool,
}

/// Something that names the acting user for the audit log.
pub trait Grant {
    /// The acting user; `None` for the system itself.
    fn actor_id(&self) -> Option<Uuid>;
}

impl Grant for AdminGrant {
    fn actor_id(&self) -> Option<Uuid> {
        (!self.actor.is_nil()).then_some(self.actor)
    }
}
impl Grant for SecretariatGrant {
    fn actor_id(&self) -> Option<Uuid> {
        (!self.actor.is_nil()).then_some(self.actor)
    }
}
impl Grant for BodyGrant {
    fn actor_id(&self) -> Option<Uuid> {
        Some(self.actor)
    }
}
impl Grant for SelfGrant {
    fn actor_id(&self) -> Option<Uuid> {
        Some(self.actor)
    }
}

impl BodyGrant {
    /// The body the grant is for: the officer's own.
    pub fn body(&self) -> &ActorBody {
        &self.body
    }
}

impl SelfGrant {
    /// The user acting on their own account.
    pub fn user_id(&self) -> Uuid {
        self.actor
    }

    /// Whether the account's role may write anything (a viewer may not), so whether a
    /// token it creates may be a writing one.
    pub fn may_write(&self) -> bool {
        self.may_write
    }
}

impl AdminGrant {
    /// The grant the server itself holds for start-up work (the first administrator,
    /// reference data) and the operator's command line: audited with no actor.
    pub fn system() -> Self {
        Self { actor: Uuid::nil() }
    }
}

impl SecretariatGrant {
    /// The grant of the operator's command line (`wpt import`): audited with no actor.
    pub fn system() -> Self {
        Self { actor: Uuid::nil() }
    }
}

impl Actor {
    fn may_write(&self) -> Result<(), Denied> {
        match self.credential {
            Credential::ApiToken { write: false, .. } => {
                Err(Denied("this API token is read-only".into()))
            }
            _ => Ok(()),
        }
    }

    /// Users, bodies and work plans: administrators only.
    pub fn administer(&self) -> Result<AdminGrant, Denied> {
        self.may_write()?;
        match self.role {
            Role::Admin => Ok(AdminGrant {
                actor: self.user_id,
            }),
            _ => Err(Denied("only an administrator may do this".into())),
        }
    }

    /// Plan structure, cycles and review: the secretariat and administrators.
    pub fn secretariat(&self) -> Result<SecretariatGrant, Denied> {
        self.may_write()?;
        match self.role {
            Role::Admin | Role::Secretariat => Ok(SecretariatGrant {
                actor: self.user_id,
            }),
            _ => Err(Denied(
                "only the secretariat or an administrator may do this".into(),
            )),
        }
    }

    /// A body's own progress and submissions: that body's officers only. The body is
    /// the officer's own; nobody can ask for another.
    pub fn own_body(&self) -> Result<BodyGrant, Denied> {
        self.may_write()?;
        match (&self.role, &self.body) {
            (Role::Officer, Some(body)) => Ok(BodyGrant {
                actor: self.user_id,
                body: body.clone(),
            }),
            _ => Err(Denied(
                "only an officer of a sectoral body may report progress; the secretariat acts through review".into(),
            )),
        }
    }

    /// One's own account. A read-only token may not change the account.
    pub fn own_account(&self) -> Result<SelfGrant, Denied> {
        self.may_write()?;
        Ok(SelfGrant {
            actor: self.user_id,
            may_write: self.role != Role::Viewer,
        })
    }

    /// One's own credentials: the password, API tokens and login sessions. Only from a
    /// login session (the API's or the pages'), never with an API token: a stolen token
    /// must not be able to mint longer-lived ones, revoke its owner's or change the
    /// password.
    pub fn own_credentials(&self) -> Result<SelfGrant, Denied> {
        match self.credential {
            Credential::Session { .. } => Ok(SelfGrant {
                actor: self.user_id,
                may_write: self.role != Role::Viewer,
            }),
            Credential::ApiToken { .. } => Err(Denied(
                "credentials (password, API tokens, sessions) are managed from a login session, not with an API token".into(),
            )),
            Credential::System => Err(Denied("not a login session".into())),
        }
    }

    /// The login session the caller acts in, if they came with one (not an API token).
    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session { session_id } => Some(session_id),
            _ => None,
        }
    }

    /// Whether the caller may read every draft and the audit log.
    pub fn reads_everything(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Secretariat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, credential: Credential) -> Actor {
        Actor {
            user_id: Uuid::from_u128(7),
            role,
            body: (role == Role::Officer).then(|| ActorBody {
                id: Uuid::from_u128(1),
                code: "DGICM".into(),
            }),
            credential,
        }
    }

    const SESSION: Credential = Credential::Session {
        session_id: Uuid::nil(),
    };

    #[test]
    fn each_grant_goes_to_its_roles_only() {
        use Role::*;
        for role in Role::ALL {
            let a = actor(*role, SESSION);
            assert_eq!(a.administer().is_ok(), *role == Admin, "{role}");
            assert_eq!(
                a.secretariat().is_ok(),
                matches!(role, Admin | Secretariat),
                "{role}"
            );
            assert_eq!(a.own_body().is_ok(), *role == Officer, "{role}");
            assert!(a.own_account().is_ok(), "{role}");
        }
    }

    #[test]
    fn an_officers_grant_names_the_officers_own_body() {
        let grant = actor(Role::Officer, SESSION).own_body().expect("officer");
        assert_eq!(grant.body().code, "DGICM");
        assert_eq!(grant.actor_id(), Some(Uuid::from_u128(7)));
    }

    #[test]
    fn a_read_only_token_gets_no_grant_at_all() {
        let token = Credential::ApiToken {
            token_id: Uuid::nil(),
            write: false,
        };
        for role in Role::ALL {
            let a = actor(*role, token);
            assert!(a.administer().is_err());
            assert!(a.secretariat().is_err());
            assert!(a.own_body().is_err());
            assert!(a.own_account().is_err());
        }
    }

    #[test]
    fn credentials_are_managed_from_a_login_session_only() {
        for write in [false, true] {
            let token = Credential::ApiToken {
                token_id: Uuid::nil(),
                write,
            };
            for role in Role::ALL {
                assert!(actor(*role, token).own_credentials().is_err(), "{role}");
                assert!(actor(*role, SESSION).own_credentials().is_ok(), "{role}");
            }
        }
        assert!(
            actor(Role::Admin, Credential::System)
                .own_credentials()
                .is_err()
        );
    }

    #[test]
    fn a_viewer_may_not_mint_writing_tokens() {
        assert!(
            !actor(Role::Viewer, SESSION)
                .own_account()
                .expect("self")
                .may_write()
        );
        assert!(
            actor(Role::Officer, SESSION)
                .own_account()
                .expect("self")
                .may_write()
        );
    }
}
