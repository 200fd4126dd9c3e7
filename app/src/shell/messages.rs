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
        "unsupported_image" => td_string!(locale, errors.field.unsupported_image).to_string(),
        "corrupt_image" => td_string!(locale, errors.field.corrupt_image).to_string(),
        "image_too_large" => td_string!(locale, errors.field.image_too_large, max = p("max")).to_string(),
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

    #[test]
    fn field_messages_interpolate() {
        let e = FieldError::new("password_too_short").with("min", 10);
        assert!(field_message(Locale::en, &e).contains("10"));
        assert_eq!(field_message(Locale::en, &FieldError::new("no_such_code")), "This value is not valid.");
        let invalid = field_message(Locale::zh, &FieldError::new("no_such_code"));
        for code in ["unsupported_image", "corrupt_image", "image_too_large"] {
            for locale in [Locale::zh, Locale::en] {
                assert_ne!(field_message(locale, &FieldError::new(code)), invalid, "{code}");
            }
        }
        assert!(field_message(Locale::en, &FieldError::new("image_too_large").with("max", 16384)).contains("16384"));
    }
}
