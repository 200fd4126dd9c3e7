//! Amendments: submitted by the unit that owns a registered machine, read and listed in scope
//! (a unit its own, officials those of the counties that issued the codes, and anyone who may
//! see the machine its history), withdrawn by the unit. The decision is in [`super::review`].

use super::{
    Actor, Amendment, AmendmentFilter, AmendmentInput, AmendmentStatus, FactChange, apply_changes, check_reason,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::db::entities::{amendment, evidence_photo, machine, organization};
use crate::error::{AppError, ConflictCode, FieldErrors};
use crate::machines::regcode::RegistrationCode;
use crate::machines::registry::{check_against_registry, raise};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The status of a pending amendment, as stored.
pub(crate) const PENDING: super::AmendmentStatus = super::AmendmentStatus::Pending;

/// The scope as a condition on amendments: a unit the ones it asked for, officials those of
/// the counties that issued the codes.
fn condition(scope: &Scope) -> Condition {
    scope.condition(Some(amendment::Column::CountyCode), Some(amendment::Column::OrganizationId))
}

/// An amendment the caller may see (404 otherwise): its unit, the officials of the issuing
/// county (and above), and whoever may see the machine (its history is theirs to read).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<amendment::Model> {
    let a = amendment::Entity::find_by_id(id).one(&state.db).await?.ok_or(AppError::NotFound)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    if !scope.allows(Some(&a.county_code), Some(a.organization_id)) {
        crate::machines::service::find_visible(state, principal, a.machine_id).await?;
    }
    Ok(a)
}

/// Whether `principal` may decide `a` now: an inspector of the issuing county, while pending.
pub fn may_review(principal: &Principal, a: &amendment::Model) -> bool {
    a.status == PENDING
        && crate::auth::permissions::AMENDMENT_REVIEWERS.contains(&principal.role)
        && principal.division_code.as_deref() == Some(a.county_code.as_str())
}

/// Whether `principal` may withdraw `a` now: the unit's administrators, or the staff member who
/// submitted it, while pending.
pub fn may_withdraw(principal: &Principal, a: &amendment::Model) -> bool {
    a.status == PENDING
        && principal.organization_id == Some(a.organization_id)
        && (principal.role == Role::ContractorAdmin
            || (principal.role == Role::ContractorStaff && principal.user_id == a.submitted_by))
}

/// The facts an amendment changes, as stored.
pub fn changes_of(a: &amendment::Model) -> ServiceResult<Vec<FactChange>> {
    serde_json::from_str(&a.changes).map_err(ServiceError::internal)
}

/// 409 for a step the amendment's status does not allow.
pub(crate) fn illegal_transition(from: &str, to: &str) -> ServiceError {
    let mut params = BTreeMap::new();
    params.insert("from".to_owned(), from.to_owned());
    params.insert("to".to_owned(), to.to_owned());
    AppError::Conflict { code: ConflictCode::IllegalTransition, fields: FieldErrors::new(), params }.into()
}

/// What the audit log keeps of an amendment: its row, with the changes as JSON.
pub(crate) fn audit_record(a: &amendment::Model) -> ServiceResult<serde_json::Value> {
    Ok(serde_json::json!({
        "id": a.id,
        "machine_id": a.machine_id,
        "organization_id": a.organization_id,
        "county_code": a.county_code,
        "status": a.status,
        "changes": changes_of(a)?,
        "reason": a.reason,
        "machine_version": a.machine_version,
        "submitted_by": a.submitted_by,
        "submitted_at": a.submitted_at,
        "reviewed_by": a.reviewed_by,
        "reviewed_at": a.reviewed_at,
        "return_reason": a.return_reason,
        "withdrawn_by": a.withdrawn_by,
        "withdrawn_at": a.withdrawn_at,
    }))
}

/// Evidence photos held by each amendment.
async fn photo_counts(db: &impl ConnectionTrait, ids: &[Uuid]) -> ServiceResult<HashMap<Uuid, u32>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = evidence_photo::Entity::find()
        .select_only()
        .column(evidence_photo::Column::SubjectId)
        .column_as(Expr::expr(Func::count(Expr::col(evidence_photo::Column::Id))), "n")
        .filter(evidence_photo::Column::SubjectKind.eq(crate::evidence::SubjectKind::Amendment))
        .filter(evidence_photo::Column::SubjectId.is_in(ids.iter().copied()))
        .group_by(evidence_photo::Column::SubjectId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, u32::try_from(n).unwrap_or(0))).collect())
}

/// Evidence photos held by one amendment.
pub(crate) async fn photo_count(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<u64> {
    Ok(evidence_photo::Entity::find()
        .filter(evidence_photo::Column::SubjectKind.eq(crate::evidence::SubjectKind::Amendment))
        .filter(evidence_photo::Column::SubjectId.eq(id))
        .count(db)
        .await?)
}

/// The wire form of rows, for `principal` (who decides what it may do with each).
async fn to_dtos(
    db: &impl ConnectionTrait,
    principal: &Principal,
    rows: Vec<amendment::Model>,
) -> ServiceResult<Vec<Amendment>> {
    let machines: HashMap<Uuid, (String, Option<String>)> = machine::Entity::find()
        .select_only()
        .column(machine::Column::Id)
        .column(machine::Column::Name)
        .column(machine::Column::RegistrationCode)
        .filter(machine::Column::Id.is_in(rows.iter().map(|a| a.machine_id)))
        .into_tuple::<(Uuid, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, code)| (id, (name, code)))
        .collect();
    let orgs: HashMap<Uuid, String> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .filter(organization::Column::Id.is_in(rows.iter().map(|a| a.organization_id)))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let people_ids = rows.iter().flat_map(|a| [Some(a.submitted_by), a.reviewed_by]).flatten().collect();
    let people = crate::auth::service::people(db, people_ids).await?;
    let actor = |id: Option<Uuid>| {
        id.and_then(|id| people.get(&id)).map(|(name, role)| Actor { name: name.clone(), role: *role })
    };
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let photos = photo_counts(db, &ids).await?;
    rows.into_iter()
        .map(|a| {
            let status = a.status;
            let (machine_name, code) = machines.get(&a.machine_id).cloned().unwrap_or_default();
            Ok(Amendment {
                id: a.id,
                machine_id: a.machine_id,
                machine_name,
                registration_code: code.unwrap_or_default(),
                organization_id: a.organization_id,
                organization_name: orgs.get(&a.organization_id).cloned().unwrap_or_default(),
                county_code: a.county_code.clone(),
                status,
                changes: changes_of(&a)?,
                reason: a.reason.clone(),
                machine_version: a.machine_version,
                submitted_by: actor(Some(a.submitted_by)),
                submitted_at: a.submitted_at,
                reviewed_by: actor(a.reviewed_by),
                reviewed_at: a.reviewed_at,
                return_reason: a.return_reason.clone(),
                withdrawn_at: a.withdrawn_at,
                photo_count: photos.get(&a.id).copied().unwrap_or(0),
                may_review: may_review(principal, &a),
                may_withdraw: may_withdraw(principal, &a),
            })
        })
        .collect()
}

/// One amendment.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Amendment> {
    let a = find_visible(state, principal, id).await?;
    to_dtos(&state.db, principal, vec![a]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// A page of amendments in scope: the queue (`status=pending`) oldest first, any other list
/// newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &AmendmentFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Amendment>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let mut q = filtered(&scope, filter);
    let oldest_first = filter.status == Some(AmendmentStatus::Pending);
    if let Some(after) = page.after()? {
        q = q.filter(if oldest_first { amendment::Column::Id.gt(after) } else { amendment::Column::Id.lt(after) });
    }
    q = if oldest_first { q.order_by_asc(amendment::Column::Id) } else { q.order_by_desc(amendment::Column::Id) };
    let rows = q.limit(page.limit() + 1).all(&state.db).await?;
    let page = page_from(rows, page.limit(), |a| a.id);
    Ok(Page { items: to_dtos(&state.db, principal, page.items).await?, next_cursor: page.next_cursor })
}

/// The amendments in `scope` that `filter` selects: the one rule of the list and the to-do
/// counts.
pub fn filtered(scope: &Scope, filter: &AmendmentFilter) -> sea_orm::Select<amendment::Entity> {
    let mut q = amendment::Entity::find().filter(condition(scope));
    if let Some(s) = filter.status {
        q = q.filter(amendment::Column::Status.eq(s.as_str()));
    }
    if let Some(m) = filter.machine_id {
        q = q.filter(amendment::Column::MachineId.eq(m));
    }
    q
}

/// The amendment history of a machine the caller may see (404 otherwise), newest first.
pub async fn history(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    page: &PageQuery,
) -> ServiceResult<Page<Amendment>> {
    crate::machines::service::find_visible(state, principal, machine_id).await?;
    let mut q = amendment::Entity::find().filter(amendment::Column::MachineId.eq(machine_id));
    if let Some(after) = page.after()? {
        q = q.filter(amendment::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(amendment::Column::Id).limit(page.limit() + 1).all(&state.db).await?;
    let page = page_from(rows, page.limit(), |a| a.id);
    Ok(Page { items: to_dtos(&state.db, principal, page.items).await?, next_cursor: page.next_cursor })
}

/// Asks for an amendment of a registered machine of the caller's unit: the new values are
/// checked with the machine rules and the registry (as if the machine were edited), at least
/// one must differ, and the machine may have one pending amendment at a time (409
/// `amendment_pending`) and none while a transfer of it is pending (409 `transfer_pending`). The issuing county's inspectors are notified.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn submit(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    input: AmendmentInput,
) -> ServiceResult<Amendment> {
    let m = crate::machines::service::find_visible(state, principal, machine_id).await?;
    let org = principal.contractor_org()?;
    if m.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    let Some(code) = m.registration_code.clone() else {
        return Err(AppError::conflict(ConflictCode::NotRegistered).into());
    };
    let county = RegistrationCode::parse(&code)
        .map(|c| c.county().to_owned())
        .map_err(|_| ServiceError::internal(format!("stored registration code {code}")))?;
    let now = state.clock.now();
    let current = crate::machines::service::to_dto(m.clone(), vec![])?.data;
    let mut errors = FieldErrors::new();
    let reason = check_reason(&input.reason).map_err(|e| errors.add("reason", e)).ok();
    let applied = apply_changes(&current, &input.changes, crate::dates::china_date(now))
        .map_err(|e| e.0.into_iter().for_each(|(f, es)| es.into_iter().for_each(|x| errors.add(&f, x))))
        .ok();
    let (Some(reason), Some((after, changes))) = (reason, applied) else {
        return Err(AppError::Validation { fields: errors }.into());
    };
    let mut errors = FieldErrors::new();
    check_against_registry(&state.db, &after, Some(m.id), &mut errors).await?;
    raise(errors)?;
    if super::pending::pending_for(&state.db, m.id).await? {
        return Err(AppError::conflict(ConflictCode::AmendmentPending).into());
    }
    // A machine being handed over keeps its facts until the buyer has it or the offer ends.
    if crate::transfers::pending::pending_for(&state.db, m.id).await? {
        return Err(AppError::conflict(ConflictCode::TransferPending).into());
    }
    let row = amendment::Model {
        id: Uuid::now_v7(),
        machine_id: m.id,
        organization_id: org,
        county_code: county,
        status: PENDING,
        changes: serde_json::to_string(&changes).map_err(ServiceError::internal)?,
        reason,
        machine_version: m.version,
        pending_machine_id: Some(m.id),
        submitted_by: principal.user_id,
        submitted_at: now,
        reviewed_by: None,
        reviewed_at: None,
        return_reason: None,
        withdrawn_by: None,
        withdrawn_at: None,
        created_at: now,
        updated_at: now,
    };
    let txn = state.db.begin().await?;
    match amendment::Entity::insert(amendment::ActiveModel::from(row.clone())).exec(&txn).await {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(AppError::conflict(ConflictCode::AmendmentPending).into());
        }
        Err(e) => return Err(e.into()),
    }
    let e = audit::entry(Action::Create, EntityKind::Amendment).by(principal).id(row.id).county(Some(&row.county_code));
    audit::record(&txn, now, e.after(&audit_record(&row)?)).await?;
    let notices = crate::notifications::service::amendment_submitted(&txn, &row, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    get(state, principal, row.id).await
}

/// Withdraws a pending amendment (the unit's administrators, or the staff member who asked):
/// nothing changes on the machine, and a new amendment may be submitted.
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn withdraw(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Amendment> {
    let a = find_visible(state, principal, id).await?;
    let org = principal.contractor_org()?;
    let own = principal.role == Role::ContractorAdmin || principal.user_id == a.submitted_by;
    if org != a.organization_id || !own {
        return Err(AppError::Forbidden.into());
    }
    let to = AmendmentStatus::Withdrawn.as_str();
    if a.status != PENDING {
        return Err(illegal_transition(a.status.as_str(), to));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let updated = amendment::Entity::update_many()
        .col_expr(amendment::Column::Status, Expr::value(to))
        .col_expr(amendment::Column::PendingMachineId, Expr::value(None::<Uuid>))
        .col_expr(amendment::Column::WithdrawnBy, Expr::value(Some(principal.user_id)))
        .col_expr(amendment::Column::WithdrawnAt, Expr::value(Some(now)))
        .col_expr(amendment::Column::UpdatedAt, Expr::value(now))
        .filter(amendment::Column::Id.eq(id))
        .filter(amendment::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(illegal_transition(a.status.as_str(), to));
    }
    let after = amendment::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let e = audit::entry(Action::Withdraw, EntityKind::Amendment).by(principal).id(id).county(Some(&a.county_code));
    audit::record(&txn, now, e.before(&audit_record(&a)?).after(&audit_record(&after)?)).await?;
    txn.commit().await?;
    get(state, principal, id).await
}
