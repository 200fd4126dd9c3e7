//! Who a credential belongs to, remembered for a moment so that a burst of requests with the
//! same API token or session does not read the same account row each time.
//!
//! The revocation guarantee: a change made by this process (a token revoked, an account
//! disabled, its role or password changed) is seen by the next request, because every such
//! change forgets the account here once it has committed, and an answer read from the
//! database while a change was being made is never remembered. A change made elsewhere (another
//! server on the same PostgreSQL database, or by hand in the database) is seen within
//! [`AccountCache::BOUND`], after which the account is read again.

use super::service::Principal;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use uuid::Uuid;

/// What a principal was found by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// An API token, by its digest (never the token itself).
    Token(String),
    /// A session's user and the session epoch it carries.
    Session(Uuid, i32),
}

#[derive(Debug, Clone)]
struct Entry {
    principal: Principal,
    checked_at: DateTime<Utc>,
    /// When the credential itself stops being valid (an API token's expiry).
    valid_until: Option<DateTime<Utc>>,
}

/// A ticket taken before reading an account: the answer may be remembered only if nothing was
/// forgotten meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket(u64);

/// The remembered principals (see the module's documentation).
#[derive(Debug, Default)]
pub struct AccountCache {
    entries: Mutex<HashMap<CacheKey, Entry>>,
    /// Bumped by every forget: a read that began before it is not remembered.
    generation: AtomicU64,
}

impl AccountCache {
    /// How long a remembered principal is used before its account is read again: the bound on
    /// how late a change made outside this process is seen.
    pub const BOUND: chrono::Duration = chrono::Duration::seconds(2);
    /// At most this many credentials are remembered (beyond it, the stale ones are dropped,
    /// and if none is stale, all).
    const CAPACITY: usize = 10_000;

    /// The principal remembered for `key`, if it was read less than [`Self::BOUND`] ago.
    pub fn get(&self, key: &CacheKey, now: DateTime<Utc>) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(key)?;
        let fresh = now >= e.checked_at && now - e.checked_at < Self::BOUND;
        (fresh && e.valid_until.is_none_or(|v| now < v)).then(|| e.principal.clone())
    }

    /// Taken before reading the account behind a credential.
    pub fn ticket(&self) -> ReadTicket {
        ReadTicket(self.generation.load(Ordering::Acquire))
    }

    /// Remembers what a read found, unless an account was forgotten since its ticket.
    pub fn put(
        &self,
        ticket: ReadTicket,
        key: CacheKey,
        principal: Principal,
        now: DateTime<Utc>,
        valid_until: Option<DateTime<Utc>>,
    ) {
        let Ok(mut entries) = self.entries.lock() else { return };
        // Checked under the lock that `forget_user` also takes, after bumping the generation.
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= Self::CAPACITY {
            entries.retain(|_, e| now >= e.checked_at && now - e.checked_at < Self::BOUND);
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key, Entry { principal, checked_at: now, valid_until });
    }

    /// Forgets every credential of `user` (after a change to the account or its tokens has
    /// committed).
    fn forget_user(&self, user: Uuid) {
        let Ok(mut entries) = self.entries.lock() else { return };
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|_, e| e.principal.user_id != user);
    }

    /// Commits a change to `user`'s account or tokens and forgets the account: the one way such
    /// a change ends, so none can be committed and still be answered from memory.
    pub async fn commit_forgetting(&self, txn: sea_orm::DatabaseTransaction, user: Uuid) -> Result<(), sea_orm::DbErr> {
        // Forgotten whatever the commit answers: a commit whose answer was lost may still have
        // happened, and forgetting costs only a look-up.
        let committed = txn.commit().await;
        self.forget_user(user);
        committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;
    use crate::auth::service::Credential;

    fn principal(user: Uuid) -> Principal {
        Principal {
            user_id: user,
            username: "u".into(),
            display_name: "U".into(),
            role: Role::CountyInspector,
            organization_id: None,
            division_code: Some("140105".into()),
            division_level: None,
            division_name: None,
            via: Credential::Token,
            session_epoch: 0,
        }
    }

    #[test]
    fn a_principal_is_remembered_for_the_bound_and_no_longer() {
        let cache = AccountCache::default();
        let (user, now) = (Uuid::new_v4(), Utc::now());
        let key = CacheKey::Token("d".into());
        cache.put(cache.ticket(), key.clone(), principal(user), now, None);
        assert!(cache.get(&key, now + chrono::Duration::milliseconds(1999)).is_some());
        assert!(cache.get(&key, now + AccountCache::BOUND).is_none());
        // A clock moved back is not trusted either.
        assert!(cache.get(&key, now - chrono::Duration::seconds(1)).is_none());
    }

    #[test]
    fn an_expired_token_is_not_answered_from_memory() {
        let cache = AccountCache::default();
        let now = Utc::now();
        let key = CacheKey::Token("d".into());
        cache.put(
            cache.ticket(),
            key.clone(),
            principal(Uuid::new_v4()),
            now,
            Some(now + chrono::Duration::seconds(1)),
        );
        assert!(cache.get(&key, now).is_some());
        assert!(cache.get(&key, now + chrono::Duration::seconds(1)).is_none());
    }

    #[test]
    fn forgetting_a_user_drops_its_credentials_and_reads_begun_before() {
        let cache = AccountCache::default();
        let (user, other, now) = (Uuid::new_v4(), Uuid::new_v4(), Utc::now());
        let (token, session, theirs) =
            (CacheKey::Token("a".into()), CacheKey::Session(user, 1), CacheKey::Token("b".into()));
        cache.put(cache.ticket(), token.clone(), principal(user), now, None);
        cache.put(cache.ticket(), session.clone(), principal(user), now, None);
        cache.put(cache.ticket(), theirs.clone(), principal(other), now, None);
        let before = cache.ticket();
        cache.forget_user(user);
        assert!(cache.get(&token, now).is_none() && cache.get(&session, now).is_none());
        assert!(cache.get(&theirs, now).is_some());
        // A read that began before the change may have seen the old account: not remembered.
        cache.put(before, token.clone(), principal(user), now, None);
        assert!(cache.get(&token, now).is_none());
        cache.put(cache.ticket(), token.clone(), principal(user), now, None);
        assert!(cache.get(&token, now).is_some());
    }
}
