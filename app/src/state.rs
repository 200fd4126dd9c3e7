//! The state every request handler and server function works with, built once at start-up.

use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The time source. Everything that decides by date takes `now` from here, so tests can move
/// time forward (session expiry, deadlines, effective dates) without sleeping.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every copy of it) forward; for tests.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// Settings the services need (the server's configuration holds more).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The public base URL without a trailing slash, used in labels, QR codes and origin checks.
    pub public_url: String,
    /// Where uploaded files and the embedded database live.
    pub data_dir: std::path::PathBuf,
    /// Whether cookies are marked `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// The sign-in throttle's limits.
    pub login: LoginPolicy,
    /// A session ends after this long without a request.
    pub session_idle: chrono::Duration,
    /// A session ends this long after its sign-in, however busy.
    pub session_absolute: chrono::Duration,
    /// The lifetime of a new API token when its owner names none.
    pub token_default_days: i64,
    /// A case deadline this many days away (or fewer) is "near" for the deadline sweep.
    pub deadline_near_days: i64,
}

impl Settings {
    /// Defaults for a server at `public_url` keeping data in `data_dir`.
    pub fn new(public_url: &str, data_dir: std::path::PathBuf) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            data_dir,
            login: LoginPolicy::default(),
            session_idle: chrono::Duration::hours(2),
            session_absolute: chrono::Duration::hours(12),
            token_default_days: 90,
            deadline_near_days: 3,
        }
    }
}

/// Shared by every handler. One `Arc`: every extractor and middleware of a request takes a
/// clone, which is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Clone)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub leptos_options: LeptosOptions,
    /// Bounds concurrent Argon2 computations (each takes ~19 MiB and a core for ~50 ms).
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Bounds concurrent image decoding and resizing (photo uploads: up to 256 MiB and a core each).
    pub imaging: Arc<tokio::sync::Semaphore>,
    /// Uploaded files (photos, evidence).
    pub storage: Arc<dyn crate::storage::Storage>,
    /// Sends each notification out (e-mail/SMS); the default writes it to the log.
    pub outbound: Arc<dyn crate::notifications::outbound::Outbound>,
    /// Requests per client address on the public label check.
    pub public_limiter: Arc<PublicLimiter>,
    /// Who each credential in use belongs to, for a moment (`auth::cache`).
    pub accounts: Arc<crate::auth::cache::AccountCache>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

tokio::task_local! {
    /// The id of the request being handled, set by the server's request-id middleware.
    pub static REQUEST_ID: String;
}

/// The current request's id, when running inside a request.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// The state, inside a server function or a component rendered on the server.
pub fn app_state() -> Result<AppState, crate::error::AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or(crate::error::AppError::Internal { request_id: current_request_id() })
}

/// The sign-in throttle's limits (`auth::throttle`), from the settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoginPolicy {
    /// The window every counter counts over.
    pub window: chrono::Duration,
    /// Checked attempts per account and address within the window.
    pub pair_max: i64,
    /// Failures of an account (from anywhere) within the window before delays start.
    pub account_free: i64,
    /// The first delay; each further failure doubles it.
    pub delay_base: std::time::Duration,
    /// The longest delay.
    pub delay_max: std::time::Duration,
    /// Attempts with unknown user names per address within the window.
    pub unknown_max_per_address: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            window: chrono::Duration::minutes(15),
            pair_max: 5,
            account_free: 5,
            delay_base: std::time::Duration::from_millis(500),
            delay_max: std::time::Duration::from_secs(8),
            unknown_max_per_address: 100,
        }
    }
}

/// Public label checks per client address (`public::rest`).
pub type PublicLimiter = governor::DefaultKeyedRateLimiter<String>;
