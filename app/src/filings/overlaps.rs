//! Which machines are already filed for overlapping dates: the submitted and accepted filings in
//! the caller's scope (a unit's own) that carry one of the machines asked about and whose
//! planned stay shares a day with the dates asked about. The filing form shows it beside each
//! machine it offers, so a unit sees a clash before it submits (accepting still refuses a
//! machine on another site's accepted filing, `machine_overlap`).

use super::read::filtered;
use super::{FiledMachineOverlap, FilingFilter, FilingStatus, MAX_MACHINES, OverlapQuery};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine, site};
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Parses the comma-separated ids of `GET /filings/overlaps` (400 for one that is no id).
pub fn parse_ids(raw: &str) -> Result<Vec<Uuid>, AppError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Uuid::parse_str(s).map_err(|_| AppError::BadRequest { code: "malformed_query".into() }))
        .collect()
}

/// The REST form: [`filed_for`] with the query's ids parsed.
pub async fn filed_for_query(
    state: &AppState,
    principal: &Principal,
    query: &OverlapQuery,
) -> ServiceResult<Vec<FiledMachineOverlap>> {
    let ids = parse_ids(&query.machine_ids)?;
    filed_for(state, principal, &ids, query.from, query.to, query.exclude).await
}

/// For each of `machine_ids` (at most [`MAX_MACHINES`]) on a submitted or accepted filing in the
/// caller's scope whose planned days overlap `from..=to`: that filing (all of them, a machine
/// at a time, earliest first). `exclude` leaves one filing out (the one being corrected).
#[tracing::instrument(skip(state, principal, machine_ids), fields(user = %principal.username, n = machine_ids.len()))]
pub async fn filed_for(
    state: &AppState,
    principal: &Principal,
    machine_ids: &[Uuid],
    from: NaiveDate,
    to: NaiveDate,
    exclude: Option<Uuid>,
) -> ServiceResult<Vec<FiledMachineOverlap>> {
    let mut errors = FieldErrors::new();
    if machine_ids.len() > MAX_MACHINES {
        errors.add("machine_ids", FieldError::new(FieldCode::TooMany).with("max", MAX_MACHINES));
    }
    if to < from {
        errors.add("to", FieldError::new(FieldCode::EndBeforeStart));
    }
    errors.into_result()?;
    let scope = Scope::resolve(&state.db, principal).await?;
    if machine_ids.is_empty() {
        return Ok(vec![]);
    }
    let statuses = [FilingStatus::Submitted, FilingStatus::Accepted];
    // Driven from these machines' links (indexed by machine), joined to their filings; a filing
    // with several of them comes once per machine, and the map below keeps it once.
    let mut q = filtered(&scope, &FilingFilter::default())
        .join(JoinType::InnerJoin, filing_machine::Relation::Filing.def().rev())
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        // A machine that left the filing (handed over) before the days asked about, or before
        // the filing began, is not on it then: the rule acceptance applies.
        .filter(super::in_force::not_left_by(from))
        .filter(super::in_force::left_after_entry())
        .filter(filing::Column::Status.is_in(statuses))
        .filter(filing::Column::PlannedEntryOn.lte(to))
        .filter(filing::Column::PlannedExitOn.gte(from));
    if let Some(id) = exclude {
        q = q.filter(filing::Column::Id.ne(id));
    }
    let filings: HashMap<Uuid, filing::Model> = q.all(&state.db).await?.into_iter().map(|f| (f.id, f)).collect();
    if filings.is_empty() {
        return Ok(vec![]);
    }
    let sites: HashMap<Uuid, String> = site::Entity::find()
        .filter(site::Column::Id.is_in(filings.values().map(|f| f.site_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let links = filing_machine::Entity::find()
        .filter(filing_machine::Column::FilingId.is_in(filings.keys().copied()))
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        .order_by_asc(filing_machine::Column::MachineId)
        .all(&state.db)
        .await?;
    let mut out: Vec<FiledMachineOverlap> = links
        .into_iter()
        .filter_map(|l| {
            let f = filings.get(&l.filing_id)?;
            Some(FiledMachineOverlap {
                machine_id: l.machine_id,
                filing_id: f.id,
                site_id: f.site_id,
                site_name: sites.get(&f.site_id).cloned().unwrap_or_default(),
                status: f.status,
                planned_entry_on: f.planned_entry_on,
                planned_exit_on: f.planned_exit_on,
            })
        })
        .collect();
    out.sort_by_key(|o| (o.machine_id, o.planned_entry_on, o.filing_id));
    Ok(out)
}
