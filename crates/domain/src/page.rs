//! Cursor pagination: `?limit=` and `?cursor=` as api.md fixes them.
//!
//! A cursor is opaque to clients: base64url of the last row's sort key and id. Lists
//! are ordered by `(key, id)` and the next page starts strictly after the cursor, so
//! rows inserted between two requests never cause duplicates or gaps among the rows
//! that already existed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::ValidationErrors;

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest `limit` accepted; more is a 422, never a silent clamp.
pub const MAX_LIMIT: u64 = 200;

/// Where a page starts: after the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row of the previous page, as text.
    pub key: String,
    /// The id of that row, the tie-breaker.
    pub id: Uuid,
}

impl Cursor {
    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        // `id:key`: a UUID has a fixed form without ':', so the first ':' splits them.
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.id, self.key))
    }

    /// Reads a cursor a client sent back; `None` when it is not one of ours.
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let (id, key) = text.split_once(':')?;
        Some(Cursor {
            key: key.to_owned(),
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows wanted, `1..=MAX_LIMIT`.
    pub limit: u64,
    /// Start after this row; `None` for the first page.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Checks `limit` and `cursor` as a client sent them.
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => n as u64,
            Some(n) => {
                errors.add(
                    "limit",
                    format!("must be between 1 and {MAX_LIMIT} (got {n})"),
                );
                DEFAULT_LIMIT
            }
        };
        let after = match cursor {
            None => None,
            Some(text) => {
                let decoded = Cursor::decode(text);
                if decoded.is_none() {
                    errors.add("cursor", "is not a cursor this server issued");
                }
                decoded
            }
        };
        errors.finish()?;
        Ok(Self { limit, after })
    }

    /// The first page with the default size.
    pub fn first() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_the_round_trip_even_with_colons_in_the_key() {
        let c = Cursor {
            key: "2025-01-01T00:00:00Z".into(),
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
    }

    #[test]
    fn limits_out_of_range_are_refused_not_clamped() {
        for bad in [0, -1, 201] {
            let err = PageRequest::parse(Some(bad), None).expect_err("out of range");
            assert_eq!(err.0[0].field, "limit");
        }
        assert_eq!(
            PageRequest::parse(Some(200), None).map(|p| p.limit),
            Ok(200)
        );
        assert_eq!(PageRequest::parse(None, None).map(|p| p.limit), Ok(50));
    }

    #[test]
    fn a_forged_cursor_is_refused() {
        let err = PageRequest::parse(None, Some("not-a-cursor")).expect_err("forged");
        assert_eq!(err.0[0].field, "cursor");
    }
}
