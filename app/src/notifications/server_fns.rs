//! Server functions of the notification bell and page.

use super::{MarkedRead, Notification, UnreadCount};
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use uuid::Uuid;

/// A page of the caller's notifications, unread first.
#[server(endpoint = "notifications/list")]
pub async fn list_notifications(cursor: Option<String>) -> Result<Page<Notification>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &crate::paging::PageQuery { limit: Some(50), cursor }).await?)
}

/// The unread count for the bell (0 when signed out).
#[server(endpoint = "notifications/unread")]
pub async fn unread_notifications() -> Result<UnreadCount, AppError> {
    match crate::server_fns::state_and_principal() {
        Ok((state, p)) => Ok(super::service::unread_count(&state, &p).await?),
        Err(AppError::Unauthorized) => Ok(UnreadCount { unread: 0 }),
        Err(e) => Err(e),
    }
}

/// Marks one notification read.
#[server(endpoint = "notifications/read")]
pub async fn read_notification(id: Uuid) -> Result<Notification, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::mark_read(&state, &p, id).await?)
}

/// Marks every notification read.
#[server(endpoint = "notifications/read_all")]
pub async fn read_all_notifications() -> Result<MarkedRead, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::mark_all_read(&state, &p).await?)
}
