//! Server functions of the case pages.

use super::{Case, CaseDetail, CaseFilter, TransitionInput};
use crate::error::AppError;
use crate::notes::{Note, NoteInput};
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// A page of cases in scope.
#[server(input = Json, endpoint = "cases/list")]
pub async fn list_cases(filter: CaseFilter, cursor: Option<String>) -> Result<Page<Case>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// One case with its history and notes.
#[server(endpoint = "cases/get")]
pub async fn get_case(id: Uuid) -> Result<CaseDetail, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::get(&state, &p, id).await?)
}

/// Moves a case through its workflow.
#[server(input = Json, endpoint = "cases/transition")]
pub async fn transition_case(id: Uuid, input: TransitionInput) -> Result<CaseDetail, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::transition(&state, &p, id, input).await?)
}

/// Adds a joint-inspection note to a case.
#[server(input = Json, endpoint = "cases/notes/add")]
pub async fn add_case_note(id: Uuid, input: NoteInput) -> Result<Note, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::add_note(&state, &p, id, input).await?)
}
