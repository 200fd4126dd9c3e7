//! Limit tables belong to a division: `limit_tables.division_code` (NULL = national, as every
//! existing table is; a province or a city for a local standard). A version and an effective
//! date are unique per division instead of overall (`COALESCE(division_code, '')` in the unique
//! indexes, so the national tables are held to it too). An inspection names the table it was
//! judged with by id (`inspections.limit_table_id`, filled in for the existing ones from their
//! version, unambiguous until now).
//!
//! SQLite cannot drop a column's UNIQUE constraint, so there the table is rebuilt: new tables for
//! the tables and their rows are filled, the old ones dropped (rows first, so no foreign key is
//! ever broken) and the new ones renamed (SQLite rewrites the rows' reference on the rename).

use crate::m20261128_000001_create_divisions::Divisions;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum LimitTables {
    Table,
    Id,
    Version,
    EffectiveFrom,
    Notes,
    CreatedBy,
    CreatedAt,
    DivisionCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum LimitRows {
    Table,
    Id,
    TableId,
    Position,
    Class,
    PowerMinKw,
    PowerMaxKw,
    KLimit,
    RingelmannMax,
}

#[derive(DeriveIden)]
enum LimitTablesNew {
    Table,
}

#[derive(DeriveIden)]
enum LimitRowsNew {
    Table,
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    LimitTableId,
    LimitTableVersion,
}

/// Version and effective date unique per division (national tables under the empty code).
const UNIQUE_INDEXES: [&str; 2] = [
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_limit_tables_division_version \
     ON limit_tables ((COALESCE(division_code, '')), version)",
    "CREATE UNIQUE INDEX IF NOT EXISTS idx_limit_tables_division_effective \
     ON limit_tables ((COALESCE(division_code, '')), effective_from)",
];

fn division_fk() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(LimitTablesNew::Table, LimitTables::DivisionCode)
        .to(Divisions::Table, Divisions::Code)
        .to_owned()
}

const TABLE_COLUMNS: [LimitTables; 6] = [
    LimitTables::Id,
    LimitTables::Version,
    LimitTables::EffectiveFrom,
    LimitTables::Notes,
    LimitTables::CreatedBy,
    LimitTables::CreatedAt,
];

const ROW_COLUMNS: [LimitRows; 8] = [
    LimitRows::Id,
    LimitRows::TableId,
    LimitRows::Position,
    LimitRows::Class,
    LimitRows::PowerMinKw,
    LimitRows::PowerMaxKw,
    LimitRows::KLimit,
    LimitRows::RingelmannMax,
];

/// SQLite: the tables rebuilt without the overall UNIQUE constraints, with the division column.
async fn rebuild_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LimitTablesNew::Table)
                .col(pk_uuid(LimitTables::Id))
                .col(string_len(LimitTables::Version, 40))
                .col(date(LimitTables::EffectiveFrom))
                .col(text_null(LimitTables::Notes))
                .col(uuid_null(LimitTables::CreatedBy))
                .col(timestamp_with_time_zone(LimitTables::CreatedAt))
                .col(string_len_null(LimitTables::DivisionCode, 6))
                .foreign_key(&mut division_fk())
                .to_owned(),
        )
        .await?;
    let copy = Query::insert()
        .into_table(LimitTablesNew::Table)
        .columns(TABLE_COLUMNS)
        .select_from(Query::select().columns(TABLE_COLUMNS).from(LimitTables::Table).to_owned())
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    manager.exec_stmt(copy).await?;
    manager
        .create_table(
            Table::create()
                .table(LimitRowsNew::Table)
                .col(pk_uuid(LimitRows::Id))
                .col(uuid(LimitRows::TableId))
                .col(integer(LimitRows::Position))
                .col(string_len(LimitRows::Class, 4))
                .col(double_null(LimitRows::PowerMinKw))
                .col(double_null(LimitRows::PowerMaxKw))
                .col(double(LimitRows::KLimit))
                .col(integer(LimitRows::RingelmannMax))
                .foreign_key(
                    ForeignKey::create()
                        .from(LimitRowsNew::Table, LimitRows::TableId)
                        .to(LimitTablesNew::Table, LimitTables::Id),
                )
                .to_owned(),
        )
        .await?;
    let copy = Query::insert()
        .into_table(LimitRowsNew::Table)
        .columns(ROW_COLUMNS)
        .select_from(Query::select().columns(ROW_COLUMNS).from(LimitRows::Table).to_owned())
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    manager.exec_stmt(copy).await?;
    manager.drop_table(Table::drop().table(LimitRows::Table).to_owned()).await?;
    manager.drop_table(Table::drop().table(LimitTables::Table).to_owned()).await?;
    manager.rename_table(Table::rename().table(LimitTablesNew::Table, LimitTables::Table).to_owned()).await?;
    manager.rename_table(Table::rename().table(LimitRowsNew::Table, LimitRows::Table).to_owned()).await?;
    manager
        .create_index(
            Index::create()
                .if_not_exists()
                .name("idx_limit_rows_table")
                .table(LimitRows::Table)
                .col(LimitRows::TableId)
                .col(LimitRows::Position)
                .to_owned(),
        )
        .await
}

/// PostgreSQL: the overall UNIQUE constraints dropped, the division column added.
async fn alter_postgres(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared("ALTER TABLE limit_tables DROP CONSTRAINT IF EXISTS limit_tables_version_key").await?;
    db.execute_unprepared("ALTER TABLE limit_tables DROP CONSTRAINT IF EXISTS limit_tables_effective_from_key").await?;
    if !manager.has_column("limit_tables", "division_code").await? {
        manager
            .alter_table(
                Table::alter()
                    .table(LimitTables::Table)
                    .add_column(string_len_null(LimitTables::DivisionCode, 6))
                    .add_foreign_key(
                        TableForeignKey::new()
                            .from_tbl(LimitTables::Table)
                            .from_col(LimitTables::DivisionCode)
                            .to_tbl(Divisions::Table)
                            .to_col(Divisions::Code),
                    )
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            sea_orm::DbBackend::Sqlite => {
                if !manager.has_column("limit_tables", "division_code").await? {
                    rebuild_sqlite(manager).await?;
                }
            }
            _ => alter_postgres(manager).await?,
        }
        let db = manager.get_connection();
        for sql in UNIQUE_INDEXES {
            db.execute_unprepared(sql).await?;
        }
        if !manager.has_column("inspections", "limit_table_id").await? {
            manager
                .alter_table(
                    Table::alter()
                        .table(Inspections::Table)
                        .add_column(uuid_null(Inspections::LimitTableId))
                        .to_owned(),
                )
                .await?;
        }
        // Until now every table was national and its version unique: the version names it.
        let table_of = Query::select()
            .column((LimitTables::Table, LimitTables::Id))
            .from(LimitTables::Table)
            .and_where(
                Expr::col((LimitTables::Table, LimitTables::Version))
                    .equals((Inspections::Table, Inspections::LimitTableVersion)),
            )
            .and_where(Expr::col((LimitTables::Table, LimitTables::DivisionCode)).is_null())
            .to_owned();
        let backfill = Query::update()
            .table(Inspections::Table)
            .value(Inspections::LimitTableId, Expr::SubQuery(None, Box::new(table_of.into())))
            .and_where(Expr::col(Inspections::LimitTableId).is_null())
            .to_owned();
        manager.exec_stmt(backfill).await?;
        Ok(())
    }
}
