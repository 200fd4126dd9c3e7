//! Browser sessions kept in the database (they survive a restart and are shared by every
//! server instance), behind tower-sessions' `SessionStore`. Rows are keyed by the SHA-256 of
//! the session id, so a copy of the table does not hand out live cookies. Expiry is set and
//! judged by the application clock: every save moves it `idle` past now, but never past
//! `absolute` after the sign-in (the session's `since`, written by `auth::service::start_session`).
//!
//! A save only updates a stored session: one deleted while a request was running (signed out
//! elsewhere, its account disabled) is not written back by that request.
//!
//! The session layer saves the session after every request (that is how idle expiry moves
//! forward), but a save that changes nothing but the expiry, by less than [`REFRESH`], is not
//! written: a page view would otherwise be a write (and on SQLite an `fsync`, one at a time).
//! So a session left alone ends `idle` after the last request that moved it, at most
//! [`REFRESH`] earlier than `idle` after the very last request.

use crate::db::entities::session;
use crate::state::Clock;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// How far a save must move a session's expiry before it is written (when its data is the same;
/// half the idle time instead when that is shorter).
pub const REFRESH: chrono::Duration = chrono::Duration::seconds(60);

/// Sessions remembered as last read or written (beyond this, the memory starts again).
const REMEMBERED: usize = 10_000;

/// A session as this process last read or wrote it: its data and stored expiry.
type Seen = (HashMap<String, serde_json::Value>, DateTime<Utc>);

/// The store.
#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    clock: Clock,
    idle: chrono::Duration,
    absolute: chrono::Duration,
    /// [`REFRESH`], or half of `idle` when that is shorter (a session in use never lapses).
    refresh: chrono::Duration,
    seen: Arc<Mutex<HashMap<String, Seen>>>,
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
        let refresh = REFRESH.min(idle / 2);
        Self { db, clock, idle, absolute, refresh, seen: Default::default() }
    }

    /// Whether saving `record` now would change only its expiry, by less than `refresh`,
    /// against what this process last read or wrote (a load precedes every save that matters).
    fn unchanged(&self, key: &str, record: &Record, expires_at: DateTime<Utc>) -> bool {
        let Ok(seen) = self.seen.lock() else { return false };
        seen.get(key).is_some_and(|(data, stored)| *data == record.data && expires_at - *stored < self.refresh)
    }

    fn remember(&self, key: String, data: HashMap<String, serde_json::Value>, expires_at: DateTime<Utc>) {
        let Ok(mut seen) = self.seen.lock() else { return };
        if seen.len() >= REMEMBERED && !seen.contains_key(&key) {
            seen.clear();
        }
        seen.insert(key, (data, expires_at));
    }

    fn forget(&self, key: &str) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(key);
        }
    }

    /// When a session saved now expires: `idle` from now, capped at `absolute` after its sign-in.
    fn expiry(&self, record: &Record) -> DateTime<Utc> {
        let idle_end = self.clock.now() + self.idle;
        match super::service::session_since(&record.data) {
            Some(since) => idle_end.min(since + self.absolute),
            None => idle_end,
        }
    }

    /// The row of `record`, stored under `id` (its key) to expire at `expires_at`.
    fn row(record: &Record, id: String, expires_at: DateTime<Utc>) -> Result<session::ActiveModel> {
        let user_id = record.data.get("uid").and_then(|v| v.as_str()).and_then(|s| uuid::Uuid::parse_str(s).ok());
        Ok(session::ActiveModel {
            id: Set(id),
            user_id: Set(user_id),
            data: Set(serde_json::to_string(&record.data).map_err(backend)?),
            expires_at: Set(expires_at),
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
            let (k, expires_at) = (key(&record.id), self.expiry(record));
            match session::Entity::insert(Self::row(record, k.clone(), expires_at)?).exec(&self.db).await {
                Ok(_) => {
                    self.remember(k, record.data.clone(), expires_at);
                    return Ok(());
                }
                Err(e) if crate::db::is_unique_violation(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(Error::Backend("could not allocate a session id".into()))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        // The application clock decides expiry, not the wall clock inside tower-sessions.
        let (k, expires_at) = (key(&record.id), self.expiry(record));
        if self.unchanged(&k, record, expires_at) {
            return Ok(());
        }
        // An update, never an insert: a session deleted while this request ran (signed out
        // elsewhere, its account disabled, pruned as expired) stays deleted. New sessions and
        // new ids go through `create`.
        let row = Self::row(record, k.clone(), expires_at)?;
        let updated = session::Entity::update_many()
            .set(session::ActiveModel { id: sea_orm::ActiveValue::NotSet, ..row })
            .filter(session::Column::Id.eq(k.as_str()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        if updated.rows_affected == 0 {
            self.forget(&k);
            return Ok(());
        }
        self.remember(k, record.data.clone(), expires_at);
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
        self.remember(m.id, data.clone(), m.expires_at);
        Ok(Some(Record { id: *id, data, expiry_date: to_time(m.expires_at) }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let k = key(id);
        self.forget(&k);
        session::Entity::delete_by_id(k).exec(&self.db).await.map_err(backend)?;
        Ok(())
    }
}
