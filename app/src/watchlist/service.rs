//! The watch list's rule and records: why each machine is watched (one function for the list,
//! a filing's review and the notices), the inspectors' entries, and who hears when a watched
//! machine is filed.

use super::{MAX_DAYS, REASON_MAX, WatchEntry, WatchEntryInput, WatchKind, WatchReason, WatchedMachine};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::permissions::{INSPECTORS, LOOKUP};
use crate::auth::service::Principal;
use crate::cases::{CaseKind, CaseState};
use crate::db::entities::{case, filing, filing_machine, inspection, machine, notification, organization, watch_entry};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::filings::FilingStatus;
use crate::inspections::compliance::Verdict;
use crate::notifications::NotificationKind;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, TransactionTrait,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// The machines a question is about: every machine, or these.
#[derive(Debug, Clone, Copy)]
pub enum Machines<'a> {
    All,
    Only(&'a [Uuid]),
}

impl Machines<'_> {
    fn condition(self, column: impl ColumnTrait) -> Condition {
        match self {
            Machines::All => Condition::all().add(column.is_not_null()),
            Machines::Only(ids) => Condition::all().add(column.is_in(ids.iter().copied())),
        }
    }

    fn is_empty(self) -> bool {
        matches!(self, Machines::Only(ids) if ids.is_empty())
    }
}

/// Why each watched machine (of `which`) is watched on `today`, oldest reason first; a machine
/// that is not watched is absent. Four queries (more for very many machines: see [`IN_CHUNK`](crate::db::IN_CHUNK)).
#[tracing::instrument(skip(db))]
pub async fn reasons_for(
    db: &impl ConnectionTrait,
    which: Machines<'_>,
    today: NaiveDate,
) -> ServiceResult<BTreeMap<Uuid, Vec<WatchReason>>> {
    let mut out: BTreeMap<Uuid, Vec<WatchReason>> = BTreeMap::new();
    if which.is_empty() {
        return Ok(out);
    }
    // Many machines (every machine filed in a county): in parts, each a list a statement may
    // bind three times (`candidates`). A machine's reasons are its own, so the parts just add up.
    if let Machines::Only(ids) = which
        && ids.len() > crate::db::IN_CHUNK / 3
    {
        for part in ids.chunks(crate::db::IN_CHUNK / 3) {
            out.extend(Box::pin(reasons_for(db, Machines::Only(part), today)).await?);
        }
        return Ok(out);
    }
    // A few machines (a filing's, a look-up's): one statement first says which of them may be
    // watched at all, and most of the time that none is.
    let narrowed;
    let which = match which {
        Machines::All => Machines::All,
        Machines::Only(ids) => {
            narrowed = candidates(db, ids, today).await?;
            if narrowed.is_empty() {
                return Ok(out);
            }
            Machines::Only(&narrowed)
        }
    };
    // A failure not passed since: of the machines that ever failed, those whose last verdict
    // (an exemption decides nothing) is a failure.
    let ever_failed: Vec<Uuid> = inspection::Entity::find()
        .select_only()
        .column(inspection::Column::MachineId)
        .distinct()
        .filter(which.condition(inspection::Column::MachineId))
        .filter(inspection::Column::Verdict.eq(Verdict::Fail))
        .into_tuple::<Option<Uuid>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    if !ever_failed.is_empty() {
        let last =
            crate::inspections::read::last_per_machine(db, ever_failed, &[Verdict::Fail, Verdict::Pass], None).await?;
        for (m, i) in last.into_iter().filter(|(_, i)| i.verdict == Verdict::Fail) {
            out.entry(m).or_default().push(WatchReason {
                kind: WatchKind::FailedInspection,
                county_code: i.county_code,
                county_name: String::new(),
                since: i.inspected_at,
                subject_id: i.id,
                note: None,
                ends_on: None,
            });
        }
    }
    // Unresolved cases, and machines found unregistered that still are.
    let cases = case::Entity::find()
        .filter(which.condition(case::Column::MachineId))
        .filter(
            Condition::any()
                .add(case::Column::State.is_in(CaseState::UNRESOLVED))
                .add(case::Column::Kind.eq(CaseKind::UnregisteredMachine)),
        )
        .all(db)
        .await?;
    let found: BTreeSet<Uuid> =
        cases.iter().filter(|c| c.kind == CaseKind::UnregisteredMachine).filter_map(|c| c.machine_id).collect();
    let found: Vec<Uuid> = found.into_iter().collect();
    let unregistered: BTreeSet<Uuid> = crate::db::in_chunks(&found, |ids| {
        machine::Entity::find()
            .select_only()
            .column(machine::Column::Id)
            .filter(machine::Column::Id.is_in(ids))
            .filter(machine::Column::RegistrationCode.is_null())
            .into_tuple::<Uuid>()
            .all(db)
    })
    .await?
    .into_iter()
    .collect();
    for c in cases {
        let Some(m) = c.machine_id else { continue };
        let reason = |kind| WatchReason {
            kind,
            county_code: c.county_code.clone(),
            county_name: String::new(),
            since: c.opened_at,
            subject_id: c.id,
            note: None,
            ends_on: None,
        };
        if CaseState::UNRESOLVED.contains(&c.state) {
            out.entry(m).or_default().push(reason(WatchKind::UnresolvedCase));
        }
        if c.kind == CaseKind::UnregisteredMachine && unregistered.contains(&m) {
            out.entry(m).or_default().push(reason(WatchKind::FoundUnregistered));
        }
    }
    // The inspectors' entries still running.
    let entries = watch_entry::Entity::find()
        .filter(which.condition(watch_entry::Column::MachineId))
        .filter(watch_entry::Column::EndedAt.is_null())
        .filter(watch_entry::Column::EndsOn.gte(today))
        .all(db)
        .await?;
    for e in entries {
        out.entry(e.machine_id).or_default().push(WatchReason {
            kind: WatchKind::Manual,
            county_code: e.county_code,
            county_name: String::new(),
            since: e.created_at,
            subject_id: e.id,
            note: Some(e.reason),
            ends_on: Some(e.ends_on),
        });
    }
    let counties: BTreeSet<String> = out.values().flatten().map(|r| r.county_code.clone()).collect();
    let names = match counties.is_empty() {
        true => HashMap::new(),
        false => crate::divisions::service::names(db, counties).await?,
    };
    for reasons in out.values_mut() {
        for r in reasons.iter_mut() {
            r.county_name = names.get(&r.county_code).cloned().unwrap_or_else(|| r.county_code.clone());
        }
        reasons.sort_by_key(|r| (r.since, r.subject_id, r.kind));
    }
    Ok(out)
}

/// Of `ids`, the machines that may be watched on `today` (one statement): ever failed, with a
/// case unresolved or about working unregistered, or with an entry running.
async fn candidates(db: &impl ConnectionTrait, ids: &[Uuid], today: NaiveDate) -> ServiceResult<Vec<Uuid>> {
    use sea_orm::sea_query::{ExprTrait, Query, UnionType};
    let mut failed = Query::select()
        .column(inspection::Column::MachineId)
        .from(inspection::Entity)
        .and_where(Expr::col(inspection::Column::MachineId).is_in(ids.iter().copied()))
        .and_where(Expr::col(inspection::Column::Verdict).eq(Verdict::Fail.as_str()))
        .to_owned();
    let cases = Query::select()
        .column(case::Column::MachineId)
        .from(case::Entity)
        .and_where(Expr::col(case::Column::MachineId).is_in(ids.iter().copied()))
        .cond_where(
            Condition::any()
                .add(Expr::col(case::Column::State).is_in(CaseState::UNRESOLVED.map(|s| s.as_str())))
                .add(Expr::col(case::Column::Kind).eq(CaseKind::UnregisteredMachine.as_str())),
        )
        .to_owned();
    let entries = Query::select()
        .column(watch_entry::Column::MachineId)
        .from(watch_entry::Entity)
        .and_where(Expr::col(watch_entry::Column::MachineId).is_in(ids.iter().copied()))
        .and_where(Expr::col(watch_entry::Column::EndedAt).is_null())
        .and_where(Expr::col(watch_entry::Column::EndsOn).gte(today))
        .to_owned();
    let stmt = failed.union(UnionType::Distinct, cases).union(UnionType::Distinct, entries).to_owned();
    let rows = db.query_all(&stmt).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(id) = row.try_get_by_index::<Option<Uuid>>(0)? {
            found.push(id);
        }
    }
    Ok(found)
}

/// The watched machines as shown: names, codes and owners beside their reasons (two queries per [`IN_CHUNK`](crate::db::IN_CHUNK) machines).
async fn shown(
    db: &impl ConnectionTrait,
    mut reasons: BTreeMap<Uuid, Vec<WatchReason>>,
) -> ServiceResult<Vec<WatchedMachine>> {
    if reasons.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = reasons.keys().copied().collect();
    let machines =
        crate::db::in_chunks(&ids, |ids| machine::Entity::find().filter(machine::Column::Id.is_in(ids)).all(db))
            .await?;
    let orgs = crate::db::names::<organization::Entity>(
        db,
        organization::Column::Id,
        organization::Column::Name,
        machines.iter().map(|m| m.organization_id),
    )
    .await?;
    let mut out = Vec::with_capacity(machines.len());
    for m in machines {
        let stage = crate::machines::EmissionStage::parse(&m.emission_stage)
            .ok_or_else(|| ServiceError::internal("stored stage"))?;
        out.push(WatchedMachine {
            reasons: reasons.remove(&m.id).unwrap_or_default(),
            machine_id: m.id,
            machine_name: m.name,
            registration_code: m.registration_code,
            emission_stage: stage,
            organization_name: orgs.get(&m.organization_id).cloned().unwrap_or_default(),
        });
    }
    // The latest trouble first.
    out.sort_by(|a, b| {
        let latest = |w: &WatchedMachine| w.reasons.iter().map(|r| r.since).max();
        latest(b).cmp(&latest(a)).then(a.machine_id.cmp(&b.machine_id))
    });
    Ok(out)
}

/// The machines now filed at a site of `counties` (one query per [`IN_CHUNK`](crate::db::IN_CHUNK) machines): on a filing submitted or
/// accepted that has not ended by `today`, and not gone from it (a transfer).
async fn filed_in(
    db: &impl ConnectionTrait,
    machines: Vec<Uuid>,
    counties: &[String],
    today: NaiveDate,
) -> ServiceResult<BTreeSet<Uuid>> {
    if machines.is_empty() || counties.is_empty() {
        return Ok(BTreeSet::new());
    }
    let in_force_there = filing::Entity::find()
        .select_only()
        .column(filing::Column::Id)
        .filter(filing::Column::Status.is_in([FilingStatus::Submitted, FilingStatus::Accepted]))
        .filter(filing::Column::PlannedExitOn.gte(today))
        .filter(filing::Column::CountyCode.is_in(counties.iter().cloned()))
        .into_query();
    let filed = crate::db::in_chunks(&machines, |ids| {
        filing_machine::Entity::find()
            .select_only()
            .column(filing_machine::Column::MachineId)
            .filter(filing_machine::Column::MachineId.is_in(ids))
            .filter(filing_machine::Column::FilingId.in_subquery(in_force_there.clone()))
            .filter(crate::filings::in_force::not_left_by(today))
            .into_tuple::<Uuid>()
            .all(db)
    })
    .await?;
    Ok(filed.into_iter().collect())
}

/// `GET /api/v1/watchlist`: the watched machines an official may see: those watched for a
/// reason in their counties, and those now filed (submitted or accepted) at a site there.
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, principal: &Principal) -> ServiceResult<Vec<WatchedMachine>> {
    principal.require(&LOOKUP)?;
    let db = &state.db;
    let today = crate::dates::china_date(state.clock.now());
    let mut reasons = reasons_for(db, Machines::All, today).await?;
    match Scope::resolve(db, principal).await? {
        Scope::All => {}
        Scope::Counties(counties) => {
            let filed = filed_in(db, reasons.keys().copied().collect(), &counties, today).await?;
            let scope = Scope::Counties(counties);
            reasons.retain(|m, rs| filed.contains(m) || rs.iter().any(|r| scope.allows_county(&r.county_code)));
        }
        Scope::Organization(_) | Scope::Nothing => reasons.clear(),
    }
    shown(db, reasons).await
}

/// The watched machines of a filing, for its review (officials who may see the filing; a
/// filing outside their scope is 404).
#[tracing::instrument(skip(state))]
pub async fn for_filing(
    state: &AppState,
    principal: &Principal,
    filing_id: Uuid,
) -> ServiceResult<Vec<WatchedMachine>> {
    principal.require(&LOOKUP)?;
    let db = &state.db;
    let f = crate::filings::read::find_visible(state, principal, filing_id).await?;
    let machines: Vec<Uuid> = filing_machine::Entity::find()
        .select_only()
        .column(filing_machine::Column::MachineId)
        .filter(filing_machine::Column::FilingId.eq(f.id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    let today = crate::dates::china_date(state.clock.now());
    shown(db, reasons_for(db, Machines::Only(&machines), today).await?).await
}

/// An entry's input checked on `today`: the machine's id (a registration code the register
/// knows), the reason trimmed, the end date within a year.
async fn check(db: &impl ConnectionTrait, input: &WatchEntryInput, today: NaiveDate) -> ServiceResult<(Uuid, String)> {
    let mut fields = FieldErrors::new();
    let reason = match crate::error::required_text("reason", &input.reason, REASON_MAX) {
        Ok(r) => Some(r),
        Err(errors) => {
            for (field, list) in errors.0 {
                list.into_iter().for_each(|e| fields.add(&field, e));
            }
            None
        }
    };
    if input.ends_on < today {
        fields.add("ends_on", FieldError::new(FieldCode::InThePast));
    } else if (input.ends_on - today).num_days() > MAX_DAYS {
        fields.add("ends_on", FieldError::new(FieldCode::Range).with("min", 0).with("max", MAX_DAYS));
    }
    let code = input.registration_code.trim();
    let machine = if code.is_empty() {
        fields.add("registration_code", FieldError::new(FieldCode::Required));
        None
    } else {
        let found = machine::Entity::find()
            .select_only()
            .column(machine::Column::Id)
            .filter(machine::Column::RegistrationCode.eq(code))
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        if found.is_none() {
            fields.add("registration_code", FieldError::new(FieldCode::UnknownRegistrationCode));
        }
        found
    };
    match (machine, reason) {
        (Some(m), Some(r)) if fields.is_empty() => Ok((m, r)),
        _ => Err(AppError::Validation { fields }.into()),
    }
}

fn to_dto(e: watch_entry::Model) -> WatchEntry {
    WatchEntry {
        id: e.id,
        machine_id: e.machine_id,
        county_code: e.county_code,
        reason: e.reason,
        ends_on: e.ends_on,
        created_by: e.created_by,
        created_at: e.created_at,
        ended_at: e.ended_at,
    }
}

/// `POST /api/v1/watchlist`: a county inspector puts a registered machine (anywhere in the
/// province) on the list for their county, with a reason and an end date.
#[tracing::instrument(skip(state, input))]
pub async fn add(state: &AppState, principal: &Principal, input: WatchEntryInput) -> ServiceResult<WatchEntry> {
    principal.require(&INSPECTORS)?;
    let county = principal.division_code.clone().ok_or(AppError::Forbidden)?;
    let now = state.clock.now();
    let (machine_id, reason) = check(&state.db, &input, crate::dates::china_date(now)).await?;
    let row = watch_entry::Model {
        id: Uuid::now_v7(),
        machine_id,
        county_code: county,
        reason,
        ends_on: input.ends_on,
        created_by: principal.user_id,
        created_at: now,
        ended_by: None,
        ended_at: None,
    };
    let txn = state.db.begin().await?;
    watch_entry::Entity::insert(watch_entry::ActiveModel::from(row.clone())).exec_without_returning(&txn).await?;
    let dto = to_dto(row);
    let e =
        audit::entry(Action::Create, EntityKind::WatchEntry).by(principal).id(dto.id).county(Some(&dto.county_code));
    audit::record(&txn, now, e.after(&dto)).await?;
    txn.commit().await?;
    Ok(dto)
}

/// `DELETE /api/v1/watchlist/{id}`: an inspector of the entry's county ends it before its end
/// date (the row stays, with who ended it and when). Another county's entry is 404; an entry
/// already ended is a conflict.
#[tracing::instrument(skip(state))]
pub async fn end(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<WatchEntry> {
    principal.require(&INSPECTORS)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let current = watch_entry::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|e| principal.division_code.as_deref() == Some(e.county_code.as_str()))
        .ok_or(AppError::NotFound)?;
    let updated = watch_entry::Entity::update_many()
        .col_expr(watch_entry::Column::EndedAt, Expr::value(Some(now)))
        .col_expr(watch_entry::Column::EndedBy, Expr::value(Some(principal.user_id)))
        .filter(watch_entry::Column::Id.eq(id))
        .filter(watch_entry::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::conflict(ConflictCode::IllegalTransition).into());
    }
    let before = to_dto(current.clone());
    let after = to_dto(watch_entry::Model { ended_at: Some(now), ended_by: Some(principal.user_id), ..current });
    let e = audit::entry(Action::Close, EntityKind::WatchEntry).by(principal).id(id).county(Some(&after.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// After a filing naming `machine_ids` is submitted (inside its transaction): for each watched
/// machine, the inspectors of the filing's county and of the counties behind its reasons hear
/// of it, once per filing and machine.
pub async fn filed(
    db: &impl ConnectionTrait,
    f: &filing::Model,
    machine_ids: &[Uuid],
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    at_site(db, NotificationKind::WatchedMachineFiled, f, machine_ids, f.id, now).await
}

/// After a machine is logged entering its filing's site (inside that transaction, `movement`
/// the log's id): if it is watched, the same counties as for [`filed`] hear of it.
pub async fn entered(
    db: &impl ConnectionTrait,
    f: &filing::Model,
    machine_id: Uuid,
    movement: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    at_site(db, NotificationKind::WatchedMachineEntered, f, &[machine_id], movement, now).await
}

/// The notices of watched machines arriving at `f`'s site (`event`: what brought them).
async fn at_site(
    db: &impl ConnectionTrait,
    kind: NotificationKind,
    f: &filing::Model,
    machine_ids: &[Uuid],
    event: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<notification::Model>> {
    let today = crate::dates::china_date(now);
    let mut notices = Vec::new();
    for (machine_id, reasons) in reasons_for(db, Machines::Only(machine_ids), today).await? {
        let mut counties: BTreeSet<String> = reasons.iter().map(|r| r.county_code.clone()).collect();
        counties.insert(f.county_code.clone());
        let kinds: BTreeSet<WatchKind> = reasons.iter().map(|r| r.kind).collect();
        let sent = crate::notifications::service::watched_machine_at_site(
            db, kind, f, machine_id, &kinds, counties, event, now,
        )
        .await?;
        notices.extend(sent);
    }
    Ok(notices)
}

/// A look-up by an official found `machine_id`, which may be watched (the look-up's own
/// statement says when it may be): its reasons, and the counties behind them, other than the
/// looker's own, hear which division looked it up (once a day per machine and division).
pub async fn looked_up(
    state: &AppState,
    principal: &Principal,
    machine_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<WatchReason>> {
    let today = crate::dates::china_date(now);
    let reasons =
        reasons_for(&state.db, Machines::Only(&[machine_id]), today).await?.remove(&machine_id).unwrap_or_default();
    let looker = principal.division_code.as_deref();
    let counties: BTreeSet<String> =
        reasons.iter().map(|r| r.county_code.clone()).filter(|c| Some(c.as_str()) != looker).collect();
    if !counties.is_empty() {
        let kinds: BTreeSet<WatchKind> = reasons.iter().map(|r| r.kind).collect();
        let txn = state.db.begin().await?;
        let notices =
            crate::notifications::service::watched_machine_seen(&txn, machine_id, looker, &kinds, counties, now)
                .await?;
        txn.commit().await?;
        crate::notifications::service::send_out(state, &notices).await;
    }
    Ok(reasons)
}
