//! Cases: read and list in scope (officials by county, a construction unit the cases of its
//! machines and sites), move through the workflow (the county's inspectors), joint notes.

use super::{Case, CaseDetail, CaseEvent, CaseFilter, CaseMachine, CaseState, TransitionInput, is_overdue, plan};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::auth::service::people;
use crate::auth::{Role, Scope};
use crate::db::entities::{case, case_event, machine, organization, site};
use crate::error::AppError;
use crate::notes::{Note, NoteInput};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::transfers::history::UnitHistory;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// The scope as a condition on cases: officials by county; a construction unit those of its
/// machines (opened while it owned them, all of those it received and owns now, those before it
/// handed one over: `history`) and of its sites. Every branch is a plain indexed test.
fn condition(scope: &Scope, history: &UnitHistory) -> Condition {
    match scope {
        Scope::Organization(org) => Condition::any()
            .add(case::Column::OrganizationId.eq(*org))
            .add(case::Column::SiteOrganizationId.eq(*org))
            .add(history.condition(case::Column::MachineId, case::Column::OpenedAt)),
        other => other.condition(Some(case::Column::CountyCode), None),
    }
}

/// A case the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<case::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    case::Entity::find_by_id(id)
        .filter(condition(&scope, &history))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

fn state_of(s: &str) -> ServiceResult<CaseState> {
    CaseState::parse(s).ok_or_else(|| ServiceError::internal(format!("stored case state {s}")))
}

async fn to_dtos(db: &impl ConnectionTrait, rows: Vec<case::Model>, today: NaiveDate) -> ServiceResult<Vec<Case>> {
    let machine_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.machine_id).collect();
    let org_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.organization_id).collect();
    let site_ids: Vec<Uuid> = rows.iter().map(|c| c.site_id).collect();
    let machines: HashMap<Uuid, CaseMachine> = machine::Entity::find()
        .select_only()
        .column(machine::Column::Id)
        .column(machine::Column::Name)
        .column(machine::Column::RegistrationCode)
        .filter(machine::Column::Id.is_in(machine_ids))
        .into_tuple::<(Uuid, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, registration_code)| (id, CaseMachine { id, name, registration_code }))
        .collect();
    let orgs: HashMap<Uuid, String> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .column(organization::Column::Name)
        .filter(organization::Column::Id.is_in(org_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let sites: HashMap<Uuid, String> = site::Entity::find()
        .select_only()
        .column(site::Column::Id)
        .column(site::Column::Name)
        .filter(site::Column::Id.is_in(site_ids))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|c| {
            let state = c.state;
            Ok(Case {
                id: c.id,
                county_code: c.county_code,
                kind: c.kind,
                state,
                machine: c.machine_id.and_then(|id| machines.get(&id).cloned()),
                organization_id: c.organization_id,
                organization_name: c.organization_id.and_then(|id| orgs.get(&id).cloned()),
                site_id: c.site_id,
                site_name: sites.get(&c.site_id).cloned().unwrap_or_default(),
                inspection_id: c.inspection_id,
                deadline_on: c.deadline_on,
                penalty_yuan: c.penalty_yuan,
                legal_basis: c.legal_basis,
                overdue: is_overdue(state, c.deadline_on, today),
                opened_at: c.opened_at,
                closed_at: c.closed_at,
                version: c.version,
                updated_at: c.updated_at,
            })
        })
        .collect()
}

async fn detail(state: &AppState, c: case::Model) -> ServiceResult<CaseDetail> {
    let db = &state.db;
    let today = crate::dates::china_date(state.clock.now());
    let events = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(c.id))
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?;
    let notes = crate::notes::service::of(db, crate::notes::Subject::Case, vec![c.id]).await?.remove(&c.id);
    let names = people(db, events.iter().map(|e| e.actor_id).collect()).await?;
    let name = |id: &Uuid| names.get(id).map(|p| p.0.clone()).unwrap_or_default();
    let events = events
        .into_iter()
        .map(|e| {
            Ok(CaseEvent {
                id: e.id,
                from: e.from_state.as_deref().map(state_of).transpose()?,
                to: e.to_state,
                action: e.action,
                note: e.note,
                actor_name: name(&e.actor_id),
                actor_id: e.actor_id,
                at: e.at,
                deadline_on: e.deadline_on,
                penalty_yuan: e.penalty_yuan,
                legal_basis: e.legal_basis,
                inspection_id: e.inspection_id,
            })
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    let notes = notes.unwrap_or_default();
    let case = to_dtos(db, vec![c], today).await?.pop().ok_or(AppError::NotFound)?;
    Ok(CaseDetail { case, events, notes })
}

/// One case with its history and notes.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<CaseDetail> {
    let c = find_visible(state, principal, id).await?;
    detail(state, c).await
}

/// The cases in `scope` (with a unit's transfer `history`, [`UnitHistory::resolve`]) that
/// `filter` selects on the China day `today` (for `overdue`): the one rule of the list and the
/// export.
pub fn filtered(scope: &Scope, history: &UnitHistory, filter: &CaseFilter, today: NaiveDate) -> Select<case::Entity> {
    let mut q = case::Entity::find().filter(condition(scope, history));
    if let Some(s) = filter.state {
        q = q.filter(case::Column::State.eq(s.as_str()));
    }
    if let Some(k) = filter.kind {
        q = q.filter(case::Column::Kind.eq(k.as_str()));
    }
    if let Some(m) = filter.machine_id {
        q = q.filter(case::Column::MachineId.eq(m));
    }
    if let Some(s) = filter.site_id {
        q = q.filter(case::Column::SiteId.eq(s));
    }
    let overdue = Condition::all()
        .add(case::Column::State.eq(CaseState::RectificationOrdered))
        .add(case::Column::DeadlineOn.lt(today));
    match filter.overdue {
        Some(true) => q = q.filter(overdue),
        Some(false) => q = q.filter(overdue.not()),
        None => {}
    }
    if filter.open == Some(true) {
        q = q.filter(unresolved());
    }
    let ordered = case::Column::State.eq(CaseState::RectificationOrdered);
    if let Some(day) = filter.due_by {
        q = q.filter(ordered.clone()).filter(case::Column::DeadlineOn.lte(day));
    }
    if filter.awaiting_check == Some(true) {
        use crate::db::entities::evidence_photo;
        let photo = |c: evidence_photo::Column| Expr::col((evidence_photo::Entity, c));
        let units = [Role::ContractorAdmin.as_str(), Role::ContractorStaff.as_str()];
        let fresh = Query::select()
            .expr(Expr::val(1))
            .from(evidence_photo::Entity)
            .and_where(photo(evidence_photo::Column::SubjectKind).eq(crate::evidence::SubjectKind::Case.as_str()))
            .and_where(photo(evidence_photo::Column::SubjectId).equals((case::Entity, case::Column::Id)))
            .and_where(photo(evidence_photo::Column::UploaderRole).is_in(units))
            .and_where(photo(evidence_photo::Column::CreatedAt).gt(Expr::col((case::Entity, case::Column::UpdatedAt))))
            .to_owned();
        q = q.filter(ordered).filter(Expr::exists(fresh));
    }
    q
}

/// A page of cases in scope, newest first. `overdue=true` keeps the orders whose deadline has
/// passed (China date of the server clock).
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &CaseFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Case>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    let today = crate::dates::china_date(state.clock.now());
    let limit = page.limit();
    let mut q = filtered(&scope, &history, filter, today);
    if let Some(after) = page.after()? {
        q = q.filter(case::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(case::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |c| c.id);
    Ok(Page { items: to_dtos(&state.db, page.items, today).await?, next_cursor: page.next_cursor })
}

/// Moves a case (an inspector of the case's county); see [`super::plan`] for the legal moves.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn transition(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    input: TransitionInput,
) -> ServiceResult<CaseDetail> {
    principal.require(&[Role::CountyInspector])?;
    let current = find_visible(state, principal, id).await?;
    let from = current.state;
    if let Some(v) = input.version
        && v != current.version
    {
        return Err(ServiceError::stale(current.version));
    }
    let now = state.clock.now();
    let planned = plan(from, &input, crate::dates::china_date(now))?;
    let before = serde_json::json!({
        "state": from, "deadline_on": current.deadline_on, "penalty_yuan": current.penalty_yuan,
        "legal_basis": current.legal_basis, "closed_at": current.closed_at, "version": current.version,
    });
    let mut update = case::Entity::update_many()
        .col_expr(case::Column::State, Expr::value(planned.to.as_str()))
        .col_expr(case::Column::Version, Expr::col(case::Column::Version).add(1))
        .col_expr(case::Column::UpdatedAt, Expr::value(now));
    if let Some(d) = planned.deadline_on {
        update = update.col_expr(case::Column::DeadlineOn, Expr::value(Some(d)));
    }
    if let Some(y) = planned.penalty_yuan {
        update = update
            .col_expr(case::Column::PenaltyYuan, Expr::value(Some(y)))
            .col_expr(case::Column::LegalBasis, Expr::value(planned.legal_basis.clone()));
    }
    if planned.to == CaseState::Closed {
        update = update.col_expr(case::Column::ClosedAt, Expr::value(Some(now)));
    }
    let planned_note = planned.note.clone();
    let txn = state.db.begin().await?;
    let updated = update
        .filter(case::Column::Id.eq(id))
        .filter(case::Column::State.eq(from.as_str()))
        .filter(case::Column::Version.eq(current.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        // Someone moved it meanwhile.
        return Err(ServiceError::stale(current.version));
    }
    case_event::Entity::insert(case_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(id),
        from_state: Set(Some(from.as_str().to_owned())),
        to_state: Set(planned.to),
        action: Set("transition".to_owned()),
        note: Set(planned.note.clone()),
        actor_id: Set(principal.user_id),
        at: Set(now),
        deadline_on: Set(planned.deadline_on),
        penalty_yuan: Set(planned.penalty_yuan),
        legal_basis: Set(planned.legal_basis),
        inspection_id: Set(None),
    })
    .exec(&txn)
    .await?;
    let c = case::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let after = serde_json::json!({
        "state": c.state, "deadline_on": c.deadline_on, "penalty_yuan": c.penalty_yuan,
        "legal_basis": c.legal_basis, "closed_at": c.closed_at, "version": c.version, "note": planned_note,
    });
    let e = audit::entry(Action::Transition, EntityKind::Case).by(principal).id(id).county(Some(&c.county_code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    let notices = crate::notifications::service::case_changed(&txn, &c, now).await?;
    txn.commit().await?;
    crate::notifications::service::send_out(state, &notices).await;
    get(state, principal, id).await
}

/// Adds a joint-inspection note (partner departments and the county's inspectors, in scope).
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn add_note(state: &AppState, principal: &Principal, id: Uuid, input: NoteInput) -> ServiceResult<Note> {
    principal.require(&crate::auth::permissions::NOTE_AUTHORS)?;
    let c = find_visible(state, principal, id).await?;
    crate::notes::service::add(state, principal, (crate::notes::Subject::Case, id, c.county_code.as_str()), input).await
}

/// The cases not yet resolved (in a state of `CaseState::UNRESOLVED`).
pub fn unresolved() -> Condition {
    Condition::all().add(case::Column::State.is_in(CaseState::UNRESOLVED.iter().copied()))
}

/// A county where a machine has unresolved cases, and when the newest of them opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedCounty {
    pub machine_id: Uuid,
    pub county_code: String,
    pub last_opened_at: DateTime<Utc>,
}

/// The counties where each of `machine_ids` has unresolved cases (by machine, then county).
pub async fn unresolved_counties(
    db: &impl ConnectionTrait,
    machine_ids: &[Uuid],
) -> ServiceResult<Vec<UnresolvedCounty>> {
    if machine_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = case::Entity::find()
        .select_only()
        .column(case::Column::MachineId)
        .column(case::Column::CountyCode)
        .column(case::Column::OpenedAt)
        .filter(case::Column::MachineId.is_in(machine_ids.iter().copied()))
        .filter(unresolved())
        .into_tuple::<(Uuid, String, DateTime<Utc>)>()
        .all(db)
        .await?;
    let mut newest: BTreeMap<(Uuid, String), DateTime<Utc>> = BTreeMap::new();
    for (machine_id, county, opened_at) in rows {
        let at = newest.entry((machine_id, county)).or_insert(opened_at);
        *at = Ord::max(*at, opened_at);
    }
    Ok(newest
        .into_iter()
        .map(|((machine_id, county_code), last_opened_at)| UnresolvedCounty { machine_id, county_code, last_opened_at })
        .collect())
}

/// For the field look-up: a machine's unresolved cases in any county, oldest first.
pub async fn unresolved_for_machine(db: &impl ConnectionTrait, machine_id: Uuid) -> ServiceResult<Vec<case::Model>> {
    Ok(case::Entity::find()
        .filter(case::Column::MachineId.eq(machine_id))
        .filter(unresolved())
        .order_by_asc(case::Column::OpenedAt)
        .all(db)
        .await?)
}
