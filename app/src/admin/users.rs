//! Accounts within an administrator's reach: list, create, disable and enable, reset a
//! password, change a role. Reach = the roles the administrator may grant
//! ([`Role::grantable_roles`]) at its own division or under it (everything for a system
//! administrator). An account outside the reach is "not found"; giving a role above one's own,
//! or a division outside one's own, is "not allowed".
//!
//! A disabling carries the authority of whoever made it: an account disabled by a province
//! officer is not enabled again by a city officer, nor one disabled by a system administrator by
//! anyone else (409 `disabled_by_authority`, [`Role::may_undo_disabling`]). The one-active-
//! administrator rule of a construction unit (`orgs::service`) binds the unit's own
//! administrators only: disabling or demoting a unit's last administrator from here is an
//! enforcement decision a system administrator may take.

use super::{AdminUser, NewUserInput, PasswordReset, PasswordResetDone, RoleChange, UserFilter};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::{
    NewUser, Principal, check_assignment, check_may_undo_disabling, create_user_in, end_credentials, set_active_by,
};
use crate::db::entities::{division, organization, user};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Whose accounts the caller administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    roles: &'static [Role],
    /// `None`: every division (and accounts without one); else these codes, sorted.
    divisions: Option<Vec<String>>,
}

impl Reach {
    /// The caller's reach; 403 for a role that administers nobody.
    pub async fn of(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<Reach> {
        let roles = principal.role.grantable_roles();
        if roles.is_empty() {
            return Err(AppError::Forbidden.into());
        }
        if principal.role == Role::Sysadmin {
            return Ok(Reach { roles, divisions: None });
        }
        let divisions = match &principal.division_code {
            Some(code) => crate::divisions::service::subtree(db, code).await?,
            None => vec![],
        };
        Ok(Reach { roles, divisions: Some(divisions) })
    }

    /// Whether the caller may give `role`.
    pub fn grants(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether `code` is at or under the caller's division.
    pub fn covers_division(&self, code: &str) -> bool {
        match &self.divisions {
            None => true,
            Some(codes) => codes.binary_search_by(|c| c.as_str().cmp(code)).is_ok(),
        }
    }

    /// Whether an existing account is administered by the caller.
    pub fn covers(&self, u: &user::Model) -> bool {
        let role = u.role;
        self.grants(role)
            && (self.divisions.is_none() || u.division_code.as_deref().is_some_and(|c| self.covers_division(c)))
    }

    /// The same rule as a query condition on `users`.
    fn condition(&self) -> Condition {
        let roles = self.roles.iter().map(|r| r.as_str().to_owned());
        let mut c = Condition::all().add(user::Column::Role.is_in(roles));
        if let Some(codes) = &self.divisions {
            c = c.add(user::Column::DivisionCode.is_in(codes.iter().cloned()));
        }
        c
    }

    /// Refuses (403) a role the caller may not give, or an existing division outside its reach.
    async fn check_grant(&self, db: &impl ConnectionTrait, role: Role, division: Option<&str>) -> ServiceResult<()> {
        if !self.grants(role) {
            return Err(AppError::Forbidden.into());
        }
        if let Some(code) = division.filter(|_| role.is_official())
            && !self.covers_division(code)
            && crate::divisions::service::get(db, code).await?.is_some()
        {
            return Err(AppError::Forbidden.into());
        }
        Ok(())
    }
}

/// Wire views of `rows`, with division and organisation names.
async fn to_dtos(db: &impl ConnectionTrait, rows: Vec<user::Model>) -> ServiceResult<Vec<AdminUser>> {
    let codes: Vec<String> = rows.iter().filter_map(|u| u.division_code.clone()).collect();
    let orgs: Vec<Uuid> = rows.iter().filter_map(|u| u.organization_id).collect();
    let disablers: Vec<Uuid> = rows.iter().filter(|u| !u.is_active).filter_map(|u| u.disabled_by).collect();
    let disabler_names: HashMap<Uuid, String> = if disablers.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(disablers))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect()
    };
    let division_names: HashMap<String, String> = if codes.is_empty() {
        HashMap::new()
    } else {
        division::Entity::find()
            .filter(division::Column::Code.is_in(codes))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect()
    };
    let org_names: HashMap<Uuid, String> = if orgs.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(orgs))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|u| {
            let disabled = !u.is_active;
            AdminUser {
                role: u.role,
                disabled_by_role: u.disabled_by_role.as_deref().filter(|_| disabled).and_then(Role::parse),
                disabled_by_username: u
                    .disabled_by
                    .filter(|_| disabled)
                    .and_then(|by| disabler_names.get(&by).cloned()),
                disabled_at: u.disabled_at.filter(|_| disabled),
                division_name: u.division_code.as_ref().and_then(|c| division_names.get(c).cloned()),
                organization_name: u.organization_id.and_then(|o| org_names.get(&o).cloned()),
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                division_code: u.division_code,
                organization_id: u.organization_id,
                phone: u.phone,
                is_active: u.is_active,
                created_at: u.created_at,
            }
        })
        .collect())
}

async fn one_dto(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<AdminUser> {
    let u = user::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    to_dtos(db, vec![u]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// An account the caller administers, or 404.
async fn target(db: &impl ConnectionTrait, reach: &Reach, id: Uuid) -> ServiceResult<user::Model> {
    user::Entity::find_by_id(id).one(db).await?.filter(|u| reach.covers(u)).ok_or_else(|| AppError::NotFound.into())
}

/// A page of the accounts the caller administers, newest first.
#[tracing::instrument(skip(state, principal), fields(user = %principal.username))]
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &UserFilter,
    page: &PageQuery,
) -> ServiceResult<Page<AdminUser>> {
    let reach = Reach::of(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = user::Entity::find().filter(reach.condition());
    if let Some(after) = page.after()? {
        q = q.filter(user::Column::Id.lt(after));
    }
    if let Some(role) = filter.role.as_deref().filter(|s| !s.is_empty()) {
        let role = Role::parse(role).ok_or_else(|| AppError::field("role", FieldCode::UnknownValue))?;
        q = q.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(code) = filter.division.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let under = crate::divisions::service::subtree(&state.db, code).await?;
        q = q.filter(user::Column::DivisionCode.is_in(under));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(
            Condition::any()
                .add(user::Column::Username.contains(text.to_lowercase()))
                .add(user::Column::DisplayName.contains(text)),
        );
    }
    let rows = q.order_by_desc(user::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |u| u.id);
    Ok(Page { items: to_dtos(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

/// Creates an account of a role the caller may give, at a division within its reach.
#[tracing::instrument(skip(state, principal, input), fields(user = %principal.username, new = %input.username))]
pub async fn create(state: &AppState, principal: &Principal, input: NewUserInput) -> ServiceResult<AdminUser> {
    let reach = Reach::of(&state.db, principal).await?;
    let Some(role) = input.role else {
        return Err(AppError::field("role", FieldCode::Required).into());
    };
    let division = input.division_code.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    reach.check_grant(&state.db, role, division.as_deref()).await?;
    let display = input.display_name.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let phone = input.phone.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    let mut errors = FieldErrors::new();
    if display.as_ref().is_some_and(|d| d.chars().count() > 100) {
        errors.add("display_name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 100));
    }
    if let Some(Err(e)) = phone.as_deref().map(crate::orgs::check_phone) {
        errors.add("phone", e);
    }
    errors.into_result()?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let id = create_user_in(
        &txn,
        &state.hashing,
        now,
        NewUser {
            username: input.username,
            password: input.password,
            role,
            display_name: display,
            organization_id: input.organization_id,
            division_code: division,
            phone,
        },
    )
    .await?;
    let created = one_dto(&txn, id).await?;
    let e = audit::entry(Action::Create, EntityKind::Account).by(principal).id(id);
    audit::record(&txn, now, e.county(created.division_code.as_deref()).after(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Refuses to leave the system without an active administrator: `target` (an active system
/// administrator about to be disabled or demoted) must not be the last. The active system
/// administrators are locked first on PostgreSQL, so two such changes cannot both pass.
async fn keep_a_sysadmin(db: &impl ConnectionTrait, target: &user::Model) -> ServiceResult<()> {
    if target.role != Role::Sysadmin || !target.is_active {
        return Ok(());
    }
    let active =
        user::Entity::find().filter(user::Column::Role.eq(Role::Sysadmin)).filter(user::Column::IsActive.eq(true));
    let others = if crate::db::is_sqlite(db) {
        active.filter(user::Column::Id.ne(target.id)).count(db).await?
    } else {
        let rows = active.order_by_asc(user::Column::Id).lock_exclusive().all(db).await?;
        rows.iter().filter(|u| u.id != target.id).count() as u64
    };
    if others == 0 { Err(AppError::conflict(ConflictCode::LastSysadmin).into()) } else { Ok(()) }
}

/// Disables or re-enables an account the caller administers (never its own). Disabling ends the
/// account's sessions and revokes its API tokens.
#[tracing::instrument(skip(state, principal), fields(user = %principal.username))]
pub async fn set_user_active(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    active: bool,
) -> ServiceResult<AdminUser> {
    let reach = Reach::of(&state.db, principal).await?;
    let txn = state.db.begin().await?;
    crate::db::sqlite_write_lock(&txn).await?;
    let u = target(&txn, &reach, id).await?;
    if u.id == principal.user_id {
        return Err(AppError::conflict(ConflictCode::CannotDisableSelf).into());
    }
    if !active {
        keep_a_sysadmin(&txn, &u).await?;
    }
    // Whether the caller may undo the account's disabling is decided on the account as committed
    // now: read again under a row lock on PostgreSQL (SQLite holds its write lock already).
    let mut again = user::Entity::find_by_id(id);
    if !crate::db::is_sqlite(&txn) {
        again = again.lock_exclusive();
    }
    let u = again.one(&txn).await?.ok_or(AppError::NotFound)?;
    check_may_undo_disabling(principal, &u)?;
    let before = one_dto(&txn, id).await?;
    let now = state.clock.now();
    set_active_by(&txn, u.id, active, principal, now).await?;
    let after = one_dto(&txn, id).await?;
    let action = if active { Action::Enable } else { Action::Disable };
    let e = audit::entry(action, EntityKind::Account).by(principal).id(id).county(after.division_code.as_deref());
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    state.accounts.commit_forgetting(txn, id).await?;
    Ok(after)
}

/// The alphabet of generated passwords: no look-alikes (0/O, 1/l/I).
const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
/// The length of a generated password (≈ 93 bits).
const GENERATED_LEN: usize = 16;

fn generate_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..GENERATED_LEN).map(|_| PASSWORD_ALPHABET[rng.random_range(0..PASSWORD_ALPHABET.len())] as char).collect()
}

/// Sets a new password on an account the caller administers: the one typed, or a generated one
/// returned this once. The account's sessions end and its API tokens are revoked, so only the
/// new password works from now on.
#[tracing::instrument(skip(state, principal, input), fields(user = %principal.username))]
pub async fn reset_password(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    input: PasswordReset,
) -> ServiceResult<PasswordResetDone> {
    let reach = Reach::of(&state.db, principal).await?;
    let u = target(&state.db, &reach, id).await?;
    // A reset ends every credential of the account, the caller's own session and token
    // included, and hands out a password nobody chose: for oneself that is a lock-out, not a
    // change of password: another administrator resets it.
    if u.id == principal.user_id {
        return Err(AppError::conflict(ConflictCode::CannotResetOwnPassword).into());
    }
    let (password, generated) = match input.password.filter(|p| !p.is_empty()) {
        Some(p) => {
            crate::auth::validate_new_password(&p)
                .map_err(|e| AppError::Validation { fields: FieldErrors::single("password", e) })?;
            (p, false)
        }
        None => (generate_password(), true),
    };
    let hash = crate::auth::passwords::hash(&state.hashing, password.clone()).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let division = u.division_code.clone();
    let mut m: user::ActiveModel = u.into();
    m.password_hash = Set(hash);
    m.updated_at = Set(now);
    m.update(&txn).await?;
    end_credentials(&txn, id, now).await?;
    // What changed is the secret itself: the row says a reset happened (and whether the password
    // was generated), never the password.
    let e = audit::entry(Action::Update, EntityKind::Account).by(principal).id(id).county(division.as_deref());
    let after = serde_json::json!({"password_reset": true, "generated": generated, "sessions_ended": true});
    audit::record(&txn, now, e.after(&after)).await?;
    state.accounts.commit_forgetting(txn, id).await?;
    Ok(PasswordResetDone { user: one_dto(&state.db, id).await?, generated_password: generated.then_some(password) })
}

/// Gives an account the caller administers (not its own) a role the caller may give, at a
/// division within its reach, by the same placement rule as account creation.
#[tracing::instrument(skip(state, principal), fields(user = %principal.username))]
pub async fn change_role(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    change: RoleChange,
) -> ServiceResult<AdminUser> {
    let reach = Reach::of(&state.db, principal).await?;
    let division = change.division_code.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    let txn = state.db.begin().await?;
    crate::db::sqlite_write_lock(&txn).await?;
    let u = target(&txn, &reach, id).await?;
    if u.id == principal.user_id {
        return Err(AppError::conflict(ConflictCode::CannotChangeOwnRole).into());
    }
    reach.check_grant(&txn, change.role, division.as_deref()).await?;
    let organization = change.organization_id.or(u.organization_id);
    let mut errors = FieldErrors::new();
    check_assignment(&txn, change.role, organization, division.as_deref(), &mut errors).await?;
    errors.into_result()?;
    if change.role != Role::Sysadmin {
        keep_a_sysadmin(&txn, &u).await?;
    }
    let before = one_dto(&txn, id).await?;
    let mut m: user::ActiveModel = u.into();
    m.role = Set(change.role);
    m.division_code = Set(if change.role.is_official() { division } else { None });
    m.organization_id = Set(if change.role.is_contractor() { organization } else { None });
    let now = state.clock.now();
    m.updated_at = Set(now);
    m.update(&txn).await?;
    let after = one_dto(&txn, id).await?;
    // Both divisions see the move: the row lies in the new one (or the old one when none).
    let county = after.division_code.clone().or(before.division_code.clone());
    let e = audit::entry(Action::Update, EntityKind::Account).by(principal).id(id).county(county.as_deref());
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    state.accounts.commit_forgetting(txn, id).await?;
    Ok(after)
}

/// The divisions the caller may place accounts at (its reach), in code order.
pub async fn placeable_divisions(
    state: &AppState,
    principal: &Principal,
) -> ServiceResult<Vec<crate::divisions::Division>> {
    let reach = Reach::of(&state.db, principal).await?;
    let mut q = division::Entity::find();
    if let Some(codes) = &reach.divisions {
        q = q.filter(division::Column::Code.is_in(codes.iter().cloned()));
    }
    Ok(q.order_by_asc(division::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(crate::divisions::Division {
                level: crate::divisions::Level::parse(&d.level)?,
                code: d.code,
                name: d.name,
                parent_code: d.parent_code,
            })
        })
        .collect())
}
