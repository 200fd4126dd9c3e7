//! `public_reports`: reports from the public about a machine (`crate::reports`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "public_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: String,
    pub county_code: String,
    pub machine_id: Option<Uuid>,
    pub registration_code: Option<String>,
    pub kind: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub phone: Option<String>,
    pub photos: i32,
    pub status: String,
    pub inspection_id: Option<Uuid>,
    pub closed_reason: Option<String>,
    pub handled_by: Option<Uuid>,
    pub handled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
