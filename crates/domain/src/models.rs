//! Read models: what the use cases return and the API serializes.
//!
//! They carry no database or HTTP types. Field names are the API's (`snake_case`),
//! and every field is documented because these docs become the OpenAPI schemas.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{ParticipationRole, Pillar, WorkPlanStatus};

/// An ASEAN Sectoral Body.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Body {
    /// Stable identifier.
    pub id: Uuid,
    /// Stable short code, e.g. `SOMTC`; what the API addresses bodies by.
    #[schema(example = "SOMTC")]
    pub code: String,
    /// Full name.
    pub name: String,
    /// The ASEAN Community pillar.
    pub pillar: Pillar,
    /// Whether the body's participation is confirmed by a public source.
    pub confirmed: bool,
    /// Editorial notes, such as where a fact comes from or what is unconfirmed.
    pub notes: Option<String>,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// An ASEAN work plan against trafficking in persons.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkPlan {
    /// Stable identifier.
    pub id: Uuid,
    /// Unique short code, e.g. `MSWP-TIP-2023-2028`.
    pub code: String,
    /// Full title.
    pub title: String,
    /// First day the plan covers.
    pub period_start: NaiveDate,
    /// Last day the plan covers.
    pub period_end: NaiveDate,
    /// When the plan was adopted, if known.
    pub adopted_on: Option<NaiveDate>,
    /// The meeting that adopted it, e.g. "17th AMMTC, Labuan Bajo".
    pub adopted_at: Option<String>,
    /// `draft`, `active` or `archived`.
    pub status: WorkPlanStatus,
    /// Optimistic-concurrency version; the `ETag`.
    pub version: i32,
    /// When the record was created.
    pub created_at: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
}

/// A sectoral body's participation in one work plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkPlanBody {
    /// The participating body.
    pub body: Body,
    /// `lead` for the body that leads the plan, else `member`.
    pub role: ParticipationRole,
    /// Whether this body's participation in this plan is confirmed.
    pub confirmed: bool,
}

/// A thematic area of a work plan (A. Prevention, B. Protection, ...).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Area {
    /// Stable identifier.
    pub id: Uuid,
    /// The work plan it belongs to.
    pub work_plan_id: Uuid,
    /// The area's letter within the plan, e.g. `A`.
    #[schema(example = "A")]
    pub code: String,
    /// Title, e.g. "Prevention of trafficking in persons".
    pub title: String,
    /// Display order within the plan.
    pub position: i32,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Page<T> {
    /// The page's rows.
    pub items: Vec<T>,
    /// Where the next page starts; `null` on the last page.
    pub next_cursor: Option<String>,
}
