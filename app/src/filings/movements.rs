//! The entry/exit log of an accepted filing (Beijing's rule): the unit records each machine
//! entering and leaving the site; officials read it.

use super::read::find_visible;
use super::{FilingStatus, Movement, MovementInput, MovementKind};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{filing_machine, machine_movement};
use crate::error::{AppError, ConflictCode, FieldCode};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use uuid::Uuid;

fn movement_dto(m: machine_movement::Model) -> Movement {
    Movement {
        id: m.id,
        machine_id: m.machine_id,
        kind: if m.kind == MovementKind::Exit { MovementKind::Exit } else { MovementKind::Enter },
        at: m.at,
        outside_window: m.outside_window,
        warning: m.outside_window.then(|| "outside_filing_dates".to_owned()),
    }
}

/// The entry/exit log of a filing, oldest first.
pub async fn movements(state: &AppState, principal: &Principal, filing_id: Uuid) -> ServiceResult<Vec<Movement>> {
    find_visible(state, principal, filing_id).await?;
    Ok(machine_movement::Entity::find()
        .filter(machine_movement::Column::FilingId.eq(filing_id))
        .order_by_asc(machine_movement::Column::At)
        .order_by_asc(machine_movement::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(movement_dto)
        .collect())
}

/// Records a machine entering or leaving the site of an accepted filing (Beijing's rule).
/// An exit must follow an entry and not precede it; an entry outside the planned dates is
/// recorded with a warning.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn record_movement(
    state: &AppState,
    principal: &Principal,
    filing_id: Uuid,
    input: MovementInput,
) -> ServiceResult<Movement> {
    let org = principal.contractor_org()?;
    let f = find_visible(state, principal, filing_id).await?;
    if f.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    if f.status != FilingStatus::Accepted {
        return Err(AppError::conflict(ConflictCode::FilingNotAccepted).into());
    }
    let Some(on_filing) = filing_machine::Entity::find_by_id((filing_id, input.machine_id)).one(&state.db).await?
    else {
        return Err(AppError::field("machine_id", FieldCode::NotOnFiling).into());
    };
    // A machine transferred away may still be seen leaving, never entering after it left.
    if input.kind == MovementKind::Enter && super::left_filing(on_filing.left_at, input.at) {
        return Err(AppError::field("machine_id", FieldCode::LeftFiling).into());
    }
    let now = state.clock.now();
    if input.at > now + chrono::Duration::minutes(10) {
        return Err(AppError::field("at", FieldCode::DateInFuture).into());
    }
    let last = machine_movement::Entity::find()
        .filter(machine_movement::Column::FilingId.eq(filing_id))
        .filter(machine_movement::Column::MachineId.eq(input.machine_id))
        .order_by_desc(machine_movement::Column::At)
        .order_by_desc(machine_movement::Column::Id)
        .one(&state.db)
        .await?;
    match (input.kind, &last) {
        (MovementKind::Exit, None) => return Err(AppError::field("kind", FieldCode::ExitWithoutEntry).into()),
        (MovementKind::Exit, Some(l)) if l.kind == MovementKind::Exit => {
            return Err(AppError::field("kind", FieldCode::ExitWithoutEntry).into());
        }
        (MovementKind::Exit, Some(l)) if input.at < l.at => {
            return Err(AppError::field("at", FieldCode::ExitBeforeEntry).into());
        }
        (MovementKind::Enter, Some(l)) if l.kind == MovementKind::Enter => {
            return Err(AppError::field("kind", FieldCode::AlreadyOnSite).into());
        }
        (MovementKind::Enter, Some(l)) if input.at < l.at => {
            return Err(AppError::field("at", FieldCode::BeforeLastExit).into());
        }
        _ => {}
    }
    let day = crate::dates::china_date(input.at);
    let outside = input.kind == MovementKind::Enter && (day < f.planned_entry_on || day > f.planned_exit_on);
    let id = Uuid::now_v7();
    let row = machine_movement::ActiveModel {
        id: Set(id),
        filing_id: Set(filing_id),
        machine_id: Set(input.machine_id),
        kind: Set(input.kind),
        at: Set(input.at),
        outside_window: Set(outside),
        recorded_by: Set(principal.user_id),
        created_at: Set(now),
    };
    let txn = state.db.begin().await?;
    machine_movement::Entity::insert(row).exec(&txn).await?;
    let m = movement_dto(machine_movement::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?);
    let after = serde_json::json!({"filing_id": filing_id, "movement": m});
    let e = audit::entry(Action::Create, EntityKind::Movement).by(principal).id(id).county(Some(&f.county_code));
    audit::record(&txn, now, e.after(&after)).await?;
    let notices = match input.kind {
        MovementKind::Enter => crate::watchlist::service::entered(&txn, &f, input.machine_id, id, now).await?,
        MovementKind::Exit => vec![],
    };
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    Ok(m)
}
