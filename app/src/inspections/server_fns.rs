//! Server functions of the inspection pages: the limit table for the phone, the verdict,
//! recording and reading inspections, joint notes.

use super::compliance::{EvaluateInput, Evaluation};
use super::limits::LimitTable;
use super::{Inspection, InspectionFilter, InspectionInput};
use crate::error::AppError;
use crate::notes::{Note, NoteInput};
use crate::paging::Page;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// The limit table in force on a day (today when `None`) for a county — the one the server
/// judges its inspections with, for evaluating on the phone — or the national one.
#[server(endpoint = "inspections/limit-table")]
pub async fn current_limit_table(on: Option<NaiveDate>, county_code: Option<String>) -> Result<LimitTable, AppError> {
    let state = crate::state::app_state()?;
    Ok(super::limits::tables::current(&state, on, county_code.as_deref()).await?)
}

/// The verdict with the table in force today.
#[server(input = Json, endpoint = "inspections/evaluate")]
pub async fn evaluate_compliance(input: EvaluateInput) -> Result<Evaluation, AppError> {
    let state = crate::state::app_state()?;
    Ok(super::limits::zones::evaluate(&state, &input).await?)
}

/// Records an inspection.
#[server(input = Json, endpoint = "inspections/create")]
pub async fn create_inspection(input: InspectionInput) -> Result<Inspection, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::create(&state, &p, input).await?)
}

/// A page of inspections in scope.
#[server(input = Json, endpoint = "inspections/list")]
pub async fn list_inspections(filter: InspectionFilter, cursor: Option<String>) -> Result<Page<Inspection>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::read::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One inspection.
#[server(endpoint = "inspections/get")]
pub async fn get_inspection(id: Uuid) -> Result<Inspection, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::read::get(&state, &p, id).await?)
}

/// Adds a joint-inspection note to an inspection.
#[server(input = Json, endpoint = "inspections/notes/add")]
pub async fn add_inspection_note(id: Uuid, input: NoteInput) -> Result<Note, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::add_note(&state, &p, id, input).await?)
}

/// Every limit table version, national and local, newest first.
#[server(endpoint = "limits/list")]
pub async fn list_limit_tables() -> Result<Page<LimitTable>, AppError> {
    let state = crate::state::app_state()?;
    let page = crate::paging::PageQuery { limit: Some(100), cursor: None };
    Ok(super::limits::tables::list_tables(&state, &super::limits::TableFilter::default(), &page).await?)
}

/// Publishes a new limit table version (system administrators national, officers their own
/// division's).
#[server(input = Json, endpoint = "limits/create")]
pub async fn create_limit_table(input: super::limits::LimitTableInput) -> Result<LimitTable, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::limits::tables::create_table(&state, &p, input).await?)
}

/// The division the caller publishes limit tables for (`None`: the national table).
#[server(endpoint = "limits/division")]
pub async fn publishing_division() -> Result<Option<crate::divisions::Division>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::limits::tables::publishing_division(&state, &p).await?)
}

/// The zones the caller administers.
#[server(endpoint = "zones/list")]
pub async fn list_zones() -> Result<Page<super::limits::Zone>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let page = crate::paging::PageQuery { limit: Some(500), cursor: None };
    Ok(super::limits::zones::list_zones(&state, &p, &super::limits::ZoneFilter::default(), &page).await?)
}

/// Adds a zone.
#[server(input = Json, endpoint = "zones/create")]
pub async fn create_zone(input: super::limits::ZoneInput) -> Result<super::limits::Zone, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::limits::zones::create_zone(&state, &p, input).await?)
}
