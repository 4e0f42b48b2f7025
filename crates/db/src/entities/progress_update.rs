//! `progress_updates`: each body's own progress reports on an activity, append-only.
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_updates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub activity_id: Uuid,
    pub body_id: Uuid,
    pub status: String,
    pub percent_complete: Option<i32>,
    pub narrative: String,
    pub challenges: Option<String>,
    pub next_steps: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub evidence_urls: Json,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
    pub from_cycle_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
