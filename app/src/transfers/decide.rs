//! The decisions on a pending transfer: the buyer accepts (the machine changes owner and the
//! seller's filings stop covering it) or declines, the seller cancels, the county of an
//! unresolved case allows it. Each is one transaction whose first statement is the conditional
//! status update, so a second, concurrent decision changes nothing.

use super::service::{
    allowed_counties, dto, find_visible, illegal_transition, notice_params, reason_error, unresolved_case,
    unresolved_counties,
};
use super::{ALLOWERS, DECIDERS, ReasonInput, Transfer, TransferStatus, awaiting_permission, check_reason, due};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{machine, machine_transfer, transfer_permission};
use crate::error::{AppError, FieldErrors};
use crate::notifications::NotificationKind;
use crate::notifications::service::{send_out, transfer_notice as notice};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
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
    principal.require(&DECIDERS)?;
    let party = match side {
        Side::Buyer => t.to_organization_id,
        Side::Seller => t.from_organization_id,
    };
    if principal.organization_id != Some(party) {
        return Err(AppError::Forbidden.into());
    }
    if t.status != TransferStatus::Pending.as_str() {
        return Err(illegal_transition(&t.status));
    }
    Ok(t)
}

/// Moves a pending transfer to `to` (the first statement of `txn`); 409 when it is no longer
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
        .filter(C::Status.eq(TransferStatus::Pending.as_str()))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(illegal_transition(&t.status));
    }
    Ok(())
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
        return Err(AppError::Conflict { code: "transfer_not_due".into(), fields: FieldErrors::new(), params }.into());
    }
    let txn = state.db.begin().await?;
    settle(&txn, principal, &t, TransferStatus::Accepted, now, None).await?;
    let machine_row = machine::Entity::find_by_id(t.machine_id);
    let current = if crate::db::is_sqlite(&txn) {
        machine_row.one(&txn).await?
    } else {
        machine_row.lock_exclusive().one(&txn).await?
    };
    let current = current.ok_or_else(|| ServiceError::internal("transfer without machine"))?;
    let missing = awaiting_permission(
        unresolved_counties(&txn, t.machine_id).await?.iter().map(String::as_str),
        allowed_counties(&txn, t.id).await?.iter().map(String::as_str),
    );
    if !missing.is_empty() {
        return Err(unresolved_case(&missing));
    }
    let moved = machine::Entity::update_many()
        .col_expr(machine::Column::OrganizationId, Expr::value(t.to_organization_id))
        .col_expr(machine::Column::Version, Expr::col(machine::Column::Version).add(1))
        .col_expr(machine::Column::UpdatedAt, Expr::value(now))
        .filter(machine::Column::Id.eq(t.machine_id))
        .filter(machine::Column::OrganizationId.eq(t.from_organization_id))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::conflict("owner_changed").into());
    }
    let before = serde_json::json!({"organization_id": current.organization_id, "version": current.version});
    let after = serde_json::json!({
        "organization_id": t.to_organization_id, "version": current.version + 1, "transfer_id": t.id, "effective_on": today,
    });
    let e = audit::entry(Action::Update, EntityKind::Machine).by(principal).id(t.machine_id);
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    crate::filings::service::machine_leaves(&txn, principal, t.machine_id, t.from_organization_id, today, now).await?;
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
/// reason (once per county; 409 `already_allowed`, or `nothing_to_allow` for a county without
/// such a case). Both units hear of it.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn allow(state: &AppState, principal: &Principal, id: Uuid, input: ReasonInput) -> ServiceResult<Transfer> {
    let t = find_visible(state, principal, id).await?;
    principal.require(&ALLOWERS)?;
    let county = principal.division_code.clone().ok_or(AppError::Forbidden)?;
    let reason = check_reason(&input.reason).map_err(reason_error)?;
    if t.status != TransferStatus::Pending.as_str() {
        return Err(illegal_transition(&t.status));
    }
    let unresolved = unresolved_counties(&state.db, t.machine_id).await?;
    if !unresolved.contains(&county) {
        return Err(AppError::conflict("nothing_to_allow").into());
    }
    let allowed = allowed_counties(&state.db, t.id).await?;
    let awaiting = awaiting_permission(unresolved.iter().map(String::as_str), allowed.iter().map(String::as_str));
    let now = state.clock.now();
    let txn = state.db.begin().await?;
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
            drop(txn);
            return Err(AppError::conflict("already_allowed").into());
        }
        Err(e) => return Err(e.into()),
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
    let notices = notice(&txn, NotificationKind::TransferAllowed, t.id, &parties, &[], &county, &params, now).await?;
    txn.commit().await?;
    send_out(state, &notices).await;
    Ok(after)
}
