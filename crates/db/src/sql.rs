//! The raw SQL of this crate, in one place: the aggregate queries that are clearer as
//! SQL than as query builders, written once with `$1`-style parameters for both backends
//! ([`portable`]), and PostgreSQL's advisory locks. Everything else goes through sea-orm.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::DbResult;

/// SQL written with `$1`-style parameters, for the connection's backend: SQLite takes
/// the same numbers as `?1`. For the few aggregate queries that are clearer as SQL.
pub(crate) fn portable(backend: sea_orm::DbBackend, sql: &str) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    }
}

/// `sql` over assignments (`s`) read through `lens`: each body's latest accepted status
/// and when it was accepted instead of its latest progress update.
pub(crate) fn through(lens: wpt_domain::policy::Lens, sql: &str) -> String {
    match lens {
        wpt_domain::policy::Lens::Recorded => sql.to_owned(),
        wpt_domain::policy::Lens::Accepted => sql
            .replace("s.latest_status", "s.accepted_status")
            .replace("s.latest_reported_at", "s.accepted_at"),
    }
}

/// Takes the transaction-scoped advisory lock `key` on PostgreSQL (released at commit or
/// rollback); nothing on SQLite, whose write transactions are serialized already.
pub(crate) async fn advisory_xact_lock(conn: &impl ConnectionTrait, key: i64) -> DbResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({key})"),
        ))
        .await?;
    }
    Ok(())
}

/// `NOTIFY channel` on PostgreSQL, delivered when the transaction commits; nothing on
/// SQLite (one process, nobody else to tell).
pub(crate) async fn notify(conn: &impl ConnectionTrait, channel: &str) -> DbResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, '')",
            [channel.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Active activities of a plan ($1).
pub(crate) const PLAN_ACTIVITIES: &str =
    "SELECT COUNT(*) AS n FROM activities WHERE work_plan_id = $1 AND archived_at IS NULL";

/// Active activities of plan $1 past their planned end on day $2 with a body still working.
pub(crate) const PLAN_OVERDUE_ACTIVITIES: &str = "SELECT COUNT(*) AS n FROM activities a WHERE a.work_plan_id = $1 AND a.archived_at IS NULL
               AND a.planned_end < $2
               AND EXISTS (SELECT 1 FROM activity_assignments s WHERE s.activity_id = a.id
                           AND (s.latest_status IS NULL OR s.latest_status NOT IN ('completed', 'discontinued')))";

/// Assignments of plan $1 by area, body and latest status.
pub(crate) const PLAN_STATUS_BY_AREA_AND_BODY: &str = "SELECT t.code AS area, b.code AS body, COALESCE(s.latest_status, 'not_reported') AS status, COUNT(*) AS n
               FROM activity_assignments s
               JOIN activities a ON a.id = s.activity_id
               JOIN thematic_areas t ON t.id = a.area_id
               JOIN sectoral_bodies b ON b.id = s.body_id
              WHERE a.work_plan_id = $1 AND a.archived_at IS NULL
              GROUP BY t.code, b.code, COALESCE(s.latest_status, 'not_reported')
              ORDER BY t.code, b.code, COALESCE(s.latest_status, 'not_reported')";

/// The derived signal per activity of plan $1 on day $2 (the rule of `wpt_domain::signal::derive`), counted by area.
pub(crate) const PLAN_SIGNALS_BY_AREA: &str = "SELECT t.code AS area,
                    COALESCE(SUM(CASE WHEN x.signal = 'on_track' THEN 1 ELSE 0 END), 0) AS on_track,
                    COALESCE(SUM(CASE WHEN x.signal = 'at_risk' THEN 1 ELSE 0 END), 0) AS at_risk,
                    COALESCE(SUM(CASE WHEN x.signal = 'off_track' THEN 1 ELSE 0 END), 0) AS off_track
               FROM (SELECT a.area_id,
                            CASE WHEN EXISTS (SELECT 1 FROM activity_assignments s WHERE s.activity_id = a.id)
                                  AND NOT EXISTS (SELECT 1 FROM activity_assignments s WHERE s.activity_id = a.id
                                        AND (s.latest_status IS NULL OR s.latest_status NOT IN ('completed', 'discontinued')))
                                 THEN 'on_track'
                                 WHEN a.planned_end < $2 THEN 'off_track'
                                 WHEN EXISTS (SELECT 1 FROM milestones m WHERE m.activity_id = a.id
                                        AND m.due_on < $2 AND m.completed_on IS NULL)
                                 THEN 'at_risk'
                                 ELSE 'on_track' END AS signal
                       FROM activities a
                      WHERE a.work_plan_id = $1 AND a.archived_at IS NULL) x
               JOIN thematic_areas t ON t.id = x.area_id
              GROUP BY t.code
              ORDER BY t.code";

/// Milestone totals of plan $1 on day $2.
pub(crate) const PLAN_MILESTONE_TOTALS: &str = "SELECT COUNT(*) AS total,
                    COALESCE(SUM(CASE WHEN m.completed_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS completed,
                    COALESCE(SUM(CASE WHEN m.due_on <= $2 THEN 1 ELSE 0 END), 0) AS due,
                    COALESCE(SUM(CASE WHEN m.due_on <= $2 AND m.completed_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS done_of_due,
                    COALESCE(SUM(CASE WHEN m.due_on < $2 AND m.completed_on IS NULL THEN 1 ELSE 0 END), 0) AS overdue
               FROM milestones m JOIN activities a ON a.id = m.activity_id
              WHERE a.work_plan_id = $1 AND a.archived_at IS NULL";

/// Each participating body of plan $1: its assignments and last report.
pub(crate) const PLAN_BODY_LAST_UPDATES: &str = "SELECT b.code AS body, COUNT(s.id) AS assigned, MAX(s.latest_reported_at) AS last_reported_at
               FROM plan_participations p
               JOIN sectoral_bodies b ON b.id = p.body_id
               LEFT JOIN activity_assignments s ON s.body_id = p.body_id
                    AND s.activity_id IN (SELECT id FROM activities WHERE work_plan_id = $1 AND archived_at IS NULL)
              WHERE p.work_plan_id = $1
              GROUP BY b.code
              ORDER BY b.code";

/// One slice of what a new cycle's entries are prefilled with (the latest update looked
/// up for the slice's rows only, after the limit): at most $2 assignments of
/// the active activities of plan $1, in id order (after assignment `after`, bound as $3,
/// when given), each with its body's latest status and percent and the texts of its
/// latest progress update (NULL when it has none; of two at the same instant, the later
/// id, as [`LATEST_FROM_ACCEPTED`] picks).
macro_rules! prefill_slice {
    ($after:literal) => {
        concat!(
            "SELECT x.id, x.activity_id, x.body_id, x.latest_status, x.latest_percent,
                    p.narrative, p.challenges, p.next_steps, p.evidence_urls
               FROM (SELECT s.id, s.activity_id, s.body_id, s.latest_status, s.latest_percent
                       FROM activity_assignments s
                       JOIN activities a ON a.id = s.activity_id
                      WHERE a.work_plan_id = $1 AND a.archived_at IS NULL",
            $after,
            " ORDER BY s.id LIMIT $2) x
               LEFT JOIN progress_updates p ON p.id =
                    (SELECT q.id FROM progress_updates q
                      WHERE q.activity_id = x.activity_id AND q.body_id = x.body_id
                      ORDER BY q.created_at DESC, q.id DESC LIMIT 1)
              ORDER BY x.id"
        )
    };
}

/// The first prefill slice (above): plan $1, at most $2 assignments.
pub(crate) const PREFILL_FIRST: &str = prefill_slice!("");

/// A following prefill slice (above): plan $1, at most $2 assignments after $3.
pub(crate) const PREFILL_AFTER: &str = prefill_slice!(" AND s.id > $3");

/// An officer's counters for body $1 on day $2: assigned, at risk, overdue milestones.
pub(crate) const BODY_COUNTERS: &str = "SELECT COUNT(*) AS assigned,
                CAST(COALESCE(SUM(CASE WHEN s.latest_status = 'at_risk' THEN 1 ELSE 0 END), 0) AS BIGINT) AS at_risk,
                CAST(COALESCE(SUM((SELECT COUNT(*) FROM milestones m
                                    WHERE m.activity_id = a.id AND m.due_on < $2
                                      AND m.completed_on IS NULL)), 0) AS BIGINT) AS overdue_milestones
           FROM activity_assignments s
           JOIN activities a ON a.id = s.activity_id
          WHERE s.body_id = $1 AND a.archived_at IS NULL";

/// Makes accepted submission $1 (cycle $2 with period end $3, accepted at $4) of body $5
/// each of its activities' latest accepted status, unless a report of a later period
/// was accepted already: what viewers read.
pub(crate) const RECORD_ACCEPTED: &str = "UPDATE activity_assignments SET
    accepted_status = (SELECT e.status FROM submission_entries e
        WHERE e.submission_id = $1 AND e.activity_id = activity_assignments.activity_id),
    accepted_percent = (SELECT e.percent_complete FROM submission_entries e
        WHERE e.submission_id = $1 AND e.activity_id = activity_assignments.activity_id),
    accepted_cycle_id = $2, accepted_period_end = $3, accepted_at = $4
  WHERE body_id = $5
    AND activity_id IN (SELECT e.activity_id FROM submission_entries e WHERE e.submission_id = $1)
    AND (accepted_period_end IS NULL OR accepted_period_end <= $3)";

/// Sets body $3's latest status and percent on each activity to the progress update
/// that accepting cycle $1 recorded at $2 (`cycles::accepted_progress`), and when.
pub(crate) const LATEST_FROM_ACCEPTED: &str = "UPDATE activity_assignments SET
    latest_status = (SELECT p.status FROM progress_updates p
        WHERE p.from_cycle_id = $1 AND p.body_id = activity_assignments.body_id
          AND p.activity_id = activity_assignments.activity_id
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1),
    latest_percent = (SELECT p.percent_complete FROM progress_updates p
        WHERE p.from_cycle_id = $1 AND p.body_id = activity_assignments.body_id
          AND p.activity_id = activity_assignments.activity_id
        ORDER BY p.created_at DESC, p.id DESC LIMIT 1),
    latest_reported_at = $2
  WHERE body_id = $3
    AND activity_id IN (SELECT q.activity_id FROM progress_updates q
        WHERE q.from_cycle_id = $1 AND q.body_id = $3 AND q.created_at >= $2)";

/// Runs [`RECORD_ACCEPTED`].
pub(crate) async fn record_accepted(
    conn: &impl ConnectionTrait,
    submission: uuid::Uuid,
    cycle: uuid::Uuid,
    period_end: chrono::NaiveDate,
    accepted_at: chrono::DateTime<chrono::Utc>,
    body: uuid::Uuid,
) -> DbResult<()> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        portable(backend, RECORD_ACCEPTED),
        [
            submission.into(),
            cycle.into(),
            period_end.into(),
            accepted_at.into(),
            body.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Counts an attempt of account $1 from address $2 at $3 *before* its password is
/// verified (`auth::throttle`): a window that began at or before $4 starts again at 1;
/// a window already holding $5 attempts is left alone and no row is returned (refused).
pub(crate) const CLAIM_LOGIN_ATTEMPT: &str = "INSERT INTO login_attempts (user_id, address, window_started_at, failures)
     VALUES ($1, $2, $3, 1)
     ON CONFLICT (user_id, address) DO UPDATE SET
       failures = CASE WHEN login_attempts.window_started_at <= $4 THEN 1 ELSE login_attempts.failures + 1 END,
       window_started_at = CASE WHEN login_attempts.window_started_at <= $4 THEN $3 ELSE login_attempts.window_started_at END
     WHERE login_attempts.window_started_at <= $4 OR login_attempts.failures < $5
     RETURNING failures";

/// Counts a wrong password of account $1 at $2 in its per-account window (a window that
/// began at or before $3 starts again, its delay cleared); the failures so far.
pub(crate) const RECORD_ACCOUNT_FAILURE: &str = "INSERT INTO login_failures (user_id, window_started_at, failures)
     VALUES ($1, $2, 1)
     ON CONFLICT (user_id) DO UPDATE SET
       failures = CASE WHEN login_failures.window_started_at <= $3 THEN 1 ELSE login_failures.failures + 1 END,
       locked_until = CASE WHEN login_failures.window_started_at <= $3 THEN NULL ELSE login_failures.locked_until END,
       window_started_at = CASE WHEN login_failures.window_started_at <= $3 THEN $2 ELSE login_failures.window_started_at END
     RETURNING failures";

/// Deletes the counts of failed logins per account and address whose window started
/// at or before `cutoff` (they limit nothing any more); how many.
pub(crate) async fn prune_login_attempts(
    conn: &impl ConnectionTrait,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> DbResult<u64> {
    let backend = conn.get_database_backend();
    Ok(conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            portable(
                backend,
                "DELETE FROM login_attempts WHERE window_started_at <= $1",
            ),
            [cutoff.into()],
        ))
        .await?
        .rows_affected())
}

/// A cycle's report rows counted by area, body and accepted entry status: each
/// assignment of an active activity of plan $1, with its entry when the body's
/// submission of cycle $2 is in status $3 (accepted). Area and body codes are empty when
/// missing, as the report's rows have them.
pub(crate) const REPORT_COUNTS: &str = "SELECT COALESCE(t.code, '') AS area, COALESCE(t.title, '') AS area_title, COALESCE(b.code, '') AS body, e.status AS status, COUNT(*) AS n
               FROM activity_assignments s
               JOIN activities a ON a.id = s.activity_id
               LEFT JOIN thematic_areas t ON t.id = a.area_id AND t.work_plan_id = a.work_plan_id
               LEFT JOIN sectoral_bodies b ON b.id = s.body_id
               LEFT JOIN submissions u ON u.cycle_id = $2 AND u.body_id = s.body_id AND u.status = $3
               LEFT JOIN submission_entries e ON e.submission_id = u.id AND e.activity_id = a.id
              WHERE a.work_plan_id = $1 AND a.archived_at IS NULL
              GROUP BY COALESCE(t.code, ''), COALESCE(t.title, ''), COALESCE(b.code, ''), e.status";
