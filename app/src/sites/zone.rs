//! Whether a site lies in a low-emission zone: the zone data decides, unless an official (the
//! county's inspectors, the city's officers) decided otherwise with a reason. The construction
//! unit never decides it. Shared by the pages and the server.
//!
//! The rule, on a day D: an official's decision (in or out) holds on every day until another
//! official decision replaces it; without one, the site is in a zone on D exactly when a zone is
//! in force on D for its county (the county's own, else its city's — `zone_service::zone_for`).
//! A site in a zone is judged with that zone's rule on D, or with [`ZoneRule::DEFAULT`] when an
//! official put it in a zone and no zone data is in force that day. So zone data that starts,
//! ends or is edited later moves every undecided site with it, and nothing is stored per site.

use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::ZoneRule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The longest reason of a decision.
pub const REASON_MAX: usize = 500;

/// Whether a site is in a zone on a day: the official decision when there is one, else whether
/// a zone is in force for its county that day. (The field look-up states the same rule in SQL:
/// `zone_service::in_zone_sql`.)
pub fn in_zone(decision: Option<bool>, zone_in_force: bool) -> bool {
    decision.unwrap_or(zone_in_force)
}

/// Where a site's zone membership comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ZoneSource {
    /// The county's (or city's) zone data.
    ZoneData,
    /// An official's decision.
    Official,
}

/// An official's decision on a site's zone membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZoneDecision {
    pub in_zone: bool,
    pub reason: String,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: String,
    pub decided_at: DateTime<Utc>,
}

/// A site's zone membership today, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiteZone {
    pub source: ZoneSource,
    /// The zone in force today for the site's county, when there is one.
    pub zone_name: Option<String>,
    /// The rule the site is judged with today; `null` when it is not in a zone.
    pub rule: Option<ZoneRule>,
    /// The exemptions the zone in force lists.
    pub exemptions: Vec<String>,
    /// The official decision, when there is one.
    pub decision: Option<ZoneDecision>,
}

/// `POST /sites/{id}/zone`: an official marks the site in or out of the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZoneDecisionInput {
    pub in_zone: bool,
    /// Why (required): e.g. "outside the built-up area named in the city's notice".
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub reason: String,
    /// The site's `version` as the official read it: a decision made on an older reading (the
    /// site changed, or another official decided since) is 409 `stale_version`. The page always
    /// sends it; without it the decision applies to the site as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// Normalises a decision in place and returns every broken rule.
pub fn validate_decision(input: &mut ZoneDecisionInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.reason = input.reason.trim().to_owned();
    let len = input.reason.chars().count();
    if len == 0 {
        errors.add("reason", FieldError::new(FieldCode::Required));
    } else if len > REASON_MAX {
        errors.add("reason", FieldError::new(FieldCode::Length).with("min", 1).with("max", REASON_MAX));
    }
    errors
}

/// A field a caller may not send: only that it was sent is kept (whatever its value, `null`
/// included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent;

impl Serialize for Sent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

/// `deserialize_with` of a refused field: present (any value) becomes `Some(Sent)`; an absent
/// field stays `None` through `#[serde(default)]`.
pub fn sent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Sent>, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| Some(Sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_wins_over_the_zone_data() {
        assert!(in_zone(None, true));
        assert!(!in_zone(None, false));
        assert!(!in_zone(Some(false), true), "decided out of a zone in force");
        assert!(in_zone(Some(true), false), "decided in without zone data: the default rule applies");
    }

    #[test]
    fn a_reason_is_required() {
        let mut d = ZoneDecisionInput { in_zone: false, reason: "  ".into(), version: None };
        assert_eq!(validate_decision(&mut d).first("reason").map(|e| e.code.as_str()), Some("required"));
        d.reason = "x".repeat(REASON_MAX + 1);
        assert_eq!(validate_decision(&mut d).first("reason").map(|e| e.code.as_str()), Some("length"));
        d.reason = " 位于建成区外 ".into();
        assert!(validate_decision(&mut d).is_empty());
        assert_eq!(d.reason, "位于建成区外");
    }
}
