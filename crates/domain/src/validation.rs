//! Field-level validation errors shared by every layer.
//!
//! A use case collects every problem with its input before it answers, so a client
//! sees all of them at once; the API turns them into the `errors` list of a 422.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field: its name as the client spelled it, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, in the client's own terms (`limit`, `entries[2].status`).
    #[schema(example = "entries[0].narrative")]
    pub field: String,
    /// What is wrong, in words a person can act on.
    #[schema(example = "must not be blank")]
    pub message: String,
}

impl FieldError {
    /// A field error from anything string-like.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A collection of field errors; empty means the input is valid.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one problem.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// `Ok(())` when nothing was recorded, else the collected errors.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Checks a free-text field: trimmed length within `1..=max` characters (or empty when
/// `required` is false), no NUL or other control characters except tab and newlines.
pub fn check_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    required: bool,
    max: usize,
) {
    let len = value.chars().count();
    if required && value.trim().is_empty() {
        errors.add(field, "must not be empty");
    } else if len > max {
        errors.add(
            field,
            format!("must be at most {max} characters (got {len})"),
        );
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, "must not contain control characters");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_checks_report_each_problem_by_field() {
        let mut errors = ValidationErrors::new();
        check_text(&mut errors, "title", "  ", true, 10);
        check_text(&mut errors, "name", "abcdefghijk", true, 10);
        check_text(&mut errors, "note", "a\u{0}b", false, 10);
        check_text(&mut errors, "ok", "line\nnext", true, 10);
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "name", "note"]);
        assert!(errors.finish().is_err());
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (argon2 takes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Normalizes and checks an email address: trimmed, lower-cased, one `@` with text on
/// both sides, no spaces or control characters, at most 320 characters.
pub fn normalize_email(errors: &mut ValidationErrors, field: &str, email: &str) -> String {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 320
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if !valid {
        errors.add(field, "must be an email address such as name@example.org");
    }
    email
}

/// Checks a new password's length.
pub fn check_password(errors: &mut ValidationErrors, field: &str, password: &str) {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        errors.add(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        );
    } else if n > MAX_PASSWORD_CHARS {
        errors.add(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        );
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            normalize_email(&mut e, "email", " Officer@Example.ORG "),
            "officer@example.org"
        );
        assert!(e.is_empty());
        for bad in ["", "no-at", "@x", "x@", "a b@c", "a@b@c", "x@.org"] {
            let mut e = ValidationErrors::new();
            normalize_email(&mut e, "email", bad);
            assert!(!e.is_empty(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused() {
        let mut e = ValidationErrors::new();
        check_password(&mut e, "password", "elevenchars");
        assert_eq!(e.0.len(), 1);
        let mut e = ValidationErrors::new();
        check_password(&mut e, "password", "twelve chars");
        assert!(e.is_empty());
    }
}
