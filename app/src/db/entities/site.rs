//! `sites`: construction sites of an organisation, each in one county.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub county_code: String,
    pub address: String,
    pub permit_no: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    /// An official's zone decision: `None` follows the zone data, `Some(true)` in, `Some(false)` out.
    pub zone_decision: Option<bool>,
    pub zone_decided_by: Option<Uuid>,
    pub zone_decided_at: Option<DateTimeUtc>,
    pub zone_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The construction unit running the site.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl ActiveModelBehavior for ActiveModel {}
