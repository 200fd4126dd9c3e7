//! API tokens get a lifetime: `expires_at`. Tokens issued before lifetimes existed live for 90
//! days from this migration (the default lifetime of a new token).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.has_column("api_tokens", "expires_at").await? {
            return Ok(());
        }
        // Nullable in the schema (SQLite cannot add a NOT NULL column without a constant
        // default); every row is filled here and every new token sets it.
        manager
            .alter_table(
                Table::alter()
                    .table(ApiTokens::Table)
                    .add_column(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        let until = chrono::Utc::now() + chrono::Duration::days(90);
        let stmt = Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::ExpiresAt, until)
            .and_where(Expr::col(ApiTokens::ExpiresAt).is_null())
            .to_owned();
        manager.exec_stmt(stmt).await
    }
}
