//! `/api/v1/compliance/evaluate`, `/limit-tables*`, `/zones*` and `/inspections*`.

use super::compliance::{EvaluateInput, Evaluation};
use super::limits::{LimitTable, LimitTableInput, OnDate, TableFilter, Zone, ZoneFilter, ZoneInput};
use super::limits::{tables, zones};
use super::service;
use super::{Inspection, InspectionFilter, InspectionInput};
use crate::notes::{Note, NoteInput};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use uuid::Uuid;

/// The inspection routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/compliance/evaluate", post(evaluate))
        .route("/limit-tables", get(list_tables).post(create_table))
        .route("/limit-tables/current", get(current_table))
        .route("/zones", get(list_zones).post(create_zone))
        .route("/zones/{id}", put(update_zone))
        .route("/inspections", get(list).post(create))
        .route("/inspections/{id}", get(read))
        .route("/inspections/{id}/notes", post(add_note))
}

/// The compliance verdict for a machine and its readings, with the limit table in force today
/// for `county_code` — the one that county's inspections are judged with (city table over
/// province table over national) — or the national table without it; the same rule inspections
/// use; anyone may call it.
#[utoipa::path(post, path = "/api/v1/compliance/evaluate", tag = "inspections", request_body = EvaluateInput,
    responses(
        (status = 200, body = Evaluation),
        (status = 422, description = "No readings, fewer than three opacity readings, a reading that is not a finite number ≥ 0, Ringelmann outside 0–5", body = ErrorBody),
    ))]
pub async fn evaluate(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EvaluateInput>,
) -> ApiResult<axum::Json<Evaluation>> {
    Ok(axum::Json(zones::evaluate(&state, &input).await?))
}

/// The limit table in force on a day (today by default) for a county — the one its inspections
/// are judged with (the inspector's phone evaluates with it) — or the national table; public.
#[utoipa::path(get, path = "/api/v1/limit-tables/current", tag = "inspections", params(OnDate),
    responses(
        (status = 200, body = LimitTable),
        (status = 404, description = "No table in force yet on that day", body = ErrorBody),
        (status = 422, description = "`county_code` names no division", body = ErrorBody),
    ))]
pub async fn current_table(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<OnDate>,
) -> ApiResult<axum::Json<LimitTable>> {
    Ok(axum::Json(tables::current(&state, q.on, q.county_code.as_deref()).await?))
}

/// Every limit table version, national and local, latest effective date first (public reference
/// data); `division_code` narrows it to one province or city (`national`: the national tables).
#[utoipa::path(get, path = "/api/v1/limit-tables", tag = "inspections", params(PageQuery, TableFilter),
    responses((status = 200, body = Page<LimitTable>)))]
pub async fn list_tables(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<TableFilter>,
) -> ApiResult<axum::Json<Page<LimitTable>>> {
    Ok(axum::Json(tables::list_tables(&state, &filter, &page).await?))
}

/// Publishes a limit table version, in force from its date. System administrators publish the
/// national table (GB 36886; any date); a province or city officer a local standard for their
/// own province or city, in force from today or later, each row equal to or stricter than the
/// table it narrows (the table in force on that date for the division above). Tables are never
/// edited: a new version replaces its division's table from its effective date.
#[utoipa::path(post, path = "/api/v1/limit-tables", tag = "inspections", request_body = LimitTableInput,
    responses(
        (status = 201, body = LimitTable),
        (status = 403, description = "Not a system administrator or province/city officer; an officer naming another division; an administrator naming any", body = ErrorBody),
        (status = 409, description = "`duplicate_version` or `duplicate_effective_date` within the division", body = ErrorBody),
        (status = 422, description = "Class I and II bands must cover every power without overlap; a local table: `effective_from` `in_the_past`, `rows` `laxer_row` (naming the row's `position`) or `class_not_covered`; `division_code` `unknown_division`", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_table(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<LimitTableInput>,
) -> ApiResult<(StatusCode, axum::Json<LimitTable>)> {
    Ok((StatusCode::CREATED, axum::Json(tables::create_table(&state, &p, input).await?)))
}

/// The zones of the divisions the caller administers (province and city officers).
#[utoipa::path(get, path = "/api/v1/zones", tag = "inspections", params(PageQuery, ZoneFilter),
    responses((status = 200, body = Page<Zone>), (status = 403, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn list_zones(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<ZoneFilter>,
) -> ApiResult<axum::Json<Page<Zone>>> {
    Ok(axum::Json(zones::list_zones(&state, &p, &filter, &page).await?))
}

/// Draws a low-emission zone for a county or city the caller administers.
#[utoipa::path(post, path = "/api/v1/zones", tag = "inspections", request_body = ZoneInput,
    responses((status = 201, body = Zone), (status = 403, description = "Not an officer, or a division outside theirs", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_zone(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<ZoneInput>,
) -> ApiResult<(StatusCode, axum::Json<Zone>)> {
    Ok((StatusCode::CREATED, axum::Json(zones::create_zone(&state, &p, input).await?)))
}

/// Changes a zone; the body carries the `version` that was read.
#[utoipa::path(put, path = "/api/v1/zones/{id}", tag = "inspections", params(("id" = Uuid, Path)), request_body = ZoneInput,
    responses((status = 200, body = Zone), (status = 404, body = ErrorBody), (status = 409, description = "Stale version", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn update_zone(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ZoneInput>,
) -> ApiResult<axum::Json<Zone>> {
    Ok(axum::Json(zones::update_zone(&state, &p, id, input).await?))
}

/// Records an inspection (an inspector of the site's county). The verdict uses the table in
/// force at `inspected_at`; findings open cases; `case_id` re-inspects a case.
#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", request_body = InspectionInput,
    responses(
        (status = 201, description = "The inspection with its verdict, `opened_cases` and (for a re-inspection) `reinspection`", body = Inspection),
        (status = 403, description = "Not a county inspector", body = ErrorBody),
        (status = 404, description = "The site is not in the inspector's county", body = ErrorBody),
        (status = 409, description = "`case_not_awaiting_reinspection`; `request_id_reused`: the `request_id` was sent before with another operation", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<InspectionInput>,
) -> ApiResult<(StatusCode, axum::Json<Inspection>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&state, &p, input).await?)))
}

/// Inspections in scope, newest first.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", params(PageQuery, InspectionFilter),
    responses((status = 200, body = Page<Inspection>)), security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<InspectionFilter>,
) -> ApiResult<axum::Json<Page<Inspection>>> {
    Ok(axum::Json(super::read::list(&state, &p, &filter, &page).await?))
}

/// One inspection.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "inspections", params(("id" = Uuid, Path)),
    responses((status = 200, body = Inspection), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Inspection>> {
    Ok(axum::Json(super::read::get(&state, &p, id).await?))
}

/// Adds a joint-inspection note (partner departments and the county's inspectors).
#[utoipa::path(post, path = "/api/v1/inspections/{id}/notes", tag = "inspections", params(("id" = Uuid, Path)), request_body = NoteInput,
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
