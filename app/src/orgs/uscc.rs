//! The Unified Social Credit Code (统一社会信用代码, GB 32100-2015): 18 characters from an
//! alphabet of 31 (no I, O, S, V, Z), the last a check character over the first 17.
//! Lower-case input is normalised to upper case (on both sides, by this one function).

use crate::error::FieldCode;
use serde::{Deserialize, Serialize};

/// The 31 characters in value order.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Why a string is not a USCC. Positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UsccError {
    /// Not 18 characters.
    Length { found: usize },
    /// A character outside the alphabet (including I, O, S, V, Z).
    BadChar { position: usize, found: char },
    /// The 18th character does not match the first 17.
    CheckChar { expected: char, found: char },
}

impl UsccError {
    /// The field error the forms and the API report.
    pub fn field_error(&self) -> crate::error::FieldError {
        use crate::error::FieldError;
        match self {
            UsccError::Length { found } => FieldError::new(FieldCode::UsccLength).with("found", found),
            UsccError::BadChar { position, found } => {
                FieldError::new(FieldCode::UsccBadChar).with("position", position).with("char", found)
            }
            UsccError::CheckChar { expected, found } => {
                FieldError::new(FieldCode::UsccCheckChar).with("expected", expected).with("char", found)
            }
        }
    }
}

fn value(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// A valid credit code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Uscc(String);

impl Uscc {
    /// Checks a code: trimmed, upper-cased, then length, alphabet and check character.
    pub fn parse(raw: &str) -> Result<Uscc, UsccError> {
        let code: Vec<char> = raw.trim().to_uppercase().chars().collect();
        if code.len() != 18 {
            return Err(UsccError::Length { found: code.len() });
        }
        let mut values = [0u32; 18];
        for (i, c) in code.iter().enumerate() {
            values[i] = value(*c).ok_or(UsccError::BadChar { position: i + 1, found: *c })?;
        }
        let expected = check_char_of(&values[..17]);
        if code[17] != expected {
            return Err(UsccError::CheckChar { expected, found: code[17] });
        }
        Ok(Uscc(code.into_iter().collect()))
    }

    /// Completes 17 characters with their check character.
    pub fn with_check_char(first17: &str) -> Result<Uscc, UsccError> {
        let code: Vec<char> = first17.trim().to_uppercase().chars().collect();
        if code.len() != 17 {
            return Err(UsccError::Length { found: code.len() + 1 });
        }
        let mut values = [0u32; 17];
        for (i, c) in code.iter().enumerate() {
            values[i] = value(*c).ok_or(UsccError::BadChar { position: i + 1, found: *c })?;
        }
        let mut s: String = code.into_iter().collect();
        s.push(check_char_of(&values));
        Ok(Uscc(s))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_char_of(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let idx = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(idx as usize).unwrap_or('0')
}

impl std::fmt::Display for Uscc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = "91350100M000100Y43";

    #[test]
    fn the_published_example_passes() {
        assert_eq!(Uscc::parse(VALID).map(|u| u.to_string()), Ok(VALID.to_owned()));
    }

    #[test]
    fn generated_codes_pass() {
        for first in ["91140100MA0D3M001", "12140000012345678", "51140100MA0XY1234"] {
            let u = Uscc::with_check_char(first).unwrap();
            assert_eq!(Uscc::parse(u.as_str()), Ok(u.clone()));
        }
    }

    #[test]
    fn wrong_check_character_names_the_expected_one() {
        assert_eq!(Uscc::parse("91350100M000100Y44"), Err(UsccError::CheckChar { expected: '3', found: '4' }));
    }

    #[test]
    fn forbidden_letters_are_refused_with_their_position() {
        for (i, bad) in ['I', 'O', 'S', 'V', 'Z'].into_iter().enumerate() {
            let mut code: Vec<char> = VALID.chars().collect();
            code[9] = bad;
            let s: String = code.into_iter().collect();
            assert_eq!(Uscc::parse(&s), Err(UsccError::BadChar { position: 10, found: bad }), "case {i}");
        }
        assert_eq!(Uscc::parse("91350100M000100Y4-"), Err(UsccError::BadChar { position: 18, found: '-' }));
    }

    #[test]
    fn wrong_lengths() {
        assert_eq!(Uscc::parse("91350100M000100Y4"), Err(UsccError::Length { found: 17 }));
        assert_eq!(Uscc::parse("91350100M000100Y433"), Err(UsccError::Length { found: 19 }));
        assert_eq!(Uscc::parse(""), Err(UsccError::Length { found: 0 }));
    }

    #[test]
    fn lower_case_and_spaces_are_normalised() {
        assert_eq!(Uscc::parse("  91350100m000100y43 ").map(|u| u.to_string()), Ok(VALID.to_owned()));
    }

    #[test]
    fn every_single_character_change_is_caught() {
        let original: Vec<char> = VALID.chars().collect();
        for pos in 0..18 {
            for c in ALPHABET.chars() {
                if c == original[pos] {
                    continue;
                }
                let mut code = original.clone();
                code[pos] = c;
                let s: String = code.into_iter().collect();
                assert!(Uscc::parse(&s).is_err(), "{s} should fail");
            }
        }
    }
}
