//! `plan_participations`: which bodies take part in which work plan, and how.
#![expect(
    missing_docs,
    reason = "columns are documented in the migration and the domain model"
)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_participations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub work_plan_id: Uuid,
    pub body_id: Uuid,
    pub role: String,
    pub confirmed: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::sectoral_body::Entity",
        from = "Column::BodyId",
        to = "super::sectoral_body::Column::Id"
    )]
    Body,
    #[sea_orm(
        belongs_to = "super::work_plan::Entity",
        from = "Column::WorkPlanId",
        to = "super::work_plan::Column::Id"
    )]
    WorkPlan,
}

impl Related<super::sectoral_body::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Body.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
