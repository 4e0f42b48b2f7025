//! JSON columns read through typed values: a value that does not read as its type is a
//! sign of a corrupted database, reported as an internal error, never a default.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{DbError, DbResult};

/// Reads `value` (the column `what`) as a `T`.
pub(crate) fn read<T: DeserializeOwned>(value: &Value, what: &str) -> DbResult<T> {
    T::deserialize(value).map_err(|e| DbError::internal(format!("unreadable {what}: {e}")))
}
