//! `POST /api/v1/public/reports` (anyone, no sign-in; a browser's plain form post is answered
//! with the receipt page), `GET /api/v1/reports` and `/api/v1/reports/{id}/…` (the counties'
//! officials).

use super::{PHOTOS_MAX, Report, ReportClosing, ReportInput, ReportQuery, ReportReceipt, service};
use crate::error::{AppError, FieldCode};
use crate::machines::photos::imaging::MAX_UPLOAD_BYTES;
use crate::machines::photos::rest::{body_error, form_error, see_other, wants_html};
use crate::rest::extract::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, Caller, ClientIp, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use uuid::Uuid;

/// Room for three photos and the form around them.
const BODY_LIMIT: usize = PHOTOS_MAX * MAX_UPLOAD_BYTES + 64 * 1024;

/// The reports' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/public/reports", post(submit).layer(DefaultBodyLimit::max(BODY_LIMIT)))
        .route("/reports", get(list))
        .route("/reports/{id}/close", post(close))
        .route("/reports/{id}/photos/{n}", get(photo))
}

/// The form a browser (or a script) posts.
#[derive(utoipa::ToSchema)]
pub struct ReportForm {
    /// The registration code on the machine's label, when there is one.
    pub registration_code: Option<String>,
    /// The county where the machine was seen (required unless the code names a machine on a
    /// filing in force).
    pub county_code: Option<String>,
    /// `black_smoke`, `no_label`, `in_zone` or `other` (default).
    pub kind: Option<String>,
    /// What was seen, where and when (at most 1,000 characters).
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// A number the county may call back (shown only to the county's inspectors).
    pub phone: Option<String>,
    /// Up to three photos (JPEG, PNG or WebP, at most 10 MiB each), as `photo` fields.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub photo: Vec<Vec<u8>>,
}

fn number(field: &str, text: &str) -> Result<Option<f64>, ApiError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>().map(Some).map_err(|_| ApiError(AppError::field(field, FieldCode::BadNumber)))
}

/// Files a report (no sign-in). More than the allowed reports per address is 429.
#[utoipa::path(post, path = "/api/v1/public/reports", tag = "public",
    request_body(content = ReportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ReportReceipt),
        (status = 303, description = "A browser's form post: to the receipt page"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, description = "`fields.description` required or too long; `fields.county_code` required (no machine on a filing in force), unknown or not a county; `fields.registration_code` malformed or unknown; `fields.phone`, `fields.lat`, `fields.lng`; `fields.photo` more than 3; `fields.photoN` not an image", body = ErrorBody),
        (status = 429, description = "Too many reports from this address; see `Retry-After`", body = ErrorBody),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    crate::public::rest::admit_key(&state, &format!("report {}", ip.0))
        .map_err(|retry_after_secs| ApiError(AppError::RateLimited { retry_after_secs }))?;
    let mut form = form.map_err(|r| body_error(r.status()))?;
    let mut input = ReportInput::default();
    let mut photos = Vec::new();
    while let Some(field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(form_error)?;
            // An empty file input of a plain form sends an empty part: no photo.
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
            continue;
        }
        let text = || async { field.text().await.map_err(form_error) };
        match name.as_str() {
            "registration_code" => input.registration_code = Some(text().await?),
            "county_code" => input.county_code = Some(text().await?),
            "kind" => input.kind = Some(text().await?),
            "description" => input.description = text().await?,
            "lat" => input.lat = number("lat", &text().await?)?,
            "lng" => input.lng = number("lng", &text().await?)?,
            "phone" => input.phone = Some(text().await?),
            _ => {}
        }
    }
    let receipt = service::submit(&state, input, photos).await?;
    if wants_html(&headers) {
        return Ok(see_other(&format!("/report/sent?reference={}&county={}", receipt.reference, receipt.county_code)));
    }
    Ok((StatusCode::CREATED, axum::Json(receipt)).into_response())
}

/// The reports of the caller's counties, the newest first (county inspectors, city and
/// province officers); the reporter's phone only for the county's inspectors.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ReportQuery),
    responses((status = 200, body = Vec<Report>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<axum::Json<Vec<Report>>> {
    Ok(axum::Json(service::list(&state, &p, &q).await?))
}

/// Closes a new report with a reason (the inspectors of its county).
#[utoipa::path(post, path = "/api/v1/reports/{id}/close", tag = "reports", params(("id" = Uuid, Path)), request_body = ReportClosing,
    responses(
        (status = 200, body = Report),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Already inspected or closed", body = ErrorBody),
        (status = 422, description = "`fields.reason`: required, at most 500 characters", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn close(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReportClosing>,
) -> ApiResult<axum::Json<Report>> {
    Ok(axum::Json(service::close(&state, &p, id, input).await?))
}

/// A report's photo `n` (1 to 3), re-encoded as JPEG (the report's readers).
#[utoipa::path(get, path = "/api/v1/reports/{id}/photos/{n}", tag = "reports",
    params(("id" = Uuid, Path), ("n" = i32, Path, description = "1, 2 or 3")),
    responses(
        (status = 200, description = "The photo", content_type = "image/jpeg"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn photo(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath((id, n)): ApiPath<(Uuid, i32)>,
) -> ApiResult<Response> {
    let bytes = service::photo(&state, &p, id, n).await?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    Ok(resp)
}
