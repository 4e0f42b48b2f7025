//! Importing the classic matrix (the 2017-2020 plan's columns) from CSV or XLSX.
//!
//! Every row is checked before anything is written, and problems are reported by row
//! and column (`rows[3].lead_body`, counting spreadsheet rows, the header being row 1).
//! One bad row means nothing is written. Rows are matched to activities by code:
//! importing the same file twice changes nothing the second time.
//!
//! A preview (`dry_run`) runs the very same import and rolls it back, so it reports
//! exactly what the import would do. [`matrix`] writes the rows the import reads: an
//! exported matrix imports with no change.

mod matrix;
mod xlsx;

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;
use wpt_domain::actor::SecretariatGrant;
pub use wpt_domain::models::ImportReport;
use wpt_domain::models::{ImportFieldChange, ImportOutcome, ImportRow};
use wpt_domain::{Grant, ProgressStatus, ValidationErrors, spreadsheet};

use crate::activities::{self, NewActivity};
use crate::audit::{AuditAction, Change};
use crate::entities::{activity, activity_assignment, thematic_area, work_plan};
use crate::{Database, DbError, DbResult};

/// Most rows one import takes.
pub const MAX_ROWS: usize = 5000;

/// Most files parsed at once; more wait their turn (within the request's timeout).
pub const MAX_CONCURRENT_PARSES: usize = 2;

pub use matrix::{MATRIX_HEADER, MatrixRow, matrix};
pub use xlsx::{
    MAX_COLUMNS, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_RATIO, MAX_SHARED_STRINGS, MAX_SHEET_ROWS,
    MAX_TOTAL_BYTES,
};

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// An Excel workbook; the first sheet, with a header row.
    Xlsx,
}

/// The columns, with the header spellings accepted for each (case-insensitive).
const COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "activity code", "no", "no."]),
    ("area", &["area", "thematic area"]),
    (
        "actip_reference",
        &[
            "actip_reference",
            "actip/apa reference",
            "actip / apa reference",
            "actip",
            "apa",
            "reference",
        ],
    ),
    (
        "title",
        &[
            "activity",
            "title",
            "proposed programme/project/activity",
            "programme/project/activity",
        ],
    ),
    ("description", &["description", "area of collaboration"]),
    (
        "expected_outputs",
        &["expected_outputs", "expected outputs", "outputs"],
    ),
    (
        "lead_body",
        &["lead_body", "lead", "lead body", "lead sectoral body"],
    ),
    (
        "cooperating_bodies",
        &[
            "cooperating_bodies",
            "cooperating",
            "cooperating bodies",
            "cooperating sectoral bodies",
        ],
    ),
    ("status", &["status", "implementation status"]),
    (
        "planned_start",
        &["planned_start", "planned start", "start"],
    ),
    ("planned_end", &["planned_end", "planned end", "end"]),
];

type Table = Vec<Vec<String>>;

fn read_table(format: Format, bytes: &[u8]) -> DbResult<Table> {
    match format {
        Format::Csv => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| file_error("the CSV file is not UTF-8".to_owned()))?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            reader
                .records()
                .map(|r| {
                    // Every CSV the tracker writes is neutralised against formula
                    // injection; the text that was neutralised is read back.
                    r.map(|rec| {
                        rec.iter()
                            .map(|c| spreadsheet::read_neutralised(c).trim().to_owned())
                            .collect()
                    })
                    .map_err(|e| file_error(format!("the CSV file cannot be read: {e}")))
                })
                .collect()
        }
        Format::Xlsx => xlsx::read(bytes).map_err(|refusal| match refusal {
            xlsx::Refusal::TooLarge(message) => DbError::TooLarge(message),
            xlsx::Refusal::Invalid(message) => file_error(message),
        }),
    }
}

fn file_error(message: String) -> DbError {
    let mut e = ValidationErrors::new();
    e.add("file", message);
    DbError::Validation(e)
}

/// Parsing runs on a blocking thread (a request's timeout cannot stop a parse, and it
/// must not hold an async worker), at most [`MAX_CONCURRENT_PARSES`] at a time; the
/// permit goes with the parse, so an abandoned request's parse still counts.
static PARSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_CONCURRENT_PARSES);

async fn read_file(format: Format, bytes: &[u8]) -> DbResult<Table> {
    let permit = PARSES
        .acquire()
        .await
        .map_err(|_| DbError::internal("the import's parse limit is closed"))?;
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        read_table(format, &bytes)
    })
    .await
    .map_err(|e| DbError::internal(format!("parsing an import failed: {e}")))?
}

struct Row {
    line: usize,
    input: NewActivity,
}

fn parse(table: Table, errors: &mut ValidationErrors) -> Vec<Row> {
    let mut rows = table.into_iter();
    let Some(header) = rows.next() else {
        errors.add("file", "is empty; the first row must name the columns");
        return Vec::new();
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if let Some((col, _)) = COLUMNS
            .iter()
            .find(|(_, spellings)| spellings.contains(&name.as_str()))
        {
            index.insert(col, i);
        } else if !name.is_empty() {
            errors.add(format!("header.{name}"), "is not a column of the matrix");
        }
    }
    for required in ["code", "area", "title", "lead_body"] {
        if !index.contains_key(required) {
            errors.add(format!("header.{required}"), "is required");
        }
    }
    if !errors.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut codes = HashMap::new();
    for (n, cells) in rows.enumerate() {
        let line = n + 2;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if out.len() >= MAX_ROWS {
            errors.add("file", format!("has more than {MAX_ROWS} rows"));
            break;
        }
        let get = |col: &str| {
            index
                .get(col)
                .and_then(|i| cells.get(*i))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let date = |col: &str, errors: &mut ValidationErrors| -> Option<NaiveDate> {
            let text = get(col)?;
            match text.parse::<NaiveDate>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.add(format!("rows[{line}].{col}"), "must be a date YYYY-MM-DD");
                    None
                }
            }
        };
        if let Some(status) = get("status")
            && status.parse::<ProgressStatus>().is_err()
        {
            errors.add(
                format!("rows[{line}].status"),
                format!(
                    "{status:?} is not one of {}",
                    ProgressStatus::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let code = get("code").unwrap_or_default();
        if let Some(previous) = codes.insert(code.clone(), line) {
            errors.add(
                format!("rows[{line}].code"),
                format!("{code} is also on row {previous}"),
            );
        }
        let input = NewActivity {
            area: get("area").unwrap_or_default(),
            code,
            title: get("title").unwrap_or_default(),
            description: get("description"),
            actip_reference: get("actip_reference"),
            expected_outputs: get("expected_outputs"),
            planned_start: date("planned_start", errors),
            planned_end: date("planned_end", errors),
            lead_body: get("lead_body").unwrap_or_default(),
            cooperating_bodies: get("cooperating_bodies")
                .map(|s| {
                    s.split([';', ',', '\n'])
                        .map(|b| b.trim().to_owned())
                        .filter(|b| !b.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        };
        out.push(Row { line, input });
    }
    out
}

/// Checks and applies a matrix file to a plan; nothing is written unless every row is
/// valid. With `dry_run`, everything is done as for the import and then rolled back: the
/// report says what the import would do (and the errors are the same), nothing is kept.
pub async fn import(
    db: &Database,
    grant: &SecretariatGrant,
    plan_id: Uuid,
    format: Format,
    bytes: &[u8],
    dry_run: bool,
) -> DbResult<ImportReport> {
    run(db, grant, plan_id, format, bytes, dry_run, None).await
}

/// Imports a file as a preview showed it: `expected` is the preview's rows (what each
/// row would do, with the fields it changes). The import commits only when it does
/// exactly that; when the plan changed since the preview (another user's edit, another
/// import) it is rolled back inside its transaction and the report returned is the new
/// preview, with `dry_run` set: nothing was written.
pub async fn import_as_previewed(
    db: &Database,
    grant: &SecretariatGrant,
    plan_id: Uuid,
    format: Format,
    bytes: &[u8],
    expected: &[ImportRow],
) -> DbResult<ImportReport> {
    run(db, grant, plan_id, format, bytes, false, Some(expected)).await
}

async fn run(
    db: &Database,
    grant: &SecretariatGrant,
    plan_id: Uuid,
    format: Format,
    bytes: &[u8],
    dry_run: bool,
    expected: Option<&[ImportRow]>,
) -> DbResult<ImportReport> {
    let table = read_file(format, bytes).await?;
    let mut errors = ValidationErrors::new();
    let rows = parse(table, &mut errors);
    // A header problem makes the rows meaningless; row problems are collected with
    // the ones found against the database below, so every one is reported at once.
    if rows.is_empty() && !errors.is_empty() {
        return Err(DbError::Validation(errors));
    }

    let mut txn = db.write().await?;
    work_plan::Entity::find_by_id(plan_id)
        .one(&txn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let areas: HashMap<String, Uuid> = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code, a.id))
        .collect();
    let parts = activities::participants(&txn, plan_id).await?;
    let known = activities::known_bodies(&txn).await?;
    // Locked for the import (FOR UPDATE on PostgreSQL; SQLite's write lock is taken
    // already): a PATCH that commits meanwhile cannot be overwritten by values compared
    // against a stale read; it waits for the import and then applies to its result.
    let existing: HashMap<String, activity::Model> = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .lock_exclusive()
        .all(&txn)
        .await?
        .into_iter()
        .map(|a| (a.code.clone(), a))
        .collect();

    // Every row is checked before anything is written.
    let mut checked = Vec::new();
    for row in rows {
        let mut row_errors = ValidationErrors::new();
        activities::check_fields(&mut row_errors, &row.input);
        let area = areas.get(&row.input.area).copied();
        if area.is_none() {
            row_errors.add(
                "area",
                format!("the work plan has no area {:?}", row.input.area),
            );
        }
        let bodies = activities::resolve_bodies(
            &mut row_errors,
            &row.input.lead_body,
            &row.input.cooperating_bodies,
            &parts,
            &known,
        );
        for e in row_errors.0 {
            let column = e.field.split('[').next().unwrap_or(&e.field).to_owned();
            errors.add(format!("rows[{}].{column}", row.line), e.message);
        }
        checked.push((row, area.unwrap_or_default(), bodies));
    }
    errors.finish()?;

    let ids: Vec<Uuid> = existing.values().map(|a| a.id).collect();
    let mut assigned: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for a in activity_assignment::Entity::find()
        .filter(activity_assignment::Column::ActivityId.is_in(ids))
        .all(&txn)
        .await?
    {
        assigned
            .entry(a.activity_id)
            .or_default()
            .push((a.body_id, a.role));
    }
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let now = Utc::now();
    for (row, area_id, bodies) in checked {
        let i = row.input;
        let mut wanted: Vec<(Uuid, String)> = bodies
            .iter()
            .map(|(b, r)| (*b, r.as_str().to_owned()))
            .collect();
        wanted.sort();
        let mut outcome = ImportRow {
            row: row.line,
            code: i.code.clone(),
            title: i.title.trim().to_owned(),
            outcome: ImportOutcome::Create,
            changes: Vec::new(),
        };
        match existing.get(&i.code) {
            None => {
                let id = Uuid::now_v7();
                activity::Entity::insert(activities::new_row(id, plan_id, area_id, &i, now))
                    .exec(&txn)
                    .await?;
                activities::write_assignments(&txn, id, &bodies).await?;
                txn.record(
                    grant.actor_id(),
                    Change::new::<(), _>(
                        AuditAction::ActivityImport,
                        "activity",
                        id,
                        None,
                        Some(
                            &serde_json::json!({"code": i.code, "title": i.title, "row": row.line}),
                        ),
                    )?,
                );
                report.created += 1;
            }
            Some(old) => {
                let mut had = assigned.remove(&old.id).unwrap_or_default();
                had.sort();
                // Stored text is compared as a file holds it (trimmed, empty as absent),
                // so an exported matrix imports unchanged whatever spaces the API kept.
                let same = old.area_id == area_id
                    && old.title.trim() == i.title.trim()
                    && as_read(&old.description) == i.description
                    && as_read(&old.actip_reference) == i.actip_reference
                    && as_read(&old.expected_outputs) == i.expected_outputs
                    && old.planned_start == i.planned_start
                    && old.planned_end == i.planned_end
                    && had == wanted;
                if same {
                    report.unchanged += 1;
                    outcome.outcome = ImportOutcome::Unchanged;
                    report.rows.push(outcome);
                    continue;
                }
                let before = activities::views(&txn, vec![old.clone()]).await?.remove(0);
                let mut am: activity::ActiveModel = old.clone().into();
                am.area_id = Set(area_id);
                am.title = Set(i.title.trim().to_owned());
                am.description = Set(i.description.clone());
                am.actip_reference = Set(i.actip_reference.clone());
                am.expected_outputs = Set(i.expected_outputs.clone());
                am.planned_start = Set(i.planned_start);
                am.planned_end = Set(i.planned_end);
                am.updated_at = Set(now);
                // `version + 1` in the statement, not the version read above: a PATCH
                // that committed since that read keeps its own version number, and the
                // import's change gets the next one (an ETag never names two states).
                activity::Entity::update_many()
                    .set(am)
                    .col_expr(
                        activity::Column::Version,
                        Expr::col(activity::Column::Version).add(1),
                    )
                    .filter(activity::Column::Id.eq(old.id))
                    .exec(&txn)
                    .await?;
                if had != wanted {
                    // Bodies that stay keep their latest and accepted statuses.
                    activities::reassign(&txn, old.id, &bodies, now).await?;
                }
                let row = activity::Entity::find_by_id(old.id)
                    .one(&txn)
                    .await?
                    .ok_or(DbError::NotFound("activity"))?;
                let after = activities::views(&txn, vec![row]).await?.remove(0);
                outcome.outcome = ImportOutcome::Change;
                outcome.changes = changes(&before, &after);
                txn.record(
                    grant.actor_id(),
                    Change::new(
                        AuditAction::ActivityImport,
                        "activity",
                        old.id,
                        Some(&before),
                        Some(&after),
                    )?,
                );
                report.updated += 1;
            }
        }
        report.rows.push(outcome);
    }
    if expected.is_some_and(|rows| rows != report.rows.as_slice()) {
        report.dry_run = true;
    }
    if report.dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

/// Stored text as the import reads a cell: trimmed, and absent when empty.
fn as_read(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The fields of the matrix that differ between `before` and `after`.
fn changes(
    before: &wpt_domain::models::Activity,
    after: &wpt_domain::models::Activity,
) -> Vec<ImportFieldChange> {
    let text = |s: &Option<String>| s.clone();
    let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string());
    let list = |l: &[String]| Some(l.join("; ")).filter(|s| !s.is_empty());
    let fields = [
        ("area", Some(before.area.clone()), Some(after.area.clone())),
        (
            "title",
            Some(before.title.clone()),
            Some(after.title.clone()),
        ),
        (
            "description",
            text(&before.description),
            text(&after.description),
        ),
        (
            "actip_reference",
            text(&before.actip_reference),
            text(&after.actip_reference),
        ),
        (
            "expected_outputs",
            text(&before.expected_outputs),
            text(&after.expected_outputs),
        ),
        (
            "planned_start",
            date(&before.planned_start),
            date(&after.planned_start),
        ),
        (
            "planned_end",
            date(&before.planned_end),
            date(&after.planned_end),
        ),
        (
            "lead_body",
            Some(before.lead_body.clone()),
            Some(after.lead_body.clone()),
        ),
        (
            "cooperating_bodies",
            list(&before.cooperating_bodies),
            list(&after.cooperating_bodies),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .map(|(field, old, new)| ImportFieldChange {
            field: field.to_owned(),
            old,
            new,
        })
        .collect()
}
