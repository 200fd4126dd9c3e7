//! The server function of the home page's to-do list.

use super::Todo;
use crate::error::AppError;
use leptos::prelude::*;

/// The caller's to-do list (empty when signed out).
#[server(endpoint = "todo/mine")]
pub async fn my_todo() -> Result<Todo, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::todo(&state, &p).await?)
}
