//! `/cycles`: reporting cycles, each body's submission and its review, amendments, the
//! consolidated report and the edition.
//!
//! One module per use case: `schedule` (list, create, read, reschedule), `lifecycle`
//! (open, close, edition), `submissions` (the board, a body's report and its review),
//! `amendments`, and `report` (the consolidated report, rendered by
//! [`crate::report`]).

mod amendments;
mod comments;
mod deadlines;
mod lifecycle;
mod report;
mod schedule;
mod submissions;

use utoipa_axum::{router::OpenApiRouter, routes};

pub use amendments::{AmendmentDecision, AmendmentRequest};
pub use comments::CommentRequest;
pub use deadlines::{ExtensionRequest, RemindersSent};
pub use report::ReportQuery;
pub use schedule::{CreateCycle, CycleQuery, UpdateCycle};
pub use submissions::{Board, BoardQuery, EntryRequest, ReturnRequest, SaveSubmission};

use crate::AppState;

/// The routes of this module. The order of `.routes(...)` is the order of the paths in
/// the OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule::list_cycles, schedule::create_cycle))
        .routes(routes!(
            schedule::get_cycle,
            schedule::update_cycle,
            schedule::delete_cycle
        ))
        .routes(routes!(lifecycle::open_cycle))
        .routes(routes!(lifecycle::close_cycle))
        .routes(routes!(lifecycle::reopen_cycle))
        .routes(routes!(deadlines::remind))
        .routes(routes!(submissions::list_submissions))
        .routes(routes!(
            submissions::get_submission,
            submissions::save_submission
        ))
        .routes(routes!(submissions::submit))
        .routes(routes!(submissions::return_submission))
        .routes(routes!(submissions::accept))
        .routes(routes!(deadlines::extend))
        .routes(routes!(
            amendments::list_amendments,
            amendments::propose_amendment
        ))
        .routes(routes!(amendments::accept_amendment))
        .routes(routes!(amendments::reject_amendment))
        .routes(routes!(comments::list_comments, comments::add_comment))
        .routes(routes!(comments::resolve_comment))
        .routes(routes!(report::report))
        .routes(routes!(lifecycle::get_edition))
}
