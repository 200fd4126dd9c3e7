//! `inspections`: field inspections with the verdict computed at the time and the limit table
//! version it was computed with.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inspections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub county_code: String,
    pub site_id: Uuid,
    pub site_organization_id: Uuid,
    pub machine_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub unregistered_description: Option<String>,
    pub emission_stage: String,
    pub fuel_type: String,
    pub rated_power_kw: f64,
    pub inspector_id: Uuid,
    pub inspected_at: DateTimeUtc,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub opacity_readings: String,
    pub ringelmann_level: Option<i32>,
    pub mean_k: Option<f64>,
    pub limit_class: Option<String>,
    pub limit_k: Option<f64>,
    pub limit_table_version: String,
    /// The table judged with (`None` only for rows older than tables with divisions).
    pub limit_table_id: Option<Uuid>,
    pub verdict: crate::inspections::compliance::Verdict,
    pub reasons: String,
    pub low_emission_zone: bool,
    pub zone_exemption: Option<String>,
    pub label_present: Option<bool>,
    pub notes: Option<String>,
    pub case_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
