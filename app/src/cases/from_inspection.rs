//! What an inspection does to cases, inside the inspection's transaction: open a case for each
//! finding, and settle (or record on) the case a re-inspection was made for. Cases own their
//! rows, events and audit entries; inspections call these two functions.

use super::{CaseKind, CaseState};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{case, case_event};
use crate::error::{AppError, ConflictCode};
use crate::service_error::ServiceResult;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// An event of a case written by an inspection (no deadline, penalty or legal basis).
fn event(
    case_id: Uuid,
    (from, to): (Option<CaseState>, CaseState),
    action: &str,
    actor: Uuid,
    at: DateTime<Utc>,
    inspection_id: Uuid,
) -> case_event::ActiveModel {
    case_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case_id),
        from_state: Set(from.map(|s| s.as_str().to_owned())),
        to_state: Set(to),
        action: Set(action.to_owned()),
        note: Set(None),
        actor_id: Set(actor),
        at: Set(at),
        deadline_on: Set(None),
        penalty_yuan: Set(None),
        legal_basis: Set(None),
        inspection_id: Set(Some(inspection_id)),
    }
}

/// Where an inspection found something: the inspection, its site, the machine and its owner then.
pub struct Finding<'a> {
    pub inspection_id: Uuid,
    pub county_code: &'a str,
    pub site_id: Uuid,
    pub site_organization_id: Uuid,
    pub machine_id: Option<Uuid>,
    pub owner: Option<Uuid>,
}

/// Opens a case of `kind` for `finding`: the row, its first event and its audit entry.
pub async fn open(
    txn: &impl ConnectionTrait,
    principal: &Principal,
    finding: &Finding<'_>,
    kind: CaseKind,
    now: DateTime<Utc>,
) -> ServiceResult<case::Model> {
    let row = case::Model {
        id: Uuid::now_v7(),
        county_code: finding.county_code.to_owned(),
        kind,
        state: CaseState::Open,
        machine_id: finding.machine_id,
        organization_id: finding.owner,
        site_organization_id: finding.site_organization_id,
        site_id: finding.site_id,
        inspection_id: finding.inspection_id,
        deadline_on: None,
        penalty_yuan: None,
        legal_basis: None,
        opened_at: now,
        closed_at: None,
        version: 1,
        updated_at: now,
    };
    case::Entity::insert(case::ActiveModel::from(row.clone())).exec(txn).await?;
    let opened = event(row.id, (None, CaseState::Open), "opened", principal.user_id, now, finding.inspection_id);
    case_event::Entity::insert(opened).exec(txn).await?;
    let after = serde_json::json!({
        "id": row.id, "kind": kind, "state": CaseState::Open, "county_code": row.county_code,
        "machine_id": row.machine_id, "site_id": row.site_id, "inspection_id": row.inspection_id,
    });
    let e = audit::entry(Action::Create, EntityKind::Case).by(principal).id(row.id).county(Some(&row.county_code));
    audit::record(txn, now, e.after(&after)).await?;
    Ok(row)
}

/// Settles the case `c` a re-inspection was made for (`passed`: `reinspection_passed`), or
/// records the failed re-inspection on it (it stays `rectification_ordered`). 409
/// `case_not_awaiting_reinspection` when the case moved meanwhile. Returns its new state.
pub async fn reinspected(
    txn: &impl ConnectionTrait,
    principal: &Principal,
    c: &case::Model,
    passed: bool,
    (inspection_id, now): (Uuid, DateTime<Utc>),
) -> ServiceResult<CaseState> {
    let to = if passed { CaseState::ReinspectionPassed } else { CaseState::RectificationOrdered };
    let updated = case::Entity::update_many()
        .col_expr(case::Column::State, Expr::value(to.as_str()))
        .col_expr(case::Column::Version, Expr::col(case::Column::Version).add(1))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::Id.eq(c.id))
        .filter(case::Column::State.eq(CaseState::RectificationOrdered))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::conflict(ConflictCode::CaseNotAwaitingReinspection).into());
    }
    let action = if passed { "reinspection_passed" } else { "reinspection_failed" };
    let step = event(c.id, (Some(CaseState::RectificationOrdered), to), action, principal.user_id, now, inspection_id);
    case_event::Entity::insert(step).exec(txn).await?;
    let e = audit::entry(Action::Transition, EntityKind::Case).by(principal).id(c.id).county(Some(&c.county_code));
    let before = serde_json::json!({"state": CaseState::RectificationOrdered, "version": c.version});
    let after =
        serde_json::json!({"state": to, "version": c.version + 1, "action": action, "inspection_id": inspection_id});
    audit::record(txn, now, e.before(&before).after(&after)).await?;
    Ok(to)
}
