//! The filing form's own checks, shared by the new-filing page and the correction of a returned
//! filing: the typed days and the shared rule ([`crate::filings::validate`]) before anything is sent.

use super::picker::Chosen;
use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::filings::{FilingInput, SiteDates};
use crate::ui::browser_today;
use chrono::NaiveDate;
use uuid::Uuid;

fn parse_date(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| errors.add(field, FieldError::new(FieldCode::Required)))
        .ok()
}

/// Both planned days, once both are typed.
pub fn typed_dates(entry: &str, exit: &str) -> Option<(NaiveDate, NaiveDate)> {
    let mut ignored = FieldErrors::new();
    Some((parse_date("", entry, &mut ignored)?, parse_date("", exit, &mut ignored)?))
}

/// The filing as the form holds it, checked by the shared rule ([`crate::filings::validate`], with the
/// site's period when known and the browser's today): the input to send, or every problem by
/// field. The server checks it all again, and what needs the database besides.
pub fn checked_input(
    site_id: Option<Uuid>,
    site: Option<SiteDates>,
    entry: &str,
    exit: &str,
    chosen: &[Chosen],
) -> Result<FilingInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    if site_id.is_none() {
        errors.add("site_id", FieldError::new(FieldCode::Required));
    }
    let e = parse_date("planned_entry_on", entry, &mut errors);
    let x = parse_date("planned_exit_on", exit, &mut errors);
    let today = browser_today();
    let any = SiteDates { starts_on: NaiveDate::MIN, ends_on: NaiveDate::MAX };
    let input = FilingInput {
        site_id: site_id.unwrap_or_default(),
        machine_ids: chosen.iter().map(|c| c.id).collect(),
        planned_entry_on: e.unwrap_or(today),
        planned_exit_on: x.unwrap_or(today),
        request_id: None,
    };
    let found = crate::filings::validate(&input, site.unwrap_or(any), today);
    for (field, errs) in found.0 {
        // Without both days only the machines can be judged.
        if field == "machine_ids" || (e.is_some() && x.is_some()) {
            for err in errs {
                errors.add(&field, err);
            }
        }
    }
    if errors.is_empty() { Ok(input) } else { Err(errors) }
}
