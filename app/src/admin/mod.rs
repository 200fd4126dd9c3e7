//! Administration: user accounts within the administrator's reach, the machine-type list, and
//! the division list (import of another province's divisions). The rule for whose accounts an
//! administrator manages is [`crate::auth::Role::grantable_roles`] plus the administrator's
//! division and the divisions under it; services check it, pages only use it to offer choices.

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod divisions;
#[cfg(feature = "ssr")]
pub mod machine_types;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod users;

use crate::auth::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An account as an administrator sees it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub division_code: Option<String>,
    pub division_name: Option<String>,
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    pub phone: Option<String>,
    pub is_active: bool,
    /// While disabled: the role of whoever disabled the account (its authority; absent when it
    /// was never recorded, which counts as a system administrator's). Only an administrator of
    /// at least that authority enables it again ([`crate::auth::Role::may_undo_disabling`]).
    #[serde(default)]
    pub disabled_by_role: Option<Role>,
    /// While disabled: the user name of whoever disabled it.
    #[serde(default)]
    pub disabled_by_username: Option<String>,
    /// While disabled: since when.
    #[serde(default)]
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /admin/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<String>,
    /// Only accounts at this division or under it.
    pub division: Option<String>,
    /// Text in the user name or display name.
    pub q: Option<String>,
}

/// A new account (`POST /admin/users`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUserInput {
    pub username: String,
    /// Defaults to the user name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The initial password (at least 10 characters).
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub password: String,
    pub role: Option<Role>,
    /// Required for official roles: a county for inspectors, a city for city officers, a
    /// province for province officers, any level for partner departments.
    #[serde(default)]
    pub division_code: Option<String>,
    /// Required for contractor roles.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A change of role and placement (`POST /admin/users/{id}/role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: Role,
    #[serde(default)]
    pub division_code: Option<String>,
    /// For contractor roles; defaults to the account's current organisation.
    #[serde(default)]
    pub organization_id: Option<Uuid>,
}

/// A password reset (`POST /admin/users/{id}/password`): the administrator types the new
/// password, or leaves it out and the server generates one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[serde(default)]
    pub password: Option<String>,
}

/// The outcome of a reset: the account, and the generated password when the administrator did
/// not type one (shown this once; only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordResetDone {
    pub user: AdminUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

/// One entry of the machine-type list, with what only administrators see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MachineTypeEntry {
    /// The wire value (never changes once created).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort_order: i32,
    pub is_active: bool,
}

/// A new machine type (`POST /admin/machine-types`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewMachineType {
    #[cfg_attr(feature = "ssr", schema(pattern = "^[a-z][a-z0-9_]{1,39}$"))]
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Where it appears in lists; defaults to after the last.
    #[serde(default)]
    pub sort_order: Option<i32>,
}

/// A change to a machine type (`PATCH /admin/machine-types/{code}`): rename, reorder,
/// deactivate or reactivate. Absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MachineTypePatch {
    #[serde(default)]
    pub name_zh: Option<String>,
    #[serde(default)]
    pub name_en: Option<String>,
    #[serde(default)]
    pub sort_order: Option<i32>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// A machine-type code: 2–40 of `a-z 0-9 _`, starting with a letter (like the seeded ones).
pub fn is_machine_type_code(code: &str) -> bool {
    let len = code.len();
    (2..=40).contains(&len)
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// What a division import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DivisionImportReport {
    /// Rows read (without the header).
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// One bad row of a division file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DivisionRowError {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    /// A stable code: `bad_code`, `bad_level`, `level_mismatch`, `bad_name`, `duplicate_code`,
    /// `unknown_parent`, `parent_mismatch`, `missing_column`, `malformed_row`, `bad_bounds`.
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_type_codes() {
        assert!(is_machine_type_code("excavator"));
        assert!(is_machine_type_code("piling_rig2"));
        assert!(!is_machine_type_code("x"));
        assert!(!is_machine_type_code("Excavator"));
        assert!(!is_machine_type_code("2x"));
        assert!(!is_machine_type_code("snow-plough"));
        assert!(!is_machine_type_code(&"a".repeat(41)));
    }
}
