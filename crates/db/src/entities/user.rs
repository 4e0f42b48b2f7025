//! `users`: accounts of administrators, the secretariat, officers and viewers.
#![expect(
    missing_docs,
    reason = "columns are documented in the migration and the domain model"
)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub role: String,
    pub body_id: Option<Uuid>,
    pub active: bool,
    pub password_hash: String,
    pub time_zone: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::login_failure::Entity> for Entity {
    fn to() -> RelationDef {
        super::login_failure::Relation::User.def().rev()
    }
}
