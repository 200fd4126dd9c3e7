//! `route_stops`: the sites an inspector picked for a day, in order (`crate::plan`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "route_stops")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub inspector_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub route_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub site_id: Uuid,
    pub county_code: String,
    pub saved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
