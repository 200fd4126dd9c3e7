//! Reports from the public: anyone may report a machine (black smoke, working without a label,
//! working in a zone it should not be in) from its label's page or from `/report`, with a
//! description, up to three photos, an optional position and an optional phone number. The
//! report goes to the county of the machine's current filing (or the county the reporter
//! chose) and waits in that county's queue (`/reports`) until an inspection of the machine
//! there answers it (linked at once when the inspection is recorded) or an inspector closes it
//! with a reason. The phone number is shown only to the inspectors of that county.

#[cfg(feature = "ssr")]
pub mod page;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest description.
pub const DESCRIPTION_MAX: usize = 1000;
/// The most photos of a report.
pub const PHOTOS_MAX: usize = 3;
/// The longest reason an inspector gives for closing one.
pub const CLOSE_REASON_MAX: usize = 500;

/// What the reporter saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    BlackSmoke,
    NoLabel,
    InZone,
    Other,
}

impl ReportKind {
    pub const ALL: [ReportKind; 4] =
        [ReportKind::BlackSmoke, ReportKind::NoLabel, ReportKind::InZone, ReportKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::BlackSmoke => "black_smoke",
            ReportKind::NoLabel => "no_label",
            ReportKind::InZone => "in_zone",
            ReportKind::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting in the county's queue.
    New,
    /// An inspection of the machine in the county answered it.
    Inspected,
    /// An inspector closed it, with a reason.
    Closed,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 3] = [ReportStatus::New, ReportStatus::Inspected, ReportStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::New => "new",
            ReportStatus::Inspected => "inspected",
            ReportStatus::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// What the reporter sent (the form's fields; the photos travel beside it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportInput {
    pub registration_code: Option<String>,
    pub county_code: Option<String>,
    pub kind: Option<String>,
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub phone: Option<String>,
}

/// The reporter's receipt: the reference to quote, and the county that has the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportReceipt {
    pub reference: String,
    pub county_code: String,
    pub county_name: String,
}

/// A report in a county's queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: Uuid,
    pub reference: String,
    pub county_code: String,
    pub county_name: String,
    pub machine_id: Option<Uuid>,
    pub registration_code: Option<String>,
    pub kind: ReportKind,
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// The reporter's number: only for the inspectors of the report's county.
    pub phone: Option<String>,
    pub photos: i32,
    pub status: ReportStatus,
    pub inspection_id: Option<Uuid>,
    pub closed_reason: Option<String>,
    pub handled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/reports/{id}/close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportClosing {
    pub reason: String,
}

/// Query of `GET /api/v1/reports`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct ReportQuery {
    /// Only reports in this state (`new`, `inspected`, `closed`); all by default.
    #[serde(default)]
    pub status: Option<ReportStatus>,
}
