//! The OpenAPI 3 document, generated from the handlers' annotations and served at
//! `GET /api/v1/openapi.json`.

use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "NRMM Registry API", version = "1.0.0", description = "REST API v1 of the non-road mobile machinery registry (API.md)."),
    paths(
        crate::auth::rest::login,
        crate::auth::rest::logout,
        crate::auth::rest::me,
        crate::auth::rest::create_token,
    ),
    components(schemas(super::ErrorBody, super::ErrorDetail, crate::auth::Me, crate::auth::Role, crate::auth::LoginInput, crate::auth::rest::TokenRequest, crate::auth::service::IssuedToken)),
    modifiers(&Security),
    tags((name = "auth", description = "Sign-in, sessions and API tokens"))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("nrmm_session"))));
    }
}

async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// `GET /openapi.json`
pub fn router() -> axum::Router<crate::state::AppState> {
    axum::Router::new().route("/openapi.json", get(document))
}
