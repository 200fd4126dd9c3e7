//! Limit tables and zones in the database: the table in force on a day, new table versions
//! (never edits), and the zones officers administer for their divisions.

use super::compliance::{self, LimitClass, LimitRow, ZoneRule};
use super::limits::{LimitTable, LimitTableInput, Zone, ZoneFilter, ZoneInput, validate_table, validate_zone};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::db::entities::{division, limit_row, limit_table, low_emission_zone};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::machines::EmissionStage;
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Who administers limit tables and zones.
pub const ADMINS: [Role; 2] = [Role::ProvinceOfficer, Role::CityOfficer];

fn row_dto(r: limit_row::Model) -> ServiceResult<LimitRow> {
    Ok(LimitRow {
        class: LimitClass::parse(&r.class)
            .ok_or_else(|| ServiceError::internal(format!("stored class {}", r.class)))?,
        power_min_kw: r.power_min_kw,
        power_max_kw: r.power_max_kw,
        k_limit: r.k_limit,
        ringelmann_max: r.ringelmann_max,
    })
}

async fn with_rows(db: &impl ConnectionTrait, tables: Vec<limit_table::Model>) -> ServiceResult<Vec<LimitTable>> {
    let ids: Vec<Uuid> = tables.iter().map(|t| t.id).collect();
    let mut rows: HashMap<Uuid, Vec<LimitRow>> = HashMap::new();
    for r in limit_row::Entity::find()
        .filter(limit_row::Column::TableId.is_in(ids))
        .order_by_asc(limit_row::Column::Position)
        .all(db)
        .await?
    {
        rows.entry(r.table_id).or_default().push(row_dto(r)?);
    }
    Ok(tables
        .into_iter()
        .map(|t| LimitTable {
            rows: rows.remove(&t.id).unwrap_or_default(),
            id: t.id,
            version: t.version,
            effective_from: t.effective_from,
            notes: t.notes,
            created_at: t.created_at,
        })
        .collect())
}

/// The table in force on `on` (China date): the one with the latest effective date not after it.
pub async fn table_in_force(db: &impl ConnectionTrait, on: NaiveDate) -> ServiceResult<Option<LimitTable>> {
    let Some(t) = limit_table::Entity::find()
        .filter(limit_table::Column::EffectiveFrom.lte(on))
        .order_by_desc(limit_table::Column::EffectiveFrom)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(with_rows(db, vec![t]).await?.pop())
}

/// `GET /limit-tables/current`: the table in force on `on` (today when absent); 404 before the
/// first table.
pub async fn current(state: &AppState, on: Option<NaiveDate>) -> ServiceResult<LimitTable> {
    let day = on.unwrap_or_else(|| crate::dates::china_date(state.clock.now()));
    table_in_force(&state.db, day).await?.ok_or_else(|| AppError::NotFound.into())
}

/// Every table version, latest effective date first.
pub async fn list_tables(state: &AppState, page: &PageQuery) -> ServiceResult<Page<LimitTable>> {
    let limit = page.limit();
    let mut q = limit_table::Entity::find();
    if let Some(after) = page.after()? {
        let cursor = limit_table::Entity::find_by_id(after).one(&state.db).await?;
        let Some(cursor) = cursor else { return Err(AppError::field("cursor", "invalid").into()) };
        q = q.filter(limit_table::Column::EffectiveFrom.lt(cursor.effective_from));
    }
    let rows = q.order_by_desc(limit_table::Column::EffectiveFrom).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |t| t.id);
    Ok(Page { items: with_rows(&state.db, page.items).await?, next_cursor: page.next_cursor })
}

/// After a unique violation: which of version and effective date is taken (409).
async fn duplicate_table(db: &impl ConnectionTrait, input: &LimitTableInput) -> ServiceResult<ServiceError> {
    let same_version =
        limit_table::Entity::find().filter(limit_table::Column::Version.eq(input.version.clone())).one(db).await?;
    let (code, field) = if same_version.is_some() {
        ("duplicate_version", "version")
    } else {
        ("duplicate_effective_date", "effective_from")
    };
    let mut params = BTreeMap::new();
    params.insert("version".to_owned(), input.version.clone());
    params.insert("effective_from".to_owned(), input.effective_from.to_string());
    Ok(AppError::Conflict {
        code: code.into(),
        fields: FieldErrors::single(field, FieldError::new("already_registered")),
        params,
    }
    .into())
}

/// Adds a table version (province and city officers). It replaces the table in force from its
/// effective date (past or future); nothing already recorded changes.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create_table(
    state: &AppState,
    principal: &Principal,
    mut input: LimitTableInput,
) -> ServiceResult<LimitTable> {
    principal.require(&ADMINS)?;
    validate_table(&mut input).into_result()?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = state.db.begin().await?;
    let inserted = limit_table::Entity::insert(limit_table::ActiveModel {
        id: Set(id),
        version: Set(input.version.clone()),
        effective_from: Set(input.effective_from),
        notes: Set(input.notes.clone()),
        created_by: Set(Some(principal.user_id)),
        created_at: Set(now),
    })
    .exec(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Err(duplicate_table(&state.db, &input).await?);
        }
        Err(e) => return Err(e.into()),
    }
    limit_row::Entity::insert_many(input.rows.iter().enumerate().map(|(i, r)| limit_row::ActiveModel {
        id: Set(Uuid::now_v7()),
        table_id: Set(id),
        position: Set(i as i32 + 1),
        class: Set(r.class.as_str().to_owned()),
        power_min_kw: Set(r.power_min_kw),
        power_max_kw: Set(r.power_max_kw),
        k_limit: Set(r.k_limit),
        ringelmann_max: Set(r.ringelmann_max),
    }))
    .exec(&txn)
    .await?;
    let t =
        limit_table::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| ServiceError::internal("table vanished"))?;
    let table = with_rows(&txn, vec![t]).await?.pop().ok_or_else(|| ServiceError::internal("table vanished"))?;
    audit::record(&txn, now, audit::entry(Action::Create, EntityKind::LimitTable).by(principal).id(id).after(&table))
        .await?;
    txn.commit().await?;
    Ok(table)
}

/// The zone rule of a zone row (a row with values we do not know gets the default rule).
pub fn zone_rule(z: &low_emission_zone::Model) -> ZoneRule {
    ZoneRule {
        min_diesel_stage: EmissionStage::parse(&z.min_diesel_stage).unwrap_or(ZoneRule::DEFAULT.min_diesel_stage),
        required_class: LimitClass::parse(&z.required_class).unwrap_or(ZoneRule::DEFAULT.required_class),
    }
}

/// The zone rule for a site in a low-emission zone, in `county` on `on`: the county's zone data
/// in force then, else the default rule.
pub async fn zone_rule_for(db: &impl ConnectionTrait, county: &str, on: NaiveDate) -> ServiceResult<ZoneRule> {
    Ok(crate::sites::service::zone_for(db, county, on).await?.map(|z| zone_rule(&z)).unwrap_or(ZoneRule::DEFAULT))
}

/// `POST /compliance/evaluate`: the rule against the table in force today; a zone uses the
/// zone data of `county_code` when given, else the default rule.
pub async fn evaluate(state: &AppState, input: &compliance::EvaluateInput) -> ServiceResult<compliance::Evaluation> {
    let today = crate::dates::china_date(state.clock.now());
    let table =
        table_in_force(&state.db, today).await?.ok_or_else(|| ServiceError::internal("no limit table in force"))?;
    let zone = match (&input.county_code, input.low_emission_zone) {
        (Some(county), Some(true)) => {
            crate::sites::service::zone_for(&state.db, county, today).await?.map(|z| zone_rule(&z))
        }
        _ => None,
    };
    input.evaluate(&table.rows, zone).map_err(|fields| AppError::Validation { fields }.into())
}

/// The divisions an officer administers zones for: a province officer their province, its
/// cities and counties; a city officer their city and its counties. Others: 403.
async fn administered(db: &impl ConnectionTrait, principal: &Principal) -> ServiceResult<HashSet<String>> {
    principal.require(&ADMINS)?;
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
        return Err(AppError::field("division_code", "unknown_division").into());
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
    let Some(version) = input.version else { return Err(AppError::field("version", "required").into()) };
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
        return Err(crate::machines::service::stale(current.version));
    }
    let z = low_emission_zone::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let zone = zone_dtos(&txn, vec![z]).await?.pop().ok_or_else(|| ServiceError::internal("zone vanished"))?;
    let e = audit::entry(Action::Update, EntityKind::Zone).by(principal).id(id).county(Some(&zone.division_code));
    audit::record(&txn, now, e.before(&before).after(&zone)).await?;
    txn.commit().await?;
    Ok(zone)
}
