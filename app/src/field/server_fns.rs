//! The server function of the field look-up page.

use super::{FieldSite, LookupResult};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// The field look-up.
#[server(endpoint = "inspections/lookup")]
pub async fn lookup_machine(code: String, site_id: Option<Uuid>) -> Result<LookupResult, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::lookup(&state, &p, &super::LookupQuery { code, site_id }).await?)
}

/// The sites a field page offers (the first hundred in scope, as the site list orders them),
/// each with what the phone judges by.
#[server(endpoint = "field/sites")]
pub async fn field_sites() -> Result<Vec<FieldSite>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let page = crate::paging::PageQuery { limit: Some(100), cursor: None };
    Ok(crate::sites::service::list(&state, &p, &page).await?.items.into_iter().map(FieldSite::from).collect())
}
