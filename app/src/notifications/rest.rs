//! `/api/v1/notifications*`: the caller's own notifications.

use super::{MarkedRead, Notification, UnreadCount, service};
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use uuid::Uuid;

/// The notification routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/unread-count", get(unread))
        .route("/notifications/read-all", post(read_all))
        .route("/notifications/{id}/read", post(read))
}

/// The caller's notifications: unread first, then read; newest first within each.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(PageQuery),
    responses((status = 200, body = Page<Notification>), (status = 401, body = ErrorBody), (status = 422, description = "A cursor that is not ours", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<Notification>>> {
    Ok(axum::Json(service::list(&state, &p, &page).await?))
}

/// How many of the caller's notifications are unread (the bell).
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn unread(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<UnreadCount>> {
    Ok(axum::Json(service::unread_count(&state, &p).await?))
}

/// Marks one of the caller's notifications read; someone else's is 404.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications", params(("id" = Uuid, Path)),
    responses((status = 200, body = Notification), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Notification>> {
    Ok(axum::Json(service::mark_read(&state, &p, id).await?))
}

/// Marks all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "notifications",
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody)), security(("session" = []), ("bearer" = [])))]
pub async fn read_all(State(state): State<AppState>, Caller(p): Caller) -> ApiResult<axum::Json<MarkedRead>> {
    Ok(axum::Json(service::mark_all_read(&state, &p).await?))
}
