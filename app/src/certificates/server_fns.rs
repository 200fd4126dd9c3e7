//! Server functions of the certificate section of a site's page.

use super::Certificate;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// Issues a certificate of the site (its unit).
#[server(endpoint = "certificates/issue")]
pub async fn issue_certificate(site_id: Uuid) -> Result<Certificate, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::issue(&state, &p, site_id).await?)
}

/// The certificates of a site.
#[server(endpoint = "certificates/list")]
pub async fn list_certificates(site_id: Uuid) -> Result<Vec<Certificate>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, site_id).await?)
}
