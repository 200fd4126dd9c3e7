//! The audit log (`audit_log`): one row per create, update, delete, review, case transition,
//! sign-in and failed sign-in, written by the service layer inside the transaction of the change.
//! The table is append-only: triggers refuse every UPDATE and DELETE (and on PostgreSQL TRUNCATE),
//! whoever sends them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    ActorUsername,
    Ip,
    RequestId,
    Action,
    EntityKind,
    EntityId,
    DivisionCode,
    /// JSON text, or NULL.
    Before,
    /// JSON text, or NULL.
    After,
}

fn index(name: &str, cols: Vec<AuditLog>) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.if_not_exists().name(name).table(AuditLog::Table);
    for c in cols {
        idx.col(c);
    }
    idx.to_owned()
}

/// PostgreSQL: one function raising an exception, fired before any row change or truncate.
const POSTGRES_TRIGGERS: [&str; 5] = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$",
    "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log \
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
];

/// SQLite (which has no TRUNCATE; `DELETE FROM` without a WHERE fires the delete trigger).
const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(pk_uuid(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string_len_null(AuditLog::ActorUsername, 64))
                    .col(string_len_null(AuditLog::Ip, 64))
                    .col(string_len_null(AuditLog::RequestId, 64))
                    .col(string_len(AuditLog::Action, 32))
                    .col(string_len(AuditLog::EntityKind, 32))
                    .col(string_len_null(AuditLog::EntityId, 64))
                    .col(string_len_null(AuditLog::DivisionCode, 12))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_audit_log_division", vec![AuditLog::DivisionCode, AuditLog::Id]),
            ("idx_audit_log_actor", vec![AuditLog::ActorId, AuditLog::Id]),
            ("idx_audit_log_entity", vec![AuditLog::EntityKind, AuditLog::EntityId]),
            ("idx_audit_log_at", vec![AuditLog::At]),
        ] {
            manager.create_index(index(name, cols)).await?;
        }
        let db = manager.get_connection();
        let statements: &[&str] = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
