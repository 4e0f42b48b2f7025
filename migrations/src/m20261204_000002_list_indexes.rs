//! Indexes for the activity list's one statement (crates/db/src/activities/list_sql.rs).
//! A body filter drives the page from that body's assignments in the status the caller
//! may see: `(body_id, latest_status, activity_id)` for what was recorded and
//! `(body_id, accepted_status, activity_id)` for viewers find them without reading the
//! table. Each such activity is then looked up by id for its archive state and its code
//! (the default order): `(id, archived_at, code)` answers that from the index alone.
//! The same SQL on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

/// Adds the list's indexes.
#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 3] = [
    (
        "ix_activity_assignments_body_latest",
        "activity_assignments (body_id, latest_status, activity_id)",
    ),
    (
        "ix_activity_assignments_body_accepted",
        "activity_assignments (body_id, accepted_status, activity_id)",
    ),
    (
        "ix_activities_id_archived_code",
        "activities (id, archived_at, code)",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, on) in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!("CREATE INDEX {name} ON {on}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP INDEX {name}"))
                .await?;
        }
        Ok(())
    }
}
