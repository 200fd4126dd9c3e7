//! `machines`: the fleet of an organisation.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "machines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub machine_type: String,
    pub name: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub pin: Option<String>,
    pub env_code: Option<String>,
    pub info_disclosure_no: Option<String>,
    pub engine_model: Option<String>,
    pub engine_serial: Option<String>,
    pub engine_maker: Option<String>,
    pub engine_approval_no: Option<String>,
    pub emission_stage: String,
    pub fuel_type: String,
    pub rated_power_kw: f64,
    pub manufactured_on: Option<Date>,
    pub dpf_fitted: bool,
    pub dpf_model: Option<String>,
    pub dpf_maker: Option<String>,
    pub dpf_fitted_on: Option<Date>,
    pub obd_fitted: bool,
    pub remote_terminal: bool,
    pub registration_code: Option<String>,
    pub registered_at: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owner.
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl ActiveModelBehavior for ActiveModel {}
