//! `machine_transfers`: a registered machine handed from one construction unit to another.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "machine_transfers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub machine_id: Uuid,
    /// The machine's name when the transfer started.
    pub machine_name: String,
    pub from_organization_id: Uuid,
    pub to_organization_id: Uuid,
    pub county_code: String,
    pub transfer_on: Date,
    pub note: Option<String>,
    pub status: crate::transfers::TransferStatus,
    pub decline_reason: Option<String>,
    pub started_by: Uuid,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTimeUtc>,
    pub effective_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
