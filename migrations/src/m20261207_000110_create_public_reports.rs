//! `public_reports`: what members of the public report about a machine (black smoke, no label,
//! working in a zone it should not be in), routed to a county's queue; and `report_photos`,
//! up to three re-encoded copies of the photos they sent (no original is kept, so nothing the
//! phone wrote into the file, such as its position, is stored). The reporter's phone number
//! is read only by the inspectors of the report's county.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PublicReports {
    Table,
    Id,
    Reference,
    CountyCode,
    MachineId,
    RegistrationCode,
    Kind,
    Description,
    Lat,
    Lng,
    Phone,
    Photos,
    Status,
    InspectionId,
    ClosedReason,
    HandledBy,
    HandledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReportPhotos {
    Table,
    ReportId,
    Position,
    StorageKey,
    SizeBytes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PublicReports::Table)
                    .if_not_exists()
                    .col(uuid(PublicReports::Id).primary_key())
                    .col(string_len(PublicReports::Reference, 16).unique_key())
                    .col(string_len(PublicReports::CountyCode, 12))
                    .col(uuid_null(PublicReports::MachineId))
                    .col(string_len_null(PublicReports::RegistrationCode, 20))
                    .col(string_len(PublicReports::Kind, 20))
                    .col(string_len(PublicReports::Description, 1000))
                    .col(double_null(PublicReports::Lat))
                    .col(double_null(PublicReports::Lng))
                    .col(string_len_null(PublicReports::Phone, 20))
                    .col(integer(PublicReports::Photos))
                    .col(string_len(PublicReports::Status, 12))
                    .col(uuid_null(PublicReports::InspectionId))
                    .col(string_len_null(PublicReports::ClosedReason, 500))
                    .col(uuid_null(PublicReports::HandledBy))
                    .col(timestamp_with_time_zone_null(PublicReports::HandledAt))
                    .col(timestamp_with_time_zone(PublicReports::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_public_reports_county_status")
                    .table(PublicReports::Table)
                    .col(PublicReports::CountyCode)
                    .col(PublicReports::Status)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_public_reports_machine")
                    .table(PublicReports::Table)
                    .col(PublicReports::MachineId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReportPhotos::Table)
                    .if_not_exists()
                    .col(uuid(ReportPhotos::ReportId))
                    .col(integer(ReportPhotos::Position))
                    .col(string_len(ReportPhotos::StorageKey, 200))
                    .col(big_integer(ReportPhotos::SizeBytes))
                    .primary_key(Index::create().col(ReportPhotos::ReportId).col(ReportPhotos::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_photos_report")
                            .from(ReportPhotos::Table, ReportPhotos::ReportId)
                            .to(PublicReports::Table, PublicReports::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ReportPhotos::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(PublicReports::Table).if_exists().to_owned()).await
    }
}
