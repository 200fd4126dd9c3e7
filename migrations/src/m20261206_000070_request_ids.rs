//! One tap, one record: `request_ids` remembers, per account, each client-generated request id
//! a creating request carried, the operation and the record it created. A request repeating an
//! id (a double tap, a retry after a lost answer) gets that record back and creates nothing.

use crate::m20261128_000002_create_accounts::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestIds {
    Table,
    UserId,
    RequestId,
    Operation,
    SubjectId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RequestIds::Table)
                    .if_not_exists()
                    .col(uuid(RequestIds::UserId))
                    .col(uuid(RequestIds::RequestId))
                    .col(string_len(RequestIds::Operation, 40))
                    .col(uuid(RequestIds::SubjectId))
                    .col(timestamp_with_time_zone(RequestIds::CreatedAt))
                    .primary_key(Index::create().col(RequestIds::UserId).col(RequestIds::RequestId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_request_ids_user")
                            .from(RequestIds::Table, RequestIds::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RequestIds::Table).if_exists().to_owned()).await
    }
}
