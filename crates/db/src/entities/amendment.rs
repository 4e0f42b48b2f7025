//! `amendments`: A correction proposed after acceptance.
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "amendments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub submission_id: Uuid,
    pub activity_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub original: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub proposed: Json,
    pub reason: String,
    pub status: String,
    pub proposer_id: Uuid,
    pub proposed_at: DateTimeUtc,
    pub reviewer_id: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub review_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
