//! The list pages this process answered, kept by audit position and day: a page asked
//! again while nothing was written (anywhere, by any instance) is answered from memory
//! after one indexed query, the position (`crate::audit::position`), instead of the
//! page's statement.
//!
//! Why the position and not notifications: every write appends an audit entry in its own
//! transaction, so the position names the state of all the data a page reads (statuses,
//! accepted reports, milestones, archiving); an instance reads it from the database on
//! every request and cannot miss another's write. A page also depends on the day (its
//! overdue counts): the day is part of the key. Pages of older positions are dropped as
//! soon as one of a newer position is kept, so what is kept is at most [`MAX_PAGES`]
//! pages of the current state. What a page holds depends on the filter and the lens
//! (what viewers may see is part of the filter), never on who asks otherwise: two
//! callers with the same lens and filter get the same page from the database too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use wpt_domain::models::{Activity, Page};

/// Pages kept at one position, at most (each at most `MAX_LIMIT` activities).
const MAX_PAGES: usize = 128;

/// The audit position and the day a page reflects.
pub(crate) type At = (i64, NaiveDate);

/// The list pages of one process, shared by the clones of a `Database`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListCache(Arc<Mutex<Kept>>);

#[derive(Debug, Default)]
struct Kept {
    at: Option<At>,
    pages: HashMap<String, Arc<Page<Activity>>>,
}

impl ListCache {
    /// The page asked as `key` (the filter and the page request), if one was kept at `at`
    /// or later the same day.
    pub(crate) fn get(&self, key: &str, at: At) -> Option<Arc<Page<Activity>>> {
        let kept = self.0.lock().ok()?;
        // The same day, at this position or a later one (positions only grow: a page
        // kept at a later one is at least as new as the state asked about).
        let current = kept.at?;
        if current.1 != at.1 || current.0 < at.0 {
            return None;
        }
        kept.pages.get(key).cloned()
    }

    /// Forgets every page (for a change made behind the write path's back).
    pub(crate) fn clear(&self) {
        if let Ok(mut kept) = self.0.lock() {
            *kept = Kept::default();
        }
    }

    /// Keeps `page`, read at `at` (the position read *before* its statement, so the page
    /// is at least as new as `at`). A negative position names no state: nothing is kept.
    /// A page of an older position than what is kept is not kept either.
    pub(crate) fn put(&self, key: String, at: At, page: Arc<Page<Activity>>) {
        if at.0 < 0 {
            return;
        }
        let Ok(mut kept) = self.0.lock() else {
            return;
        };
        match kept.at {
            Some(current) if current > at => return,
            Some(current) if current == at => {}
            _ => {
                kept.at = Some(at);
                kept.pages.clear();
            }
        }
        if kept.pages.len() < MAX_PAGES || kept.pages.contains_key(&key) {
            kept.pages.insert(key, page);
        }
    }
}
