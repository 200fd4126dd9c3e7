//! The names of an amendment's values in each language: its status.

use crate::i18n::*;

/// The name of an amendment's status.
pub fn amendment_status_label(locale: Locale, status: crate::amendments::AmendmentStatus) -> &'static str {
    use crate::amendments::AmendmentStatus as S;
    match status {
        S::Pending => td_string!(locale, amendment_status.pending),
        S::Accepted => td_string!(locale, amendment_status.accepted),
        S::Returned => td_string!(locale, amendment_status.returned),
        S::Withdrawn => td_string!(locale, amendment_status.withdrawn),
    }
}
