//! Server functions of the filing pages.

use super::{
    Decision, FiledMachineOverlap, Filing, FilingCorrection, FilingFilter, FilingInput, Movement, MovementInput,
    Precheck,
};
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// A page of filings in scope.
#[server(input = Json, endpoint = "filings/list")]
pub async fn list_filings(filter: FilingFilter, cursor: Option<String>) -> Result<Page<Filing>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::read::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One filing.
#[server(endpoint = "filings/get")]
pub async fn get_filing(id: Uuid) -> Result<Filing, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::read::get(&state, &p, id).await?)
}

/// The pre-checks of a filing about to be submitted.
#[server(input = Json, endpoint = "filings/precheck")]
pub async fn precheck_filing(input: FilingInput) -> Result<Vec<Precheck>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::precheck(&state, &p, &input).await?)
}

/// Which of these machines are already filed (submitted or accepted) for days in `from..=to`;
/// `exclude` leaves out the filing being corrected.
#[server(input = Json, endpoint = "filings/overlaps")]
pub async fn filed_overlaps(
    machine_ids: Vec<Uuid>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    exclude: Option<Uuid>,
) -> Result<Vec<FiledMachineOverlap>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::overlaps::filed_for(&state, &p, &machine_ids, from, to, exclude).await?)
}

/// Submits a filing.
#[server(input = Json, endpoint = "filings/create")]
pub async fn create_filing(input: FilingInput) -> Result<Filing, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::create(&state, &p, input).await?)
}

/// Corrects and resubmits a returned filing.
#[server(input = Json, endpoint = "filings/resubmit")]
pub async fn resubmit_filing(id: Uuid, input: FilingCorrection) -> Result<Filing, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::resubmit(&state, &p, id, input).await?)
}

/// Accepts or returns a filing. Form-encoded, so the review page's plain form posts here before
/// (and without) the WASM: the browser is sent back to the page, which shows the outcome.
#[server(endpoint = "filings/review")]
pub async fn review_filing(id: Uuid, decision: Decision, reason: Option<String>) -> Result<Filing, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::review::review(&state, &p, id, super::ReviewInput { decision, reason }).await?)
}

/// Closes an accepted filing.
#[server(endpoint = "filings/close")]
pub async fn close_filing(id: Uuid) -> Result<Filing, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::close(&state, &p, id).await?)
}

/// The entry/exit log.
#[server(endpoint = "filings/movements")]
pub async fn list_movements(id: Uuid) -> Result<Vec<Movement>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::movements::movements(&state, &p, id).await?)
}

/// Records an entry or exit.
#[server(input = Json, endpoint = "filings/movements/record")]
pub async fn record_movement(id: Uuid, input: MovementInput) -> Result<Movement, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::movements::record_movement(&state, &p, id, input).await?)
}
