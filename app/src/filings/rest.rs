//! `/api/v1/filings*`.

use super::{
    FiledMachineOverlap, Filing, FilingCorrection, FilingFilter, FilingInput, Movement, MovementInput, OverlapQuery,
    Precheck, ReviewInput, overlaps, service,
};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use uuid::Uuid;

/// The filing routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/filings", get(list).post(create))
        .route("/filings/precheck", post(precheck))
        .route("/filings/overlaps", get(filed_overlaps))
        .route("/filings/{id}", get(read).put(resubmit))
        .route("/filings/{id}/review", post(review))
        .route("/filings/{id}/close", post(close))
        .route("/filings/{id}/movements", get(movements).post(record_movement))
}

/// Submits a filing; it is routed to the county of the site.
#[utoipa::path(post, path = "/api/v1/filings", tag = "filings", request_body = FilingInput,
    responses(
        (status = 201, description = "`status: submitted`, `county_code` of the site", body = Filing),
        (status = 409, description = "`machine_overlap`: a machine is on an accepted filing at another site with overlapping dates (`details.other_site` and dates only for the unit's own filing); `owner_changed`: a machine changed owner meanwhile; `request_id_reused`: the `request_id` was sent before with another operation", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<FilingInput>,
) -> ApiResult<(StatusCode, axum::Json<Filing>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&state, &p, input).await?)))
}

/// The automatic pre-checks for a filing about to be submitted.
#[utoipa::path(post, path = "/api/v1/filings/precheck", tag = "filings", request_body = FilingInput,
    responses((status = 200, body = Vec<Precheck>), (status = 422, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn precheck(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<FilingInput>,
) -> ApiResult<axum::Json<Vec<Precheck>>> {
    Ok(axum::Json(service::precheck(&state, &p, &input).await?))
}

/// Filings in scope; `status=submitted` is the review queue, oldest first.
#[utoipa::path(get, path = "/api/v1/filings", tag = "filings", params(PageQuery, FilingFilter),
    responses((status = 200, body = Page<Filing>)), security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<FilingFilter>,
) -> ApiResult<axum::Json<Page<Filing>>> {
    Ok(axum::Json(super::read::list(&state, &p, &filter, &page).await?))
}

/// One filing, with its pre-checks.
#[utoipa::path(get, path = "/api/v1/filings/{id}", tag = "filings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Filing), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Filing>> {
    Ok(axum::Json(super::read::get(&state, &p, id).await?))
}

/// Corrects a returned filing and submits it again.
#[utoipa::path(put, path = "/api/v1/filings/{id}", tag = "filings", params(("id" = Uuid, Path)), request_body = FilingCorrection,
    responses((status = 200, body = Filing), (status = 409, description = "Not returned, stale version, or `owner_changed`", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn resubmit(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<FilingCorrection>,
) -> ApiResult<axum::Json<Filing>> {
    Ok(axum::Json(service::resubmit(&state, &p, id, input).await?))
}

/// Accepts (issuing registration codes) or returns (with a reason) a submitted filing.
#[utoipa::path(post, path = "/api/v1/filings/{id}/review", tag = "filings", params(("id" = Uuid, Path)), request_body = ReviewInput,
    responses(
        (status = 200, body = Filing), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Not submitted, or a machine overlaps another accepted filing", body = ErrorBody),
        (status = 422, description = "Return without a reason", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn review(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<axum::Json<Filing>> {
    Ok(axum::Json(super::review::review(&state, &p, id, input).await?))
}

/// Closes an accepted filing.
#[utoipa::path(post, path = "/api/v1/filings/{id}/close", tag = "filings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Filing), (status = 409, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn close(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Filing>> {
    Ok(axum::Json(service::close(&state, &p, id).await?))
}

/// The entry/exit log.
#[utoipa::path(get, path = "/api/v1/filings/{id}/movements", tag = "filings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Movement>), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn movements(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<Movement>>> {
    Ok(axum::Json(super::movements::movements(&state, &p, id).await?))
}

/// Records an entry or exit.
#[utoipa::path(post, path = "/api/v1/filings/{id}/movements", tag = "filings", params(("id" = Uuid, Path)), request_body = MovementInput,
    responses(
        (status = 201, description = "Recorded; `warning: outside_filing_dates` when the entry lies outside the planned dates", body = Movement),
        (status = 409, description = "Filing not accepted", body = ErrorBody),
        (status = 422, description = "Exit before entry, exit without entry, machine not on the filing", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn record_movement(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<MovementInput>,
) -> ApiResult<(StatusCode, axum::Json<Movement>)> {
    Ok((StatusCode::CREATED, axum::Json(super::movements::record_movement(&state, &p, id, input).await?)))
}

/// Which of these machines are already on a submitted or accepted filing (in the caller's
/// scope: a unit's own) whose planned dates overlap `from..=to`, with that filing's site,
/// status and dates — what the filing form shows beside each machine it offers.
#[utoipa::path(get, path = "/api/v1/filings/overlaps", tag = "filings", params(OverlapQuery),
    responses((status = 200, body = Vec<FiledMachineOverlap>),
        (status = 400, description = "An id that is no UUID, or a date that does not parse (`malformed_query`)", body = ErrorBody),
        (status = 422, description = "More than 500 machines, or `to` before `from`", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn filed_overlaps(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(query): ApiQuery<OverlapQuery>,
) -> ApiResult<axum::Json<Vec<FiledMachineOverlap>>> {
    Ok(axum::Json(overlaps::filed_for_query(&state, &p, &query).await?))
}
