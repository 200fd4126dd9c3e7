//! County inspections in the field: the compliance rule (shared with the phone), the versioned
//! limit tables and the low-emission zones, recorded inspections (which open cases), joint
//! notes of partner departments, and the field look-up of a machine by any of its codes.

pub mod compliance;
pub mod limits;
pub mod names;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod lookup;
#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::cases::{CaseKind, CaseState};
use crate::machines::{EmissionStage, FuelType};
use chrono::{DateTime, NaiveDate, Utc};
use compliance::{LimitClass, Reason, Verdict};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /inspections`: which machine (registered: `machine_id` or `registration_code`;
/// unregistered: `unregistered_description` plus the nameplate's stage, fuel and power), where,
/// when, and what was measured. `case_id` makes it the re-inspection of that case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InspectionInput {
    #[serde(default)]
    pub machine_id: Option<Uuid>,
    #[serde(default)]
    pub registration_code: Option<String>,
    pub site_id: Uuid,
    pub inspected_at: DateTime<Utc>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub opacity_readings: Option<Vec<f64>>,
    #[serde(default)]
    pub ringelmann_level: Option<i32>,
    /// Whether the registration label is fitted; `false` opens a `missing_label` case.
    #[serde(default)]
    pub label_present: Option<bool>,
    /// A machine that is not registered: what it is (type, colour, plate…).
    #[serde(default)]
    pub unregistered_description: Option<String>,
    /// For an unregistered machine: the stage read from its nameplate.
    #[serde(default)]
    pub emission_stage: Option<EmissionStage>,
    /// For an unregistered machine: its fuel.
    #[serde(default)]
    pub fuel_type: Option<FuelType>,
    /// For an unregistered machine: its rated net power from the nameplate.
    #[serde(default)]
    pub rated_power_kw: Option<f64>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The case this inspection re-inspects (it must await re-inspection).
    #[serde(default)]
    pub case_id: Option<Uuid>,
    /// On a site in a low-emission zone: the zone exemption the work falls under (a code the
    /// county's zone lists, e.g. `emergency_rescue`); the zone's stage and class rules are then
    /// not applied, the national limits still are.
    #[serde(default)]
    pub zone_exemption: Option<String>,
    /// An id the client generated for this submission: sent again (a double tap, a retry), it
    /// returns the inspection first recorded with it and records nothing (`request_ids`).
    #[serde(default)]
    pub request_id: Option<Uuid>,
}

/// The machine an inspection was about, as it was at the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InspectedMachine {
    /// `null` for an unregistered machine.
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub registration_code: Option<String>,
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    pub rated_power_kw: f64,
}

/// A case an inspection opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OpenedCase {
    pub id: Uuid,
    pub kind: CaseKind,
}

/// What a re-inspection did to its case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reinspection {
    pub case_id: Uuid,
    /// True when the finding of the case's kind is gone (the case moved to `reinspection_passed`).
    pub passed: bool,
    /// The case's state afterwards.
    pub case_state: CaseState,
}

/// A recorded inspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Inspection {
    pub id: Uuid,
    pub county_code: String,
    pub site_id: Uuid,
    pub site_name: String,
    pub machine: InspectedMachine,
    pub unregistered_description: Option<String>,
    pub inspector_id: Uuid,
    pub inspector_name: String,
    pub inspected_at: DateTime<Utc>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub opacity_readings: Vec<f64>,
    pub ringelmann_level: Option<i32>,
    pub verdict: Verdict,
    pub limit_class: Option<LimitClass>,
    pub limit_k: Option<f64>,
    pub mean_k: Option<f64>,
    pub reasons: Vec<Reason>,
    /// The version of the limit table the verdict was computed with: the most specific table in
    /// force for the site's county at `inspected_at` (versions are unique per division only).
    pub limit_table_version: String,
    /// That table's id (`null` only for inspections recorded before tables had divisions and
    /// whose version named no table).
    pub limit_table_id: Option<Uuid>,
    /// That table's division: a province or city for a local table, `null` for a national one.
    pub limit_table_division_code: Option<String>,
    pub low_emission_zone: bool,
    /// The zone exemption the verdict was judged under (the zone's rules were not applied).
    pub zone_exemption: Option<String>,
    pub label_present: Option<bool>,
    pub notes: Option<String>,
    /// The case this inspection re-inspected.
    pub case_id: Option<Uuid>,
    /// The cases this inspection opened.
    pub opened_cases: Vec<OpenedCase>,
    /// Set on the answer to `POST /inspections` when it re-inspected a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinspection: Option<Reinspection>,
    /// Joint-inspection notes, oldest first.
    pub joint_notes: Vec<crate::notes::Note>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the inspection list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct InspectionFilter {
    pub site_id: Option<Uuid>,
    pub machine_id: Option<Uuid>,
    pub verdict: Option<Verdict>,
}

/// `?code=…&site_id=…` of the field look-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct LookupQuery {
    /// A registration code, PIN, environmental code or engine serial (any case).
    #[serde(default)]
    pub code: String,
    /// The site the inspector stands on; "here" means this site (else any site in their scope).
    pub site_id: Option<Uuid>,
}

/// The field answer's headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LookupStatus {
    /// Registered, with an accepted filing covering today for this site (or a site in scope).
    RegisteredFiledHere,
    /// Registered, but not filed for this site today.
    RegisteredNotFiledHere,
    /// Unknown, or recorded by its owner but never registered.
    NotRegistered,
    /// Registered, with an unresolved case (open, rectification ordered, penalised).
    OpenCase,
}

/// Where a looked-up machine stands with its filings today, as the field page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FilingStanding {
    /// Filed today for the site given (without one: for a site in the caller's scope).
    FiledHere,
    /// Filed today, for another site (`current_filing`).
    FiledElsewhere,
    /// No filing covers today; an accepted one starts later (`other_filing_on`, the nearest).
    FilingUpcoming,
    /// No filing covers today or later; the latest accepted one ended (last day `ended_on`).
    FilingEnded,
    /// Registered, with no accepted filing ever.
    NeverFiled,
    /// Not registered: no machine has the code, or its owner recorded it but it was never
    /// registered.
    NotRegistered,
}

/// The machine, as much as a field check needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupMachine {
    pub id: Uuid,
    pub name: String,
    pub machine_type: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub registration_code: Option<String>,
    pub pin: Option<String>,
    pub env_code: Option<String>,
    pub engine_serial: Option<String>,
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    pub rated_power_kw: f64,
    pub dpf_fitted: bool,
}

/// The owner of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupOwner {
    pub name: String,
    pub uscc: String,
}

/// The accepted filing covering today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupFiling {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub county_code: String,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
}

/// The machine's latest inspection (any county).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupInspection {
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    pub mean_k: Option<f64>,
    pub limit_k: Option<f64>,
}

/// An unresolved case of the machine (any county).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupCase {
    pub id: Uuid,
    pub kind: CaseKind,
    pub state: CaseState,
    pub county_code: String,
    pub opened_at: DateTime<Utc>,
    pub deadline_on: Option<NaiveDate>,
    pub overdue: bool,
}

/// `GET /machines/lookup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupResult {
    pub status: LookupStatus,
    pub machine: Option<LookupMachine>,
    pub owner: Option<LookupOwner>,
    pub current_filing: Option<LookupFiling>,
    /// Whether the machine's stage is allowed in the zone of the site (the given one, else the
    /// filed one); `null` when there is no site to judge by.
    pub zone_allows: Option<bool>,
    pub last_inspection: Option<LookupInspection>,
    pub open_cases: Vec<LookupCase>,
    /// Where the machine stands with its filings today.
    pub standing: FilingStanding,
    /// Without a filing covering today: the nearest accepted filing starting later, else the
    /// latest one that ended — when it is in the caller's scope (the look-up's exception covers
    /// only today's filing).
    pub other_filing: Option<LookupFiling>,
    /// The first day of the upcoming filing (`filing_upcoming`), in scope or not.
    pub other_filing_on: Option<NaiveDate>,
    /// The last day the ended `other_filing` covered the machine (its planned exit, or the day
    /// before the machine left it with a transfer).
    pub ended_on: Option<NaiveDate>,
}
