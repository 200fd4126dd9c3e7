//! Browser sessions kept in the database (they survive a restart and are shared by every
//! server instance), behind tower-sessions' `SessionStore`. Rows are keyed by the SHA-256 of
//! the session id, so a copy of the table does not hand out live cookies. Expiry is set and
//! judged by the application clock: every save moves it `idle` past now, but never past
//! `absolute` after the sign-in (the session's `since`, written by `auth::service::start_session`).

use crate::db::entities::session;
use crate::state::Clock;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// The store.
#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    clock: Clock,
    idle: chrono::Duration,
    absolute: chrono::Duration,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    /// A store over `db`: a session expires `idle` after its last save and at the latest
    /// `absolute` after its sign-in, judged by `clock`.
    pub fn new(db: DatabaseConnection, clock: Clock, idle: chrono::Duration, absolute: chrono::Duration) -> Self {
        Self { db, clock, idle, absolute }
    }

    /// When a session saved now expires: `idle` from now, capped at `absolute` after its sign-in.
    fn expiry(&self, record: &Record) -> DateTime<Utc> {
        let idle_end = self.clock.now() + self.idle;
        match super::service::session_since(&record.data) {
            Some(since) => idle_end.min(since + self.absolute),
            None => idle_end,
        }
    }

    fn row(&self, record: &Record) -> Result<session::ActiveModel> {
        let user_id = record.data.get("uid").and_then(|v| v.as_str()).and_then(|s| uuid::Uuid::parse_str(s).ok());
        Ok(session::ActiveModel {
            id: Set(key(&record.id)),
            user_id: Set(user_id),
            data: Set(serde_json::to_string(&record.data).map_err(backend)?),
            // The application clock decides expiry, not the wall clock inside tower-sessions.
            expires_at: Set(self.expiry(record)),
        })
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired(&self) -> std::result::Result<u64, sea_orm::DbErr> {
        let res = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(self.clock.now()))
            .exec(&self.db)
            .await?;
        Ok(res.rows_affected)
    }
}

fn key(id: &Id) -> String {
    super::credentials::digest(&id.to_string())
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn to_time(t: DateTime<Utc>) -> OffsetDateTime {
    // Only informative: the cookie's lifetime comes from the session layer's expiry setting.
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait]
impl tower_sessions::SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A collision of 128-bit random ids is astronomically unlikely; retry a few times anyway.
        for _ in 0..4 {
            match session::Entity::insert(self.row(record)?).exec(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if crate::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(Error::Backend("could not allocate a session id".into()))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        session::Entity::insert(self.row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::UserId, session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let found = session::Entity::find_by_id(key(id))
            .filter(session::Column::ExpiresAt.gt(self.clock.now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(m) = found else { return Ok(None) };
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&m.data).map_err(backend)?;
        Ok(Some(Record { id: *id, data, expiry_date: to_time(m.expires_at) }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        session::Entity::delete_by_id(key(id)).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}
