//! MERL indicators (set by the secretariat) and each body's actuals per period.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;
use wpt_domain::actor::{BodyGrant, SecretariatGrant};
use wpt_domain::models::{Indicator, IndicatorActual, Page};
use wpt_domain::page::{Cursor, PageRequest};
use wpt_domain::validation::check_text;
use wpt_domain::{Grant, IndicatorMeasure, ValidationErrors};

use crate::activities;
use crate::audit::{AuditAction, Change};
use crate::entities::{activity, indicator, indicator_actual};
use crate::paging::paginate;
use crate::{Database, DbError, DbResult, stored};

/// An indicator's fields.
#[derive(Debug, Clone)]
pub struct IndicatorInput {
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: Option<String>,
    /// Measure.
    pub measure: IndicatorMeasure,
    /// Baseline.
    pub baseline: Option<String>,
    /// Target.
    pub target: Option<String>,
}

fn check_value(errors: &mut ValidationErrors, field: &str, measure: IndicatorMeasure, value: &str) {
    check_text(errors, field, value, true, 2000);
    match measure {
        IndicatorMeasure::Number => {
            if value.trim().parse::<f64>().map_or(true, |v| !v.is_finite()) {
                errors.add(field, "must be a number for a number indicator");
            }
        }
        IndicatorMeasure::Percent => {
            if value
                .trim()
                .parse::<f64>()
                .map_or(true, |v| !(0.0..=100.0).contains(&v))
            {
                errors.add(
                    field,
                    "must be a number from 0 to 100 for a percent indicator",
                );
            }
        }
        IndicatorMeasure::Qualitative => {}
    }
}

fn validate(errors: &mut ValidationErrors, i: &IndicatorInput) {
    check_text(errors, "name", &i.name, true, 500);
    if let Some(u) = &i.unit {
        check_text(errors, "unit", u, false, 100);
    }
    for (field, v) in [("baseline", &i.baseline), ("target", &i.target)] {
        if let Some(v) = v {
            check_value(errors, field, i.measure, v);
        }
    }
}

fn to_model(r: indicator::Model) -> DbResult<Indicator> {
    Ok(Indicator {
        measure: stored(&r.measure)?,
        id: r.id,
        activity_id: r.activity_id,
        name: r.name,
        unit: r.unit,
        baseline: r.baseline,
        target: r.target,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// An activity's indicators, oldest first.
pub async fn list(
    db: &Database,
    activity_id: Uuid,
    page: &PageRequest,
) -> DbResult<Page<Indicator>> {
    activity::Entity::find_by_id(activity_id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let mut query = indicator::Entity::find().filter(indicator::Column::ActivityId.eq(activity_id));
    if let Some(after) = &page.after {
        query = query.filter(indicator::Column::Id.gt(after.id));
    }
    let rows = query
        .order_by_asc(indicator::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    })?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_model)
            .collect::<DbResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}

/// One indicator.
pub async fn get(db: &Database, id: Uuid) -> DbResult<Indicator> {
    to_model(
        indicator::Entity::find_by_id(id)
            .one(db.conn())
            .await?
            .ok_or(DbError::NotFound("indicator"))?,
    )
}

/// Adds an indicator to an activity.
pub async fn create(
    db: &Database,
    grant: &SecretariatGrant,
    activity_id: Uuid,
    input: IndicatorInput,
) -> DbResult<Indicator> {
    let mut errors = ValidationErrors::new();
    validate(&mut errors, &input);
    errors.finish()?;
    let mut txn = db.write().await?;
    activity::Entity::find_by_id(activity_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("activity"))?;
    let now = Utc::now();
    let row = indicator::ActiveModel {
        id: Set(Uuid::now_v7()),
        activity_id: Set(activity_id),
        name: Set(input.name.trim().to_owned()),
        unit: Set(input.unit),
        measure: Set(input.measure.as_str().to_owned()),
        baseline: Set(input.baseline),
        target: Set(input.target),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let view = to_model(row)?;
    txn.record(
        grant.actor_id(),
        Change::new::<(), _>(
            AuditAction::IndicatorCreate,
            "indicator",
            view.id,
            None,
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok(view)
}

/// Changes of `PATCH /indicators/{id}`.
#[derive(Debug, Clone, Default)]
pub struct IndicatorPatch {
    /// New name.
    pub name: Option<String>,
    /// New unit.
    pub unit: Option<Option<String>>,
    /// New measure.
    pub measure: Option<IndicatorMeasure>,
    /// New baseline.
    pub baseline: Option<Option<String>>,
    /// New target.
    pub target: Option<Option<String>>,
}

/// Applies a patch if the indicator is still at `expected_version`.
pub async fn update(
    db: &Database,
    grant: &SecretariatGrant,
    id: Uuid,
    expected_version: i32,
    patch: IndicatorPatch,
) -> DbResult<Indicator> {
    let mut txn = db.write().await?;
    let row = txn
        .find_at_version::<indicator::Entity>(id, expected_version, "indicator")
        .await?;
    let before = to_model(row.clone())?;
    let merged = IndicatorInput {
        name: patch.name.unwrap_or(before.name.clone()),
        unit: patch.unit.unwrap_or(before.unit.clone()),
        measure: patch.measure.unwrap_or(before.measure),
        baseline: patch.baseline.unwrap_or(before.baseline.clone()),
        target: patch.target.unwrap_or(before.target.clone()),
    };
    let mut errors = ValidationErrors::new();
    validate(&mut errors, &merged);
    errors.finish()?;
    let mut am: indicator::ActiveModel = row.clone().into();
    am.name = Set(merged.name.trim().to_owned());
    am.unit = Set(merged.unit);
    am.measure = Set(merged.measure.as_str().to_owned());
    am.baseline = Set(merged.baseline);
    am.target = Set(merged.target);
    am.updated_at = Set(Utc::now());
    txn.update_versioned(am, id, expected_version).await?;
    let after = to_model(
        indicator::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(DbError::NotFound("indicator"))?,
    )?;
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::IndicatorUpdate,
            "indicator",
            id,
            Some(&before),
            Some(&after),
        )?,
    );
    txn.commit().await?;
    Ok(after)
}

/// An actual as an officer records it.
#[derive(Debug, Clone)]
pub struct ActualInput {
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period.
    pub period_end: NaiveDate,
    /// The value.
    pub value: String,
    /// A note.
    pub note: Option<String>,
}

/// Records (or replaces) the officer's body's value for a period: one value per body,
/// indicator and period, its earlier value kept in the audit log.
pub async fn record_actual(
    db: &Database,
    grant: &BodyGrant,
    indicator_id: Uuid,
    input: ActualInput,
) -> DbResult<(IndicatorActual, bool)> {
    let mut txn = db.write().await?;
    let ind = indicator::Entity::find_by_id(indicator_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("indicator"))?;
    let body = grant.body().clone();
    let (_, assigned) = activities::assignment(&txn, ind.activity_id, body.id).await?;
    if assigned.is_none() {
        return Err(DbError::Forbidden(format!(
            "{} is not assigned to this indicator's activity",
            body.code
        )));
    }
    let mut errors = ValidationErrors::new();
    check_value(&mut errors, "value", stored(&ind.measure)?, &input.value);
    if input.period_end < input.period_start {
        errors.add("period_end", "is before period_start");
    }
    if let Some(n) = &input.note {
        check_text(&mut errors, "note", n, false, 5000);
    }
    errors.finish()?;
    let existing = indicator_actual::Entity::find()
        .filter(indicator_actual::Column::IndicatorId.eq(indicator_id))
        .filter(indicator_actual::Column::BodyId.eq(body.id))
        .filter(indicator_actual::Column::PeriodStart.eq(input.period_start))
        .filter(indicator_actual::Column::PeriodEnd.eq(input.period_end))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let author = grant.actor_id().unwrap_or_default();
    let (row, created, before) = match existing {
        None => {
            let row = indicator_actual::ActiveModel {
                id: Set(Uuid::now_v7()),
                indicator_id: Set(indicator_id),
                body_id: Set(body.id),
                period_start: Set(input.period_start),
                period_end: Set(input.period_end),
                value: Set(input.value.trim().to_owned()),
                note: Set(input.note),
                author_id: Set(author),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            (row, true, None)
        }
        Some(old) => {
            let before = actual_model(old.clone(), body.code.clone());
            let mut am: indicator_actual::ActiveModel = old.clone().into();
            am.value = Set(input.value.trim().to_owned());
            am.note = Set(input.note);
            am.author_id = Set(author);
            am.version = Set(old.version + 1);
            am.updated_at = Set(now);
            (am.update(&txn).await?, false, Some(before))
        }
    };
    let view = actual_model(row, body.code);
    txn.record(
        grant.actor_id(),
        Change::new(
            AuditAction::IndicatorActual,
            "indicator",
            indicator_id,
            before.as_ref(),
            Some(&view),
        )?,
    );
    txn.commit().await?;
    Ok((view, created))
}

fn actual_model(r: indicator_actual::Model, body: String) -> IndicatorActual {
    IndicatorActual {
        id: r.id,
        indicator_id: r.indicator_id,
        body,
        period_start: r.period_start,
        period_end: r.period_end,
        value: r.value,
        note: r.note,
        author_id: r.author_id,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// The actuals of every indicator of an activity (at most `limit` of the newest), for
/// pages that show the indicators together; two queries.
pub async fn actuals_of_activity(
    db: &Database,
    activity_id: Uuid,
    limit: u64,
) -> DbResult<Vec<IndicatorActual>> {
    let of_activity = sea_orm::sea_query::Query::select()
        .column(indicator::Column::Id)
        .from(indicator::Entity)
        .and_where(indicator::Column::ActivityId.eq(activity_id))
        .to_owned();
    let rows = indicator_actual::Entity::find()
        .filter(indicator_actual::Column::IndicatorId.in_subquery(of_activity))
        .order_by_desc(indicator_actual::Column::PeriodEnd)
        .order_by_asc(indicator_actual::Column::Id)
        .limit(limit)
        .all(db.conn())
        .await?;
    let codes = crate::bodies::code_map(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let code = codes.get(&r.body_id).cloned().unwrap_or_default();
            actual_model(r, code)
        })
        .collect())
}

/// An indicator's actuals, by period then body; two queries.
pub async fn actuals(
    db: &Database,
    indicator_id: Uuid,
    page: &PageRequest,
) -> DbResult<Page<IndicatorActual>> {
    indicator::Entity::find_by_id(indicator_id)
        .one(db.conn())
        .await?
        .ok_or(DbError::NotFound("indicator"))?;
    let mut query = indicator_actual::Entity::find()
        .filter(indicator_actual::Column::IndicatorId.eq(indicator_id));
    if let Some(after) = &page.after {
        query = query.filter(indicator_actual::Column::Id.gt(after.id));
    }
    let rows = query
        .order_by_asc(indicator_actual::Column::Id)
        .limit(page.limit + 1)
        .all(db.conn())
        .await?;
    let codes = crate::bodies::code_map(db).await?;
    let page = paginate(rows, page.limit, |r| Cursor {
        key: String::new(),
        id: r.id,
    })?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|r| {
                let code = codes.get(&r.body_id).cloned().unwrap_or_default();
                actual_model(r, code)
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
