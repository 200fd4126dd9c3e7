//! Pre-entry filings (报备): a construction unit files machines for a site before they enter;
//! the filing goes to the county of the site, whose inspectors accept or return it. Accepting
//! issues registration codes. Then the site records each machine's entry and exit.

pub mod names;
pub mod precheck;
pub mod rules;
pub mod transitions;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod in_force;
#[cfg(feature = "ssr")]
pub mod movements;
#[cfg(feature = "ssr")]
pub mod overlaps;
#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod review;
#[cfg(feature = "ssr")]
pub mod service;

use crate::machines::{EmissionStage, PhotoKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use precheck::{Precheck, PrecheckCode};
pub use rules::{MAX_MACHINES, SiteDates, validate};

/// Where a filing stands (wire values of API.md, also the stored values of `filings.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum FilingStatus {
    Draft,
    Submitted,
    Returned,
    Accepted,
    Closed,
}

impl FilingStatus {
    /// Every status.
    pub const ALL: [FilingStatus; 5] = [
        FilingStatus::Draft,
        FilingStatus::Submitted,
        FilingStatus::Returned,
        FilingStatus::Accepted,
        FilingStatus::Closed,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            FilingStatus::Draft => "draft",
            FilingStatus::Submitted => "submitted",
            FilingStatus::Returned => "returned",
            FilingStatus::Accepted => "accepted",
            FilingStatus::Closed => "closed",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A filing as submitted (API.md `POST /filings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilingInput {
    pub site_id: Uuid,
    pub machine_ids: Vec<Uuid>,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
    /// An id the client generated for this submission: sent again (a double tap, a retry), it
    /// returns the filing first submitted with it and submits nothing (`request_ids`).
    #[serde(default)]
    pub request_id: Option<Uuid>,
}

/// A correction of a returned filing, resubmitted with the version that was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilingCorrection {
    pub machine_ids: Vec<Uuid>,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
    pub version: i32,
}

/// A machine on a filing, as the filing shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FiledMachine {
    pub id: Uuid,
    pub name: String,
    pub machine_type: String,
    pub emission_stage: EmissionStage,
    pub rated_power_kw: f64,
    pub registration_code: Option<String>,
    pub photos: Vec<PhotoKind>,
    /// The day the machine left this filing (transferred to another unit): the filing covers it
    /// only on the days before.
    #[serde(default)]
    pub left_on: Option<NaiveDate>,
    /// The instant it left (the transfer's acceptance): no entry from then on ([`left_filing`]).
    #[serde(default)]
    pub left_at: Option<DateTime<Utc>>,
}

/// Whether a machine that left a filing at `left_at` (transferred to another unit) had left it
/// at `at`: it may still be recorded leaving the site, but never entering it from that moment on
/// (an entry earlier that day, recorded late, is still taken).
pub fn left_filing(left_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    left_at.is_some_and(|left| at >= left)
}

/// A filing as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Filing {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub site_id: Uuid,
    pub site_name: String,
    /// The site's period, which the planned dates must lie within (the form checks a correction
    /// against it).
    pub site_starts_on: NaiveDate,
    pub site_ends_on: NaiveDate,
    /// The county the filing was routed to (the site's).
    pub county_code: String,
    /// That county's name.
    pub county_name: String,
    pub status: FilingStatus,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
    /// Why the inspector returned it (while returned).
    pub return_reason: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub machines: Vec<FiledMachine>,
    /// The automatic pre-checks, computed now.
    pub prechecks: Vec<Precheck>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// An inspector's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Accept,
    Return,
}

/// `POST /filings/{id}/review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReviewInput {
    pub decision: Decision,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Entry or exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Enter,
    Exit,
}

impl MovementKind {
    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Enter => "enter",
            MovementKind::Exit => "exit",
        }
    }
}

/// `POST /filings/{id}/movements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MovementInput {
    pub machine_id: Uuid,
    pub kind: MovementKind,
    pub at: DateTime<Utc>,
}

/// A recorded entry or exit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Movement {
    pub id: Uuid,
    pub machine_id: Uuid,
    pub kind: MovementKind,
    pub at: DateTime<Utc>,
    /// True when the day lies outside the filing's planned dates (recorded, with a warning).
    pub outside_window: bool,
    /// `outside_filing_dates` when `outside_window`.
    pub warning: Option<String>,
}

/// `?status=` of the filing list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct FilingFilter {
    pub status: Option<FilingStatus>,
    pub site_id: Option<Uuid>,
}

/// A machine on a submitted or accepted filing of the caller's scope whose planned dates
/// overlap the dates asked about: what the filing form shows beside the machines it offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FiledMachineOverlap {
    pub machine_id: Uuid,
    pub filing_id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    /// `submitted` or `accepted`.
    pub status: FilingStatus,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
}

/// `GET /filings/overlaps`: which of these machines are already filed for days in `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct OverlapQuery {
    /// Machine ids, separated by commas (at most 500).
    pub machine_ids: String,
    /// The first planned day.
    pub from: NaiveDate,
    /// The last planned day.
    pub to: NaiveDate,
    /// A filing to leave out (the returned filing being corrected).
    #[serde(default)]
    pub exclude: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_that_left_enters_only_before_it_left() {
        let left = DateTime::parse_from_rfc3339("2026-12-06T07:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap();
        let morning = DateTime::parse_from_rfc3339("2026-12-06T01:00:00Z").map(|d| d.with_timezone(&Utc)).unwrap();
        assert!(!left_filing(None, left));
        assert!(!left_filing(Some(left), morning), "09:00 China time, before the 15:00 acceptance");
        assert!(left_filing(Some(left), left));
        assert!(left_filing(Some(left), left + chrono::Duration::minutes(1)));
    }
}
