//! sea-orm entities: one module per table, mirroring the migrations.
//!
//! Enumerated columns are `String` here and converted to the `wpt-domain` enums at the
//! edge of each query (the database guards them with CHECK constraints). The test suite
//! selects one row of every entity after migrating, so a drift between an entity and
//! its migration fails a test rather than a request.

pub mod account_token;
pub mod activity;
pub mod activity_assignment;
pub mod amendment;
pub mod amendment_attachment;
pub mod api_token;
pub mod attachment;
pub mod audit_log;
pub mod edition;
pub mod indicator;
pub mod indicator_actual;
pub mod login_failure;
pub mod maintenance;
pub mod member_state;
pub mod milestone;
pub mod notification;
pub mod notification_setting;
pub mod outbox;
pub mod plan_participation;
pub mod progress_update;
pub mod reference_data_load;
pub mod refresh_token;
pub mod reporting_cycle;
pub mod sectoral_body;
pub mod session;
pub mod submission;
pub mod submission_comment;
pub mod submission_entry;
pub mod submission_event;
pub mod thematic_area;
pub mod user;
pub mod work_plan;
