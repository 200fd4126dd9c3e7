//! `/api/v1/inspection-plan`: a county's ranked sites for a day (planners), the weights of the
//! score (read by planners, set by city and province officers) and an inspector's route.

use super::{
    InspectionPlan, PlanQuery, Route, RouteInput, RouteQuery, WeightsInForce, WeightsInput, WeightsQuery, service,
};
use crate::rest::extract::{ApiJson, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The plan's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/inspection-plan", get(plan))
        .route("/inspection-plan/weights", get(weights).put(set_weights))
        .route("/inspection-plan/route", get(route).put(set_route))
}

/// The county's sites with a filing in force on the day, ranked by the risk score, each with
/// its facts and the factors that gave its points (county inspectors, city and province
/// officers).
#[utoipa::path(get, path = "/api/v1/inspection-plan", tag = "inspection-plan", params(PlanQuery),
    responses(
        (status = 200, body = InspectionPlan),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown county, or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "`fields.division_code`: required (callers above a county), malformed, or not a county", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn plan(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<PlanQuery>,
) -> ApiResult<axum::Json<InspectionPlan>> {
    Ok(axum::Json(service::plan(&state, &p, &q).await?))
}

/// The weights in force at a division (the caller's own by default, or one above or under it),
/// and the division that set them (none: the built-in defaults).
#[utoipa::path(get, path = "/api/v1/inspection-plan/weights", tag = "inspection-plan", params(WeightsQuery),
    responses(
        (status = 200, body = WeightsInForce),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn weights(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<WeightsQuery>,
) -> ApiResult<axum::Json<WeightsInForce>> {
    Ok(axum::Json(service::weights(&state, &p, &q).await?))
}

/// Sets the weights of the caller's division or of one under it (city and province officers);
/// audited with the weights before and after.
#[utoipa::path(put, path = "/api/v1/inspection-plan/weights", tag = "inspection-plan", request_body = WeightsInput,
    responses(
        (status = 200, body = WeightsInForce),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "A division outside the caller's", body = ErrorBody),
        (status = 422, description = "`fields.division_code`: unknown; `fields.{factor}`: outside 0 to 100", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn set_weights(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<WeightsInput>,
) -> ApiResult<axum::Json<WeightsInForce>> {
    Ok(axum::Json(service::set_weights(&state, &p, input).await?))
}

/// The caller's route for a day (county inspectors).
#[utoipa::path(get, path = "/api/v1/inspection-plan/route", tag = "inspection-plan", params(RouteQuery),
    responses((status = 200, body = Route), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn route(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<RouteQuery>,
) -> ApiResult<axum::Json<Route>> {
    Ok(axum::Json(service::route(&state, &p, q.date).await?))
}

/// Replaces the caller's route for a day with these sites of their county, in visiting order
/// (county inspectors); an empty list clears it.
#[utoipa::path(put, path = "/api/v1/inspection-plan/route", tag = "inspection-plan", request_body = RouteInput,
    responses(
        (status = 200, body = Route),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`fields.date`: in the past or more than 366 days ahead; `fields.site_ids`: more than 30, a site twice, or a site not of the inspector's county", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn set_route(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<RouteInput>,
) -> ApiResult<axum::Json<Route>> {
    Ok(axum::Json(service::set_route(&state, &p, input).await?))
}
