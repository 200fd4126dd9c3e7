//! Dashboards and the county ranking: figures of a county, a city or the province over a date
//! range, computed by aggregation in the database (`service`), served as JSON (`rest`), and
//! drawn as server-rendered SVG charts with their numbers beside them (`pages`, `charts`).
//!
//! What is counted (one rule each, documented in the README and the OpenAPI text):
//! - **machines**: distinct machines named in a filing that was accepted (status `accepted`, or
//!   `closed` after acceptance) for a site in the division, whose planned stay on the site
//!   overlaps the date range. A machine filed in two counties counts once in each county and
//!   once in a city or province total.
//! - **filings**: filings created in the range for sites in the division, by their current
//!   status, bucketed by the China month of creation.
//! - **inspections**: inspections in the division whose `inspected_at` lies in the range, by
//!   China month; the pass rate is passed / (passed + failed) — exempt (electric) machines are
//!   left out — and is absent when nothing was judged.
//! - **open cases** (not resolved: `open`, `rectification_ordered`, `penalized`) and **overdue
//!   cases** (`rectification_ordered` with the deadline before today, China date of the server
//!   clock) are counted as they stand today, whatever the range.

pub mod charts;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::divisions::Division;
use crate::error::{AppError, FieldCode, FieldError, FieldErrors};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The longest range accepted, in calendar months (bounds the monthly series).
pub const MAX_MONTHS: u32 = 60;
/// The default range: this many calendar months, ending today.
pub const DEFAULT_MONTHS: u32 = 12;

/// Query of `GET /stats` and `GET /stats/ranking`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct StatsQuery {
    /// A province, city or county code inside the caller's scope; defaults to the caller's own
    /// division (the province for system administrators). Outside the scope: 404.
    #[serde(default)]
    pub division_code: Option<String>,
    /// First day (China date); defaults to the first day of the month eleven months before `to`.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, included (China date); defaults to today.
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Ranking only: the figure to rank by (default `machines`).
    #[serde(default)]
    pub by: Option<RankBy>,
}

/// The figure the ranking orders counties by (largest first; counties without a pass rate last).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    #[default]
    Machines,
    Filings,
    Inspections,
    PassRate,
    OpenCases,
    OverdueCases,
}

impl RankBy {
    /// Every figure.
    pub const ALL: [RankBy; 6] = [
        RankBy::Machines,
        RankBy::Filings,
        RankBy::Inspections,
        RankBy::PassRate,
        RankBy::OpenCases,
        RankBy::OverdueCases,
    ];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            RankBy::Machines => "machines",
            RankBy::Filings => "filings",
            RankBy::Inspections => "inspections",
            RankBy::PassRate => "pass_rate",
            RankBy::OpenCases => "open_cases",
            RankBy::OverdueCases => "overdue_cases",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == value)
    }
}

/// A count under a key (an emission stage, a fuel, a case state: wire values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Machines of one type, with the type's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TypeCount {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub count: i64,
}

/// Filings created in one China month, by current status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FilingMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub total: i64,
    pub draft: i64,
    pub submitted: i64,
    pub returned: i64,
    pub accepted: i64,
    pub closed: i64,
}

/// Inspections of one China month.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InspectionMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub inspections: i64,
    pub passed: i64,
    pub failed: i64,
    pub exempt: i64,
    /// passed / (passed + failed), 0…1; `null` when nothing was judged.
    pub pass_rate: Option<f64>,
}

/// The figures of a division as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Totals {
    /// Machines holding a registration code issued by a county of the division by the end of
    /// the range (wherever they work now, whoever owns them).
    pub registered_machines: i64,
    /// Machines on an accepted (or since closed) filing for a site of the division whose planned
    /// stay overlaps the range, each counted once.
    pub machines: i64,
    pub filings: i64,
    pub inspections: i64,
    pub passed: i64,
    pub failed: i64,
    pub exempt: i64,
    pub pass_rate: Option<f64>,
    /// Cases opened in the range.
    pub cases_opened: i64,
    /// Unresolved today.
    pub open_cases: i64,
    /// Ordered to correct, deadline passed (today).
    pub overdue_cases: i64,
}

/// `GET /stats`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Stats {
    pub division: Division,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Today (China date of the server clock): the day open and overdue cases are counted on.
    pub as_of: NaiveDate,
    pub totals: Totals,
    /// Types with at least one machine, most first.
    pub machines_by_type: Vec<TypeCount>,
    /// Every emission stage, in order.
    pub machines_by_stage: Vec<Count>,
    /// Every fuel, in order.
    pub machines_by_fuel: Vec<Count>,
    /// Every month of the range, oldest first.
    pub filings_by_month: Vec<FilingMonth>,
    /// Every month of the range, oldest first.
    pub inspections_by_month: Vec<InspectionMonth>,
    /// Unresolved cases today by state.
    pub open_cases_by_state: Vec<Count>,
}

/// One county of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RankingRow {
    /// 1 for the first; counties with equal figures share a rank.
    pub rank: u32,
    pub county_code: String,
    pub county_name: String,
    pub machines: i64,
    pub filings: i64,
    pub inspections: i64,
    pub passed: i64,
    pub failed: i64,
    pub pass_rate: Option<f64>,
    pub open_cases: i64,
    pub overdue_cases: i64,
}

/// `GET /stats/ranking`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ranking {
    /// The division asked about.
    pub division: Division,
    /// What the counties are ranked within: the city of a county or a city, or the province.
    pub within: Division,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub by: RankBy,
    /// The counties of `within` that the caller may see, best first.
    pub rows: Vec<RankingRow>,
}

/// The range asked for, with its defaults: `to` is today, `from` the first day of the month
/// eleven months before `to` (twelve calendar months). `to` before `from` and ranges longer
/// than [`MAX_MONTHS`] months are refused (422).
pub fn resolve_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let to = to.unwrap_or(today);
    let from = match from {
        Some(f) => f,
        None => first_of_month(to).checked_sub_months(Months::new(DEFAULT_MONTHS - 1)).unwrap_or(NaiveDate::MIN),
    };
    let mut errors = FieldErrors::new();
    if to < from {
        errors.add("to", FieldError::new(FieldCode::EndBeforeStart));
    } else if month_count(from, to) > MAX_MONTHS {
        errors.add("from", FieldError::new(FieldCode::RangeTooLong).with("max", MAX_MONTHS));
    }
    errors.into_result()?;
    Ok((from, to))
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn month_count(from: NaiveDate, to: NaiveDate) -> u32 {
    let a = from.year() * 12 + from.month0() as i32;
    let b = to.year() * 12 + to.month0() as i32;
    u32::try_from(b - a + 1).unwrap_or(0)
}

/// Every month from `from` to `to` as `YYYY-MM`, oldest first.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = first_of_month(from);
    while m <= to && out.len() <= MAX_MONTHS as usize {
        out.push(month_key(m));
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// `YYYY-MM` of a date.
pub fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// passed / (passed + failed); `None` when nothing was judged.
pub fn pass_rate(passed: i64, failed: i64) -> Option<f64> {
    let judged = passed + failed;
    (judged > 0).then(|| passed as f64 / judged as f64)
}

/// A pass rate as people read it: `87.5%`, or `—` without one.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => {
            let p = (r * 1000.0).round() / 10.0;
            if p.fract() == 0.0 { format!("{p:.0}%") } else { format!("{p:.1}%") }
        }
        None => "—".to_owned(),
    }
}

/// Orders ranking rows by `by` (largest first, no pass rate last, then by county code) and
/// numbers them; equal figures share a rank.
pub fn rank(rows: &mut [RankingRow], by: RankBy) {
    let key = |r: &RankingRow| -> (bool, f64) {
        match by {
            RankBy::Machines => (true, r.machines as f64),
            RankBy::Filings => (true, r.filings as f64),
            RankBy::Inspections => (true, r.inspections as f64),
            RankBy::PassRate => (r.pass_rate.is_some(), r.pass_rate.unwrap_or(0.0)),
            RankBy::OpenCases => (true, r.open_cases as f64),
            RankBy::OverdueCases => (true, r.overdue_cases as f64),
        }
    };
    rows.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then_with(|| a.county_code.cmp(&b.county_code))
    });
    let mut previous: Option<(bool, f64)> = None;
    let mut current = 0;
    for (i, row) in rows.iter_mut().enumerate() {
        let k = key(row);
        if previous != Some(k) {
            current = u32::try_from(i + 1).unwrap_or(u32::MAX);
            previous = Some(k);
        }
        row.rank = current;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn default_range_is_twelve_calendar_months() {
        let (from, to) = resolve_range(None, None, d(2026, 11, 29)).unwrap();
        assert_eq!((from, to), (d(2025, 12, 1), d(2026, 11, 29)));
        assert_eq!(months(from, to).len(), 12);
        let (from, _) = resolve_range(None, Some(d(2026, 3, 31)), d(2026, 11, 29)).unwrap();
        assert_eq!(from, d(2025, 4, 1));
    }

    #[test]
    fn bad_ranges_are_refused() {
        let today = d(2026, 11, 29);
        match resolve_range(Some(d(2026, 5, 2)), Some(d(2026, 5, 1)), today) {
            Err(AppError::Validation { fields }) => {
                assert_eq!(fields.first("to").unwrap().code, crate::error::FieldCode::EndBeforeStart)
            }
            other => panic!("{other:?}"),
        }
        assert!(resolve_range(Some(d(2021, 12, 1)), Some(d(2026, 11, 30)), today).is_ok());
        match resolve_range(Some(d(2021, 11, 30)), Some(d(2026, 11, 1)), today) {
            Err(AppError::Validation { fields }) => {
                assert_eq!(fields.first("from").unwrap().code, crate::error::FieldCode::RangeTooLong)
            }
            other => panic!("{other:?}"),
        }
        assert!(resolve_range(Some(today), Some(today), today).is_ok());
    }

    #[test]
    fn months_cover_the_range() {
        assert_eq!(months(d(2025, 11, 15), d(2026, 2, 1)), vec!["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(months(d(2026, 2, 1), d(2026, 2, 28)), vec!["2026-02"]);
    }

    #[test]
    fn pass_rates() {
        assert_eq!(pass_rate(0, 0), None);
        assert_eq!(pass_rate(3, 1), Some(0.75));
        assert_eq!(percent(Some(0.75)), "75%");
        assert_eq!(percent(Some(2.0 / 3.0)), "66.7%");
        assert_eq!(percent(None), "—");
    }

    fn row(code: &str, machines: i64, pass: Option<f64>) -> RankingRow {
        RankingRow {
            rank: 0,
            county_code: code.into(),
            county_name: code.into(),
            machines,
            filings: 0,
            inspections: 0,
            passed: 0,
            failed: 0,
            pass_rate: pass,
            open_cases: 0,
            overdue_cases: 0,
        }
    }

    #[test]
    fn ranking_shares_ranks_and_puts_missing_rates_last() {
        let mut rows = vec![row("3", 5, None), row("1", 2, Some(0.5)), row("2", 5, Some(1.0))];
        rank(&mut rows, RankBy::Machines);
        let got: Vec<(u32, &str)> = rows.iter().map(|r| (r.rank, r.county_code.as_str())).collect();
        assert_eq!(got, vec![(1, "2"), (1, "3"), (3, "1")]);
        rank(&mut rows, RankBy::PassRate);
        let got: Vec<(u32, &str)> = rows.iter().map(|r| (r.rank, r.county_code.as_str())).collect();
        assert_eq!(got, vec![(1, "2"), (2, "1"), (3, "3")]);
    }
}
