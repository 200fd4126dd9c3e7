//! The inspection plan: the sites active in a county on a day, ranked by a risk score an
//! inspector can read line by line, and the day's route the inspector picks from it.
//!
//! The score is a sum of seven factors, each a fact about the site times a weight
//! ([`score`], the one rule, shared by the server and the page's explanation):
//!
//! | factor            | the fact                                                          | points              |
//! |-------------------|-------------------------------------------------------------------|---------------------|
//! | `old_or_no_dpf`   | share of the site's machines below stage III or without a DPF     | weight × share      |
//! | `watched`         | machines on the watch list                                        | weight × count      |
//! | `site_failures`   | failed inspections at the site in the last 365 days               | weight × count      |
//! | `unit_failures`   | failed inspections at any site of the site's unit, last 365 days  | weight × count      |
//! | `never_inspected` | filings in force with none of their machines inspected there since entry | weight × count |
//! | `days_since`      | days since the last inspection at the site (or since entry), ≤ 90 | weight × days ÷ 30  |
//! | `open_cases`      | unresolved cases at the site                                      | weight × count      |
//!
//! The weights are data: a city or province officer sets them for their division, and a
//! county's plan takes the nearest division's weights above it (the county's, its city's, the
//! province's), else [`PlanWeights::DEFAULT`]. Electric machines need no DPF.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How far back failures count, in days.
pub const FAILURE_WINDOW_DAYS: i64 = 365;
/// The most days since the last inspection that count.
pub const DAYS_CAP: i64 = 90;
/// The largest weight.
pub const WEIGHT_MAX: i32 = 100;
/// The most sites in one day's route.
pub const ROUTE_MAX: usize = 30;

/// One factor of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    OldOrNoDpf,
    Watched,
    SiteFailures,
    UnitFailures,
    NeverInspected,
    DaysSince,
    OpenCases,
}

impl Factor {
    /// Every factor, in the order the page explains them.
    pub const ALL: [Factor; 7] = [
        Factor::Watched,
        Factor::OpenCases,
        Factor::SiteFailures,
        Factor::OldOrNoDpf,
        Factor::NeverInspected,
        Factor::DaysSince,
        Factor::UnitFailures,
    ];

    /// The wire value (and the weight's field name).
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::OldOrNoDpf => "old_or_no_dpf",
            Factor::Watched => "watched",
            Factor::SiteFailures => "site_failures",
            Factor::UnitFailures => "unit_failures",
            Factor::NeverInspected => "never_inspected",
            Factor::DaysSince => "days_since",
            Factor::OpenCases => "open_cases",
        }
    }
}

/// The weight of each factor (0 to [`WEIGHT_MAX`]): points per unit of its fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanWeights {
    /// Points for a site whose machines are all below stage III or without a DPF.
    pub old_or_no_dpf: i32,
    /// Points per watched machine.
    pub watched: i32,
    /// Points per failed inspection at the site (last 365 days).
    pub site_failures: i32,
    /// Points per failed inspection at any site of the unit (last 365 days).
    pub unit_failures: i32,
    /// Points per filing in force never inspected since its entry.
    pub never_inspected: i32,
    /// Points per 30 days since the last inspection (at most 90 days count).
    pub days_since: i32,
    /// Points per unresolved case at the site.
    pub open_cases: i32,
}

impl PlanWeights {
    /// The built-in weights, used where no division above a county set its own.
    pub const DEFAULT: PlanWeights = PlanWeights {
        old_or_no_dpf: 30,
        watched: 20,
        site_failures: 10,
        unit_failures: 2,
        never_inspected: 8,
        days_since: 5,
        open_cases: 15,
    };

    /// The weight of one factor.
    pub fn of(&self, f: Factor) -> i32 {
        match f {
            Factor::OldOrNoDpf => self.old_or_no_dpf,
            Factor::Watched => self.watched,
            Factor::SiteFailures => self.site_failures,
            Factor::UnitFailures => self.unit_failures,
            Factor::NeverInspected => self.never_inspected,
            Factor::DaysSince => self.days_since,
            Factor::OpenCases => self.open_cases,
        }
    }

    /// Sets one factor's weight.
    pub fn set(&mut self, f: Factor, value: i32) {
        let slot = match f {
            Factor::OldOrNoDpf => &mut self.old_or_no_dpf,
            Factor::Watched => &mut self.watched,
            Factor::SiteFailures => &mut self.site_failures,
            Factor::UnitFailures => &mut self.unit_failures,
            Factor::NeverInspected => &mut self.never_inspected,
            Factor::DaysSince => &mut self.days_since,
            Factor::OpenCases => &mut self.open_cases,
        };
        *slot = value;
    }

    /// Every weight outside 0 to [`WEIGHT_MAX`], by field name.
    pub fn check(&self) -> crate::error::FieldErrors {
        use crate::error::{FieldCode, FieldError};
        let mut errors = crate::error::FieldErrors::new();
        for f in Factor::ALL {
            if !(0..=WEIGHT_MAX).contains(&self.of(f)) {
                errors.add(f.as_str(), FieldError::new(FieldCode::Range).with("min", 0).with("max", WEIGHT_MAX));
            }
        }
        errors
    }
}

impl Default for PlanWeights {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The weights a county's plan uses, and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WeightsInForce {
    pub weights: PlanWeights,
    /// The division whose officers set them; none for the built-in defaults.
    pub division_code: Option<String>,
    pub division_name: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /api/v1/inspection-plan/weights`: an officer sets the weights of their division (or a
/// division under it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WeightsInput {
    pub division_code: String,
    pub weights: PlanWeights,
}

/// The facts about one site that the score weighs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SiteFacts {
    /// Machines on the site's filings in force.
    pub machines: u32,
    /// Of those, below stage III or (not electric) without a DPF.
    pub old_or_no_dpf: u32,
    pub watched: u32,
    pub site_failures: u32,
    pub unit_failures: u32,
    pub never_inspected: u32,
    /// Days since the last inspection at the site, or since the first entry of its filings in
    /// force when it was never inspected.
    pub days_since: i64,
    pub open_cases: u32,
}

/// One line of a site's score: the fact, and the points it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanReason {
    pub factor: Factor,
    /// The fact: a share (0 to 1) for `old_or_no_dpf`, days for `days_since`, else a count.
    pub value: f64,
    pub points: f64,
}

/// The score of a site's facts under `w`, and the factors that gave points, largest first
/// (the explanation). Points are rounded to one decimal.
pub fn score(facts: &SiteFacts, w: &PlanWeights) -> (f64, Vec<PlanReason>) {
    let share = match facts.machines {
        0 => 0.0,
        n => f64::from(facts.old_or_no_dpf) / f64::from(n),
    };
    let days = facts.days_since.clamp(0, DAYS_CAP) as f64;
    let mut reasons: Vec<PlanReason> = Factor::ALL
        .into_iter()
        .map(|f| {
            let (value, units) = match f {
                Factor::OldOrNoDpf => (share, share),
                Factor::Watched => (f64::from(facts.watched), f64::from(facts.watched)),
                Factor::SiteFailures => (f64::from(facts.site_failures), f64::from(facts.site_failures)),
                Factor::UnitFailures => (f64::from(facts.unit_failures), f64::from(facts.unit_failures)),
                Factor::NeverInspected => (f64::from(facts.never_inspected), f64::from(facts.never_inspected)),
                Factor::DaysSince => (facts.days_since.max(0) as f64, days / 30.0),
                Factor::OpenCases => (f64::from(facts.open_cases), f64::from(facts.open_cases)),
            };
            PlanReason { factor: f, value, points: round1(f64::from(w.of(f)) * units) }
        })
        .filter(|r| r.points > 0.0)
        .collect();
    reasons.sort_by(|a, b| b.points.total_cmp(&a.points).then(a.factor.cmp(&b.factor)));
    let total = round1(reasons.iter().map(|r| r.points).sum());
    (total, reasons)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A site in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlanSite {
    pub site_id: Uuid,
    pub site_name: String,
    pub address: String,
    pub organization_name: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub score: f64,
    pub facts: SiteFacts,
    /// The factors that gave points, largest first.
    pub reasons: Vec<PlanReason>,
}

/// `GET /api/v1/inspection-plan`: a county's active sites on a day, highest score first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InspectionPlan {
    pub division_code: String,
    pub division_name: String,
    pub date: NaiveDate,
    pub weights: WeightsInForce,
    pub sites: Vec<PlanSite>,
}

/// Query of `GET /api/v1/inspection-plan`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct PlanQuery {
    /// A county in the caller's scope; defaults to an inspector's own county (for officers
    /// above a county: the first county of their scope). Outside the scope: 404.
    #[serde(default)]
    pub division_code: Option<String>,
    /// The day (China date); defaults to today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Query of `GET /api/v1/inspection-plan/weights`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct WeightsQuery {
    /// A division in the caller's scope; defaults to the caller's own.
    #[serde(default)]
    pub division_code: Option<String>,
}

/// Query of `GET /api/v1/inspection-plan/route`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct RouteQuery {
    /// The day (China date); defaults to today.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// `PUT /api/v1/inspection-plan/route`: the inspector's sites for a day, in visiting order
/// (replaces that day's route; an empty list clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RouteInput {
    pub date: NaiveDate,
    pub site_ids: Vec<Uuid>,
}

/// One stop of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RouteStop {
    pub site_id: Uuid,
    pub site_name: String,
    pub address: String,
}

/// An inspector's route for a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Route {
    pub date: NaiveDate,
    pub stops: Vec<RouteStop>,
}

/// A county a planner may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyOption {
    pub code: String,
    pub name: String,
}

/// What the plan page shows at once: the plan, the counties to pick from, and (for an
/// inspector) their route for the plan's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub plan: InspectionPlan,
    pub counties: Vec<CountyOption>,
    pub route: Option<Route>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SiteFacts {
        SiteFacts { machines: 4, old_or_no_dpf: 1, watched: 1, days_since: 45, ..SiteFacts::default() }
    }

    #[test]
    fn the_score_is_the_sum_of_weighted_facts_largest_first() {
        let (total, reasons) = score(&facts(), &PlanWeights::DEFAULT);
        // 30 × 0.25 + 20 × 1 + 5 × 45/30.
        assert_eq!(total, 7.5 + 20.0 + 7.5);
        assert_eq!(reasons[0].factor, Factor::Watched);
        assert_eq!(reasons.len(), 3);
        assert!(reasons.iter().all(|r| r.points > 0.0));
        let days = reasons.iter().find(|r| r.factor == Factor::DaysSince).unwrap();
        assert_eq!(days.value, 45.0);
    }

    #[test]
    fn days_count_up_to_the_cap_and_a_weight_of_zero_drops_the_factor() {
        let mut f = facts();
        f.days_since = 400;
        let mut w = PlanWeights::DEFAULT;
        let (_, r) = score(&f, &w);
        assert_eq!(r.iter().find(|r| r.factor == Factor::DaysSince).unwrap().points, 15.0);
        w.set(Factor::Watched, 0);
        let (_, r) = score(&f, &w);
        assert!(r.iter().all(|r| r.factor != Factor::Watched));
    }

    #[test]
    fn a_site_without_machines_scores_nothing_for_their_age() {
        let (total, reasons) = score(&SiteFacts::default(), &PlanWeights::DEFAULT);
        assert_eq!(total, 0.0);
        assert!(reasons.is_empty());
    }

    #[test]
    fn weights_outside_the_range_are_named() {
        let mut w = PlanWeights::DEFAULT;
        w.set(Factor::OpenCases, 101);
        w.set(Factor::Watched, -1);
        let errors = w.check();
        assert!(errors.0.contains_key("open_cases") && errors.0.contains_key("watched"));
        assert!(PlanWeights::DEFAULT.check().is_empty());
    }
}
