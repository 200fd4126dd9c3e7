//! The names of the inspection's values in each language: verdicts and their reasons, the
//! look-up's headline and filing standing, zone exemptions.

use crate::i18n::*;

/// The sentence for a verdict reason code.
pub fn reason_message(locale: Locale, reason: crate::inspections::compliance::Reason) -> &'static str {
    use crate::inspections::compliance::Reason as R;
    match reason {
        R::ElectricExempt => td_string!(locale, reasons.electric_exempt),
        R::OpacityOverLimit => td_string!(locale, reasons.opacity_over_limit),
        R::RingelmannOverLimit => td_string!(locale, reasons.ringelmann_over_limit),
        R::StageBannedInZone => td_string!(locale, reasons.stage_banned_in_zone),
    }
}

/// The name of a verdict.
pub fn verdict_label(locale: Locale, verdict: crate::inspections::compliance::Verdict) -> &'static str {
    use crate::inspections::compliance::Verdict as V;
    match verdict {
        V::Pass => td_string!(locale, verdicts.pass),
        V::Fail => td_string!(locale, verdicts.fail),
        V::Exempt => td_string!(locale, verdicts.exempt),
    }
}

/// The name of a zone exemption code (unknown codes are shown as they are).
pub fn exemption_label(locale: Locale, code: &str) -> String {
    match code {
        "emergency_rescue" => td_string!(locale, exemptions.emergency_rescue).to_owned(),
        "agriculture_season" => td_string!(locale, exemptions.agriculture_season).to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every verdict reason has a sentence of its own in both languages.
    #[test]
    fn reasons_and_exemptions_have_names() {
        let mut seen = std::collections::HashSet::new();
        for r in crate::inspections::compliance::Reason::ALL {
            for locale in [Locale::zh, Locale::en] {
                assert!(seen.insert(reason_message(locale, r)), "{r:?}");
            }
        }
        assert_eq!(exemption_label(Locale::en, "emergency_rescue"), "Emergency rescue");
        assert_eq!(exemption_label(Locale::en, "night_work"), "night_work");
    }
}
