//! Whether a machine has a transfer waiting: an amendment of it is not asked for meanwhile (and
//! a transfer does not start while an amendment waits: `amendments::pending`).

use super::TransferStatus;
use crate::db::entities::machine_transfer;
use crate::service_error::ServiceResult;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Whether `machine_id` has a pending transfer.
pub async fn pending_for(db: &impl sea_orm::ConnectionTrait, machine_id: Uuid) -> ServiceResult<bool> {
    let found = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(machine_id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Pending))
        .one(db)
        .await?;
    Ok(found.is_some())
}
