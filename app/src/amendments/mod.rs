//! Amendments of a registered machine's facts: the construction unit asks (the new values of
//! the registered facts it wants changed, a reason and evidence photos), the county that issued
//! the registration code decides (accepts, which changes the machine, or returns with a reason),
//! and the unit may withdraw while it waits. Every machine keeps the history of its amendments.
//!
//! Who owns what: the unit (its administrators and staff) submits and adds photos while the
//! amendment is pending; its administrators, or the staff member who submitted, withdraw it;
//! only the issuing county's inspectors accept or return it. A pending amendment changes
//! nothing anywhere: verdicts, labels, the look-up and exports read the machine row.

pub mod names;
pub mod rules;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod pending;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod review;
#[cfg(feature = "ssr")]
pub mod service;

use crate::auth::Role;
use crate::machines::facts::RegisteredFact;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use rules::{REASON_MAX, apply_changes, check_reason};

/// Where an amendment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum AmendmentStatus {
    /// Waiting for the issuing county.
    Pending,
    /// Accepted: the new values are the machine's.
    Accepted,
    /// Returned by the county with a reason; nothing changed.
    Returned,
    /// Withdrawn by the unit; nothing changed.
    Withdrawn,
}

impl AmendmentStatus {
    /// Every status.
    pub const ALL: [AmendmentStatus; 4] =
        [AmendmentStatus::Pending, AmendmentStatus::Accepted, AmendmentStatus::Returned, AmendmentStatus::Withdrawn];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            AmendmentStatus::Pending => "pending",
            AmendmentStatus::Accepted => "accepted",
            AmendmentStatus::Returned => "returned",
            AmendmentStatus::Withdrawn => "withdrawn",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// `POST /machines/{id}/amendments`: the new values of the registered facts to change (a JSON
/// object keyed by field name, like the machine itself; values equal to the current ones are
/// dropped), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AmendmentInput {
    /// E.g. `{"emission_stage": "stage_4", "dpf_fitted": true}`; only registered facts.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub changes: serde_json::Map<String, serde_json::Value>,
    /// Why the facts change (e.g. "engine replaced"), 1–1000 characters.
    pub reason: String,
}

/// One changed fact: its value on the machine when the amendment was submitted, and the new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FactChange {
    pub field: RegisteredFact,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub old: serde_json::Value,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub new: serde_json::Value,
}

/// Someone who acted on an amendment: their name and role (no account id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

/// An amendment as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Amendment {
    pub id: Uuid,
    pub machine_id: Uuid,
    pub machine_name: String,
    pub registration_code: String,
    /// The unit that asked.
    pub organization_id: Uuid,
    pub organization_name: String,
    /// The county that issued the registration code, which decides.
    pub county_code: String,
    pub status: AmendmentStatus,
    pub changes: Vec<FactChange>,
    pub reason: String,
    /// The machine's version when the amendment was submitted.
    pub machine_version: i32,
    pub submitted_by: Option<Actor>,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_by: Option<Actor>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why the county returned it.
    pub return_reason: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Evidence photos on file (at least one is needed before it can be accepted).
    pub photo_count: u32,
    /// Whether the caller may accept or return it now.
    pub may_review: bool,
    /// Whether the caller may withdraw it now.
    pub may_withdraw: bool,
}

/// `?status=&machine_id=` of the amendment list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct AmendmentFilter {
    /// `pending` is the review queue (oldest first); any other list is newest first.
    pub status: Option<AmendmentStatus>,
    pub machine_id: Option<Uuid>,
}
