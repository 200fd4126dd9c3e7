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
    fn levels_round_trip() {
        for l in [Level::Province, Level::City, Level::County] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
    }
}
