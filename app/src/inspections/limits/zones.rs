//! Zones in the database (the zones officers administer for their divisions, and their rules)
//! and the verdict of `/compliance/evaluate`; limit tables are in `tables`.

use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::{division, low_emission_zone};
use crate::error::{AppError, FieldCode};
use crate::inspections::compliance::{self, LimitClass};
use crate::inspections::limits::tables::table_in_force;
use crate::inspections::limits::{Zone, ZoneFilter, ZoneInput, validate_zone};
use crate::machines::EmissionStage;
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::sites::zone_service::zone_rule;
use crate::state::AppState;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// `POST /compliance/evaluate`: the rule against the table in force today for `county_code`
/// (the one its inspections are judged with; the national table without it, or for a code that
/// names no division); a zone uses the zone data of `county_code` when given, else the default
/// rule.
pub async fn evaluate(state: &AppState, input: &compliance::EvaluateInput) -> ServiceResult<compliance::Evaluation> {
    let today = crate::dates::china_date(state.clock.now());
    let table = table_in_force(&state.db, input.county_code.as_deref(), today)
        .await?
        .ok_or_else(|| ServiceError::internal("no limit table in force"))?;
    let zone = match (&input.county_code, input.low_emission_zone) {
        (Some(county), Some(true)) => {
            crate::sites::zone_service::zone_for(&state.db, county, today).await?.map(|z| zone_rule(&z))
        }
        _ => None,
    };
    input.evaluate(&table.rows, zone).map_err(|fields| AppError::Validation { fields }.into())
}

/// The divisions an officer administers zones for: a province officer their province, its
/// cities and counties; a city officer their city and its counties. Others: 403.
async fn administered(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<HashSet<String>> {
    principal.require(&crate::auth::permissions::ZONE_ADMINS)?;
    let Some(code) = principal.division_code.clone() else { return Err(AppError::Forbidden.into()) };
    let mut set: HashSet<String> = crate::divisions::service::counties_under(db, &code).await?.into_iter().collect();
    set.extend(crate::divisions::service::children(db, &code).await?.into_iter().map(|d| d.code));
    set.insert(code);
    Ok(set)
}

/// 403 for a division outside the caller's, 422 for one that does not exist.
async fn check_division(db: &impl ConnectionTrait, allowed: &HashSet<String>, code: &str) -> ServiceResult<()> {
    if allowed.contains(code) {
        return Ok(());
    }
    if division::Entity::find_by_id(code.to_owned()).one(db).await?.is_none() {
        return Err(AppError::field("division_code", FieldCode::UnknownDivision).into());
    }
    Err(AppError::Forbidden.into())
}

async fn zone_dtos(db: &impl ConnectionTrait, zones: Vec<low_emission_zone::Model>) -> ServiceResult<Vec<Zone>> {
    let codes: Vec<String> = zones.iter().map(|z| z.division_code.clone()).collect();
    let names: HashMap<String, String> = division::Entity::find()
        .filter(division::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    zones
        .into_iter()
        .map(|z| {
            let exemptions: Vec<String> = serde_json::from_str(&z.exemptions).map_err(ServiceError::internal)?;
            Ok(Zone {
                division_name: names.get(&z.division_code).cloned().unwrap_or_default(),
                min_diesel_stage: EmissionStage::parse(&z.min_diesel_stage)
                    .ok_or_else(|| ServiceError::internal("stored zone stage"))?,
                required_class: LimitClass::parse(&z.required_class)
                    .ok_or_else(|| ServiceError::internal("stored zone class"))?,
                id: z.id,
                division_code: z.division_code,
                name: z.name,
                exemptions,
                effective_from: z.effective_from,
                effective_to: z.effective_to,
                notes: z.notes,
                version: z.version,
                created_at: z.created_at,
                updated_at: z.updated_at,
            })
        })
        .collect()
}

/// The zones of the divisions the caller administers, newest first.
pub async fn list_zones(
    state: &AppState,
    principal: &Principal,
    filter: &ZoneFilter,
    page: &PageQuery,
) -> ServiceResult<Page<Zone>> {
    let allowed = administered(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = low_emission_zone::Entity::find().filter(low_emission_zone::Column::DivisionCode.is_in(allowed));
    if let Some(code) = filter.division_code.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(low_emission_zone::Column::DivisionCode.eq(code));
    }
    if let Some(after) = page.after()? {
        q = q.filter(low_emission_zone::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(low_emission_zone::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |z| z.id);
    Ok(Page { items: zone_dtos(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

fn exemptions_json(input: &ZoneInput) -> ServiceResult<String> {
    serde_json::to_string(&input.exemptions).map_err(ServiceError::internal)
}

/// Draws a zone for a division the caller administers.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create_zone(state: &AppState, principal: &Principal, mut input: ZoneInput) -> ServiceResult<Zone> {
    let allowed = administered(&state.db, principal).await?;
    validate_zone(&mut input).into_result()?;
    check_division(&state.db, &allowed, &input.division_code).await?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    low_emission_zone::Entity::insert(low_emission_zone::ActiveModel {
        id: Set(id),
        division_code: Set(input.division_code.clone()),
        name: Set(input.name.clone()),
        min_diesel_stage: Set(input.min_diesel_stage.as_str().to_owned()),
        required_class: Set(input.required_class.as_str().to_owned()),
        exemptions: Set(exemptions_json(&input)?),
        effective_from: Set(input.effective_from),
        effective_to: Set(input.effective_to),
        notes: Set(input.notes.clone()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&txn)
    .await?;
    let z = low_emission_zone::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let zone = zone_dtos(&txn, vec![z]).await?.pop().ok_or_else(|| ServiceError::internal("zone vanished"))?;
    let e = audit::entry(Action::Create, EntityKind::Zone).by(principal).id(id).county(Some(&zone.division_code));
    audit::record(&txn, now, e.after(&zone)).await?;
    txn.commit().await?;
    Ok(zone)
}

/// Changes a zone, given the version that was read (a stale one is 409 and changes nothing).
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn update_zone(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    mut input: ZoneInput,
) -> ServiceResult<Zone> {
    let allowed = administered(&state.db, principal).await?;
    let current = low_emission_zone::Entity::find_by_id(id).one(&state.db).await?;
    let Some(current) = current.filter(|z| allowed.contains(&z.division_code)) else {
        return Err(AppError::NotFound.into());
    };
    let Some(version) = input.version else { return Err(AppError::field("version", FieldCode::Required).into()) };
    validate_zone(&mut input).into_result()?;
    check_division(&state.db, &allowed, &input.division_code).await?;
    let before = zone_dtos(&state.db, vec![current.clone()]).await?.pop();
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let updated = low_emission_zone::Entity::update_many()
        .set(low_emission_zone::ActiveModel {
            division_code: Set(input.division_code.clone()),
            name: Set(input.name.clone()),
            min_diesel_stage: Set(input.min_diesel_stage.as_str().to_owned()),
            required_class: Set(input.required_class.as_str().to_owned()),
            exemptions: Set(exemptions_json(&input)?),
            effective_from: Set(input.effective_from),
            effective_to: Set(input.effective_to),
            notes: Set(input.notes.clone()),
            version: Set(current.version + 1),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(low_emission_zone::Column::Id.eq(id))
        .filter(low_emission_zone::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::stale(current.version));
    }
    let z = low_emission_zone::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let zone = zone_dtos(&txn, vec![z]).await?.pop().ok_or_else(|| ServiceError::internal("zone vanished"))?;
    let e = audit::entry(Action::Update, EntityKind::Zone).by(principal).id(id).county(Some(&zone.division_code));
    audit::record(&txn, now, e.before(&before).after(&zone)).await?;
    txn.commit().await?;
    Ok(zone)
}
