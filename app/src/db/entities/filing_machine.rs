//! `filing_machines`: which machines a filing covers (and until when, for a machine transferred away).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "filing_machines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub filing_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub machine_id: Uuid,
    /// The day the machine left this filing (a transfer to another unit): the filing covers it
    /// only on the days before. `None`: the filing's own dates.
    pub left_on: Option<Date>,
    /// The instant it left (the transfer's acceptance); set with `left_on`.
    pub left_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The filing.
    #[sea_orm(belongs_to = "super::filing::Entity", from = "Column::FilingId", to = "super::filing::Column::Id")]
    Filing,
    /// The machine filed.
    #[sea_orm(belongs_to = "super::machine::Entity", from = "Column::MachineId", to = "super::machine::Column::Id")]
    Machine,
}

impl ActiveModelBehavior for ActiveModel {}
