//! Transfers: who sees which, starting one, reading and listing them. The decisions (accept,
//! decline, cancel, allow) are in `decide.rs`.

use super::{
    Direction, Permission, Transfer, TransferFilter, TransferInput, TransferMachine, TransferParty, TransferStatus,
    awaiting_permission, validate,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{case, machine, machine_transfer, organization, transfer_permission};
use crate::error::{AppError, ConflictCode, FieldCode, FieldErrors};
use crate::notifications::NotificationKind;
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, TransactionTrait,
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

/// The counties that allowed a transfer, with when each did.
pub(super) async fn permissions_of(
    db: &impl ConnectionTrait,
    transfer_id: Uuid,
) -> ServiceResult<Vec<(String, DateTime<Utc>)>> {
    Ok(transfer_permission::Entity::find()
        .select_only()
        .column(transfer_permission::Column::CountyCode)
        .column(transfer_permission::Column::AllowedAt)
        .filter(transfer_permission::Column::TransferId.eq(transfer_id))
        .into_tuple::<(String, DateTime<Utc>)>()
        .all(db)
        .await?)
}

/// The counties whose permission the transfer of `machine_id` still lacks, read on `db`.
pub(super) async fn missing_permissions(
    db: &impl ConnectionTrait,
    transfer_id: Uuid,
    machine_id: Uuid,
) -> ServiceResult<Vec<String>> {
    let unresolved = crate::cases::service::unresolved_counties(db, &[machine_id]).await?;
    let allowed = permissions_of(db, transfer_id).await?;
    Ok(awaiting_permission(
        unresolved.iter().map(|u| (u.county_code.as_str(), u.last_opened_at)),
        allowed.iter().map(|(c, at)| (c.as_str(), *at)),
    ))
}

/// The machine row inside a change's transaction: locked for update on PostgreSQL (SQLite's
/// transaction already holds the one write lock once it has written).
pub(super) async fn machine_for_update(txn: &DatabaseTransaction, machine_id: Uuid) -> ServiceResult<machine::Model> {
    let q = machine::Entity::find_by_id(machine_id);
    let row = if crate::db::is_sqlite(txn) { q.one(txn).await? } else { q.lock_exclusive().one(txn).await? };
    row.ok_or_else(|| ServiceError::internal("transfer without machine"))
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
    let names = crate::auth::service::people(db, permits.iter().map(|p| p.allowed_by).collect()).await?;
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
        rows.iter().filter(|t| t.status == TransferStatus::Pending).map(|t| t.machine_id).collect();
    let mut case_counties: HashMap<Uuid, Vec<(String, DateTime<Utc>)>> = HashMap::new();
    for u in crate::cases::service::unresolved_counties(db, &pending_machines).await? {
        case_counties.entry(u.machine_id).or_default().push((u.county_code, u.last_opened_at));
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
            let status = t.status;
            let m = machines.get(&t.machine_id).ok_or_else(|| ServiceError::internal("transfer without machine"))?;
            let permissions = permissions.remove(&t.id).unwrap_or_default();
            let awaiting_permission_from = match status {
                TransferStatus::Pending => awaiting_permission(
                    case_counties.get(&t.machine_id).into_iter().flatten().map(|(c, at)| (c.as_str(), *at)),
                    permissions.iter().map(|p| (p.county_code.as_str(), p.allowed_at)),
                ),
                _ => Vec::new(),
            };
            Ok(Transfer {
                id: t.id,
                machine: TransferMachine {
                    id: m.id,
                    // The name both sides saw when it started (a later rename by the new owner is
                    // not the seller's business).
                    name: t.machine_name,
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

fn already_pending() -> ServiceError {
    AppError::conflict(ConflictCode::TransferPending).into()
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
    principal.require(&crate::auth::permissions::TRANSFER_DECIDERS)?;
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
        None => return Err(AppError::field("buyer_uscc", FieldCode::UnknownOrganization).into()),
        Some(b) if b.id == org => return Err(AppError::field("buyer_uscc", FieldCode::OwnOrganization).into()),
        Some(b) => b,
    };
    let Some(code) = m.registration_code.as_deref() else {
        return Err(AppError::conflict(ConflictCode::NotRegistered).into());
    };
    let county = crate::machines::regcode::RegistrationCode::parse(code)
        .map_err(|_| ServiceError::internal("stored registration code"))?
        .county()
        .to_owned();
    if super::pending::pending_for(&state.db, m.id).await? {
        return Err(already_pending());
    }
    // The seller's amendment of the machine's facts is decided (or withdrawn) first: the county
    // reviews what the owner asked, and the buyer takes the machine as registered.
    if crate::amendments::pending::pending_for(&state.db, m.id).await? {
        return Err(AppError::conflict(ConflictCode::AmendmentPending).into());
    }
    let id = Uuid::now_v7();
    let row = machine_transfer::ActiveModel {
        id: Set(id),
        machine_id: Set(m.id),
        machine_name: Set(m.name.clone()),
        from_organization_id: Set(org),
        to_organization_id: Set(buyer.id),
        county_code: Set(county.clone()),
        transfer_on: Set(checked.transfer_on),
        note: Set(checked.note),
        status: Set(TransferStatus::Pending),
        decline_reason: Set(None),
        started_by: Set(principal.user_id),
        decided_by: Set(None),
        decided_at: Set(None),
        effective_on: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    // What was read above may be stale by now (an acceptance of an earlier transfer may have moved
    // the machine): inside the transaction the machine is read again under its lock, owner and
    // code re-checked, before the transfer exists. PostgreSQL locks the row first (an acceptance
    // locks it first too, so the two run one after the other); SQLite writes first, which takes
    // its one write lock, and reads after.
    let txn = state.db.begin().await?;
    let sqlite = crate::db::is_sqlite(&txn);
    if sqlite {
        insert_pending(&txn, row.clone()).await?;
    }
    let current = machine_for_update(&txn, m.id).await?;
    if current.organization_id != org || current.registration_code != m.registration_code {
        return Err(AppError::conflict(ConflictCode::OwnerChanged).into());
    }
    if !sqlite {
        insert_pending(&txn, row).await?;
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

/// An inspection at a site in `county` opened a case on `machine_id` (inside its transaction):
/// when the machine has a pending transfer, that county's permission is needed for it (again),
/// and the county's inspectors are told. Returns the notifications to send once committed.
pub async fn case_opened(
    db: &impl ConnectionTrait,
    machine_id: Uuid,
    county: &str,
    inspection_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<crate::db::entities::notification::Model>> {
    let pending = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::MachineId.eq(machine_id))
        .filter(machine_transfer::Column::Status.eq(TransferStatus::Pending))
        .one(db)
        .await?;
    let Some(t) = pending else { return Ok(Vec::new()) };
    let t = dto(db, t.id).await?;
    let kind = NotificationKind::TransferNeedsPermission;
    let key = format!("{county}:{inspection_id}");
    let counties = [county.to_owned()];
    crate::notifications::service::transfer_notice(db, kind, t.id, &[], &counties, &key, &notice_params(&t), now).await
}

/// Inserts a new pending transfer; 409 `transfer_pending` when the machine has one already (the
/// partial unique index decides between two starts at once).
async fn insert_pending(txn: &DatabaseTransaction, row: machine_transfer::ActiveModel) -> ServiceResult<()> {
    match machine_transfer::Entity::insert(row).exec(txn).await {
        Ok(_) => Ok(()),
        Err(e) if crate::db::is_unique_violation(&e) => Err(already_pending()),
        Err(e) => Err(e.into()),
    }
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
    AppError::Conflict { code: ConflictCode::UnresolvedCase, fields: FieldErrors::new(), params }.into()
}
