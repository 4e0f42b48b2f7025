//! `reporting_cycles`: A reporting cycle tied to a meeting.
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reporting_cycles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub work_plan_id: Uuid,
    pub kind: String,
    pub name: String,
    pub meeting_date: Date,
    pub period_start: Date,
    pub period_end: Date,
    pub opens_on: Date,
    pub due_on: Date,
    pub review_due_on: Date,
    pub state: String,
    pub opened_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
