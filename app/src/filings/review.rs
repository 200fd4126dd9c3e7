//! The county's review of a submitted filing: accept it (issuing registration codes to its
//! machines that have none, after the one-site-at-a-time check under locks) or return it with a
//! reason.

use super::read::{audit_record, find_visible, get};
use super::service::check_overlap;
use super::transitions::{self, Step};
use super::{Decision, Filing, ReviewInput};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine, machine, registration_counter};
use crate::error::{AppError, required_text};
use crate::machines::regcode::RegistrationCode;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use uuid::Uuid;

/// The next registration-code sequence number of a county: one atomic upsert, so concurrent
/// accepts never get the same number and numbers are never reused.
async fn next_sequence(db: &impl ConnectionTrait, county: &str) -> ServiceResult<i64> {
    let stmt = Query::insert()
        .into_table(registration_counter::Entity)
        .columns([registration_counter::Column::CountyCode, registration_counter::Column::LastSeq])
        .values([county.into(), 1i64.into()])
        .map_err(ServiceError::internal)?
        .on_conflict(
            OnConflict::column(registration_counter::Column::CountyCode)
                .value(
                    registration_counter::Column::LastSeq,
                    Expr::col((registration_counter::Entity, registration_counter::Column::LastSeq)).add(1),
                )
                .to_owned(),
        )
        .returning_col(registration_counter::Column::LastSeq)
        .to_owned();
    let row = db.query_one(&stmt).await?.ok_or_else(|| ServiceError::internal("no sequence returned"))?;
    Ok(row.try_get::<i64>("", "last_seq")?)
}

/// Accepts or returns a submitted filing (an inspector of the site's county). Accepting issues
/// a registration code to every machine on it that has none.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn review(state: &AppState, principal: &Principal, id: Uuid, input: ReviewInput) -> ServiceResult<Filing> {
    let current = find_visible(state, principal, id).await?;
    let step = match input.decision {
        Decision::Accept => Step::Accept,
        Decision::Return => Step::Return,
    };
    principal.require(step.takers())?;
    let reason = match step {
        Step::Return => Some(
            required_text("reason", input.reason.as_deref().unwrap_or(""), 1000)
                .map_err(|fields| AppError::Validation { fields })?,
        ),
        _ => None,
    };
    let to = transitions::plan(current.status, step)?;
    let now = state.clock.now();
    let before_status = current.status.as_str();
    let txn = state.db.begin().await?;
    // The first statement writes, so SQLite takes its write lock before anything is read.
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(to))
        .col_expr(filing::Column::ReturnReason, Expr::value(reason))
        .col_expr(filing::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(filing::Column::ReviewedBy, Expr::value(Some(principal.user_id)))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Status.eq(step.from()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::illegal_transition(current.status.as_str(), Some(to.as_str())).into());
    }
    let mut issued = Vec::new();
    if step == Step::Accept {
        let links_of = || filing_machine::Entity::find().filter(filing_machine::Column::FilingId.eq(id));
        let machine_ids: Vec<Uuid> = links_of().all(&txn).await?.iter().map(|fm| fm.machine_id).collect();
        // Two filings of one machine for different sites, accepted at once, must not both pass
        // the overlap check: lock the machines first, in id order (SQLite already holds its one
        // write lock since the first statement).
        if !crate::db::is_sqlite(&txn) {
            machine::Entity::find()
                .filter(machine::Column::Id.is_in(machine_ids.iter().copied()))
                .order_by_asc(machine::Column::Id)
                .lock_exclusive()
                .all(&txn)
                .await?;
        }
        // Read under the locks: a transfer accepted while this waited has ended its machine here.
        let links = links_of().all(&txn).await?;
        // Each machine is checked over the days it is on this filing (one that left it after a
        // transfer, only before it left).
        let (entry, exit) = (current.planned_entry_on, current.planned_exit_on);
        let stayed: Vec<Uuid> = links.iter().filter(|l| l.left_on.is_none()).map(|l| l.machine_id).collect();
        check_overlap(&txn, Some(id), current.site_id, &stayed, (entry, exit), None).await?;
        for l in links.iter().filter(|l| l.left_on.is_some_and(|d| d > entry)) {
            let last = l.left_on.and_then(|d| d.pred_opt()).map_or(exit, |d| Ord::min(d, exit));
            check_overlap(&txn, Some(id), current.site_id, &[l.machine_id], (entry, last), None).await?;
        }
        let unregistered = machine::Entity::find()
            .filter(machine::Column::Id.is_in(machine_ids))
            .filter(machine::Column::RegistrationCode.is_null())
            .order_by_asc(machine::Column::Id)
            .all(&txn)
            .await?;
        for m in unregistered {
            issued.push(m.id);
            let seq = next_sequence(&txn, &current.county_code).await?;
            let code = RegistrationCode::issue(&current.county_code, seq as u64).ok_or_else(|| {
                ServiceError::internal(format!("sequence {seq} out of range in {}", current.county_code))
            })?;
            machine::Entity::update_many()
                .col_expr(machine::Column::RegistrationCode, Expr::value(Some(code.to_string())))
                .col_expr(machine::Column::RegisteredAt, Expr::value(Some(now)))
                .col_expr(machine::Column::Version, Expr::col(machine::Column::Version).add(1))
                .filter(machine::Column::Id.eq(m.id))
                .filter(machine::Column::RegistrationCode.is_null())
                .exec(&txn)
                .await?;
        }
    }
    let mut after = audit_record(&txn, id).await?;
    let codes: Vec<serde_json::Value> = machine::Entity::find()
        .filter(machine::Column::Id.is_in(issued))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| serde_json::json!({"machine_id": m.id, "registration_code": m.registration_code}))
        .collect();
    if let serde_json::Value::Object(map) = &mut after {
        map.insert("registration_codes_issued".into(), serde_json::Value::Array(codes));
    }
    let before = serde_json::json!({"status": before_status, "version": current.version});
    let e = audit::entry(Action::Review, EntityKind::Filing).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    // The unit hears about the decision (stored with it; sent out once committed).
    let reviewed = filing::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let notices = crate::notifications::service::filing_reviewed(&txn, &reviewed, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    get(state, principal, id).await
}
