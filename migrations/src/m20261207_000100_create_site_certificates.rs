//! `site_certificates`: a site's compliance certificates as issued. Each keeps the facts it
//! printed (its filings in force, their machines with stage and last verdict, the unresolved
//! cases), so anyone with its code can check that it is genuine, and whether it is still
//! current: the same facts computed today, or superseded when they changed.

use crate::m20261128_000002_create_accounts::Users;
use crate::m20261128_000003_create_registry::Sites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SiteCertificates {
    Table,
    Id,
    Code,
    SiteId,
    CountyCode,
    OrganizationId,
    Facts,
    IssuedBy,
    IssuedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SiteCertificates::Table)
                    .if_not_exists()
                    .col(uuid(SiteCertificates::Id).primary_key())
                    .col(string_len(SiteCertificates::Code, 16).unique_key())
                    .col(uuid(SiteCertificates::SiteId))
                    .col(string_len(SiteCertificates::CountyCode, 12))
                    .col(uuid(SiteCertificates::OrganizationId))
                    .col(text(SiteCertificates::Facts))
                    .col(uuid(SiteCertificates::IssuedBy))
                    .col(timestamp_with_time_zone(SiteCertificates::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_site_certificates_site")
                            .from(SiteCertificates::Table, SiteCertificates::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_site_certificates_issued_by")
                            .from(SiteCertificates::Table, SiteCertificates::IssuedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_site_certificates_site")
                    .table(SiteCertificates::Table)
                    .col(SiteCertificates::SiteId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SiteCertificates::Table).if_exists().to_owned()).await
    }
}
