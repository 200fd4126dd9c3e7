//! Construction sites: where machines work, each in one county (which receives its filings).

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::{FieldError, FieldErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// China's bounding box, for map positions: latitude 3.86–53.56 N, longitude 73.50–135.09 E.
pub const CHINA_LAT: (f64, f64) = (3.86, 53.56);
/// See [`CHINA_LAT`].
pub const CHINA_LNG: (f64, f64) = (73.50, 135.09);

/// A site as submitted (API.md `POST /sites`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiteInput {
    pub name: String,
    pub county_code: String,
    pub address: String,
    #[serde(default)]
    pub permit_no: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    /// Whether the site lies in a low-emission zone; when absent, taken from the county's zone data.
    #[serde(default)]
    pub low_emission_zone: Option<bool>,
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
    pub low_emission_zone: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Normalises a site in place and returns every broken rule.
pub fn validate(input: &mut SiteInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_owned();
    input.address = input.address.trim().to_owned();
    input.county_code = input.county_code.trim().to_owned();
    input.permit_no = input.permit_no.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let len = |s: &str| s.chars().count();
    if input.name.is_empty() {
        errors.add("name", FieldError::new("required"));
    } else if len(&input.name) > 200 {
        errors.add("name", FieldError::new("length").with("min", 1).with("max", 200));
    }
    if input.address.is_empty() {
        errors.add("address", FieldError::new("required"));
    } else if len(&input.address) > 300 {
        errors.add("address", FieldError::new("length").with("min", 1).with("max", 300));
    }
    if !crate::divisions::is_division_code(&input.county_code) {
        errors.add("county_code", FieldError::new("required"));
    }
    if input.permit_no.as_deref().is_some_and(|p| len(p) > 64) {
        errors.add("permit_no", FieldError::new("length").with("min", 0).with("max", 64));
    }
    if input.ends_on < input.starts_on {
        errors.add("ends_on", FieldError::new("end_before_start"));
    }
    match (input.lat, input.lng) {
        (None, None) => {}
        (Some(lat), Some(lng)) => {
            if !(CHINA_LAT.0..=CHINA_LAT.1).contains(&lat) {
                errors.add("lat", FieldError::new("outside_china"));
            }
            if !(CHINA_LNG.0..=CHINA_LNG.1).contains(&lng) {
                errors.add("lng", FieldError::new("outside_china"));
            }
        }
        (None, Some(_)) => errors.add("lat", FieldError::new("required")),
        (Some(_), None) => errors.add("lng", FieldError::new("required")),
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

    #[test]
    fn a_valid_site_is_normalised() {
        let mut s = site();
        assert!(validate(&mut s).is_empty());
        assert_eq!(s.name, "示范工地");
        assert_eq!(s.permit_no, None);
    }

    #[test]
    fn end_not_before_start() {
        let mut s = site();
        s.ends_on = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap_or_default();
        assert!(validate(&mut s).first("ends_on").is_some_and(|e| e.code == "end_before_start"));
    }

    #[test]
    fn positions_inside_china_and_in_pairs() {
        let mut s = site();
        s.lat = Some(60.0);
        s.lng = Some(10.0);
        let e = validate(&mut s);
        assert!(e.first("lat").is_some() && e.first("lng").is_some());
        let mut s = site();
        s.lng = None;
        assert!(validate(&mut s).first("lng").is_some());
    }

    #[test]
    fn required_fields() {
        let mut s = site();
        s.name = "".into();
        s.address = " ".into();
        s.county_code = "14".into();
        let e = validate(&mut s);
        assert!(e.first("name").is_some() && e.first("address").is_some() && e.first("county_code").is_some());
    }
}
