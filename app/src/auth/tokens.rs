//! API tokens as their owner sees them: a name, a lifetime (at most [`MAX_DAYS`]), when they were
//! last used and whether they were revoked. The secret itself is shown once, at issue.

use crate::error::{FieldCode, FieldError, FieldErrors};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest lifetime a token may have, in days.
pub const MAX_DAYS: i64 = 365;
/// The longest token name.
pub const NAME_MAX: usize = 100;

/// `POST /auth/tokens`: a name, and optionally a lifetime in days (the server's default when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// 1 to 365; the server's default (90 unless configured) when absent.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, maximum = 365))]
    pub expires_in_days: Option<i64>,
}

impl TokenRequest {
    /// Trims the name and returns every broken rule.
    pub fn validate(&mut self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        self.name = self.name.trim().to_owned();
        let n = self.name.chars().count();
        if n == 0 || n > NAME_MAX {
            errors.add("name", FieldError::new(FieldCode::Length).with("min", 1).with("max", NAME_MAX));
        }
        if let Some(days) = self.expires_in_days
            && !(1..=MAX_DAYS).contains(&days)
        {
            errors.add("expires_in_days", FieldError::new(FieldCode::Range).with("min", 1).with("max", MAX_DAYS));
        }
        errors
    }
}

/// A newly issued token: its id, name, lifetime and the secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Whether a token works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Live,
    Expired,
    Revoked,
}

impl TokenStatus {
    /// The status at `now` of a token expiring at `expires_at`, revoked at `revoked_at`.
    pub fn at(now: DateTime<Utc>, expires_at: DateTime<Utc>, revoked_at: Option<DateTime<Utc>>) -> Self {
        match revoked_at {
            Some(_) => TokenStatus::Revoked,
            None if now < expires_at => TokenStatus::Live,
            None => TokenStatus::Expired,
        }
    }
}

/// A token on file (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// At the time of the answer.
    pub status: TokenStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str, days: Option<i64>) -> TokenRequest {
        TokenRequest { name: name.into(), expires_in_days: days }
    }

    #[test]
    fn status_at_an_instant() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let later = t0 + chrono::Duration::days(1);
        assert_eq!(TokenStatus::at(t0, later, None), TokenStatus::Live);
        assert_eq!(TokenStatus::at(later, later, None), TokenStatus::Expired);
        assert_eq!(TokenStatus::at(t0, later, Some(t0)), TokenStatus::Revoked);
    }

    #[test]
    fn names_and_lifetimes() {
        let mut r = req("  platform  ", Some(30));
        assert!(r.validate().is_empty());
        assert_eq!(r.name, "platform");
        assert!(req("", None).validate().first("name").is_some());
        assert!(req(&"x".repeat(101), None).validate().first("name").is_some());
        assert!(req("a", Some(0)).validate().first("expires_in_days").is_some());
        assert!(req("a", Some(366)).validate().first("expires_in_days").is_some());
        assert!(req("a", Some(365)).validate().is_empty());
    }
}
