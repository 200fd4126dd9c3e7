//! Sites: create, read, list — a construction unit its own, officials those in their counties.

use super::{Site, SiteInput, validate};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::db::entities::{division, low_emission_zone, site};
use crate::divisions::Level;
use crate::error::{AppError, FieldError};
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

/// The zone in force for a county on a day, if there is one: the county's own zone, else a zone
/// its city drew for all its counties (one query).
pub async fn zone_for(
    db: &impl ConnectionTrait,
    county_code: &str,
    on: NaiveDate,
) -> ServiceResult<Option<low_emission_zone::Model>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let parent = Query::select()
        .column(division::Column::ParentCode)
        .from(division::Entity)
        .and_where(Expr::col(division::Column::Code).eq(county_code))
        .to_owned();
    let zones = low_emission_zone::Entity::find()
        .filter(
            Condition::any()
                .add(low_emission_zone::Column::DivisionCode.eq(county_code))
                .add(low_emission_zone::Column::DivisionCode.in_subquery(parent)),
        )
        .filter(low_emission_zone::Column::EffectiveFrom.lte(on))
        .filter(
            Condition::any()
                .add(low_emission_zone::Column::EffectiveTo.is_null())
                .add(low_emission_zone::Column::EffectiveTo.gte(on)),
        )
        .order_by_desc(low_emission_zone::Column::EffectiveFrom)
        .all(db)
        .await?;
    let own = zones.iter().position(|z| z.division_code == county_code);
    Ok(match own {
        Some(i) => zones.into_iter().nth(i),
        None => zones.into_iter().next(),
    })
}

async fn county_names(db: &impl ConnectionTrait, codes: Vec<String>) -> ServiceResult<HashMap<String, String>> {
    Ok(division::Entity::find()
        .filter(division::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

fn to_dto(m: site::Model, county_name: String) -> Site {
    Site {
        id: m.id,
        organization_id: m.organization_id,
        name: m.name,
        county_code: m.county_code,
        county_name,
        address: m.address,
        permit_no: m.permit_no,
        starts_on: m.starts_on,
        ends_on: m.ends_on,
        lat: m.lat,
        lng: m.lng,
        low_emission_zone: m.low_emission_zone,
        version: m.version,
        created_at: m.created_at,
    }
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

/// Creates a site for the caller's organisation.
#[tracing::instrument(skip(state, input), fields(user = %principal.username))]
pub async fn create(state: &AppState, principal: &Principal, mut input: SiteInput) -> ServiceResult<Site> {
    let org = crate::machines::service::contractor_org(principal)?;
    let mut errors = validate(&mut input);
    let county = division::Entity::find_by_id(input.county_code.clone()).one(&state.db).await?;
    match &county {
        Some(d) if d.level == Level::County.as_str() => {}
        _ if errors.first("county_code").is_none() => errors.add("county_code", FieldError::new("not_a_county")),
        _ => {}
    }
    errors.into_result()?;
    let county_name = county.map(|d| d.name).unwrap_or_default();
    let lez = match input.low_emission_zone {
        Some(v) => v,
        None => zone_for(&state.db, &input.county_code, input.starts_on).await?.is_some(),
    };
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
        low_emission_zone: Set(lez),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = state.db.begin().await?;
    site::Entity::insert(row).exec(&txn).await?;
    let stored = site::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
    let site = to_dto(stored, county_name);
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
    let names = county_names(&state.db, vec![m.county_code.clone()]).await?;
    let name = names.get(&m.county_code).cloned().unwrap_or_default();
    Ok(to_dto(m, name))
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
    let names = county_names(&state.db, rows.iter().map(|s| s.county_code.clone()).collect()).await?;
    let page = page_from(rows, limit, |s| s.id);
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|s| {
                let n = names.get(&s.county_code).cloned().unwrap_or_default();
                to_dto(s, n)
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}
