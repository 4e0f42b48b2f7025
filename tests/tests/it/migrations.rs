//! Migrations run up, down and up again on the backend under test, and every entity
//! reads its table (a drift between an entity and its migration fails here).

use sea_orm::{EntityTrait, QuerySelect};
use wpt_db::entities::*;
use wpt_tests::TestDb;

async fn every_entity_reads_its_table(db: &wpt_db::Database) {
    let c = db.conn();
    macro_rules! probe {
        ($($m:ident),+) => {$(
            $m::Entity::find().limit(1).all(c).await
                .unwrap_or_else(|e| panic!("{} does not match its table: {e}", stringify!($m)));
        )+};
    }
    probe!(
        sectoral_body,
        member_state,
        work_plan,
        plan_participation,
        thematic_area,
        activity,
        activity_assignment,
        milestone,
        indicator,
        user,
        audit_log,
        reference_data_load,
        session,
        refresh_token,
        api_token,
        account_token,
        login_failure,
        maintenance,
        progress_update,
        indicator_actual,
        reporting_cycle,
        submission,
        submission_entry,
        submission_event,
        amendment,
        amendment_attachment,
        outbox,
        notification,
        notification_setting,
        submission_comment,
        attachment,
        edition
    );
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test = TestDb::empty().await;
    let db = &test.db;
    db.migrate_up().await.expect("up");
    every_entity_reads_its_table(db).await;
    assert!(
        db.migration_status()
            .await
            .expect("status")
            .iter()
            .all(|(_, applied)| *applied)
    );

    db.migrate_down(None).await.expect("down");
    assert!(
        db.migration_status()
            .await
            .expect("status")
            .iter()
            .all(|(_, applied)| !*applied)
    );
    assert!(
        sectoral_body::Entity::find()
            .limit(1)
            .all(db.conn())
            .await
            .is_err(),
        "down removed the tables"
    );

    db.migrate_up().await.expect("up again");
    every_entity_reads_its_table(db).await;
}

#[tokio::test]
async fn every_entity_reads_a_prepared_database_with_rows() {
    let test = TestDb::prepared().await;
    every_entity_reads_its_table(&test.db).await;
    let bodies = sectoral_body::Entity::find()
        .all(test.db.conn())
        .await
        .expect("bodies");
    assert!(!bodies.is_empty(), "the reference data was loaded");
}
