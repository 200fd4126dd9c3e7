//! The names of a filing's values in each language: its status and its pre-check findings.

use crate::i18n::*;
use crate::machines::names::{field_name, photo_kind_label, stage_label};

/// The name of a filing status.
pub fn status_label(locale: Locale, status: crate::filings::FilingStatus) -> &'static str {
    use crate::filings::FilingStatus as F;
    match status {
        F::Draft => td_string!(locale, filing_status.draft),
        F::Submitted => td_string!(locale, filing_status.submitted),
        F::Returned => td_string!(locale, filing_status.returned),
        F::Accepted => td_string!(locale, filing_status.accepted),
        F::Closed => td_string!(locale, filing_status.closed),
    }
}

/// The sentence for a pre-check finding; `detail` items are translated where they are codes.
pub fn precheck_message(locale: Locale, p: &crate::filings::Precheck) -> String {
    use crate::filings::PrecheckCode as C;
    let detail = p
        .detail
        .iter()
        .map(|d| {
            if let Some(k) = crate::machines::PhotoKind::parse(d) {
                photo_kind_label(locale, k).to_owned()
            } else if let Some(s) = crate::machines::EmissionStage::parse(d) {
                stage_label(locale, s).to_owned()
            } else {
                field_name(locale, d)
            }
        })
        .collect::<Vec<_>>()
        .join(if locale == Locale::zh { "、" } else { ", " });
    match p.code {
        C::StageNotAllowedInZone => {
            td_string!(locale, prechecks.stage_not_allowed_in_zone, detail = detail).to_string()
        }
        C::MissingPhotos => td_string!(locale, prechecks.missing_photos, detail = detail).to_string(),
        C::MissingData => td_string!(locale, prechecks.missing_data, detail = detail).to_string(),
    }
}
