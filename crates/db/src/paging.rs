//! Keyset pagination shared by every list: fetch `limit + 1` rows ordered by
//! `(key, id)`, return `limit` of them and a cursor after the last.

use wpt_domain::models::Page;
use wpt_domain::page::Cursor;

use crate::DbResult;

/// Cuts a `limit + 1` fetch down to a page and its next cursor.
pub(crate) fn paginate<R>(
    mut rows: Vec<R>,
    limit: u64,
    cursor_of: impl Fn(&R) -> Cursor,
) -> DbResult<Page<R>> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| cursor_of(r).encode())
    } else {
        None
    };
    Ok(Page {
        items: rows,
        next_cursor,
    })
}

/// Maps the rows of a page, keeping its cursor.
pub(crate) trait TryMapPage<R> {
    fn try_map<T>(self, f: impl FnMut(R) -> DbResult<T>) -> DbResult<Page<T>>;
}

impl<R> TryMapPage<R> for Page<R> {
    fn try_map<T>(self, f: impl FnMut(R) -> DbResult<T>) -> DbResult<Page<T>> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(f)
                .collect::<DbResult<Vec<T>>>()?,
            next_cursor: self.next_cursor,
        })
    }
}
