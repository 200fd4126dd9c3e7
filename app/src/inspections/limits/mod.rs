//! Limit tables and low-emission zones as data: their wire types and the rules a new table or
//! zone must satisfy (shared, so the officer's form checks what the server checks).
//!
//! A limit table is never edited: a new version with its own effective date replaces it from
//! that date, so every past verdict stays explainable by the version it recorded.

pub mod local;
pub mod pages;
pub mod zones_pages;

#[cfg(feature = "ssr")]
pub mod tables;
#[cfg(feature = "ssr")]
pub mod zones;

use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::{LimitClass, LimitRow};
use crate::machines::EmissionStage;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The seeded table's version.
pub const SEED_VERSION: &str = "GB36886-2018";
/// The highest k limit a table may hold (m⁻¹); opacity meters read up to about 10.
pub const MAX_K_LIMIT: f64 = 20.0;
/// Exemption codes of zones are `a-z 0-9 _`, at most this long.
pub const EXEMPTION_MAX_LEN: usize = 40;
/// Exemption codes with a translated label (others are shown as they are).
pub const KNOWN_EXEMPTIONS: [&str; 2] = ["emergency_rescue", "agriculture_season"];

/// A limit table version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LimitTable {
    pub id: Uuid,
    /// E.g. `GB36886-2018`; unique within its division.
    pub version: String,
    /// The province or city of a local standard; `null` for a national table.
    pub division_code: Option<String>,
    /// That division's name; `null` for a national table.
    pub division_name: Option<String>,
    /// The first day (China) the table is in force; it stays in force until a later table starts.
    pub effective_from: NaiveDate,
    pub notes: Option<String>,
    /// Class I and II rows cover every power; class III rows only where the standard has them.
    pub rows: Vec<LimitRow>,
    pub created_at: DateTime<Utc>,
}

/// `POST /limit-tables`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LimitTableInput {
    /// The caller's own province or city (officers; absent means their own); system
    /// administrators publish national tables only and leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_code: Option<String>,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 40))]
    pub version: String,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub notes: Option<String>,
    pub rows: Vec<LimitRow>,
}

/// `?on=YYYY-MM-DD&county_code=` of `GET /limit-tables/current`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct OnDate {
    /// The day (China); today when absent.
    pub on: Option<NaiveDate>,
    /// The division whose table is asked for (a county: the table its inspections are judged
    /// with); the national table when absent.
    pub county_code: Option<String>,
}

/// `?division_code=` of the table list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct TableFilter {
    /// Only this province's or city's tables; `national` for the national ones.
    pub division_code: Option<String>,
}

fn bad_bound(b: Option<f64>) -> bool {
    b.is_some_and(|v| !v.is_finite() || v < 0.0)
}

/// Checks a class's bands: sorted, not overlapping, and — when `complete` — from 0 to no upper
/// bound without gaps.
fn check_bands(class: LimitClass, rows: &[&LimitRow], complete: bool, errors: &mut FieldErrors) {
    let mut bands: Vec<(f64, f64)> =
        rows.iter().map(|r| (r.power_min_kw.unwrap_or(0.0), r.power_max_kw.unwrap_or(f64::INFINITY))).collect();
    bands.sort_by(|a, b| a.0.total_cmp(&b.0));
    let overlap = bands.windows(2).any(|w| w[1].0 < w[0].1);
    if overlap {
        errors.add("rows", FieldError::new(FieldCode::BandsOverlap).with("class", class.as_str()));
        return;
    }
    if complete {
        let starts_at_zero = bands.first().is_some_and(|b| b.0 == 0.0);
        let ends_open = bands.last().is_some_and(|b| b.1 == f64::INFINITY);
        let contiguous = bands.windows(2).all(|w| w[1].0 == w[0].1);
        if !(starts_at_zero && ends_open && contiguous) {
            errors.add("rows", FieldError::new(FieldCode::BandsIncomplete).with("class", class.as_str()));
        }
    }
}

/// Normalises a new table in place and returns every broken rule.
pub fn validate_table(input: &mut LimitTableInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.version = input.version.trim().to_owned();
    input.notes = input.notes.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let len = input.version.chars().count();
    if len == 0 {
        errors.add("version", FieldError::new(FieldCode::Required));
    } else if len > 40 {
        errors.add("version", FieldError::new(FieldCode::Length).with("min", 1).with("max", 40));
    }
    if input.notes.as_deref().is_some_and(|n| n.chars().count() > 2000) {
        errors.add("notes", FieldError::new(FieldCode::Length).with("min", 0).with("max", 2000));
    }
    if input.rows.is_empty() {
        errors.add("rows", FieldError::new(FieldCode::Required));
        return errors;
    }
    if input.rows.len() > 60 {
        errors.add("rows", FieldError::new(FieldCode::TooMany).with("max", 60));
        return errors;
    }
    for (i, r) in input.rows.iter().enumerate() {
        let position = i + 1;
        if bad_bound(r.power_min_kw) || bad_bound(r.power_max_kw) {
            errors.add("rows", FieldError::new(FieldCode::BandRange).with("position", position));
        } else if let (Some(min), Some(max)) = (r.power_min_kw, r.power_max_kw)
            && min >= max
        {
            errors.add("rows", FieldError::new(FieldCode::BandRange).with("position", position));
        }
        if !r.k_limit.is_finite() || r.k_limit <= 0.0 || r.k_limit > MAX_K_LIMIT {
            errors.add(
                "rows",
                FieldError::new(FieldCode::KLimitRange).with("position", position).with("max", MAX_K_LIMIT),
            );
        }
        if !(0..=crate::inspections::compliance::RINGELMANN_MAX_LEVEL).contains(&r.ringelmann_max) {
            errors.add(
                "rows",
                FieldError::new(FieldCode::RingelmannRange)
                    .with("max", crate::inspections::compliance::RINGELMANN_MAX_LEVEL),
            );
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    for class in LimitClass::ALL {
        let rows: Vec<&LimitRow> = input.rows.iter().filter(|r| r.class == class).collect();
        // Every machine has a class I or II row; class III exists only where the standard has it.
        check_bands(class, &rows, class != LimitClass::III, &mut errors);
    }
    errors
}

/// A low-emission zone of a division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Zone {
    pub id: Uuid,
    /// A county, or a city (then it applies to every county of the city without a zone of its own).
    pub division_code: String,
    pub division_name: String,
    pub name: String,
    pub min_diesel_stage: EmissionStage,
    pub required_class: LimitClass,
    /// Codes such as `emergency_rescue`, `agriculture_season`.
    pub exemptions: Vec<String>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /zones`, and `PUT /zones/{id}` (with `version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZoneInput {
    pub division_code: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub min_diesel_stage: EmissionStage,
    pub required_class: LimitClass,
    #[serde(default)]
    pub exemptions: Vec<String>,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The version that was read (`PUT` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// `?division_code=` of the zone list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct ZoneFilter {
    pub division_code: Option<String>,
}

/// Normalises a zone in place and returns every broken rule.
pub fn validate_zone(input: &mut ZoneInput) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.division_code = input.division_code.trim().to_owned();
    input.name = input.name.trim().to_owned();
    input.notes = input.notes.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let mut codes: Vec<String> = input.exemptions.iter().map(|e| e.trim().to_lowercase()).collect();
    codes.sort();
    codes.dedup();
    input.exemptions = codes;
    if !crate::divisions::is_division_code(&input.division_code) {
        errors.add("division_code", FieldError::new(FieldCode::Required));
    }
    let len = input.name.chars().count();
    if len == 0 {
        errors.add("name", FieldError::new(FieldCode::Required));
    } else if len > 200 {
        errors.add("name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 200));
    }
    if input.notes.as_deref().is_some_and(|n| n.chars().count() > 2000) {
        errors.add("notes", FieldError::new(FieldCode::Length).with("min", 0).with("max", 2000));
    }
    if input.exemptions.len() > 10 {
        errors.add("exemptions", FieldError::new(FieldCode::TooMany).with("max", 10));
    }
    let bad = input.exemptions.iter().find(|e| {
        e.is_empty()
            || e.len() > EXEMPTION_MAX_LEN
            || !e.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    });
    if bad.is_some() {
        errors.add("exemptions", FieldError::new(FieldCode::ExemptionCode));
    }
    if input.min_diesel_stage == EmissionStage::Electric {
        errors.add("min_diesel_stage", FieldError::new(FieldCode::ElectricNotAllowed));
    }
    if input.effective_to.is_some_and(|to| to < input.effective_from) {
        errors.add("effective_to", FieldError::new(FieldCode::EndBeforeStart));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspections::compliance::gb36886_2018;

    fn table() -> LimitTableInput {
        LimitTableInput {
            division_code: None,
            version: " GB36886-2026 ".into(),
            effective_from: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            notes: Some(" ".into()),
            rows: gb36886_2018(),
        }
    }

    fn codes(e: &FieldErrors, field: &str) -> Vec<String> {
        e.0.get(field).map(|v| v.iter().map(|x| x.code.as_str().to_owned()).collect()).unwrap_or_default()
    }

    #[test]
    fn the_domain_table_is_valid() {
        let mut t = table();
        assert!(validate_table(&mut t).is_empty());
        assert_eq!((t.version.as_str(), t.notes), ("GB36886-2026", None));
    }

    #[test]
    fn classes_one_and_two_must_cover_every_power() {
        let mut t = table();
        t.rows.remove(1); // class I 19–37
        assert_eq!(codes(&validate_table(&mut t), "rows"), vec!["bands_incomplete"]);
        let mut t = table();
        t.rows.retain(|r| r.class != LimitClass::III);
        assert!(validate_table(&mut t).is_empty(), "class III is optional");
        let mut t = table();
        t.rows[4].power_min_kw = Some(18.0); // class II 19–37 starts inside the first band
        assert_eq!(codes(&validate_table(&mut t), "rows"), vec!["bands_overlap"]);
    }

    #[test]
    fn row_values_are_checked() {
        let mut t = table();
        t.rows[0].k_limit = 0.0;
        t.rows[1].ringelmann_max = 6;
        t.rows[2].power_min_kw = Some(-1.0);
        let e = validate_table(&mut t);
        assert_eq!(codes(&e, "rows"), vec!["k_limit_range", "ringelmann_range", "band_range"]);
        let mut t = table();
        t.rows.clear();
        t.version = "".into();
        let e = validate_table(&mut t);
        assert_eq!((codes(&e, "rows"), codes(&e, "version")), (vec!["required".into()], vec!["required".into()]));
    }

    #[test]
    fn zones() {
        let mut z = ZoneInput {
            division_code: "140105".into(),
            name: " 小店区禁用区 ".into(),
            min_diesel_stage: EmissionStage::Stage3,
            required_class: LimitClass::III,
            exemptions: vec!["Emergency_Rescue".into(), "emergency_rescue".into()],
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            effective_to: None,
            notes: None,
            version: None,
        };
        assert!(validate_zone(&mut z).is_empty());
        assert_eq!(z.exemptions, vec!["emergency_rescue"]);
        z.exemptions.push("bad code!".into());
        z.effective_to = NaiveDate::from_ymd_opt(2025, 1, 1);
        let e = validate_zone(&mut z);
        assert_eq!(codes(&e, "exemptions"), vec!["exemption_code"]);
        assert_eq!(codes(&e, "effective_to"), vec!["end_before_start"]);
    }
}
