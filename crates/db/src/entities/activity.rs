//! `activities`: the rows of a work plan's matrix.
#![expect(
    missing_docs,
    reason = "columns are documented in the migration and the domain model"
)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub work_plan_id: Uuid,
    pub area_id: Uuid,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub actip_reference: Option<String>,
    pub expected_outputs: Option<String>,
    pub planned_start: Option<Date>,
    pub planned_end: Option<Date>,
    pub archived_at: Option<DateTimeUtc>,
    pub last_progress_at: Option<DateTimeUtc>,
    pub signal_override: Option<String>,
    pub signal_override_reason: Option<String>,
    pub signal_override_by: Option<Uuid>,
    pub signal_override_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
