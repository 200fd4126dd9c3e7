//! Administrative divisions (province → city → county) with their 6-digit statistical codes.

#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// Where a division sits in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
}

impl Level {
    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Level> {
        match value {
            "province" => Some(Level::Province),
            "city" => Some(Level::City),
            "county" => Some(Level::County),
            _ => None,
        }
    }
}

impl Level {
    /// The level a statistical code denotes: `PP0000` a province, `PPCC00` a city (prefecture),
    /// any other a county-level division. `None` for a code that is not six digits.
    pub fn of_code(code: &str) -> Option<Level> {
        if !is_division_code(code) {
            return None;
        }
        Some(if code.ends_with("0000") {
            Level::Province
        } else if code.ends_with("00") {
            Level::City
        } else {
            Level::County
        })
    }
}

/// Whether `parent` may hold `child` by their codes and levels: a city sits under the province
/// of its first two digits; a county under the city of its first four, or directly under the
/// province of its first two (counties administered by the province itself).
pub fn parent_fits(child_code: &str, child: Level, parent_code: &str, parent: Level) -> bool {
    let same = |n: usize| child_code.get(..n).is_some() && child_code.get(..n) == parent_code.get(..n);
    match (child, parent) {
        (Level::City, Level::Province) | (Level::County, Level::Province) => same(2),
        (Level::County, Level::City) => same(4),
        _ => false,
    }
}

/// One division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<String>,
}

/// The rough bounds of a division (degrees), for checking a position: inclusive on every side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Bounds {
    pub lat_min: f64,
    pub lat_max: f64,
    pub lng_min: f64,
    pub lng_max: f64,
}

impl Bounds {
    /// China's bounding box: latitude 3.86–53.56 N, longitude 73.50–135.09 E.
    pub const CHINA: Bounds = Bounds { lat_min: 3.86, lat_max: 53.56, lng_min: 73.50, lng_max: 135.09 };

    /// Whether the latitude lies within the bounds.
    pub fn holds_lat(&self, lat: f64) -> bool {
        (self.lat_min..=self.lat_max).contains(&lat)
    }

    /// Whether the longitude lies within the bounds.
    pub fn holds_lng(&self, lng: f64) -> bool {
        (self.lng_min..=self.lng_max).contains(&lng)
    }

    /// Bounds from four stored values: all four or none; `None` when any is missing.
    pub fn from_parts(
        lat_min: Option<f64>,
        lat_max: Option<f64>,
        lng_min: Option<f64>,
        lng_max: Option<f64>,
    ) -> Option<Bounds> {
        Some(Bounds { lat_min: lat_min?, lat_max: lat_max?, lng_min: lng_min?, lng_max: lng_max? })
    }

    /// Whether these are usable bounds of a division: finite, inside China, minimum below maximum.
    pub fn is_sound(&self) -> bool {
        let china = Bounds::CHINA;
        [self.lat_min, self.lat_max, self.lng_min, self.lng_max].iter().all(|v| v.is_finite())
            && self.lat_min < self.lat_max
            && self.lng_min < self.lng_max
            && china.holds_lat(self.lat_min)
            && china.holds_lat(self.lat_max)
            && china.holds_lng(self.lng_min)
            && china.holds_lng(self.lng_max)
    }
}

/// The column names of bounds in a division file, in [`Bounds`] order.
pub const BOUND_COLUMNS: [&str; 4] = ["lat_min", "lat_max", "lng_min", "lng_max"];

/// Reads the four bound cells of a division file's row: all empty is "no bounds"; otherwise all
/// four must be numbers forming sound bounds ([`Bounds::is_sound`]), else `Err(())`.
#[expect(clippy::result_unit_err, reason = "the caller reports the row; there is nothing more to say")]
pub fn parse_bounds(cells: [&str; 4]) -> Result<Option<Bounds>, ()> {
    if cells.iter().all(|c| c.trim().is_empty()) {
        return Ok(None);
    }
    let mut v = [0.0; 4];
    for (slot, cell) in v.iter_mut().zip(cells) {
        *slot = cell.trim().parse::<f64>().map_err(|_| ())?;
    }
    let b = Bounds { lat_min: v[0], lat_max: v[1], lng_min: v[2], lng_max: v[3] };
    if b.is_sound() { Ok(Some(b)) } else { Err(()) }
}

/// The bounds that apply to a division: its own, else those of the nearest division above it
/// that has some. `chain` runs from the division itself up to its province.
pub fn effective_bounds(chain: &[Option<Bounds>]) -> Option<Bounds> {
    chain.iter().flatten().next().copied()
}

/// Checks the shape of a division code: exactly six ASCII digits.
pub fn is_division_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_codes() {
        assert!(is_division_code("140105"));
        assert!(!is_division_code("14010"));
        assert!(!is_division_code("14010a"));
        assert!(!is_division_code("１40105"));
    }

    #[test]
    fn level_follows_the_code() {
        assert_eq!(Level::of_code("140000"), Some(Level::Province));
        assert_eq!(Level::of_code("140100"), Some(Level::City));
        assert_eq!(Level::of_code("140105"), Some(Level::County));
        assert_eq!(Level::of_code("14010"), None);
    }

    #[test]
    fn parents_by_code() {
        assert!(parent_fits("140100", Level::City, "140000", Level::Province));
        assert!(parent_fits("140105", Level::County, "140100", Level::City));
        assert!(parent_fits("429004", Level::County, "420000", Level::Province));
        assert!(!parent_fits("140105", Level::County, "140200", Level::City));
        assert!(!parent_fits("130100", Level::City, "140000", Level::Province));
        assert!(!parent_fits("140100", Level::City, "140100", Level::City));
        assert!(!parent_fits("140000", Level::Province, "140000", Level::Province));
    }

    #[test]
    fn bounds_fall_back_to_the_nearest_division_above() {
        let city = Bounds { lat_min: 37.4, lat_max: 38.5, lng_min: 111.4, lng_max: 113.2 };
        let province = Bounds { lat_min: 34.5, lat_max: 40.8, lng_min: 110.1, lng_max: 114.7 };
        assert_eq!(effective_bounds(&[None, Some(city), Some(province)]), Some(city));
        assert_eq!(effective_bounds(&[None, None, Some(province)]), Some(province));
        assert_eq!(effective_bounds(&[None, None]), None);
        assert!(city.holds_lat(37.4) && city.holds_lat(38.5) && !city.holds_lat(38.51));
        assert!(city.is_sound() && Bounds::CHINA.is_sound());
        assert!(!Bounds { lat_min: 39.0, ..city }.is_sound(), "minimum above maximum");
        assert!(!Bounds { lng_max: 140.0, ..city }.is_sound(), "outside China");
        assert!(!Bounds { lat_min: f64::NAN, ..city }.is_sound());
        assert_eq!(Bounds::from_parts(Some(1.0), Some(2.0), None, Some(3.0)), None);
    }

    #[test]
    fn bounds_cells_all_or_none() {
        assert_eq!(parse_bounds(["", " ", "", ""]), Ok(None));
        assert_eq!(
            parse_bounds(["37.5", "37.9", "112.4", "112.8"]),
            Ok(Some(Bounds { lat_min: 37.5, lat_max: 37.9, lng_min: 112.4, lng_max: 112.8 }))
        );
        assert!(parse_bounds(["37.5", "", "112.4", "112.8"]).is_err(), "some but not all");
        assert!(parse_bounds(["37.9", "37.5", "112.4", "112.8"]).is_err(), "minimum above maximum");
        assert!(parse_bounds(["north", "37.9", "112.4", "112.8"]).is_err());
        assert!(parse_bounds(["60", "61", "112.4", "112.8"]).is_err(), "outside China");
    }

    #[test]
    fn levels_round_trip() {
        for l in [Level::Province, Level::City, Level::County] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
    }
}
