//! `filing_machines(machine_id)` had two identical indexes: `idx_filing_machines_machine`
//! (made with the table) and `idx_filing_machines_machine_id` (added later for exports under
//! another name, so `IF NOT EXISTS` did not see the first). Every insert into the table wrote
//! both. The later one goes; the first serves every query by machine.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FilingMachines {
    Table,
    MachineId,
}

const DUPLICATE: &str = "idx_filing_machines_machine_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().if_exists().name(DUPLICATE).table(FilingMachines::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name(DUPLICATE)
                    .table(FilingMachines::Table)
                    .col(FilingMachines::MachineId)
                    .to_owned(),
            )
            .await
    }
}
