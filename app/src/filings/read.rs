//! Reading filings: one filing or a page of them as the API shows them, assembled from a fixed
//! number of batched queries however many filings there are (sites, units, counties, links,
//! machines, photos, zones), and the audit log's record of a filing.

use super::precheck::{self, MachineFacts};
use super::{FiledMachine, Filing, FilingFilter, FilingStatus};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{filing, filing_machine, machine, organization, site};
use crate::error::AppError;
use crate::machines::service::photo_kinds;
use crate::machines::{EmissionStage, FuelType, PhotoKind};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// When a machine left a filing (a transfer): the day and the instant.
pub(super) type Left = (NaiveDate, Option<DateTime<Utc>>);

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

/// One filing.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Filing> {
    let f = find_visible(state, principal, id).await?;
    let mut one = to_dtos(state, vec![f]).await?;
    one.pop().ok_or_else(|| ServiceError::internal("filing not assembled"))
}

/// The filings in `scope` that `filter` selects: the one rule of the list and the export.
pub fn filtered(scope: &Scope, filter: &FilingFilter) -> Select<filing::Entity> {
    let mut q = filing::Entity::find().filter(condition(scope));
    if let Some(status) = filter.status {
        q = q.filter(filing::Column::Status.eq(status));
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
    Ok(Page { items: to_dtos(state, page.items).await?, next_cursor: page.next_cursor })
}

/// The lowest diesel stage allowed at each `(site, day)` asked, where the site lies in a zone
/// that day (the site's membership, `sites::zone`; a site an official put in a zone without
/// zone data gets the default rule): two queries however many are asked.
pub(super) async fn zone_min_stages(
    db: &impl ConnectionTrait,
    asked: &[(&site::Model, NaiveDate)],
) -> ServiceResult<HashMap<(Uuid, NaiveDate), EmissionStage>> {
    use crate::sites::zone_service::{Membership, zones_on};
    let pairs: Vec<(String, NaiveDate)> = asked.iter().map(|(s, d)| (s.county_code.clone(), *d)).collect();
    let zones = zones_on(db, &pairs).await?;
    Ok(asked
        .iter()
        .filter_map(|(s, d)| {
            let zone = zones.get(&(s.county_code.clone(), *d)).cloned();
            Membership::of(s, zone).rule().map(|r| ((s.id, *d), r.min_diesel_stage))
        })
        .collect())
}

/// The columns of a machine that a filing shows and pre-checks: a page of filings reads tens of
/// thousands of machines, and the other eighteen columns were most of its time.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub(super) struct FiledRow {
    id: Uuid,
    name: String,
    machine_type: String,
    emission_stage: String,
    fuel_type: String,
    rated_power_kw: f64,
    registration_code: Option<String>,
    env_code: Option<String>,
    engine_serial: Option<String>,
    manufactured_on: Option<NaiveDate>,
}

impl FiledRow {
    const COLUMNS: [machine::Column; 10] = [
        machine::Column::Id,
        machine::Column::Name,
        machine::Column::MachineType,
        machine::Column::EmissionStage,
        machine::Column::FuelType,
        machine::Column::RatedPowerKw,
        machine::Column::RegistrationCode,
        machine::Column::EnvCode,
        machine::Column::EngineSerial,
        machine::Column::ManufacturedOn,
    ];
}

impl From<&machine::Model> for FiledRow {
    fn from(m: &machine::Model) -> Self {
        Self {
            id: m.id,
            name: m.name.clone(),
            machine_type: m.machine_type.clone(),
            emission_stage: m.emission_stage.clone(),
            fuel_type: m.fuel_type.clone(),
            rated_power_kw: m.rated_power_kw,
            registration_code: m.registration_code.clone(),
            env_code: m.env_code.clone(),
            engine_serial: m.engine_serial.clone(),
            manufactured_on: m.manufactured_on,
        }
    }
}

/// What a filing's pre-check and page need of a machine.
pub(super) fn machine_facts(m: &FiledRow, photos: &HashMap<Uuid, Vec<PhotoKind>>) -> ServiceResult<MachineFacts> {
    let stage = EmissionStage::parse(&m.emission_stage).ok_or_else(|| ServiceError::internal("stored stage"))?;
    Ok(MachineFacts {
        fuel_is_diesel: m.fuel_type == FuelType::Diesel.as_str(),
        has_env_code: m.env_code.is_some(),
        has_engine_serial: m.engine_serial.is_some(),
        manufactured_on: m.manufactured_on,
        machine: FiledMachine {
            photos: photos.get(&m.id).cloned().unwrap_or_default(),
            id: m.id,
            name: m.name.clone(),
            machine_type: m.machine_type.clone(),
            emission_stage: stage,
            rated_power_kw: m.rated_power_kw,
            registration_code: m.registration_code.clone(),
            left_on: None,
            left_at: None,
        },
    })
}

/// The day a filing's pre-check judges its machines by: its first day (`entry`), or today once
/// started.
pub(super) fn precheck_day(entry: NaiveDate, today: NaiveDate) -> NaiveDate {
    Ord::max(entry, today)
}

/// What a pre-check judges for a filing not read from the database (one being checked or just
/// created): its machines' facts with their photos, and the lowest stage the zone of `site`
/// allows on `day` (three queries).
pub(super) async fn judged(
    db: &impl ConnectionTrait,
    site: &site::Model,
    machines: &[machine::Model],
    day: NaiveDate,
) -> ServiceResult<(Vec<MachineFacts>, Option<EmissionStage>)> {
    let min_stage = zone_min_stages(db, &[(site, day)]).await?.get(&(site.id, day)).copied();
    let photos = photo_kinds(db, &machines.iter().map(|m| m.id).collect::<Vec<_>>()).await?;
    let facts = machines.iter().map(|m| machine_facts(&m.into(), &photos)).collect::<ServiceResult<Vec<_>>>()?;
    Ok((facts, min_stage))
}

/// Everything a filing shows besides its own row.
pub(super) struct Around<'a> {
    pub site: &'a site::Model,
    pub organization_name: String,
    pub county_name: String,
    /// Its machines (name order) with when each that left did so.
    pub machines: Vec<(MachineFacts, Option<Left>)>,
    pub min_stage: Option<EmissionStage>,
}

/// A filing as shown, from its row and what surrounds it.
pub(super) fn assemble(f: filing::Model, around: Around<'_>) -> Filing {
    let mut facts: Vec<MachineFacts> = around
        .machines
        .into_iter()
        .map(|(mut x, left)| {
            if let Some((day, at)) = left {
                (x.machine.left_on, x.machine.left_at) = (Some(day), at);
            }
            x
        })
        .collect();
    // A machine that left the filing (a transfer) is no longer the unit's to correct.
    let staying: Vec<MachineFacts> = facts.iter().filter(|x| x.machine.left_on.is_none()).cloned().collect();
    let prechecks = precheck::run(around.min_stage, &staying);
    Filing {
        id: f.id,
        organization_id: f.organization_id,
        organization_name: around.organization_name,
        site_id: f.site_id,
        site_name: around.site.name.clone(),
        site_starts_on: around.site.starts_on,
        site_ends_on: around.site.ends_on,
        county_name: around.county_name,
        county_code: f.county_code,
        status: f.status,
        planned_entry_on: f.planned_entry_on,
        planned_exit_on: f.planned_exit_on,
        return_reason: f.return_reason,
        submitted_at: f.submitted_at,
        reviewed_at: f.reviewed_at,
        machines: facts.drain(..).map(|x| x.machine).collect(),
        prechecks,
        version: f.version,
        created_at: f.created_at,
    }
}

/// Filings as shown, in the order given: eight queries for a page of them (the photos' one more
/// per [`IN_CHUNK`](crate::db::IN_CHUNK) machines).
pub async fn to_dtos(state: &AppState, rows: Vec<filing::Model>) -> ServiceResult<Vec<Filing>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let db = &state.db;
    let today = crate::dates::china_date(state.clock.now());
    let site_ids: HashSet<Uuid> = rows.iter().map(|f| f.site_id).collect();
    let sites: HashMap<Uuid, site::Model> = site::Entity::find()
        .filter(site::Column::Id.is_in(site_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let orgs = crate::db::names::<organization::Entity>(
        db,
        organization::Column::Id,
        organization::Column::Name,
        rows.iter().map(|f| f.organization_id),
    )
    .await?;
    let counties = crate::divisions::service::names(db, rows.iter().map(|f| f.county_code.clone())).await?;
    let links = filing_machine::Entity::find()
        .filter(filing_machine::Column::FilingId.is_in(rows.iter().map(|f| f.id)))
        .all(db)
        .await?;
    // By the filings' ids, not the machines': a page of 500 filings names tens of thousands of
    // machines, more than a statement may bind.
    let filed = sea_orm::sea_query::Query::select()
        .column(filing_machine::Column::MachineId)
        .from(filing_machine::Entity)
        .and_where(filing_machine::Column::FilingId.is_in(rows.iter().map(|f| f.id)))
        .to_owned();
    let machines = machine::Entity::find()
        .select_only()
        .columns(FiledRow::COLUMNS)
        .filter(machine::Column::Id.in_subquery(filed))
        .order_by_asc(machine::Column::Name)
        .order_by_asc(machine::Column::Id)
        .into_model::<FiledRow>()
        .all(db)
        .await?;
    let photos = photo_kinds(db, &machines.iter().map(|m| m.id).collect::<Vec<_>>()).await?;
    let mut asked = Vec::new();
    for f in &rows {
        let site = sites.get(&f.site_id).ok_or_else(|| ServiceError::internal("filing without site"))?;
        asked.push((site, precheck_day(f.planned_entry_on, today)));
    }
    let stages = zone_min_stages(db, &asked).await?;
    // Each filing's machines in name order: the machines are walked once (not once per filing).
    let mut links_of: HashMap<Uuid, Vec<(Uuid, Option<Left>)>> = HashMap::new();
    for l in &links {
        links_of.entry(l.machine_id).or_default().push((l.filing_id, l.left_on.map(|d| (d, l.left_at))));
    }
    let mut on: HashMap<Uuid, Vec<(MachineFacts, Option<Left>)>> = HashMap::new();
    for m in &machines {
        for (filing_id, left) in links_of.get(&m.id).into_iter().flatten() {
            on.entry(*filing_id).or_default().push((machine_facts(m, &photos)?, *left));
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for f in rows {
        let site = sites.get(&f.site_id).ok_or_else(|| ServiceError::internal("filing without site"))?;
        let list = on.remove(&f.id).unwrap_or_default();
        let around = Around {
            site,
            organization_name: orgs.get(&f.organization_id).cloned().unwrap_or_default(),
            county_name: counties.get(&f.county_code).cloned().unwrap_or_else(|| f.county_code.clone()),
            machines: list,
            min_stage: stages.get(&(site.id, precheck_day(f.planned_entry_on, today))).copied(),
        };
        out.push(assemble(f, around));
    }
    Ok(out)
}

/// What the audit log keeps of a filing: its row and its machines.
pub(super) fn audit_json(f: &filing::Model, machine_ids: &[Uuid]) -> serde_json::Value {
    let mut machine_ids = machine_ids.to_vec();
    machine_ids.sort();
    serde_json::json!({
        "id": f.id,
        "organization_id": f.organization_id,
        "site_id": f.site_id,
        "county_code": f.county_code,
        "status": f.status.as_str(),
        "planned_entry_on": f.planned_entry_on,
        "planned_exit_on": f.planned_exit_on,
        "return_reason": f.return_reason,
        "submitted_at": f.submitted_at,
        "reviewed_at": f.reviewed_at,
        "reviewed_by": f.reviewed_by,
        "version": f.version,
        "machine_ids": machine_ids,
    })
}

/// [`audit_json`] of the filing as stored, read on `db` (the transaction of the change).
pub(super) async fn audit_record(db: &impl ConnectionTrait, id: Uuid) -> ServiceResult<serde_json::Value> {
    let f = filing::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let machine_ids: Vec<Uuid> = filing_machine::Entity::find()
        .select_only()
        .column(filing_machine::Column::MachineId)
        .filter(filing_machine::Column::FilingId.eq(id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    Ok(audit_json(&f, &machine_ids))
}
