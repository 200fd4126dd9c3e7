//! Server functions of the watch list page and of a filing's review.

use super::{WatchEntry, WatchEntryInput, WatchedMachine};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// The watched machines the caller may see.
#[server(endpoint = "watchlist/list")]
pub async fn list_watchlist() -> Result<Vec<WatchedMachine>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p).await?)
}

/// Puts a machine on the list (the county's inspectors).
#[server(input = Json, endpoint = "watchlist/add")]
pub async fn add_watch_entry(input: WatchEntryInput) -> Result<WatchEntry, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::add(&state, &p, input).await?)
}

/// Ends an entry of the caller's county.
#[server(endpoint = "watchlist/end")]
pub async fn end_watch_entry(id: Uuid) -> Result<WatchEntry, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::end(&state, &p, id).await?)
}

/// The watched machines of a filing, for its review (officials).
#[server(endpoint = "watchlist/filing")]
pub async fn filing_watch(filing_id: Uuid) -> Result<Vec<WatchedMachine>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::for_filing(&state, &p, filing_id).await?)
}
