//! Deciding an amendment: an inspector of the county that issued the registration code accepts
//! it (the machine takes the new values) or returns it with a reason. One transaction holds the
//! amendment's new status, the machine's new values and version, the audit rows and the unit's
//! notifications. The status changes first and only from `pending`, so two accepts at once
//! apply once; the machine's facts must still be those the amendment was asked against.

use super::service::{PENDING, audit_record, changes_of, find_visible, illegal_transition, photo_count};
use super::{Amendment, AmendmentStatus, apply_changes, check_reason};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{amendment, machine};
use crate::error::{AppError, ConflictCode, FieldErrors};
use crate::filings::{Decision, ReviewInput};
use crate::machines::MachineInput;
use crate::machines::registry::{check_against_registry, duplicate_after_violation, raise};
use crate::machines::service::{active_from, photo_kinds, to_dto};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

/// Accepts or returns a pending amendment. 404 outside the caller's scope, 403 for anyone but
/// an inspector of the issuing county, 422 for a return without a reason, 409 when it is no
/// longer pending (`illegal_transition`), has no evidence photo yet (`evidence_required`), or
/// the machine's facts moved since it was asked (`amendment_stale`), or the machine changed owner
/// since (`owner_changed`).
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn review(state: &AppState, principal: &Principal, id: Uuid, input: ReviewInput) -> ServiceResult<Amendment> {
    let a = find_visible(state, principal, id).await?;
    principal.require(&crate::auth::permissions::AMENDMENT_REVIEWERS)?;
    if principal.division_code.as_deref() != Some(a.county_code.as_str()) {
        return Err(AppError::Forbidden.into());
    }
    let (to, reason) = match input.decision {
        Decision::Accept => (AmendmentStatus::Accepted, None),
        Decision::Return => {
            let reason = check_reason(input.reason.as_deref().unwrap_or_default())
                .map_err(|e| AppError::Validation { fields: FieldErrors::single("reason", e) })?;
            (AmendmentStatus::Returned, Some(reason))
        }
    };
    if a.status != PENDING {
        return Err(illegal_transition(a.status.as_str(), to.as_str()));
    }
    if to == AmendmentStatus::Accepted && photo_count(&state.db, id).await? == 0 {
        return Err(AppError::conflict(ConflictCode::EvidenceRequired).into());
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // The first statement writes, so SQLite takes its write lock before anything is read; on
    // PostgreSQL a second accept waits for this one and then finds nothing pending.
    let updated = amendment::Entity::update_many()
        .col_expr(amendment::Column::Status, Expr::value(to.as_str()))
        .col_expr(amendment::Column::PendingMachineId, Expr::value(None::<Uuid>))
        .col_expr(amendment::Column::ReviewedBy, Expr::value(Some(principal.user_id)))
        .col_expr(amendment::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(amendment::Column::ReturnReason, Expr::value(reason))
        .col_expr(amendment::Column::UpdatedAt, Expr::value(now))
        .filter(amendment::Column::Id.eq(id))
        .filter(amendment::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(illegal_transition(a.status.as_str(), to.as_str()));
    }
    let txn = if to == AmendmentStatus::Accepted {
        match apply(&txn, principal, &a, now).await? {
            Applied::Done => txn,
            Applied::Duplicate(after) => {
                // The transaction is spoilt (PostgreSQL): end it before looking.
                drop(txn);
                return Err(duplicate_after_violation(&state.db, &after, Some(a.machine_id)).await);
            }
        }
    } else {
        txn
    };
    let decided = amendment::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let e = audit::entry(Action::Review, EntityKind::Amendment).by(principal).id(id).county(Some(&a.county_code));
    audit::record(&txn, now, e.before(&audit_record(&a)?).after(&audit_record(&decided)?)).await?;
    let notices = crate::notifications::service::amendment_reviewed(&txn, &decided, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    super::service::get(state, principal, id).await
}

/// How applying the new values went.
enum Applied {
    Done,
    /// An identifier was taken since the check (a unique index refused it).
    Duplicate(Box<MachineInput>),
}

/// Gives the machine the amendment's new values (version + 1) inside `txn`, after checking its
/// facts are still the old values and the new machine passes the machine rules and the
/// registry today; writes the machine's audit row.
async fn apply(
    txn: &DatabaseTransaction,
    principal: &Principal,
    a: &amendment::Model,
    now: DateTime<Utc>,
) -> ServiceResult<Applied> {
    let mut q = machine::Entity::find_by_id(a.machine_id);
    if !crate::db::is_sqlite(txn) {
        q = q.lock_exclusive();
    }
    let m = q.one(txn).await?.ok_or_else(|| ServiceError::internal("amended machine vanished"))?;
    // Read under the machine's lock: a unit that no longer owns the machine (a transfer accepted
    // meanwhile) no longer speaks for its facts.
    if m.organization_id != a.organization_id {
        return Err(AppError::conflict(ConflictCode::OwnerChanged).into());
    }
    let kinds = photo_kinds(txn, &[m.id]).await?.remove(&m.id).unwrap_or_default();
    let before = to_dto(m.clone(), kinds.clone())?;
    let changes = changes_of(a)?;
    if changes.iter().any(|c| c.field.value(&before.data) != c.old) {
        return Err(AppError::conflict(ConflictCode::AmendmentStale).into());
    }
    let new_values = changes.iter().map(|c| (c.field.as_str().to_owned(), c.new.clone())).collect();
    let (after, _) = apply_changes(&before.data, &new_values, crate::dates::china_date(now))
        .map_err(|fields| ServiceError::from(AppError::Validation { fields }))?;
    let mut errors = FieldErrors::new();
    check_against_registry(txn, &after, Some(m.id), &mut errors).await?;
    raise(errors)?;
    let mut row = active_from(&after);
    row.version = Set(m.version + 1);
    row.updated_at = Set(now);
    let result = machine::Entity::update_many()
        .set(row)
        .filter(machine::Column::Id.eq(m.id))
        .filter(machine::Column::Version.eq(m.version))
        .exec(txn)
        .await;
    match result {
        Ok(r) if r.rows_affected == 0 => return Err(ServiceError::stale(m.version)),
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => return Ok(Applied::Duplicate(Box::new(after))),
        Err(e) => return Err(e.into()),
    }
    let updated = machine::Entity::find_by_id(m.id).one(txn).await?.ok_or(AppError::NotFound)?;
    let updated = to_dto(updated, kinds)?;
    let e = audit::entry(Action::Update, EntityKind::Machine).by(principal).id(m.id).county(Some(&a.county_code));
    audit::record(txn, now, e.before(&before).after(&updated)).await?;
    Ok(Applied::Done)
}
