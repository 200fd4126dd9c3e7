//! `/api/v1/inspections/{id}/photos*`, `/api/v1/cases/{id}/evidence*` and
//! `/api/v1/amendments/{id}/photos*`: add a photo (a
//! `multipart/form-data` form with `file` and an optional `note`), list, and read one copy.
//! Uploads have the photo body limit and are refused unread when they announce more.

use super::{EvidencePhoto, SubjectKind, service};
use crate::error::AppError;
use crate::machines::photos::PhotoSize;
use crate::machines::photos_rest::{
    BODY_LIMIT, PhotoQuery, body_error, form_error, photo_response, referer_path, refuse_declared_oversize, see_other,
    wants_html,
};
use crate::rest::{ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

/// The evidence routes.
pub fn router() -> Router<AppState> {
    let upload_layers = |r: axum::routing::MethodRouter<AppState>| {
        r.layer(DefaultBodyLimit::max(BODY_LIMIT)).layer(axum::middleware::from_fn(refuse_declared_oversize))
    };
    Router::new()
        .route("/inspections/{id}/photos", upload_layers(get(list_inspection).post(add_inspection)))
        .route("/inspections/{id}/photos/{photo_id}", get(read_inspection))
        .route("/cases/{id}/evidence", upload_layers(get(list_case).post(add_case)))
        .route("/cases/{id}/evidence/{photo_id}", get(read_case))
        .route("/amendments/{id}/photos", upload_layers(get(list_amendment).post(add_amendment)))
        .route("/amendments/{id}/photos/{photo_id}", get(read_amendment))
}

/// The form a browser (or a script) posts.
#[derive(utoipa::ToSchema)]
pub struct EvidenceForm {
    /// The image file (JPEG, PNG or WebP, at most 10 MiB).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// A caption (at most 500 characters).
    pub note: Option<String>,
}

/// The photos taken at an inspection, oldest first.
#[utoipa::path(get, path = "/api/v1/inspections/{id}/photos", tag = "inspections", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EvidencePhoto>), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_inspection(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<EvidencePhoto>>> {
    Ok(axum::Json(service::list(&state, &p, SubjectKind::Inspection, id).await?))
}

/// Adds a photo to an inspection (the county's inspectors). A browser's form post is answered
/// with a 303 back to the page it came from.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/photos", tag = "inspections", params(("id" = Uuid, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EvidencePhoto),
        (status = 303, description = "Browser form post: back to the `Referer` (same origin only)"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The inspection already holds 20 photos", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "`fields.file`: not a whole JPEG, PNG or WebP image, or missing; `fields.note`: too long", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn add_inspection(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    add(state, p, SubjectKind::Inspection, id, headers, form).await
}

/// One copy of an inspection photo (`size=web`, the default, or `size=original`).
#[utoipa::path(get, path = "/api/v1/inspections/{id}/photos/{photo_id}", tag = "inspections",
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path), PhotoQuery),
    responses((status = 200, description = "The image"), (status = 304, description = "`If-None-Match` matched"), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read_inspection(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, photo_id)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(q): ApiQuery<PhotoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    read(state, p, SubjectKind::Inspection, (id, photo_id), q.size.unwrap_or_default(), headers).await
}

/// The evidence attached to a case, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EvidencePhoto>), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_case(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<EvidencePhoto>>> {
    Ok(axum::Json(service::list(&state, &p, SubjectKind::Case, id).await?))
}

/// Attaches evidence to a case: the construction unit the case is about (its rectification) or
/// the county's inspectors, until the case is closed.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "cases", params(("id" = Uuid, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EvidencePhoto),
        (status = 303, description = "Browser form post: back to the `Referer` (same origin only)"),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Not the unit of the case nor the county's inspector, or the case is closed", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The case already holds 20 photos", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn add_case(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    add(state, p, SubjectKind::Case, id, headers, form).await
}

/// One copy of a case's evidence photo.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{photo_id}", tag = "cases",
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path), PhotoQuery),
    responses((status = 200, description = "The image"), (status = 304, description = "`If-None-Match` matched"), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read_case(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, photo_id)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(q): ApiQuery<PhotoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    read(state, p, SubjectKind::Case, (id, photo_id), q.size.unwrap_or_default(), headers).await
}

/// The evidence photos of an amendment, oldest first.
#[utoipa::path(get, path = "/api/v1/amendments/{id}/photos", tag = "amendments", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<EvidencePhoto>), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_amendment(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<EvidencePhoto>>> {
    Ok(axum::Json(service::list(&state, &p, SubjectKind::Amendment, id).await?))
}

/// Adds evidence to a pending amendment (e.g. the new nameplate): the unit that asked for it.
#[utoipa::path(post, path = "/api/v1/amendments/{id}/photos", tag = "amendments", params(("id" = Uuid, Path)),
    request_body(content = EvidenceForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = EvidencePhoto),
        (status = 303, description = "Browser form post: back to the `Referer` (same origin only)"),
        (status = 400, body = ErrorBody),
        (status = 403, description = "Not the unit that asked, or the amendment is no longer pending", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The amendment already holds 20 photos", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn add_amendment(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    add(state, p, SubjectKind::Amendment, id, headers, form).await
}

/// One copy of an amendment's evidence photo.
#[utoipa::path(get, path = "/api/v1/amendments/{id}/photos/{photo_id}", tag = "amendments",
    params(("id" = Uuid, Path), ("photo_id" = Uuid, Path), PhotoQuery),
    responses((status = 200, description = "The image"), (status = 304, description = "`If-None-Match` matched"), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn read_amendment(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, photo_id)): ApiPath<(Uuid, Uuid)>,
    ApiQuery(q): ApiQuery<PhotoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    read(state, p, SubjectKind::Amendment, (id, photo_id), q.size.unwrap_or_default(), headers).await
}

async fn add(
    state: AppState,
    p: crate::auth::service::Principal,
    kind: SubjectKind,
    id: Uuid,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let mut form = form.map_err(|r| body_error(r.status()))?;
    let (mut file, mut note) = (None, None);
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        match field.name() {
            Some("file") if file.is_none() => file = Some(field.bytes().await.map_err(form_error)?),
            Some("note") if note.is_none() => note = Some(field.text().await.map_err(form_error)?),
            _ => {} // skipped (drained by the next `next_field`)
        }
    }
    let Some(bytes) = file else {
        return Err(AppError::field("file", "required").into());
    };
    let photo = service::add(&state, &p, kind, id, note, bytes.to_vec()).await?;
    if wants_html(&headers) {
        let fallback = match kind {
            SubjectKind::Inspection => format!("/inspections/{id}"),
            SubjectKind::Case => format!("/cases/{id}"),
            SubjectKind::Amendment => format!("/amendments/{id}"),
        };
        return Ok(see_other(&referer_path(&headers, &state.settings.public_url).unwrap_or(fallback)));
    }
    Ok((StatusCode::CREATED, axum::Json(photo)).into_response())
}

async fn read(
    state: AppState,
    p: crate::auth::service::Principal,
    kind: SubjectKind,
    (id, photo_id): (Uuid, Uuid),
    size: PhotoSize,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = service::read(&state, &p, kind, id, photo_id, size).await?;
    Ok(photo_response(file, &headers))
}
