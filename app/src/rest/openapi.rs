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
        crate::auth::rest::list_tokens,
        crate::auth::rest::revoke_token,
        crate::auth::rest::list_user_tokens,
        crate::auth::rest::revoke_user_token,
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
        crate::machines::photos::rest::list,
        crate::machines::photos::rest::upload_raw,
        crate::machines::photos::rest::upload_form,
        crate::machines::photos::rest::read,
        crate::machines::photos::rest::remove,
        crate::sites::rest::create,
        crate::sites::rest::list,
        crate::sites::rest::read,
        crate::sites::rest::divisions,
        crate::sites::rest::zone,
        crate::sites::rest::decide_zone,
        crate::sites::rest::bounds,
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
        crate::field::rest::lookup_machine,
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
        crate::todo::rest::mine,
        crate::exports::rest::export,
        crate::stats::rest::stats,
        crate::stats::rest::ranking,
        crate::transfers::rest::start,
        crate::transfers::rest::owners,
        crate::transfers::rest::list,
        crate::transfers::rest::read,
        crate::transfers::rest::accept,
        crate::transfers::rest::decline,
        crate::transfers::rest::cancel,
        crate::transfers::rest::allow,
        crate::amendments::rest::submit,
        crate::amendments::rest::history,
        crate::amendments::rest::list,
        crate::amendments::rest::read,
        crate::amendments::rest::decide,
        crate::amendments::rest::withdraw,
        crate::evidence::rest::list_amendment,
        crate::evidence::rest::add_amendment,
        crate::evidence::rest::read_amendment,
        crate::watchlist::rest::list,
        crate::watchlist::rest::add,
        crate::watchlist::rest::end,
        crate::watchlist::rest::filing,
        crate::plan::rest::plan,
        crate::plan::rest::weights,
        crate::plan::rest::set_weights,
        crate::plan::rest::route,
        crate::plan::rest::set_route,
        crate::certificates::rest::issue,
        crate::certificates::rest::list,
        crate::certificates::rest::check,
        crate::reports::rest::submit,
        crate::reports::rest::list,
        crate::reports::rest::close,
        crate::reports::rest::photo,
    ),
    components(schemas(super::extract::ErrorBody, super::extract::ErrorDetail, crate::auth::Me, crate::auth::Role, crate::auth::LoginInput, crate::auth::tokens::TokenRequest, crate::auth::tokens::IssuedToken, crate::auth::tokens::ApiTokenInfo, crate::auth::tokens::TokenStatus, crate::machines::photos::PhotoSize, crate::transfers::Direction)),
    modifiers(&Security, &ErrorResponses),
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
        (name = "todo", description = "What waits for the caller (the home page's to-do list)"),
        (name = "exports", description = "The lists as streamed CSV and XLSX files"),
        (name = "stats", description = "Figures of a county, a city or the province, and the county ranking"),
        (name = "transfers", description = "Ownership transfers of registered machines between construction units"),
        (name = "watchlist", description = "Machines the counties follow from site to site: a failure not passed since, an unresolved case, found unregistered, or an inspector's entry"),
        (name = "reports", description = "Reports from the public about a machine, in each county's queue"),
        (name = "inspection-plan", description = "A county's active sites ranked by an explainable risk score whose weights officers set, and each inspector's route for a day"),
        (name = "amendments", description = "Amendments of a registered machine's facts: asked by the unit, decided by the county that issued the code"),
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

/// Completes every operation's list of answers with the errors the REST edge gives any
/// operation of its kind, in the error format of API.md (an answer an operation documents
/// itself keeps its own description):
///
/// - every operation: 400 (a query or body that cannot be read);
/// - signed-in operations: 401 (no valid session or token) and 403 (a role that may not);
/// - operations on a record (a path parameter): 404 (absent, or outside the caller's scope);
/// - operations with a query or a body: 422 (a value that breaks a rule);
/// - POST/PUT/PATCH/DELETE: 409 (a duplicate, a stale version, an illegal transition) and 413
///   (a body over the limit, refused from its announced length);
/// - operations that read a JSON body: 415 (sent without its content type).
struct ErrorResponses;

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
        .into()
}

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        let complete = |op: &mut Operation, mutating: bool| {
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let json_body =
                op.request_body.as_ref().is_some_and(|b| b.content.keys().any(|k| k.starts_with("application/json")));
            let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut wanted = vec![("400", "The request could not be read")];
            if signed_in {
                wanted.push(("401", "Not signed in"));
                wanted.push(("403", "The caller's role may not do this"));
            }
            if has_path {
                wanted.push(("404", "Not found, or outside the caller's scope"));
            }
            if has_query || op.request_body.is_some() {
                wanted.push(("422", "A value breaks a rule; `fields` says which"));
            }
            if mutating {
                wanted.push(("409", "A duplicate, a stale version or an illegal transition"));
                wanted.push(("413", "The body is larger than the operation accepts"));
            }
            if json_body {
                wanted.push(("415", "The body was not sent as JSON"));
            }
            for (status, description) in wanted {
                op.responses.responses.entry(status.to_owned()).or_insert_with(|| error_response(description));
            }
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.head, &mut item.options].into_iter().flatten() {
                complete(op, false);
            }
            for op in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                complete(op, true);
            }
        }
    }
}

async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

/// `GET /openapi.json`
pub fn router() -> axum::Router<crate::state::AppState> {
    axum::Router::new().route("/openapi.json", get(document))
}
