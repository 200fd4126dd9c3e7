//! `/api/v1/auth/*`: sign-in, sign-out, who am I, API tokens.

use super::service::{self, IssuedToken};
use super::{LoginInput, Me};
use crate::rest::{ApiJson, ApiResult, Caller, ClientIp, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_sessions::Session;

/// The auth routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/me", get(me))
        .route("/auth/tokens", post(create_token))
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
    service::start_session(&session, &principal).await?;
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
pub async fn me(Caller(principal): Caller) -> ApiResult<axum::Json<Me>> {
    Ok(axum::Json(principal.me()))
}

/// A new API token request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub name: String,
}

/// Issues an API token; the token is shown once.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 201, description = "The token, shown once", body = IssuedToken),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Bad name", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    ApiJson(req): ApiJson<TokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<IssuedToken>)> {
    let issued = service::create_token(&state, &principal, &req.name).await?;
    Ok((StatusCode::CREATED, axum::Json(issued)))
}
