//! The public label check: anyone who scans a registration label (its QR code carries
//! `{public_url}/v/{code}`) sees whether the machine is registered, what it is, who owns it,
//! the county it is filed to work in now, and its last inspection — and nothing about any
//! person (no names, phone numbers, ID numbers, user names, addresses or coordinates).
//! `GET /v/{code}` is a plain server-rendered page (no WASM needed);
//! `GET /api/v1/public/machines/{code}` is its JSON twin. Both are rate-limited per client
//! address.

pub mod rest;
pub mod service;

use crate::inspections::compliance::Verdict;
use crate::machines::EmissionStage;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a registered machine stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatus {
    /// Registered, and an accepted filing covers today: it may work on that site.
    RegisteredOnSite,
    /// Registered, with no accepted filing covering today.
    Registered,
}

/// The machine type, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicMachineType {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A county (code and Chinese name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicCounty {
    pub code: String,
    pub name: String,
}

/// The latest inspection: its verdict and its date (China).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicInspection {
    pub verdict: Verdict,
    pub inspected_on: NaiveDate,
}

/// What the public label check shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicMachine {
    pub registration_code: String,
    pub status: PublicStatus,
    /// The date the code was issued (China).
    pub registered_on: Option<NaiveDate>,
    pub machine_type: PublicMachineType,
    pub emission_stage: EmissionStage,
    /// The owner organisation's name.
    pub owner: String,
    /// The county of the site of the accepted filing covering today, if any.
    pub current_county: Option<PublicCounty>,
    pub last_inspection: Option<PublicInspection>,
    /// A non-compliance case about this machine is not yet resolved.
    pub unresolved_case: bool,
}
