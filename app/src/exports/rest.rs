//! `GET /api/v1/exports/{dataset}.{format}`: the streamed export files.

use super::datasets;
use super::service::{self, Export};
use super::{Dataset, Format, parse_file_name};
use crate::error::AppError;
use crate::i18n::*;
use crate::rest::extract::{ApiPath, ApiResult, Caller, ErrorBody};
use crate::service_error::ServiceError;
use crate::state::AppState;
use crate::ui::LANG_COOKIE;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use futures::StreamExt;
use tokio::io::AsyncReadExt;

/// The export route.
pub fn router() -> Router<AppState> {
    Router::new().route("/exports/{file}", get(export))
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Every row of a list as a file: `machines`, `filings`, `inspections` or `cases`, as `csv` or
/// `xlsx`, in the caller's scope, with the query parameters of the matching list
/// (`GET /machines`: `q`, `machine_type`, `emission_stage`, `registered`; `GET /filings`:
/// `status`, `site_id`; `GET /inspections`: `site_id`, `machine_id`, `verdict`; `GET /cases`:
/// `state`, `kind`, `overdue`, `machine_id`, `site_id`), newest first.
///
/// Column headers and values such as stages and statuses are in Chinese, or in English with the
/// `nrmm_lang=en` cookie or an `Accept-Language` starting with `en` (the cookie wins). CSV is
/// UTF-8 with a byte-order mark and is streamed as it is read; XLSX is built first (rows past
/// 1,000,000 continue on a second sheet). A failure while streaming breaks the transfer rather
/// than ending the file early. Officials and administrators export every dataset; construction
/// units their machines and filings (403 for the others).
#[utoipa::path(get, path = "/api/v1/exports/{file}", tag = "exports",
    params(("file" = String, Path, description = "`{machines,filings,inspections,cases}.{csv,xlsx}`")),
    responses(
        (status = 200, description = "The file (attachment, dated name)", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "`malformed_query`: a filter that does not parse", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "A construction unit asking for inspections or cases", body = ErrorBody),
        (status = 404, description = "Unknown dataset or format", body = ErrorBody),
    ),
    security(("session" = []), ("bearer" = [])))]
pub async fn export(
    State(state): State<AppState>,
    Caller(p): Caller,
    ApiPath(file): ApiPath<String>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (dataset, format) = parse_file_name(&file).ok_or(AppError::NotFound)?;
    let locale = request_locale(&headers);
    let export = match dataset {
        Dataset::Machines => datasets::machines(&state, &p, &filter(&uri)?, locale).await?,
        Dataset::Filings => datasets::filings(&state, &p, &filter(&uri)?, locale).await?,
        Dataset::Inspections => datasets::inspections(&state, &p, &filter(&uri)?, locale).await?,
        Dataset::Cases => datasets::cases(&state, &p, &filter(&uri)?, locale).await?,
    };
    let today = crate::dates::china_date(state.clock.now());
    match format {
        Format::Csv => {
            let body = Body::from_stream(service::csv_stream(export).map(|chunk| chunk.map(Bytes::from)));
            Ok(download(body, "text/csv; charset=utf-8", dataset, format, locale, today, None))
        }
        Format::Xlsx => xlsx(export, dataset, locale, today).await,
    }
}

async fn xlsx(export: Export, dataset: Dataset, locale: Locale, today: NaiveDate) -> ApiResult<Response> {
    let file = super::xlsx::write(export, sheet_name(dataset, locale).to_owned()).await?;
    let len = file.metadata().map_err(ServiceError::internal)?.len();
    let file = tokio::fs::File::from_std(file);
    let chunks = futures::stream::try_unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok::<_, std::io::Error>(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), f)))
    });
    Ok(download(Body::from_stream(chunks), XLSX_TYPE, dataset, Format::Xlsx, locale, today, Some(len)))
}

/// The list's filters from the query string; one that does not parse is a 400.
fn filter<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, AppError> {
    Query::<T>::try_from_uri(uri).map(|Query(f)| f).map_err(|_| AppError::BadRequest { code: "malformed_query".into() })
}

/// The language of the file: the UI's language cookie, else the browser's first language
/// (English when it is English), else Chinese.
fn request_locale(headers: &HeaderMap) -> Locale {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .map(|(_, v)| v.trim().to_owned());
    match cookie.as_deref() {
        Some("en") => return Locale::en,
        Some("zh") => return Locale::zh,
        _ => {}
    }
    let first = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if first == "en" || first.starts_with("en-") || first.starts_with("en;") { Locale::en } else { Locale::zh }
}

fn sheet_name(dataset: Dataset, locale: Locale) -> &'static str {
    match dataset {
        Dataset::Machines => td_string!(locale, export.sheet_machines),
        Dataset::Filings => td_string!(locale, export.sheet_filings),
        Dataset::Inspections => td_string!(locale, export.sheet_inspections),
        Dataset::Cases => td_string!(locale, export.sheet_cases),
    }
}

fn file_stem(dataset: Dataset, locale: Locale) -> &'static str {
    match dataset {
        Dataset::Machines => td_string!(locale, export.file_machines),
        Dataset::Filings => td_string!(locale, export.file_filings),
        Dataset::Inspections => td_string!(locale, export.file_inspections),
        Dataset::Cases => td_string!(locale, export.file_cases),
    }
}

/// A download response: `Content-Disposition: attachment` with an ASCII name
/// (`machines-2026-11-29.csv`) and the name in the caller's language (`filename*`).
fn download(
    body: Body,
    content_type: &'static str,
    dataset: Dataset,
    format: Format,
    locale: Locale,
    today: NaiveDate,
    len: Option<u64>,
) -> Response {
    let ascii = format!("{}-{today}.{}", dataset.as_str(), format.as_str());
    let local = format!("{}-{today}.{}", file_stem(dataset, locale), format.as_str());
    let encoded: String = local
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut resp = body.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(len) = len {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn language_of_the_file() {
        assert_eq!(request_locale(&HeaderMap::new()), Locale::zh);
        assert_eq!(request_locale(&with(header::COOKIE, "a=b; nrmm_lang=en")), Locale::en);
        assert_eq!(request_locale(&with(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9")), Locale::en);
        assert_eq!(request_locale(&with(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.8")), Locale::zh);
        let mut both = with(header::ACCEPT_LANGUAGE, "en-US");
        both.insert(header::COOKIE, HeaderValue::from_static("nrmm_lang=zh"));
        assert_eq!(request_locale(&both), Locale::zh);
    }
}
