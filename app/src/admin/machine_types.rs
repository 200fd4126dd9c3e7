//! The machine-type list as system administrators keep it: every type (active or not), new
//! types, renaming, reordering, deactivating. A code never changes once created, so wire values
//! stay stable; a deactivated type is refused for new machines (the registry's rule reads the
//! `is_active` flag) but stays on the machines that have it.

use super::{MachineTypeEntry, MachineTypePatch, NewMachineType, is_machine_type_code};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::db::entities::machine_type;
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder, TransactionTrait};
use std::collections::BTreeMap;

fn to_dto(m: machine_type::Model) -> MachineTypeEntry {
    MachineTypeEntry {
        code: m.code,
        name_zh: m.name_zh,
        name_en: m.name_en,
        sort_order: m.sort_order,
        is_active: m.is_active,
    }
}

/// A label of 1–60 characters, trimmed.
fn check_name(field: &str, value: &str, errors: &mut FieldErrors) -> String {
    let v = value.trim().to_owned();
    if v.is_empty() || v.chars().count() > 60 {
        errors.add(field, FieldError::new(FieldCode::Length).with("min", 1).with("max", 60));
    }
    v
}

fn check_order(order: Option<i32>, errors: &mut FieldErrors) {
    if order.is_some_and(|o| !(0..=1_000_000).contains(&o)) {
        errors.add("sort_order", FieldError::new(FieldCode::SortOrderRange).with("max", 1_000_000));
    }
}

/// Every type, in display order (system administrators).
pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<MachineTypeEntry>> {
    principal.require(&[Role::Sysadmin])?;
    Ok(machine_type::Entity::find()
        .order_by_asc(machine_type::Column::SortOrder)
        .order_by_asc(machine_type::Column::Code)
        .all(&state.db)
        .await?
        .into_iter()
        .map(to_dto)
        .collect())
}

/// Adds a type; a taken code is a conflict.
#[tracing::instrument(skip(state, principal, input), fields(code = %input.code))]
pub async fn create(state: &AppState, principal: &Principal, input: NewMachineType) -> ServiceResult<MachineTypeEntry> {
    principal.require(&[Role::Sysadmin])?;
    let mut errors = FieldErrors::new();
    let code = input.code.trim().to_owned();
    if !is_machine_type_code(&code) {
        errors.add("code", FieldError::new(FieldCode::MachineTypeCode));
    }
    let name_zh = check_name("name_zh", &input.name_zh, &mut errors);
    let name_en = check_name("name_en", &input.name_en, &mut errors);
    check_order(input.sort_order, &mut errors);
    errors.into_result()?;
    let taken = || AppError::Conflict {
        code: ConflictCode::DuplicateMachineType,
        fields: FieldErrors::single("code", FieldError::new(FieldCode::MachineTypeTaken)),
        params: BTreeMap::new(),
    };
    if machine_type::Entity::find_by_id(code.clone()).one(&state.db).await?.is_some() {
        return Err(taken().into());
    }
    let sort_order = match input.sort_order {
        Some(o) => o,
        None => {
            let last = machine_type::Entity::find()
                .order_by_desc(machine_type::Column::SortOrder)
                .one(&state.db)
                .await?
                .map(|t| t.sort_order);
            last.unwrap_or(0).saturating_add(10)
        }
    };
    let txn = state.db.begin().await?;
    let inserted = machine_type::ActiveModel {
        code: Set(code),
        name_zh: Set(name_zh),
        name_en: Set(name_en),
        sort_order: Set(sort_order),
        is_active: Set(true),
    }
    .insert(&txn)
    .await;
    let created = match inserted {
        Ok(m) => to_dto(m),
        Err(e) if crate::db::is_unique_violation(&e) => return Err(taken().into()),
        Err(e) => return Err(e.into()),
    };
    let e = audit::entry(Action::Create, EntityKind::MachineType).by(principal).id(&created.code).after(&created);
    audit::record(&txn, state.clock.now(), e).await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames, reorders, deactivates or reactivates a type (404 for an unknown code).
#[tracing::instrument(skip(state, principal, patch))]
pub async fn update(
    state: &AppState,
    principal: &Principal,
    code: &str,
    patch: MachineTypePatch,
) -> ServiceResult<MachineTypeEntry> {
    principal.require(&[Role::Sysadmin])?;
    let current = machine_type::Entity::find_by_id(code.to_owned()).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let name_zh = patch.name_zh.as_deref().map(|v| check_name("name_zh", v, &mut errors));
    let name_en = patch.name_en.as_deref().map(|v| check_name("name_en", v, &mut errors));
    check_order(patch.sort_order, &mut errors);
    errors.into_result()?;
    let mut m: machine_type::ActiveModel = current.clone().into();
    if let Some(v) = name_zh {
        m.name_zh = Set(v);
    }
    if let Some(v) = name_en {
        m.name_en = Set(v);
    }
    if let Some(v) = patch.sort_order {
        m.sort_order = Set(v);
    }
    if let Some(v) = patch.is_active {
        m.is_active = Set(v);
    }
    if !m.is_changed() {
        return Ok(to_dto(current));
    }
    let txn = state.db.begin().await?;
    let before = to_dto(current);
    let after = to_dto(m.update(&txn).await?);
    let e = audit::entry(Action::Update, EntityKind::MachineType).by(principal).id(&after.code);
    audit::record(&txn, state.clock.now(), e.before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
