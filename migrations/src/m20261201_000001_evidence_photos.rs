//! Evidence: photos taken at an inspection (of the machine, its plate, the smoke, an
//! unregistered machine) and photos a construction unit or an inspector attaches to a case
//! (rectification evidence), one table for both, told apart by `subject_kind`. Also the zone
//! exemption an inspection was judged under (e.g. emergency rescue work).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EvidencePhotos {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    Note,
    ContentType,
    OriginalKey,
    WebKey,
    SizeBytes,
    Width,
    Height,
    UploadedBy,
    UploaderRole,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    ZoneExemption,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EvidencePhotos::Table)
                    .if_not_exists()
                    .col(pk_uuid(EvidencePhotos::Id))
                    .col(string_len(EvidencePhotos::SubjectKind, 16))
                    .col(uuid(EvidencePhotos::SubjectId))
                    .col(text_null(EvidencePhotos::Note))
                    .col(string_len(EvidencePhotos::ContentType, 32))
                    .col(text(EvidencePhotos::OriginalKey))
                    .col(text(EvidencePhotos::WebKey))
                    .col(big_integer(EvidencePhotos::SizeBytes))
                    .col(integer(EvidencePhotos::Width))
                    .col(integer(EvidencePhotos::Height))
                    .col(uuid(EvidencePhotos::UploadedBy))
                    .col(string_len(EvidencePhotos::UploaderRole, 32))
                    .col(timestamp_with_time_zone(EvidencePhotos::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_evidence_photos_subject")
                    .table(EvidencePhotos::Table)
                    .col(EvidencePhotos::SubjectKind)
                    .col(EvidencePhotos::SubjectId)
                    .col(EvidencePhotos::CreatedAt)
                    .to_owned(),
            )
            .await?;
        if !manager.has_column("inspections", "zone_exemption").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(Inspections::Table)
                        .add_column(string_len_null(Inspections::ZoneExemption, 40))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
