//! `filing_machines`: which machines a filing covers.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "filing_machines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub filing_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub machine_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
