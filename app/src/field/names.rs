//! The names of the look-up's values in each language: its headline and filing standing.

use crate::i18n::*;

/// The headline of a field look-up.
pub fn lookup_status_label(locale: Locale, status: crate::field::LookupStatus) -> &'static str {
    use crate::field::LookupStatus as L;
    match status {
        L::RegisteredFiledHere => td_string!(locale, lookup_status.registered_filed_here),
        L::RegisteredNotFiledHere => td_string!(locale, lookup_status.registered_not_filed_here),
        L::NotRegistered => td_string!(locale, lookup_status.not_registered),
        L::OpenCase => td_string!(locale, lookup_status.open_case),
    }
}

/// Where a looked-up machine stands with its filings: `date` is the upcoming filing's first day
/// or the ended filing's last.
pub fn filing_standing_label(
    locale: Locale,
    standing: crate::field::FilingStanding,
    date: Option<chrono::NaiveDate>,
) -> String {
    use crate::field::FilingStanding as S;
    let date = date.map(|d| d.to_string()).unwrap_or_default();
    match standing {
        S::FiledHere => td_string!(locale, filing_standing.filed_here).to_string(),
        S::FiledElsewhere => td_string!(locale, filing_standing.filed_elsewhere).to_string(),
        S::FilingUpcoming => td_string!(locale, filing_standing.filing_upcoming, date = date).to_string(),
        S::FilingEnded => td_string!(locale, filing_standing.filing_ended, date = date).to_string(),
        S::NeverFiled => td_string!(locale, filing_standing.never_filed).to_string(),
        S::NotRegistered => td_string!(locale, filing_standing.not_registered).to_string(),
    }
}
