//! NRMM Registry: the shared model and rules (compiled for the browser too), the pages, the
//! server functions and, behind the `ssr` feature, the service layer and the REST handlers.
//!
//! One folder per capability; each holds its shared types and rules, its `#[server]`
//! functions, its pages, and an ssr-only `service` module with the database work.

#![recursion_limit = "512"]

pub mod admin;
pub mod amendments;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod certificates;
pub mod codes;
pub mod dates;
pub mod divisions;
pub mod error;
pub mod evidence;
pub mod exports;
pub mod field;
pub mod filings;
pub mod inspections;
pub mod machines;
pub mod notes;
pub mod notifications;
pub mod orgs;
pub mod paging;
pub mod plan;
pub mod reference;
pub mod reports;
pub mod shell;
pub mod sites;
pub mod stats;
pub mod todo;
pub mod transfers;
pub mod ui;
pub mod watchlist;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod public;
#[cfg(feature = "ssr")]
pub mod request_ids;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service_error;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod storage;

// The `i18n` module, generated from `locales/*.json` by `build.rs` (its locale tags are
// literals, so the `expect`s in it cannot fire).
#[allow(clippy::expect_used, clippy::new_ret_no_self)]
mod generated_i18n {
    include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
}
pub use generated_i18n::i18n;

pub use shell::App;
#[cfg(feature = "ssr")]
pub use shell::{SiteAssets, shell};
