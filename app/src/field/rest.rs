//! `GET /api/v1/machines/lookup`: the field look-up.

use super::{LookupQuery, LookupResult};
use crate::rest::extract::{ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The look-up route.
pub fn router() -> Router<AppState> {
    Router::new().route("/machines/lookup", get(lookup_machine))
}

/// The field look-up by registration code, PIN, environmental code or engine serial
/// (inspectors, officers, partner departments). Any registered machine is found, whatever
/// county filed it — a deliberate scope exception answering only what a field check needs.
/// An unknown code is `200 {status: not_registered}`.
#[utoipa::path(get, path = "/api/v1/machines/lookup", tag = "inspections", params(LookupQuery),
    responses(
        (status = 200, body = LookupResult),
        (status = 403, description = "Construction units", body = ErrorBody),
        (status = 404, description = "`site_id` not in the caller's scope", body = ErrorBody),
        (status = 422, description = "A registration code with a wrong check character (`regcode_check_char`)", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn lookup_machine(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<axum::Json<LookupResult>> {
    Ok(axum::Json(super::service::lookup(&state, &p, &q).await?))
}
