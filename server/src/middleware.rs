//! The request pipeline around every handler: request ids in the log and in error bodies, the
//! client address, the same-origin rule for state-changing requests, the caller (session or
//! bearer token), and proper statuses for server-function errors.

use app::auth::service::Principal;
use app::error::AppError;
use app::rest::extract::{ApiError, ClientIp};
use app::rest::proxy::TrustedProxies;
use app::state::{AppState, REQUEST_ID};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_sessions::Session;

/// The header carrying the request id (set by tower-http, echoed in the response).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Makes the request id available to the service layer (for error bodies) for this request.
pub async fn request_id_scope(req: Request, next: Next) -> Response {
    let id = req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// Records the client address: the peer, or behind trusted proxies the right-most
/// `X-Forwarded-For` entry that is not one of them ([`TrustedProxies::client`]).
pub async fn client_ip(State(proxies): State<Arc<TrustedProxies>>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = match peer {
        Some(peer) if !proxies.is_empty() => {
            let forwarded: Vec<&str> =
                req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            proxies.client(peer, &forwarded).to_string()
        }
        Some(peer) => peer.to_string(),
        None => "unknown".into(),
    };
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

/// The origin of the public URL, e.g. `https://nrmm.example.cn`.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// Whether a state-changing request comes from our own pages (or from a non-browser client).
pub fn same_origin_allowed(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE) {
        return true;
    }
    // Browsers send Sec-Fetch-Site on every request: trust it when present.
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // No Origin and no Sec-Fetch-Site: not a browser (curl, a partner's script).
        None => true,
        Some(origin) => {
            if origin.eq_ignore_ascii_case(origin_of(public_url)) {
                return true;
            }
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
            !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
        }
    }
}

/// Refuses cross-origin state-changing requests with 403 (CSRF protection for cookies).
pub async fn same_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if same_origin_allowed(req.method(), req.headers(), &state.settings.public_url) {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), uri = %req.uri(), "cross-origin request refused");
        ApiError(AppError::Forbidden).into_response()
    }
}

/// Resolves the caller from `Authorization: Bearer …` or the session, and stores it in the
/// request. A bearer token that is not valid is refused at once (401).
pub async fn resolve_principal(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    let principal: Result<Option<Principal>, _> = match bearer {
        Some(token) => match app::auth::credentials::principal_for_token(&state, &token).await {
            Ok(None) => return ApiError(AppError::Unauthorized).into_response(),
            other => other,
        },
        None => match req.extensions().get::<Session>().cloned() {
            Some(session) => app::auth::credentials::principal_for_session(&state, &session).await,
            None => Ok(None),
        },
    };
    match principal {
        Ok(Some(p)) => {
            req.extensions_mut().insert(p);
        }
        Ok(None) => {}
        Err(e) => return ApiError(e.into()).into_response(),
    }
    next.run(req).await
}

/// Server functions answer every error with 500; this sets the status the error deserves
/// (400 malformed, 401, 403, 404, 409, 422, 429…) so clients and logs see the truth.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.status() != StatusCode::INTERNAL_SERVER_ERROR || !resp.headers().contains_key("serverfnerror") {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 256 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::RateLimited { retry_after_secs } = err
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            parts.headers.insert(header::RETRY_AFTER, v);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The largest body a path accepts: uploads (photos, imports) get more than everything else.
pub fn body_limit_for(path: &str) -> usize {
    let upload = path.starts_with("/api/v1/")
        && (path.contains("/photos/")
            || path.ends_with("/photos")
            || path.ends_with("/evidence")
            || path.ends_with("/import"));
    if upload { crate::UPLOAD_LIMIT } else { crate::BODY_LIMIT }
}

/// Refuses a body whose announced length is over the path's limit at once (413), before any of
/// it is read; the extractors enforce the same limits on bodies without a length.
pub async fn early_body_limit(req: Request, next: Next) -> Response {
    let announced =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(len) = announced
        && len > body_limit_for(req.uri().path()) as u64
    {
        let mut resp = ApiError(AppError::PayloadTooLarge).into_response();
        resp.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
        return resp;
    }
    next.run(req).await
}

/// A JSON 404 for unknown paths under `/api/v1`.
pub async fn api_not_found() -> Response {
    ApiError(AppError::NotFound).into_response()
}

/// A panic inside a handler becomes a plain JSON 500 without the panic text.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError(AppError::Internal { request_id: app::state::current_request_id() }).into_response()
}

/// The audit context of a request (address, request id) for the service layer's audit rows, and
/// the safety net: a successful state-changing request under `/api/` (REST or a server function)
/// that wrote no audit row of its own, and is not one of the known read-only POSTs, gets a
/// generic `request` row (method, path, status, caller). Those rows are distinguishable from the
/// services' own and point at an operation that lacks its audit call.
pub async fn audit_request(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let meta = app::audit::service::RequestMeta {
        ip: req.extensions().get::<ClientIp>().map(|c| c.0.clone()),
        request_id: req.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned),
        recorded: Default::default(),
    };
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let principal = req.extensions().get::<Principal>().cloned();
    let resp = app::audit::service::in_request(meta.clone(), next.run(req)).await;
    let recorded = app::audit::service::recorded_in(&meta);
    if app::audit::needs_safety_net(method.as_str(), &path, resp.status().as_u16(), recorded) {
        tracing::warn!(%method, %path, "state-changing request without an audit row");
        let status = resp.status().as_u16();
        if let Err(e) =
            app::audit::service::record_unaudited(&state, meta, principal.as_ref(), method.as_str(), &path, status)
                .await
        {
            tracing::error!(error = %e, "audit safety net failed");
        }
    }
    resp
}

/// Adds the security headers every response carries ([`app::rest::security`]).
pub async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    app::rest::security::add_security_headers(resp.headers_mut(), https);
    resp
}
