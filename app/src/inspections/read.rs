//! Reading inspections in scope: one, a page, and the rule of the list and the export.

use super::compliance::{LimitClass, Reason};
use super::{InspectedMachine, Inspection, InspectionFilter, OpenedCase};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::auth::service::people;
use crate::cases::CaseKind;
use crate::db::entities::{case, inspection, limit_table, machine, site};
use crate::error::AppError;
use crate::machines::{EmissionStage, FuelType};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::transfers::history::UnitHistory;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::collections::HashMap;
use uuid::Uuid;

/// The scope as a condition on inspections: officials by county; a construction unit those of
/// its machines (recorded while it owned them, all of those it received and owns now, those
/// before it handed one over: `history`) and of its sites. Every branch is a plain indexed test.
fn condition(scope: &Scope, history: &UnitHistory) -> Condition {
    match scope {
        Scope::Organization(org) => Condition::any()
            .add(inspection::Column::OrganizationId.eq(*org))
            .add(inspection::Column::SiteOrganizationId.eq(*org))
            .add(history.condition(inspection::Column::MachineId, inspection::Column::InspectedAt)),
        other => other.condition(Some(inspection::Column::CountyCode), None),
    }
}

/// An inspection the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<inspection::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    inspection::Entity::find_by_id(id)
        .filter(condition(&scope, &history))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> ServiceResult<T> {
    serde_json::from_str(text).map_err(ServiceError::internal)
}

/// Maps rows to the wire type, with a few batched queries for names, cases and notes.
pub(super) async fn to_dtos(db: &impl ConnectionTrait, rows: Vec<inspection::Model>) -> ServiceResult<Vec<Inspection>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let site_ids: Vec<Uuid> = rows.iter().map(|r| r.site_id).collect();
    let machine_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.machine_id).collect();
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
    let machines: HashMap<Uuid, (String, Option<String>)> = machine::Entity::find()
        .select_only()
        .column(machine::Column::Id)
        .column(machine::Column::Name)
        .column(machine::Column::RegistrationCode)
        .filter(machine::Column::Id.is_in(machine_ids))
        .into_tuple::<(Uuid, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, code)| (id, (name, code)))
        .collect();
    let table_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.limit_table_id).collect();
    let table_divisions: HashMap<Uuid, Option<String>> = limit_table::Entity::find()
        .select_only()
        .column(limit_table::Column::Id)
        .column(limit_table::Column::DivisionCode)
        .filter(limit_table::Column::Id.is_in(table_ids))
        .into_tuple::<(Uuid, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut opened: HashMap<Uuid, Vec<OpenedCase>> = HashMap::new();
    for (id, kind, inspection_id) in case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::Kind)
        .column(case::Column::InspectionId)
        .filter(case::Column::InspectionId.is_in(ids.clone()))
        .into_tuple::<(Uuid, String, Uuid)>()
        .all(db)
        .await?
    {
        let kind = CaseKind::parse(&kind).ok_or_else(|| ServiceError::internal("stored case kind"))?;
        opened.entry(inspection_id).or_default().push(OpenedCase { id, kind });
    }
    let mut notes = crate::notes::service::of(db, crate::notes::Subject::Inspection, ids).await?;
    let names = people(db, rows.iter().map(|r| r.inspector_id).collect()).await?;
    rows.into_iter()
        .map(|r| {
            let (name, registration_code) = match r.machine_id.and_then(|id| machines.get(&id)) {
                Some((n, c)) => (Some(n.clone()), c.clone()),
                None => (None, None),
            };
            let mut opened_cases = opened.remove(&r.id).unwrap_or_default();
            opened_cases.sort_by_key(|c| CaseKind::ALL.iter().position(|k| *k == c.kind));
            Ok(Inspection {
                id: r.id,
                county_code: r.county_code,
                site_id: r.site_id,
                site_name: sites.get(&r.site_id).cloned().unwrap_or_default(),
                machine: InspectedMachine {
                    id: r.machine_id,
                    name,
                    registration_code,
                    emission_stage: EmissionStage::parse(&r.emission_stage)
                        .ok_or_else(|| ServiceError::internal("stored stage"))?,
                    fuel_type: FuelType::parse(&r.fuel_type).ok_or_else(|| ServiceError::internal("stored fuel"))?,
                    rated_power_kw: r.rated_power_kw,
                },
                unregistered_description: r.unregistered_description,
                inspector_id: r.inspector_id,
                inspector_name: names.get(&r.inspector_id).map(|p| p.0.clone()).unwrap_or_default(),
                inspected_at: r.inspected_at,
                lat: r.lat,
                lng: r.lng,
                opacity_readings: parse_json(&r.opacity_readings)?,
                ringelmann_level: r.ringelmann_level,
                verdict: r.verdict,
                limit_class: r.limit_class.as_deref().and_then(LimitClass::parse),
                limit_k: r.limit_k,
                mean_k: r.mean_k,
                reasons: parse_json::<Vec<String>>(&r.reasons)?.iter().filter_map(|c| Reason::parse(c)).collect(),
                limit_table_version: r.limit_table_version,
                limit_table_division_code: r.limit_table_id.and_then(|t| table_divisions.get(&t).cloned().flatten()),
                limit_table_id: r.limit_table_id,
                low_emission_zone: r.low_emission_zone,
                zone_exemption: r.zone_exemption,
                label_present: r.label_present,
                notes: r.notes,
                case_id: r.case_id,
                opened_cases,
                reinspection: None,
                joint_notes: notes.remove(&r.id).unwrap_or_default(),
                created_at: r.created_at,
            })
        })
        .collect()
}

/// One inspection.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Inspection> {
    let row = find_visible(state, principal, id).await?;
    to_dtos(&state.db, vec![row]).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// The inspections in `scope` (with a unit's transfer `history`, [`UnitHistory::resolve`]) that
/// `filter` selects: the one rule of the list and the export.
pub fn filtered(scope: &Scope, history: &UnitHistory, filter: &InspectionFilter) -> Select<inspection::Entity> {
    let mut q = inspection::Entity::find().filter(condition(scope, history));
    if let Some(site) = filter.site_id {
        q = q.filter(inspection::Column::SiteId.eq(site));
    }
    if let Some(m) = filter.machine_id {
        q = q.filter(inspection::Column::MachineId.eq(m));
    }
    if let Some(v) = filter.verdict {
        q = q.filter(inspection::Column::Verdict.eq(v.as_str()));
    }
    q
}

/// A page of inspections in scope, newest first.
pub async fn list(
    state: &AppState,
    principal: &Principal,
    filter: &InspectionFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Inspection>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    let limit = page.limit();
    let mut q = filtered(&scope, &history, filter);
    if let Some(after) = page.after()? {
        q = q.filter(inspection::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(inspection::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |r| r.id);
    Ok(Page { items: to_dtos(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

/// The last inspection of each of `machine_ids` (latest `inspected_at`, then the larger id)
/// among those with one of `verdicts` (any verdict when empty) recorded before `until` (no bound
/// when `None`). Machines never inspected are absent. One query per [`IN_CHUNK`] machines; the
/// one rule of "last" for the certificate and the watch list.
///
/// [`IN_CHUNK`]: crate::db::IN_CHUNK
pub async fn last_per_machine(
    db: &impl ConnectionTrait,
    machine_ids: impl IntoIterator<Item = Uuid>,
    verdicts: &[super::compliance::Verdict],
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<HashMap<Uuid, inspection::Model>, sea_orm::DbErr> {
    let machine_ids: Vec<Uuid> = machine_ids.into_iter().collect();
    let rows = crate::db::in_chunks(&machine_ids, |ids| {
        let mut query = inspection::Entity::find().filter(inspection::Column::MachineId.is_in(ids));
        if !verdicts.is_empty() {
            query = query.filter(inspection::Column::Verdict.is_in(verdicts.iter().copied()));
        }
        if let Some(until) = until {
            query = query.filter(inspection::Column::InspectedAt.lt(until));
        }
        query.all(db)
    })
    .await?;
    let mut last: HashMap<Uuid, inspection::Model> = HashMap::new();
    for i in rows {
        let Some(m) = i.machine_id else { continue };
        if last.get(&m).is_none_or(|l| (i.inspected_at, i.id) > (l.inspected_at, l.id)) {
            last.insert(m, i);
        }
    }
    Ok(last)
}
