//! `/api/v1/machines/{id}/photos*`: upload (raw body or a browser's multipart form), read,
//! list and delete. Uploads get their own body limit ([`MAX_UPLOAD_BYTES`]); a request that
//! declares a larger body is refused before any of it is read.

use super::imaging::MAX_UPLOAD_BYTES;
use super::{self as photos, PhotoSize};
use crate::error::{AppError, FieldCode};
use crate::machines::{MachinePhoto, PhotoKind};
use crate::rest::extract::{ApiError, ApiPath, ApiQuery, ApiResult, Caller, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use uuid::Uuid;

/// Room for the multipart framing around a file of [`MAX_UPLOAD_BYTES`].
const FORM_OVERHEAD: usize = 64 * 1024;
/// The body limit of the upload routes.
pub(crate) const BODY_LIMIT: usize = MAX_UPLOAD_BYTES + FORM_OVERHEAD;

/// The photo routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/machines/{id}/photos", get(list)).route(
        "/machines/{id}/photos/{kind}",
        get(read)
            .put(upload_raw)
            .post(upload_form)
            .delete(remove)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .layer(axum::middleware::from_fn(refuse_declared_oversize)),
    )
}

/// A body whose declared length is over the limit is refused at once, unread (413).
pub(crate) async fn refuse_declared_oversize(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        let mut resp = ApiError(AppError::PayloadTooLarge).into_response();
        // The unread rest of the body makes the connection unusable for another request.
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        return resp;
    }
    next.run(req).await
}

/// The raw image body, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageBytes(pub Vec<u8>);

/// The form a browser posts.
#[derive(utoipa::ToSchema)]
pub struct PhotoForm {
    /// The image file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Which copy `GET` returns.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct PhotoQuery {
    /// `web` (default): a JPEG at most 1280 px on its longest side; `original`: the bytes as uploaded.
    pub size: Option<PhotoSize>,
}

/// The photos on file for a machine.
#[utoipa::path(get, path = "/api/v1/machines/{id}/photos", tag = "machines", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MachinePhoto>), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::Json<Vec<MachinePhoto>>> {
    Ok(axum::Json(photos::list(&state, &p, id).await?))
}

/// Uploads a photo as the raw request body (JPEG, PNG or WebP, at most 10 MiB), replacing the
/// machine's photo of that kind. The format is decided from the bytes; `Content-Type` and file
/// names are ignored.
#[utoipa::path(put, path = "/api/v1/machines/{id}/photos/{kind}", tag = "machines",
    params(("id" = Uuid, Path), ("kind" = PhotoKind, Path)),
    request_body(description = "The image, as is (any Content-Type)", content((ImageBytes = "image/jpeg"), (ImageBytes = "image/png"), (ImageBytes = "image/webp"), (ImageBytes = "application/octet-stream"))),
    responses(
        (status = 201, body = MachinePhoto),
        (status = 403, description = "Not a construction unit", body = ErrorBody),
        (status = 404, description = "No such machine in the caller's organisation", body = ErrorBody),
        (status = 413, description = "Larger than 10 MiB", body = ErrorBody),
        (status = 422, description = "`fields.file` says why: not a JPEG, PNG or WebP image; damaged or incomplete; too many pixels; or empty", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn upload_raw(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, kind)): ApiPath<(Uuid, PhotoKind)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<MachinePhoto>)> {
    let bytes = body.map_err(|r| body_error(r.status()))?;
    let photo = photos::upload(&state, &p, id, kind, bytes.to_vec()).await?;
    Ok((StatusCode::CREATED, axum::Json(photo)))
}

/// Uploads a photo from a `multipart/form-data` form (field `file`). A browser's form post
/// (`Accept: text/html`) is answered with a 303 back to the page it came from; other clients
/// get the photo as JSON, as with `PUT`.
#[utoipa::path(post, path = "/api/v1/machines/{id}/photos/{kind}", tag = "machines",
    params(("id" = Uuid, Path), ("kind" = PhotoKind, Path)),
    request_body(content = PhotoForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = MachinePhoto),
        (status = 303, description = "Browser form post: back to the `Referer` (same origin only)"),
        (status = 400, description = "Not a readable multipart form", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "As for `PUT`, or no `file` field", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn upload_form(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, kind)): ApiPath<(Uuid, PhotoKind)>,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let mut form = form.map_err(|r| body_error(r.status()))?;
    photos::owned_machine(&state, &p, id).await?;
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        if file.is_none() && field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(form_error)?);
        }
        // Other fields are skipped (drained by the next `next_field`).
    }
    let Some(bytes) = file else {
        return Err(AppError::field("file", FieldCode::Required).into());
    };
    let photo = photos::upload(&state, &p, id, kind, bytes.to_vec()).await?;
    if wants_html(&headers) {
        let back = referer_path(&headers, &state.settings.public_url).unwrap_or_else(|| format!("/machines/{id}"));
        return Ok(see_other(&with_param(&back, "uploaded", kind.as_str())));
    }
    Ok((StatusCode::CREATED, axum::Json(photo)).into_response())
}

/// One copy of a photo (`size=web`, the default, or `size=original`), cacheable privately for
/// an hour; officials read the photos of machines in their scope.
#[utoipa::path(get, path = "/api/v1/machines/{id}/photos/{kind}", tag = "machines",
    params(("id" = Uuid, Path), ("kind" = PhotoKind, Path), PhotoQuery),
    responses(
        (status = 200, description = "The image", content((ImageBytes = "image/jpeg"), (ImageBytes = "image/png"), (ImageBytes = "image/webp"))),
        (status = 304, description = "`If-None-Match` matched"),
        (status = 404, description = "No such photo, or the machine is outside the caller's scope", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn read(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, kind)): ApiPath<(Uuid, PhotoKind)>,
    ApiQuery(q): ApiQuery<PhotoQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let file = photos::read(&state, &p, id, kind, q.size.unwrap_or_default()).await?;
    Ok(photo_response(file, &headers))
}

/// A stored photo as a response: privately cacheable for an hour, answered with 304 when
/// `If-None-Match` names it.
pub(crate) fn photo_response(file: photos::PhotoFile, headers: &HeaderMap) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == file.etag));
    let mut resp = if matches { StatusCode::NOT_MODIFIED.into_response() } else { file.bytes.into_response() };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    if let Ok(v) = HeaderValue::from_str(&file.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", file.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Deletes a photo of a machine of the caller's organisation.
#[utoipa::path(delete, path = "/api/v1/machines/{id}/photos/{kind}", tag = "machines",
    params(("id" = Uuid, Path), ("kind" = PhotoKind, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, kind)): ApiPath<(Uuid, PhotoKind)>,
) -> ApiResult<StatusCode> {
    photos::delete(&state, &p, id, kind).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A body that could not be read: too large (413) or malformed (400).
pub(crate) fn body_error(status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(AppError::PayloadTooLarge)
    } else {
        ApiError(AppError::BadRequest { code: "malformed".into() })
    }
}

pub(crate) fn form_error(e: MultipartError) -> ApiError {
    body_error(e.status())
}

/// Whether the client is a browser navigating (a plain form post), not a script.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// The path and query of a `Referer` on our own origin (the public URL's, or the `Host` the
/// request came to); anything else is ignored, so the redirect can never leave the site.
pub(crate) fn referer_path(headers: &HeaderMap, public_url: &str) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let (_, rest) = referer.split_once("://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let public = public_url.split_once("://").map(|(_, r)| r.split('/').next().unwrap_or(""));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let ours = public.is_some_and(|a| a.eq_ignore_ascii_case(authority))
        || host.is_some_and(|h| h.eq_ignore_ascii_case(authority));
    let safe = path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    (ours && safe).then(|| path.split('#').next().unwrap_or("/").to_owned())
}

/// `path` with `name=value` set in its query (replacing an earlier value of `name`): the page a
/// form post returns to says what was done. `value` is one of our own codes (no escaping needed).
pub(crate) fn with_param(path: &str, name: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut pairs: Vec<&str> =
        query.split('&').filter(|p| !p.is_empty() && p.split('=').next() != Some(name)).collect();
    let set = format!("{name}={value}");
    pairs.push(&set);
    format!("{base}?{}", pairs.join("&"))
}

pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::SEE_OTHER, [(header::LOCATION, HeaderValue::from_static("/"))]).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn the_page_a_form_returns_to_says_what_was_done() {
        assert_eq!(with_param("/machines/1", "uploaded", "env_label"), "/machines/1?uploaded=env_label");
        assert_eq!(with_param("/m?a=1&uploaded=x", "uploaded", "y"), "/m?a=1&uploaded=y");
        assert_eq!(with_param("/m?uploadedx=1", "uploaded", "y"), "/m?uploadedx=1&uploaded=y");
    }

    #[test]
    fn referer_must_be_our_own_origin() {
        let public = "https://nrmm.example.cn";
        let at = |r: &str| referer_path(&headers(&[(header::REFERER, r), (header::HOST, "127.0.0.1:3000")]), public);
        assert_eq!(at("https://nrmm.example.cn/machines/1?tab=photos#x").as_deref(), Some("/machines/1?tab=photos"));
        assert_eq!(at("http://127.0.0.1:3000/machines").as_deref(), Some("/machines"));
        assert_eq!(at("https://nrmm.example.cn").as_deref(), Some("/"));
        assert_eq!(at("https://evil.example/machines"), None);
        assert_eq!(at("https://nrmm.example.cn.evil.example/"), None);
        assert_eq!(at("https://nrmm.example.cn//evil.example/"), None);
        assert_eq!(at("https://nrmm.example.cn/\\evil.example"), None);
        assert_eq!(at("/machines"), None);
    }

    #[test]
    fn page_navigations_are_told_apart_from_scripts() {
        assert!(wants_html(&headers(&[(header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")])));
        assert!(!wants_html(&headers(&[(header::ACCEPT, "application/json")])));
        assert!(!wants_html(&HeaderMap::new()));
    }
}
