//! `limit_rows`: the rows of a limit table (class, power band, k limit, Ringelmann maximum).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "limit_rows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub table_id: Uuid,
    pub position: i32,
    pub class: String,
    pub power_min_kw: Option<f64>,
    pub power_max_kw: Option<f64>,
    pub k_limit: f64,
    pub ringelmann_max: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
