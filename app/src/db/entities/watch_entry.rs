//! `watch_entries`: the machines inspectors put on the watch list by hand (`crate::watchlist`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "watch_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub machine_id: Uuid,
    pub county_code: String,
    pub reason: String,
    pub ends_on: Date,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub ended_by: Option<Uuid>,
    pub ended_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
