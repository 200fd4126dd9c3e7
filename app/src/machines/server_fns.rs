//! Server functions of the machine pages.

use super::{Machine, MachineFilter, MachineInput, MachineTypeInfo};
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// The machine-type list.
#[server(endpoint = "machines/types")]
pub async fn machine_types() -> Result<Vec<MachineTypeInfo>, AppError> {
    let state = crate::state::app_state()?;
    Ok(super::service::types(&state.db).await?)
}

/// A page of machines in scope.
#[server(input = Json, endpoint = "machines/list")]
pub async fn list_machines(filter: MachineFilter, cursor: Option<String>) -> Result<Page<Machine>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One machine.
#[server(endpoint = "machines/get")]
pub async fn get_machine(id: Uuid) -> Result<Machine, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::get(&state, &p, id).await?)
}

/// Registers a machine.
#[server(input = Json, endpoint = "machines/create")]
pub async fn create_machine(input: MachineInput, request_id: Option<Uuid>) -> Result<Machine, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::create(&state, &p, super::NewMachine { machine: input, request_id }).await?)
}

/// Saves an edit made on `version`.
#[server(input = Json, endpoint = "machines/update")]
pub async fn update_machine(id: Uuid, version: i32, input: MachineInput) -> Result<Machine, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let mut patch = serde_json::to_value(&input).map_err(|_| AppError::BadRequest { code: "malformed".into() })?;
    if let serde_json::Value::Object(map) = &mut patch {
        map.insert("version".into(), version.into());
    }
    Ok(super::service::update(&state, &p, id, patch).await?)
}

/// Deletes a machine.
#[server(endpoint = "machines/delete")]
pub async fn delete_machine(id: Uuid) -> Result<(), AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::delete(&state, &p, id).await?)
}
