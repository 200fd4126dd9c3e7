//! The decisions on a pending transfer: the buyer accepts (the machine changes owner and the
//! seller's filings stop covering it) or declines, the seller cancels, the county of an
//! unresolved case allows it. Each is one transaction whose first write is conditional on the
//! transfer being pending, so a second, concurrent decision changes nothing. An acceptance locks
//! the machine before anything else on PostgreSQL (as a start does), and finds a transfer whose
//! seller no longer owns the machine void.

use super::service::{
    dto, find_visible, illegal_transition, machine_for_update, missing_permissions, notice_params, permissions_of,
    reason_error, unresolved_case,
};
use super::{ReasonInput, Transfer, TransferStatus, awaiting_permission, check_reason, due};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{machine_transfer, transfer_permission};
use crate::error::{AppError, ConflictCode, FieldErrors};
use crate::notifications::NotificationKind;
use crate::notifications::service::{send_out, transfer_notice as notice};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Which side of the transfer a decision belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Buyer,
    Seller,
}

/// The pending transfer `id`, visible to the caller (404), decided by an administrator (403) of
/// `side` (403 for the other party), still pending (409).
async fn pending_for(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    side: Side,
) -> ServiceResult<machine_transfer::Model> {
    let t = find_visible(state, principal, id).await?;
    principal.require(&crate::auth::permissions::TRANSFER_DECIDERS)?;
    let party = match side {
        Side::Buyer => t.to_organization_id,
        Side::Seller => t.from_organization_id,
    };
    if principal.organization_id != Some(party) {
        return Err(AppError::Forbidden.into());
    }
    if t.status != TransferStatus::Pending {
        return Err(illegal_transition(t.status.as_str()));
    }
    Ok(t)
}

/// Moves a pending transfer to `to` (the first write of `txn`); 409 when it is no longer
/// pending (a concurrent decision won).
async fn settle(
    txn: &DatabaseTransaction,
    principal: &Principal,
    t: &machine_transfer::Model,
    to: TransferStatus,
    now: DateTime<Utc>,
    reason: Option<String>,
) -> ServiceResult<()> {
    use machine_transfer::Column as C;
    let effective_on = (to == TransferStatus::Accepted).then(|| crate::dates::china_date(now));
    let updated = machine_transfer::Entity::update_many()
        .col_expr(C::Status, Expr::value(to.as_str()))
        .col_expr(C::DecidedBy, Expr::value(Some(principal.user_id)))
        .col_expr(C::DecidedAt, Expr::value(Some(now)))
        .col_expr(C::EffectiveOn, Expr::value(effective_on))
        .col_expr(C::DeclineReason, Expr::value(reason))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(t.id))
        .filter(C::Status.eq(TransferStatus::Pending))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(still_pending_or(txn, t).await);
    }
    Ok(())
}

/// Claims a pending transfer for a step that keeps it pending (a permission; SQLite's acceptance
/// before it reads the machine): a conditional write, so the step fails (409) once a decision won.
async fn claim(txn: &DatabaseTransaction, t: &machine_transfer::Model, now: DateTime<Utc>) -> ServiceResult<()> {
    use machine_transfer::Column as C;
    let updated = machine_transfer::Entity::update_many()
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(t.id))
        .filter(C::Status.eq(TransferStatus::Pending))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(still_pending_or(txn, t).await);
    }
    Ok(())
}

/// 409 `illegal_transition` naming the status a concurrent decision left the transfer in.
async fn still_pending_or(txn: &DatabaseTransaction, t: &machine_transfer::Model) -> ServiceError {
    match machine_transfer::Entity::find_by_id(t.id).one(txn).await {
        Ok(Some(now)) => illegal_transition(now.status.as_str()),
        Ok(None) => AppError::NotFound.into(),
        Err(e) => e.into(),
    }
}

/// Writes the decision's audit row and notifications, commits, and sends them out.
async fn finish(
    state: &AppState,
    txn: DatabaseTransaction,
    principal: &Principal,
    action: Action,
    t: &machine_transfer::Model,
    now: DateTime<Utc>,
    notify: (NotificationKind, Vec<Uuid>, Vec<String>),
) -> ServiceResult<Transfer> {
    let after = dto(&txn, t.id).await?;
    let before = serde_json::json!({"status": t.status});
    let e = audit::entry(action, EntityKind::Transfer).by(principal).id(t.id).county(Some(&t.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    let (kind, orgs, counties) = notify;
    let notices = notice(&txn, kind, t.id, &orgs, &counties, "", &notice_params(&after), now).await?;
    txn.commit().await?;
    send_out(state, &notices).await;
    Ok(after)
}

/// The buyer's administrator accepts on or after the handover day: the machine passes to the
/// buyer with everything recorded about it, the seller's filings stop covering it from today,
/// the issuing county and both units hear of it. Refused (409 `unresolved_case`) while a county
/// with an unresolved case of the machine has not allowed it — checked again here, inside the
/// transaction, since a case may have opened after the start.
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn accept(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Transfer> {
    let t = pending_for(state, principal, id, Side::Buyer).await?;
    let now = state.clock.now();
    let today = crate::dates::china_date(now);
    if !due(t.transfer_on, today) {
        let mut params = BTreeMap::new();
        params.insert("transfer_on".to_owned(), t.transfer_on.to_string());
        return Err(
            AppError::Conflict { code: ConflictCode::TransferNotDue, fields: FieldErrors::new(), params }.into()
        );
    }
    let txn = state.db.begin().await?;
    // PostgreSQL: the machine is locked first (a start and an inspection's case wait for it).
    // SQLite: the first statement writes, taking the one write lock, before the machine is read.
    if crate::db::is_sqlite(&txn) {
        claim(&txn, &t, now).await?;
    }
    let current = machine_for_update(&txn, t.machine_id).await?;
    if current.organization_id != t.from_organization_id {
        // The seller no longer owns it (it moved by another transfer first): the transfer is
        // void, which frees the machine for its real owner's transfers.
        settle(&txn, principal, &t, TransferStatus::Void, now, None).await?;
        let after = dto(&txn, t.id).await?;
        let e = audit::entry(Action::Update, EntityKind::Transfer).by(principal).id(t.id).county(Some(&t.county_code));
        let before = serde_json::json!({"status": t.status});
        audit::record(&txn, now, e.before(&before).after(&after)).await?;
        txn.commit().await?;
        return Err(AppError::conflict(ConflictCode::OwnerChanged).into());
    }
    settle(&txn, principal, &t, TransferStatus::Accepted, now, None).await?;
    let missing = missing_permissions(&txn, t.id, t.machine_id).await?;
    if !missing.is_empty() {
        return Err(unresolved_case(&missing));
    }
    crate::machines::service::change_owner(&txn, principal, &current, t.to_organization_id, t.id, now).await?;
    crate::filings::in_force::machine_leaves(&txn, principal, t.machine_id, t.from_organization_id, now).await?;
    let notify = (
        NotificationKind::TransferAccepted,
        vec![t.from_organization_id, t.to_organization_id],
        vec![t.county_code.clone()],
    );
    finish(state, txn, principal, Action::Accept, &t, now, notify).await
}

/// The buyer's administrator declines, with a reason; the seller hears of it.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn decline(state: &AppState, principal: &Principal, id: Uuid, input: ReasonInput) -> ServiceResult<Transfer> {
    let t = pending_for(state, principal, id, Side::Buyer).await?;
    let reason = check_reason(&input.reason).map_err(reason_error)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    settle(&txn, principal, &t, TransferStatus::Declined, now, Some(reason)).await?;
    let notify = (NotificationKind::TransferDeclined, vec![t.from_organization_id], vec![]);
    finish(state, txn, principal, Action::Decline, &t, now, notify).await
}

/// The seller's administrator withdraws a pending transfer; the buyer hears of it.
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn cancel(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Transfer> {
    let t = pending_for(state, principal, id, Side::Seller).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    settle(&txn, principal, &t, TransferStatus::Cancelled, now, None).await?;
    let notify = (NotificationKind::TransferCancelled, vec![t.to_organization_id], vec![]);
    finish(state, txn, principal, Action::Cancel, &t, now, notify).await
}

/// An inspector of a county where the machine has an unresolved case allows the transfer, with a
/// reason (409 `nothing_to_allow` for a county without such a case). A permission covers the
/// county's cases open when it is given: once a newer case opens there it must allow again
/// (`already_allowed` while its permission still covers every case). Both units hear of it.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn allow(state: &AppState, principal: &Principal, id: Uuid, input: ReasonInput) -> ServiceResult<Transfer> {
    let t = find_visible(state, principal, id).await?;
    principal.require(&crate::auth::permissions::TRANSFER_ALLOWERS)?;
    let county = principal.division_code.clone().ok_or(AppError::Forbidden)?;
    let reason = check_reason(&input.reason).map_err(reason_error)?;
    if t.status != TransferStatus::Pending {
        return Err(illegal_transition(t.status.as_str()));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    // The first statement: the transfer must still be pending (a concurrent acceptance or
    // decline wins, or waits for this one on PostgreSQL's row lock).
    claim(&txn, &t, now).await?;
    let unresolved = crate::cases::service::unresolved_counties(&txn, &[t.machine_id]).await?;
    let Some(newest) = unresolved.iter().find(|u| u.county_code == county).map(|u| u.last_opened_at) else {
        return Err(AppError::conflict(ConflictCode::NothingToAllow).into());
    };
    let allowed = permissions_of(&txn, t.id).await?;
    let awaiting = awaiting_permission(
        unresolved.iter().map(|u| (u.county_code.as_str(), u.last_opened_at)),
        allowed.iter().map(|(c, at)| (c.as_str(), *at)),
    );
    if !awaiting.contains(&county) {
        return Err(AppError::conflict(ConflictCode::AlreadyAllowed).into());
    }
    let stale = allowed.iter().any(|(c, _)| *c == county);
    if stale {
        // It allowed before a newer case opened there: the permission is given anew.
        use transfer_permission::Column as P;
        let refreshed = transfer_permission::Entity::update_many()
            .col_expr(P::Reason, Expr::value(reason.clone()))
            .col_expr(P::AllowedBy, Expr::value(principal.user_id))
            .col_expr(P::AllowedAt, Expr::value(now))
            .filter(P::TransferId.eq(t.id))
            .filter(P::CountyCode.eq(county.clone()))
            .filter(P::AllowedAt.lt(newest))
            .exec(&txn)
            .await?;
        if refreshed.rows_affected == 0 {
            return Err(AppError::conflict(ConflictCode::AlreadyAllowed).into());
        }
    } else {
        let row = transfer_permission::ActiveModel {
            transfer_id: Set(t.id),
            county_code: Set(county.clone()),
            reason: Set(reason.clone()),
            allowed_by: Set(principal.user_id),
            allowed_at: Set(now),
        };
        match transfer_permission::Entity::insert(row).exec(&txn).await {
            Ok(_) => {}
            Err(e) if crate::db::is_unique_violation(&e) => {
                return Err(AppError::conflict(ConflictCode::AlreadyAllowed).into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let after = dto(&txn, t.id).await?;
    let e = audit::entry(Action::Allow, EntityKind::Transfer).by(principal).id(t.id).county(Some(&county));
    let before = serde_json::json!({"awaiting_permission_from": awaiting});
    let permitted = serde_json::json!({
        "county_code": county, "reason": reason, "awaiting_permission_from": after.awaiting_permission_from,
    });
    audit::record(&txn, now, e.before(&before).after(&permitted)).await?;
    let mut params = notice_params(&after);
    params.insert("county".to_owned(), county.clone());
    let parties = [t.from_organization_id, t.to_organization_id];
    // A county allowing again (after a newer case) is news again: the key names the moment.
    let key = format!("{county}:{}", now.timestamp_millis());
    let notices = notice(&txn, NotificationKind::TransferAllowed, t.id, &parties, &[], &key, &params, now).await?;
    txn.commit().await?;
    send_out(state, &notices).await;
    Ok(after)
}
