//! `/api/v1/watchlist`: the watched machines (officials), an inspector's entries (add, end),
//! and `/api/v1/filings/{id}/watch`: the watched machines of a filing under review.

use super::{WatchEntry, WatchEntryInput, WatchedMachine, service};
use crate::rest::extract::{ApiJson, ApiPath, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use uuid::Uuid;

/// The watch list's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/watchlist", get(list).post(add))
        .route("/watchlist/{id}", delete(end))
        .route("/filings/{id}/watch", get(filing))
}

/// The watched machines the caller may see (officials): watched for a reason in their counties,
/// or now filed at a site there. Latest trouble first.
#[utoipa::path(get, path = "/api/v1/watchlist", tag = "watchlist",
    responses((status = 200, body = Vec<WatchedMachine>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<Vec<WatchedMachine>>> {
    Ok(axum::Json(service::list(&state, &p).await?))
}

/// Puts a registered machine on the list for the inspector's county, with a reason, until an
/// end date (county inspectors).
#[utoipa::path(post, path = "/api/v1/watchlist", tag = "watchlist", request_body = WatchEntryInput,
    responses(
        (status = 201, body = WatchEntry),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`fields.registration_code`: required or unknown; `fields.reason`: required or too long; `fields.ends_on`: in the past or more than 366 days ahead", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<WatchEntryInput>,
) -> ApiResult<(StatusCode, axum::Json<WatchEntry>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add(&state, &p, input).await?)))
}

/// Ends an entry of the inspector's county before its end date; the entry stays on record.
#[utoipa::path(delete, path = "/api/v1/watchlist/{id}", tag = "watchlist", params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = WatchEntry),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Already ended", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn end(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<WatchEntry>> {
    Ok(axum::Json(service::end(&state, &p, id).await?))
}

/// The watched machines named in a filing, with why (officials who may see the filing).
#[utoipa::path(get, path = "/api/v1/filings/{id}/watch", tag = "watchlist", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<WatchedMachine>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn filing(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<WatchedMachine>>> {
    Ok(axum::Json(service::for_filing(&state, &p, id).await?))
}
