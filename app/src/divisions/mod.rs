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
    fn levels_round_trip() {
        for l in [Level::Province, Level::City, Level::County] {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
    }
}
