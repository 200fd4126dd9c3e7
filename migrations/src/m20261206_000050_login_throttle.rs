//! Sign-in throttling by counters: `login_throttle` holds one row per key (an account at an
//! address, an account, an address trying unknown names) with the start of its window and its
//! failures, updated by one atomic upsert. It replaces `login_attempts`, which kept a row per
//! attempt that anonymous traffic could grow without bound.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    WindowStartedAt,
    Failures,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .if_not_exists()
                    .col(string_len(LoginThrottle::Key, 200).primary_key())
                    .col(timestamp_with_time_zone(LoginThrottle::WindowStartedAt))
                    .col(big_integer(LoginThrottle::Failures))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_login_throttle_window")
                    .table(LoginThrottle::Table)
                    .col(LoginThrottle::WindowStartedAt)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(LoginAttempts::Table).if_exists().to_owned()).await
    }
}
