//! Filings: submit (routed to the site's county), pre-check, correct and resubmit, review
//! (accepting issues registration codes), close; and the entry/exit log.

use super::precheck::{self, MachineFacts};
use super::{
    Decision, FiledMachine, Filing, FilingCorrection, FilingFilter, FilingInput, FilingStatus, Movement, MovementInput,
    MovementKind, Precheck, ReviewInput, SiteDates,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::db::entities::{
    filing, filing_machine, machine, machine_movement, organization, registration_counter, site,
};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::machines::regcode::RegistrationCode;
use crate::machines::service::photo_kinds;
use crate::machines::{EmissionStage, FuelType};
use crate::paging::{Page, PageQuery, page_from};
use crate::request_ids::Begun;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

pub use super::MAX_MACHINES;

fn condition(scope: &Scope) -> Condition {
    match scope {
        Scope::Organization(org) => Condition::all().add(filing::Column::OrganizationId.eq(*org)),
        other => other.condition(Some(filing::Column::CountyCode), None),
    }
}

/// A filing the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<filing::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    filing::Entity::find_by_id(id)
        .filter(condition(&scope))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// The lowest diesel stage allowed at a site, when it lies in a zone on `on` (the site's
/// membership that day, `sites::zone`; a site an official put in a zone without zone data gets
/// the default rule).
async fn zone_min_stage(
    db: &impl ConnectionTrait,
    site: &site::Model,
    on: NaiveDate,
) -> ServiceResult<Option<EmissionStage>> {
    let membership = crate::sites::zone_service::membership(db, site, on).await?;
    Ok(membership.rule().map(|r| r.min_diesel_stage))
}

async fn facts(db: &impl ConnectionTrait, machines: Vec<machine::Model>) -> ServiceResult<Vec<MachineFacts>> {
    let ids: Vec<Uuid> = machines.iter().map(|m| m.id).collect();
    let mut photos = photo_kinds(db, &ids).await?;
    machines
        .into_iter()
        .map(|m| {
            let stage =
                EmissionStage::parse(&m.emission_stage).ok_or_else(|| ServiceError::internal("stored stage"))?;
            Ok(MachineFacts {
                fuel_is_diesel: m.fuel_type == FuelType::Diesel.as_str(),
                has_env_code: m.env_code.is_some(),
                has_engine_serial: m.engine_serial.is_some(),
                manufactured_on: m.manufactured_on,
                machine: FiledMachine {
                    photos: photos.remove(&m.id).unwrap_or_default(),
                    id: m.id,
                    name: m.name,
                    machine_type: m.machine_type,
                    emission_stage: stage,
                    rated_power_kw: m.rated_power_kw,
                    registration_code: m.registration_code,
                    left_on: None,
                    left_at: None,
                },
            })
        })
        .collect()
}

/// When a machine left a filing (a transfer): the day and the instant.
type Left = (NaiveDate, Option<DateTime<Utc>>);

/// The machines of a filing, and when each that left it (a transfer) did so.
async fn machines_of(
    db: &impl ConnectionTrait,
    filing_id: Uuid,
) -> ServiceResult<(Vec<machine::Model>, HashMap<Uuid, Left>)> {
    let links = filing_machine::Entity::find().filter(filing_machine::Column::FilingId.eq(filing_id)).all(db).await?;
    let ids: Vec<Uuid> = links.iter().map(|fm| fm.machine_id).collect();
    let machines = machine::Entity::find()
        .filter(machine::Column::Id.is_in(ids))
        .order_by_asc(machine::Column::Name)
        .order_by_asc(machine::Column::Id)
        .all(db)
        .await?;
    Ok((machines, left_of(&links)))
}

/// The machines of `links` that left their filing, and when.
fn left_of(links: &[filing_machine::Model]) -> HashMap<Uuid, Left> {
    links.iter().filter_map(|l| Some((l.machine_id, (l.left_on?, l.left_at)))).collect()
}

async fn to_dto(state: &AppState, f: filing::Model) -> ServiceResult<Filing> {
    let db = &state.db;
    let site = site::Entity::find_by_id(f.site_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::internal("filing without site"))?;
    let org = organization::Entity::find_by_id(f.organization_id).one(db).await?;
    let (machines, left) = machines_of(db, f.id).await?;
    let mut facts = facts(db, machines).await?;
    for x in &mut facts {
        if let Some((day, at)) = left.get(&x.machine.id) {
            (x.machine.left_on, x.machine.left_at) = (Some(*day), *at);
        }
    }
    let today = crate::dates::china_date(state.clock.now());
    // A machine that left the filing (a transfer) is no longer the unit's to correct.
    let staying: Vec<MachineFacts> = facts.iter().filter(|x| x.machine.left_on.is_none()).cloned().collect();
    let prechecks = precheck::run(zone_min_stage(db, &site, Ord::max(f.planned_entry_on, today)).await?, &staying);
    Ok(Filing {
        id: f.id,
        organization_id: f.organization_id,
        organization_name: org.map(|o| o.name).unwrap_or_default(),
        site_id: f.site_id,
        site_name: site.name,
        site_starts_on: site.starts_on,
        site_ends_on: site.ends_on,
        county_name: crate::divisions::service::get(db, &f.county_code)
            .await?
            .map(|d| d.name)
            .unwrap_or_else(|| f.county_code.clone()),
        county_code: f.county_code,
        status: FilingStatus::parse(&f.status).ok_or_else(|| ServiceError::internal("stored status"))?,
        planned_entry_on: f.planned_entry_on,
        planned_exit_on: f.planned_exit_on,
        return_reason: f.return_reason,
        submitted_at: f.submitted_at,
        reviewed_at: f.reviewed_at,
        machines: facts.into_iter().map(|x| x.machine).collect(),
        prechecks,
        version: f.version,
        created_at: f.created_at,
    })
}

/// What the audit log keeps of a filing: its row and its machines, read on `db` (the
/// transaction of the change).
async fn audit_record(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<serde_json::Value> {
    let f = filing::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let mut machine_ids: Vec<Uuid> = filing_machine::Entity::find()
        .filter(filing_machine::Column::FilingId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|fm| fm.machine_id)
        .collect();
    machine_ids.sort();
    Ok(serde_json::json!({
        "id": f.id,
        "organization_id": f.organization_id,
        "site_id": f.site_id,
        "county_code": f.county_code,
        "status": f.status,
        "planned_entry_on": f.planned_entry_on,
        "planned_exit_on": f.planned_exit_on,
        "return_reason": f.return_reason,
        "submitted_at": f.submitted_at,
        "reviewed_at": f.reviewed_at,
        "reviewed_by": f.reviewed_by,
        "version": f.version,
        "machine_ids": machine_ids,
    }))
}

/// One filing.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Filing> {
    let f = find_visible(state, principal, id).await?;
    to_dto(state, f).await
}

/// The filings in `scope` that `filter` selects: the one rule of the list and the export.
pub fn filtered(scope: &Scope, filter: &FilingFilter) -> Select<filing::Entity> {
    let mut q = filing::Entity::find().filter(condition(scope));
    if let Some(status) = filter.status {
        q = q.filter(filing::Column::Status.eq(status.as_str()));
    }
    if let Some(site) = filter.site_id {
        q = q.filter(filing::Column::SiteId.eq(site));
    }
    q
}

/// A page of filings in scope: the review queue (`status=submitted`) oldest first, every other
/// list newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &FilingFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Filing>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = filtered(&scope, filter);
    let oldest_first = filter.status == Some(FilingStatus::Submitted);
    if let Some(after) = page.after()? {
        q = q.filter(if oldest_first { filing::Column::Id.gt(after) } else { filing::Column::Id.lt(after) });
    }
    q = if oldest_first { q.order_by_asc(filing::Column::Id) } else { q.order_by_desc(filing::Column::Id) };
    let rows = q.limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |f| f.id);
    let mut items = Vec::with_capacity(page.items.len());
    for f in page.items {
        items.push(to_dto(state, f).await?);
    }
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Checks the parts of a filing that do not depend on its status: the shared rule
/// ([`super::validate`], with the site's period and today) and what needs the database (the
/// caller's own site and machines). Returns the site and machines.
async fn check_input(
    state: &AppState,
    principal: &Principal,
    org: Uuid,
    input: &FilingInput,
) -> ServiceResult<(site::Model, Vec<machine::Model>)> {
    let site = crate::sites::service::find_visible(state, principal, input.site_id).await.map_err(|e| match e {
        ServiceError::Client(AppError::NotFound) => ServiceError::from(AppError::Validation {
            fields: FieldErrors::single("site_id", FieldError::new("unknown_site")),
        }),
        other => other,
    })?;
    let today = crate::dates::china_date(state.clock.now());
    let dates = SiteDates { starts_on: site.starts_on, ends_on: site.ends_on };
    let mut errors = super::validate(input, dates, today);
    if site.organization_id != org {
        errors.add("site_id", FieldError::new("unknown_site"));
    }
    // Whose machines they are: not asked for a list over the limit (refused anyway, and too long
    // for one query).
    let ids = &input.machine_ids;
    let unique: HashSet<Uuid> = ids.iter().copied().collect();
    let machines = if ids.is_empty() || ids.len() > MAX_MACHINES {
        vec![]
    } else {
        machine::Entity::find()
            .filter(machine::Column::Id.is_in(unique.iter().copied()))
            .filter(machine::Column::OrganizationId.eq(org))
            .order_by_asc(machine::Column::Name)
            .order_by_asc(machine::Column::Id)
            .all(&state.db)
            .await?
    };
    if machines.len() != unique.len() && !ids.is_empty() && ids.len() <= MAX_MACHINES {
        errors.add("machine_ids", FieldError::new("unknown_machine"));
    }
    // A machine the unit received by a transfer is its to file from the day it took it over,
    // never for days before (those belong to the former owner's filings).
    let since = crate::transfers::history::owned_since(&state.db, org, &machines).await?;
    let entry = input.planned_entry_on;
    if let Some((m, day)) = machines.iter().filter_map(|m| Some((m, *since.get(&m.id)?))).find(|(_, d)| entry < *d) {
        errors.add("planned_entry_on", FieldError::new("before_ownership").with("machine", &m.name).with("from", day));
    }
    errors.into_result()?;
    Ok((site, machines))
}

/// 409 when one of `machine_ids` is on another accepted filing at another site with dates
/// overlapping `entry..=exit` (a machine that left that filing after a transfer only on the days
/// before it left). The conflict names the machine, and the other site, filing and dates only
/// when that filing is the unit's own (`unit`; an official reviewing passes `None`): another
/// unit's filings are not the caller's to see.
async fn check_overlap(
    db: &impl ConnectionTrait,
    filing_id: Option<Uuid>,
    site_id: Uuid,
    machine_ids: &[Uuid],
    (entry, exit): (NaiveDate, NaiveDate),
    unit: Option<Uuid>,
) -> ServiceResult<()> {
    // The machine was on the other filing on some day of this one: it had not left it by this
    // filing's first day, nor by the other's.
    let on_it = || {
        Condition::all()
            .add(
                Expr::col((filing_machine::Entity, filing_machine::Column::MachineId))
                    .is_in(machine_ids.iter().copied()),
            )
            .add(not_left_by(entry))
            .add(left_after_entry())
    };
    let mut q = filing::Entity::find()
        .filter(filing::Column::Status.eq(FilingStatus::Accepted.as_str()))
        .filter(filing::Column::SiteId.ne(site_id))
        .filter(filing::Column::PlannedEntryOn.lte(exit))
        .filter(filing::Column::PlannedExitOn.gte(entry))
        .filter(
            filing::Column::Id.in_subquery(
                Query::select()
                    .column((filing_machine::Entity, filing_machine::Column::FilingId))
                    .from(filing_machine::Entity)
                    .cond_where(on_it())
                    .to_owned(),
            ),
        );
    if let Some(id) = filing_id {
        q = q.filter(filing::Column::Id.ne(id));
    }
    let Some(other) = q.one(db).await? else { return Ok(()) };
    let clash: Option<Uuid> = filing_machine::Entity::find()
        .select_only()
        .column(filing_machine::Column::MachineId)
        .filter(filing_machine::Column::FilingId.eq(other.id))
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        .filter(not_left_by(Ord::max(entry, other.planned_entry_on)))
        .order_by_asc(filing_machine::Column::MachineId)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    let machine_name = match clash {
        Some(id) => machine::Entity::find_by_id(id).one(db).await?.map(|m| m.name).unwrap_or_default(),
        None => String::new(),
    };
    let mut params = BTreeMap::new();
    params.insert("machine".to_owned(), machine_name);
    if unit.is_none_or(|u| u == other.organization_id) {
        let other_site = site::Entity::find_by_id(other.site_id).one(db).await?;
        params.insert("other_site".to_owned(), other_site.map(|s| s.name).unwrap_or_default());
        params.insert("other_filing_id".to_owned(), other.id.to_string());
        params.insert("from".to_owned(), other.planned_entry_on.to_string());
        params.insert("to".to_owned(), other.planned_exit_on.to_string());
    }
    Err(AppError::Conflict { code: "machine_overlap".into(), fields: FieldErrors::new(), params }.into())
}

/// The pre-checks for a filing that is about to be submitted (nothing is stored).
pub async fn precheck(state: &AppState, principal: &Principal, input: &FilingInput) -> ServiceResult<Vec<Precheck>> {
    let org = principal.contractor_org()?;
    let (site, machines) = check_input(state, principal, org, input).await?;
    let today = crate::dates::china_date(state.clock.now());
    let min = zone_min_stage(&state.db, &site, Ord::max(input.planned_entry_on, today)).await?;
    Ok(precheck::run(min, &facts(&state.db, machines).await?))
}

/// Submits a filing; it goes to the county of the site.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, input: FilingInput) -> ServiceResult<Filing> {
    let org = principal.contractor_org()?;
    if let Some(first) = crate::request_ids::replayed(&state.db, principal, input.request_id, "create_filing").await? {
        return get(state, principal, first).await;
    }
    let checked = async {
        let (site, _) = check_input(state, principal, org, &input).await?;
        let dates = (input.planned_entry_on, input.planned_exit_on);
        check_overlap(&state.db, None, site.id, &input.machine_ids, dates, Some(org)).await?;
        Ok(site)
    }
    .await;
    let site =
        match crate::request_ids::unless_replayed(&state.db, principal, input.request_id, "create_filing", checked)
            .await?
        {
            Ok(site) => site,
            Err(first) => return get(state, principal, first).await,
        };
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = match crate::request_ids::begin(&state.db, principal, input.request_id, "create_filing", id, now).await? {
        Begun::Fresh(txn) => txn,
        Begun::Replay(first) => return get(state, principal, first).await,
    };
    filing::Entity::insert(filing::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        site_id: Set(site.id),
        county_code: Set(site.county_code.clone()),
        status: Set(FilingStatus::Submitted.as_str().to_owned()),
        planned_entry_on: Set(input.planned_entry_on),
        planned_exit_on: Set(input.planned_exit_on),
        return_reason: Set(None),
        submitted_at: Set(Some(now)),
        reviewed_at: Set(None),
        reviewed_by: Set(None),
        created_by: Set(principal.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&txn)
    .await?;
    set_machines(&txn, id, org, &input.machine_ids).await?;
    let after = audit_record(&txn, id).await?;
    let e = audit::entry(Action::Create, EntityKind::Filing).by(principal).id(id).county(Some(&site.county_code));
    audit::record(&txn, now, e.after(&after)).await?;
    let notices = submitted_notices(&txn, id, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    get(state, principal, id).await
}

/// Sets the machines of a filing to `machine_ids`, inside the filing's transaction after its
/// first write (a new filing, or a resubmission). The machines are read again under a shared
/// lock (in id order; SQLite already holds its write lock), before any link is touched, and must
/// still be the unit's (409 `owner_changed`): a transfer accepted since they were checked either
/// finished first or waits for this filing, and then ends the machine on it. A machine that had
/// left the filing before keeps the day and instant it left (a resubmission never drops them).
async fn set_machines(
    txn: &DatabaseTransaction,
    filing_id: Uuid,
    org: Uuid,
    machine_ids: &[Uuid],
) -> ServiceResult<()> {
    if !machine_ids.is_empty() {
        let q = machine::Entity::find()
            .select_only()
            .column(machine::Column::OrganizationId)
            .filter(machine::Column::Id.is_in(machine_ids.iter().copied()))
            .order_by_asc(machine::Column::Id);
        let q = if crate::db::is_sqlite(txn) { q } else { q.lock_shared() };
        let owners: Vec<Uuid> = q.into_tuple::<Uuid>().all(txn).await?;
        if owners.len() != machine_ids.len() || owners.iter().any(|o| *o != org) {
            return Err(AppError::conflict("owner_changed").into());
        }
    }
    let links = filing_machine::Entity::find().filter(filing_machine::Column::FilingId.eq(filing_id)).all(txn).await?;
    let carried = left_of(&links);
    if !links.is_empty() {
        filing_machine::Entity::delete_many().filter(filing_machine::Column::FilingId.eq(filing_id)).exec(txn).await?;
    }
    if machine_ids.is_empty() {
        return Ok(());
    }
    filing_machine::Entity::insert_many(machine_ids.iter().map(|m| {
        let left = carried.get(m);
        filing_machine::ActiveModel {
            filing_id: Set(filing_id),
            machine_id: Set(*m),
            left_on: Set(left.map(|l| l.0)),
            left_at: Set(left.and_then(|l| l.1)),
        }
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// Corrects a returned filing and submits it again.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn resubmit(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    input: FilingCorrection,
) -> ServiceResult<Filing> {
    let org = principal.contractor_org()?;
    let current = find_visible(state, principal, id).await?;
    if current.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    if current.status != FilingStatus::Returned.as_str() {
        return Err(illegal_transition(&current.status, "submitted"));
    }
    let corrected = FilingInput {
        site_id: current.site_id,
        machine_ids: input.machine_ids.clone(),
        planned_entry_on: input.planned_entry_on,
        planned_exit_on: input.planned_exit_on,
        request_id: None,
    };
    check_input(state, principal, org, &corrected).await?;
    let dates = (input.planned_entry_on, input.planned_exit_on);
    check_overlap(&state.db, Some(id), current.site_id, &input.machine_ids, dates, Some(org)).await?;
    let now = state.clock.now();
    // Read before the transaction: on SQLite its first statement must be the write.
    let before = audit_record(&state.db, id).await?;
    let txn = state.db.begin().await?;
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(FilingStatus::Submitted.as_str()))
        .col_expr(filing::Column::PlannedEntryOn, Expr::value(input.planned_entry_on))
        .col_expr(filing::Column::PlannedExitOn, Expr::value(input.planned_exit_on))
        .col_expr(filing::Column::SubmittedAt, Expr::value(Some(now)))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Version.eq(input.version))
        .filter(filing::Column::Status.eq(FilingStatus::Returned.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::stale(current.version));
    }
    set_machines(&txn, id, org, &input.machine_ids).await?;
    let after = audit_record(&txn, id).await?;
    let e = audit::entry(Action::Resubmit, EntityKind::Filing).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    let notices = submitted_notices(&txn, id, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    get(state, principal, id).await
}

/// The county's inspectors hear of a filing (re)submitted, inside its transaction.
async fn submitted_notices(
    txn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<crate::db::entities::notification::Model>> {
    let f = filing::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| ServiceError::internal("filing vanished"))?;
    crate::notifications::service::filing_submitted(txn, &f, now).await
}

fn illegal_transition(from: &str, to: &str) -> ServiceError {
    AppError::illegal_transition(from, Some(to)).into()
}

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
    principal.require(&[Role::CountyInspector])?;
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if input.decision == Decision::Return {
        match &reason {
            None => return Err(AppError::field("reason", "required").into()),
            Some(r) if r.chars().count() > 1000 => {
                return Err(AppError::Validation {
                    fields: FieldErrors::single("reason", FieldError::new("length").with("min", 1).with("max", 1000)),
                }
                .into());
            }
            _ => {}
        }
    }
    let to = match input.decision {
        Decision::Accept => FilingStatus::Accepted,
        Decision::Return => FilingStatus::Returned,
    };
    if current.status != FilingStatus::Submitted.as_str() {
        return Err(illegal_transition(&current.status, to.as_str()));
    }
    let now = state.clock.now();
    let before_status = current.status.clone();
    let txn = state.db.begin().await?;
    // The first statement writes, so SQLite takes its write lock before anything is read.
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(to.as_str()))
        .col_expr(filing::Column::ReturnReason, Expr::value(if to == FilingStatus::Returned { reason } else { None }))
        .col_expr(filing::Column::ReviewedAt, Expr::value(Some(now)))
        .col_expr(filing::Column::ReviewedBy, Expr::value(Some(principal.user_id)))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Status.eq(FilingStatus::Submitted.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(illegal_transition(&current.status, to.as_str()));
    }
    let mut issued = Vec::new();
    if to == FilingStatus::Accepted {
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

/// Closes an accepted filing when the work is done (the construction unit).
pub async fn close(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Filing> {
    let org = principal.contractor_org()?;
    let current = find_visible(state, principal, id).await?;
    if current.organization_id != org {
        return Err(AppError::NotFound.into());
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(FilingStatus::Closed.as_str()))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Status.eq(FilingStatus::Accepted.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(illegal_transition(&current.status, "closed"));
    }
    let before = serde_json::json!({"status": current.status, "version": current.version});
    let after = audit_record(&txn, id).await?;
    let e = audit::entry(Action::Close, EntityKind::Filing).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    get(state, principal, id).await
}

fn movement_dto(m: machine_movement::Model) -> Movement {
    Movement {
        id: m.id,
        machine_id: m.machine_id,
        kind: if m.kind == "exit" { MovementKind::Exit } else { MovementKind::Enter },
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
    if f.status != FilingStatus::Accepted.as_str() {
        return Err(AppError::conflict("filing_not_accepted").into());
    }
    let Some(on_filing) = filing_machine::Entity::find_by_id((filing_id, input.machine_id)).one(&state.db).await?
    else {
        return Err(AppError::field("machine_id", "not_on_filing").into());
    };
    // A machine transferred away may still be seen leaving, never entering after it left.
    if input.kind == MovementKind::Enter && super::left_filing(on_filing.left_at, input.at) {
        return Err(AppError::field("machine_id", "left_filing").into());
    }
    let now = state.clock.now();
    if input.at > now + chrono::Duration::minutes(10) {
        return Err(AppError::field("at", "date_in_future").into());
    }
    let last = machine_movement::Entity::find()
        .filter(machine_movement::Column::FilingId.eq(filing_id))
        .filter(machine_movement::Column::MachineId.eq(input.machine_id))
        .order_by_desc(machine_movement::Column::At)
        .order_by_desc(machine_movement::Column::Id)
        .one(&state.db)
        .await?;
    match (input.kind, &last) {
        (MovementKind::Exit, None) => return Err(AppError::field("kind", "exit_without_entry").into()),
        (MovementKind::Exit, Some(l)) if l.kind == "exit" => {
            return Err(AppError::field("kind", "exit_without_entry").into());
        }
        (MovementKind::Exit, Some(l)) if input.at < l.at => {
            return Err(AppError::field("at", "exit_before_entry").into());
        }
        (MovementKind::Enter, Some(l)) if l.kind == "enter" => {
            return Err(AppError::field("kind", "already_on_site").into());
        }
        (MovementKind::Enter, Some(l)) if input.at < l.at => {
            return Err(AppError::field("at", "before_last_exit").into());
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
        kind: Set(input.kind.as_str().to_owned()),
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
    txn.commit().await?;
    Ok(m)
}

/// The filings in force on `day`: accepted, with `day` between the planned entry and exit.
pub fn covering(day: NaiveDate) -> Condition {
    Condition::all()
        .add(filing::Column::Status.eq(FilingStatus::Accepted.as_str()))
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
        .filter(filing::Column::Status.is_in(open.map(|s| s.as_str())))
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
