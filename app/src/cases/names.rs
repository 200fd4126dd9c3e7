//! The names of a case's values in each language: its states and kinds.

use crate::i18n::*;

/// The name of a case state.
pub fn case_state_label(locale: Locale, state: crate::cases::CaseState) -> &'static str {
    use crate::cases::CaseState as S;
    match state {
        S::Open => td_string!(locale, case_states.open),
        S::RectificationOrdered => td_string!(locale, case_states.rectification_ordered),
        S::ReinspectionPassed => td_string!(locale, case_states.reinspection_passed),
        S::Penalized => td_string!(locale, case_states.penalized),
        S::Closed => td_string!(locale, case_states.closed),
    }
}

/// The name of a case kind.
pub fn case_kind_label(locale: Locale, kind: crate::cases::CaseKind) -> &'static str {
    use crate::cases::CaseKind as K;
    match kind {
        K::FailedInspection => td_string!(locale, case_kinds.failed_inspection),
        K::UnregisteredMachine => td_string!(locale, case_kinds.unregistered_machine),
        K::MissingLabel => td_string!(locale, case_kinds.missing_label),
        K::ZoneViolation => td_string!(locale, case_kinds.zone_violation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_named_in_both_languages() {
        for s in crate::cases::CaseState::ALL {
            assert_ne!(case_state_label(Locale::zh, s), case_state_label(Locale::en, s));
        }
    }
}
