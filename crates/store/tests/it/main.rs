//! The store's integration tests. Every test runs against both backends: SQLite in a
//! temporary directory and PostgreSQL at `HUBCAP_TEST_PG_URL` (a throwaway cluster from
//! `scripts/pg`); without that variable the tests fail, they do not skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;
mod import;
mod listing;
mod properties;
mod reliability;
mod schema;
mod sharing;
mod tokens;
mod users_groups_roles;
