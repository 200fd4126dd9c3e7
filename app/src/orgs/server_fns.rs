//! Server functions of the sign-up and staff pages.

use super::{RegisterInput, StaffInput, StaffRoleChange, StaffUser};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// Registers a construction unit, signs its administrator in and goes to the home page.
#[server(input = Json, endpoint = "orgs/register")]
pub async fn register_org(input: RegisterInput) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let (_, user_id) = super::service::register(&state, input).await?;
    let me = super::service::me_of(&state, user_id).await?;
    let principal = crate::auth::service::Principal {
        user_id: me.id,
        username: me.username,
        display_name: me.display_name,
        role: me.role,
        organization_id: me.organization_id,
        division_code: me.division_code,
        division_level: None,
        division_name: None,
        via: crate::auth::service::Credential::Session,
        session_epoch: 0,
    };
    let session = crate::server_fns::session_from_context().await?;
    crate::auth::service::start_session(&session, &principal, state.clock.now()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The caller's organisation's users.
#[server(endpoint = "orgs/staff")]
pub async fn list_staff() -> Result<Vec<StaffUser>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::staff(&state, &p).await?)
}

/// Adds a staff user.
#[server(input = Json, endpoint = "orgs/staff/add")]
pub async fn add_staff(input: StaffInput) -> Result<StaffUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::add_staff(&state, &p, input).await?)
}

/// Disables or enables a staff user.
#[server(endpoint = "orgs/staff/active")]
pub async fn set_staff_active(user_id: Uuid, active: bool) -> Result<StaffUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::set_staff_active(&state, &p, user_id, active).await?)
}

/// Promotes a user of the unit to administrator or demotes one to staff.
#[server(input = Json, endpoint = "orgs/staff/role")]
pub async fn change_staff_role(user_id: Uuid, change: StaffRoleChange) -> Result<StaffUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::change_staff_role(&state, &p, user_id, change).await?)
}
