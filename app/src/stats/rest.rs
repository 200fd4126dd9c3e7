//! `/api/v1/stats*`.

use super::{Ranking, Stats, StatsQuery, service};
use crate::rest::extract::{ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// The statistics routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/stats", get(stats)).route("/stats/ranking", get(ranking))
}

/// The figures of a county, a city or the province over a date range (default: the twelve
/// calendar months up to today, China dates): machines by type, emission stage and fuel
/// (distinct machines of accepted filings of the division whose planned stay overlaps the
/// range), filings by month and current status (by creation date), inspections by month with
/// the pass rate (passed / (passed + failed)), cases opened in the range, and the cases
/// unresolved and overdue today. Officials only; the division must lie in the caller's scope.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats", params(StatsQuery),
    responses(
        (status = 200, body = Stats),
        (status = 400, description = "A date that does not parse", body = ErrorBody),
        (status = 403, description = "Construction units", body = ErrorBody),
        (status = 404, description = "Unknown division, or one outside the caller's scope", body = ErrorBody),
        (status = 422, description = "`to` before `from` (`end_before_start`), a range over 60 months (`range_too_long`), a malformed division code", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn stats(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<axum::Json<Stats>> {
    Ok(axum::Json(service::stats(&state, &p, &q).await?))
}

/// The counties of the division's city (a county or a city asked for) or of the province,
/// limited to those in the caller's scope, on the figures of `GET /stats`, ordered by `by`
/// (default `machines`, largest first; equal figures share a rank).
#[utoipa::path(get, path = "/api/v1/stats/ranking", tag = "stats", params(StatsQuery),
    responses(
        (status = 200, body = Ranking),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn ranking(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<StatsQuery>,
) -> ApiResult<axum::Json<Ranking>> {
    Ok(axum::Json(service::ranking(&state, &p, &q).await?))
}
