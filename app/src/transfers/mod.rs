//! Ownership transfers (过户): a construction unit that sells or leases a registered machine to
//! another unit starts a transfer naming the buyer's credit code; the buyer's administrator
//! accepts or declines, the seller may cancel while it is pending. A machine with an unresolved
//! case moves only once every county of those cases has allowed the transfer. On acceptance the
//! machine changes owner, keeping its code, label, photos, inspections and cases, and the
//! seller's filings stop covering it from that day.
//!
//! The shared rules here run in the browser (the forms) and on the server alike.

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
mod decide;
#[cfg(feature = "ssr")]
pub mod history;
#[cfg(feature = "ssr")]
pub mod pending;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::orgs::Uscc;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The longest note or reason.
pub const TEXT_MAX: usize = 1000;

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    /// Found void when the buyer tried to accept it: the seller no longer owned the machine.
    Void,
}

impl TransferStatus {
    /// Every status.
    pub const ALL: [TransferStatus; 5] = [
        TransferStatus::Pending,
        TransferStatus::Accepted,
        TransferStatus::Declined,
        TransferStatus::Cancelled,
        TransferStatus::Void,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferStatus::Pending => "pending",
            TransferStatus::Accepted => "accepted",
            TransferStatus::Declined => "declined",
            TransferStatus::Cancelled => "cancelled",
            TransferStatus::Void => "void",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// `POST /machines/{id}/transfers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferInput {
    /// The buyer's (or lessee's) Unified Social Credit Code.
    pub buyer_uscc: String,
    /// The handover day (China date, today or later; default today). The buyer accepts on or after it.
    #[serde(default)]
    pub transfer_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A transfer input that passed the shared rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTransfer {
    pub buyer: Uscc,
    pub transfer_on: NaiveDate,
    pub note: Option<String>,
}

/// The shared rules of a new transfer on the China day `today`: a valid credit code, a handover
/// day not in the past (today when left out), a note of at most [`TEXT_MAX`] characters.
pub fn validate(input: &TransferInput, today: NaiveDate) -> Result<CheckedTransfer, FieldErrors> {
    let mut errors = FieldErrors::new();
    let buyer = match input.buyer_uscc.trim() {
        "" => {
            errors.add("buyer_uscc", FieldError::new(FieldCode::Required));
            None
        }
        raw => Uscc::parse(raw).map_err(|e| errors.add("buyer_uscc", e.field_error())).ok(),
    };
    let transfer_on = input.transfer_on.unwrap_or(today);
    if transfer_on < today {
        errors.add("transfer_on", FieldError::new(FieldCode::InThePast));
    }
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    if note.as_deref().is_some_and(|n| n.chars().count() > TEXT_MAX) {
        errors.add("note", FieldError::new(FieldCode::Length).with("min", 0).with("max", TEXT_MAX));
    }
    match buyer {
        Some(buyer) if errors.is_empty() => Ok(CheckedTransfer { buyer, transfer_on, note }),
        _ => Err(errors),
    }
}

/// A reason (declining, allowing): trimmed, required, at most [`TEXT_MAX`] characters.
pub fn check_reason(raw: &str) -> Result<String, FieldErrors> {
    crate::error::required_text("reason", raw, TEXT_MAX)
}

/// Whether a transfer handed over on `transfer_on` may be accepted on the China day `today`.
pub fn due(transfer_on: NaiveDate, today: NaiveDate) -> bool {
    today >= transfer_on
}

/// The counties whose permission a transfer still lacks: those with an unresolved case of the
/// machine (`unresolved`: a county and when one of its cases opened) that have not allowed it
/// since their newest such case opened (`allowed`: a county and when it allowed). A permission
/// covers the cases open when it was given, never one opened later. Sorted, once each.
pub fn awaiting_permission<'a>(
    unresolved: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
    allowed: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
) -> Vec<String> {
    let mut newest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for (county, opened_at) in unresolved {
        let at = newest.entry(county).or_insert(opened_at);
        *at = Ord::max(*at, opened_at);
    }
    let allowed: BTreeMap<&str, DateTime<Utc>> = allowed.into_iter().collect();
    newest
        .into_iter()
        .filter(|(county, opened_at)| allowed.get(county).is_none_or(|at| at < opened_at))
        .map(|(county, _)| county.to_owned())
        .collect()
}

/// `POST /transfers/{id}/decline` and `/allow`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReasonInput {
    pub reason: String,
}

/// A unit on either side of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferParty {
    pub id: Uuid,
    pub name: String,
    pub uscc: String,
}

/// The machine a transfer moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferMachine {
    pub id: Uuid,
    pub name: String,
    pub machine_type: String,
    pub registration_code: Option<String>,
}

/// A county's permission for a transfer of a machine with an unresolved case there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Permission {
    pub county_code: String,
    pub reason: String,
    pub allowed_by_name: String,
    pub allowed_at: DateTime<Utc>,
}

/// A transfer as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Transfer {
    pub id: Uuid,
    pub machine: TransferMachine,
    pub from: TransferParty,
    pub to: TransferParty,
    /// The county that issued the registration code (notified of the outcome).
    pub county_code: String,
    pub transfer_on: NaiveDate,
    pub note: Option<String>,
    pub status: TransferStatus,
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The new owner's first day, and the day the seller's filings stopped covering the machine.
    pub effective_on: Option<NaiveDate>,
    pub permissions: Vec<Permission>,
    /// While pending: counties with an unresolved case of the machine that have not allowed the
    /// transfer yet; the buyer cannot accept before this is empty (409 `unresolved_case`).
    pub awaiting_permission_from: Vec<String>,
}

/// Which side of a transfer the caller's unit is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Transfers to the caller's unit.
    Incoming,
    /// Transfers from the caller's unit.
    Outgoing,
}

/// `GET /transfers?status=&direction=&machine_id=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct TransferFilter {
    #[serde(default)]
    pub status: Option<TransferStatus>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub machine_id: Option<Uuid>,
}

/// Who owned a machine when (`GET /machines/{id}/owners`), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ownership {
    pub organization_name: String,
    pub uscc: String,
    /// The first day (the machine's creation, or the transfer's effective day).
    pub from: NaiveDate,
    /// The day it passed to the next owner; `null` for the current owner.
    pub until: Option<NaiveDate>,
    /// The transfer that began this ownership (none for the first owner).
    pub transfer_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_transfer_needs_a_valid_code_and_no_past_date() {
        let today = day("2026-12-06");
        let ok =
            TransferInput { buyer_uscc: " 91350100m000100y43 ".into(), transfer_on: None, note: Some("  ".into()) };
        let checked = validate(&ok, today).unwrap();
        assert_eq!(checked.buyer.as_str(), "91350100M000100Y43");
        assert_eq!(checked.transfer_on, today, "defaults to today");
        assert_eq!(checked.note, None);
        let later = TransferInput { transfer_on: Some(day("2026-12-10")), ..ok.clone() };
        assert_eq!(validate(&later, today).unwrap().transfer_on, day("2026-12-10"));

        let bad = TransferInput {
            buyer_uscc: "91350100M000100Y44".into(),
            transfer_on: Some(day("2026-12-05")),
            note: Some("x".repeat(TEXT_MAX + 1)),
        };
        let errors = validate(&bad, today).unwrap_err();
        assert_eq!(errors.first("buyer_uscc").map(|e| e.code.as_str()), Some("uscc_check_char"));
        assert_eq!(errors.first("transfer_on").map(|e| e.code.as_str()), Some("in_the_past"));
        assert_eq!(errors.first("note").map(|e| e.code.as_str()), Some("length"));
        let empty = TransferInput::default();
        assert_eq!(validate(&empty, today).unwrap_err().first("buyer_uscc").map(|e| e.code.as_str()), Some("required"));
    }

    #[test]
    fn reasons_and_due_dates() {
        assert_eq!(check_reason("  已整改完毕 ").unwrap(), "已整改完毕");
        assert!(check_reason("   ").is_err());
        assert!(check_reason(&"字".repeat(TEXT_MAX + 1)).is_err());
        assert!(due(day("2026-12-06"), day("2026-12-06")));
        assert!(due(day("2026-12-06"), day("2026-12-07")));
        assert!(!due(day("2026-12-07"), day("2026-12-06")));
    }

    #[test]
    fn permission_is_awaited_from_each_county_with_an_unresolved_case() {
        let at =
            |h: u32| DateTime::<Utc>::from_naive_utc_and_offset(day("2026-12-06").and_hms_opt(h, 0, 0).unwrap(), Utc);
        let cases = [("140121", at(1)), ("140105", at(2)), ("140121", at(3))];
        assert_eq!(awaiting_permission(cases, []), vec!["140105".to_owned(), "140121".to_owned()]);
        assert_eq!(awaiting_permission(cases, [("140121", at(3))]), vec!["140105".to_owned()]);
        assert!(awaiting_permission(cases, [("140105", at(2)), ("140121", at(4))]).is_empty());
        assert!(awaiting_permission([], [("140105", at(1))]).is_empty());
        // A permission given before the county's newest case opened does not cover it.
        assert_eq!(awaiting_permission(cases, [("140105", at(5)), ("140121", at(2))]), vec!["140121".to_owned()]);
    }

    #[test]
    fn statuses_round_trip() {
        for s in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TransferStatus::parse("done"), None);
    }
}
