//! The reference-data file (`data/reference.toml`): its format and its checks.
//!
//! Administrators correct this file, not code, when a fact about the bodies, member
//! states or plans changes; the loader in `wpt-db` applies it at start. Everything the
//! public record does not confirm is flagged `confirmed = false` in the file itself.

use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashSet;

use crate::validation::{ValidationErrors, check_text};
use crate::{ParticipationRole, Pillar, WorkPlanStatus};

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    /// Sectoral bodies.
    #[serde(default)]
    pub bodies: Vec<ReferenceBody>,
    /// ASEAN member states with their dates.
    #[serde(default)]
    pub member_states: Vec<ReferenceMemberState>,
    /// Work plans with their areas and participants.
    #[serde(default)]
    pub work_plans: Vec<ReferenceWorkPlan>,
}

/// A sectoral body in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceBody {
    /// Stable short code.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Pillar.
    pub pillar: Pillar,
    /// Whether a public source confirms it.
    pub confirmed: bool,
    /// Editorial notes.
    pub notes: Option<String>,
}

/// A member state in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceMemberState {
    /// ISO 3166-1 alpha-2 code.
    pub iso_code: String,
    /// Short name.
    pub name: String,
    /// When it became a member, if it is one.
    pub member_since: Option<NaiveDate>,
    /// When it became an observer, if it was one.
    pub observer_since: Option<NaiveDate>,
}

/// A work plan in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceWorkPlan {
    /// Unique code.
    pub code: String,
    /// Title.
    pub title: String,
    /// First day covered.
    pub period_start: NaiveDate,
    /// Last day covered.
    pub period_end: NaiveDate,
    /// Adoption date, if known.
    pub adopted_on: Option<NaiveDate>,
    /// Adopting meeting, if known.
    pub adopted_at: Option<String>,
    /// Status.
    pub status: WorkPlanStatus,
    /// Thematic areas, in display order.
    #[serde(default)]
    pub areas: Vec<ReferenceArea>,
    /// Participating bodies.
    #[serde(default)]
    pub participants: Vec<ReferenceParticipant>,
}

/// A thematic area in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceArea {
    /// Letter within the plan.
    pub code: String,
    /// Title.
    pub title: String,
}

/// A body's participation in a plan, in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceParticipant {
    /// The body's code.
    pub body: String,
    /// `lead` or `member`.
    pub role: ParticipationRole,
    /// Whether a public source confirms this participation.
    pub confirmed: bool,
}

/// Why a reference file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// Not valid TOML, or not this format.
    #[error("reference data is not in the expected format: {0}")]
    Format(String),
    /// Well-formed but inconsistent.
    #[error("reference data is inconsistent: {0}")]
    Invalid(ValidationErrors),
}

impl ReferenceData {
    /// Parses and checks a reference file.
    pub fn from_toml_str(text: &str) -> Result<Self, ReferenceError> {
        let data: ReferenceData =
            toml::from_str(text).map_err(|e| ReferenceError::Format(e.to_string()))?;
        data.validate().map_err(ReferenceError::Invalid)?;
        Ok(data)
    }

    /// Checks codes, references between sections, dates and the one-lead rule.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut body_codes = HashSet::new();
        for (i, b) in self.bodies.iter().enumerate() {
            let field = format!("bodies[{i}]");
            check_code(&mut errors, &format!("{field}.code"), &b.code);
            check_text(&mut errors, &format!("{field}.name"), &b.name, true, 300);
            if !body_codes.insert(b.code.as_str()) {
                errors.add(format!("{field}.code"), format!("{} appears twice", b.code));
            }
        }
        let mut iso_codes = HashSet::new();
        for (i, m) in self.member_states.iter().enumerate() {
            let field = format!("member_states[{i}]");
            let valid_iso =
                m.iso_code.len() == 2 && m.iso_code.chars().all(|c| c.is_ascii_uppercase());
            if !valid_iso {
                errors.add(format!("{field}.iso_code"), "must be two capital letters");
            }
            if !iso_codes.insert(m.iso_code.as_str()) {
                errors.add(format!("{field}.iso_code"), "appears twice");
            }
            if m.member_since.is_none() && m.observer_since.is_none() {
                errors.add(field, "needs member_since or observer_since");
            }
        }
        let mut plan_codes = HashSet::new();
        for (i, p) in self.work_plans.iter().enumerate() {
            let field = format!("work_plans[{i}]");
            check_code(&mut errors, &format!("{field}.code"), &p.code);
            check_text(&mut errors, &format!("{field}.title"), &p.title, true, 500);
            if !plan_codes.insert(p.code.as_str()) {
                errors.add(format!("{field}.code"), "appears twice");
            }
            if p.period_end < p.period_start {
                errors.add(format!("{field}.period_end"), "is before period_start");
            }
            let mut area_codes = HashSet::new();
            for (j, a) in p.areas.iter().enumerate() {
                check_code(&mut errors, &format!("{field}.areas[{j}].code"), &a.code);
                if !area_codes.insert(a.code.as_str()) {
                    errors.add(format!("{field}.areas[{j}].code"), "appears twice");
                }
            }
            let mut participants = HashSet::new();
            for (j, pt) in p.participants.iter().enumerate() {
                let pfield = format!("{field}.participants[{j}].body");
                if !body_codes.contains(pt.body.as_str()) {
                    errors.add(pfield.clone(), format!("unknown body {}", pt.body));
                }
                if !participants.insert(pt.body.as_str()) {
                    errors.add(pfield, "appears twice");
                }
            }
            let leads = p
                .participants
                .iter()
                .filter(|pt| pt.role == ParticipationRole::Lead)
                .count();
            if !p.participants.is_empty() && leads != 1 {
                errors.add(
                    format!("{field}.participants"),
                    format!("needs exactly one lead body (found {leads})"),
                );
            }
        }
        errors.finish()
    }
}

/// Checks a short code: 1 to 40 characters of capital letters, digits and `-`.
pub fn check_code(errors: &mut ValidationErrors, field: &str, code: &str) {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !ok {
        errors.add(
            field,
            "must be 1 to 40 characters of capital letters, digits, '-' or '.'",
        );
    }
}

/// Checks an activity code such as `A.a.1`: 1 to 40 characters of letters (either
/// case, as the matrix letters its items), digits, `.` and `-`.
pub fn check_activity_code(errors: &mut ValidationErrors, field: &str, code: &str) {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !ok {
        errors.add(
            field,
            "must be 1 to 40 characters of letters, digits, '-' or '.'",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
        [[bodies]]
        code = "SOMTC"
        name = "Senior Officials Meeting on Transnational Crime"
        pillar = "APSC"
        confirmed = true

        [[work_plans]]
        code = "P1"
        title = "Plan"
        period_start = "2023-01-01"
        period_end = "2028-12-31"
        status = "active"
        areas = [{ code = "A", title = "Prevention" }]
        participants = [{ body = "SOMTC", role = "lead", confirmed = true }]
    "#;

    #[test]
    fn a_consistent_file_parses() {
        let data = ReferenceData::from_toml_str(SMALL).expect("valid");
        assert_eq!(data.bodies[0].pillar, Pillar::Apsc);
        assert_eq!(
            data.work_plans[0].participants[0].role,
            ParticipationRole::Lead
        );
    }

    #[test]
    fn a_participant_that_is_not_a_body_is_named() {
        let text = SMALL.replace(r#"body = "SOMTC""#, r#"body = "NOPE""#);
        match ReferenceData::from_toml_str(&text) {
            Err(ReferenceError::Invalid(errors)) => {
                let fields: Vec<_> = errors.0.iter().map(|e| e.field.clone()).collect();
                assert_eq!(fields, ["work_plans[0].participants[0].body"]);
            }
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_plan_without_a_lead_is_refused() {
        let text = SMALL.replace(r#"role = "lead""#, r#"role = "member""#);
        match ReferenceData::from_toml_str(&text) {
            Err(ReferenceError::Invalid(errors)) => {
                assert_eq!(errors.0[0].field, "work_plans[0].participants");
            }
            other => panic!("expected invalid, got {other:?}"),
        }
    }

    #[test]
    fn an_unknown_key_is_a_format_error() {
        let text = SMALL.replace("confirmed = true\n\n", "confirmed = true\ncolour = 1\n\n");
        assert!(matches!(
            ReferenceData::from_toml_str(&text),
            Err(ReferenceError::Format(_))
        ));
    }
}
