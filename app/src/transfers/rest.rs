//! `/api/v1/transfers*` and a machine's `/transfers` and `/owners`.

use super::{Ownership, ReasonInput, Transfer, TransferFilter, TransferInput, decide, history, service};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use uuid::Uuid;

/// The transfer routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/machines/{id}/transfers", post(start))
        .route("/machines/{id}/owners", get(owners))
        .route("/transfers", get(list))
        .route("/transfers/{id}", get(read))
        .route("/transfers/{id}/accept", post(accept))
        .route("/transfers/{id}/decline", post(decline))
        .route("/transfers/{id}/cancel", post(cancel))
        .route("/transfers/{id}/allow", post(allow))
}

/// Offers a registered machine of the caller's unit to the unit with `buyer_uscc` (the
/// administrator of the owning unit).
#[utoipa::path(post, path = "/api/v1/machines/{id}/transfers", tag = "transfers", params(("id" = Uuid, Path)),
    request_body = TransferInput,
    responses(
        (status = 201, description = "Pending; `awaiting_permission_from` lists the counties of unresolved cases that must allow it", body = Transfer),
        (status = 403, description = "Not the unit's administrator", body = ErrorBody),
        (status = 404, description = "Not a machine of the caller's unit", body = ErrorBody),
        (status = 409, description = "`not_registered`, `transfer_pending` (one pending transfer per machine), `amendment_pending` (the unit's amendment of the machine awaits review), or `owner_changed` (the machine changed owner meanwhile)", body = ErrorBody),
        (status = 422, description = "`buyer_uscc` invalid, unknown or the caller's own; `transfer_on` in the past", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TransferInput>,
) -> ApiResult<(StatusCode, axum::Json<Transfer>)> {
    Ok((StatusCode::CREATED, axum::Json(service::start(&state, &p, id, input).await?)))
}

/// Who owned the machine when, oldest first (whoever may see the machine).
#[utoipa::path(get, path = "/api/v1/machines/{id}/owners", tag = "transfers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Ownership>), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn owners(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<Ownership>>> {
    Ok(axum::Json(history::ownership(&state, &p, id).await?))
}

/// Transfers in scope, newest first: a unit's own (both directions; `direction` picks one),
/// officials' those of machines their counties issued or have a case of.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers", params(PageQuery, TransferFilter),
    responses((status = 200, body = Page<Transfer>)), security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<TransferFilter>,
) -> ApiResult<axum::Json<Page<Transfer>>> {
    Ok(axum::Json(service::list(&state, &p, &filter, &page).await?))
}

/// One transfer.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Transfer), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Transfer>> {
    Ok(axum::Json(service::get(&state, &p, id).await?))
}

/// The buyer's administrator accepts (on or after `transfer_on`): the machine changes owner and
/// the seller's filings stop covering it from today.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/accept", tag = "transfers", params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Transfer),
        (status = 403, description = "Not the buyer's administrator", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`illegal_transition` (not pending), `transfer_not_due`, `unresolved_case` (a county has not allowed it since its newest case opened), `owner_changed` (the seller no longer owns the machine: the transfer is now `void`)", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Transfer>> {
    Ok(axum::Json(decide::accept(&state, &p, id).await?))
}

/// The buyer's administrator declines, with a reason.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/decline", tag = "transfers", params(("id" = Uuid, Path)),
    request_body = ReasonInput,
    responses(
        (status = 200, body = Transfer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not pending", body = ErrorBody), (status = 422, description = "No reason", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<Transfer>> {
    Ok(axum::Json(decide::decline(&state, &p, id, input).await?))
}

/// The seller's administrator withdraws a pending transfer.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "transfers", params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Transfer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not pending", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Transfer>> {
    Ok(axum::Json(decide::cancel(&state, &p, id).await?))
}

/// An inspector of a county where the machine has an unresolved case allows the transfer.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/allow", tag = "transfers", params(("id" = Uuid, Path)),
    request_body = ReasonInput,
    responses(
        (status = 200, body = Transfer),
        (status = 403, description = "Not a county inspector", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`illegal_transition`, `nothing_to_allow` (no unresolved case in the county), `already_allowed` (its permission covers every case open there; a newer case needs a new one)", body = ErrorBody),
        (status = 422, description = "No reason", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn allow(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> ApiResult<axum::Json<Transfer>> {
    Ok(axum::Json(decide::allow(&state, &p, id, input).await?))
}
