//! `activity_assignments`: the lead and cooperating bodies of each activity.
#![expect(
    missing_docs,
    reason = "columns are documented in the migration and the domain model"
)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub activity_id: Uuid,
    pub body_id: Uuid,
    pub role: String,
    pub created_at: DateTimeUtc,
    pub latest_status: Option<String>,
    pub latest_percent: Option<i32>,
    pub latest_reported_at: Option<DateTimeUtc>,
    pub accepted_status: Option<String>,
    pub accepted_percent: Option<i32>,
    pub accepted_cycle_id: Option<Uuid>,
    pub accepted_period_end: Option<Date>,
    pub accepted_at: Option<DateTimeUtc>,
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
        belongs_to = "super::activity::Entity",
        from = "Column::ActivityId",
        to = "super::activity::Column::Id"
    )]
    Activity,
}

impl Related<super::activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl Related<super::sectoral_body::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Body.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
