//! The integration suite: one binary, one module per area. Every test runs the real
//! router against a real database (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`); see `wpt_tests` for the harness.

mod abuse_limits;
mod access;
mod accounts;
mod audit;
mod contract;
mod conventions;
mod cycles;
mod deletion;
mod exports;
mod hostile;
mod identity;
mod identity_limits;
mod import;
mod maintenance;
mod matrix;
mod metrics;
mod migrations;
mod openapi;
mod openapi_examples;
mod paper;
mod participation;
mod plan_pages;
mod races;
mod reference_data;
mod secrets;
mod seed;
mod usability;
mod viewer;
mod web;
mod web_accounts;
mod web_import;
mod work_plan;
