//! Server functions of the transfer pages: thin twins of the REST handlers over one service.

use super::{Ownership, ReasonInput, Transfer, TransferFilter, TransferInput};
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// A page of transfers in scope.
#[server(input = Json, endpoint = "transfers/list")]
pub async fn list_transfers(filter: TransferFilter, cursor: Option<String>) -> Result<Page<Transfer>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One transfer.
#[server(endpoint = "transfers/get")]
pub async fn get_transfer(id: Uuid) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::get(&state, &p, id).await?)
}

/// Who owned a machine when.
#[server(endpoint = "transfers/owners")]
pub async fn machine_owners(machine_id: Uuid) -> Result<Vec<Ownership>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::history::ownership(&state, &p, machine_id).await?)
}

/// Offers a machine to another unit.
#[server(input = Json, endpoint = "transfers/start")]
pub async fn start_transfer(machine_id: Uuid, input: TransferInput) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::start(&state, &p, machine_id, input).await?)
}

/// The buyer accepts.
#[server(endpoint = "transfers/accept")]
pub async fn accept_transfer(id: Uuid) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::decide::accept(&state, &p, id).await?)
}

/// The buyer declines.
#[server(input = Json, endpoint = "transfers/decline")]
pub async fn decline_transfer(id: Uuid, input: ReasonInput) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::decide::decline(&state, &p, id, input).await?)
}

/// The seller withdraws it.
#[server(endpoint = "transfers/cancel")]
pub async fn cancel_transfer(id: Uuid) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::decide::cancel(&state, &p, id).await?)
}

/// A county allows it.
#[server(input = Json, endpoint = "transfers/allow")]
pub async fn allow_transfer(id: Uuid, input: ReasonInput) -> Result<Transfer, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::decide::allow(&state, &p, id, input).await?)
}
