//! Server functions of the plan page.

use super::{PlanQuery, PlanView, Route, RouteInput, WeightsInForce, WeightsInput, WeightsQuery};
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// A county's plan for a day, the counties to pick from, and an inspector's route that day.
#[server(input = Json, endpoint = "plan/get")]
pub async fn get_plan(query: PlanQuery) -> Result<PlanView, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let plan = super::service::plan(&state, &p, &query).await?;
    let counties = super::service::counties(&state, &p).await?;
    let route = match p.role {
        crate::auth::Role::CountyInspector => Some(super::service::route(&state, &p, Some(plan.date)).await?),
        _ => None,
    };
    Ok(PlanView { plan, counties, route })
}

/// The weights in force at a division.
#[server(input = Json, endpoint = "plan/weights")]
pub async fn get_weights(query: WeightsQuery) -> Result<WeightsInForce, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::weights(&state, &p, &query).await?)
}

/// Sets a division's weights (city and province officers).
#[server(input = Json, endpoint = "plan/set-weights")]
pub async fn set_weights(input: WeightsInput) -> Result<WeightsInForce, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::set_weights(&state, &p, input).await?)
}

/// The caller's route for a day.
#[server(endpoint = "plan/route")]
pub async fn get_route(date: Option<NaiveDate>) -> Result<Route, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::route(&state, &p, date).await?)
}

/// Replaces the caller's route for a day.
#[server(input = Json, endpoint = "plan/set-route")]
pub async fn set_route(input: RouteInput) -> Result<Route, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    Ok(super::service::set_route(&state, &p, input).await?)
}
