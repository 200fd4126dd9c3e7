//! The server function of the audit page.

use super::{AuditEntry, AuditFilter};
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// A page of the audit log in the caller's scope.
#[server(input = Json, endpoint = "audit/search")]
pub async fn search_audit(filter: AuditFilter, cursor: Option<String>) -> Result<Page<AuditEntry>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::search(&state, &p, &filter, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}
