//! Opening a cycle prefills each entry from its body's latest progress, a bounded slice
//! of assignments at a time (issue 21: memory bounded whatever the plan's size): the
//! same entries as reading everything at once, across several slices, in a number of
//! statements that grows with the slices, not the assignments.

use std::collections::{HashMap, HashSet};

use axum::http::{Method, StatusCode};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;
use wpt_db::cycles::OPEN_SLICE;
use wpt_db::entities::{
    activity, activity_assignment, plan_participation, progress_update, submission,
    submission_entry,
};
use wpt_domain::Role;
use wpt_tests::TestApp;

/// What an entry is prefilled with: status, percent, narrative, challenges, next steps,
/// evidence.
type Prefill = (
    String,
    Option<i32>,
    String,
    Option<String>,
    Option<String>,
    Value,
);

#[tokio::test]
async fn opening_prefills_every_entry_from_the_latest_progress_across_slices() {
    let app = TestApp::spawn().await;
    let plan: Uuid = wpt_domain::reference_id("work_plan", wpt_db::seed::PLAN_CODE);
    // About two assignments per activity: several slices.
    wpt_db::seed::synthetic(app.database(), &app.state.auth.hasher, 250)
        .await
        .expect("synthetic");
    // Texts that tell the latest update (100%) from the older ones, one body with no
    // progress at all, and one archived activity (no entry).
    let conn = app.database().conn();
    for sql in [
        "UPDATE progress_updates SET challenges = narrative || ' (challenges)'",
        "UPDATE progress_updates SET next_steps = 'Older: ' || narrative WHERE percent_complete < 100",
        "UPDATE progress_updates SET evidence_urls = '[\"https://example.org/latest\"]' WHERE percent_complete = 100",
        "DELETE FROM progress_updates WHERE body_id = (SELECT body_id FROM progress_updates ORDER BY body_id LIMIT 1)",
        "UPDATE activities SET archived_at = created_at WHERE id = (SELECT id FROM activities ORDER BY id DESC LIMIT 1)",
    ] {
        conn.execute_unprepared(sql).await.expect(sql);
    }

    // Expected, computed here from every row: the latest update of each pair (the later
    // id at the same instant), and each assignment of a participating body on an active
    // activity.
    let mut latest: HashMap<(Uuid, Uuid), progress_update::Model> = HashMap::new();
    for p in progress_update::Entity::find()
        .all(conn)
        .await
        .expect("progress")
    {
        let key = (p.activity_id, p.body_id);
        if latest
            .get(&key)
            .is_none_or(|l| (l.created_at, l.id) < (p.created_at, p.id))
        {
            latest.insert(key, p);
        }
    }
    let active: HashSet<Uuid> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan))
        .filter(activity::Column::ArchivedAt.is_null())
        .all(conn)
        .await
        .expect("activities")
        .into_iter()
        .map(|a| a.id)
        .collect();
    let bodies: HashSet<Uuid> = plan_participation::Entity::find()
        .filter(plan_participation::Column::WorkPlanId.eq(plan))
        .all(conn)
        .await
        .expect("participation")
        .into_iter()
        .map(|p| p.body_id)
        .collect();
    let mut expected: HashMap<(Uuid, Uuid), Prefill> = HashMap::new();
    let mut without_progress = 0;
    for s in activity_assignment::Entity::find()
        .all(conn)
        .await
        .expect("assignments")
    {
        if !active.contains(&s.activity_id) || !bodies.contains(&s.body_id) {
            continue;
        }
        let key = (s.activity_id, s.body_id);
        let status = s.latest_status.unwrap_or_else(|| "not_started".into());
        let value = match latest.get(&key) {
            Some(p) => (
                status,
                s.latest_percent,
                p.narrative.clone(),
                p.challenges.clone(),
                p.next_steps.clone(),
                p.evidence_urls.clone(),
            ),
            None => {
                without_progress += 1;
                (
                    status,
                    s.latest_percent,
                    String::new(),
                    None,
                    None,
                    json!([]),
                )
            }
        };
        expected.insert(key, value);
    }
    assert!(
        expected.len() > 2 * OPEN_SLICE,
        "{} assignments make at least three slices of {OPEN_SLICE}",
        expected.len()
    );
    assert!(without_progress > 0, "a body without progress");
    assert!(
        expected
            .values()
            .any(|e| e.5 == json!(["https://example.org/latest"]) && e.4.is_none()),
        "the latest update's texts, not an older one's"
    );

    let sec = app.caller(Role::Secretariat, None).await;
    let created = app
        .request(Method::POST, "/api/v1/cycles")
        .bearer(&sec.token)
        .json(&json!({"work_plan_id": plan, "kind": "somtc", "name": "26th SOMTC", "meeting_date": "2099-06-20",
                      "period_start": "2098-07-01", "period_end": "2099-06-30", "opens_on": "2026-01-01"}))
        .send()
        .await;
    created.assert_status(StatusCode::CREATED);
    let cycle: Uuid = created.json()["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let (opened, statements) = app
        .count_statements(
            app.request(Method::POST, &format!("/api/v1/cycles/{cycle}/open"))
                .bearer(&sec.token)
                .send(),
        )
        .await;
    opened.assert_status(StatusCode::OK);
    // Two statements a slice (read, insert) and a few fixed ones; never one per entry.
    let slices = expected.len() / OPEN_SLICE + 1;
    assert!(
        statements <= 2 * slices + 30,
        "{statements} statements for {} entries in {slices} slices",
        expected.len()
    );

    let conn = app.database().conn();
    let subs: HashMap<Uuid, Uuid> = submission::Entity::find()
        .filter(submission::Column::CycleId.eq(cycle))
        .all(conn)
        .await
        .expect("submissions")
        .into_iter()
        .map(|s| (s.id, s.body_id))
        .collect();
    assert_eq!(
        subs.values().copied().collect::<HashSet<_>>(),
        bodies,
        "one submission per participating body"
    );
    let mut got: HashMap<(Uuid, Uuid), Prefill> = HashMap::new();
    for e in submission_entry::Entity::find()
        .filter(submission_entry::Column::SubmissionId.is_in(subs.keys().copied()))
        .all(conn)
        .await
        .expect("entries")
    {
        let key = (e.activity_id, subs[&e.submission_id]);
        let value = (
            e.status,
            e.percent_complete,
            e.narrative,
            e.challenges,
            e.next_steps,
            e.evidence_urls,
        );
        assert!(got.insert(key, value).is_none(), "one entry per assignment");
    }
    assert_eq!(got.len(), expected.len());
    for (key, want) in &expected {
        assert_eq!(got.get(key), Some(want), "entry of {key:?}");
    }
}
