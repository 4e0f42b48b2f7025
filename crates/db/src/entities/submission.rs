//! `submissions`: A body's report for a cycle.
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub body_id: Uuid,
    pub status: String,
    pub author_id: Option<Uuid>,
    pub authored_at: Option<DateTimeUtc>,
    pub submitter_id: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub reviewer_id: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub return_reason: Option<String>,
    pub late: bool,
    pub extended_due_on: Option<Date>,
    pub extension_reason: Option<String>,
    pub returned_entries: Option<Json>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
