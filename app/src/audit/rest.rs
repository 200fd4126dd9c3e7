//! `GET /api/v1/audit`.

use super::{AuditEntry, AuditFilter, service};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The audit routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(search))
}

/// The audit log, newest first, within the caller's scope: a county inspector sees the rows
/// about records in its county, a city officer its counties, a province officer and a system
/// administrator everything. Construction units and partner departments: 403.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(PageQuery, AuditFilter),
    responses(
        (status = 200, body = Page<AuditEntry>),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A `from`/`to` that is neither an RFC 3339 instant nor a date, or a bad cursor", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> ApiResult<axum::Json<Page<AuditEntry>>> {
    Ok(axum::Json(service::search(&state, &p, &filter, &page).await?))
}
