//! The plan's matrix as the import reads it: one row per activity that is not archived,
//! in the classic matrix's columns (with the code and area the import matches rows by,
//! lead and cooperating bodies in two cells, and the planned dates), by area and code.

use std::cmp::Ordering;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use wpt_domain::policy::Lens;

use crate::activities;
use crate::entities::{activity, thematic_area, work_plan};
use crate::{Database, DbError, DbResult};

/// The header the export writes: the classic matrix's names, each a spelling the import
/// reads (see `COLUMNS`).
pub const MATRIX_HEADER: [&str; 11] = [
    "Code",
    "Area",
    "ACTIP / APA Reference",
    "Area of Collaboration",
    "Proposed Programme/Project/Activity",
    "Expected Outputs",
    "Lead Sectoral Body",
    "Cooperating Sectoral Bodies",
    "Implementation Status",
    "Planned Start",
    "Planned End",
];

/// One activity as a row of the matrix: the cells of [`MATRIX_HEADER`], empty where the
/// activity has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The cells, in the order of [`MATRIX_HEADER`].
    pub cells: [String; 11],
}

/// The matrix of plan `plan_id` as `lens` reads it (the implementation status is the
/// lead body's latest status, or its accepted one through [`Lens::Accepted`]). A constant
/// number of queries: the plan, its areas, its activities and their views.
pub async fn matrix(db: &Database, plan_id: Uuid, lens: Lens) -> DbResult<Vec<MatrixRow>> {
    let conn = db.conn();
    work_plan::Entity::find_by_id(plan_id)
        .one(conn)
        .await?
        .ok_or(DbError::NotFound("work plan"))?;
    let positions: std::collections::HashMap<String, i32> = thematic_area::Entity::find()
        .filter(thematic_area::Column::WorkPlanId.eq(plan_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.code, a.position))
        .collect();
    let rows = activity::Entity::find()
        .filter(activity::Column::WorkPlanId.eq(plan_id))
        .filter(activity::Column::ArchivedAt.is_null())
        .all(conn)
        .await?;
    let mut views = activities::views_as(conn, rows, lens).await?;
    views.sort_by(|a, b| {
        (positions.get(&a.area), &a.area)
            .cmp(&(positions.get(&b.area), &b.area))
            .then_with(|| natural(&a.code, &b.code))
    });
    Ok(views
        .into_iter()
        .map(|a| {
            let status = a
                .bodies
                .iter()
                .find(|b| b.body == a.lead_body)
                .and_then(|b| match lens {
                    Lens::Recorded => b.latest_status,
                    Lens::Accepted => b.accepted.as_ref().map(|x| x.status),
                })
                .map(|s| s.as_str().to_owned());
            let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            MatrixRow {
                cells: [
                    a.code,
                    a.area,
                    a.actip_reference.unwrap_or_default(),
                    a.description.unwrap_or_default(),
                    a.title,
                    a.expected_outputs.unwrap_or_default(),
                    a.lead_body,
                    a.cooperating_bodies.join("; "),
                    status.unwrap_or_default(),
                    date(a.planned_start),
                    date(a.planned_end),
                ],
            }
        })
        .collect())
}

/// Codes in reading order: `A.a.2` before `A.a.10` (numeric parts compared as numbers).
fn natural(a: &str, b: &str) -> Ordering {
    let key = |s: &str| -> Vec<(u64, String)> {
        s.split('.')
            .map(|p| match p.parse::<u64>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u64::MAX, p.to_owned()),
            })
            .collect()
    };
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_sort_in_reading_order() {
        let mut codes = vec!["A.a.10", "A.b.1", "A.a.2", "A.a.1", "B.a.1"];
        codes.sort_by(|a, b| natural(a, b));
        assert_eq!(codes, ["A.a.1", "A.a.2", "A.a.10", "A.b.1", "B.a.1"]);
    }

    #[test]
    fn the_header_is_what_the_import_reads() {
        let mut errors = wpt_domain::ValidationErrors::new();
        let header: Vec<String> = MATRIX_HEADER.iter().map(|s| (*s).to_owned()).collect();
        let mut row: Vec<String> = vec![String::new(); 11];
        row[0] = "A.a.1".into();
        row[1] = "A".into();
        row[4] = "Title".into();
        row[6] = "SOMTC".into();
        row[9] = "2024-01-01".into();
        let rows = super::super::parse(vec![header, row], &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].input.title, "Title");
        assert_eq!(rows[0].input.lead_body, "SOMTC");
        assert_eq!(
            rows[0].input.planned_start,
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        );
    }
}
