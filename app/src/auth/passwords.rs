//! Password hashing with Argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane),
//! always computed off the async runtime and bounded in concurrency.

use crate::service_error::{ServiceError, ServiceResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

fn hasher() -> ServiceResult<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(ServiceError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string.
pub async fn hash(limit: &Arc<Semaphore>, password: String) -> ServiceResult<String> {
    let _permit = limit.acquire().await.map_err(ServiceError::internal)?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()?.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(ServiceError::internal)
    })
    .await
    .map_err(ServiceError::internal)?
}

/// Checks a password against a stored PHC string. A hash that cannot be parsed never matches.
pub async fn verify(limit: &Arc<Semaphore>, stored: String, password: String) -> ServiceResult<bool> {
    let _permit = limit.acquire().await.map_err(ServiceError::internal)?;
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(false);
        };
        Ok(hasher()?.verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(ServiceError::internal)?
}

/// A real hash of a random password, verified against when the user name is unknown so that
/// the answer takes as long as for a known one.
pub async fn dummy_hash(limit: &Arc<Semaphore>) -> ServiceResult<String> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h.clone());
    }
    let h = hash(limit, uuid::Uuid::new_v4().to_string()).await?;
    Ok(DUMMY.get_or_init(|| h).clone())
}
