//! In-app notifications: one row per recipient, written by the service layer when a filing is
//! reviewed and by the case-deadline sweep. `dedup_key` is unique per user, so a sweep that runs
//! twice (or on two servers at once) notifies once.

use crate::m20261128_000002_create_accounts::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    /// `filing_accepted`, `filing_returned`, `case_deadline_near`, `case_deadline_overdue`.
    Kind,
    /// The filing or case the notification is about.
    SubjectId,
    /// Unique per user: the kind, the subject and (for filings) the reviewed version.
    DedupKey,
    /// JSON object of the facts the message shows (site name, deadline, reason…).
    Params,
    IsRead,
    CreatedAt,
    ReadAt,
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
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 32))
                    .col(uuid(Notifications::SubjectId))
                    .col(string_len(Notifications::DedupKey, 120))
                    .col(text(Notifications::Params))
                    .col(boolean(Notifications::IsRead).default(false))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_notifications_user_dedup")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::DedupKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_notifications_user_read")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::IsRead)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await
    }
}
