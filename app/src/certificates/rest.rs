//! `/api/v1/sites/{id}/certificates` (the site's unit issues; the unit and the officials who
//! see the site list them) and `/api/v1/public/certificates/{code}` (anyone checks one;
//! rate-limited per address like the label check).

use super::{Certificate, service};
use crate::error::AppError;
use crate::rest::extract::{ApiError, ApiPath, ApiResult, Caller, ClientIp, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use uuid::Uuid;

/// The certificates' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites/{id}/certificates", get(list).post(issue))
        .route("/public/certificates/{code}", get(check))
}

/// Issues a certificate of what holds at the site today (the site's construction unit).
#[utoipa::path(post, path = "/api/v1/sites/{id}/certificates", tag = "sites", params(("id" = Uuid, Path)),
    responses(
        (status = 201, body = Certificate),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`no_filing_in_force`: the site has no accepted filing in force today", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn issue(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, axum::Json<Certificate>)> {
    Ok((StatusCode::CREATED, axum::Json(service::issue(&state, &p, id).await?)))
}

/// The certificates of a site the caller may see, newest first, each current or superseded.
#[utoipa::path(get, path = "/api/v1/sites/{id}/certificates", tag = "sites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Certificate>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<Certificate>>> {
    Ok(axum::Json(service::list(&state, &p, id).await?))
}

/// A certificate as printed, and whether it is still current (no sign-in). An unknown code is
/// 404; more than the allowed requests per address is 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/public/certificates/{code}", tag = "public",
    params(("code" = String, Path, description = "The code printed under the certificate's QR code")),
    responses(
        (status = 200, body = Certificate),
        (status = 404, body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see `Retry-After`", body = ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<Certificate>> {
    crate::public::rest::admit_key(&state, &super::limit_key(&ip.0))
        .map_err(|retry_after_secs| ApiError(AppError::RateLimited { retry_after_secs }))?;
    Ok(axum::Json(service::check(&state, &code).await?))
}
