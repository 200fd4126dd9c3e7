//! Server functions of the site pages.

use super::zone::ZoneDecisionInput;
use super::{CountyChoice, Site, SiteInput};
use crate::divisions::Division;
use crate::error::AppError;
use crate::paging::Page;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// A page of sites in scope.
#[server(endpoint = "sites/list")]
pub async fn list_sites(cursor: Option<String>) -> Result<Page<Site>, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::list(&state, &p, &crate::paging::PageQuery { limit: Some(100), cursor }).await?)
}

/// Creates a site.
#[server(input = Json, endpoint = "sites/create")]
pub async fn create_site(input: SiteInput) -> Result<Site, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::create(&state, &p, input).await?)
}

/// One site.
#[server(endpoint = "sites/get")]
pub async fn get_site(id: uuid::Uuid) -> Result<Site, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::get(&state, &p, id).await?)
}

/// Marks a site in or out of the zone (the county's inspectors, the city's officers).
#[server(input = Json, endpoint = "sites/zone")]
pub async fn decide_site_zone(id: uuid::Uuid, input: ZoneDecisionInput) -> Result<Site, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::zone_decision::decide(&state, &p, id, input).await?)
}

/// The counties under a city, each with the rough bounds a site's position must lie in.
#[server(endpoint = "sites/counties")]
pub async fn list_counties(city: String) -> Result<Vec<CountyChoice>, AppError> {
    let state = crate::state::app_state()?;
    Ok(crate::divisions::service::children_with_bounds(&state.db, &city).await?)
}

/// The divisions under `parent` (the provinces without one).
#[server(endpoint = "divisions")]
pub async fn list_divisions(parent: Option<String>) -> Result<Vec<Division>, AppError> {
    let state = crate::state::app_state()?;
    Ok(crate::divisions::service::children_or_roots(&state.db, parent.as_deref()).await?)
}

/// The name of the low-emission zone of a county today, if any (prefills the site form).
#[server(endpoint = "divisions/zone")]
pub async fn county_zone(county_code: String) -> Result<Option<String>, AppError> {
    let state = crate::state::app_state()?;
    let today = crate::dates::china_date(state.clock.now());
    Ok(super::service::zone_for(&state.db, &county_code, today).await?.map(|z| z.name))
}
