//! The one integration test binary: the real application, started on port 0, against a fresh
//! SQLite database per test and — when PostgreSQL is configured — a fresh PostgreSQL schema per
//! test; plus a real headless Chromium for the browser flows.

mod helpers;
#[path = "../support/zip_bomb.rs"]
mod zip_bomb;

mod accounts;
mod admin;
mod amendments;
mod audit;
mod auth;
mod browser;
mod cases;
mod certificates;
mod config;
mod contract;
mod demo;
mod evidence;
mod exports;
mod field_lookup;
mod filing_form;
mod filings;
mod import;
mod inspections;
mod labels;
mod local_limits;
mod machines;
mod matrix;
mod notifications;
mod orgs;
mod phone;
mod photos;
mod plan;
mod platform;
mod public;
mod reports;
mod request_ids;
mod scope;
mod signin;
mod sites;
mod stats;
mod todo;
mod transfers;
mod watchlist;
mod zones;
