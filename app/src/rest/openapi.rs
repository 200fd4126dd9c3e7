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
        crate::machines::rest::machine_types,
        crate::machines::rest::create,
        crate::machines::rest::list,
        crate::machines::rest::read,
        crate::machines::rest::update,
        crate::machines::rest::remove,
        crate::machines::labels::label,
        crate::machines::import::rest::template_csv,
        crate::machines::import::rest::template_xlsx,
        crate::machines::import::rest::upload,
        crate::machines::photos_rest::list,
        crate::machines::photos_rest::upload_raw,
        crate::machines::photos_rest::upload_form,
        crate::machines::photos_rest::read,
        crate::machines::photos_rest::remove,
        crate::sites::rest::create,
        crate::sites::rest::list,
        crate::sites::rest::read,
        crate::sites::rest::divisions,
        crate::sites::rest::zone,
        crate::orgs::rest::register,
        crate::orgs::rest::mine,
        crate::orgs::rest::staff,
        crate::orgs::rest::add_staff,
        crate::orgs::rest::disable,
        crate::orgs::rest::enable,
        crate::orgs::rest::change_role,
        crate::filings::rest::create,
        crate::filings::rest::precheck,
        crate::filings::rest::filed_overlaps,
        crate::filings::rest::list,
        crate::filings::rest::read,
        crate::filings::rest::resubmit,
        crate::filings::rest::review,
        crate::filings::rest::close,
        crate::filings::rest::movements,
        crate::filings::rest::record_movement,
        crate::inspections::rest::evaluate,
        crate::inspections::rest::current_table,
        crate::inspections::rest::list_tables,
        crate::inspections::rest::create_table,
        crate::inspections::rest::list_zones,
        crate::inspections::rest::create_zone,
        crate::inspections::rest::update_zone,
        crate::inspections::rest::create,
        crate::inspections::rest::list,
        crate::inspections::rest::read,
        crate::inspections::rest::add_note,
        crate::inspections::rest::lookup_machine,
        crate::cases::rest::list,
        crate::cases::rest::read,
        crate::cases::rest::transition,
        crate::cases::rest::add_note,
        crate::admin::rest::list_users,
        crate::admin::rest::create_user,
        crate::admin::rest::disable_user,
        crate::admin::rest::enable_user,
        crate::admin::rest::reset_password,
        crate::admin::rest::change_role,
        crate::admin::rest::list_machine_types,
        crate::admin::rest::create_machine_type,
        crate::admin::rest::update_machine_type,
        crate::admin::rest::import_divisions,
        crate::audit::rest::search,
        crate::evidence::rest::list_inspection,
        crate::evidence::rest::add_inspection,
        crate::evidence::rest::read_inspection,
        crate::evidence::rest::list_case,
        crate::evidence::rest::add_case,
        crate::evidence::rest::read_case,
        crate::public::rest::machine_json,
        crate::notifications::rest::list,
        crate::notifications::rest::unread,
        crate::notifications::rest::read,
        crate::notifications::rest::read_all,
        crate::exports::rest::export,
        crate::stats::rest::stats,
        crate::stats::rest::ranking,
    ),
    components(schemas(super::ErrorBody, super::ErrorDetail, crate::auth::Me, crate::auth::Role, crate::auth::LoginInput, crate::auth::rest::TokenRequest, crate::auth::service::IssuedToken)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in, sessions and API tokens"),
        (name = "machines", description = "The machine fleet of a construction unit"),
        (name = "sites", description = "Construction sites and the divisions they lie in"),
        (name = "organizations", description = "Construction units: sign-up and staff"),
        (name = "filings", description = "Pre-entry filings, their review, and the entry/exit log"),
        (name = "inspections", description = "The compliance rule, limit tables, low-emission zones, field inspections and the field look-up"),
        (name = "cases", description = "Non-compliance cases and their workflow"),
        (name = "admin", description = "Administration: accounts within reach, the machine-type list, division import"),
        (name = "audit", description = "The append-only audit log, searched within the caller's scope"),
        (name = "public", description = "The public label check (no sign-in, no personal data, rate-limited per address)"),
        (name = "notifications", description = "The caller's in-app notifications"),
        (name = "exports", description = "The lists as streamed CSV and XLSX files"),
        (name = "stats", description = "Figures of a county, a city or the province, and the county ranking"),
    )
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
