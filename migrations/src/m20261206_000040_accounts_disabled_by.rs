//! Who disabled an account, with what authority and when: `users.disabled_by` (the account that
//! disabled it), `users.disabled_by_role` (that account's role at the time: the authority a
//! re-enabling must match) and `users.disabled_at`. Set on every disabling, cleared on enabling.
//! Accounts disabled before these columns existed take them from their latest `disable` row of
//! the audit log; one without such a row keeps them empty, which the rule reads as the highest
//! authority (only a system administrator re-enables it).

use crate::m20261128_000002_create_accounts::Users;
use crate::m20261201_000021_audit_log::AuditLog;
use sea_orm::ConnectionTrait;
use sea_orm::prelude::{DateTimeUtc, Uuid};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The new columns of `users`.
#[derive(DeriveIden)]
#[expect(clippy::enum_variant_names, reason = "the columns' own names")]
enum Disabling {
    DisabledBy,
    DisabledByRole,
    DisabledAt,
}

impl Migration {
    /// Fills the new columns of the accounts already disabled, from the audit log.
    async fn backfill(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let inactive = Query::select()
            .column(Users::Id)
            .from(Users::Table)
            .and_where(Expr::col(Users::IsActive).eq(false))
            .and_where(Expr::col(Disabling::DisabledByRole).is_null())
            .to_owned();
        for row in db.query_all(&inactive).await? {
            let id: Uuid = row.try_get("", "id")?;
            let last = Query::select()
                .columns([AuditLog::ActorId, AuditLog::At])
                .from(AuditLog::Table)
                .and_where(Expr::col(AuditLog::EntityKind).eq("account"))
                .and_where(Expr::col(AuditLog::Action).eq("disable"))
                .and_where(Expr::col(AuditLog::EntityId).eq(id.to_string()))
                .order_by(AuditLog::At, Order::Desc)
                .limit(1)
                .to_owned();
            let Some(found) = db.query_one(&last).await? else { continue };
            let actor: Option<Uuid> = found.try_get("", "actor_id")?;
            let at: DateTimeUtc = found.try_get("", "at")?;
            let Some(actor) = actor else { continue };
            let role = Query::select()
                .column(Users::Role)
                .from(Users::Table)
                .and_where(Expr::col(Users::Id).eq(actor))
                .to_owned();
            let Some(role) = db.query_one(&role).await? else { continue };
            let role: String = role.try_get("", "role")?;
            let update = Query::update()
                .table(Users::Table)
                .value(Disabling::DisabledBy, actor)
                .value(Disabling::DisabledByRole, role)
                .value(Disabling::DisabledAt, at)
                .and_where(Expr::col(Users::Id).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let columns = [
            ("disabled_by", uuid_null(Disabling::DisabledBy)),
            ("disabled_by_role", string_len_null(Disabling::DisabledByRole, 32)),
            ("disabled_at", timestamp_with_time_zone_null(Disabling::DisabledAt)),
        ];
        for (name, column) in columns {
            if !manager.has_column("users", name).await? {
                manager.alter_table(Table::alter().table(Users::Table).add_column(column).to_owned()).await?;
            }
        }
        self.backfill(manager.get_connection()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in [
            ("disabled_at", Disabling::DisabledAt),
            ("disabled_by_role", Disabling::DisabledByRole),
            ("disabled_by", Disabling::DisabledBy),
        ] {
            if manager.has_column("users", name).await? {
                manager.alter_table(Table::alter().table(Users::Table).drop_column(column).to_owned()).await?;
            }
        }
        Ok(())
    }
}
