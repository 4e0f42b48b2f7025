//! Pure domain of the Work Plan Tracker.
//!
//! What lives here: the vocabulary (enums stored as text), the read models that the
//! API serializes, validated values and their field errors, the reference-data file
//! format and its checks. What must not: any database, HTTP or async runtime code
//! (no sea-orm, axum or tokio); `.ci/run` checks that with `cargo tree`.

pub mod actor;
pub mod deadline;
pub mod enums;
pub mod error_code;
pub mod input;
pub mod models;
pub mod page;
pub mod policy;
pub mod reference;
pub mod signal;
pub mod spreadsheet;
pub mod time_zone;
pub mod validation;
pub mod workflow;

pub use actor::{Actor, ActorBody, Credential, Denied, Grant};
pub use enums::*;
pub use validation::{FieldError, ValidationErrors};

/// The namespace of the tracker's name-based (v5) UUIDs.
///
/// Reference rows get ids derived from their codes (`body:SOMTC`, `work_plan:...`), so
/// the same body has the same id in every database and every instance, and an
/// integrator's stored ids survive a rebuild from the reference file.
pub const ID_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5f1c_7f0e_2a4b_4c1d_9e3a_77c0_a5ea_0001);

/// The stable id of a reference row of `kind` (`body`, `work_plan`, ...) with `key`.
pub fn reference_id(kind: &str, key: &str) -> uuid::Uuid {
    uuid::Uuid::new_v5(&ID_NAMESPACE, format!("{kind}:{key}").as_bytes())
}
