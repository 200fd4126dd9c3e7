//! Server functions for signing in and out, used by the pages (the REST API has its own
//! handlers in `rest.rs`; both call `service`).

use super::Me;
use crate::error::AppError;
use leptos::prelude::*;

/// Signs in with a user name and password, starts a session and goes to the home page.
#[server(endpoint = "auth/login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use crate::server_fns::{client_ip_from_context, session_from_context};
    let state = crate::state::app_state()?;
    let input = super::LoginInput { username, password };
    let ip = client_ip_from_context();
    let principal = super::service::authenticate(&state, &input, &ip).await?;
    let session = session_from_context().await?;
    super::service::start_session(&session, &principal, state.clock.now()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session (the cookie and the stored record).
#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let session = crate::server_fns::session_from_context().await?;
    match crate::server_fns::principal_from_context() {
        Some(p) => super::service::sign_out(&crate::state::app_state()?, &p, &session).await?,
        None => {
            // Nothing to sign out of: no change to record.
            crate::audit::service::no_change_to_record();
            super::service::end_session(&session).await?
        }
    }
    Ok(())
}

/// The signed-in user, or `None`.
#[server(endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let Some(p) = crate::server_fns::principal_from_context() else { return Ok(None) };
    let state = crate::state::app_state()?;
    Ok(Some(p.me_named(&state.db).await?))
}
