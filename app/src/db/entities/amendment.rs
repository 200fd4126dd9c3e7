//! `amendments`: a unit's request to change a registered machine's facts, and its outcome.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "amendments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub machine_id: Uuid,
    pub organization_id: Uuid,
    pub county_code: String,
    pub status: crate::amendments::AmendmentStatus,
    /// JSON list of `{field, old, new}`.
    pub changes: String,
    pub reason: String,
    pub machine_version: i32,
    /// The machine's id while pending (unique), `NULL` once decided or withdrawn.
    pub pending_machine_id: Option<Uuid>,
    pub submitted_by: Uuid,
    pub submitted_at: DateTimeUtc,
    pub reviewed_by: Option<Uuid>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub return_reason: Option<String>,
    pub withdrawn_by: Option<Uuid>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
