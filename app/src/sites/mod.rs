//! Construction sites: where machines work, each in one county (which receives its filings).

pub mod pages;
pub mod server_fns;
pub mod zone;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod zone_decision;
#[cfg(feature = "ssr")]
pub mod zone_service;

use crate::divisions::Bounds;
use crate::error::{FieldCode, FieldError, FieldErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// China's bounding box, for map positions: latitude 3.86–53.56 N, longitude 73.50–135.09 E.
pub const CHINA_LAT: (f64, f64) = (Bounds::CHINA.lat_min, Bounds::CHINA.lat_max);
/// See [`CHINA_LAT`].
pub const CHINA_LNG: (f64, f64) = (Bounds::CHINA.lng_min, Bounds::CHINA.lng_max);

/// A site as submitted (API.md `POST /sites`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiteInput {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub county_code: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 300))]
    pub address: String,
    #[serde(default)]
    pub permit_no: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    /// Refused when sent (422 `decided_by_officials`): whether a site lies in a low-emission zone
    /// follows the zone data and the officials, never the construction unit.
    #[serde(default, deserialize_with = "zone::sent", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(ignore))]
    pub low_emission_zone: Option<zone::Sent>,
}

/// A site as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Site {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub county_code: String,
    pub county_name: String,
    pub address: String,
    pub permit_no: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// Whether the site lies in a low-emission zone today (China date): an official's decision
    /// when there is one, else whether a zone is in force for its county (see [`zone::in_zone`]).
    pub low_emission_zone: bool,
    /// Why, and what the zone demands today.
    pub zone: zone::SiteZone,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// A county of the site form's list, with the rough bounds a site's position must lie in (its
/// own, else the nearest division's above it; `None` when none are known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountyChoice {
    pub code: String,
    pub name: String,
    pub bounds: Option<Bounds>,
}

/// Checks a position (both coordinates or neither): inside China, and inside `county_bounds`
/// when they are known (`outside_county`). The page and the server run this same rule.
pub fn check_position(lat: Option<f64>, lng: Option<f64>, county_bounds: Option<&Bounds>, errors: &mut FieldErrors) {
    let (lat, lng) = match (lat, lng) {
        (None, None) => return,
        (Some(lat), Some(lng)) => (lat, lng),
        (None, Some(_)) => return errors.add("lat", FieldError::new(FieldCode::Required)),
        (Some(_), None) => return errors.add("lng", FieldError::new(FieldCode::Required)),
    };
    let china = Bounds::CHINA;
    for (field, inside_china, inside_county) in [
        ("lat", china.holds_lat(lat), county_bounds.is_none_or(|b| b.holds_lat(lat))),
        ("lng", china.holds_lng(lng), county_bounds.is_none_or(|b| b.holds_lng(lng))),
    ] {
        if !inside_china {
            errors.add(field, FieldError::new(FieldCode::OutsideChina));
        } else if !inside_county {
            errors.add(field, FieldError::new(FieldCode::OutsideCounty));
        }
    }
}

/// Normalises a site in place and returns every broken rule; `county_bounds` are the bounds
/// that apply to the chosen county (see [`CountyChoice`]).
pub fn validate(input: &mut SiteInput, county_bounds: Option<&Bounds>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_owned();
    input.address = input.address.trim().to_owned();
    input.county_code = input.county_code.trim().to_owned();
    input.permit_no = input.permit_no.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let len = |s: &str| s.chars().count();
    if input.name.is_empty() {
        errors.add("name", FieldError::new(FieldCode::Required));
    } else if len(&input.name) > 200 {
        errors.add("name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 200));
    }
    if input.address.is_empty() {
        errors.add("address", FieldError::new(FieldCode::Required));
    } else if len(&input.address) > 300 {
        errors.add("address", FieldError::new(FieldCode::Length).with("min", 1).with("max", 300));
    }
    if !crate::divisions::is_division_code(&input.county_code) {
        errors.add("county_code", FieldError::new(FieldCode::Required));
    }
    if input.permit_no.as_deref().is_some_and(|p| len(p) > 64) {
        errors.add("permit_no", FieldError::new(FieldCode::Length).with("min", 0).with("max", 64));
    }
    if input.ends_on < input.starts_on {
        errors.add("ends_on", FieldError::new(FieldCode::EndBeforeStart));
    }
    check_position(input.lat, input.lng, county_bounds, &mut errors);
    if input.low_emission_zone.is_some() {
        errors.add("low_emission_zone", FieldError::new(FieldCode::DecidedByOfficials));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteInput {
        SiteInput {
            name: " 示范工地 ".into(),
            county_code: "140105".into(),
            address: "小店区示范路1号".into(),
            permit_no: Some(" ".into()),
            starts_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            lat: Some(37.80),
            lng: Some(112.55),
            low_emission_zone: None,
        }
    }

    const XIAODIAN: Bounds = Bounds { lat_min: 37.57, lat_max: 37.91, lng_min: 112.43, lng_max: 112.81 };

    #[test]
    fn a_valid_site_is_normalised() {
        let mut s = site();
        assert!(validate(&mut s, None).is_empty());
        assert_eq!(s.name, "示范工地");
        assert_eq!(s.permit_no, None);
    }

    #[test]
    fn end_not_before_start() {
        let mut s = site();
        s.ends_on = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default();
        assert!(
            validate(&mut s, None).first("ends_on").is_some_and(|e| e.code == crate::error::FieldCode::EndBeforeStart)
        );
    }

    #[test]
    fn positions_inside_china_and_in_pairs() {
        let mut s = site();
        s.lat = Some(60.0);
        s.lng = Some(10.0);
        let e = validate(&mut s, None);
        assert!(e.first("lat").is_some() && e.first("lng").is_some());
        let mut s = site();
        s.lng = None;
        assert!(validate(&mut s, None).first("lng").is_some());
    }

    #[test]
    fn positions_inside_the_county_bounds_when_known() {
        let mut s = site();
        assert!(validate(&mut s, Some(&XIAODIAN)).is_empty());
        s.lat = Some(37.95);
        s.lng = Some(112.40);
        let e = validate(&mut s, Some(&XIAODIAN));
        assert_eq!(e.first("lat").map(|e| e.code.as_str()), Some("outside_county"));
        assert_eq!(e.first("lng").map(|e| e.code.as_str()), Some("outside_county"));
        assert!(validate(&mut s, None).is_empty(), "no bounds known: China only");
        // The edges are inside; outside China is said first.
        s.lat = Some(XIAODIAN.lat_max);
        s.lng = Some(XIAODIAN.lng_min);
        assert!(validate(&mut s, Some(&XIAODIAN)).is_empty());
        s.lat = Some(60.0);
        assert_eq!(validate(&mut s, Some(&XIAODIAN)).first("lat").map(|e| e.code.as_str()), Some("outside_china"));
    }

    #[test]
    fn the_unit_cannot_send_the_zone_flag() {
        let sent: SiteInput = serde_json::from_value(serde_json::json!({
            "name": "x", "county_code": "140105", "address": "y", "starts_on": "2026-03-01",
            "ends_on": "2026-03-02", "low_emission_zone": false
        }))
        .unwrap();
        let mut s = sent.clone();
        assert_eq!(
            validate(&mut s, None).first("low_emission_zone").map(|e| e.code.as_str()),
            Some("decided_by_officials")
        );
        let null: SiteInput = serde_json::from_value(serde_json::json!({
            "name": "x", "county_code": "140105", "address": "y", "starts_on": "2026-03-01",
            "ends_on": "2026-03-02", "low_emission_zone": null
        }))
        .unwrap();
        assert!(null.low_emission_zone.is_some(), "null is sent too");
        let mut s = site();
        assert!(validate(&mut s, None).first("low_emission_zone").is_none());
        assert!(!serde_json::to_string(&s).unwrap().contains("low_emission_zone"), "the page never sends it");
    }

    #[test]
    fn required_fields() {
        let mut s = site();
        s.name = "".into();
        s.address = " ".into();
        s.county_code = "14".into();
        let e = validate(&mut s, None);
        assert!(e.first("name").is_some() && e.first("address").is_some() && e.first("county_code").is_some());
    }
}
