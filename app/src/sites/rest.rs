//! `/api/v1/sites*` (with officials' zone decisions) and the division look-ups the site form
//! needs.

use super::zone::ZoneDecisionInput;
use super::{Site, SiteInput, service, zone_decision};
use crate::divisions::{Bounds, Division};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The site and division routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites", get(list).post(create))
        .route("/sites/{id}", get(read))
        .route("/sites/{id}/zone", post(decide_zone))
        .route("/divisions", get(divisions))
        .route("/divisions/{code}/zone", get(zone))
        .route("/divisions/{code}/bounds", get(bounds))
}

/// Creates a site (construction units).
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = SiteInput,
    responses(
        (status = 201, body = Site), (status = 403, body = ErrorBody),
        (status = 422, description = "Among others: `lat`/`lng` `outside_china` or `outside_county` (outside the rough bounds of the county, or of the nearest division above it that has bounds); `low_emission_zone` `decided_by_officials` when the body carries that field at all", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<SiteInput>,
) -> ApiResult<(StatusCode, axum::Json<Site>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&state, &p, input).await?)))
}

/// Sites in the caller's scope, newest first.
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites", params(PageQuery),
    responses((status = 200, body = Page<Site>)), security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Site>>> {
    Ok(axum::Json(service::list(&state, &p, &page).await?))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "sites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Site), (status = 404, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Site>> {
    Ok(axum::Json(service::get(&state, &p, id).await?))
}

/// Marks a site in or out of the low-emission zone, with a reason (the county's inspectors and
/// the officers of its city). The decision replaces the zone data for this site until another
/// decision replaces it; it changes what later inspections, filings and look-ups judge, never a
/// past verdict.
#[utoipa::path(post, path = "/api/v1/sites/{id}/zone", tag = "sites", params(("id" = Uuid, Path)), request_body = ZoneDecisionInput,
    responses(
        (status = 200, description = "The site with its zone membership and the decision", body = Site),
        (status = 403, description = "Not a county inspector or city officer (the site's construction unit included)", body = ErrorBody),
        (status = 404, description = "The site is not in the caller's county or city", body = ErrorBody),
        (status = 409, description = "`stale_version`: the site changed since the `version` sent was read (another official decided), or at the same moment", body = ErrorBody),
        (status = 422, description = "`reason` required, at most 500 characters", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn decide_zone(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ZoneDecisionInput>,
) -> ApiResult<axum::Json<Site>> {
    Ok(axum::Json(zone_decision::decide(&state, &p, id, input).await?))
}

/// The rough bounds that apply to a division.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DivisionBounds {
    pub code: String,
    /// Its own bounds, else the nearest division's above it; `null` when none are known (then a
    /// position is only checked to lie in China).
    pub bounds: Option<Bounds>,
}

/// The rough bounds a site's position in this division must lie in (public reference data).
#[utoipa::path(get, path = "/api/v1/divisions/{code}/bounds", tag = "sites", params(("code" = String, Path, pattern = r"^[0-9]{6}$", description = "A six-digit statistical division code")),
    responses((status = 200, body = DivisionBounds), (status = 404, description = "Unknown division", body = ErrorBody)))]
pub async fn bounds(
    State(state): State<AppState>,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<axum::Json<DivisionBounds>> {
    if crate::divisions::service::get(&state.db, &code).await?.is_none() {
        return Err(crate::error::AppError::NotFound.into());
    }
    let bounds = crate::divisions::service::bounds_of(&state.db, &code).await?;
    Ok(axum::Json(DivisionBounds { code, bounds }))
}

/// `?parent=` of the division list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DivisionQuery {
    /// The parent's code; absent: the provinces.
    pub parent: Option<String>,
}

/// Divisions under a parent (public reference data).
#[utoipa::path(get, path = "/api/v1/divisions", tag = "sites", params(DivisionQuery), responses((status = 200, body = Vec<Division>)))]
pub async fn divisions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DivisionQuery>,
) -> ApiResult<axum::Json<Vec<Division>>> {
    Ok(axum::Json(crate::divisions::service::children_or_roots(&state.db, q.parent.as_deref()).await?))
}

/// Whether a county has a low-emission zone in force today.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ZoneInfo {
    pub in_zone: bool,
    pub zone_name: Option<String>,
    pub min_diesel_stage: Option<String>,
    /// The smoke class required inside (`III`); the phone's verdict needs it.
    pub required_class: Option<String>,
    /// Exemption codes, e.g. `emergency_rescue`.
    pub exemptions: Vec<String>,
}

/// The low-emission zone of a county today (used to prefill the site form).
#[utoipa::path(get, path = "/api/v1/divisions/{code}/zone", tag = "sites", params(("code" = String, Path, pattern = r"^[0-9]{6}$", description = "A six-digit statistical division code")), responses((status = 200, body = ZoneInfo)))]
pub async fn zone(State(state): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<axum::Json<ZoneInfo>> {
    let today = crate::dates::china_date(state.clock.now());
    let z = service::zone_for(&state.db, &code, today).await?;
    Ok(axum::Json(ZoneInfo {
        in_zone: z.is_some(),
        zone_name: z.as_ref().map(|z| z.name.clone()),
        required_class: z.as_ref().map(|z| z.required_class.clone()),
        exemptions: z.as_ref().and_then(|z| serde_json::from_str(&z.exemptions).ok()).unwrap_or_default(),
        min_diesel_stage: z.map(|z| z.min_diesel_stage),
    }))
}
