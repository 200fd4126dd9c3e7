//! Server functions of the evidence galleries.

use super::{Gallery, SubjectKind};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// The photos of an inspection or a case, and whether the caller may add one.
#[server(endpoint = "evidence/gallery")]
pub async fn evidence_gallery(kind: SubjectKind, id: Uuid) -> Result<Gallery, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::gallery(&state, &p, kind, id).await?)
}
