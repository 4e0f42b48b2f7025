//! The integration suite: one binary, one module per area. Every test runs the real
//! router against a real database (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`); see `wpt_tests` for the harness.

mod access;
mod accounts;
mod audit;
mod contract;
mod conventions;
mod cycles;
mod hostile;
mod identity;
mod import;
mod metrics;
mod migrations;
mod openapi;
mod reference_data;
mod secrets;
mod seed;
mod web;
mod work_plan;
