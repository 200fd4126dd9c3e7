//! Turns error codes into sentences through the locale files, for pages and API clients alike.

use crate::error::{AppError, FieldError};
use crate::i18n::*;

/// The sentence for an error as a whole.
pub fn error_message(locale: Locale, err: &AppError) -> String {
    match err {
        AppError::BadRequest { .. } => td_string!(locale, errors.malformed).to_string(),
        AppError::Unauthorized => td_string!(locale, errors.unauthorized).to_string(),
        AppError::InvalidCredentials => td_string!(locale, errors.invalid_credentials).to_string(),
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::NotFound => td_string!(locale, errors.not_found).to_string(),
        AppError::Conflict { .. } => td_string!(locale, errors.conflict).to_string(),
        AppError::Validation { .. } => td_string!(locale, errors.validation_failed).to_string(),
        AppError::PayloadTooLarge => td_string!(locale, errors.payload_too_large).to_string(),
        AppError::RateLimited { retry_after_secs } => {
            td_string!(locale, errors.rate_limited, seconds = retry_after_secs).to_string()
        }
        AppError::Internal { request_id } => {
            td_string!(locale, errors.internal, id = request_id.as_deref().unwrap_or("-")).to_string()
        }
        AppError::Network => td_string!(locale, errors.network).to_string(),
    }
}

/// The sentence for one field error.
pub fn field_message(locale: Locale, e: &FieldError) -> String {
    let p = |k: &str| e.params.get(k).cloned().unwrap_or_default();
    match e.code.as_str() {
        "required" => td_string!(locale, errors.field.required).to_string(),
        "length" => td_string!(locale, errors.field.length, min = p("min"), max = p("max")).to_string(),
        "username_length" => {
            td_string!(locale, errors.field.username_length, min = p("min"), max = p("max")).to_string()
        }
        "username_chars" => td_string!(locale, errors.field.username_chars).to_string(),
        "username_taken" => td_string!(locale, errors.field.username_taken).to_string(),
        "password_too_short" => td_string!(locale, errors.field.password_too_short, min = p("min")).to_string(),
        "password_too_long" => td_string!(locale, errors.field.password_too_long, max = p("max")).to_string(),
        "phone" => td_string!(locale, errors.field.phone).to_string(),
        "uscc_length" => td_string!(locale, errors.field.uscc_length, found = p("found")).to_string(),
        "uscc_bad_char" => {
            td_string!(locale, errors.field.uscc_bad_char, position = p("position"), ch = p("char")).to_string()
        }
        "uscc_check_char" => {
            td_string!(locale, errors.field.uscc_check_char, expected = p("expected"), ch = p("char")).to_string()
        }
        "uscc_taken" => td_string!(locale, errors.field.uscc_taken).to_string(),
        "unknown_organization" => td_string!(locale, errors.field.unknown_organization).to_string(),
        "unknown_division" => td_string!(locale, errors.field.unknown_division).to_string(),
        "wrong_division_level" => td_string!(locale, errors.field.wrong_division_level, level = p("level")).to_string(),
        "not_a_county" => td_string!(locale, errors.field.not_a_county).to_string(),
        "end_before_start" => td_string!(locale, errors.field.end_before_start).to_string(),
        "outside_china" => td_string!(locale, errors.field.outside_china).to_string(),
        "bad_char" => td_string!(locale, errors.field.bad_char, position = p("position"), ch = p("char")).to_string(),
        "env_code_length" => td_string!(locale, errors.field.env_code_length, found = p("found")).to_string(),
        "power_range" => td_string!(locale, errors.field.power_range, max = p("max")).to_string(),
        "date_in_future" => td_string!(locale, errors.field.date_in_future).to_string(),
        "electric_mismatch" => td_string!(locale, errors.field.electric_mismatch).to_string(),
        "identifier_required" => td_string!(locale, errors.field.identifier_required).to_string(),
        "unknown_machine_type" => td_string!(locale, errors.field.unknown_machine_type).to_string(),
        "already_registered" => td_string!(locale, errors.field.already_registered).to_string(),
        "locked_after_registration" => td_string!(locale, errors.field.locked_after_registration).to_string(),
        "unknown_field" => td_string!(locale, errors.field.unknown_field).to_string(),
        "unknown_site" => td_string!(locale, errors.field.unknown_site).to_string(),
        "unknown_machine" => td_string!(locale, errors.field.unknown_machine).to_string(),
        "duplicate_machine" => td_string!(locale, errors.field.duplicate_machine).to_string(),
        "too_many" => td_string!(locale, errors.field.too_many, max = p("max")).to_string(),
        "outside_site_dates" => {
            td_string!(locale, errors.field.outside_site_dates, from = p("from"), to = p("to")).to_string()
        }
        "in_the_past" => td_string!(locale, errors.field.in_the_past).to_string(),
        "not_on_filing" => td_string!(locale, errors.field.not_on_filing).to_string(),
        "exit_without_entry" => td_string!(locale, errors.field.exit_without_entry).to_string(),
        "exit_before_entry" => td_string!(locale, errors.field.exit_before_entry).to_string(),
        "already_on_site" => td_string!(locale, errors.field.already_on_site).to_string(),
        "before_last_exit" => td_string!(locale, errors.field.before_last_exit).to_string(),
        "regcode_length" => {
            td_string!(locale, errors.field.regcode_length, expected = p("expected"), found = p("found")).to_string()
        }
        "regcode_check_char" => {
            td_string!(locale, errors.field.regcode_check_char, expected = p("expected"), ch = p("char")).to_string()
        }
        _ => td_string!(locale, errors.field.invalid).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let errors = [
            AppError::BadRequest { code: "malformed".into() },
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::conflict("x"),
            AppError::field("a", "required"),
            AppError::PayloadTooLarge,
            AppError::RateLimited { retry_after_secs: 30 },
            AppError::Internal { request_id: Some("abc".into()) },
            AppError::Network,
        ];
        for e in &errors {
            let zh = error_message(Locale::zh, e);
            let en = error_message(Locale::en, e);
            assert!(!zh.is_empty() && !en.is_empty());
            assert_ne!(zh, en);
        }
        assert!(error_message(Locale::en, &AppError::RateLimited { retry_after_secs: 30 }).contains("30"));
        assert!(error_message(Locale::zh, &AppError::Internal { request_id: Some("abc".into()) }).contains("abc"));
    }

    /// Every field code the services report has a sentence of its own in both languages.
    #[test]
    fn every_field_code_has_its_own_message() {
        let codes = [
            "required",
            "length",
            "username_length",
            "username_chars",
            "username_taken",
            "password_too_short",
            "password_too_long",
            "phone",
            "uscc_length",
            "uscc_bad_char",
            "uscc_check_char",
            "uscc_taken",
            "unknown_organization",
            "unknown_division",
            "wrong_division_level",
            "not_a_county",
            "end_before_start",
            "outside_china",
            "bad_char",
            "env_code_length",
            "power_range",
            "date_in_future",
            "electric_mismatch",
            "identifier_required",
            "unknown_machine_type",
            "already_registered",
            "locked_after_registration",
            "unknown_field",
            "unknown_site",
            "unknown_machine",
            "duplicate_machine",
            "too_many",
            "outside_site_dates",
            "in_the_past",
            "not_on_filing",
            "exit_without_entry",
            "exit_before_entry",
            "already_on_site",
            "before_last_exit",
            "regcode_length",
            "regcode_check_char",
        ];
        let fallback = |l| field_message(l, &FieldError::new("no_such_code"));
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            let e = FieldError::new(code).with("position", 3).with("char", 'Z').with("expected", 'X');
            for locale in [Locale::zh, Locale::en] {
                let text = field_message(locale, &e);
                assert_ne!(text, fallback(locale), "{code} has no message in {locale:?}");
                assert!(seen.insert(text.clone()), "{code}: the same sentence as another code: {text}");
            }
        }
        let e = FieldError::new("uscc_bad_char").with("position", 10).with("char", 'O');
        assert!(field_message(Locale::en, &e).contains("10") && field_message(Locale::zh, &e).contains("“O”"));
    }

    #[test]
    fn field_messages_interpolate() {
        let e = FieldError::new("password_too_short").with("min", 10);
        assert!(field_message(Locale::en, &e).contains("10"));
        assert_eq!(field_message(Locale::en, &FieldError::new("no_such_code")), "This value is not valid.");
    }
}
