//! The field: phone-first pages for inspectors on a site (reading the QR label, looking a
//! machine up, recording an inspection with the verdict computed as they type) and the look-up
//! itself — its answer's types here, its service, REST handler and server function beside them.

pub mod names;
pub mod offline;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::cases::{CaseKind, CaseState};
use crate::inspections::compliance::{Verdict, ZoneRule};
use crate::machines::{EmissionStage, FuelType};
use crate::sites::Site;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `?code=…&site_id=…` of the field look-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct LookupQuery {
    /// A registration code, PIN, environmental code or engine serial (any case).
    #[serde(default)]
    pub code: String,
    /// The site the inspector stands on; "here" means this site (else any site in their scope).
    pub site_id: Option<Uuid>,
}

/// The field answer's headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LookupStatus {
    /// Registered, with an accepted filing covering today for this site (or a site in scope).
    RegisteredFiledHere,
    /// Registered, but not filed for this site today.
    RegisteredNotFiledHere,
    /// Unknown, or recorded by its owner but never registered.
    NotRegistered,
    /// Registered, with an unresolved case (open, rectification ordered, penalised).
    OpenCase,
}

/// Where a looked-up machine stands with its filings today, as the field page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FilingStanding {
    /// Filed today for the site given (without one: for a site in the caller's scope).
    FiledHere,
    /// Filed today, for another site (`current_filing`).
    FiledElsewhere,
    /// No filing covers today; an accepted one starts later (`other_filing_on`, the nearest).
    FilingUpcoming,
    /// No filing covers today or later; the latest accepted one ended (last day `ended_on`).
    FilingEnded,
    /// Registered, with no accepted filing ever.
    NeverFiled,
    /// Not registered: no machine has the code, or its owner recorded it but it was never
    /// registered.
    NotRegistered,
}

/// The machine, as much as a field check needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupMachine {
    pub id: Uuid,
    pub name: String,
    pub machine_type: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub registration_code: Option<String>,
    pub pin: Option<String>,
    pub env_code: Option<String>,
    pub engine_serial: Option<String>,
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    pub rated_power_kw: f64,
    pub dpf_fitted: bool,
}

/// The owner of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupOwner {
    pub name: String,
    pub uscc: String,
}

/// The accepted filing covering today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupFiling {
    pub id: Uuid,
    pub site_id: Uuid,
    pub site_name: String,
    pub county_code: String,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
}

/// The machine's latest inspection (any county).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupInspection {
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    pub mean_k: Option<f64>,
    pub limit_k: Option<f64>,
}

/// An unresolved case of the machine (any county).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupCase {
    pub id: Uuid,
    pub kind: CaseKind,
    pub state: CaseState,
    pub county_code: String,
    pub opened_at: DateTime<Utc>,
    pub deadline_on: Option<NaiveDate>,
    pub overdue: bool,
}

/// `GET /machines/lookup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LookupResult {
    pub status: LookupStatus,
    pub machine: Option<LookupMachine>,
    pub owner: Option<LookupOwner>,
    pub current_filing: Option<LookupFiling>,
    /// Whether the machine's stage is allowed in the zone of the site (the given one, else the
    /// filed one); `null` when there is no site to judge by.
    pub zone_allows: Option<bool>,
    pub last_inspection: Option<LookupInspection>,
    pub open_cases: Vec<LookupCase>,
    /// Where the machine stands with its filings today.
    pub standing: FilingStanding,
    /// Without a filing covering today: the nearest accepted filing starting later, else the
    /// latest one that ended — when it is in the caller's scope (the look-up's exception covers
    /// only today's filing).
    pub other_filing: Option<LookupFiling>,
    /// The first day of the upcoming filing (`filing_upcoming`), in scope or not.
    pub other_filing_on: Option<NaiveDate>,
    /// The last day the ended `other_filing` covered the machine (its planned exit, or the day
    /// before the machine left it with a transfer).
    pub ended_on: Option<NaiveDate>,
    /// Why the machine is on the watch list (empty when it is not); the counties behind these
    /// reasons are told of the look-up.
    #[serde(default)]
    pub watch: Vec<crate::watchlist::WatchReason>,
}

/// A site as the field pages need it: to be chosen, and to judge an inspection on the phone
/// (with no network too) by the zone rule the server applies today. The full site is not sent:
/// a county's hundred sites in every field page would outweigh the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldSite {
    pub id: Uuid,
    pub name: String,
    pub county_code: String,
    /// Whether the site lies in a low-emission zone today ([`Site::low_emission_zone`]).
    pub low_emission_zone: bool,
    /// The rule it is judged with today; `None` outside a zone.
    pub rule: Option<ZoneRule>,
    /// The exemptions the zone in force lists.
    pub exemptions: Vec<String>,
}

impl From<Site> for FieldSite {
    fn from(s: Site) -> Self {
        FieldSite {
            id: s.id,
            name: s.name,
            county_code: s.county_code,
            low_emission_zone: s.low_emission_zone,
            rule: s.zone.rule,
            exemptions: s.zone.exemptions,
        }
    }
}

/// The `<option>`s of the sites in the inspector's scope for a site `<select>`, the one chosen
/// (`selected`, a site id) marked so the page rendered on the server shows it. The site chosen
/// in the address is read on its own and listed first, so a site beyond the first page of the
/// list (a link from a case or a plan) is offered too and the select never falls back to "any
/// site".
#[component]
pub fn SiteOptions(#[prop(into)] sites: Signal<Option<Vec<FieldSite>>>, selected: RwSignal<String>) -> impl IntoView {
    let beyond = Resource::new(
        move || uuid::Uuid::parse_str(&selected.get_untracked()).ok(),
        |wanted| async move {
            match wanted {
                Some(id) => crate::sites::server_fns::get_site(id).await.ok().map(FieldSite::from),
                None => None,
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                let current = selected.get_untracked();
                let extra = beyond.get().flatten();
                // The site in the address is offered before the list has come (the look-up
                // page fetches it in the browser).
                let list = sites.get().unwrap_or_default();
                let extra_id = extra.as_ref().map(|s| s.id);
                extra
                    .into_iter()
                    .chain(list.into_iter().filter(|s| Some(s.id) != extra_id))
                    .map(|s| {
                        let v = s.id.to_string();
                        let chosen = v == current;
                        view! { <option value=v selected=chosen>{s.name}</option> }
                    })
                    .collect_view()
            }}
        </Transition>
    }
}
