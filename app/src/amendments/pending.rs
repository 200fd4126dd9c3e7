//! Whether a machine has an amendment waiting: a transfer of it waits until it is decided (and
//! an amendment is not asked for during a transfer: `transfers::pending`).

use crate::db::entities::amendment;
use crate::service_error::ServiceResult;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Whether `machine_id` has an amendment waiting for review.
pub async fn pending_for(db: &impl sea_orm::ConnectionTrait, machine_id: Uuid) -> ServiceResult<bool> {
    let found = amendment::Entity::find().filter(amendment::Column::PendingMachineId.eq(machine_id)).one(db).await?;
    Ok(found.is_some())
}
