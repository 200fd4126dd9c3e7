//! `site_certificates`: a site's compliance certificates as issued (`crate::certificates`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "site_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub site_id: Uuid,
    pub county_code: String,
    pub organization_id: Uuid,
    /// The facts printed, as JSON (`crate::certificates::CertificateFacts`).
    pub facts: String,
    pub issued_by: Uuid,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
