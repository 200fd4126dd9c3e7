//! `GET /v/{code}` (a small self-contained HTML page, readable without WASM, from 360 px up)
//! and `GET /api/v1/public/machines/{code}` (JSON). No sign-in; every request counts against
//! the caller's address in [`PublicLimiter`] (429 with `Retry-After` when over).

use super::{PublicMachine, PublicStatus, service};
use crate::error::AppError;
use crate::i18n::*;
use crate::inspections::compliance::Verdict;
use crate::inspections::names::verdict_label;
use crate::machines::labels::xml_escape;
use crate::machines::names::stage_label;
use crate::rest::extract::{ApiError, ApiResult, ClientIp, ErrorBody};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use governor::clock::Clock as _;
use std::fmt::Write as _;
use std::num::NonZeroU32;

/// Requests per client address, shared by the page and its JSON twin.
pub use crate::state::PublicLimiter;

/// A limiter allowing `per_minute` requests a minute per address, with bursts of `burst`.
pub fn limiter(per_minute: u32, burst: u32) -> PublicLimiter {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute).allow_burst(burst))
}

/// Counts a request from `ip`; `Err(seconds to wait)` when over the limit.
pub(crate) fn admit(state: &AppState, ip: &ClientIp) -> Result<(), u64> {
    admit_key(state, &ip.0)
}

/// Counts a request against `key` (an address, or an address and what it asks for when a kind
/// of request has a budget of its own); `Err(seconds to wait)` when over the limit.
pub(crate) fn admit_key(state: &AppState, key: &str) -> Result<(), u64> {
    let limiter = &state.public_limiter;
    limiter.check_key(&key.to_owned()).map_err(|not_until| {
        let wait = not_until.wait_time_from(limiter.clock().now());
        (wait.as_secs_f64().ceil() as u64).max(1)
    })
}

/// The JSON twin, under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/public/machines/{code}", get(machine_json))
}

/// The public facts of a registered machine (what its label's QR page shows): no sign-in, no
/// personal data. An unknown code, or one that fails its check character, is 404; more than the
/// allowed requests per client address is 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/public/machines/{code}", tag = "public",
    params(("code" = String, Path, description = "The registration code on the label")),
    responses(
        (status = 200, body = PublicMachine),
        (status = 404, description = "Not registered (unknown or malformed code)", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see `Retry-After`", body = ErrorBody),
    ))]
pub async fn machine_json(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(code): Path<String>,
) -> ApiResult<axum::Json<PublicMachine>> {
    admit(&state, &ip).map_err(|retry_after_secs| ApiError(AppError::RateLimited { retry_after_secs }))?;
    Ok(axum::Json(service::check(&state.db, &code, state.clock.now()).await?))
}

/// The language: `?lang=en|zh`, else the language cookie, else Chinese.
pub(crate) fn locale_of(query: Option<&str>, headers: &HeaderMap) -> Locale {
    let asked = query.and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")));
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == crate::ui::LANG_COOKIE)
        .map(|(_, v)| v.to_owned());
    match asked.or(cookie.as_deref()) {
        Some("en") => Locale::en,
        _ => Locale::zh,
    }
}

/// `GET /v/{code}`, the page a label's QR code opens, for everyone but the officials who look
/// machines up (the server routes the address: `server::label_routes`).
pub async fn page(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(code): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let locale = locale_of(query.as_deref(), &headers);
    if let Err(secs) = admit(&state, &ip) {
        return rate_limited(locale, secs, &lang_href(locale, &code), "");
    }
    match service::check(&state.db, &code, state.clock.now()).await {
        Ok(m) => {
            let title = td_string!(locale, public.title).to_string();
            html(StatusCode::OK, locale, &title, &code, &machine_body(locale, &m))
        }
        Err(e) => match AppError::from(e) {
            AppError::NotFound => {
                let title = format!("{} · Not registered", td_string!(Locale::zh, public.not_registered_title));
                let shown: String = code.chars().take(40).collect();
                let body = format!(
                    "<section class=\"card\" data-testid=\"not-registered\"><p class=\"status bad\">未登记 · Not registered</p>\
                     <p class=\"code\">{}</p><p>{}</p></section>",
                    xml_escape(&shown),
                    xml_escape(td_string!(locale, public.not_registered_body))
                );
                html(StatusCode::NOT_FOUND, locale, &title, &code, &body)
            }
            other => {
                let message = crate::ui::messages::error_message(locale, &other);
                let status = StatusCode::from_u16(other.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let body =
                    format!("<section class=\"card\"><p class=\"status bad\">{}</p></section>", xml_escape(&message));
                html(status, locale, &message, &code, &body)
            }
        },
    }
}

fn row(out: &mut String, label: &str, value: &str, testid: &str) {
    let _ = write!(out, "<dt>{}</dt><dd data-testid=\"{testid}\">{}</dd>", xml_escape(label), xml_escape(value));
}

fn machine_body(locale: Locale, m: &PublicMachine) -> String {
    let (status_class, status_text) = match m.status {
        PublicStatus::RegisteredOnSite => ("ok", td_string!(locale, public.status_on_site)),
        PublicStatus::Registered => ("warn", td_string!(locale, public.status_registered)),
    };
    let mut out = String::with_capacity(2048);
    let _ = write!(
        out,
        "<section class=\"card\"><h1>{}</h1><p class=\"code\" data-testid=\"code\">{}</p>\
         <p class=\"status {status_class}\" data-testid=\"status\">{}</p>",
        xml_escape(td_string!(locale, public.heading)),
        xml_escape(&m.registration_code),
        xml_escape(status_text)
    );
    if m.unresolved_case {
        let _ = write!(
            out,
            "<p class=\"status bad\" data-testid=\"open-case\">{}</p>",
            xml_escape(td_string!(locale, public.open_case))
        );
    }
    out.push_str("<dl>");
    let type_name = match locale {
        Locale::zh => &m.machine_type.name_zh,
        Locale::en => &m.machine_type.name_en,
    };
    row(&mut out, td_string!(locale, public.machine_type), type_name, "machine-type");
    row(&mut out, td_string!(locale, public.emission_stage), stage_label(locale, m.emission_stage), "stage");
    row(&mut out, td_string!(locale, public.owner), &m.owner, "owner");
    let county =
        m.current_county.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| td_string!(locale, public.none).to_owned());
    row(&mut out, td_string!(locale, public.county), &county, "county");
    let inspection = match &m.last_inspection {
        Some(i) => format!("{} · {}", verdict_label(locale, i.verdict), i.inspected_on),
        None => td_string!(locale, public.no_inspection).to_owned(),
    };
    let class = match m.last_inspection.as_ref().map(|i| i.verdict) {
        Some(Verdict::Fail) => " class=\"bad-text\"",
        _ => "",
    };
    let _ = write!(
        out,
        "<dt>{}</dt><dd data-testid=\"inspection\"{class}>{}</dd>",
        xml_escape(td_string!(locale, public.last_inspection)),
        xml_escape(&inspection)
    );
    let _ = write!(
        out,
        "</dl><p><a href=\"/report?code={}\" data-testid=\"report-link\">{}</a></p></section>",
        xml_escape(&m.registration_code),
        xml_escape(td_string!(locale, reports.report_this))
    );
    out
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;background:#f3f5f4;color:#1b1f1d;\
font:16px/1.5 system-ui,-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif}\
header{background:#0b5d3b;color:#fff;padding:.75rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem}\
header a{color:#fff}main{max-width:34rem;margin:0 auto;padding:1rem}\
.card{background:#fff;border-radius:10px;padding:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}\
h1{font-size:1.15rem;margin:0 0 .5rem}.code{font:700 1.35rem/1.3 'DejaVu Sans Mono',Consolas,monospace;letter-spacing:.04em;overflow-wrap:anywhere;margin:.25rem 0 .75rem}\
.status{font-weight:700;font-size:1.1rem;padding:.75rem;border-radius:8px;margin:.5rem 0}\
.ok{background:#e2f3e9;color:#0b5d3b}.warn{background:#fff4d6;color:#7a5200}.bad{background:#fde4e1;color:#a32014}\
.bad-text{color:#a32014;font-weight:700}dl{margin:1rem 0 0}dt{color:#5a625e;font-size:.875rem}\
dd{margin:0 0 .75rem;font-size:1.05rem;overflow-wrap:anywhere}footer{color:#5a625e;font-size:.8rem;text-align:center;padding:1rem}";

/// The page for a path that names nothing (404), in the language of the cookie: a plain
/// document, like this module's pages, so that it never depends on the app's render.
pub fn not_found_page(headers: &HeaderMap) -> Response {
    let locale = locale_of(None, headers);
    let body = format!(
        "<section class=\"card\"><h1>{}</h1><p>{}</p><p><a href=\"/\">{}</a></p></section>",
        xml_escape(td_string!(locale, not_found.heading)),
        xml_escape(td_string!(locale, not_found.body)),
        xml_escape(td_string!(locale, not_found.home)),
    );
    html(StatusCode::NOT_FOUND, locale, td_string!(locale, not_found.title), "", &body)
}

/// The label page's link to itself in the other language.
fn lang_href(locale: Locale, code: &str) -> String {
    let other = match locale {
        Locale::zh => "en",
        Locale::en => "zh",
    };
    // The code goes back into a link only when it is plain (a valid code is digits and X).
    if code.chars().all(|c| c.is_ascii_alphanumeric()) && code.len() <= 40 {
        format!("/v/{code}?lang={other}")
    } else {
        format!("?lang={other}")
    }
}

/// The whole document around `body`, for the label page at `/v/{code}`.
fn html(status: StatusCode, locale: Locale, title: &str, code: &str, body: &str) -> Response {
    document(status, locale, title, &lang_href(locale, code), body, "")
}

/// The page of a caller over the public pages' limit: 429 with `Retry-After`.
pub(crate) fn rate_limited(locale: Locale, secs: u64, lang_href: &str, style: &str) -> Response {
    let title = td_string!(locale, public.rate_limited_title).to_string();
    let body = format!(
        "<section class=\"card\"><h1>{}</h1><p>{}</p></section>",
        xml_escape(&title),
        xml_escape(&td_string!(locale, public.rate_limited_body, seconds = secs).to_string())
    );
    let mut resp = document(StatusCode::TOO_MANY_REQUESTS, locale, &title, lang_href, &body, style);
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// A plain page of the register (no WASM, readable from 360 px up): `body` under the
/// register's header with a link to the other language (`lang_href`), `style` added to the
/// common one. Never cached stale, never indexed.
pub(crate) fn document(
    status: StatusCode,
    locale: Locale,
    title: &str,
    lang_href: &str,
    body: &str,
    style: &str,
) -> Response {
    let (lang, other, other_tag) = match locale {
        Locale::zh => ("zh-CN", "en", td_string!(locale, public.other_language)),
        Locale::en => ("en", "zh", td_string!(locale, public.other_language)),
    };
    let doc = format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title><style>{STYLE}{style}</style></head>\
         <body><header><strong>{app}</strong><a href=\"{href}\" lang=\"{other}\">{other_tag}</a></header>\
         <main>{body}</main><footer>{footer}</footer></body></html>",
        title = xml_escape(title),
        app = xml_escape(td_string!(locale, app_name)),
        href = xml_escape(lang_href),
        other_tag = xml_escape(other_tag),
        footer = xml_escape(td_string!(locale, public.footer)),
    );
    let mut resp = (status, doc).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    resp
}
