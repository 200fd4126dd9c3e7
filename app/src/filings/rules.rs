//! The rules of a filing's machines and dates that need no database — at least one machine and
//! at most [`MAX_MACHINES`], none twice; the exit not before the entry; both days within the
//! site's period; the exit not before today. One implementation: the filing form checks them as
//! the unit fills it in, the service before it reads anything else (what needs the database —
//! whose site and machines they are, overlapping filings — stays in the service).

use super::FilingInput;
use crate::error::{FieldCode, FieldError, FieldErrors};
use chrono::NaiveDate;
use std::collections::HashSet;

/// The most machines one filing may carry.
pub const MAX_MACHINES: usize = 500;

/// The period a site runs: a filing's planned dates must lie within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteDates {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Every rule `input` breaks, by field, for a site running `site` and `today` (China date).
pub fn validate(input: &FilingInput, site: SiteDates, today: NaiveDate) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let ids = &input.machine_ids;
    if ids.is_empty() {
        errors.add("machine_ids", FieldError::new(FieldCode::Required));
    } else if ids.len() > MAX_MACHINES {
        errors.add("machine_ids", FieldError::new(FieldCode::TooMany).with("max", MAX_MACHINES));
    } else if ids.iter().collect::<HashSet<_>>().len() != ids.len() {
        errors.add("machine_ids", FieldError::new(FieldCode::DuplicateMachine));
    }
    let (entry, exit) = (input.planned_entry_on, input.planned_exit_on);
    if exit < entry {
        errors.add("planned_exit_on", FieldError::new(FieldCode::EndBeforeStart));
    }
    if entry < site.starts_on || exit > site.ends_on {
        errors.add(
            "planned_entry_on",
            FieldError::new(FieldCode::OutsideSiteDates).with("from", site.starts_on).with("to", site.ends_on),
        );
    }
    if exit < today {
        errors.add("planned_exit_on", FieldError::new(FieldCode::InThePast));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const fn d(m: u32, day: u32) -> NaiveDate {
        match NaiveDate::from_ymd_opt(2026, m, day) {
            Some(date) => date,
            None => NaiveDate::MIN,
        }
    }

    const SITE: SiteDates = SiteDates { starts_on: d(3, 1), ends_on: d(9, 30) };

    fn input(machines: usize, entry: NaiveDate, exit: NaiveDate) -> FilingInput {
        FilingInput {
            site_id: Uuid::nil(),
            machine_ids: (0..machines).map(|n| Uuid::from_u128(n as u128 + 1)).collect(),
            planned_entry_on: entry,
            planned_exit_on: exit,
            request_id: None,
        }
    }

    fn codes(e: &FieldErrors, field: &str) -> Vec<String> {
        e.0.get(field).map(|v| v.iter().map(|e| e.code.as_str().to_owned()).collect()).unwrap_or_default()
    }

    #[test]
    fn a_filing_within_the_site_from_today_on_passes() {
        let today = d(5, 10);
        assert!(validate(&input(1, today, today), SITE, today).is_empty());
        assert!(validate(&input(MAX_MACHINES, SITE.starts_on, SITE.ends_on), SITE, today).is_empty());
        // Started before today but not over yet: still fine (the stay goes on).
        assert!(validate(&input(3, d(4, 1), d(5, 10)), SITE, today).is_empty());
    }

    #[test]
    fn machines_one_to_five_hundred_none_twice() {
        let today = d(5, 10);
        assert_eq!(codes(&validate(&input(0, today, today), SITE, today), "machine_ids"), ["required"]);
        let too_many = validate(&input(MAX_MACHINES + 1, today, today), SITE, today);
        assert_eq!(codes(&too_many, "machine_ids"), ["too_many"]);
        assert_eq!(too_many.first("machine_ids").and_then(|e| e.params.get("max")).map(String::as_str), Some("500"));
        let mut twice = input(2, today, today);
        twice.machine_ids[1] = twice.machine_ids[0];
        assert_eq!(codes(&validate(&twice, SITE, today), "machine_ids"), ["duplicate_machine"]);
    }

    #[test]
    fn dates_in_order_within_the_site_and_not_past() {
        let today = d(5, 10);
        let reversed = validate(&input(1, d(6, 2), d(6, 1)), SITE, today);
        assert_eq!(codes(&reversed, "planned_exit_on"), ["end_before_start"]);
        for (entry, exit) in [(d(2, 28), d(6, 1)), (d(6, 1), d(10, 1))] {
            let outside = validate(&input(1, entry, exit), SITE, today);
            assert_eq!(codes(&outside, "planned_entry_on"), ["outside_site_dates"], "{entry}..{exit}");
            let e = outside.first("planned_entry_on").cloned().unwrap_or_else(|| FieldError::new(FieldCode::Invalid));
            assert_eq!((e.params["from"].as_str(), e.params["to"].as_str()), ("2026-03-01", "2026-09-30"));
        }
        let past = validate(&input(1, d(5, 1), d(5, 9)), SITE, today);
        assert_eq!(codes(&past, "planned_exit_on"), ["in_the_past"]);
        // Every broken rule at once.
        let all = validate(&input(0, d(2, 27), d(2, 1)), SITE, today);
        assert_eq!(codes(&all, "planned_exit_on"), ["end_before_start", "in_the_past"]);
        assert_eq!(codes(&all, "planned_entry_on"), ["outside_site_dates"]);
        assert_eq!(codes(&all, "machine_ids"), ["required"]);
    }
}
