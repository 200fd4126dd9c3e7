//! Construction units (施工单位): sign-up, the credit-code rule, staff.

mod uscc;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

pub use uscc::{ALPHABET as USCC_ALPHABET, Uscc, UsccError};

use crate::error::{FieldCode, FieldError, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A sign-up (API.md `POST /organizations/register`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegisterInput {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub uscc: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub contact_name: String,
    pub contact_phone: String,
    pub username: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub password: String,
}

/// An organisation as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    pub uscc: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub created_at: DateTime<Utc>,
}

/// A new staff account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 10, max_length = 256))]
    pub password: String,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A user of the organisation, as its administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: crate::auth::Role,
    pub is_active: bool,
    /// While disabled: the role of whoever disabled the account (its authority; absent when it
    /// was never recorded, which counts as a system administrator's). Only an administrator of
    /// at least that authority enables it again ([`crate::auth::Role::may_undo_disabling`]).
    #[serde(default)]
    pub disabled_by_role: Option<crate::auth::Role>,
    /// While disabled by someone of the unit: that person's name (an official's is not shown).
    #[serde(default)]
    pub disabled_by_name: Option<String>,
    /// While disabled: since when.
    #[serde(default)]
    pub disabled_at: Option<DateTime<Utc>>,
}

/// The roles a unit's administrator gives within its unit: promote staff to administrator,
/// demote an administrator to staff.
pub const UNIT_ROLES: [crate::auth::Role; 2] = [crate::auth::Role::ContractorAdmin, crate::auth::Role::ContractorStaff];

/// A change of role within the unit (`POST /organizations/users/{id}/role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffRoleChange {
    /// `contractor_admin` or `contractor_staff`.
    pub role: crate::auth::Role,
}

/// A phone number: 7–20 of digits, spaces, `+`, `-`, with at least 7 digits.
pub fn check_phone(phone: &str) -> Result<(), FieldError> {
    let digits = phone.chars().filter(|c| c.is_ascii_digit()).count();
    let ok = (7..=20).contains(&phone.chars().count())
        && digits >= 7
        && phone.chars().all(|c| c.is_ascii_digit() || " +-".contains(c));
    if ok { Ok(()) } else { Err(FieldError::new(FieldCode::Phone)) }
}

/// Normalises a sign-up and returns every broken rule (the credit code by the shared rule).
pub fn validate_register(input: &mut RegisterInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_owned();
    input.contact_name = input.contact_name.trim().to_owned();
    input.contact_phone = input.contact_phone.trim().to_owned();
    match Uscc::parse(&input.uscc) {
        Ok(u) => input.uscc = u.to_string(),
        Err(e) => errors.add("uscc", e.field_error()),
    }
    let len = |s: &str| s.chars().count();
    if input.name.is_empty() || len(&input.name) > 200 {
        errors.add("name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 200));
    }
    if input.contact_name.is_empty() || len(&input.contact_name) > 100 {
        errors.add("contact_name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 100));
    }
    if let Err(e) = check_phone(&input.contact_phone) {
        errors.add("contact_phone", e);
    }
    match crate::auth::validate_username(&input.username) {
        Ok(u) => input.username = u,
        Err(e) => errors.add("username", e),
    }
    if let Err(e) = crate::auth::validate_new_password(&input.password) {
        errors.add("password", e);
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RegisterInput {
        RegisterInput {
            name: " 示范建设公司 ".into(),
            uscc: "91350100m000100y43".into(),
            contact_name: "王工".into(),
            contact_phone: "0351-1234567".into(),
            username: "Demo.Admin".into(),
            password: "a long password".into(),
        }
    }

    #[test]
    fn valid_sign_up_is_normalised() {
        let mut i = input();
        assert!(validate_register(&mut i).is_empty());
        assert_eq!(i.uscc, "91350100M000100Y43");
        assert_eq!(i.username, "demo.admin");
        assert_eq!(i.name, "示范建设公司");
    }

    #[test]
    fn bad_credit_code_is_a_uscc_field_error() {
        let mut i = input();
        i.uscc = "91350100M000100Y44".into();
        let e = validate_register(&mut i);
        assert_eq!(e.first("uscc").map(|e| e.code.as_str()), Some("uscc_check_char"));
        assert_eq!(e.first("uscc").and_then(|e| e.params.get("expected")).map(String::as_str), Some("3"));
    }

    #[test]
    fn phones() {
        assert!(check_phone("13800138000").is_ok());
        assert!(check_phone("+86 351-1234567").is_ok());
        assert!(check_phone("12345").is_err());
        assert!(check_phone("call me").is_err());
    }
}
