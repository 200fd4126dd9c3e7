//! `case_events`: the history of a case, one row per step.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub from_state: Option<String>,
    pub to_state: crate::cases::CaseState,
    pub action: String,
    pub note: Option<String>,
    pub actor_id: Uuid,
    pub at: DateTimeUtc,
    pub deadline_on: Option<Date>,
    pub penalty_yuan: Option<i64>,
    pub legal_basis: Option<String>,
    pub inspection_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
