//! Who a request is: the account behind a session or an API token, read with its division's
//! level and name in one query, and only while it may still act.

use super::cache::CacheKey;
use super::service::{Credential, Principal, SESSION_EPOCH, SESSION_SINCE, SESSION_USER, end_session};
use crate::db::entities::{api_token, division, user};
use crate::divisions::Level;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect, RelationTrait, Select};
use sha2::{Digest, Sha256};
use tower_sessions::Session;
use uuid::Uuid;

/// An account with the level of its division (read in the same query).
#[derive(Debug, FromQueryResult)]
struct Account {
    #[sea_orm(nested)]
    user: user::Model,
    division_level: Option<String>,
    division_name: Option<String>,
}

impl Account {
    fn principal(&self, via: Credential) -> Option<Principal> {
        let division = (self.division_level.as_deref().and_then(Level::parse), self.division_name.clone());
        Principal::from_user(&self.user, division, via)
    }
}

/// An account reached through an API token, with what the token's use record needs.
#[derive(Debug, FromQueryResult)]
struct TokenAccount {
    #[sea_orm(nested)]
    account: Account,
    token_id: Uuid,
    token_last_used_at: Option<DateTime<Utc>>,
    token_expires_at: DateTime<Utc>,
}

/// The users with their division's level and name (a left join: accounts without a division keep
/// `None`).
fn accounts() -> Select<user::Entity> {
    user::Entity::find()
        .column_as(division::Column::Level, "division_level")
        .column_as(division::Column::Name, "division_name")
        .join(JoinType::LeftJoin, user::Relation::Division.def())
}

/// The user a session belongs to, if it still may act (read again at most every
/// [`super::cache::AccountCache::BOUND`]; at once after a change made by this process).
pub async fn principal_for_session(state: &AppState, session: &Session) -> ServiceResult<Option<Principal>> {
    let Some(uid) = session.get::<Uuid>(SESSION_USER).await.map_err(ServiceError::internal)? else {
        return Ok(None);
    };
    let epoch = session.get::<i32>(SESSION_EPOCH).await.map_err(ServiceError::internal)?;
    // The absolute lifetime (the store also caps the stored expiry at it).
    let since = session.get::<i64>(SESSION_SINCE).await.map_err(ServiceError::internal)?;
    let fresh = since
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .is_some_and(|s| state.clock.now() < s + state.settings.session_absolute);
    if !fresh {
        end_session(session).await?;
        return Ok(None);
    }
    let now = state.clock.now();
    let key = epoch.map(|e| CacheKey::Session(uid, e));
    if let Some(p) = key.as_ref().and_then(|k| state.accounts.get(k, now)) {
        return Ok(Some(p));
    }
    let ticket = state.accounts.ticket();
    let found = accounts().filter(user::Column::Id.eq(uid)).into_model::<Account>().one(&state.db).await?;
    match found {
        Some(a) if a.user.is_active && epoch == Some(a.user.session_epoch) => {
            let principal = a.principal(Credential::Session);
            if let (Some(key), Some(p)) = (key, &principal) {
                state.accounts.put(ticket, key, p.clone(), now, None);
            }
            Ok(principal)
        }
        _ => {
            end_session(session).await?;
            Ok(None)
        }
    }
}

/// SHA-256 of a secret, hex-encoded: how tokens and session ids are stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The user an API token belongs to, if the token is valid and the user active (one query, at
/// most every [`super::cache::AccountCache::BOUND`]; at once after a change made by this
/// process).
pub async fn principal_for_token(state: &AppState, token: &str) -> ServiceResult<Option<Principal>> {
    let now = state.clock.now();
    let hash = digest(token);
    let key = CacheKey::Token(hash.clone());
    if let Some(p) = state.accounts.get(&key, now) {
        return Ok(Some(p));
    }
    let ticket = state.accounts.ticket();
    let Some(found) = accounts()
        .column_as(api_token::Column::Id, "token_id")
        .column_as(api_token::Column::LastUsedAt, "token_last_used_at")
        .column_as(api_token::Column::ExpiresAt, "token_expires_at")
        .join(JoinType::InnerJoin, api_token::Relation::User.def().rev())
        .filter(api_token::Column::TokenHash.eq(hash.as_str()))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(api_token::Column::ExpiresAt.gt(now))
        .into_model::<TokenAccount>()
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if !found.account.user.is_active {
        return Ok(None);
    }
    // Record use at most every five minutes: no write on every request.
    if found.token_last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(5)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(api_token::Column::Id.eq(found.token_id))
            .exec(&state.db)
            .await?;
    }
    let principal = found.account.principal(Credential::Token);
    if let Some(p) = &principal {
        state.accounts.put(ticket, key, p.clone(), now, Some(found.token_expires_at));
    }
    Ok(principal)
}
