//! Which filings are in force, for the capabilities that ask (the look-up, the statistics, the
//! public page, the exports): the conditions that say so, the filings covering machines on a
//! day, and a machine leaving its former owner's filings when a transfer is accepted.

use super::FilingStatus;
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine};
use crate::service_error::ServiceResult;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use uuid::Uuid;

/// The filings in force on `day`: accepted, with `day` between the planned entry and exit.
pub fn covering(day: NaiveDate) -> Condition {
    Condition::all()
        .add(filing::Column::Status.eq(FilingStatus::Accepted))
        .add(filing::Column::PlannedEntryOn.lte(day))
        .add(filing::Column::PlannedExitOn.gte(day))
}

/// The machines still on their filing on `day` (a `filing_machines` condition): all but those
/// that left it (a transfer to another unit) on or before that day.
pub fn not_left_by(day: NaiveDate) -> Expr {
    let left_on = Expr::col((filing_machine::Entity, filing_machine::Column::LeftOn));
    left_on.clone().is_null().or(left_on.gt(day))
}

/// The machines that were on their filing at all (`filing_machines` joined to `filings`): all
/// but those that left it (a transfer) on or before its first day.
pub fn left_after_entry() -> Expr {
    let left_on = Expr::col((filing_machine::Entity, filing_machine::Column::LeftOn));
    left_on.clone().is_null().or(left_on.gt(Expr::col((filing::Entity, filing::Column::PlannedEntryOn))))
}

/// A transfer's acceptance at `now` (inside its transaction): `machine_id` leaves, that China
/// day, every filing of its former owner `org` that is not closed and still runs on or after it.
/// The filing keeps its other machines and its own dates; for this machine it covers only the
/// days before (and the entry log takes no entry from the moment of acceptance). Writes an audit
/// row per filing.
pub async fn machine_leaves(
    db: &impl ConnectionTrait,
    principal: &Principal,
    machine_id: Uuid,
    org: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let day = crate::dates::china_date(now);
    let open = [FilingStatus::Draft, FilingStatus::Submitted, FilingStatus::Returned, FilingStatus::Accepted];
    let filings = filing::Entity::find()
        .filter(filing::Column::OrganizationId.eq(org))
        .filter(filing::Column::Status.is_in(open))
        .filter(filing::Column::PlannedExitOn.gte(day))
        .filter(
            filing::Column::Id.in_subquery(
                Query::select()
                    .column(filing_machine::Column::FilingId)
                    .from(filing_machine::Entity)
                    .and_where(Expr::col(filing_machine::Column::MachineId).eq(machine_id))
                    .and_where(Expr::col(filing_machine::Column::LeftOn).is_null())
                    .to_owned(),
            ),
        )
        .all(db)
        .await?;
    if filings.is_empty() {
        return Ok(());
    }
    filing_machine::Entity::update_many()
        .col_expr(filing_machine::Column::LeftOn, Expr::value(Some(day)))
        .col_expr(filing_machine::Column::LeftAt, Expr::value(Some(now)))
        .filter(filing_machine::Column::MachineId.eq(machine_id))
        .filter(filing_machine::Column::FilingId.is_in(filings.iter().map(|f| f.id)))
        .filter(filing_machine::Column::LeftOn.is_null())
        .exec(db)
        .await?;
    let entries = filings
        .iter()
        .map(|f| {
            let before = serde_json::json!({"machine_id": machine_id, "left_on": null});
            let after = serde_json::json!({
                "machine_id": machine_id, "left_on": day, "left_at": now, "reason": "transferred",
            });
            audit::entry(Action::Update, EntityKind::Filing)
                .by(principal)
                .id(f.id)
                .county(Some(&f.county_code))
                .before(&before)
                .after(&after)
        })
        .collect();
    audit::service::record_many(db, now, entries).await?;
    Ok(())
}

/// For look-ups: the accepted filings (with sites) that cover each machine on `day`.
pub async fn current_filings(
    db: &impl ConnectionTrait,
    machine_ids: &[Uuid],
    day: NaiveDate,
) -> ServiceResult<HashMap<Uuid, filing::Model>> {
    let links = filing_machine::Entity::find()
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        .filter(not_left_by(day))
        .all(db)
        .await?;
    let filing_ids: Vec<Uuid> = links.iter().map(|l| l.filing_id).collect();
    let filings: HashMap<Uuid, filing::Model> = filing::Entity::find()
        .filter(filing::Column::Id.is_in(filing_ids))
        .filter(covering(day))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    Ok(links.into_iter().filter_map(|l| filings.get(&l.filing_id).map(|f| (l.machine_id, f.clone()))).collect())
}
