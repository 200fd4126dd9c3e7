//! County inspections in the field: the compliance rule (shared with the phone), the versioned
//! limit tables and the low-emission zones, recorded inspections (which open cases), joint
//! notes of partner departments, and the field look-up of a machine by any of its codes.

pub mod compliance;
pub mod limits;
pub mod names;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod read;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::cases::{CaseKind, CaseState};
use crate::machines::{EmissionStage, FuelType};
use chrono::{DateTime, Utc};
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
