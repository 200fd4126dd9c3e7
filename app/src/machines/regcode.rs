//! The registration code this product issues: the 6-digit county code, a 7-digit zero-padded
//! sequence, and an ISO 7064 MOD 11-2 check character (the scheme of the resident ID number),
//! so a phone can reject a mistyped code without a network. Example: `1401050000001` + check.

use crate::error::FieldCode;
use serde::{Deserialize, Serialize};

/// Digits of the sequence part.
pub const SEQ_DIGITS: usize = 7;
/// Total length: county (6) + sequence (7) + check (1).
pub const LEN: usize = 6 + SEQ_DIGITS + 1;

/// Why a string is not a registration code. Positions are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegCodeError {
    Length { found: usize },
    BadChar { position: usize, found: char },
    CheckChar { expected: char, found: char },
}

impl RegCodeError {
    /// The field error forms and the API report.
    pub fn field_error(&self) -> crate::error::FieldError {
        use crate::error::FieldError;
        match self {
            RegCodeError::Length { found } => {
                FieldError::new(FieldCode::RegcodeLength).with("expected", LEN).with("found", found)
            }
            RegCodeError::BadChar { position, found } => {
                FieldError::new(FieldCode::BadChar).with("position", position).with("char", found)
            }
            RegCodeError::CheckChar { found, .. } => {
                // Not the expected character: see `ui::messages` (it would turn a typo into
                // another machine's valid code).
                FieldError::new(FieldCode::RegcodeCheckChar).with("char", found)
            }
        }
    }
}

/// ISO 7064 MOD 11-2 over decimal digits: weight of d_i is 2^(n−i+1) mod 11 (left to right),
/// check = (12 − Σ mod 11) mod 11, with 10 written `X`.
pub fn mod11_2(digits: &[u8]) -> char {
    let n = digits.len();
    let mut sum: u32 = 0;
    for (i, d) in digits.iter().enumerate() {
        // i is 0-based, so the weight exponent is n - i.
        let mut w: u32 = 1;
        for _ in 0..(n - i) {
            w = (w * 2) % 11;
        }
        sum += u32::from(*d) * w;
    }
    match (12 - sum % 11) % 11 {
        10 => 'X',
        v => char::from(b'0' + v as u8),
    }
}

/// A typed, pasted or scanned code as the register writes it: full-width characters (a Chinese
/// keyboard's `１２３`, `ＡＢ`, `－`, the ideographic space) and other dashes in their ASCII form,
/// upper case, trimmed; and, when what remains is a registration code written in groups
/// (`1401 0500 0000 056`, `140105-0000005-6`), without its spaces and hyphens. Other identifiers
/// (PINs, engine serials) keep their inner spaces and hyphens. The one rule of the field page,
/// the look-up and every other door that takes a code.
pub fn normalize_typed(raw: &str) -> String {
    let ascii: String = raw
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect();
    let ascii = ascii.trim().to_uppercase();
    let compact: String = ascii.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    let bytes = compact.as_bytes();
    let shaped = bytes.len() == LEN
        && bytes[..LEN - 1].iter().all(u8::is_ascii_digit)
        && (bytes[LEN - 1].is_ascii_digit() || bytes[LEN - 1] == b'X');
    if shaped { compact } else { ascii }
}

/// A valid registration code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegistrationCode(String);

impl RegistrationCode {
    /// The code for sequence `seq` in `county` (a 6-digit code).
    pub fn issue(county: &str, seq: u64) -> Option<RegistrationCode> {
        if !crate::divisions::is_division_code(county) || seq == 0 || seq >= 10u64.pow(SEQ_DIGITS as u32) {
            return None;
        }
        let body = format!("{county}{seq:0width$}", width = SEQ_DIGITS);
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        Some(RegistrationCode(format!("{body}{}", mod11_2(&digits))))
    }

    /// Checks a typed or scanned code (trimmed; a lower-case `x` is accepted as `X`).
    pub fn parse(raw: &str) -> Result<RegistrationCode, RegCodeError> {
        let code: Vec<char> = raw.trim().to_uppercase().chars().collect();
        if code.len() != LEN {
            return Err(RegCodeError::Length { found: code.len() });
        }
        let mut digits = Vec::with_capacity(LEN - 1);
        for (i, c) in code[..LEN - 1].iter().enumerate() {
            match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => digits.push(d as u8),
                _ => return Err(RegCodeError::BadChar { position: i + 1, found: *c }),
            }
        }
        let last = code[LEN - 1];
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(RegCodeError::BadChar { position: LEN, found: last });
        }
        let expected = mod11_2(&digits);
        if last != expected {
            return Err(RegCodeError::CheckChar { expected, found: last });
        }
        Ok(RegistrationCode(code.into_iter().collect()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county that issued it.
    pub fn county(&self) -> &str {
        &self.0[..6]
    }
}

impl std::fmt::Display for RegistrationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resident_id_example_checks() {
        // The published example of GB 11643: 11010519491231002 → X.
        let digits: Vec<u8> = "11010519491231002".bytes().map(|b| b - b'0').collect();
        assert_eq!(mod11_2(&digits), 'X');
        let digits: Vec<u8> = "44052418800101001".bytes().map(|b| b - b'0').collect();
        assert_eq!(mod11_2(&digits), '4');
    }

    #[test]
    fn codes_are_normalised_as_people_type_and_copy_them() {
        let code = RegistrationCode::issue("140105", 5).unwrap().to_string();
        let grouped = format!("{} {} {} {}", &code[..4], &code[4..8], &code[8..12], &code[12..]);
        assert_eq!(normalize_typed(&grouped), code, "spaces as on a label");
        let dashed = format!("{}-{}-{}", &code[..6], &code[6..13], &code[13..]);
        assert_eq!(normalize_typed(&dashed), code);
        let wide: String = code.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
        assert_eq!(normalize_typed(&format!("\u{3000}{wide}\u{3000}")), code, "full-width digits");
        assert_eq!(normalize_typed(&format!(" {} ", code.replace('X', "x"))), code.replace('x', "X"));
        let x = (1..200).filter_map(|n| RegistrationCode::issue("140105", n)).find(|c| c.as_str().ends_with('X'));
        let x = x.unwrap().to_string();
        assert_eq!(normalize_typed(&x.to_lowercase()), x, "a lower-case x");
        assert_eq!(normalize_typed("ｓｙ２１５Ｃ－１００８６"), "SY215C-10086", "a PIN keeps its hyphen");
        assert_eq!(normalize_typed(" wd615 abc "), "WD615 ABC", "and its inner space");
        assert_eq!(normalize_typed("1401 0500 0000 0"), "1401 0500 0000 0", "13 characters: not a code");
    }

    #[test]
    fn issued_codes_parse_back() {
        for seq in [1, 2, 9, 10, 99, 12345, 9_999_999] {
            let c = RegistrationCode::issue("140105", seq).unwrap();
            assert_eq!(c.as_str().len(), LEN);
            assert_eq!(RegistrationCode::parse(c.as_str()), Ok(c.clone()));
            assert_eq!(c.county(), "140105");
        }
        assert_eq!(RegistrationCode::issue("140105", 0), None);
        assert_eq!(RegistrationCode::issue("140105", 10_000_000), None);
        assert_eq!(RegistrationCode::issue("1401", 1), None);
    }

    #[test]
    fn every_single_digit_typo_and_adjacent_swap_is_caught() {
        let c = RegistrationCode::issue("140121", 4711).unwrap();
        let s: Vec<char> = c.as_str().chars().collect();
        for i in 0..LEN - 1 {
            for d in '0'..='9' {
                if d == s[i] {
                    continue;
                }
                let mut t = s.clone();
                t[i] = d;
                let typo: String = t.into_iter().collect();
                assert!(RegistrationCode::parse(&typo).is_err(), "{typo}");
            }
            if s[i] != s[i + 1] {
                let mut t = s.clone();
                t.swap(i, i + 1);
                let swapped: String = t.into_iter().collect();
                assert!(RegistrationCode::parse(&swapped).is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn malformed_codes() {
        assert!(matches!(RegistrationCode::parse("1401"), Err(RegCodeError::Length { found: 4 })));
        assert!(matches!(
            RegistrationCode::parse("14010A00000011"),
            Err(RegCodeError::BadChar { position: 6, found: 'A' })
        ));
        let c = RegistrationCode::issue("140105", 7).unwrap();
        assert_eq!(RegistrationCode::parse(&format!(" {} ", c.as_str().to_lowercase())), Ok(c));
    }
}
