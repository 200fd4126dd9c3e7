//! The inspection plan's records and rule: the facts about each active site (a few grouped
//! queries per county, whatever its size), the weights in force, and the inspectors' routes.

use super::{
    CountyOption, FAILURE_WINDOW_DAYS, InspectionPlan, PlanQuery, PlanSite, PlanWeights, ROUTE_MAX, Route, RouteInput,
    RouteStop, SiteFacts, WeightsInForce, WeightsInput, WeightsQuery, score,
};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::permissions::{INSPECTORS, PLANNERS, WEIGHT_SETTERS};
use crate::auth::service::Principal;
use crate::cases::CaseState;
use crate::db::entities::{
    case, filing, filing_machine, inspection, machine, organization, plan_weight, route_stop, site,
};
use crate::divisions::{Level, is_division_code};
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::Verdict;
use crate::machines::EmissionStage;
use crate::service_error::ServiceResult;
use crate::state::AppState;
use crate::watchlist::service::{Machines, reasons_for};
use chrono::{Duration, NaiveDate};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{BTreeSet, HashMap, HashSet};
use uuid::Uuid;

fn division_error(code: FieldCode) -> AppError {
    AppError::Validation { fields: FieldErrors::single("division_code", FieldError::new(code)) }
}

/// The division a request names (trimmed), or the caller's own; a malformed code is a 422.
fn asked_division(principal: &Principal, asked: Option<&str>) -> ServiceResult<String> {
    match asked.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if is_division_code(c) => Ok(c.to_owned()),
        Some(_) => Err(division_error(FieldCode::UnknownDivision).into()),
        None => principal.division_code.clone().ok_or_else(|| division_error(FieldCode::Required).into()),
    }
}

/// The weights a division's plan uses: the row of the nearest division at or above it, else
/// the defaults.
pub async fn weights_in_force(db: &impl ConnectionTrait, code: &str) -> ServiceResult<WeightsInForce> {
    let chain = crate::divisions::service::ancestry(db, code).await?;
    let rows: HashMap<String, plan_weight::Model> = plan_weight::Entity::find()
        .filter(plan_weight::Column::DivisionCode.is_in(chain.iter().map(|d| d.code.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.division_code.clone(), r))
        .collect();
    Ok(chain
        .iter()
        .find_map(|d| rows.get(&d.code).map(|r| (d, r)))
        .map(|(d, r)| WeightsInForce {
            weights: weights_of(r),
            division_code: Some(d.code.clone()),
            division_name: Some(d.name.clone()),
            updated_at: Some(r.updated_at),
        })
        .unwrap_or(WeightsInForce {
            weights: PlanWeights::DEFAULT,
            division_code: None,
            division_name: None,
            updated_at: None,
        }))
}

fn weights_of(r: &plan_weight::Model) -> PlanWeights {
    PlanWeights {
        old_or_no_dpf: r.old_or_no_dpf,
        watched: r.watched,
        site_failures: r.site_failures,
        unit_failures: r.unit_failures,
        never_inspected: r.never_inspected,
        days_since: r.days_since,
        open_cases: r.open_cases,
    }
}

/// Whether a division is the caller's own, above it or under it (what a planner may read the
/// weights of).
async fn related(db: &impl ConnectionTrait, principal: &Principal, code: &str) -> ServiceResult<bool> {
    let Some(own) = principal.division_code.as_deref() else { return Ok(false) };
    let above = crate::divisions::service::ancestry(db, own).await?;
    if above.iter().any(|d| d.code == code) {
        return Ok(true);
    }
    Ok(crate::divisions::service::subtree(db, own).await?.iter().any(|c| c == code))
}

/// `GET /api/v1/inspection-plan/weights`: the weights in force at a division related to the
/// caller's (planners).
#[tracing::instrument(skip(state))]
pub async fn weights(state: &AppState, principal: &Principal, q: &WeightsQuery) -> ServiceResult<WeightsInForce> {
    principal.require(&PLANNERS)?;
    let code = asked_division(principal, q.division_code.as_deref())?;
    if !related(&state.db, principal, &code).await? {
        return Err(AppError::NotFound.into());
    }
    weights_in_force(&state.db, &code).await
}

/// `PUT /api/v1/inspection-plan/weights`: a city or province officer sets the weights of their
/// division or of one under it (audited, before and after). The plans of every county below
/// that do not have weights of their own nearer to them use them from then on.
#[tracing::instrument(skip(state))]
pub async fn set_weights(
    state: &AppState,
    principal: &Principal,
    input: WeightsInput,
) -> ServiceResult<WeightsInForce> {
    principal.require(&WEIGHT_SETTERS)?;
    let code = asked_division(principal, Some(&input.division_code))?;
    let own = principal.division_code.as_deref().ok_or(AppError::Forbidden)?;
    if crate::divisions::service::get(&state.db, &code).await?.is_none() {
        return Err(division_error(FieldCode::UnknownDivision).into());
    }
    if !crate::divisions::service::subtree(&state.db, own).await?.contains(&code) {
        return Err(AppError::NotFound.into());
    }
    let errors = input.weights.check();
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors }.into());
    }
    let now = state.clock.now();
    let w = input.weights;
    let txn = state.db.begin().await?;
    let before = weights_in_force(&txn, &code).await?;
    let existing = plan_weight::Entity::find_by_id(code.clone()).one(&txn).await?;
    let row = plan_weight::ActiveModel {
        division_code: ActiveValue::Set(code.clone()),
        old_or_no_dpf: ActiveValue::Set(w.old_or_no_dpf),
        watched: ActiveValue::Set(w.watched),
        site_failures: ActiveValue::Set(w.site_failures),
        unit_failures: ActiveValue::Set(w.unit_failures),
        never_inspected: ActiveValue::Set(w.never_inspected),
        days_since: ActiveValue::Set(w.days_since),
        open_cases: ActiveValue::Set(w.open_cases),
        updated_by: ActiveValue::Set(principal.user_id),
        updated_at: ActiveValue::Set(now),
    };
    let action = match existing {
        Some(_) => {
            plan_weight::Entity::update(row).exec(&txn).await?;
            Action::Update
        }
        None => {
            plan_weight::Entity::insert(row).exec_without_returning(&txn).await?;
            Action::Create
        }
    };
    let after = weights_in_force(&txn, &code).await?;
    let e = audit::entry(action, EntityKind::PlanWeights).by(principal).id(&code).county(Some(&code));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}

/// The county a plan is for: a county code inside the caller's scope (by default the caller's
/// own county, or the first of their scope). Unknown or outside the scope: 404; a city or
/// province: 422.
async fn plan_county(state: &AppState, principal: &Principal, asked: Option<&str>) -> ServiceResult<(String, String)> {
    principal.require(&PLANNERS)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let code = match asked.map(str::trim).filter(|c| !c.is_empty()) {
        Some(_) => asked_division(principal, asked)?,
        None => match &scope {
            Scope::Counties(list) => principal
                .division_code
                .clone()
                .filter(|own| list.contains(own))
                .or_else(|| list.first().cloned())
                .ok_or(AppError::NotFound)?,
            _ => return Err(AppError::NotFound.into()),
        },
    };
    let d = crate::divisions::service::get(&state.db, &code).await?.ok_or(AppError::NotFound)?;
    if !scope.allows_county(&code) && d.level == Level::County {
        return Err(AppError::NotFound.into());
    }
    if d.level != Level::County {
        return Err(division_error(FieldCode::NotACounty).into());
    }
    Ok((d.code, d.name))
}

/// The counties a planner may pick, by code.
pub async fn counties(state: &AppState, principal: &Principal) -> ServiceResult<Vec<CountyOption>> {
    principal.require(&PLANNERS)?;
    let Scope::Counties(codes) = Scope::resolve(&state.db, principal).await? else { return Ok(vec![]) };
    let names = crate::divisions::service::names(&state.db, codes.iter().cloned()).await?;
    Ok(codes.into_iter().filter_map(|code| names.get(&code).cloned().map(|name| CountyOption { code, name })).collect())
}

/// `GET /api/v1/inspection-plan`: the county's sites with a filing in force on the day, each
/// with its facts, its score under the weights in force and the factors that gave it, highest
/// first (ties by name).
#[tracing::instrument(skip(state))]
pub async fn plan(state: &AppState, principal: &Principal, q: &PlanQuery) -> ServiceResult<InspectionPlan> {
    let (county, county_name) = plan_county(state, principal, q.division_code.as_deref()).await?;
    let db = &state.db;
    let date = q.date.unwrap_or_else(|| crate::dates::china_date(state.clock.now()));
    let weights = weights_in_force(db, &county).await?;
    let facts = site_facts(db, &county, date).await?;
    let site_ids: Vec<Uuid> = facts.keys().copied().collect();
    let sites =
        crate::db::in_chunks(&site_ids, |ids| site::Entity::find().filter(site::Column::Id.is_in(ids)).all(db)).await?;
    let orgs = crate::db::names::<organization::Entity>(
        db,
        organization::Column::Id,
        organization::Column::Name,
        sites.iter().map(|s| s.organization_id),
    )
    .await?;
    let mut out: Vec<PlanSite> = sites
        .into_iter()
        .map(|s| {
            let f = facts.get(&s.id).copied().unwrap_or_default();
            let (total, reasons) = score(&f, &weights.weights);
            PlanSite {
                site_id: s.id,
                organization_name: orgs.get(&s.organization_id).cloned().unwrap_or_default(),
                site_name: s.name,
                address: s.address,
                lat: s.lat,
                lng: s.lng,
                score: total,
                facts: f,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then_with(|| a.site_name.cmp(&b.site_name)).then(a.site_id.cmp(&b.site_id))
    });
    Ok(InspectionPlan { division_code: county, division_name: county_name, date, weights, sites: out })
}

/// The facts of every site of `county` with a filing in force on `date` (eight queries).
/// Inspections after `date` do not count, so a plan for an earlier day reads as it did then.
async fn site_facts(
    db: &impl ConnectionTrait,
    county: &str,
    date: NaiveDate,
) -> ServiceResult<HashMap<Uuid, SiteFacts>> {
    let filings: Vec<(Uuid, Uuid, Uuid, NaiveDate)> = filing::Entity::find()
        .select_only()
        .columns([
            filing::Column::Id,
            filing::Column::SiteId,
            filing::Column::OrganizationId,
            filing::Column::PlannedEntryOn,
        ])
        .filter(filing::Column::CountyCode.eq(county))
        .filter(crate::filings::in_force::covering(date))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<Uuid, SiteFacts> = HashMap::new();
    if filings.is_empty() {
        return Ok(out);
    }
    // A county's filings in force can name more machines (and be more) than one statement may
    // bind: the lists grown from them are read in parts (`db::in_chunks`).
    let filing_ids: Vec<Uuid> = filings.iter().map(|f| f.0).collect();
    let links: Vec<(Uuid, Uuid)> = crate::db::in_chunks(&filing_ids, |ids| {
        filing_machine::Entity::find()
            .select_only()
            .columns([filing_machine::Column::FilingId, filing_machine::Column::MachineId])
            .filter(filing_machine::Column::FilingId.is_in(ids))
            .filter(crate::filings::in_force::not_left_by(date))
            .into_tuple()
            .all(db)
    })
    .await?;
    let machine_ids: Vec<Uuid> = links.iter().map(|l| l.1).collect::<BTreeSet<_>>().into_iter().collect();
    let machines: HashMap<Uuid, (String, bool)> = crate::db::in_chunks(&machine_ids, |ids| {
        machine::Entity::find()
            .select_only()
            .columns([machine::Column::Id, machine::Column::EmissionStage, machine::Column::DpfFitted])
            .filter(machine::Column::Id.is_in(ids))
            .into_tuple::<(Uuid, String, bool)>()
            .all(db)
    })
    .await?
    .into_iter()
    .map(|(id, stage, dpf)| (id, (stage, dpf)))
    .collect();
    let watched: HashSet<Uuid> = reasons_for(db, Machines::Only(&machine_ids), date).await?.into_keys().collect();
    let site_ids: Vec<Uuid> = filings.iter().map(|f| f.1).collect::<BTreeSet<_>>().into_iter().collect();
    let orgs: Vec<Uuid> = filings.iter().map(|f| f.2).collect::<BTreeSet<_>>().into_iter().collect();
    let end = date.succ_opt().map(crate::dates::midnight).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    let window_start =
        crate::dates::midnight(date.checked_sub_signed(Duration::days(FAILURE_WINDOW_DAYS)).unwrap_or(NaiveDate::MIN));
    // Every inspection at these sites up to the day: the last visit, the failures, and which
    // filings were inspected since their entry.
    let visits: Vec<(Uuid, Option<Uuid>, Verdict, chrono::DateTime<chrono::Utc>)> =
        crate::db::in_chunks(&site_ids, |ids| {
            inspection::Entity::find()
                .select_only()
                .columns([
                    inspection::Column::SiteId,
                    inspection::Column::MachineId,
                    inspection::Column::Verdict,
                    inspection::Column::InspectedAt,
                ])
                .filter(inspection::Column::SiteId.is_in(ids))
                .filter(inspection::Column::InspectedAt.lt(end))
                .into_tuple()
                .all(db)
        })
        .await?;
    let unit_failures: HashMap<Uuid, i64> = crate::db::in_chunks(&orgs, |ids| {
        inspection::Entity::find()
            .select_only()
            .column(inspection::Column::SiteOrganizationId)
            .column_as(inspection::Column::Id.count(), "n")
            .filter(inspection::Column::SiteOrganizationId.is_in(ids))
            .filter(inspection::Column::Verdict.eq(Verdict::Fail))
            .filter(inspection::Column::InspectedAt.gte(window_start))
            .filter(inspection::Column::InspectedAt.lt(end))
            .group_by(inspection::Column::SiteOrganizationId)
            .into_tuple::<(Uuid, i64)>()
            .all(db)
    })
    .await?
    .into_iter()
    .collect();
    let open_cases: HashMap<Uuid, i64> = crate::db::in_chunks(&site_ids, |ids| {
        case::Entity::find()
            .select_only()
            .column(case::Column::SiteId)
            .column_as(case::Column::Id.count(), "n")
            .filter(case::Column::SiteId.is_in(ids))
            .filter(case::Column::State.is_in(CaseState::UNRESOLVED))
            .group_by(case::Column::SiteId)
            .into_tuple::<(Uuid, i64)>()
            .all(db)
    })
    .await?
    .into_iter()
    .collect();

    let mut by_filing: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (f, m) in &links {
        by_filing.entry(*f).or_default().push(*m);
    }
    let mut site_machines: HashMap<Uuid, BTreeSet<Uuid>> = HashMap::new();
    let mut first_entry: HashMap<Uuid, NaiveDate> = HashMap::new();
    for (id, site_id, _, entry) in &filings {
        site_machines.entry(*site_id).or_default().extend(by_filing.get(id).into_iter().flatten().copied());
        first_entry.entry(*site_id).and_modify(|d| *d = (*d).min(*entry)).or_insert(*entry);
    }
    let mut last_visit: HashMap<Uuid, NaiveDate> = HashMap::new();
    let mut failures: HashMap<Uuid, u32> = HashMap::new();
    // The day each machine was last inspected at each site.
    let mut seen: HashMap<(Uuid, Uuid), NaiveDate> = HashMap::new();
    for (site_id, machine_id, verdict, at) in &visits {
        let day = crate::dates::china_date(*at);
        last_visit.entry(*site_id).and_modify(|d| *d = (*d).max(day)).or_insert(day);
        if *verdict == Verdict::Fail && *at >= window_start {
            *failures.entry(*site_id).or_default() += 1;
        }
        if let Some(m) = machine_id {
            seen.entry((*site_id, *m)).and_modify(|d| *d = (*d).max(day)).or_insert(day);
        }
    }
    let site_org: HashMap<Uuid, Uuid> = filings.iter().map(|f| (f.1, f.2)).collect();
    for site_id in &site_ids {
        let ms = site_machines.remove(site_id).unwrap_or_default();
        let old_or_no_dpf =
            ms.iter().filter(|m| machines.get(m).is_some_and(|(stage, dpf)| old_or_without_dpf(stage, *dpf))).count();
        let never_inspected = filings
            .iter()
            .filter(|(id, s, _, entry)| {
                s == site_id
                    && !by_filing
                        .get(id)
                        .into_iter()
                        .flatten()
                        .any(|m| seen.get(&(*site_id, *m)).is_some_and(|d| d >= entry))
            })
            .count();
        let since = last_visit.get(site_id).or(first_entry.get(site_id)).copied().unwrap_or(date);
        out.insert(
            *site_id,
            SiteFacts {
                machines: count(ms.len()),
                old_or_no_dpf: count(old_or_no_dpf),
                watched: count(ms.iter().filter(|m| watched.contains(m)).count()),
                site_failures: failures.get(site_id).copied().unwrap_or(0),
                unit_failures: site_org
                    .get(site_id)
                    .and_then(|o| unit_failures.get(o))
                    .map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX)),
                never_inspected: count(never_inspected),
                days_since: (date - since).num_days().max(0),
                open_cases: open_cases.get(site_id).map_or(0, |n| u32::try_from(*n).unwrap_or(u32::MAX)),
            },
        );
    }
    Ok(out)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Below stage III, or an engine (not electric) without a diesel particulate filter.
pub fn old_or_without_dpf(stage: &str, dpf_fitted: bool) -> bool {
    match EmissionStage::parse(stage) {
        Some(EmissionStage::Electric) => false,
        Some(EmissionStage::PreStandard | EmissionStage::Stage1 | EmissionStage::Stage2) | None => true,
        Some(EmissionStage::Stage3 | EmissionStage::Stage4) => !dpf_fitted,
    }
}

/// `GET /api/v1/inspection-plan/route`: the caller's route for a day (county inspectors).
#[tracing::instrument(skip(state))]
pub async fn route(state: &AppState, principal: &Principal, date: Option<NaiveDate>) -> ServiceResult<Route> {
    principal.require(&INSPECTORS)?;
    let date = date.unwrap_or_else(|| crate::dates::china_date(state.clock.now()));
    read_route(&state.db, principal.user_id, date).await
}

async fn read_route(db: &impl ConnectionTrait, inspector: Uuid, date: NaiveDate) -> ServiceResult<Route> {
    let stops = route_stop::Entity::find()
        .filter(route_stop::Column::InspectorId.eq(inspector))
        .filter(route_stop::Column::RouteDate.eq(date))
        .order_by_asc(route_stop::Column::Position)
        .all(db)
        .await?;
    let sites: HashMap<Uuid, site::Model> = site::Entity::find()
        .filter(site::Column::Id.is_in(stops.iter().map(|s| s.site_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(Route {
        date,
        stops: stops
            .into_iter()
            .filter_map(|s| sites.get(&s.site_id))
            .map(|s| RouteStop { site_id: s.id, site_name: s.name.clone(), address: s.address.clone() })
            .collect(),
    })
}

/// `PUT /api/v1/inspection-plan/route`: a county inspector's sites for a day, in order (from
/// today to a year ahead; sites of their own county; at most 30, none twice). Replaces that
/// day's route; audited.
#[tracing::instrument(skip(state))]
pub async fn set_route(state: &AppState, principal: &Principal, input: RouteInput) -> ServiceResult<Route> {
    principal.require(&INSPECTORS)?;
    let county = principal.division_code.clone().ok_or(AppError::Forbidden)?;
    let now = state.clock.now();
    let today = crate::dates::china_date(now);
    let mut fields = FieldErrors::new();
    if input.date < today {
        fields.add("date", FieldError::new(FieldCode::InThePast));
    } else if (input.date - today).num_days() > crate::watchlist::MAX_DAYS {
        fields.add("date", FieldError::new(FieldCode::Range).with("min", 0).with("max", crate::watchlist::MAX_DAYS));
    }
    if input.site_ids.len() > ROUTE_MAX {
        fields.add("site_ids", FieldError::new(FieldCode::TooMany).with("max", ROUTE_MAX));
    }
    let distinct: BTreeSet<Uuid> = input.site_ids.iter().copied().collect();
    if distinct.len() != input.site_ids.len() {
        fields.add("site_ids", FieldError::new(FieldCode::DuplicateSite));
    }
    if fields.is_empty() && !distinct.is_empty() {
        let known: HashSet<Uuid> = site::Entity::find()
            .select_only()
            .column(site::Column::Id)
            .filter(site::Column::Id.is_in(distinct.iter().copied()))
            .filter(site::Column::CountyCode.eq(county.as_str()))
            .into_tuple::<Uuid>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        if known.len() != distinct.len() {
            fields.add("site_ids", FieldError::new(FieldCode::UnknownSite));
        }
    }
    if !fields.is_empty() {
        return Err(AppError::Validation { fields }.into());
    }
    let txn = state.db.begin().await?;
    let before = read_route(&txn, principal.user_id, input.date).await?;
    route_stop::Entity::delete_many()
        .filter(route_stop::Column::InspectorId.eq(principal.user_id))
        .filter(route_stop::Column::RouteDate.eq(input.date))
        .exec(&txn)
        .await?;
    if !input.site_ids.is_empty() {
        let rows = input.site_ids.iter().enumerate().map(|(i, id)| {
            route_stop::ActiveModel::from(route_stop::Model {
                inspector_id: principal.user_id,
                route_date: input.date,
                position: i32::try_from(i).unwrap_or(i32::MAX),
                site_id: *id,
                county_code: county.clone(),
                saved_at: now,
            })
        });
        route_stop::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    let after = read_route(&txn, principal.user_id, input.date).await?;
    let e = audit::entry(Action::Update, EntityKind::InspectionRoute)
        .by(principal)
        .id(format!("{}/{}", principal.user_id, input.date))
        .county(Some(&county));
    audit::record(&txn, now, e.before(&before).after(&after)).await?;
    txn.commit().await?;
    Ok(after)
}
