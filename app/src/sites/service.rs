//! Sites: create, read, list — a construction unit its own, officials those in their counties.

use super::zone::{SiteZone, ZoneDecision, ZoneSource};
use super::zone_service::{Membership, zones_for};
use super::{Site, SiteInput, validate};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{division, site};
use crate::divisions::Level;
use crate::error::{AppError, FieldCode, FieldError};
use crate::paging::{Page, PageQuery, page_from};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

pub use super::zone_service::zone_for;

/// The wire form of sites, with their zone membership today (`today`, China date): a few
/// batched queries for county names, zones in force and the officials who decided.
pub async fn dtos(db: &impl ConnectionTrait, rows: Vec<site::Model>, today: NaiveDate) -> ServiceResult<Vec<Site>> {
    let mut counties: Vec<String> = rows.iter().map(|s| s.county_code.clone()).collect();
    counties.sort();
    counties.dedup();
    let names: HashMap<String, String> = division::Entity::find()
        .filter(division::Column::Code.is_in(counties.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let zones = zones_for(db, &counties, today).await?;
    let deciders = crate::auth::service::people(db, rows.iter().filter_map(|s| s.zone_decided_by).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let membership = Membership::of(&m, zones.get(&m.county_code).cloned());
            let decision = match (m.zone_decision, m.zone_decided_at) {
                (Some(in_zone), Some(decided_at)) => Some(ZoneDecision {
                    in_zone,
                    reason: m.zone_reason.clone().unwrap_or_default(),
                    decided_by: m.zone_decided_by,
                    decided_by_name: m
                        .zone_decided_by
                        .and_then(|u| deciders.get(&u))
                        .map(|p| p.0.clone())
                        .unwrap_or_default(),
                    decided_at,
                }),
                _ => None,
            };
            let zone = SiteZone {
                source: if decision.is_some() { ZoneSource::Official } else { ZoneSource::ZoneData },
                zone_name: membership.zone.as_ref().map(|z| z.name.clone()),
                rule: membership.rule(),
                exemptions: membership.exemptions(),
                decision,
            };
            Site {
                id: m.id,
                organization_id: m.organization_id,
                name: m.name,
                county_name: names.get(&m.county_code).cloned().unwrap_or_default(),
                county_code: m.county_code,
                address: m.address,
                permit_no: m.permit_no,
                starts_on: m.starts_on,
                ends_on: m.ends_on,
                lat: m.lat,
                lng: m.lng,
                low_emission_zone: membership.in_zone,
                zone,
                version: m.version,
                created_at: m.created_at,
            }
        })
        .collect())
}

async fn dto(state: &AppState, m: site::Model) -> ServiceResult<Site> {
    let today = crate::dates::china_date(state.clock.now());
    dtos(&state.db, vec![m], today).await?.pop().ok_or_else(|| AppError::NotFound.into())
}

/// A site the caller may see (404 otherwise).
pub async fn find_visible(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<site::Model> {
    let scope = Scope::resolve(&state.db, principal).await?;
    site::Entity::find_by_id(id)
        .filter(condition(&scope))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound.into())
}

/// The scope as a condition on sites (county for officials, owner for construction units).
fn condition(scope: &Scope) -> Condition {
    match scope {
        Scope::Organization(org) => Condition::all().add(site::Column::OrganizationId.eq(*org)),
        other => other.condition(Some(site::Column::CountyCode), None),
    }
}

/// Creates a site for the caller's organisation. Its position must lie in the bounds that
/// apply to its county; whether it lies in a zone is never the unit's to say.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, mut input: SiteInput) -> ServiceResult<Site> {
    let org = principal.contractor_org()?;
    input.county_code = input.county_code.trim().to_owned();
    let county = match crate::divisions::is_division_code(&input.county_code) {
        true => division::Entity::find_by_id(input.county_code.clone()).one(&state.db).await?,
        false => None,
    };
    let bounds = match &county {
        Some(d) => crate::divisions::service::bounds_of(&state.db, &d.code).await?,
        None => None,
    };
    let mut errors = validate(&mut input, bounds.as_ref());
    match &county {
        Some(d) if d.level == Level::County.as_str() => {}
        _ if errors.first("county_code").is_none() => errors.add("county_code", FieldError::new(FieldCode::NotACounty)),
        _ => {}
    }
    errors.into_result()?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let row = site::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        name: Set(input.name),
        county_code: Set(input.county_code),
        address: Set(input.address),
        permit_no: Set(input.permit_no),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        lat: Set(input.lat),
        lng: Set(input.lng),
        zone_decision: Set(None),
        zone_decided_by: Set(None),
        zone_decided_at: Set(None),
        zone_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = state.db.begin().await?;
    site::Entity::insert(row).exec(&txn).await?;
    let stored = site::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let site = dtos(&txn, vec![stored], crate::dates::china_date(now)).await?.pop().ok_or(AppError::NotFound)?;
    let e = audit::entry(Action::Create, EntityKind::Site)
        .by(principal)
        .id(id)
        .county(Some(&site.county_code))
        .after(&site);
    audit::record(&txn, now, e).await?;
    txn.commit().await?;
    Ok(site)
}

/// One site.
pub async fn get(state: &AppState, principal: &Principal, id: Uuid) -> ServiceResult<Site> {
    let m = find_visible(state, principal, id).await?;
    dto(state, m).await
}

/// A page of sites, newest first.
pub async fn list(state: &AppState, principal: &Principal, page: &PageQuery) -> ServiceResult<Page<Site>> {
    let scope = Scope::resolve(&state.db, principal).await?;
    let limit = page.limit();
    let mut q = site::Entity::find().filter(condition(&scope));
    if let Some(after) = page.after()? {
        q = q.filter(site::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(site::Column::Id).limit(limit + 1).all(&state.db).await?;
    let page = page_from(rows, limit, |s| s.id);
    let today = crate::dates::china_date(state.clock.now());
    Ok(Page { items: dtos(&state.db, page.items, today).await?, next_cursor: page.next_cursor })
}
