//! `/api/v1/machines/import*`: the templates and the upload.

use super::service::{ImportError, import};
use super::{ImportMode, ImportQuery, ImportReport, MAX_BYTES, MAX_ROWS, template};
use crate::error::AppError;
use crate::i18n::*;
use crate::rest::extract::{ApiError, ApiQuery, ApiResult, Caller, ErrorBody, ErrorDetail};
use crate::state::AppState;
use crate::ui::LANG_COOKIE;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use std::collections::BTreeMap;

/// The import routes (merged into the machine routes).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/machines/import/template.csv", get(template_csv))
        .route("/machines/import/template.xlsx", get(template_xlsx))
        .route("/machines/import", post(upload).layer(DefaultBodyLimit::max(MAX_BYTES)))
}

/// The body of a refused import: the API error object beside the full report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportRejected {
    pub error: ErrorDetail,
    #[serde(flatten)]
    pub report: ImportReport,
}

/// A file download.
fn attachment(bytes: Vec<u8>, content_type: &'static str, ascii_name: &str, name: &str) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}");
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The CSV import template (UTF-8 with BOM, Chinese headers).
#[utoipa::path(get, path = "/api/v1/machines/import/template.csv", tag = "machines",
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn template_csv(Caller(_): Caller) -> Response {
    attachment(template::csv(), "text/csv; charset=utf-8", "machines-template.csv", "机械导入模板.csv")
}

/// The XLSX import template: the header row, and a sheet explaining each column.
#[utoipa::path(get, path = "/api/v1/machines/import/template.xlsx", tag = "machines",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn template_xlsx(State(state): State<AppState>, Caller(_): Caller) -> ApiResult<Response> {
    let types = crate::machines::service::types(&state.db).await?;
    let bytes = template::xlsx(&types)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "machines-template.xlsx",
        "机械导入模板.xlsx",
    ))
}

/// The language of the report's messages: the UI's language cookie; else Chinese for a browser
/// session and English for an API token.
pub fn report_locale(headers: &HeaderMap, principal: &crate::auth::service::Principal) -> Locale {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .map(|(_, v)| v.to_owned());
    match cookie.as_deref() {
        Some("en") => Locale::en,
        Some("zh") => Locale::zh,
        _ if principal.via == crate::auth::service::Credential::Session => Locale::zh,
        _ => Locale::en,
    }
}

/// Imports machines from a CSV or XLSX file (the request body, at most 10 MB and 5,000 data
/// rows) into the caller's fleet, with the same rules as `POST /machines`.
///
/// Each row is checked; the report lists every problem by spreadsheet row (the header is row 1)
/// and column header. With `mode=all_or_nothing` (default) nothing is stored unless every row is
/// valid (422 with the report otherwise); with `mode=valid_rows` the valid rows are stored and
/// the others reported (200). A row matching a machine already in the caller's fleet with the
/// same data is `skipped`, so importing a file twice creates no duplicates. Messages follow the
/// `nrmm_lang` cookie; without it they are Chinese for browser sessions, English for tokens.
#[utoipa::path(post, path = "/api/v1/machines/import", tag = "machines", params(ImportQuery),
    request_body(content = Vec<u8>, description = "The file: XLSX, or CSV in UTF-8 (BOM optional) or GB18030/GBK", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "Imported (`errors` lists rows left out in `valid_rows` mode)", body = ImportReport),
        (status = 400, description = "`unreadable_file` or `unsupported_file` (legacy .xls)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, description = "Not a construction unit", body = ErrorBody),
        (status = 409, description = "`duplicate_identifier`: a concurrent change took an identifier", body = ErrorBody),
        (status = 413, description = "Larger than 10 MB", body = ErrorBody),
        (status = 422, description = "`import_rejected` with the report (nothing stored), or `too_many_rows`", body = ImportRejected),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let locale = report_locale(&headers, &p);
    let bytes = match body {
        Ok(b) => b,
        Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(AppError::PayloadTooLarge.into()),
        Err(_) => return Err(AppError::BadRequest { code: "malformed".into() }.into()),
    };
    if bytes.is_empty() {
        return Err(AppError::BadRequest { code: "unreadable_file".into() }.into());
    }
    let mode = query.mode.unwrap_or_default();
    match import(&state, &p, bytes.to_vec(), mode, locale).await {
        Ok(report) if mode == ImportMode::AllOrNothing && !report.errors.is_empty() => {
            let error = ErrorDetail {
                code: "import_rejected".into(),
                message: td_string!(locale, import.rejected, count = report.errors.len()).to_string(),
                fields: None,
                details: None,
                request_id: None,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(ImportRejected { error, report })).into_response())
        }
        Ok(report) => Ok(axum::Json(report).into_response()),
        Err(ImportError::TooManyRows) => {
            let mut details = BTreeMap::new();
            details.insert("max".to_owned(), MAX_ROWS.to_string());
            let error = ErrorDetail {
                code: "too_many_rows".into(),
                message: td_string!(locale, import.too_many_rows, max = MAX_ROWS).to_string(),
                fields: None,
                details: Some(details),
                request_id: None,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(ErrorBody { error })).into_response())
        }
        Err(ImportError::Service(e)) => Err(e.into()),
    }
}
