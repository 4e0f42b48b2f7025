//! The list's one statement. `picked` chooses the page's activities (filters, search,
//! keyset position, order, `limit + 1` ids), `listed` reads their rows, and the outer
//! query joins each to its area, its bodies with their statuses and accepted cycles, and
//! counts its overdue milestones: one result row per activity and body, in the page's
//! order.
//!
//! A body filter drives the page from that body's assignments (a join, one assignment
//! per activity and body: no duplicates), a status filter alone from the set of
//! activities with an assignment in that status; neither runs an `EXISTS` per candidate.
//! The status compared is the one the caller may see: the latest recorded, or (viewers)
//! the latest accepted. Viewers' rows carry no `latest_*` value at all.
//!
//! Every value is bound; only fixed SQL text and column names are written in.

use chrono::NaiveDate;
use sea_orm::{DbBackend, Statement, Value};
use uuid::Uuid;
use wpt_domain::ActivitySort;

use super::list::After;
use super::{ActivityFilter, Lens};
use crate::sql::portable;

/// The column holding the relevance score when the order is relevance.
pub(super) const RELEVANCE: &str = "relevance_score";

/// The columns of `activities`, as `activity::Model` reads them.
const COLUMNS: [&str; 19] = [
    "id",
    "work_plan_id",
    "area_id",
    "code",
    "title",
    "description",
    "actip_reference",
    "expected_outputs",
    "planned_start",
    "planned_end",
    "archived_at",
    "last_progress_at",
    "signal_override",
    "signal_override_reason",
    "signal_override_by",
    "signal_override_at",
    "version",
    "created_at",
    "updated_at",
];

/// What one page asks for.
pub(super) struct Plan<'a> {
    pub filter: &'a ActivityFilter,
    /// The search words (never empty when present).
    pub words: Option<&'a [String]>,
    pub sort: ActivitySort,
    /// The keyset position: the order's key and the id of the last row shown.
    pub after: Option<(After, Uuid)>,
    /// Rows to fetch: the page's limit and one more, to know whether another page follows.
    pub fetch: u64,
    pub today: NaiveDate,
}

/// SQL text with its values, `$n` placeholders.
#[derive(Default)]
struct Sql {
    values: Vec<Value>,
}

impl Sql {
    /// The placeholder of a new value.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }
}

/// The page's statement for `backend`.
pub(super) fn statement(backend: DbBackend, plan: &Plan<'_>) -> Statement {
    let mut sql = Sql::default();
    let filter = plan.filter;
    // The status each filter reads: the latest recorded, or (viewers) the latest accepted.
    let status = match filter.lens {
        Lens::Recorded => "latest_status",
        Lens::Accepted => "accepted_status",
    };
    let today = sql.bind(plan.today);
    let mut from = String::from("activities");
    let mut cond: Vec<String> = vec![match filter.archived {
        Some(true) => "activities.archived_at IS NOT NULL".into(),
        _ => "activities.archived_at IS NULL".into(),
    }];
    let plan_id = filter.work_plan.map(|p| sql.bind(p));
    if let Some(p) = &plan_id {
        cond.push(format!("activities.work_plan_id = {p}"));
    }
    if let Some(area) = &filter.area {
        let code = sql.bind(area.clone());
        let in_plan = plan_id
            .as_ref()
            .map(|p| format!(" AND work_plan_id = {p}"))
            .unwrap_or_default();
        cond.push(format!(
            "activities.area_id IN (SELECT id FROM thematic_areas WHERE code = {code}{in_plan})"
        ));
    }
    let wanted = filter.status.map(|s| sql.bind(s.as_str()));
    match (&filter.body, &wanted) {
        (Some(body), _) => {
            // A code naming no body matches nothing, like any other filter value.
            let body = sql.bind(body.clone());
            let in_status = wanted
                .as_ref()
                .map(|s| format!(" AND f.{status} = {s}"))
                .unwrap_or_default();
            let on = format!(
                "f.activity_id = activities.id \
                 AND f.body_id = (SELECT id FROM sectoral_bodies WHERE code = {body}){in_status}"
            );
            from = match backend {
                DbBackend::Postgres => format!("activities JOIN activity_assignments f ON {on}"),
                // SQLite cannot tell how many rows a search matches and would drive from
                // the search, probing the body's assignment per match; CROSS JOIN keeps
                // the body's assignments outermost (SQLite joins it in the order
                // written), so their number bounds the work whatever the words.
                _ => format!("activity_assignments f CROSS JOIN activities ON {on}"),
            };
        }
        (None, Some(s)) => cond.push(format!(
            "activities.id IN (SELECT activity_id FROM activity_assignments WHERE {status} = {s})"
        )),
        (None, None) => {}
    }
    if let Some(overdue) = filter.overdue {
        // Past its planned end while a body has not finished: read per row that passed
        // the other filters, and only for those already past their end.
        let is_overdue = format!(
            "(activities.planned_end < {today} AND EXISTS (SELECT 1 FROM activity_assignments u \
             WHERE u.activity_id = activities.id AND (u.{status} IS NULL \
             OR u.{status} NOT IN ('completed', 'discontinued'))))"
        );
        cond.push(if overdue {
            is_overdue
        } else {
            format!("NOT {is_overdue}")
        });
    }
    if let Some(wanted) = filter.milestones_overdue {
        // Uses ix_milestones_activity.
        let late = format!(
            "EXISTS (SELECT 1 FROM milestones m WHERE m.activity_id = activities.id \
             AND m.due_on < {today} AND m.completed_on IS NULL)"
        );
        cond.push(if wanted { late } else { format!("NOT {late}") });
    }
    let score = plan.words.map(|words| {
        let (matches, score) = search(backend, &mut sql, words);
        cond.push(matches);
        score
    });
    let score = score.filter(|_| plan.sort == ActivitySort::Relevance);
    if let Some((after, id)) = &plan.after {
        cond.push(keyset(&mut sql, plan.sort, score.as_deref(), after, *id));
    }
    // The page is picked by id (and score) first and its rows are read after, for the
    // page alone: with a body or status filter in the default order the candidates are
    // judged from indexes only (the body's assignments, then `(id, archived_at, code)`),
    // never read whole.
    let (key_score, row_score) = match &score {
        Some(s) => (
            format!(", {s} AS {RELEVANCE}"),
            format!(", picked.{RELEVANCE}"),
        ),
        None => (String::new(), String::new()),
    };
    let columns: Vec<String> = COLUMNS.iter().map(|c| format!("activities.{c}")).collect();
    let columns = columns.join(", ");
    let fetch = sql.bind(i64::try_from(plan.fetch).unwrap_or(i64::MAX));
    let inner_order = order(plan.sort, "activities", score.as_deref());
    let outer_score = format!("listed.{RELEVANCE}");
    let outer_order = order(
        plan.sort,
        "listed",
        score.as_ref().map(|_| outer_score.as_str()),
    );
    // Viewers read accepted statuses only: what was recorded is not even fetched.
    let recorded = match filter.lens {
        Lens::Recorded => {
            "s.latest_status AS s_latest_status, s.latest_percent AS s_latest_percent, \
             s.latest_reported_at AS s_latest_reported_at"
        }
        Lens::Accepted => {
            "CAST(NULL AS VARCHAR(32)) AS s_latest_status, CAST(NULL AS INTEGER) AS s_latest_percent, \
             CAST(NULL AS TIMESTAMP WITH TIME ZONE) AS s_latest_reported_at"
        }
    };
    let text = format!(
        "WITH picked AS (SELECT activities.id AS key_id{key_score} FROM {from} WHERE {cond} \
         ORDER BY {inner_order} LIMIT {fetch}), \
         listed AS (SELECT {columns}{row_score} FROM picked JOIN activities ON activities.id = picked.key_id) \
         SELECT listed.*, t.code AS area_code, \
         (SELECT COUNT(*) FROM milestones m WHERE m.activity_id = listed.id \
         AND m.completed_on IS NULL AND m.due_on < {today}) AS overdue_milestones, \
         b.code AS body_code, c.name AS cycle_name, \
         s.id AS s_id, s.activity_id AS s_activity_id, s.body_id AS s_body_id, s.role AS s_role, \
         s.created_at AS s_created_at, {recorded}, \
         s.accepted_status AS s_accepted_status, s.accepted_percent AS s_accepted_percent, \
         s.accepted_cycle_id AS s_accepted_cycle_id, s.accepted_period_end AS s_accepted_period_end, \
         s.accepted_at AS s_accepted_at \
         FROM listed \
         LEFT JOIN thematic_areas t ON t.id = listed.area_id \
         LEFT JOIN activity_assignments s ON s.activity_id = listed.id \
         LEFT JOIN sectoral_bodies b ON b.id = s.body_id \
         LEFT JOIN reporting_cycles c ON c.id = s.accepted_cycle_id \
         ORDER BY {outer_order}, b.code",
        cond = cond.join(" AND "),
    );
    Statement::from_sql_and_values(backend, portable(backend, &text), sql.values)
}

/// The search's match condition and its relevance score: a score that depends only on
/// the row and the words (never on the rest of the table), so ranking is stable while
/// rows are added between pages.
fn search(backend: DbBackend, sql: &mut Sql, words: &[String]) -> (String, String) {
    match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            let q = sql.bind(query.join(" & "));
            (
                format!("activities.search @@ to_tsquery('english', {q})"),
                format!(
                    "CAST(ts_rank(activities.search, to_tsquery('english', {q})) * 1000000 AS BIGINT)"
                ),
            )
        }
        _ => {
            let query: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            let q = sql.bind(query.join(" "));
            let terms: Vec<String> = words
                .iter()
                .map(|w| {
                    let w = sql.bind(w.clone());
                    format!(
                        "(instr(lower(activities.code), {w}) > 0) * 4 \
                         + (instr(lower(activities.title), {w}) > 0) * 3 \
                         + (instr(lower(coalesce(activities.description, '')), {w}) > 0) \
                         + (instr(lower(coalesce(activities.expected_outputs, '')), {w}) > 0)"
                    )
                })
                .collect();
            (
                format!(
                    "activities.rowid IN (SELECT rowid FROM activities_fts WHERE activities_fts MATCH {q})"
                ),
                format!("CAST(({}) AS INTEGER)", terms.join(" + ")),
            )
        }
    }
}

/// The order of `sort` over the table (or query) `t`, the id last; `score` is the
/// relevance expression when the order is relevance.
fn order(sort: ActivitySort, t: &str, score: Option<&str>) -> String {
    let key = match (sort, score) {
        (ActivitySort::Relevance, Some(s)) => format!("{s} DESC"),
        (ActivitySort::Title, _) => format!("{t}.title ASC"),
        (ActivitySort::PlannedEnd, _) => {
            format!("{t}.planned_end IS NULL ASC, {t}.planned_end ASC")
        }
        (ActivitySort::LastUpdate, _) => {
            format!("{t}.last_progress_at IS NULL ASC, {t}.last_progress_at DESC")
        }
        _ => format!("{t}.code ASC"),
    };
    format!("{key}, {t}.id ASC")
}

/// The rows after the cursor's: beyond its key in the order, or at its key with a
/// greater id. Rows with a key come first; after them, those without (NULL), by id.
fn keyset(
    sql: &mut Sql,
    sort: ActivitySort,
    score: Option<&str>,
    after: &After,
    id: Uuid,
) -> String {
    let id = sql.bind(id);
    let keyed = |sql: &mut Sql, col: &str, value: Value, beyond: &str| {
        let v = sql.bind(value);
        format!("({col} {beyond} {v} OR ({col} = {v} AND activities.id > {id}))")
    };
    match (after, sort) {
        (After::Score(k), _) => match score {
            Some(s) => keyed(sql, s, (*k).into(), "<"),
            // A relevance cursor for a list without search words: nothing after it.
            None => "1 = 0".into(),
        },
        (After::Text(k), ActivitySort::Title) => {
            keyed(sql, "activities.title", k.clone().into(), ">")
        }
        (After::Text(k), _) => keyed(sql, "activities.code", k.clone().into(), ">"),
        (After::Date(Some(d)), _) => {
            let c = keyed(sql, "activities.planned_end", (*d).into(), ">");
            format!("({c} OR activities.planned_end IS NULL)")
        }
        (After::Date(None), _) => {
            format!("(activities.planned_end IS NULL AND activities.id > {id})")
        }
        (After::Time(Some(t)), _) => {
            let c = keyed(sql, "activities.last_progress_at", (*t).into(), "<");
            format!("({c} OR activities.last_progress_at IS NULL)")
        }
        (After::Time(None), _) => {
            format!("(activities.last_progress_at IS NULL AND activities.id > {id})")
        }
    }
}
