//! `/api/v1/admin/*`: accounts, the machine-type list, the division import.

use super::divisions::{DivisionImportError, MAX_BYTES, MAX_ROWS};
use super::{
    AdminUser, DivisionImportReport, DivisionRowError, MachineTypeEntry, MachineTypePatch, NewMachineType,
    NewUserInput, PasswordReset, PasswordResetDone, RoleChange, UserFilter, divisions, machine_types, users,
};
use crate::error::AppError;
use crate::i18n::*;
use crate::paging::{Page, PageQuery};
use crate::rest::extract::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody, ErrorDetail};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Serialize;
use uuid::Uuid;

/// The administration routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{id}/disable", post(disable_user))
        .route("/admin/users/{id}/enable", post(enable_user))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/role", post(change_role))
        .route("/admin/machine-types", get(list_machine_types).post(create_machine_type))
        .route("/admin/machine-types/{code}", patch(update_machine_type))
        .route("/admin/divisions/import", post(import_divisions).layer(DefaultBodyLimit::max(MAX_BYTES)))
}

/// The accounts the caller administers, newest first: all of them for a system administrator;
/// for a province officer the official accounts of its province; for a city officer the county
/// inspectors and partner departments of its city.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UserFilter, PageQuery),
    responses((status = 200, body = Page<AdminUser>), (status = 401, body = ErrorBody),
        (status = 403, description = "The caller administers no accounts", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(filter): ApiQuery<UserFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<axum::Json<Page<AdminUser>>> {
    Ok(axum::Json(users::list(&state, &p, &filter, &page).await?))
}

/// Creates an account with a role the caller may give, at a division within its reach.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", request_body = NewUserInput,
    responses((status = 201, body = AdminUser),
        (status = 403, description = "A role above the caller's, or a division outside its reach", body = ErrorBody),
        (status = 422, description = "User name, password, division or organisation at fault", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<(StatusCode, axum::Json<AdminUser>)> {
    Ok((StatusCode::CREATED, axum::Json(users::create(&state, &p, input).await?)))
}

/// Disables an account: its sessions end and its API tokens are revoked.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/disable", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = AdminUser), (status = 404, description = "No such account within reach", body = ErrorBody),
        (status = 409, description = "`cannot_disable_self`, `last_sysadmin`, or `disabled_by_authority` (already disabled by a higher authority, `details.role`)", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn disable_user(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AdminUser>> {
    Ok(axum::Json(users::set_user_active(&state, &p, id, false).await?))
}

/// Re-enables an account (its old tokens stay revoked). An account disabled by a higher
/// authority than the caller's (a province officer's decision for a city officer, a system
/// administrator's for anyone else) is 409 `disabled_by_authority`, `details.role` naming it.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/enable", tag = "admin", params(("id" = Uuid, Path)),
    responses((status = 200, body = AdminUser), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_disable_self` or `disabled_by_authority`", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enable_user(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<AdminUser>> {
    Ok(axum::Json(users::set_user_active(&state, &p, id, true).await?))
}

/// Sets a new password: the one given, or (without `password`) a generated one returned this
/// once. The account's sessions end and its API tokens are revoked.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password", tag = "admin", params(("id" = Uuid, Path)),
    request_body = PasswordReset,
    responses((status = 200, body = PasswordResetDone), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_reset_own_password` (one's own account)", body = ErrorBody),
        (status = 422, description = "Password too short or too long", body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn reset_password(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<PasswordReset>,
) -> ApiResult<axum::Json<PasswordResetDone>> {
    Ok(axum::Json(users::reset_password(&state, &p, id, input).await?))
}

/// Changes an account's role and division (or organisation), within the caller's reach.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/role", tag = "admin", params(("id" = Uuid, Path)),
    request_body = RoleChange,
    responses((status = 200, body = AdminUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`cannot_change_own_role` or `last_sysadmin`", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn change_role(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<RoleChange>,
) -> ApiResult<axum::Json<AdminUser>> {
    Ok(axum::Json(users::change_role(&state, &p, id, change).await?))
}

/// Every machine type, active or not (system administrators).
#[utoipa::path(get, path = "/api/v1/admin/machine-types", tag = "admin",
    responses((status = 200, body = Vec<MachineTypeEntry>), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_machine_types(
    State(state): State<AppState>,
    Caller(p): Caller,
) -> ApiResult<axum::Json<Vec<MachineTypeEntry>>> {
    Ok(axum::Json(machine_types::list(&state, &p).await?))
}

/// Adds a machine type; it is valid for machines at once.
#[utoipa::path(post, path = "/api/v1/admin/machine-types", tag = "admin", request_body = NewMachineType,
    responses((status = 201, body = MachineTypeEntry), (status = 403, body = ErrorBody),
        (status = 409, description = "`duplicate_machine_type`", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_machine_type(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiJson(input): ApiJson<NewMachineType>,
) -> ApiResult<(StatusCode, axum::Json<MachineTypeEntry>)> {
    Ok((StatusCode::CREATED, axum::Json(machine_types::create(&state, &p, input).await?)))
}

/// Renames, reorders, deactivates or reactivates a machine type (its code never changes).
#[utoipa::path(patch, path = "/api/v1/admin/machine-types/{code}", tag = "admin", params(("code" = String, Path)),
    request_body = MachineTypePatch,
    responses((status = 200, body = MachineTypeEntry), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn update_machine_type(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(code): ApiPath<String>,
    ApiJson(patch): ApiJson<MachineTypePatch>,
) -> ApiResult<axum::Json<MachineTypeEntry>> {
    Ok(axum::Json(machine_types::update(&state, &p, &code, patch).await?))
}

/// The body of a refused division file: the API error object and every bad row.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DivisionImportRejected {
    pub error: ErrorDetail,
    pub rows: Vec<DivisionRowError>,
}

/// Imports divisions from a CSV (`code,name,level,parent_code`, as the bundled Shanxi file; at
/// most 1 MB and 10,000 rows), system administrators only. Upserts every row in one
/// transaction and answers the counts; or stores nothing and answers 422 `import_rejected`
/// with each bad row by line (the header is line 1). Messages follow the `nrmm_lang` cookie.
#[utoipa::path(post, path = "/api/v1/admin/divisions/import", tag = "admin",
    request_body(content = String, description = "The CSV file (UTF-8, BOM optional, or GB18030)", content_type = "text/csv"),
    responses((status = 200, body = DivisionImportReport),
        (status = 400, description = "`unreadable_file`", body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "`import_rejected` with the bad rows, or `too_many_rows`", body = DivisionImportRejected)),
    security(("session" = []), ("bearer" = [])))]
pub async fn import_divisions(
    State(state): State<AppState>,
    Caller(p): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let locale = crate::machines::import::rest::report_locale(&headers, &p);
    let bytes = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::PayloadTooLarge.into()),
        Err(_) => return Err(AppError::BadRequest { code: "malformed".into() }.into()),
    };
    if bytes.is_empty() {
        return Err(AppError::BadRequest { code: "unreadable_file".into() }.into());
    }
    let detail = |code: &str, message: String| ErrorDetail {
        code: code.into(),
        message,
        fields: None,
        details: None,
        request_id: None,
    };
    match divisions::import(&state, &p, &bytes, locale).await {
        Ok(report) => Ok(axum::Json(report).into_response()),
        Err(DivisionImportError::Rejected(rows)) => {
            let error =
                detail("import_rejected", td_string!(locale, admin.div_rejected, count = rows.len()).to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(DivisionImportRejected { error, rows })).into_response())
        }
        Err(DivisionImportError::TooManyRows) => {
            let error = detail("too_many_rows", td_string!(locale, import.too_many_rows, max = MAX_ROWS).to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(ErrorBody { error })).into_response())
        }
        Err(DivisionImportError::Unreadable) => Err(AppError::BadRequest { code: "unreadable_file".into() }.into()),
        Err(DivisionImportError::Service(e)) => Err(e.into()),
    }
}
