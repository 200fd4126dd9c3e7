//! `/api/v1/machines*` and `/api/v1/machine-types`.

use super::{Machine, MachineFilter, MachineTypeInfo, NewMachine, service};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use uuid::Uuid;

/// The machine routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/machine-types", get(machine_types))
        .route("/machines", get(list).post(create))
        .route("/machines/{id}", get(read).patch(update).delete(remove))
        .merge(super::import::rest::router())
        .merge(super::labels::api_router())
        .merge(super::photos::rest::router())
}

/// The machine types (seeded list, extended by administrators).
#[utoipa::path(get, path = "/api/v1/machine-types", tag = "machines", responses((status = 200, body = Vec<MachineTypeInfo>)))]
pub async fn machine_types(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<MachineTypeInfo>>> {
    Ok(axum::Json(service::types(&state.db).await?))
}

/// Registers a machine in the caller's fleet.
#[utoipa::path(post, path = "/api/v1/machines", tag = "machines", request_body = NewMachine,
    responses(
        (status = 201, body = Machine),
        (status = 401, body = ErrorBody), (status = 403, description = "Not a construction unit", body = ErrorBody),
        (status = 409, description = "PIN, environmental code or engine serial already registered (`fields` names it)", body = ErrorBody),
        (status = 422, description = "A rule is broken (`fields`)", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<NewMachine>,
) -> ApiResult<(StatusCode, axum::Json<Machine>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&state, &p, input).await?)))
}

/// Lists machines in the caller's scope, newest first (keyset pagination).
#[utoipa::path(get, path = "/api/v1/machines", tag = "machines", params(PageQuery, MachineFilter),
    responses((status = 200, body = Page<Machine>), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<MachineFilter>,
) -> ApiResult<axum::Json<Page<Machine>>> {
    Ok(axum::Json(service::list(&state, &p, &filter, &page).await?))
}

/// One machine.
#[utoipa::path(get, path = "/api/v1/machines/{id}", tag = "machines", params(("id" = Uuid, Path)),
    responses((status = 200, body = Machine), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Machine>> {
    Ok(axum::Json(service::get(&state, &p, id).await?))
}

/// Edits a machine: a JSON merge patch with the `version` that was read.
#[utoipa::path(patch, path = "/api/v1/machines/{id}", tag = "machines", params(("id" = Uuid, Path)),
    request_body(content = serde_json::Value, description = "Fields to change, plus `version`"),
    responses(
        (status = 200, body = Machine), (status = 404, body = ErrorBody),
        (status = 409, description = "Stale version (`details.current_version`) or duplicate identifier", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<serde_json::Value>,
) -> ApiResult<axum::Json<Machine>> {
    Ok(axum::Json(service::update(&state, &p, id, patch).await?))
}

/// Deletes a machine that is neither registered nor filed.
#[utoipa::path(delete, path = "/api/v1/machines/{id}", tag = "machines", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, description = "Registered or filed", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
