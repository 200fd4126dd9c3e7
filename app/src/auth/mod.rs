//! Accounts, roles, sign-in and the one scoping rule that decides what a user may see.

pub mod account;
mod authority;
mod pages;
pub mod permissions;
mod scope;
mod server_fns;
pub mod tokens;

pub use pages::{LoginPage, LogoutPage};
pub use scope::Scope;
pub use server_fns::{CurrentUser, Login, Logout, current_user, login, logout};

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod credentials;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod token_service;

use crate::error::FieldCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

/// What a user is allowed to be. Wire values are API.md's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    ContractorAdmin,
    ContractorStaff,
    CountyInspector,
    CityOfficer,
    ProvinceOfficer,
    PartnerViewer,
    Sysadmin,
}

impl Role {
    /// Every role, in the order administrators see them.
    pub const ALL: [Role; 7] = [
        Role::ContractorAdmin,
        Role::ContractorStaff,
        Role::CountyInspector,
        Role::CityOfficer,
        Role::ProvinceOfficer,
        Role::PartnerViewer,
        Role::Sysadmin,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ContractorAdmin => "contractor_admin",
            Role::ContractorStaff => "contractor_staff",
            Role::CountyInspector => "county_inspector",
            Role::CityOfficer => "city_officer",
            Role::ProvinceOfficer => "province_officer",
            Role::PartnerViewer => "partner_viewer",
            Role::Sysadmin => "sysadmin",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Staff of a construction unit: bound to an organisation.
    pub fn is_contractor(self) -> bool {
        matches!(self, Role::ContractorAdmin | Role::ContractorStaff)
    }

    /// Government staff: bound to a division.
    pub fn is_official(self) -> bool {
        matches!(self, Role::CountyInspector | Role::CityOfficer | Role::ProvinceOfficer | Role::PartnerViewer)
    }

    /// The roles an administrator holding this role may give (create, promote or demote to),
    /// and so the roles of the accounts it administers: a system administrator any; a province
    /// officer the official roles up to its own; a city officer county inspectors and partner
    /// departments; everyone else none. Where those accounts may sit is the administrator's own
    /// division and the divisions under it.
    pub fn grantable_roles(self) -> &'static [Role] {
        match self {
            Role::Sysadmin => &Role::ALL,
            Role::ProvinceOfficer => {
                &[Role::CountyInspector, Role::CityOfficer, Role::ProvinceOfficer, Role::PartnerViewer]
            }
            Role::CityOfficer => &[Role::CountyInspector, Role::PartnerViewer],
            _ => &[],
        }
    }

    /// Whether this role administers accounts at all.
    pub fn is_administrator(self) -> bool {
        !self.grantable_roles().is_empty()
    }

    /// Whether an administrator of this role may give `role`.
    pub fn can_grant(self, role: Role) -> bool {
        self.grantable_roles().contains(&role)
    }

    /// The division level this role must be attached to, if it is fixed.
    pub fn required_division_level(self) -> Option<crate::divisions::Level> {
        use crate::divisions::Level;
        match self {
            Role::CountyInspector => Some(Level::County),
            Role::CityOfficer => Some(Level::City),
            Role::ProvinceOfficer => Some(Level::Province),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in user as the browser and API clients see it (API.md `GET /auth/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division_code: Option<String>,
    /// The name of `division_code` (the pages show names, not codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_name: Option<String>,
    pub display_name: String,
}

/// The longest password accepted: Argon2 has no limit, but a megabyte "password" is an attack.
pub const PASSWORD_MAX: u64 = 256;
/// The shortest password a new account may have.
pub const PASSWORD_MIN: u64 = 10;

/// A sign-in attempt, from the form or `POST /api/v1/auth/login`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Validate)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginInput {
    #[validate(length(min = 1, max = 64, code = "required"))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 64))]
    pub username: String,
    #[validate(length(min = 1, max = 256, code = "required"))]
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 256))]
    pub password: String,
}

/// Normalises a user name: trimmed, lower case (user names are case-insensitive).
pub fn normalize_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A new user name: 3–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn validate_username(raw: &str) -> Result<String, crate::error::FieldError> {
    let name = normalize_username(raw);
    let len = name.chars().count();
    if !(3..=64).contains(&len) {
        return Err(crate::error::FieldError::new(FieldCode::UsernameLength).with("min", 3).with("max", 64));
    }
    let ok_start = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_chars = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if !ok_start || !ok_chars {
        return Err(crate::error::FieldError::new(FieldCode::UsernameChars));
    }
    Ok(name)
}

/// A new password: long enough, not absurdly long.
pub fn validate_new_password(password: &str) -> Result<(), crate::error::FieldError> {
    let len = password.chars().count() as u64;
    if len < PASSWORD_MIN {
        return Err(crate::error::FieldError::new(FieldCode::PasswordTooShort).with("min", PASSWORD_MIN));
    }
    if password.len() as u64 > PASSWORD_MAX {
        return Err(crate::error::FieldError::new(FieldCode::PasswordTooLong).with("max", PASSWORD_MAX));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_wire_values_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn grantable_roles_never_exceed_the_grantor() {
        assert!(Role::Sysadmin.can_grant(Role::Sysadmin));
        assert!(Role::ProvinceOfficer.can_grant(Role::CityOfficer));
        assert!(!Role::ProvinceOfficer.can_grant(Role::Sysadmin));
        assert!(!Role::ProvinceOfficer.can_grant(Role::ContractorAdmin));
        assert!(Role::CityOfficer.can_grant(Role::CountyInspector));
        assert!(!Role::CityOfficer.can_grant(Role::CityOfficer));
        assert!(!Role::CityOfficer.can_grant(Role::ProvinceOfficer));
        for r in [Role::CountyInspector, Role::PartnerViewer, Role::ContractorAdmin, Role::ContractorStaff] {
            assert!(!r.is_administrator(), "{r}");
        }
    }

    #[test]
    fn usernames() {
        assert_eq!(validate_username("  Wang.Li ").map_err(|e| e.code), Ok("wang.li".to_owned()));
        assert_eq!(validate_username("ab").map_err(|e| e.code.as_str()), Err("username_length"));
        assert_eq!(validate_username("_abc").map_err(|e| e.code.as_str()), Err("username_chars"));
        assert_eq!(validate_username("王力abc").map_err(|e| e.code.as_str()), Err("username_chars"));
    }

    #[test]
    fn passwords() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("long enough pass").is_ok());
        assert!(validate_new_password(&"x".repeat(300)).is_err());
    }
}
