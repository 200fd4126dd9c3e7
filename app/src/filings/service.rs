//! Submitting filings: the checks a filing's machines and dates must pass against the database
//! (the unit's own site and machines, ownership, one site at a time), the pre-check, creating a
//! filing (routed to the site's county), correcting and resubmitting a returned one, and
//! closing an accepted one. Reading is in [`super::read`], the review in [`super::review`], the
//! entry/exit log in [`super::movements`].

use super::read::{self, Around, audit_json, audit_record, find_visible, get, precheck_day};
use super::transitions::{self, Step};
use super::{Filing, FilingCorrection, FilingInput, FilingStatus, Precheck, SiteDates};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine, machine, organization, site};
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::request_ids::Begun;
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, TransactionTrait,
};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

pub use super::MAX_MACHINES;

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
            fields: FieldErrors::single("site_id", FieldError::new(FieldCode::UnknownSite)),
        }),
        other => other,
    })?;
    let today = crate::dates::china_date(state.clock.now());
    let dates = SiteDates { starts_on: site.starts_on, ends_on: site.ends_on };
    let mut errors = super::validate(input, dates, today);
    if site.organization_id != org {
        errors.add("site_id", FieldError::new(FieldCode::UnknownSite));
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
        errors.add("machine_ids", FieldError::new(FieldCode::UnknownMachine));
    }
    // A machine the unit received by a transfer is its to file from the day it took it over,
    // never for days before (those belong to the former owner's filings).
    let since = crate::transfers::history::owned_since(&state.db, org, &machines).await?;
    let entry = input.planned_entry_on;
    if let Some((m, day)) = machines.iter().filter_map(|m| Some((m, *since.get(&m.id)?))).find(|(_, d)| entry < *d) {
        errors.add(
            "planned_entry_on",
            FieldError::new(FieldCode::BeforeOwnership).with("machine", &m.name).with("from", day),
        );
    }
    errors.into_result()?;
    Ok((site, machines))
}

/// 409 when one of `machine_ids` is on another accepted filing at another site with dates
/// overlapping `entry..=exit` (a machine that left that filing after a transfer only on the days
/// before it left). The conflict names the machine, and the other site, filing and dates only
/// when that filing is the unit's own (`unit`; an official reviewing passes `None`): another
/// unit's filings are not the caller's to see.
pub(super) async fn check_overlap(
    db: &impl ConnectionTrait,
    filing_id: Option<Uuid>,
    site_id: Uuid,
    machine_ids: &[Uuid],
    (entry, exit): (NaiveDate, NaiveDate),
    unit: Option<Uuid>,
) -> ServiceResult<()> {
    // The machine was on the other filing on some day of this one: it had not left it by this
    // filing's first day, nor by the other's. Driven from these machines' links (indexed by
    // machine), joined to their filings: a few rows whatever the size of the register.
    let mut q = filing::Entity::find()
        .join(JoinType::InnerJoin, filing_machine::Relation::Filing.def().rev())
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        .filter(super::in_force::not_left_by(entry))
        .filter(super::in_force::left_after_entry())
        .filter(filing::Column::Status.eq(FilingStatus::Accepted))
        .filter(filing::Column::SiteId.ne(site_id))
        .filter(filing::Column::PlannedEntryOn.lte(exit))
        .filter(filing::Column::PlannedExitOn.gte(entry));
    if let Some(id) = filing_id {
        q = q.filter(filing::Column::Id.ne(id));
    }
    let Some(other) = q.one(db).await? else { return Ok(()) };
    let clash: Option<Uuid> = filing_machine::Entity::find()
        .select_only()
        .column(filing_machine::Column::MachineId)
        .filter(filing_machine::Column::FilingId.eq(other.id))
        .filter(filing_machine::Column::MachineId.is_in(machine_ids.iter().copied()))
        .filter(super::in_force::not_left_by(Ord::max(entry, other.planned_entry_on)))
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
    Err(AppError::Conflict { code: ConflictCode::MachineOverlap, fields: FieldErrors::new(), params }.into())
}

/// The pre-checks for a filing that is about to be submitted (nothing is stored).
pub async fn precheck(state: &AppState, principal: &Principal, input: &FilingInput) -> ServiceResult<Vec<Precheck>> {
    let org = principal.contractor_org()?;
    let (site, machines) = check_input(state, principal, org, input).await?;
    let day = precheck_day(input.planned_entry_on, crate::dates::china_date(state.clock.now()));
    let (facts, min_stage) = read::judged(&state.db, &site, &machines, day).await?;
    Ok(super::precheck::run(min_stage, &facts))
}

/// The name of the unit `org` (what the submission's notice and the answer show).
async fn organization_name(db: &impl ConnectionTrait, org: Uuid) -> ServiceResult<String> {
    let mut names =
        crate::db::names::<organization::Entity>(db, organization::Column::Id, organization::Column::Name, [org])
            .await?;
    Ok(names.remove(&org).unwrap_or_default())
}

/// Submits a filing; it goes to the county of the site. Returns the filing from what it checked
/// and wrote, without reading it back.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, input: FilingInput) -> ServiceResult<Filing> {
    const OPERATION: &str = "create_filing";
    let org = principal.contractor_org()?;
    if let Some(first) = crate::request_ids::replayed(&state.db, principal, input.request_id, OPERATION).await? {
        return get(state, principal, first).await;
    }
    let checked = async {
        let (site, machines) = check_input(state, principal, org, &input).await?;
        let dates = (input.planned_entry_on, input.planned_exit_on);
        check_overlap(&state.db, None, site.id, &input.machine_ids, dates, Some(org)).await?;
        Ok((site, machines))
    }
    .await;
    let (site, machines) =
        match crate::request_ids::unless_replayed(&state.db, principal, input.request_id, OPERATION, checked).await? {
            Ok(checked) => checked,
            Err(first) => return get(state, principal, first).await,
        };
    let organization_name = organization_name(&state.db, org).await?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = match crate::request_ids::begin(&state.db, principal, input.request_id, OPERATION, id, now).await? {
        Begun::Fresh(txn) => txn,
        Begun::Replay(first) => return get(state, principal, first).await,
    };
    let row = filing::Model {
        id,
        organization_id: org,
        site_id: site.id,
        county_code: site.county_code.clone(),
        status: FilingStatus::Submitted,
        planned_entry_on: input.planned_entry_on,
        planned_exit_on: input.planned_exit_on,
        return_reason: None,
        submitted_at: Some(now),
        reviewed_at: None,
        reviewed_by: None,
        created_by: principal.user_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    filing::Entity::insert(filing::ActiveModel::from(row.clone())).exec(&txn).await?;
    set_machines(&txn, id, org, &input.machine_ids, Links::New).await?;
    let e = audit::entry(Action::Create, EntityKind::Filing).by(principal).id(id).county(Some(&site.county_code));
    audit::record(&txn, now, e.after(&audit_json(&row, &input.machine_ids))).await?;
    let mut notices =
        crate::notifications::service::filing_submitted(&txn, &row, &site.name, &organization_name, now).await?;
    notices.extend(crate::watchlist::service::filed(&txn, &row, &input.machine_ids, now).await?);
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    // What the page shows besides: names, photos and the zone of the filing's first day.
    let db = &state.db;
    let day = precheck_day(row.planned_entry_on, crate::dates::china_date(now));
    let (facts, min_stage) = read::judged(db, &site, &machines, day).await?;
    let around = Around {
        organization_name,
        county_name: crate::divisions::service::names(db, [site.county_code.clone()])
            .await?
            .remove(&site.county_code)
            .unwrap_or_else(|| site.county_code.clone()),
        machines: facts.into_iter().map(|x| (x, None)).collect(),
        site: &site,
        min_stage,
    };
    Ok(read::assemble(row, around))
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
    links: Links,
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
            return Err(AppError::conflict(ConflictCode::OwnerChanged).into());
        }
    }
    let links = match links {
        Links::New => vec![],
        Links::Stored => {
            filing_machine::Entity::find().filter(filing_machine::Column::FilingId.eq(filing_id)).all(txn).await?
        }
    };
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

/// Whether a filing whose machines are set may already have some (a resubmission).
#[derive(Clone, Copy)]
enum Links {
    /// A filing inserted in this transaction: no machines yet.
    New,
    /// A stored filing: its machines are replaced, keeping when those that left did so.
    Stored,
}

/// The machines of `links` that left their filing, and when.
fn left_of(links: &[filing_machine::Model]) -> std::collections::HashMap<Uuid, read::Left> {
    links.iter().filter_map(|l| Some((l.machine_id, (l.left_on?, l.left_at)))).collect()
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
    transitions::plan(current.status, Step::Resubmit)?;
    let corrected = FilingInput {
        site_id: current.site_id,
        machine_ids: input.machine_ids.clone(),
        planned_entry_on: input.planned_entry_on,
        planned_exit_on: input.planned_exit_on,
        request_id: None,
    };
    let (site, _) = check_input(state, principal, org, &corrected).await?;
    let dates = (input.planned_entry_on, input.planned_exit_on);
    check_overlap(&state.db, Some(id), current.site_id, &input.machine_ids, dates, Some(org)).await?;
    let organization_name = organization_name(&state.db, org).await?;
    let now = state.clock.now();
    // Read before the transaction: on SQLite its first statement must be the write.
    let before = audit_record(&state.db, id).await?;
    let txn = state.db.begin().await?;
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(Step::Resubmit.to()))
        .col_expr(filing::Column::PlannedEntryOn, Expr::value(input.planned_entry_on))
        .col_expr(filing::Column::PlannedExitOn, Expr::value(input.planned_exit_on))
        .col_expr(filing::Column::SubmittedAt, Expr::value(Some(now)))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Version.eq(input.version))
        .filter(filing::Column::Status.eq(Step::Resubmit.from()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::stale(current.version));
    }
    set_machines(&txn, id, org, &input.machine_ids, Links::Stored).await?;
    let after = audit_record(&txn, id).await?;
    let e = audit::entry(Action::Resubmit, EntityKind::Filing).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    let stored =
        filing::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| ServiceError::internal("filing vanished"))?;
    let mut notices =
        crate::notifications::service::filing_submitted(&txn, &stored, &site.name, &organization_name, now).await?;
    notices.extend(crate::watchlist::service::filed(&txn, &stored, &input.machine_ids, now).await?);
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
    let to = transitions::plan(current.status, Step::Close)?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::Status, Expr::value(to))
        .col_expr(filing::Column::Version, Expr::col(filing::Column::Version).add(1))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now))
        .filter(filing::Column::Id.eq(id))
        .filter(filing::Column::Status.eq(Step::Close.from()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::illegal_transition(current.status.as_str(), Some(to.as_str())).into());
    }
    let before = serde_json::json!({"status": current.status.as_str(), "version": current.version});
    let after = audit_record(&txn, id).await?;
    let e = audit::entry(Action::Close, EntityKind::Filing).by(principal).id(id).county(Some(&current.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    get(state, principal, id).await
}
