//! `/api/v1/auth/*`: sign-in, sign-out, who am I, API tokens.

use super::service;
use super::token_service;
use super::tokens::{ApiTokenInfo, IssuedToken, TokenRequest};
use super::{LoginInput, Me};
use crate::paging::Page;
use crate::rest::extract::{ApiJson, ApiPath, ApiResult, Caller, ClientIp, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use tower_sessions::Session;
use uuid::Uuid;

/// The auth routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/tokens", post(create_token).get(list_tokens))
        .route("/auth/tokens/{id}", delete(revoke_token))
        .route("/admin/users/{id}/tokens", get(list_user_tokens))
        .route("/admin/users/{id}/tokens/{token_id}", delete(revoke_user_token))
}

/// Signs in and sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = Me),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 401, description = "Wrong user name or password, or account disabled", body = ErrorBody),
        (status = 422, description = "Missing fields", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this user name or address", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    session: Session,
    ApiJson(input): ApiJson<LoginInput>,
) -> ApiResult<axum::Json<Me>> {
    let principal = service::authenticate(&state, &input, &ip).await?;
    service::start_session(&session, &principal, state.clock.now()).await?;
    Ok(axum::Json(principal.me()))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, description = "Not signed in", body = ErrorBody)),
    security(("session" = [])))]
pub async fn logout(State(state): State<AppState>, Caller(p): Caller, session: Session) -> ApiResult<StatusCode> {
    service::sign_out(&state, &p, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, description = "Not signed in", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn me(State(state): State<AppState>, Caller(principal): Caller) -> ApiResult<axum::Json<Me>> {
    Ok(axum::Json(principal.me_named(&state.db).await?))
}

/// Issues an API token with a lifetime (the configured default, 90 days, when none is named; at
/// most 365); the token is shown once.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 201, description = "The token, shown once", body = IssuedToken),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Bad name or lifetime", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<IssuedToken>)> {
    let issued = token_service::create(&state, &principal, req).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}

/// The caller's own API tokens, newest first (never their secrets), revoked and expired ones
/// included.
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = Page<ApiTokenInfo>), (status = 401, description = "Not signed in", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> ApiResult<axum::Json<Page<ApiTokenInfo>>> {
    Ok(axum::Json(token_service::list_own(&state, &principal).await?))
}

/// Revokes one of the caller's own tokens; its next use is 401.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Revoked", body = ApiTokenInfo),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such token of the caller's", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<ApiTokenInfo>> {
    Ok(axum::Json(token_service::revoke_own(&state, &principal, id).await?))
}

/// The API tokens of an account the caller administers.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/tokens", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = Page<ApiTokenInfo>), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller administers no accounts", body = ErrorBody),
        (status = 404, description = "No such account within the caller's reach", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_user_tokens(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Page<ApiTokenInfo>>> {
    Ok(axum::Json(token_service::list_of(&state, &principal, id).await?))
}

/// Revokes an API token of an account the caller administers.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/tokens/{token_id}", tag = "admin",
    params(("id" = Uuid, Path), ("token_id" = Uuid, Path)),
    responses((status = 200, description = "Revoked", body = ApiTokenInfo), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller administers no accounts", body = ErrorBody),
        (status = 404, description = "No such account within reach, or no such token of it", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn revoke_user_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiPath((id, token_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<ApiTokenInfo>> {
    Ok(axum::Json(token_service::revoke_of_user(&state, &principal, id, token_id).await?))
}
