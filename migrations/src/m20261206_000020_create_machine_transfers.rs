//! Ownership transfers of registered machines between construction units (`machine_transfers`),
//! the permissions a county records for a transfer of a machine with an unresolved case there
//! (`transfer_permissions`), and the day a machine left a filing of its former owner
//! (`filing_machines.left_on`: the filing covers that machine only on the days before it).
//! A machine has at most one pending transfer (a partial unique index).

use crate::m20261128_000002_create_accounts::{Organizations, Users};
use crate::m20261128_000003_create_registry::Machines;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MachineTransfers {
    Table,
    Id,
    MachineId,
    /// The machine's name when the transfer started (what both sides agreed on; a later rename
    /// by the new owner is not shown to the seller).
    MachineName,
    /// The owner that started it (the seller or lessor).
    FromOrganizationId,
    /// The unit named by its credit code (the buyer or lessee).
    ToOrganizationId,
    /// The county that issued the machine's registration code (its first six digits).
    CountyCode,
    /// The handover day the seller named (China date); accepted on or after it.
    TransferOn,
    Note,
    /// `pending`, `accepted`, `declined`, `cancelled`.
    Status,
    /// Why the buyer declined.
    DeclineReason,
    StartedBy,
    DecidedBy,
    DecidedAt,
    /// The China day of acceptance: the new owner's first day, the seller's filings' end.
    EffectiveOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TransferPermissions {
    Table,
    TransferId,
    /// The county of the unresolved case(s) whose inspector allowed the transfer.
    CountyCode,
    Reason,
    AllowedBy,
    AllowedAt,
}

#[derive(DeriveIden)]
enum FilingMachines {
    Table,
    LeftOn,
    /// The instant the machine left (the transfer's acceptance): an entry recorded for an earlier
    /// time that day is still allowed.
    LeftAt,
}

fn fk(from: (impl IntoTableRef, impl IntoIden), to: (impl IntoTableRef, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}

fn index(name: &str, cols: [MachineTransfers; 2]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(MachineTransfers::Table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use MachineTransfers as T;
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .if_not_exists()
                    .col(pk_uuid(T::Id))
                    .col(uuid(T::MachineId))
                    .col(string_len(T::MachineName, 100))
                    .col(uuid(T::FromOrganizationId))
                    .col(uuid(T::ToOrganizationId))
                    .col(string_len(T::CountyCode, 6))
                    .col(date(T::TransferOn))
                    .col(text_null(T::Note))
                    .col(string_len(T::Status, 16))
                    .col(text_null(T::DeclineReason))
                    .col(uuid(T::StartedBy))
                    .col(uuid_null(T::DecidedBy))
                    .col(timestamp_with_time_zone_null(T::DecidedAt))
                    .col(date_null(T::EffectiveOn))
                    .col(timestamp_with_time_zone(T::CreatedAt))
                    .col(timestamp_with_time_zone(T::UpdatedAt))
                    .foreign_key(&mut fk((T::Table, T::MachineId), (Machines::Table, Machines::Id)))
                    .foreign_key(&mut fk((T::Table, T::FromOrganizationId), (Organizations::Table, Organizations::Id)))
                    .foreign_key(&mut fk((T::Table, T::ToOrganizationId), (Organizations::Table, Organizations::Id)))
                    .foreign_key(&mut fk((T::Table, T::StartedBy), (Users::Table, Users::Id)))
                    .foreign_key(&mut fk((T::Table, T::DecidedBy), (Users::Table, Users::Id)))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_transfers_machine", [T::MachineId, T::Id]),
            ("idx_transfers_from", [T::FromOrganizationId, T::Id]),
            ("idx_transfers_to", [T::ToOrganizationId, T::Id]),
            ("idx_transfers_county", [T::CountyCode, T::Id]),
        ] {
            manager.create_index(index(name, cols)).await?;
        }
        // One pending transfer per machine, whoever starts it at the same moment.
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("uq_transfers_pending_machine")
                    .table(T::Table)
                    .col(T::MachineId)
                    .unique()
                    .and_where(Expr::col(T::Status).eq("pending"))
                    .to_owned(),
            )
            .await?;

        use TransferPermissions as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .if_not_exists()
                    .col(uuid(P::TransferId))
                    .col(string_len(P::CountyCode, 6))
                    .col(text(P::Reason))
                    .col(uuid(P::AllowedBy))
                    .col(timestamp_with_time_zone(P::AllowedAt))
                    .primary_key(Index::create().col(P::TransferId).col(P::CountyCode))
                    .foreign_key(
                        &mut fk((P::Table, P::TransferId), (T::Table, T::Id))
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(&mut fk((P::Table, P::AllowedBy), (Users::Table, Users::Id)))
                    .to_owned(),
            )
            .await?;

        // One column per statement: SQLite adds a single column per ALTER TABLE.
        if !manager.has_column("filing_machines", "left_on").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(FilingMachines::Table)
                        .add_column(date_null(FilingMachines::LeftOn))
                        .to_owned(),
                )
                .await?;
        }
        if !manager.has_column("filing_machines", "left_at").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(FilingMachines::Table)
                        .add_column(timestamp_with_time_zone_null(FilingMachines::LeftAt))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TransferPermissions::Table).if_exists().to_owned()).await?;
        manager.drop_table(Table::drop().table(MachineTransfers::Table).if_exists().to_owned()).await?;
        for (name, col) in [("left_at", FilingMachines::LeftAt), ("left_on", FilingMachines::LeftOn)] {
            if manager.has_column("filing_machines", name).await? {
                manager.alter_table(Table::alter().table(FilingMachines::Table).drop_column(col).to_owned()).await?;
            }
        }
        Ok(())
    }
}
