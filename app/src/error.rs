//! The error the browser and API clients see: typed, serialisable across the server-function
//! boundary, translated through the locale files, mapped to one HTTP status each.
//!
//! Internal causes never travel in it: the service layer logs them and hands over `Internal`
//! with the request id, so a user can quote it and an operator can find the log line.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::codes::{ConflictCode, FieldCode};

/// One problem with one field: a code the locale files translate, and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub code: FieldCode,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl FieldError {
    /// A field error without parameters.
    pub fn new(code: FieldCode) -> Self {
        Self { code, params: BTreeMap::new() }
    }

    /// Adds a parameter the message interpolates.
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.params.insert(key.to_owned(), value.to_string());
        self
    }
}

/// Field name → its problems, in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, Vec<FieldError>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: &str, error: FieldError) {
        self.0.entry(field.to_owned()).or_default().push(error);
    }

    /// One problem, one field.
    pub fn single(field: &str, error: FieldError) -> Self {
        let mut errors = Self::new();
        errors.add(field, error);
        errors
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first problem recorded for `field`.
    pub fn first(&self, field: &str) -> Option<&FieldError> {
        self.0.get(field).and_then(|v| v.first())
    }

    /// `Ok(())` when empty, else a validation error carrying these fields.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() { Ok(()) } else { Err(AppError::Validation { fields: self }) }
    }
}

/// A required free text of `field` (a reason, a note): trimmed, not empty, at most `max`
/// characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldErrors> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldErrors::single(field, FieldError::new(FieldCode::Required)));
    }
    if text.chars().count() > max {
        return Err(FieldErrors::single(field, FieldError::new(FieldCode::Length).with("min", 1).with("max", max)));
    }
    Ok(text.to_owned())
}

impl From<validator::ValidationErrors> for FieldErrors {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut out = FieldErrors::new();
        for (field, errs) in errors.field_errors() {
            for e in errs {
                // The derives name known codes (`required`); an unknown one reads as invalid.
                let mut fe = FieldError::new(FieldCode::parse(e.code.as_ref()).unwrap_or(FieldCode::Invalid));
                for (k, v) in &e.params {
                    if k == "value" {
                        continue; // never echo the submitted value (it may be a password)
                    }
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    fe.params.insert(k.to_string(), text);
                }
                out.add(field.as_ref(), fe);
            }
        }
        out
    }
}

/// What went wrong, as far as the caller is allowed to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    /// The request could not be read (malformed JSON, wrong content type, missing argument).
    #[error("malformed request")]
    BadRequest { code: String },
    /// No valid session or token.
    #[error("not signed in")]
    Unauthorized,
    /// User name and password do not match an active account.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Signed in, but this role may not do this.
    #[error("not allowed")]
    Forbidden,
    /// Absent, or outside the caller's scope (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// A duplicate, a stale version or an illegal state transition.
    #[error("conflict: {}", code.as_str())]
    Conflict {
        code: ConflictCode,
        #[serde(default)]
        fields: FieldErrors,
        #[serde(default)]
        params: BTreeMap<String, String>,
    },
    /// The input broke a rule; `fields` says which and why.
    #[error("validation failed")]
    Validation { fields: FieldErrors },
    /// The body is larger than the endpoint accepts.
    #[error("request too large")]
    PayloadTooLarge,
    /// The body is not in a format the endpoint reads (e.g. JSON sent without its content type).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many attempts; try again later.
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// Something broke on the server; the log has the cause under this request id.
    #[error("internal error")]
    Internal { request_id: Option<String> },
    /// The browser could not reach the server (only ever built on the client side).
    #[error("network error")]
    Network,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict { .. } => 409,
            AppError::PayloadTooLarge => 413,
            AppError::UnsupportedMediaType => 415,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Internal { .. } => 500,
            AppError::Network => 503,
        }
    }

    /// The stable machine-readable code of the REST error body.
    pub fn code(&self) -> &str {
        match self {
            AppError::BadRequest { code } => code,
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code.as_str(),
            AppError::Validation { .. } => "validation_failed",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Internal { .. } => "internal",
            AppError::Network => "network",
        }
    }

    /// The field errors, when there are any.
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation { fields } => Some(fields),
            AppError::Conflict { fields, .. } if !fields.is_empty() => Some(fields),
            _ => None,
        }
    }

    /// A conflict with a code and no field.
    pub fn conflict(code: ConflictCode) -> Self {
        AppError::Conflict { code, fields: FieldErrors::new(), params: BTreeMap::new() }
    }

    /// A validation error on a single field.
    pub fn field(field: &str, code: FieldCode) -> Self {
        AppError::Validation { fields: FieldErrors::single(field, FieldError::new(code)) }
    }

    /// 409 `illegal_transition`: a record in state `from` cannot take this step (to `to`, when
    /// the step names one).
    pub fn illegal_transition(from: &str, to: Option<&str>) -> Self {
        let mut params = BTreeMap::new();
        params.insert("from".to_owned(), from.to_owned());
        if let Some(to) = to {
            params.insert("to".to_owned(), to.to_owned());
        }
        AppError::Conflict { code: ConflictCode::IllegalTransition, fields: FieldErrors::new(), params }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => AppError::BadRequest { code: "malformed".into() },
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::Network,
            _ => AppError::Internal { request_id: None },
        }
    }
}

/// Shorthand for results that end at the browser or an API client.
pub type AppResult<T> = Result<T, AppError>;
