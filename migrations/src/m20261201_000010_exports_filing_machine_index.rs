//! An index of filed machines by machine: officials see a machine when a non-draft filing in
//! their counties carries it, a check made for each machine listed or exported (see
//! `app::machines::service::scope_condition`), which must not scan every filing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FilingMachines {
    Table,
    MachineId,
}

const NAME: &str = "idx_filing_machines_machine_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name(NAME)
                    .table(FilingMachines::Table)
                    .col(FilingMachines::MachineId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().if_exists().name(NAME).table(FilingMachines::Table).to_owned()).await
    }
}
