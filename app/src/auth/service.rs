//! Accounts and authentication: sign-in with limits, sessions, API tokens, creating users.

use super::{LoginInput, Me, Role, passwords};
use crate::audit::{self, Action, EntityKind};
use crate::db::entities::{api_token, organization, user};
use crate::divisions::Level;
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use tower_sessions::Session;
use uuid::Uuid;
use validator::Validate;

/// Session keys.
pub(super) const SESSION_USER: &str = "uid";
pub(super) const SESSION_EPOCH: &str = "epoch";
/// When the session was signed in (Unix seconds of the app clock): its absolute lifetime counts from here.
pub(super) const SESSION_SINCE: &str = "since";

/// The sign-in instant recorded in a session's data, if any.
pub fn session_since(data: &std::collections::HashMap<String, serde_json::Value>) -> Option<DateTime<Utc>> {
    data.get(SESSION_SINCE).and_then(|v| v.as_i64()).and_then(|s| DateTime::from_timestamp(s, 0))
}

/// The authenticated caller of a request, resolved once by the server's middleware from the
/// session cookie or the bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<Uuid>,
    pub division_code: Option<String>,
    /// The level of `division_code`, when it was read with the account in this request (then a
    /// county official's scope needs no further query); `None` when not read.
    pub division_level: Option<Level>,
    /// The name of `division_code`, read with the account like its level; `None` when not read.
    pub division_name: Option<String>,
    /// Which credential proved who this is.
    pub via: Credential,
    /// The account's session epoch when this principal was resolved.
    pub session_epoch: i32,
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Session,
    Token,
}

impl Principal {
    /// The principal of an account (`None` for an unknown role); `division_level` is the level of
    /// its division when it was read with the account.
    pub fn from_user(
        u: &user::Model,
        (division_level, division_name): (Option<Level>, Option<String>),
        via: Credential,
    ) -> Option<Self> {
        Some(Principal {
            user_id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            organization_id: u.organization_id,
            division_code: u.division_code.clone(),
            division_level,
            division_name,
            via,
            session_epoch: u.session_epoch,
        })
    }

    /// The wire view of this user.
    pub fn me(&self) -> Me {
        Me {
            id: self.user_id,
            username: self.username.clone(),
            role: self.role,
            organization_id: self.organization_id,
            division_code: self.division_code.clone(),
            division_name: self.division_name.clone(),
            display_name: self.display_name.clone(),
        }
    }

    /// [`Principal::me`] with its division's name: the one read with the account (no query), or
    /// one read when the principal was made without it.
    pub async fn me_named(&self, db: &impl sea_orm::ConnectionTrait) -> ServiceResult<Me> {
        let mut me = self.me();
        if let (Some(code), None) = (&self.division_code, &me.division_name) {
            me.division_name = crate::divisions::service::get(db, code).await?.map(|d| d.name);
        }
        Ok(me)
    }

    /// The caller's organisation, for a construction unit's actions (403 for other roles).
    pub fn contractor_org(&self) -> ServiceResult<Uuid> {
        self.require(&super::permissions::CONTRACTORS)?;
        self.organization_id.ok_or_else(|| AppError::Forbidden.into())
    }

    /// Refuses unless the caller has one of `roles` (403).
    pub fn require(&self, roles: &[Role]) -> ServiceResult<()> {
        if roles.contains(&self.role) { Ok(()) } else { Err(AppError::Forbidden.into()) }
    }
}

/// The failed sign-ins of one account within the throttle's window that still write their own
/// audit row; beyond it only the refusals do (once per account and address a window), so
/// anonymous traffic cannot grow the append-only log without bound.
const AUDITED_FAILURES_PER_ACCOUNT: i64 = 20;

/// Checks a user name and password under the sign-in throttle ([`super::throttle`]) and records
/// the outcome.
///
/// The attempt is counted before the password is checked (so parallel attempts cannot all pass
/// the limit): per account and address (refused beyond the limit), per account from anywhere (a
/// growing delay, never a refusal) and, for user names that do not exist, per address.
#[tracing::instrument(skip(state, input), fields(username = %input.username))]
pub async fn authenticate(state: &AppState, input: &LoginInput, ip: &str) -> ServiceResult<Principal> {
    use super::throttle;
    input.validate().map_err(|e| AppError::Validation { fields: e.into() })?;
    let username = super::normalize_username(&input.username);
    let now = state.clock.now();
    let policy = state.settings.login;

    let found = user::Entity::find().filter(user::Column::Username.eq(username.clone())).one(&state.db).await?;
    let pair = throttle::pair_key(&username, ip);
    let account = throttle::account_key(&username);
    let (refused_by, account_failures) = match &found {
        Some(_) => {
            let tries = throttle::bump(&state.db, &pair, now, policy.window).await?;
            if tries > policy.pair_max {
                (Some((pair.clone(), tries == policy.pair_max + 1)), 0)
            } else {
                (None, throttle::bump(&state.db, &account, now, policy.window).await?)
            }
        }
        None => {
            let key = throttle::unknown_key(ip);
            let tries = throttle::bump(&state.db, &key, now, policy.window).await?;
            ((tries > policy.unknown_max_per_address).then_some((key, false)), 0)
        }
    };
    if let Some((key, first_refusal)) = refused_by {
        if first_refusal {
            let e = audit::entry(Action::SignInFailed, EntityKind::Account)
                .after(&serde_json::json!({"username": username, "reason": "rate_limited"}));
            audit::record(&state.db, now, e).await?;
        }
        tracing::warn!(username = %username, "sign-in refused by the throttle");
        let retry_after_secs = throttle::retry_after(&state.db, &key, now, policy.window).await?;
        return Err(AppError::RateLimited { retry_after_secs }.into());
    }
    // The account's earlier failures in the window (this attempt is already counted).
    let delay = throttle::delay_for(&policy, account_failures - 1);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let stored = match &found {
        Some(u) => u.password_hash.clone(),
        None => passwords::dummy_hash(&state.hashing).await?,
    };
    let matches = passwords::verify(&state.hashing, stored, input.password.clone()).await?;
    let principal = found
        .as_ref()
        .filter(|u| matches && u.is_active)
        .and_then(|u| Principal::from_user(u, (None, None), Credential::Session));

    let txn = state.db.begin().await?;
    let e = match &principal {
        Some(p) => {
            throttle::clear(&txn, &pair).await?;
            throttle::unbump(&txn, &account).await?;
            Some(
                audit::entry(Action::SignIn, EntityKind::Account)
                    .by(p)
                    .id(p.user_id)
                    .county(p.division_code.as_deref())
                    .after(&serde_json::json!({"via": "session"})),
            )
        }
        // A name nobody has: logged, not audited (no row per stranger's guess).
        None if found.is_none() => {
            tracing::info!(username = %username, "sign-in with an unknown user name");
            None
        }
        None if account_failures <= AUDITED_FAILURES_PER_ACCOUNT => {
            let reason = if matches { "disabled" } else { "invalid" };
            Some(
                audit::entry(Action::SignInFailed, EntityKind::Account)
                    .after(&serde_json::json!({"username": username, "reason": reason})),
            )
        }
        None => None,
    };
    if let Some(e) = e {
        audit::record(&txn, now, e).await?;
    }
    txn.commit().await?;

    principal.ok_or_else(|| AppError::InvalidCredentials.into())
}

/// Starts a session for `principal` under a fresh id (no session fixation), signed in at `now`.
pub async fn start_session(session: &Session, principal: &Principal, now: DateTime<Utc>) -> ServiceResult<()> {
    session.cycle_id().await.map_err(ServiceError::internal)?;
    session.insert(SESSION_USER, principal.user_id).await.map_err(ServiceError::internal)?;
    session.insert(SESSION_EPOCH, principal.session_epoch).await.map_err(ServiceError::internal)?;
    session.insert(SESSION_SINCE, now.timestamp()).await.map_err(ServiceError::internal)?;
    Ok(())
}

/// Signs `principal` out: records it and ends the session.
pub async fn sign_out(state: &AppState, principal: &Principal, session: &Session) -> ServiceResult<()> {
    let e = audit::entry(Action::SignOut, EntityKind::Account)
        .by(principal)
        .id(principal.user_id)
        .county(principal.division_code.as_deref());
    audit::record(&state.db, state.clock.now(), e).await?;
    end_session(session).await
}

/// Ends the session: the stored record is deleted and the cookie cleared.
pub async fn end_session(session: &Session) -> ServiceResult<()> {
    session.flush().await.map_err(ServiceError::internal)
}

/// A user to create (from the command line, the demo seed or administration).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
    pub organization_id: Option<Uuid>,
    pub division_code: Option<String>,
    pub phone: Option<String>,
}

/// Creates a user after checking every rule: user name and password shape, a division of the
/// right level for officials, an existing organisation for contractor staff.
pub async fn create_user(state: &AppState, new: NewUser) -> ServiceResult<Uuid> {
    create_user_in(&state.db, &state.hashing, state.clock.now(), new).await
}

/// [`create_user`] on any connection (a transaction, or the command line's pool).
pub async fn create_user_in(
    db: &impl sea_orm::ConnectionTrait,
    hashing: &std::sync::Arc<tokio::sync::Semaphore>,
    now: DateTime<Utc>,
    mut new: NewUser,
) -> ServiceResult<Uuid> {
    let mut errors = FieldErrors::new();
    if let Err(e) = super::validate_new_password(&new.password) {
        errors.add("password", e);
    }
    let username = checked_username(db, &new, &mut errors).await?;
    errors.into_result()?;
    let hash = passwords::hash(hashing, std::mem::take(&mut new.password)).await?;
    insert_user(db, now, username, new, hash).await
}

/// [`create_user_in`] for an account whose password hash is already made (the demo's accounts
/// share one, so that loading the demo hashes no password twice): the same rules for the user
/// name and where the account sits; `new.password` is not read.
pub async fn create_user_with_hash(
    db: &impl sea_orm::ConnectionTrait,
    now: DateTime<Utc>,
    new: NewUser,
    password_hash: String,
) -> ServiceResult<Uuid> {
    let mut errors = FieldErrors::new();
    let username = checked_username(db, &new, &mut errors).await?;
    errors.into_result()?;
    insert_user(db, now, username, new, password_hash).await
}

/// The user name's shape, where the account sits, and that the name is free: the name to store
/// (empty when its shape is wrong; `errors` says why).
async fn checked_username(
    db: &impl sea_orm::ConnectionTrait,
    new: &NewUser,
    errors: &mut FieldErrors,
) -> ServiceResult<String> {
    let username = match super::validate_username(&new.username) {
        Ok(u) => u,
        Err(e) => {
            errors.add("username", e);
            String::new()
        }
    };
    check_assignment(db, new.role, new.organization_id, new.division_code.as_deref(), errors).await?;
    if !username.is_empty()
        && user::Entity::find().filter(user::Column::Username.eq(username.clone())).count(db).await? > 0
    {
        errors.add("username", FieldError::new(FieldCode::UsernameTaken));
    }
    Ok(username)
}

async fn insert_user(
    db: &impl sea_orm::ConnectionTrait,
    now: DateTime<Utc>,
    username: String,
    new: NewUser,
    hash: String,
) -> ServiceResult<Uuid> {
    let id = Uuid::now_v7();
    let result = user::ActiveModel {
        id: Set(id),
        display_name: Set(new.display_name.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| username.clone())),
        username: Set(username),
        password_hash: Set(hash),
        role: Set(new.role),
        organization_id: Set(if new.role.is_contractor() { new.organization_id } else { None }),
        division_code: Set(if new.role.is_official() { new.division_code } else { None }),
        phone: Set(new.phone),
        is_active: Set(true),
        session_epoch: Set(0),
        disabled_by: Set(None),
        disabled_by_role: Set(None),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await;
    match result {
        Ok(_) => Ok(id),
        Err(e) if crate::db::is_unique_violation(&e) => Err(AppError::Validation {
            fields: FieldErrors::single("username", FieldError::new(FieldCode::UsernameTaken)),
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// The rule for where an account of `role` sits, for creating a user and changing a role alike:
/// contractor staff belong to an existing organisation; officials to an existing division of the
/// level their role requires (partner departments to any level).
pub async fn check_assignment(
    db: &impl sea_orm::ConnectionTrait,
    role: Role,
    organization_id: Option<Uuid>,
    division_code: Option<&str>,
    errors: &mut FieldErrors,
) -> ServiceResult<()> {
    if role.is_contractor() {
        match organization_id {
            None => errors.add("organization_id", FieldError::new(FieldCode::Required)),
            Some(org) => {
                if organization::Entity::find_by_id(org).one(db).await?.is_none() {
                    errors.add("organization_id", FieldError::new(FieldCode::UnknownOrganization));
                }
            }
        }
    }
    if role.is_official() {
        match division_code {
            None => errors.add("division_code", FieldError::new(FieldCode::Required)),
            Some(code) => match crate::divisions::service::get(db, code).await? {
                None => errors.add("division_code", FieldError::new(FieldCode::UnknownDivision)),
                Some(d) => {
                    if let Some(level) = role.required_division_level()
                        && d.level != level
                    {
                        errors.add(
                            "division_code",
                            FieldError::new(FieldCode::WrongDivisionLevel).with("level", level.as_str()),
                        );
                    }
                }
            },
        }
    }
    Ok(())
}

/// Enables or disables an account without naming who did it (tests, the command line): such a
/// disabling counts as a system administrator's. Services call [`set_active_by`].
pub async fn set_active(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    active: bool,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    write_active(db, user_id, active, None, now).await
}

/// Enables or disables an account on `by`'s authority. Disabling records who did it, with what
/// role and when (cleared again by enabling), and ends everything the account had signed in
/// with: its sessions (the epoch moves on, and the stored rows are deleted) and its API tokens
/// (revoked, so re-enabling the account does not bring them back). Whether `by` may do it is the
/// caller's check ([`Role::may_undo_disabling`] and the reach of each capability).
pub async fn set_active_by(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    active: bool,
    by: &Principal,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    write_active(db, user_id, active, Some(by), now).await
}

/// Refuses (409 `disabled_by_authority`, naming the role that disabled it) when `target` is
/// disabled on an authority above the caller's: enabling it again, or disabling it anew, is
/// then for an administrator of at least that authority ([`Role::may_undo_disabling`]).
pub fn check_may_undo_disabling(principal: &Principal, target: &user::Model) -> ServiceResult<()> {
    if target.is_active {
        return Ok(());
    }
    let by = target.disabled_by_role.as_deref().and_then(Role::parse);
    if principal.role.may_undo_disabling(by) {
        return Ok(());
    }
    let mut params = std::collections::BTreeMap::new();
    params.insert("role".to_owned(), by.unwrap_or(Role::Sysadmin).as_str().to_owned());
    Err(AppError::Conflict { code: ConflictCode::DisabledByAuthority, fields: FieldErrors::new(), params }.into())
}

async fn write_active(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    active: bool,
    by: Option<&Principal>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let Some(u) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Err(AppError::NotFound.into());
    };
    let mut m: user::ActiveModel = u.into();
    m.is_active = Set(active);
    m.disabled_by = Set(if active { None } else { by.map(|p| p.user_id) });
    m.disabled_by_role = Set(if active { None } else { by.map(|p| p.role.as_str().to_owned()) });
    m.disabled_at = Set(if active { None } else { Some(now) });
    m.updated_at = Set(now);
    m.update(db).await?;
    if !active {
        end_credentials(db, user_id, now).await?;
    }
    Ok(())
}

/// Ends every session and revokes every API token of a user (after disabling the account or
/// resetting its password): the next request made with any of them is 401.
pub async fn end_credentials(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    use crate::db::entities::session;
    use sea_orm::sea_query::{Expr, ExprTrait};
    user::Entity::update_many()
        .col_expr(user::Column::SessionEpoch, Expr::col(user::Column::SessionEpoch).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(db).await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Display names and roles of users, by id.
pub async fn people(
    db: &impl sea_orm::ConnectionTrait,
    ids: Vec<Uuid>,
) -> ServiceResult<std::collections::HashMap<Uuid, (String, Role)>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .column(user::Column::Role)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String, String)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, name, role)| Some((id, (name, Role::parse(&role)?)))).collect())
}
