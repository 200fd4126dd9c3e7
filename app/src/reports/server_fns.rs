//! Server functions of the reports queue.

use super::{Report, ReportClosing, ReportQuery};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// The reports of the caller's counties.
#[server(input = Json, endpoint = "reports/list")]
pub async fn list_reports(query: ReportQuery) -> Result<Vec<Report>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &query).await?)
}

/// Closes a report with a reason (the county's inspectors).
#[server(input = Json, endpoint = "reports/close")]
pub async fn close_report(id: Uuid, input: ReportClosing) -> Result<Report, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::close(&state, &p, id, input).await?)
}
