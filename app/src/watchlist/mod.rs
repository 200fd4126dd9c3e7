//! The watch list: machines that follow the county's attention from site to site. A machine is
//! watched while its last verdict is a failure (no pass since), while it has an unresolved case,
//! once it was found working unregistered (until it is registered), or while an inspector's
//! entry with a reason runs (to its end date). The first three are derived from inspections and
//! cases (one rule, [`service::reasons_for`]); only the inspectors' entries are stored, and they
//! are ended, never deleted. When a watched machine is named in a filing, the filing's county
//! and the counties behind its reasons hear of it, and the filing's review shows why.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a machine is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WatchKind {
    /// Its last inspection with a verdict failed, and it has not passed since.
    FailedInspection,
    /// A case about it is not resolved (open, ordered to correct, penalised).
    UnresolvedCase,
    /// It was found working without registration and is still not registered.
    FoundUnregistered,
    /// An inspector put it on the list, with a reason, until an end date.
    Manual,
}

impl WatchKind {
    /// Every kind.
    pub const ALL: [WatchKind; 4] =
        [WatchKind::FailedInspection, WatchKind::UnresolvedCase, WatchKind::FoundUnregistered, WatchKind::Manual];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::FailedInspection => "failed_inspection",
            WatchKind::UnresolvedCase => "unresolved_case",
            WatchKind::FoundUnregistered => "found_unregistered",
            WatchKind::Manual => "manual",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// One reason a machine is watched, with the county behind it and the record it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WatchReason {
    pub kind: WatchKind,
    /// The county of the inspection, the case or the entry.
    pub county_code: String,
    /// That county's name.
    pub county_name: String,
    /// When it began: the failed inspection, the case's opening, the entry's creation.
    pub since: DateTime<Utc>,
    /// The inspection (a failure), the case (unresolved, found unregistered) or the entry.
    pub subject_id: Uuid,
    /// The inspector's reason (a manual entry).
    pub note: Option<String>,
    /// The last day a manual entry holds.
    pub ends_on: Option<NaiveDate>,
}

/// A watched machine and every reason it is watched, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WatchedMachine {
    pub machine_id: Uuid,
    pub machine_name: String,
    pub registration_code: Option<String>,
    pub emission_stage: crate::machines::EmissionStage,
    pub organization_name: String,
    pub reasons: Vec<WatchReason>,
}

/// `POST /api/v1/watchlist`: an inspector puts a registered machine on the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WatchEntryInput {
    pub registration_code: String,
    /// Why (required, at most 500 characters): what the county saw or was told.
    pub reason: String,
    /// The last day the entry holds: today at the earliest, a year from today at the latest.
    pub ends_on: NaiveDate,
}

/// An inspector's entry, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WatchEntry {
    pub id: Uuid,
    pub machine_id: Uuid,
    pub county_code: String,
    pub reason: String,
    pub ends_on: NaiveDate,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// Set when an inspector of the county ended it before its end date.
    pub ended_at: Option<DateTime<Utc>>,
}

/// The longest reason of an entry.
pub const REASON_MAX: usize = 500;

/// How far ahead an entry may run, in days.
pub const MAX_DAYS: i64 = 366;
