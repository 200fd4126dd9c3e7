//! `GET /api/v1/todo`: the caller's to-do list.

use super::{Todo, service};
use crate::rest::extract::{ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The to-do route.
pub fn router() -> Router<AppState> {
    Router::new().route("/todo", get(mine))
}

/// What waits for the caller: counts with the page that lists each (the home page's list).
#[utoipa::path(get, path = "/api/v1/todo", tag = "todo",
    responses((status = 200, body = Todo), (status = 401, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn mine(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<Todo>> {
    Ok(axum::Json(service::todo(&state, &p).await?))
}
