//! Sign-up of construction units and the management of their staff.

use super::{Organization, RegisterInput, StaffInput, StaffRoleChange, StaffUser, UNIT_ROLES, validate_register};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::{NewUser, Principal, create_user_in};
use crate::auth::{Me, Role};
use crate::db::entities::{organization, user};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

fn to_dto(m: organization::Model) -> Organization {
    Organization {
        id: m.id,
        name: m.name,
        uscc: m.uscc,
        contact_name: m.contact_name,
        contact_phone: m.contact_phone,
        created_at: m.created_at,
    }
}

fn uscc_taken() -> AppError {
    AppError::Conflict {
        code: ConflictCode::DuplicateUscc,
        fields: FieldErrors::single("uscc", FieldError::new(FieldCode::UsccTaken)),
        params: BTreeMap::new(),
    }
}

/// Registers a construction unit and its first administrator, atomically.
#[tracing::instrument(skip(state, input), fields(name = %input.name))]
pub async fn register(state: &AppState, mut input: RegisterInput) -> ServiceResult<(Organization, Uuid)> {
    validate_register(&mut input).into_result()?;
    if organization::Entity::find()
        .filter(organization::Column::Uscc.eq(input.uscc.clone()))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(uscc_taken().into());
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let org_id = Uuid::now_v7();
    let inserted = organization::Entity::insert(organization::ActiveModel {
        id: Set(org_id),
        name: Set(input.name.clone()),
        uscc: Set(input.uscc.clone()),
        contact_name: Set(input.contact_name.clone()),
        contact_phone: Set(input.contact_phone.clone()),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => return Err(uscc_taken().into()),
        Err(e) => return Err(e.into()),
    }
    let user_id = create_user_in(
        &txn,
        &state.hashing,
        now,
        NewUser {
            username: input.username,
            password: input.password,
            role: Role::ContractorAdmin,
            display_name: Some(input.contact_name),
            organization_id: Some(org_id),
            division_code: None,
            phone: Some(input.contact_phone),
        },
    )
    .await?;
    let org = organization::Entity::find_by_id(org_id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let org = to_dto(org);
    let admin = one_staff(&txn, org_id, user_id).await?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::Organization).id(org_id).after(&org)).await?;
    let e = audit::entry(Action::Create, EntityKind::Account).id(user_id).after(&admin);
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok((org, user_id))
}

/// The caller's organisation.
pub async fn mine(state: &AppState, principal: &Principal) -> ServiceResult<Organization> {
    let org = principal.contractor_org()?;
    let m = organization::Entity::find_by_id(org).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(to_dto(m))
}

fn admin_org(principal: &Principal) -> ServiceResult<Uuid> {
    principal.require(&[Role::ContractorAdmin])?;
    principal.organization_id.ok_or_else(|| AppError::Forbidden.into())
}

fn staff_dto(u: user::Model, names: &HashMap<Uuid, String>) -> Option<StaffUser> {
    let disabled = !u.is_active;
    Some(StaffUser {
        id: u.id,
        role: u.role,
        disabled_by_role: u.disabled_by_role.as_deref().filter(|_| disabled).and_then(Role::parse),
        disabled_by_name: u.disabled_by.filter(|_| disabled).and_then(|by| names.get(&by).cloned()),
        disabled_at: u.disabled_at.filter(|_| disabled),
        username: u.username,
        display_name: u.display_name,
        is_active: u.is_active,
    })
}

/// Wire views of users of the unit `org`, with the name of whoever disabled one when that was
/// someone of the unit (an official's name is not the unit's to see, only the authority).
async fn staff_dtos(db: &impl ConnectionTrait, org: Uuid, rows: Vec<user::Model>) -> ServiceResult<Vec<StaffUser>> {
    let disablers: Vec<Uuid> = rows.iter().filter(|u| !u.is_active).filter_map(|u| u.disabled_by).collect();
    let names: HashMap<Uuid, String> = if disablers.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(disablers))
            .filter(user::Column::OrganizationId.eq(org))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };
    Ok(rows.into_iter().filter_map(|u| staff_dto(u, &names)).collect())
}

async fn one_staff(db: &impl ConnectionTrait, org: Uuid, id: Uuid) -> ServiceResult<StaffUser> {
    let u = unit_member(db, org, id).await?;
    staff_dtos(db, org, vec![u]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// A user of the unit `org`, or 404.
async fn unit_member(db: &impl ConnectionTrait, org: Uuid, id: Uuid) -> ServiceResult<user::Model> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrganizationId.eq(org))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// The users of the caller's organisation (administrators only).
pub async fn staff(state: &AppState, principal: &Principal) -> ServiceResult<Vec<StaffUser>> {
    let org = admin_org(principal)?;
    let rows = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(org))
        .order_by_asc(user::Column::Username)
        .all(&state.db)
        .await?;
    staff_dtos(&state.db, org, rows).await
}

/// Adds a staff user to the caller's organisation (administrators only).
pub async fn add_staff(state: &AppState, principal: &Principal, input: StaffInput) -> ServiceResult<StaffUser> {
    let org = admin_org(principal)?;
    let display = input.display_name.trim().to_owned();
    if display.is_empty() || display.chars().count() > 100 {
        return Err(AppError::Validation {
            fields: FieldErrors::single(
                "display_name",
                FieldError::new(FieldCode::Length).with("min", 1).with("max", 100),
            ),
        }
        .into());
    }
    if let Some(p) = input.phone.as_deref().filter(|p| !p.trim().is_empty())
        && let Err(e) = super::check_phone(p.trim())
    {
        return Err(AppError::Validation { fields: FieldErrors::single("phone", e) }.into());
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let id = create_user_in(
        &txn,
        &state.hashing,
        now,
        NewUser {
            username: input.username,
            password: input.password,
            role: Role::ContractorStaff,
            display_name: Some(display),
            organization_id: Some(org),
            division_code: None,
            phone: input.phone.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
        },
    )
    .await?;
    let u = one_staff(&txn, org, id).await?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::Account).by(principal).id(id).after(&u)).await?;
    txn.commit().await?;
    Ok(u)
}

/// Takes, before the first read of a change to a unit's accounts, the locks that make its checks
/// hold until it commits: on SQLite the one write lock; on PostgreSQL every account of the unit,
/// in id order. Two changes to one unit's administrators (two administrators demoting each
/// other) then queue, and the second sees the first. Under the lock, the caller must still be
/// an active administrator of the unit (403 otherwise: demoted or disabled since the request
/// began).
async fn lock_unit(db: &impl ConnectionTrait, org: Uuid, actor: Uuid) -> ServiceResult<()> {
    if crate::db::is_sqlite(db) {
        crate::db::sqlite_write_lock(db).await?;
    } else {
        user::Entity::find()
            .filter(user::Column::OrganizationId.eq(org))
            .order_by_asc(user::Column::Id)
            .lock_exclusive()
            .all(db)
            .await?;
    }
    let still_admin = user::Entity::find_by_id(actor)
        .filter(user::Column::OrganizationId.eq(org))
        .filter(user::Column::Role.eq(Role::ContractorAdmin))
        .filter(user::Column::IsActive.eq(true))
        .count(db)
        .await?;
    if still_admin == 0 {
        return Err(AppError::Forbidden.into());
    }
    Ok(())
}

/// Disables or re-enables a user of the caller's organisation (not oneself). An account
/// disabled by an official or a system administrator stays theirs to enable (409
/// `disabled_by_authority`). The unit keeps an active administrator: the caller is one, checked
/// under the unit's lock, and never acts on itself.
#[tracing::instrument(skip(state, principal), fields(user = %principal.username))]
pub async fn set_staff_active(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    active: bool,
) -> ServiceResult<StaffUser> {
    let org = admin_org(principal)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    lock_unit(&txn, org, principal.user_id).await?;
    let target = unit_member(&txn, org, user_id).await?;
    if target.id == principal.user_id {
        return Err(AppError::conflict(ConflictCode::CannotDisableSelf).into());
    }
    crate::auth::service::check_may_undo_disabling(principal, &target)?;
    let before = one_staff(&txn, org, user_id).await?;
    crate::auth::service::set_active_by(&txn, target.id, active, principal, now).await?;
    let u = one_staff(&txn, org, user_id).await?;
    let action = if active { Action::Enable } else { Action::Disable };
    let e = audit::entry(action, EntityKind::Account).by(principal).id(user_id).before(&before).after(&u);
    audit::record(&txn, now, e).await?;
    state.accounts.commit_forgetting(txn, user_id).await?;
    Ok(u)
}

/// Promotes a user of the caller's organisation to administrator or demotes one to staff (not
/// oneself: 409 `cannot_change_own_role`); no other role (403). The unit keeps an active
/// administrator: the caller is one, checked under the unit's lock.
#[tracing::instrument(skip(state, principal), fields(user = %principal.username))]
pub async fn change_staff_role(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    change: StaffRoleChange,
) -> ServiceResult<StaffUser> {
    let org = admin_org(principal)?;
    if !UNIT_ROLES.contains(&change.role) {
        return Err(AppError::Forbidden.into());
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    lock_unit(&txn, org, principal.user_id).await?;
    let target = unit_member(&txn, org, user_id).await?;
    if target.id == principal.user_id {
        return Err(AppError::conflict(ConflictCode::CannotChangeOwnRole).into());
    }
    let before = one_staff(&txn, org, user_id).await?;
    let mut m: user::ActiveModel = target.into();
    m.role = Set(change.role);
    m.updated_at = Set(now);
    m.update(&txn).await?;
    let after = one_staff(&txn, org, user_id).await?;
    let e = audit::entry(Action::Update, EntityKind::Account).by(principal).id(user_id).before(&before).after(&after);
    audit::record(&txn, now, e).await?;
    state.accounts.commit_forgetting(txn, user_id).await?;
    Ok(after)
}

/// The new user's wire view after sign-up.
pub async fn me_of(state: &AppState, user_id: Uuid) -> ServiceResult<Me> {
    let u = user::Entity::find_by_id(user_id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(Me {
        id: u.id,
        username: u.username,
        role: u.role,
        organization_id: u.organization_id,
        division_code: u.division_code,
        division_name: None,
        display_name: u.display_name,
    })
}
