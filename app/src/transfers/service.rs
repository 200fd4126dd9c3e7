//! Transfers: who sees which, starting one, reading and listing them. The decisions (accept,
//! decline, cancel, allow) are in `decide.rs`.

use super::{
    DECIDERS, Direction, Permission, Transfer, TransferFilter, TransferInput, TransferMachine, TransferParty,
    TransferStatus, awaiting_permission, validate,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{case, machine, machine_transfer, organization, transfer_permission};
use crate::error::{AppError, FieldErrors};
use crate::notifications::NotificationKind;
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The scope as a condition on transfers: a unit sees those it gives or receives; officials those
/// of machines their counties issued, or that have a case in their counties (they may have to
/// allow it); system administrators all.
pub fn condition(scope: &Scope) -> Condition {
    use machine_transfer::Column as T;
    match scope {
        Scope::Organization(org) => {
            Condition::any().add(T::FromOrganizationId.eq(*org)).add(T::ToOrganizationId.eq(*org))
        }
        Scope::Counties(codes) => Condition::any().add(T::CountyCode.is_in(codes.iter().cloned())).add(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(case::Entity)
                .and_where(
                    Expr::col((case::Entity, case::Column::MachineId))
                        .equals((machine_transfer::Entity, machine_transfer::Column::MachineId)),
                )
                .and_where(Expr::col((case::Entity, case::Column::CountyCode)).is_in(codes.iter().cloned()))
                .to_owned(),
        )),
        other => other.condition::<T>(None, None),
    }
}

/// A transfer the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<machine_transfer::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    machine_transfer::Entity::find_by_id(id)
        .filter(condition(&scope))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// The counties of a machine's unresolved cases (each once, sorted).
pub(super) async fn unresolved_counties(db: &impl ConnectionTrait, machine_id: Uuid) -> ServiceResult<Vec<String>> {
    Ok(case::Entity::find()
        .select_only()
        .column(case::Column::CountyCode)
        .distinct()
        .filter(case::Column::MachineId.eq(machine_id))
        .filter(crate::cases::service::unresolved())
        .order_by_asc(case::Column::CountyCode)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// The counties that allowed a transfer.
pub(super) async fn allowed_counties(db: &impl ConnectionTrait, transfer_id: Uuid) -> ServiceResult<Vec<String>> {
    Ok(transfer_permission::Entity::find()
        .select_only()
        .column(transfer_permission::Column::CountyCode)
        .filter(transfer_permission::Column::TransferId.eq(transfer_id))
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// Maps rows to the wire type with a few batched queries (machines, units, permissions and, for
/// pending transfers, the machines' unresolved cases).
pub(super) async fn to_dtos(
    db: &impl ConnectionTrait,
    rows: Vec<machine_transfer::Model>,
) -> ServiceResult<Vec<Transfer>> {
    let machine_ids: Vec<Uuid> = rows.iter().map(|t| t.machine_id).collect();
    let org_ids: Vec<Uuid> = rows.iter().flat_map(|t| [t.from_organization_id, t.to_organization_id]).collect();
    let machines: HashMap<Uuid, machine::Model> = machine::Entity::find()
        .filter(machine::Column::Id.is_in(machine_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let orgs: HashMap<Uuid, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let permits = transfer_permission::Entity::find()
        .filter(transfer_permission::Column::TransferId.is_in(rows.iter().map(|t| t.id)))
        .order_by_asc(transfer_permission::Column::AllowedAt)
        .all(db)
        .await?;
    let names = crate::inspections::service::people(db, permits.iter().map(|p| p.allowed_by).collect()).await?;
    let mut permissions: HashMap<Uuid, Vec<Permission>> = HashMap::new();
    for p in permits {
        permissions.entry(p.transfer_id).or_default().push(Permission {
            allowed_by_name: names.get(&p.allowed_by).map(|n| n.0.clone()).unwrap_or_default(),
            county_code: p.county_code,
            reason: p.reason,
            allowed_at: p.allowed_at,
        });
    }
    let pending_machines: Vec<Uuid> =
        rows.iter().filter(|t| t.status == TransferStatus::Pending.as_str()).map(|t| t.machine_id).collect();
    let mut case_counties: HashMap<Uuid, Vec<String>> = HashMap::new();
    if !pending_machines.is_empty() {
        for (m, county) in case::Entity::find()
            .select_only()
            .column(case::Column::MachineId)
            .column(case::Column::CountyCode)
            .filter(case::Column::MachineId.is_in(pending_machines))
            .filter(crate::cases::service::unresolved())
            .into_tuple::<(Uuid, String)>()
            .all(db)
            .await?
        {
            case_counties.entry(m).or_default().push(county);
        }
    }
    let party = |id: Uuid| {
        let o = orgs.get(&id);
        TransferParty {
            id,
            name: o.map(|o| o.name.clone()).unwrap_or_default(),
            uscc: o.map(|o| o.uscc.clone()).unwrap_or_default(),
        }
    };
    rows.into_iter()
        .map(|t| {
            let status =
                TransferStatus::parse(&t.status).ok_or_else(|| ServiceError::internal("stored transfer status"))?;
            let m = machines.get(&t.machine_id).ok_or_else(|| ServiceError::internal("transfer without machine"))?;
            let permissions = permissions.remove(&t.id).unwrap_or_default();
            let awaiting_permission_from = match status {
                TransferStatus::Pending => awaiting_permission(
                    case_counties.get(&t.machine_id).into_iter().flatten().map(String::as_str),
                    permissions.iter().map(|p| p.county_code.as_str()),
                ),
                _ => Vec::new(),
            };
            Ok(Transfer {
                id: t.id,
                machine: TransferMachine {
                    id: m.id,
                    name: m.name.clone(),
                    machine_type: m.machine_type.clone(),
                    registration_code: m.registration_code.clone(),
                },
                from: party(t.from_organization_id),
                to: party(t.to_organization_id),
                county_code: t.county_code,
                transfer_on: t.transfer_on,
                note: t.note,
                status,
                decline_reason: t.decline_reason,
                created_at: t.created_at,
                decided_at: t.decided_at,
                effective_on: t.effective_on,
                permissions,
                awaiting_permission_from,
            })
        })
        .collect()
}

/// One transfer, read on `db` (the transaction of a change, or the pool).
pub(super) async fn dto(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<Transfer> {
    let row = machine_transfer::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    to_dtos(db, vec![row]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// One transfer.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Transfer> {
    let row = find_visible(state, principal, id).await?;
    to_dtos(&state.db, vec![row]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// The transfers in `scope` that `filter` selects.
pub fn filtered(scope: &Scope, filter: &TransferFilter) -> Select<machine_transfer::Entity> {
    use machine_transfer::Column as T;
    let mut q = machine_transfer::Entity::find().filter(condition(scope));
    if let Some(s) = filter.status {
        q = q.filter(T::Status.eq(s.as_str()));
    }
    if let Some(m) = filter.machine_id {
        q = q.filter(T::MachineId.eq(m));
    }
    match (filter.direction, scope.organization()) {
        (Some(Direction::Incoming), Some(org)) => q = q.filter(T::ToOrganizationId.eq(org)),
        (Some(Direction::Outgoing), Some(org)) => q = q.filter(T::FromOrganizationId.eq(org)),
        _ => {}
    }
    q
}

/// A page of transfers in scope, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &TransferFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Transfer>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = filtered(&scope, filter);
    if let Some(after) = page.after()? {
        q = q.filter(machine_transfer::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(machine_transfer::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |t| t.id);
    Ok(Page { items: to_dtos(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

/// 409 when the machine already has a pending transfer.
fn already_pending() -> ServiceError {
    AppError::conflict("transfer_pending").into()
}

/// The facts a transfer notification shows.
pub(super) fn notice_params(t: &Transfer) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    p.insert("machine_name".to_owned(), t.machine.name.clone());
    p.insert("registration_code".to_owned(), t.machine.registration_code.clone().unwrap_or_default());
    p.insert("from_name".to_owned(), t.from.name.clone());
    p.insert("to_name".to_owned(), t.to.name.clone());
    p.insert("transfer_on".to_owned(), t.transfer_on.to_string());
    p
}

/// Starts a transfer of a registered machine of the caller's unit (its administrator) to the
/// unit with `buyer_uscc`. A machine with an unresolved case may be offered; its transfer waits
/// for the permission of each county concerned, whose inspectors are told.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn start(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    input: TransferInput,
) -> ServiceResult<Transfer> {
    principal.require(&DECIDERS)?;
    let org = principal.organization_id.ok_or(AppError::Forbidden)?;
    let m = crate::machines::service::find_visible(state, principal, machine_id).await?;
    if m.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    let now = state.clock.now();
    let checked = validate(&input, crate::dates::china_date(now)).map_err(|fields| AppError::Validation { fields })?;
    let buyer = organization::Entity::find()
        .filter(organization::Column::Uscc.eq(checked.buyer.as_str()))
        .filter(organization::Column::IsActive.eq(true))
        .one(&state.db)
        .await?;
    let buyer = match buyer {
        None => return Err(AppError::field("buyer_uscc", "unknown_organization").into()),
        Some(b) if b.id == org => return Err(AppError::field("buyer_uscc", "own_organization").into()),
        Some(b) => b,
    };
    let Some(code) = m.registration_code.as_deref() else { return Err(AppError::conflict("not_registered").into()) };
    let county = crate::machines::regcode::RegistrationCode::parse(code)
        .map_err(|_| ServiceError::internal("stored registration code"))?
        .county()
        .to_owned();
    let pending = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(m.id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Pending.as_str()))
        .one(&state.db)
        .await?;
    if pending.is_some() {
        return Err(already_pending());
    }
    // A pending amendment of the machine's registered facts would be refused here (409
    // `amendment_pending`), with the amendments capability's own check.
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let row = machine_transfer::ActiveModel {
        id: Set(id),
        machine_id: Set(m.id),
        from_organization_id: Set(org),
        to_organization_id: Set(buyer.id),
        county_code: Set(county.clone()),
        transfer_on: Set(checked.transfer_on),
        note: Set(checked.note),
        status: Set(TransferStatus::Pending.as_str().to_owned()),
        decline_reason: Set(None),
        started_by: Set(principal.user_id),
        decided_by: Set(None),
        decided_at: Set(None),
        effective_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match machine_transfer::Entity::insert(row).exec(&txn).await {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            drop(txn);
            return Err(already_pending());
        }
        Err(e) => return Err(e.into()),
    }
    let t = dto(&txn, id).await?;
    let e = audit::entry(Action::Create, EntityKind::Transfer).by(principal).id(id).county(Some(&county));
    audit::record(&txn, now, e.after(&t)).await?;
    use crate::notifications::service::transfer_notice as notice;
    let params = notice_params(&t);
    let mut notices = notice(&txn, NotificationKind::TransferRequested, id, &[buyer.id], &[], "", &params, now).await?;
    for c in &t.awaiting_permission_from {
        let kind = NotificationKind::TransferNeedsPermission;
        notices.extend(notice(&txn, kind, id, &[], std::slice::from_ref(c), c, &params, now).await?);
    }
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    Ok(t)
}

/// A field error for a decision's reason.
pub(super) fn reason_error(fields: FieldErrors) -> ServiceError {
    AppError::Validation { fields }.into()
}

/// 409 for a step the transfer's status does not allow.
pub(super) fn illegal_transition(from: &str) -> ServiceError {
    AppError::illegal_transition(from, None).into()
}

/// 409 `unresolved_case`, naming the counties whose permission is missing.
pub(super) fn unresolved_case(counties: &[String]) -> ServiceError {
    let mut params = BTreeMap::new();
    params.insert("counties".to_owned(), counties.join(","));
    AppError::Conflict { code: "unresolved_case".into(), fields: FieldErrors::new(), params }.into()
}
