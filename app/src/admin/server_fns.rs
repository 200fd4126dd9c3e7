//! Server functions of the administration pages (thin: the services decide).

use super::{AdminUser, MachineTypeEntry, MachineTypePatch, NewMachineType, NewUserInput, PasswordReset, RoleChange};
use crate::divisions::Division;
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use uuid::Uuid;

/// A page of the accounts the caller administers.
#[server(endpoint = "admin/users")]
pub async fn list_admin_users(
    role: Option<String>,
    division: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<Page<AdminUser>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let filter = super::UserFilter { role, division, q };
    let page = crate::paging::PageQuery { limit: None, cursor };
    Ok(super::users::list(&state, &p, &filter, &page).await?)
}

/// Creates an account.
#[server(input = Json, endpoint = "admin/users/create")]
pub async fn create_admin_user(input: NewUserInput) -> Result<AdminUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::users::create(&state, &p, input).await?)
}

/// Disables or re-enables an account.
#[server(endpoint = "admin/users/active")]
pub async fn set_admin_user_active(user_id: Uuid, active: bool) -> Result<AdminUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::users::set_user_active(&state, &p, user_id, active).await?)
}

/// Resets a password; answers the generated one when none was typed.
#[server(input = Json, endpoint = "admin/users/password")]
pub async fn reset_admin_user_password(user_id: Uuid, input: PasswordReset) -> Result<Option<String>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::users::reset_password(&state, &p, user_id, input).await?.generated_password)
}

/// Changes an account's role and division.
#[server(input = Json, endpoint = "admin/users/role")]
pub async fn change_admin_user_role(user_id: Uuid, change: RoleChange) -> Result<AdminUser, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::users::change_role(&state, &p, user_id, change).await?)
}

/// The divisions an administrator may place accounts at: its own and those under it (every
/// division for a system administrator), in code order.
#[server(endpoint = "admin/divisions")]
pub async fn admin_divisions() -> Result<Vec<Division>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::users::placeable_divisions(&state, &p).await?)
}

/// Every machine type (system administrators).
#[server(endpoint = "admin/machine-types")]
pub async fn list_machine_type_entries() -> Result<Vec<MachineTypeEntry>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::machine_types::list(&state, &p).await?)
}

/// Adds a machine type.
#[server(input = Json, endpoint = "admin/machine-types/create")]
pub async fn create_machine_type_entry(input: NewMachineType) -> Result<MachineTypeEntry, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::machine_types::create(&state, &p, input).await?)
}

/// Changes a machine type.
#[server(input = Json, endpoint = "admin/machine-types/update")]
pub async fn update_machine_type_entry(code: String, patch: MachineTypePatch) -> Result<MachineTypeEntry, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::machine_types::update(&state, &p, &code, patch).await?)
}
