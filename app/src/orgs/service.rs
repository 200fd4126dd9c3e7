//! Sign-up of construction units and the management of their staff.

use super::{Organization, RegisterInput, StaffInput, StaffUser, validate_register};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::{NewUser, Principal, create_user_in};
use crate::auth::{Me, Role};
use crate::db::entities::{organization, user};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::collections::BTreeMap;
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
        code: "duplicate_uscc".into(),
        fields: FieldErrors::single("uscc", FieldError::new("uscc_taken")),
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
    let admin = user::Entity::find_by_id(user_id).one(&txn).await?.and_then(staff_dto).ok_or(AppError::NotFound)?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::Organization).id(org_id).after(&org)).await?;
    let e = audit::entry(Action::Create, EntityKind::Account).id(user_id).after(&admin);
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok((org, user_id))
}

/// The caller's organisation.
pub async fn mine(state: &AppState, principal: &Principal) -> ServiceResult<Organization> {
    let org = crate::machines::service::contractor_org(principal)?;
    let m = organization::Entity::find_by_id(org).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(to_dto(m))
}

fn admin_org(principal: &Principal) -> ServiceResult<Uuid> {
    principal.require(&[Role::ContractorAdmin])?;
    principal.organization_id.ok_or_else(|| AppError::Forbidden.into())
}

fn staff_dto(u: user::Model) -> Option<StaffUser> {
    Some(StaffUser {
        id: u.id,
        role: Role::parse(&u.role)?,
        username: u.username,
        display_name: u.display_name,
        is_active: u.is_active,
    })
}

/// The users of the caller's organisation (administrators only).
pub async fn staff(state: &AppState, principal: &Principal) -> ServiceResult<Vec<StaffUser>> {
    let org = admin_org(principal)?;
    Ok(user::Entity::find()
        .filter(user::Column::OrganizationId.eq(org))
        .order_by_asc(user::Column::Username)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(staff_dto)
        .collect())
}

/// Adds a staff user to the caller's organisation (administrators only).
pub async fn add_staff(state: &AppState, principal: &Principal, input: StaffInput) -> ServiceResult<StaffUser> {
    let org = admin_org(principal)?;
    let display = input.display_name.trim().to_owned();
    if display.is_empty() || display.chars().count() > 100 {
        return Err(AppError::Validation {
            fields: FieldErrors::single("display_name", FieldError::new("length").with("min", 1).with("max", 100)),
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
    let u = user::Entity::find_by_id(id).one(&txn).await?.and_then(staff_dto).ok_or(AppError::NotFound)?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::Account).by(principal).id(id).after(&u)).await?;
    txn.commit().await?;
    Ok(u)
}

/// Disables or re-enables a user of the caller's organisation (not oneself).
pub async fn set_staff_active(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    active: bool,
) -> ServiceResult<StaffUser> {
    let org = admin_org(principal)?;
    let target = user::Entity::find_by_id(user_id)
        .filter(user::Column::OrganizationId.eq(org))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if target.id == principal.user_id {
        return Err(AppError::conflict("cannot_disable_self").into());
    }
    let before = staff_dto(target.clone()).ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    crate::auth::service::set_active(&txn, target.id, active, now).await?;
    let u = user::Entity::find_by_id(user_id).one(&txn).await?.and_then(staff_dto).ok_or(AppError::NotFound)?;
    let action = if active { Action::Enable } else { Action::Disable };
    let e = audit::entry(action, EntityKind::Account).by(principal).id(user_id).before(&before).after(&u);
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok(u)
}

/// The new user's wire view after sign-up.
pub async fn me_of(state: &AppState, user_id: Uuid) -> ServiceResult<Me> {
    let u = user::Entity::find_by_id(user_id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    Ok(Me {
        id: u.id,
        username: u.username,
        role: Role::parse(&u.role).unwrap_or(Role::ContractorAdmin),
        organization_id: u.organization_id,
        division_code: u.division_code,
        display_name: u.display_name,
    })
}
