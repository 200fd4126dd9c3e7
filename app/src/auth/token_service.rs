//! API tokens: issued with a lifetime, listed and revoked by their owner, revoked by an
//! administrator whose reach covers the owner. Only a token's SHA-256 is stored.

use super::credentials::digest;
use super::service::Principal;
use super::tokens::{ApiTokenInfo, IssuedToken, TokenRequest, TokenStatus};
use crate::admin::users::Reach;
use crate::audit::{self, Action, EntityKind};
use crate::db::entities::{api_token, user};
use crate::error::AppError;
use crate::paging::Page;
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use uuid::Uuid;

fn info(t: api_token::Model, now: DateTime<Utc>) -> ApiTokenInfo {
    ApiTokenInfo {
        status: TokenStatus::at(now, t.expires_at, t.revoked_at),
        id: t.id,
        name: t.name,
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

/// Issues an API token for the caller, living `expires_in_days` (the configured default when
/// absent). Only the hash is stored; the secret is in the answer, once.
#[tracing::instrument(skip(state, req), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, mut req: TokenRequest) -> ServiceResult<IssuedToken> {
    req.validate().into_result()?;
    let days = req.expires_in_days.unwrap_or(state.settings.token_default_days);
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let token = format!("nrmm_{}", hex::encode(bytes));
    let now = state.clock.now();
    let expires_at = now + chrono::Duration::days(days);
    let txn = state.db.begin().await?;
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(principal.user_id),
        name: Set(req.name),
        token_hash: Set(digest(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let e = audit::entry(Action::Create, EntityKind::ApiToken)
        .by(principal)
        .id(model.id)
        .county(principal.division_code.as_deref())
        .after(&serde_json::json!({"id": model.id, "name": model.name, "user_id": principal.user_id, "expires_at": expires_at}));
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok(IssuedToken { id: model.id, name: model.name, token, created_at: now, expires_at })
}

async fn of_user(db: &impl ConnectionTrait, user_id: Uuid, now: DateTime<Utc>) -> ServiceResult<Page<ApiTokenInfo>> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(Page { items: rows.into_iter().map(|t| info(t, now)).collect(), next_cursor: None })
}

/// The caller's own tokens, newest first (revoked and expired ones included, marked).
pub async fn list_own(state: &AppState, principal: &Principal) -> ServiceResult<Page<ApiTokenInfo>> {
    of_user(&state.db, principal.user_id, state.clock.now()).await
}

/// Revokes a token of `owner` (404 when `owner` has no such token); revoking twice keeps the
/// first revocation.
async fn revoke_of(
    state: &AppState,
    principal: &Principal,
    owner: &user::Model,
    token_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<ApiTokenInfo> {
    let txn = state.db.begin().await?;
    let found = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::UserId.eq(owner.id))
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = info(found.clone(), now);
    if found.revoked_at.is_none() {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
            .filter(api_token::Column::Id.eq(token_id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    let after = info(api_token::Entity::find_by_id(token_id).one(&txn).await?.ok_or(AppError::NotFound)?, now);
    let e = audit::entry(Action::Revoke, EntityKind::ApiToken)
        .by(principal)
        .id(token_id)
        .county(owner.division_code.as_deref())
        .before(&before)
        .after(&after);
    audit::record(&txn, now, e).await?;
    state.accounts.commit_forgetting(txn, owner.id).await?;
    Ok(after)
}

/// Revokes one of the caller's own tokens.
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn revoke_own(state: &AppState, principal: &Principal, token_id: Uuid) -> ServiceResult<ApiTokenInfo> {
    let owner = user::Entity::find_by_id(principal.user_id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    revoke_of(state, principal, &owner, token_id, state.clock.now()).await
}

/// An account the caller administers (404 otherwise; 403 for a role that administers nobody).
async fn administered(state: &AppState, principal: &Principal, user_id: Uuid) -> ServiceResult<user::Model> {
    let reach = Reach::of(&state.db, principal).await?;
    user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .filter(|u| reach.covers(u))
        .ok_or_else(|| AppError::NotFound.into())
}

/// The tokens of an account the caller administers.
pub async fn list_of(state: &AppState, principal: &Principal, user_id: Uuid) -> ServiceResult<Page<ApiTokenInfo>> {
    let owner = administered(state, principal, user_id).await?;
    of_user(&state.db, owner.id, state.clock.now()).await
}

/// Revokes a token of an account the caller administers.
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn revoke_of_user(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    token_id: Uuid,
) -> ServiceResult<ApiTokenInfo> {
    let owner = administered(state, principal, user_id).await?;
    revoke_of(state, principal, &owner, token_id, state.clock.now()).await
}
