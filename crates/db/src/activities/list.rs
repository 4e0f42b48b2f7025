//! The activity list: filters, full-text search with relevance, keyset pages.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;
use wpt_domain::models::{Activity, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::{ActivitySort, ValidationErrors};

use crate::entities::{activity, activity_assignment, milestone, thematic_area};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

use super::{ActivityFilter, Lens, today, views_as};

/// The words of a search, lower-cased: letters and digits only, so no query syntax of
/// either backend can be injected. At most 10 words of at most 50 characters.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(50).collect::<String>().to_lowercase())
        .take(10)
        .collect()
}

/// A relevance score that depends only on the row and the query (never on the rest of
/// the table), so ranking is stable while rows are added between pages.
fn relevance(backend: DbBackend, words: &[String]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            Expr::cust_with_values(
                "CAST(ts_rank(\"activities\".\"search\", to_tsquery('english', $1)) * 1000000 AS BIGINT)",
                [query.join(" & ")],
            )
        }
        _ => {
            // SQLite's placeholders are positional `?`: one value per occurrence.
            let mut sql = Vec::new();
            let mut values = Vec::new();
            for w in words {
                sql.push(
                    "(instr(lower(\"activities\".\"code\"), ?) > 0) * 4 + (instr(lower(\"activities\".\"title\"), ?) > 0) * 3 + (instr(lower(coalesce(\"activities\".\"description\", '')), ?) > 0) + (instr(lower(coalesce(\"activities\".\"expected_outputs\", '')), ?) > 0)",
                );
                values.extend(std::iter::repeat_n(w.clone(), 4));
            }
            Expr::cust_with_values(format!("CAST(({}) AS INTEGER)", sql.join(" + ")), values)
        }
    }
}

fn search_match(backend: DbBackend, words: &[String]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
            Expr::cust_with_values(
                "\"activities\".\"search\" @@ to_tsquery('english', $1)",
                [query.join(" & ")],
            )
        }
        _ => {
            let query: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
            Expr::cust_with_values(
                "\"activities\".\"rowid\" IN (SELECT rowid FROM activities_fts WHERE activities_fts MATCH ?)",
                [query.join(" ")],
            )
        }
    }
}

fn assignment_exists(extra: Condition) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(activity_assignment::Entity)
            .cond_where(
                Condition::all()
                    .add(
                        Expr::col((
                            activity_assignment::Entity,
                            activity_assignment::Column::ActivityId,
                        ))
                        .equals((activity::Entity, activity::Column::Id)),
                    )
                    .add(extra),
            )
            .to_owned(),
    )
}

pub(super) fn bad_cursor() -> DbError {
    let mut e = ValidationErrors::new();
    e.add("cursor", "is not a cursor of this list and order");
    DbError::Validation(e)
}

/// The activity list: filters, search, order and keyset pagination.
pub async fn list(
    db: &Database,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> DbResult<Page<Activity>> {
    let backend = db.conn().get_database_backend();
    let mut cond = Condition::all();
    match filter.archived {
        Some(true) => cond = cond.add(activity::Column::ArchivedAt.is_not_null()),
        _ => cond = cond.add(activity::Column::ArchivedAt.is_null()),
    }
    if let Some(plan) = filter.work_plan {
        cond = cond.add(activity::Column::WorkPlanId.eq(plan));
    }
    if let Some(area) = &filter.area {
        let mut areas = Query::select();
        areas
            .column(thematic_area::Column::Id)
            .from(thematic_area::Entity)
            .and_where(Expr::col(thematic_area::Column::Code).eq(area.clone()));
        if let Some(plan) = filter.work_plan {
            areas.and_where(Expr::col(thematic_area::Column::WorkPlanId).eq(plan));
        }
        cond = cond.add(activity::Column::AreaId.in_subquery(areas.to_owned()));
    }
    // A filter naming no body matches nothing, like any other filter value.
    let body_id = match &filter.body {
        Some(code) => match crate::bodies::id_by_code(db.conn(), code).await? {
            Some(id) => Some(id),
            None => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        },
        None => None,
    };
    // The status each filter reads: the latest recorded, or (viewers) the latest accepted.
    let status_col = match filter.lens {
        Lens::Recorded => activity_assignment::Column::LatestStatus,
        Lens::Accepted => activity_assignment::Column::AcceptedStatus,
    };
    if body_id.is_some() || filter.status.is_some() {
        let mut extra = Condition::all();
        if let Some(b) = body_id {
            extra = extra.add(
                Expr::col((
                    activity_assignment::Entity,
                    activity_assignment::Column::BodyId,
                ))
                .eq(b),
            );
        }
        if let Some(s) = filter.status {
            extra = extra.add(Expr::col((activity_assignment::Entity, status_col)).eq(s.as_str()));
        }
        cond = cond.add(assignment_exists(extra));
    }
    if let Some(overdue) = filter.overdue {
        let unfinished = assignment_exists(
            Condition::any()
                .add(Expr::col((activity_assignment::Entity, status_col)).is_null())
                .add(
                    Expr::col((activity_assignment::Entity, status_col))
                        .is_not_in(["completed", "discontinued"]),
                ),
        );
        let is_overdue = Condition::all()
            .add(activity::Column::PlannedEnd.lt(today()))
            .add(unfinished);
        cond = cond.add(if overdue {
            is_overdue
        } else {
            is_overdue.not()
        });
    }
    if let Some(wanted) = filter.milestones_overdue {
        // Uses ix_milestones_activity.
        let late = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(milestone::Entity)
                .cond_where(
                    Condition::all()
                        .add(
                            Expr::col((milestone::Entity, milestone::Column::ActivityId))
                                .equals((activity::Entity, activity::Column::Id)),
                        )
                        .add(Expr::col((milestone::Entity, milestone::Column::DueOn)).lt(today()))
                        .add(
                            Expr::col((milestone::Entity, milestone::Column::CompletedOn))
                                .is_null(),
                        ),
                )
                .to_owned(),
        );
        cond = cond.add(if wanted { late } else { late.not() });
    }
    let words = filter.q.as_deref().map(search_words);
    if let Some(words) = &words {
        if words.is_empty() {
            // Nothing searchable (only punctuation, say): nothing can match.
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        cond = cond.add(search_match(backend, words));
    }
    let sort = match filter.sort.unwrap_or(if words.is_some() {
        ActivitySort::Relevance
    } else {
        ActivitySort::Code
    }) {
        // When any body last reported is not something viewers see: their
        // `last_update` order is the code order.
        ActivitySort::LastUpdate if filter.lens == Lens::Accepted => ActivitySort::Code,
        sort => sort,
    };
    let score = match (&words, sort) {
        (Some(w), ActivitySort::Relevance) => Some(relevance(backend, w)),
        _ => None,
    };
    // Without search words every row is equally relevant: the default order applies.
    let sort = if score.is_none() && sort == ActivitySort::Relevance {
        ActivitySort::Code
    } else {
        sort
    };

    let mut query = activity::Entity::find();
    if let Some(after) = &page.after {
        let id = after.id;
        let keyed = |col: activity::Column, value: sea_orm::Value, asc: bool| {
            let beyond = if asc {
                Expr::col((activity::Entity, col)).gt(value.clone())
            } else {
                Expr::col((activity::Entity, col)).lt(value.clone())
            };
            Condition::any().add(beyond).add(
                Condition::all()
                    .add(Expr::col((activity::Entity, col)).eq(value))
                    .add(activity::Column::Id.gt(id)),
            )
        };
        let nullable = |col: activity::Column, value: Option<sea_orm::Value>, asc: bool| match value
        {
            // Rows with a value come first; after them, the NULLs by id.
            Some(v) => keyed(col, v, asc).add(Expr::col((activity::Entity, col)).is_null()),
            None => Condition::all()
                .add(Expr::col((activity::Entity, col)).is_null())
                .add(activity::Column::Id.gt(id)),
        };
        let key = after.key.as_str();
        cond = cond.add(match sort {
            ActivitySort::Code => keyed(activity::Column::Code, key.into(), true),
            ActivitySort::Title => keyed(activity::Column::Title, key.into(), true),
            ActivitySort::PlannedEnd => nullable(
                activity::Column::PlannedEnd,
                if key.is_empty() {
                    None
                } else {
                    Some(key.parse::<NaiveDate>().map_err(|_| bad_cursor())?.into())
                },
                true,
            ),
            ActivitySort::LastUpdate => nullable(
                activity::Column::LastProgressAt,
                if key.is_empty() {
                    None
                } else {
                    Some(
                        chrono::DateTime::parse_from_rfc3339(key)
                            .map_err(|_| bad_cursor())?
                            .with_timezone(&Utc)
                            .into(),
                    )
                },
                false,
            ),
            ActivitySort::Relevance => {
                let k: i64 = key.parse().map_err(|_| bad_cursor())?;
                let s = score.clone().ok_or_else(bad_cursor)?;
                Condition::any().add(s.clone().lt(k)).add(
                    Condition::all()
                        .add(s.eq(k))
                        .add(activity::Column::Id.gt(id)),
                )
            }
        });
    }
    query = query.filter(cond);
    query = match sort {
        ActivitySort::Code => query.order_by_asc(activity::Column::Code),
        ActivitySort::Title => query.order_by_asc(activity::Column::Title),
        ActivitySort::PlannedEnd => query
            .order_by_asc(Expr::col((activity::Entity, activity::Column::PlannedEnd)).is_null())
            .order_by_asc(activity::Column::PlannedEnd),
        ActivitySort::LastUpdate => query
            .order_by_asc(Expr::col((activity::Entity, activity::Column::LastProgressAt)).is_null())
            .order_by_desc(activity::Column::LastProgressAt),
        ActivitySort::Relevance => {
            query.order_by_desc(score.clone().unwrap_or_else(|| Expr::val(0)))
        }
    };
    query = query.order_by_asc(activity::Column::Id);
    let mut select = query.limit(page.limit + 1);
    if let Some(s) = &score {
        select = select.column_as(s.clone(), "relevance_score");
    }
    let rows: Vec<(activity::Model, i64)> = if score.is_some() {
        let raw = select.into_model::<ScoredActivity>().all(db.conn()).await?;
        raw.into_iter()
            .map(|r| {
                let score = r.relevance_score;
                (r.activity(), score)
            })
            .collect()
    } else {
        select
            .all(db.conn())
            .await?
            .into_iter()
            .map(|a| (a, 0))
            .collect()
    };
    let page = paginate(rows, page.limit, |(a, score)| Cursor {
        key: match sort {
            ActivitySort::Code => a.code.clone(),
            ActivitySort::Title => a.title.clone(),
            ActivitySort::PlannedEnd => a.planned_end.map(|d| d.to_string()).unwrap_or_default(),
            ActivitySort::LastUpdate => a
                .last_progress_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
                .unwrap_or_default(),
            ActivitySort::Relevance => score.to_string(),
        },
        id: a.id,
    })?;
    Ok(Page {
        items: views_as(
            db.conn(),
            page.items.into_iter().map(|(a, _)| a).collect(),
            filter.lens,
        )
        .await?,
        next_cursor: page.next_cursor,
    })
}

/// An activity row with its relevance score.
#[derive(Debug, sea_orm::FromQueryResult)]
struct ScoredActivity {
    id: Uuid,
    work_plan_id: Uuid,
    area_id: Uuid,
    code: String,
    title: String,
    description: Option<String>,
    actip_reference: Option<String>,
    expected_outputs: Option<String>,
    planned_start: Option<NaiveDate>,
    planned_end: Option<NaiveDate>,
    archived_at: Option<chrono::DateTime<Utc>>,
    last_progress_at: Option<chrono::DateTime<Utc>>,
    signal_override: Option<String>,
    signal_override_reason: Option<String>,
    signal_override_by: Option<Uuid>,
    signal_override_at: Option<chrono::DateTime<Utc>>,
    version: i32,
    created_at: chrono::DateTime<Utc>,
    updated_at: chrono::DateTime<Utc>,
    relevance_score: i64,
}

impl ScoredActivity {
    fn activity(self) -> activity::Model {
        activity::Model {
            id: self.id,
            work_plan_id: self.work_plan_id,
            area_id: self.area_id,
            code: self.code,
            title: self.title,
            description: self.description,
            actip_reference: self.actip_reference,
            expected_outputs: self.expected_outputs,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            archived_at: self.archived_at,
            last_progress_at: self.last_progress_at,
            signal_override: self.signal_override,
            signal_override_reason: self.signal_override_reason,
            signal_override_by: self.signal_override_by,
            signal_override_at: self.signal_override_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}
