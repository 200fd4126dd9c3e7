//! `/api/v1/cases*`.

use super::{Case, CaseDetail, CaseFilter, TransitionInput, service};
use crate::notes::{Note, NoteInput};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use uuid::Uuid;

/// The case routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(list))
        .route("/cases/{id}", get(read))
        .route("/cases/{id}/transition", post(transition))
        .route("/cases/{id}/notes", post(add_note))
}

/// Cases in scope, newest first: officials by county, a construction unit the cases of its
/// machines and sites. `overdue=true`: ordered to correct with the deadline passed.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(PageQuery, CaseFilter),
    responses((status = 200, body = Page<Case>)), security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<CaseFilter>,
) -> ApiResult<axum::Json<Page<Case>>> {
    Ok(axum::Json(service::list(&state, &p, &filter, &page).await?))
}

/// One case with its history (`events`) and joint notes.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<CaseDetail>> {
    Ok(axum::Json(service::get(&state, &p, id).await?))
}

/// Moves a case (an inspector of the case's county). Legal moves: open → rectification_ordered
/// (`deadline_on`, not in the past), open/rectification_ordered → penalized (`penalty_yuan` > 0,
/// `legal_basis` defaulting to 《大气污染防治法》第一百一十四条), open → closed (with a `note`),
/// reinspection_passed → closed, penalized → closed. rectification_ordered → reinspection_passed
/// only happens through a passing re-inspection (`POST /inspections` with `case_id`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/transition", tag = "cases", params(("id" = Uuid, Path)), request_body = TransitionInput,
    responses(
        (status = 200, body = CaseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`illegal_transition` (`details.from`, `details.to`), `reinspection_required`, `stale_version`", body = ErrorBody),
        (status = 422, description = "Missing deadline, deadline in the past, penalty not above 0, closing an open case without a note", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn transition(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> ApiResult<axum::Json<CaseDetail>> {
    Ok(axum::Json(service::transition(&state, &p, id, input).await?))
}

/// Adds a joint-inspection note (partner departments and the county's inspectors).
#[utoipa::path(post, path = "/api/v1/cases/{id}/notes", tag = "cases", params(("id" = Uuid, Path)), request_body = NoteInput,
    responses((status = 201, body = Note), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "`request_id_reused`: the `request_id` was sent before with another operation", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn add_note(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NoteInput>,
) -> ApiResult<(StatusCode, axum::Json<Note>)> {
    Ok((StatusCode::CREATED, axum::Json(service::add_note(&state, &p, id, input).await?)))
}
