//! The audit log: who did what to which record, when, from which address, and what changed.
//!
//! Rows are written by the **service layer** (so REST handlers and server functions are both
//! covered), inside the transaction of the change where the service uses one. To audit a new
//! operation, call [`service::record`] with the connection the change was made on:
//!
//! ```ignore
//! use crate::audit::{self, Action, EntityKind};
//! audit::record(&txn, now, audit::entry(Action::Update, EntityKind::Machine)
//!     .by(principal)                  // or leave out for anonymous actions
//!     .id(machine_id)                 // the record's id
//!     .county(Some(&county_code))     // the county the record lies in, where it has one
//!     .before(&old_dto)               // anything Serialize; secrets are stripped
//!     .after(&new_dto)).await?;
//! ```
//!
//! The client address and the request id come from the request being served (set by the
//! server's middleware), the time from the caller (`state.clock.now()`). Passwords, tokens and
//! hashes are removed from `before`/`after` by key wherever they appear.
//!
//! The table is append-only: nothing here updates or deletes a row, and database triggers refuse
//! it. Officers and administrators search it within their scope (`GET /api/v1/audit`, `/audit`).
//! As a safety net, the server writes a generic [`Action::Request`] row for a successful
//! state-changing request under `/api/` that produced no row here (see
//! [`READ_ONLY_POSTS`]); such rows mean an operation is missing its audit call.

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

#[cfg(feature = "ssr")]
pub use service::{entry, record};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// A filing approved or rejected.
    Review,
    /// A rejected filing sent again.
    Resubmit,
    /// A filing closed early.
    Close,
    /// A case moved through its workflow.
    Transition,
    /// An account enabled.
    Enable,
    /// An account disabled.
    Disable,
    SignIn,
    SignInFailed,
    SignOut,
    /// A file of records taken in as a whole (the division import's summary row).
    Import,
    /// A credential withdrawn (an API token).
    Revoke,
    /// The safety net: a state-changing request that wrote no row of its own.
    Request,
    /// A machine transfer accepted by the buyer.
    Accept,
    /// A machine transfer declined by the buyer.
    Decline,
    /// A machine transfer withdrawn by the seller.
    Cancel,
    /// A county allowed a transfer of a machine with an unresolved case there.
    Allow,
    /// A request withdrawn by whoever made it (an amendment).
    Withdraw,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 20] = [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Review,
        Action::Resubmit,
        Action::Close,
        Action::Transition,
        Action::Enable,
        Action::Disable,
        Action::SignIn,
        Action::SignInFailed,
        Action::SignOut,
        Action::Import,
        Action::Revoke,
        Action::Request,
        Action::Accept,
        Action::Decline,
        Action::Cancel,
        Action::Allow,
        Action::Withdraw,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Review => "review",
            Action::Resubmit => "resubmit",
            Action::Close => "close",
            Action::Transition => "transition",
            Action::Enable => "enable",
            Action::Disable => "disable",
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::Import => "import",
            Action::Revoke => "revoke",
            Action::Request => "request",
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Cancel => "cancel",
            Action::Allow => "allow",
            Action::Withdraw => "withdraw",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// What kind of record it was done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A user account (sign-in, sign-out, staff accounts).
    Account,
    ApiToken,
    Organization,
    Machine,
    MachinePhoto,
    Site,
    Filing,
    Movement,
    LimitTable,
    Zone,
    Inspection,
    InspectionNote,
    Case,
    CaseNote,
    /// A photo taken at an inspection or added to a case as evidence.
    EvidencePhoto,
    /// An in-app notification (marked read).
    Notification,
    /// An entry of the machine-type list.
    MachineType,
    /// An administrative division (imported).
    Division,
    /// The safety net's generic rows.
    Request,
    /// A machine's ownership transfer between construction units.
    Transfer,
    /// An amendment of a registered machine's facts.
    Amendment,
    /// An inspector's entry on the watch list.
    WatchEntry,
    /// The weights of a division's inspection plan.
    PlanWeights,
    /// An inspector's route for a day.
    InspectionRoute,
    /// A site's compliance certificate.
    Certificate,
    /// A report from the public.
    PublicReport,
}

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 26] = [
        EntityKind::Account,
        EntityKind::ApiToken,
        EntityKind::Organization,
        EntityKind::Machine,
        EntityKind::MachinePhoto,
        EntityKind::Site,
        EntityKind::Filing,
        EntityKind::Movement,
        EntityKind::LimitTable,
        EntityKind::Zone,
        EntityKind::Inspection,
        EntityKind::InspectionNote,
        EntityKind::Case,
        EntityKind::CaseNote,
        EntityKind::EvidencePhoto,
        EntityKind::Notification,
        EntityKind::MachineType,
        EntityKind::Division,
        EntityKind::Request,
        EntityKind::Transfer,
        EntityKind::Amendment,
        EntityKind::WatchEntry,
        EntityKind::PlanWeights,
        EntityKind::InspectionRoute,
        EntityKind::Certificate,
        EntityKind::PublicReport,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Account => "account",
            EntityKind::ApiToken => "api_token",
            EntityKind::Organization => "organization",
            EntityKind::Machine => "machine",
            EntityKind::MachinePhoto => "machine_photo",
            EntityKind::Site => "site",
            EntityKind::Filing => "filing",
            EntityKind::Movement => "movement",
            EntityKind::LimitTable => "limit_table",
            EntityKind::Zone => "zone",
            EntityKind::Inspection => "inspection",
            EntityKind::InspectionNote => "inspection_note",
            EntityKind::Case => "case",
            EntityKind::CaseNote => "case_note",
            EntityKind::EvidencePhoto => "evidence_photo",
            EntityKind::Notification => "notification",
            EntityKind::MachineType => "machine_type",
            EntityKind::Division => "division",
            EntityKind::Request => "request",
            EntityKind::Transfer => "transfer",
            EntityKind::Amendment => "amendment",
            EntityKind::WatchEntry => "watch_entry",
            EntityKind::PlanWeights => "plan_weights",
            EntityKind::InspectionRoute => "inspection_route",
            EntityKind::Certificate => "certificate",
            EntityKind::PublicReport => "public_report",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// State-changing requests under `/api/` that change nothing (computations sent with POST):
/// the safety net writes no row for them. Paths as routed (`/api/v1/...` for REST, `/api/...`
/// for server functions).
pub const READ_ONLY_POSTS: &[&str] = &[
    "/api/v1/filings/precheck",
    "/api/v1/compliance/evaluate",
    // Server functions are all POST; these only read.
    "/api/cases/list",
    "/api/cases/get",
    "/api/auth/me",
    "/api/auth/tokens/list",
    "/api/machines/types",
    "/api/machines/list",
    "/api/machines/get",
    "/api/orgs/staff",
    "/api/sites/list",
    "/api/field/sites",
    "/api/divisions",
    "/api/divisions/zone",
    "/api/filings/list",
    "/api/filings/get",
    "/api/filings/precheck",
    "/api/filings/overlaps",
    "/api/filings/movements",
    "/api/inspections/limit-table",
    "/api/inspections/evaluate",
    "/api/inspections/lookup",
    "/api/inspections/list",
    "/api/inspections/get",
    "/api/limits/list",
    "/api/zones/list",
    "/api/audit/search",
    "/api/evidence/gallery",
    "/api/notifications/list",
    "/api/notifications/unread",
    "/api/todo/mine",
    "/api/admin/users",
    "/api/admin/divisions",
    "/api/admin/machine-types",
    "/api/stats/dashboard",
    "/api/transfers/list",
    "/api/transfers/get",
    "/api/transfers/owners",
    "/api/sites/get",
    "/api/sites/counties",
    "/api/limits/division",
    "/api/amendments/list",
    "/api/watchlist/list",
    "/api/watchlist/filing",
    "/api/plan/get",
    "/api/plan/weights",
    "/api/plan/route",
    "/api/certificates/list",
    "/api/reports/list",
    "/api/amendments/get",
    "/api/amendments/history",
];

/// Whether the safety net writes a generic row for a finished request: a successful
/// POST/PUT/PATCH/DELETE under `/api/` (REST or a server function) that is not a known
/// computation and for which no service wrote a row.
pub fn needs_safety_net(method: &str, path: &str, status: u16, recorded: bool) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
        && path.starts_with("/api/")
        && (200..300).contains(&status)
        && !recorded
        && !READ_ONLY_POSTS.contains(&path)
}

/// One row of the audit log as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Uuid,
    /// When (the server's clock).
    pub at: DateTime<Utc>,
    /// The account that acted; `null` for anonymous requests and failed sign-ins.
    pub actor_id: Option<Uuid>,
    pub actor_username: Option<String>,
    /// The client address as the server determined it.
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub action: Action,
    pub entity_kind: EntityKind,
    pub entity_id: Option<String>,
    /// The county (or, for zones, the division) the record lies in, where it has one.
    pub division_code: Option<String>,
    /// The record before the change (`null` for creations and events).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The record after the change (`null` for deletions).
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

/// `GET /audit?actor=&action=&entity=&entity_id=&from=&to=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct AuditFilter {
    /// A user name or an account id.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub action: Option<Action>,
    /// The entity kind.
    #[serde(default)]
    pub entity: Option<EntityKind>,
    #[serde(default)]
    pub entity_id: Option<String>,
    /// From this instant (RFC 3339) or China date (`YYYY-MM-DD`, from its start), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// Up to this instant (RFC 3339) or China date (`YYYY-MM-DD`, to its end), inclusive.
    #[serde(default)]
    pub to: Option<String>,
}

/// Reads a `from`/`to` bound: an RFC 3339 instant, or a China date (its first instant, or with
/// `end_of_day` its last). `None` when it is neither.
pub fn parse_bound(value: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    let time = if end_of_day { NaiveTime::from_hms_milli_opt(23, 59, 59, 999)? } else { NaiveTime::MIN };
    let local = date.and_time(time).and_local_timezone(crate::dates::china()).single()?;
    Some(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).ok(), Some(serde_json::Value::String(a.as_str().into())));
        }
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).ok(), Some(serde_json::Value::String(k.as_str().into())));
        }
        assert_eq!(Action::parse("nope"), None);
    }

    #[test]
    fn safety_net_decision() {
        assert!(needs_safety_net("POST", "/api/v1/machines", 201, false));
        assert!(needs_safety_net("DELETE", "/api/machines/delete", 200, false));
        assert!(!needs_safety_net("POST", "/api/v1/machines", 201, true), "a service row was written");
        assert!(!needs_safety_net("POST", "/api/v1/machines", 422, false), "nothing changed");
        assert!(!needs_safety_net("GET", "/api/v1/machines", 200, false));
        assert!(!needs_safety_net("POST", "/login", 200, false), "not under /api/");
        assert!(!needs_safety_net("POST", "/api/v1/filings/precheck", 200, false), "a computation");
        assert!(!needs_safety_net("POST", "/api/machines/list", 200, false), "a reading server function");
    }

    #[test]
    fn bounds() {
        let from = parse_bound("2026-11-29", false).map(|t| t.to_rfc3339());
        assert_eq!(from.as_deref(), Some("2026-11-28T16:00:00+00:00"));
        let to = parse_bound("2026-11-29", true).map(|t| t.to_rfc3339());
        assert_eq!(to.as_deref(), Some("2026-11-29T15:59:59.999+00:00"));
        assert!(parse_bound("2026-11-29T08:00:00Z", false).is_some());
        assert_eq!(parse_bound("yesterday", false), None);
    }
}
