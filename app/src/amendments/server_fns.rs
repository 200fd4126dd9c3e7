//! Server functions of the amendment pages: thin twins of the REST handlers.

use super::{Amendment, AmendmentFilter, AmendmentInput};
use crate::error::AppError;
use crate::filings::ReviewInput;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// A page of amendments in scope.
#[server(input = Json, endpoint = "amendments/list")]
pub async fn list_amendments(filter: AmendmentFilter, cursor: Option<String>) -> Result<Page<Amendment>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One amendment.
#[server(endpoint = "amendments/get")]
pub async fn get_amendment(id: Uuid) -> Result<Amendment, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::get(&state, &p, id).await?)
}

/// The amendment history of a machine.
#[server(endpoint = "amendments/history")]
pub async fn amendment_history(machine_id: Uuid, cursor: Option<String>) -> Result<Page<Amendment>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::history(&state, &p, machine_id, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// Asks for an amendment of a registered machine.
#[server(input = Json, endpoint = "amendments/submit")]
pub async fn submit_amendment(machine_id: Uuid, input: AmendmentInput) -> Result<Amendment, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::submit(&state, &p, machine_id, input).await?)
}

/// Accepts or returns an amendment.
#[server(input = Json, endpoint = "amendments/review")]
pub async fn review_amendment(id: Uuid, input: ReviewInput) -> Result<Amendment, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::review::review(&state, &p, id, input).await?)
}

/// Withdraws a pending amendment.
#[server(endpoint = "amendments/withdraw")]
pub async fn withdraw_amendment(id: Uuid) -> Result<Amendment, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::withdraw(&state, &p, id).await?)
}
