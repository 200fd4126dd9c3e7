//! The service layer's error: either something the caller may be told (an [`AppError`]) or an
//! internal cause that is logged and never leaves the server.

use crate::error::{AppError, ConflictCode};
use sea_orm::DbErr;

/// What a service function can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A caller-facing outcome: validation, not found, conflict, forbidden…
    #[error(transparent)]
    Client(#[from] AppError),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] DbErr),
    /// Anything else that is the server's fault.
    #[error("internal: {0}")]
    Internal(String),
}

impl ServiceError {
    /// 409 `stale_version` for an edit based on an old version; says which version is current
    /// (the caller still has its edit, to re-apply to the current one).
    pub fn stale(current: i32) -> Self {
        let mut params = std::collections::BTreeMap::new();
        params.insert("current_version".to_owned(), current.to_string());
        AppError::Conflict { code: ConflictCode::StaleVersion, fields: crate::error::FieldErrors::new(), params }.into()
    }

    /// An internal failure with a cause for the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ServiceError::Internal(cause.to_string())
    }
}

impl From<ServiceError> for AppError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Client(e) => e,
            other => {
                let request_id = crate::state::current_request_id();
                tracing::error!(error = %other, request_id = request_id.as_deref().unwrap_or("-"), "internal error");
                AppError::Internal { request_id }
            }
        }
    }
}

/// Shorthand for service results.
pub type ServiceResult<T> = Result<T, ServiceError>;
