//! What server functions know about the request they serve: the caller, the client address
//! and the session, all put in place by the server's middleware.

use crate::auth::service::Principal;
use crate::error::AppError;
use http::request::Parts;
use leptos::prelude::use_context;

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// The signed-in caller, if any.
pub fn principal_from_context() -> Option<Principal> {
    parts().and_then(|p| p.extensions.get::<Principal>().cloned())
}

/// The signed-in caller, or 401.
pub fn require_principal() -> Result<Principal, AppError> {
    principal_from_context().ok_or(AppError::Unauthorized)
}

/// The client address.
pub fn client_ip_from_context() -> String {
    parts()
        .and_then(|p| p.extensions.get::<crate::rest::extract::ClientIp>().cloned())
        .map(|c| c.0)
        .unwrap_or_else(|| "unknown".into())
}

/// The session of this request.
pub async fn session_from_context() -> Result<tower_sessions::Session, AppError> {
    parts()
        .and_then(|p| p.extensions.get::<tower_sessions::Session>().cloned())
        .ok_or(AppError::Internal { request_id: crate::state::current_request_id() })
}

/// The state and the signed-in caller (401 when signed out), for server functions.
pub fn state_and_principal() -> Result<(crate::state::AppState, Principal), AppError> {
    Ok((crate::state::app_state()?, require_principal()?))
}
