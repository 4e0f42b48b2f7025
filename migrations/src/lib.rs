//! Database migrations of the Work Plan Tracker.
//!
//! One module per migration, applied in order by [`Migrator`]. Migrations describe
//! tables with sea-query only and never import the entities of `wpt-db`, so the schema
//! history stays what it was when each migration was written. Every migration has a
//! working `down`; the test suite runs up, down and up again on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261129_000001_foundation;
mod m20261129_000002_identity;
mod m20261129_000003_work_plan;
mod m20261129_000004_reporting;
mod m20261129_000005_web_sessions;
mod m20261201_000001_audit_proof;
mod m20261201_000002_accepted_status;
mod m20261201_000003_maintenance;
mod m20261202_000001_login_attempts;
mod m20261202_000002_session_activity;
mod m20261202_000010_open_amendments;
mod m20261202_000011_one_plan_lead;
mod m20261203_000001_outbox;
mod m20261203_000003_deadline_extensions;
mod m20261203_000004_account_tokens;
mod m20261203_000005_attachments;
mod m20261203_000007_submission_comments;
mod m20261203_000009_progress_from_cycle;
mod m20261204_000001_audit_sealing;
mod m20261204_000002_list_indexes;
mod m20261204_000003_amendment_attachments;
mod m20261204_000004_user_time_zone;
mod m20261205_000021_returned_entries;

/// The ordered list of the tracker's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_identity::Migration),
            Box::new(m20261129_000003_work_plan::Migration),
            Box::new(m20261129_000004_reporting::Migration),
            Box::new(m20261129_000005_web_sessions::Migration),
            Box::new(m20261201_000001_audit_proof::Migration),
            Box::new(m20261201_000002_accepted_status::Migration),
            Box::new(m20261201_000003_maintenance::Migration),
            Box::new(m20261202_000001_login_attempts::Migration),
            Box::new(m20261202_000002_session_activity::Migration),
            Box::new(m20261202_000010_open_amendments::Migration),
            Box::new(m20261202_000011_one_plan_lead::Migration),
            Box::new(m20261203_000001_outbox::Migration),
            Box::new(m20261203_000003_deadline_extensions::Migration),
            Box::new(m20261203_000004_account_tokens::Migration),
            Box::new(m20261203_000005_attachments::Migration),
            Box::new(m20261203_000007_submission_comments::Migration),
            Box::new(m20261203_000009_progress_from_cycle::Migration),
            Box::new(m20261204_000001_audit_sealing::Migration),
            Box::new(m20261204_000002_list_indexes::Migration),
            Box::new(m20261204_000003_amendment_attachments::Migration),
            Box::new(m20261204_000004_user_time_zone::Migration),
            Box::new(m20261205_000021_returned_entries::Migration),
        ]
    }
}
