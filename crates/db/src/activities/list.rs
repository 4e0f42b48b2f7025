//! The activity list: filters, full-text search with relevance, keyset pages, in ONE
//! statement per page (`list_sql`): the page of activities, its areas, each row's
//! bodies with their statuses and accepted cycles, and its overdue milestones come back
//! together, one result row per activity and body, whatever the filters and the page size.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult};
use uuid::Uuid;
use wpt_domain::models::{Activity, ActivityBody, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::{ActivitySort, ValidationErrors};

use crate::entities::{activity, activity_assignment};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult};

use super::list_sql::{self, RELEVANCE};
use super::read::{body_view, view};
use super::{ActivityFilter, Lens, today};

/// The words of a search, lower-cased: letters and digits only, so no query syntax of
/// either backend can be injected. At most 10 words of at most 50 characters.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(50).collect::<String>().to_lowercase())
        .take(10)
        .collect()
}

pub(super) fn bad_cursor() -> DbError {
    let mut e = ValidationErrors::new();
    e.add("cursor", "is not a cursor of this list and order");
    DbError::Validation(e)
}

/// The order a list is read in: the one asked for, else relevance with search words and
/// code without; orders the lens cannot tell apart fall back to code.
fn effective_sort(filter: &ActivityFilter, words: Option<&[String]>) -> ActivitySort {
    let asked = filter.sort.unwrap_or(if words.is_some() {
        ActivitySort::Relevance
    } else {
        ActivitySort::Code
    });
    match asked {
        // When any body last reported is not something viewers see: their
        // `last_update` order is the code order.
        ActivitySort::LastUpdate if filter.lens == Lens::Accepted => ActivitySort::Code,
        // Without search words every row is equally relevant: the default order applies.
        ActivitySort::Relevance if words.is_none() => ActivitySort::Code,
        sort => sort,
    }
}

/// The position a cursor names, read as the values of the order's key.
pub(super) enum After {
    /// `code` or `title`.
    Text(String),
    /// `planned_end`; `None` past the rows that have one.
    Date(Option<NaiveDate>),
    /// `last_update`; `None` past the rows that have one.
    Time(Option<chrono::DateTime<Utc>>),
    /// `relevance`.
    Score(i64),
}

fn after_key(sort: ActivitySort, key: &str) -> DbResult<After> {
    Ok(match sort {
        ActivitySort::Code | ActivitySort::Title => After::Text(key.to_owned()),
        ActivitySort::PlannedEnd if key.is_empty() => After::Date(None),
        ActivitySort::PlannedEnd => {
            After::Date(Some(key.parse::<NaiveDate>().map_err(|_| bad_cursor())?))
        }
        ActivitySort::LastUpdate if key.is_empty() => After::Time(None),
        ActivitySort::LastUpdate => After::Time(Some(
            chrono::DateTime::parse_from_rfc3339(key)
                .map_err(|_| bad_cursor())?
                .with_timezone(&Utc),
        )),
        ActivitySort::Relevance => After::Score(key.parse().map_err(|_| bad_cursor())?),
    })
}

/// One activity of the page as the statement returned it, before the lens's view.
struct Listed {
    row: activity::Model,
    score: i64,
    area: String,
    overdue_milestones: i64,
    bodies: Vec<ActivityBody>,
}

/// The activity list: the page from this process's list cache when nothing was written
/// since it was read (`super::list_cache`: one indexed query, the audit position), else
/// read by [`list_from_database`] and kept.
pub async fn list(
    db: &Database,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> DbResult<Page<Activity>> {
    Ok((*list_shared(db, filter, page).await?).clone())
}

/// [`list`], the page shared with the cache rather than copied: for a caller that only
/// reads it (the API serializes it as it is).
pub async fn list_shared(
    db: &Database,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> DbResult<Arc<Page<Activity>>> {
    let at = (crate::audit::position(db).await?, today());
    let key = format!("{filter:?}|{page:?}");
    if let Some(hit) = db.list_pages().get(&key, at) {
        return Ok(hit);
    }
    let fresh = Arc::new(list_from_database(db, filter, page).await?);
    db.list_pages().put(key, at, fresh.clone());
    Ok(fresh)
}

/// The activity list: filters, search, order and keyset pagination, in one statement.
pub async fn list_from_database(
    db: &Database,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> DbResult<Page<Activity>> {
    let words = filter.q.as_deref().map(search_words);
    if words.as_ref().is_some_and(Vec::is_empty) {
        // Nothing searchable (only punctuation, say): nothing can match.
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let sort = effective_sort(filter, words.as_deref());
    let after = match &page.after {
        Some(c) => Some((after_key(sort, &c.key)?, c.id)),
        None => None,
    };
    let today = today();
    let backend = db.conn().get_database_backend();
    let statement = list_sql::statement(
        backend,
        &list_sql::Plan {
            filter,
            words: words.as_deref(),
            sort,
            after,
            fetch: page.limit.saturating_add(1),
            today,
        },
    );
    let rows = db.conn().query_all_raw(statement).await?;
    let listed = group(&rows, sort == ActivitySort::Relevance, filter.lens)?;
    let page = paginate(listed, page.limit, |l| Cursor {
        key: match sort {
            ActivitySort::Code => l.row.code.clone(),
            ActivitySort::Title => l.row.title.clone(),
            ActivitySort::PlannedEnd => {
                l.row.planned_end.map(|d| d.to_string()).unwrap_or_default()
            }
            ActivitySort::LastUpdate => l
                .row
                .last_progress_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
                .unwrap_or_default(),
            ActivitySort::Relevance => l.score.to_string(),
        },
        id: l.row.id,
    })?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|l| {
                view(
                    l.row,
                    l.area,
                    l.bodies,
                    l.overdue_milestones,
                    filter.lens,
                    today,
                )
            })
            .collect::<DbResult<Vec<Activity>>>()?,
        next_cursor: page.next_cursor,
    })
}

/// Folds the statement's rows (one per activity and body, an activity's rows next to
/// each other, in the page's order) into the page's activities.
fn group(rows: &[QueryResult], scored: bool, lens: Lens) -> DbResult<Vec<Listed>> {
    let mut listed: Vec<Listed> = Vec::new();
    for r in rows {
        let id: Uuid = r.try_get("", "id")?;
        if listed.last().is_none_or(|l| l.row.id != id) {
            listed.push(Listed {
                row: activity::Model::from_query_result(r, "")?,
                score: if scored { r.try_get("", RELEVANCE)? } else { 0 },
                area: r
                    .try_get::<Option<String>>("", "area_code")?
                    .unwrap_or_default(),
                overdue_milestones: r.try_get("", "overdue_milestones")?,
                bodies: Vec::new(),
            });
        }
        let assigned: Option<Uuid> = r.try_get("", "s_id")?;
        let body: Option<String> = r.try_get("", "body_code")?;
        if let (Some(_), Some(body), Some(l)) = (assigned, body, listed.last_mut()) {
            let a = activity_assignment::Model::from_query_result(r, "s_")?;
            let cycle: Option<String> = r.try_get("", "cycle_name")?;
            l.bodies.push(body_view(a, body, cycle, lens)?);
        }
    }
    Ok(listed)
}
