//! `submission_events`: One step of a submission's workflow, kept forever.
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "submission_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub submission_id: Uuid,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor_id: Option<Uuid>,
    pub reason: Option<String>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
