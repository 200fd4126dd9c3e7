//! The server function of the field look-up page.

use super::LookupResult;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// The field look-up.
#[server(endpoint = "inspections/lookup")]
pub async fn lookup_machine(code: String, site_id: Option<Uuid>) -> Result<LookupResult, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::lookup(&state, &p, &super::LookupQuery { code, site_id }).await?)
}
