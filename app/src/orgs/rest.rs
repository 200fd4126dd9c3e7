//! `/api/v1/organizations/*`: sign-up, the caller's organisation, its staff.

use super::{Organization, RegisterInput, StaffInput, StaffRoleChange, StaffUser, service};
use crate::auth::Me;
use crate::rest::extract::{ApiJson, ApiPath, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The organisation routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations/register", post(register))
        .route("/organizations/me", get(mine))
        .route("/organizations/users", get(staff).post(add_staff))
        .route("/organizations/users/{id}/disable", post(disable))
        .route("/organizations/users/{id}/enable", post(enable))
        .route("/organizations/users/{id}/role", post(change_role))
}

/// What sign-up answers.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registered {
    pub organization: Organization,
    pub user: Me,
}

/// Registers a construction unit and its first administrator.
#[utoipa::path(post, path = "/api/v1/organizations/register", tag = "organizations", request_body = RegisterInput,
    responses(
        (status = 201, body = Registered),
        (status = 409, description = "The credit code is already registered (`fields.uscc`)", body = ErrorBody),
        (status = 422, description = "`fields.uscc` when the credit code fails its check", body = ErrorBody),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<RegisterInput>,
) -> ApiResult<(StatusCode, axum::Json<Registered>)> {
    let (organization, user_id) = service::register(&state, input).await?;
    let user = service::me_of(&state, user_id).await?;
    Ok((StatusCode::CREATED, axum::Json(Registered { organization, user })))
}

/// The caller's organisation.
#[utoipa::path(get, path = "/api/v1/organizations/me", tag = "organizations",
    responses((status = 200, body = Organization), (status = 403, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn mine(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<Organization>> {
    Ok(axum::Json(service::mine(&state, &p).await?))
}

/// The organisation's users (its administrators only).
#[utoipa::path(get, path = "/api/v1/organizations/users", tag = "organizations",
    responses((status = 200, body = Vec<StaffUser>), (status = 403, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn staff(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<Vec<StaffUser>>> {
    Ok(axum::Json(service::staff(&state, &p).await?))
}

/// Adds a staff user.
#[utoipa::path(post, path = "/api/v1/organizations/users", tag = "organizations", request_body = StaffInput,
    responses((status = 201, body = StaffUser), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn add_staff(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<StaffInput>,
) -> ApiResult<(StatusCode, axum::Json<StaffUser>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add_staff(&state, &p, input).await?)))
}

/// Disables a user of the unit (their sessions end and their tokens are revoked).
#[utoipa::path(post, path = "/api/v1/organizations/users/{id}/disable", tag = "organizations", params(("id" = Uuid, Path)),
    responses((status = 200, body = StaffUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_disable_self`; `disabled_by_authority` (already disabled by an official or a system administrator, `details.role`)", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn disable(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<StaffUser>> {
    Ok(axum::Json(service::set_staff_active(&state, &p, id, false).await?))
}

/// Re-enables a user of the unit that the unit itself disabled. An account disabled by an
/// official or a system administrator is theirs to enable again: 409 `disabled_by_authority`
/// (`details.role` names the authority).
#[utoipa::path(post, path = "/api/v1/organizations/users/{id}/enable", tag = "organizations", params(("id" = Uuid, Path)),
    responses((status = 200, body = StaffUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_disable_self` or `disabled_by_authority`", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<StaffUser>> {
    Ok(axum::Json(service::set_staff_active(&state, &p, id, true).await?))
}

/// Promotes a user of the unit to administrator, or demotes an administrator to staff.
#[utoipa::path(post, path = "/api/v1/organizations/users/{id}/role", tag = "organizations", params(("id" = Uuid, Path)),
    request_body = StaffRoleChange,
    responses((status = 200, body = StaffUser),
        (status = 403, description = "Not the unit's administrator, or a role other than `contractor_admin` / `contractor_staff`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_change_own_role`", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn change_role(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<StaffRoleChange>,
) -> ApiResult<axum::Json<StaffUser>> {
    Ok(axum::Json(service::change_staff_role(&state, &p, id, change).await?))
}
