//! `plan_weights`: the inspection plan's weights a division's officers set (`crate::plan`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_weights")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub division_code: String,
    pub old_or_no_dpf: i32,
    pub watched: i32,
    pub site_failures: i32,
    pub unit_failures: i32,
    pub never_inspected: i32,
    pub days_since: i32,
    pub open_cases: i32,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
