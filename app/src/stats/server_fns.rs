//! The server function of the dashboard page.

use super::{Ranking, Stats, StatsQuery};
use crate::divisions::Division;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Everything the dashboard shows at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub stats: Stats,
    pub ranking: Ranking,
    /// The divisions the filter offers (those in the caller's scope).
    pub divisions: Vec<Division>,
}

/// The figures, the ranking and the filter's divisions.
#[server(input = Json, endpoint = "stats/dashboard")]
pub async fn get_dashboard(query: StatsQuery) -> Result<Dashboard, AppError> {
    let (state, p) = crate::server_fns::state_and_principal()?;
    let stats = super::service::stats(&state, &p, &query).await?;
    let ranking = super::service::ranking(&state, &p, &query).await?;
    let divisions = super::service::divisions_in_scope(&state, &p).await?;
    Ok(Dashboard { stats, ranking, divisions })
}
