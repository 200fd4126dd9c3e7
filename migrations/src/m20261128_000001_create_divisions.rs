//! Divisions (province → city → county) and the Shanxi reference data.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Divisions {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
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
                    .table(Divisions::Table)
                    .if_not_exists()
                    .col(string_len(Divisions::Code, 6).primary_key())
                    .col(string_len(Divisions::Name, 100))
                    .col(string_len(Divisions::Level, 16))
                    .col(string_len_null(Divisions::ParentCode, 6))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Divisions::Table, Divisions::ParentCode)
                            .to(Divisions::Table, Divisions::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_divisions_parent")
                    .table(Divisions::Table)
                    .col(Divisions::ParentCode)
                    .to_owned(),
            )
            .await?;

        // Parents come before children in the file, so foreign keys hold row by row.
        for row in crate::parse_divisions_csv(crate::SHANXI_DIVISIONS_CSV)? {
            let insert = Query::insert()
                .into_table(Divisions::Table)
                .columns([Divisions::Code, Divisions::Name, Divisions::Level, Divisions::ParentCode])
                .values([row.code.into(), row.name.into(), row.level.into(), row.parent_code.into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(OnConflict::column(Divisions::Code).do_nothing().to_owned())
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        Ok(())
    }
}
