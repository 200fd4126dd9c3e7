//! `/api/v1/sites*` and the division look-ups the site form needs.

use super::{Site, SiteInput, service};
use crate::divisions::Division;
use crate::paging::{Page, PageQuery};
use crate::rest::{ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The site and division routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sites", get(list).post(create))
        .route("/sites/{id}", get(read))
        .route("/divisions", get(divisions))
        .route("/divisions/{code}/zone", get(zone))
}

/// Creates a site (construction units).
#[utoipa::path(post, path = "/api/v1/sites", tag = "sites", request_body = SiteInput,
    responses((status = 201, body = Site), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
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
#[utoipa::path(get, path = "/api/v1/divisions/{code}/zone", tag = "sites", params(("code" = String, Path)), responses((status = 200, body = ZoneInfo)))]
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
