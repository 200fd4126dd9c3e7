//! `/api/v1/machines/{id}/amendments` and `/api/v1/amendments*` (the evidence photos are served
//! by `evidence::rest`, like those of inspections and cases).

use super::{Amendment, AmendmentFilter, AmendmentInput, review, service};
use crate::filings::ReviewInput;
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use uuid::Uuid;

/// The amendment routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/machines/{id}/amendments", get(history).post(submit))
        .route("/amendments", get(list))
        .route("/amendments/{id}", get(read))
        .route("/amendments/{id}/review", post(decide))
        .route("/amendments/{id}/withdraw", post(withdraw))
}

/// Asks the issuing county to amend registered facts of a machine of the caller's unit. Add
/// evidence photos with `POST /api/v1/amendments/{id}/photos`; at least one is needed before the
/// county can accept.
#[utoipa::path(post, path = "/api/v1/machines/{id}/amendments", tag = "amendments", params(("id" = Uuid, Path)),
    request_body = AmendmentInput,
    responses(
        (status = 201, description = "`status: pending`, routed to the county that issued the code", body = Amendment),
        (status = 403, description = "Not a construction unit", body = ErrorBody),
        (status = 404, description = "No such machine in the caller's unit", body = ErrorBody),
        (status = 409, description = "`not_registered` (edit the machine directly), `amendment_pending` (one at a time), `transfer_pending` (the machine is being handed over), or `duplicate_identifier`", body = ErrorBody),
        (status = 422, description = "`fields`: a key that is no registered fact (`not_registered_fact`), a value the machine rules refuse, `changes: no_change`, `reason`", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<AmendmentInput>,
) -> ApiResult<(StatusCode, axum::Json<Amendment>)> {
    Ok((StatusCode::CREATED, axum::Json(service::submit(&state, &p, id, input).await?)))
}

/// The amendment history of a machine (anyone who may see the machine), newest first.
#[utoipa::path(get, path = "/api/v1/machines/{id}/amendments", tag = "amendments", params(("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<Amendment>), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Amendment>>> {
    Ok(axum::Json(service::history(&state, &p, id, &page).await?))
}

/// Amendments in scope: a unit those it asked for, officials those of the counties that issued
/// the codes. `status=pending` is the review queue, oldest first.
#[utoipa::path(get, path = "/api/v1/amendments", tag = "amendments", params(PageQuery, AmendmentFilter),
    responses((status = 200, body = Page<Amendment>), (status = 400, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<AmendmentFilter>,
) -> ApiResult<axum::Json<Page<Amendment>>> {
    Ok(axum::Json(service::list(&state, &p, &filter, &page).await?))
}

/// One amendment: old and new values, reason, outcome.
#[utoipa::path(get, path = "/api/v1/amendments/{id}", tag = "amendments", params(("id" = Uuid, Path)),
    responses((status = 200, body = Amendment), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Amendment>> {
    Ok(axum::Json(service::get(&state, &p, id).await?))
}

/// Accepts (the machine takes the new values) or returns (with a reason) a pending amendment:
/// inspectors of the county that issued the registration code.
#[utoipa::path(post, path = "/api/v1/amendments/{id}/review", tag = "amendments", params(("id" = Uuid, Path)),
    request_body = ReviewInput,
    responses(
        (status = 200, body = Amendment),
        (status = 403, description = "Not an inspector of the issuing county", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`illegal_transition` (not pending), `evidence_required` (no photo yet), `amendment_stale` (the machine's facts moved since), `owner_changed` (the machine changed owner since it was asked), `duplicate_identifier`", body = ErrorBody),
        (status = 422, description = "Return without a reason, or a value today's rules refuse", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<axum::Json<Amendment>> {
    Ok(axum::Json(review::review(&state, &p, id, input).await?))
}

/// Withdraws a pending amendment: the unit's administrators, or the staff member who asked.
#[utoipa::path(post, path = "/api/v1/amendments/{id}/withdraw", tag = "amendments", params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = Amendment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not pending", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn withdraw(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Amendment>> {
    Ok(axum::Json(service::withdraw(&state, &p, id).await?))
}
