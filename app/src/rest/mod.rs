//! The top of the REST edge: the router that mounts every capability's routes and the OpenAPI
//! document. What handlers share (extractors, the error body) is in [`extract`], below the
//! capabilities (the request context of server functions is `crate::server_fns`).

pub mod extract;
pub mod openapi;
pub mod proxy;
pub mod security;

/// The REST routes of every capability, mounted under `/api/v1`.
pub fn router() -> axum::Router<crate::state::AppState> {
    axum::Router::new()
        .merge(crate::auth::rest::router())
        .merge(crate::machines::rest::router())
        .merge(crate::sites::rest::router())
        .merge(crate::orgs::rest::router())
        .merge(crate::filings::rest::router())
        .merge(crate::inspections::rest::router())
        .merge(crate::field::rest::router())
        .merge(crate::cases::rest::router())
        .merge(crate::admin::rest::router())
        .merge(crate::audit::rest::router())
        .merge(crate::evidence::rest::router())
        .merge(crate::public::rest::router())
        .merge(crate::notifications::rest::router())
        .merge(crate::todo::rest::router())
        .merge(crate::exports::rest::router())
        .merge(crate::stats::rest::router())
        .merge(crate::transfers::rest::router())
        .merge(crate::amendments::rest::router())
        .merge(crate::watchlist::rest::router())
        .merge(crate::plan::rest::router())
        .merge(crate::certificates::rest::router())
        .merge(crate::reports::rest::router())
        .merge(openapi::router())
}
