//! Amendments of a registered machine's facts: asked by the unit, decided by the county that
//! issued the registration code. `pending_machine_id` holds the machine's id while the amendment
//! is pending and is cleared when it is decided or withdrawn; its unique index (NULLs never
//! collide, on SQLite and PostgreSQL alike) keeps one pending amendment per machine, even when
//! two are submitted at once.

use crate::m20261128_000002_create_accounts::{Organizations, Users};
use crate::m20261128_000003_create_registry::Machines;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Amendments {
    Table,
    Id,
    MachineId,
    /// The unit that asked (the owner when it was submitted).
    OrganizationId,
    /// The issuing county: the first six digits of the registration code.
    CountyCode,
    /// `pending`, `accepted`, `returned`, `withdrawn`.
    Status,
    /// JSON list of `{field, old, new}`: the facts it changes.
    Changes,
    Reason,
    /// The machine's version when it was submitted.
    MachineVersion,
    PendingMachineId,
    SubmittedBy,
    SubmittedAt,
    ReviewedBy,
    ReviewedAt,
    ReturnReason,
    WithdrawnBy,
    WithdrawnAt,
    CreatedAt,
    UpdatedAt,
}

fn index(name: &str, cols: Vec<Amendments>, unique: bool) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(Amendments::Table);
    for c in cols {
        idx.col(c);
    }
    if unique {
        idx.unique();
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Amendments::Table)
                    .if_not_exists()
                    .col(pk_uuid(Amendments::Id))
                    .col(uuid(Amendments::MachineId))
                    .col(uuid(Amendments::OrganizationId))
                    .col(string_len(Amendments::CountyCode, 6))
                    .col(string_len(Amendments::Status, 16))
                    .col(text(Amendments::Changes))
                    .col(text(Amendments::Reason))
                    .col(integer(Amendments::MachineVersion))
                    .col(uuid_null(Amendments::PendingMachineId))
                    .col(uuid(Amendments::SubmittedBy))
                    .col(timestamp_with_time_zone(Amendments::SubmittedAt))
                    .col(uuid_null(Amendments::ReviewedBy))
                    .col(timestamp_with_time_zone_null(Amendments::ReviewedAt))
                    .col(text_null(Amendments::ReturnReason))
                    .col(uuid_null(Amendments::WithdrawnBy))
                    .col(timestamp_with_time_zone_null(Amendments::WithdrawnAt))
                    .col(timestamp_with_time_zone(Amendments::CreatedAt))
                    .col(timestamp_with_time_zone(Amendments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Amendments::Table, Amendments::MachineId)
                            .to(Machines::Table, Machines::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Amendments::Table, Amendments::OrganizationId)
                            .to(Organizations::Table, Organizations::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Amendments::Table, Amendments::SubmittedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idx_amendments_pending_machine", vec![Amendments::PendingMachineId], true)).await?;
        manager
            .create_index(index("idx_amendments_machine", vec![Amendments::MachineId, Amendments::Id], false))
            .await?;
        manager
            .create_index(index(
                "idx_amendments_county_status",
                vec![Amendments::CountyCode, Amendments::Status, Amendments::Id],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "idx_amendments_organization_status",
                vec![Amendments::OrganizationId, Amendments::Status, Amendments::Id],
                false,
            ))
            .await
    }
}
