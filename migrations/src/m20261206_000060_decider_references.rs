//! Who decided must be an account: `sites.zone_decided_by` and `users.disabled_by` (added as
//! plain columns by earlier migrations) become foreign keys to `users`. A value naming no
//! account (none is written by the portal, which sets them from the signed-in caller) is
//! cleared first. PostgreSQL adds the constraint; SQLite, which cannot add one to an existing
//! column, adds a new column with the reference, copies the values, drops the old column and
//! gives the new one its name.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, constraint name on PostgreSQL).
const DECIDERS: [(&str, &str, &str); 2] =
    [("sites", "zone_decided_by", "fk_sites_zone_decided_by"), ("users", "disabled_by", "fk_users_disabled_by")];

/// Replaces `column` of `table` (a nullable uuid) by one with the same values that references
/// `users(id)` when `reference` holds, or none otherwise (SQLite only).
async fn rebuild_sqlite_column(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    reference: bool,
) -> Result<(), DbErr> {
    let fresh = format!("{column}_next");
    let add =
        Table::alter().table(Alias::new(table)).add_column(uuid_null(Alias::new(&fresh))).to_string(SqliteQueryBuilder);
    let add = if reference { format!(r#"{add} REFERENCES "users" ("id")"#) } else { add };
    db.execute_unprepared(&add).await?;
    db.execute_unprepared(&format!(r#"UPDATE "{table}" SET "{fresh}" = "{column}""#)).await?;
    db.execute_unprepared(&format!(r#"ALTER TABLE "{table}" DROP COLUMN "{column}""#)).await?;
    db.execute_unprepared(&format!(r#"ALTER TABLE "{table}" RENAME COLUMN "{fresh}" TO "{column}""#)).await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column, constraint) in DECIDERS {
            db.execute_unprepared(&format!(
                r#"UPDATE "{table}" SET "{column}" = NULL
                   WHERE "{column}" IS NOT NULL AND "{column}" NOT IN (SELECT "id" FROM "users")"#
            ))
            .await?;
            match db.get_database_backend() {
                DbBackend::Sqlite => rebuild_sqlite_column(db, table, column, true).await?,
                _ => {
                    db.execute_unprepared(&format!(
                        r#"ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}"
                           FOREIGN KEY ("{column}") REFERENCES "users" ("id")"#
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (table, column, constraint) in DECIDERS {
            match db.get_database_backend() {
                DbBackend::Sqlite => rebuild_sqlite_column(db, table, column, false).await?,
                _ => {
                    db.execute_unprepared(&format!(r#"ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}""#)).await?;
                }
            }
        }
        Ok(())
    }
}
