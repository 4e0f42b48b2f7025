//! `amendment_attachments`: a new file an amendment proposes, parked on it while it
//! waits for the secretariat (the sweep keeps it).
#![expect(missing_docs, reason = "columns are documented in the migration")]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "amendment_attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub attachment_id: Uuid,
    pub amendment_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
