//! `watch_entries`: machines an official put on the watch list by hand, with the reason and the
//! last day it holds. An entry is ended (never deleted) by an inspector of its county, so what
//! the county relied on stays readable; the other reasons a machine is watched (a failed
//! inspection not passed since, an unresolved case, a machine found unregistered) are derived
//! from inspections and cases, not stored here.

use crate::m20261128_000002_create_accounts::Users;
use crate::m20261128_000003_create_registry::Machines;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WatchEntries {
    Table,
    Id,
    MachineId,
    CountyCode,
    Reason,
    EndsOn,
    CreatedBy,
    CreatedAt,
    EndedBy,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WatchEntries::Table)
                    .if_not_exists()
                    .col(uuid(WatchEntries::Id).primary_key())
                    .col(uuid(WatchEntries::MachineId))
                    .col(string_len(WatchEntries::CountyCode, 12))
                    .col(string_len(WatchEntries::Reason, 500))
                    .col(date(WatchEntries::EndsOn))
                    .col(uuid(WatchEntries::CreatedBy))
                    .col(timestamp_with_time_zone(WatchEntries::CreatedAt))
                    .col(uuid_null(WatchEntries::EndedBy))
                    .col(timestamp_with_time_zone_null(WatchEntries::EndedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_watch_entries_machine")
                            .from(WatchEntries::Table, WatchEntries::MachineId)
                            .to(Machines::Table, Machines::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_watch_entries_created_by")
                            .from(WatchEntries::Table, WatchEntries::CreatedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_watch_entries_ended_by")
                            .from(WatchEntries::Table, WatchEntries::EndedBy)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_watch_entries_machine")
                    .table(WatchEntries::Table)
                    .col(WatchEntries::MachineId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WatchEntries::Table).if_exists().to_owned()).await
    }
}
