//! `cases`: non-compliance cases opened by inspections, in the county of the site.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub county_code: String,
    pub kind: crate::cases::CaseKind,
    pub state: crate::cases::CaseState,
    pub machine_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub site_organization_id: Uuid,
    pub site_id: Uuid,
    pub inspection_id: Uuid,
    pub deadline_on: Option<Date>,
    pub penalty_yuan: Option<i64>,
    pub legal_basis: Option<String>,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
