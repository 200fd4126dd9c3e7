//! Turns error codes into sentences through the locale files, for pages and API clients alike.

use crate::error::{AppError, FieldError};
use crate::i18n::*;

impl AppError {
    /// The sentence shown to a person, in `locale` (here, beside the other labels: the error
    /// type itself knows no page).
    pub fn message(&self, locale: Locale) -> String {
        error_message(locale, self)
    }
}

/// The sentence for an error as a whole.
pub fn error_message(locale: Locale, err: &AppError) -> String {
    match err {
        AppError::BadRequest { .. } => td_string!(locale, errors.malformed).to_string(),
        AppError::Unauthorized => td_string!(locale, errors.unauthorized).to_string(),
        AppError::InvalidCredentials => td_string!(locale, errors.invalid_credentials).to_string(),
        AppError::Forbidden => td_string!(locale, errors.forbidden).to_string(),
        AppError::NotFound => td_string!(locale, errors.not_found).to_string(),
        AppError::Conflict { code, params, .. } => conflict_message(locale, code, params),
        AppError::Validation { .. } => td_string!(locale, errors.validation_failed).to_string(),
        AppError::PayloadTooLarge => td_string!(locale, errors.payload_too_large).to_string(),
        AppError::UnsupportedMediaType => td_string!(locale, errors.unsupported_media_type).to_string(),
        AppError::RateLimited { retry_after_secs } => {
            td_string!(locale, errors.rate_limited, seconds = retry_after_secs).to_string()
        }
        AppError::Internal { request_id } => {
            td_string!(locale, errors.internal, id = request_id.as_deref().unwrap_or("-")).to_string()
        }
        AppError::Network => td_string!(locale, errors.network).to_string(),
    }
}

/// The sentence for a conflict, by its code.
fn conflict_message(locale: Locale, code: &str, params: &std::collections::BTreeMap<String, String>) -> String {
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    match code {
        "duplicate_identifier" => td_string!(locale, errors.conflicts.duplicate_identifier).to_string(),
        "stale_version" => td_string!(locale, errors.conflicts.stale_version).to_string(),
        "machine_in_use" => td_string!(locale, errors.conflicts.machine_in_use).to_string(),
        // Another unit's filing is not named (its site and dates are not the caller's to see).
        "machine_overlap" if !params.contains_key("other_site") => {
            td_string!(locale, errors.conflicts.machine_overlap_elsewhere, machine = p("machine")).to_string()
        }
        "machine_overlap" => td_string!(
            locale,
            errors.conflicts.machine_overlap,
            machine = p("machine"),
            other_site = p("other_site"),
            from = p("from"),
            to = p("to")
        )
        .to_string(),
        "illegal_transition" => td_string!(locale, errors.conflicts.illegal_transition, from = p("from")).to_string(),
        "filing_not_accepted" => td_string!(locale, errors.conflicts.filing_not_accepted).to_string(),
        "duplicate_uscc" => td_string!(locale, errors.conflicts.duplicate_uscc).to_string(),
        "cannot_disable_self" => td_string!(locale, errors.conflicts.cannot_disable_self).to_string(),
        "duplicate_version" => td_string!(locale, errors.conflicts.duplicate_version).to_string(),
        "duplicate_effective_date" => td_string!(locale, errors.conflicts.duplicate_effective_date).to_string(),
        "reinspection_required" => td_string!(locale, errors.conflicts.reinspection_required).to_string(),
        "case_not_awaiting_reinspection" => {
            td_string!(locale, errors.conflicts.case_not_awaiting_reinspection).to_string()
        }
        "not_registered" => td_string!(locale, errors.conflicts.not_registered).to_string(),
        "cannot_change_own_role" => td_string!(locale, errors.conflicts.cannot_change_own_role).to_string(),
        "cannot_reset_own_password" => td_string!(locale, errors.conflicts.cannot_reset_own_password).to_string(),
        "last_sysadmin" => td_string!(locale, errors.conflicts.last_sysadmin).to_string(),
        "disabled_by_authority" => {
            let role = crate::auth::Role::parse(&p("role")).unwrap_or(crate::auth::Role::Sysadmin);
            td_string!(locale, errors.conflicts.disabled_by_authority, role = super::role_label(locale, role))
                .to_string()
        }
        "duplicate_machine_type" => td_string!(locale, errors.conflicts.duplicate_machine_type).to_string(),
        "evidence_full" => td_string!(locale, errors.conflicts.evidence_full, max = p("max")).to_string(),
        "transfer_pending" => td_string!(locale, errors.conflicts.transfer_pending).to_string(),
        "transfer_not_due" => {
            td_string!(locale, errors.conflicts.transfer_not_due, date = p("transfer_on")).to_string()
        }
        "unresolved_case" => td_string!(locale, errors.conflicts.unresolved_case, counties = p("counties")).to_string(),
        "nothing_to_allow" => td_string!(locale, errors.conflicts.nothing_to_allow).to_string(),
        "already_allowed" => td_string!(locale, errors.conflicts.already_allowed).to_string(),
        "owner_changed" => td_string!(locale, errors.conflicts.owner_changed).to_string(),
        "registered_fact" => td_string!(locale, errors.conflicts.registered_fact).to_string(),
        "amendment_pending" => td_string!(locale, errors.conflicts.amendment_pending).to_string(),
        "evidence_required" => td_string!(locale, errors.conflicts.evidence_required).to_string(),
        "amendment_stale" => td_string!(locale, errors.conflicts.amendment_stale).to_string(),
        _ => td_string!(locale, errors.conflict).to_string(),
    }
}

/// The sentence for one field error.
pub fn field_message(locale: Locale, e: &FieldError) -> String {
    let p = |k: &str| e.params.get(k).cloned().unwrap_or_default();
    match e.code.as_str() {
        "required" => td_string!(locale, errors.field.required).to_string(),
        "length" => td_string!(locale, errors.field.length, min = p("min"), max = p("max")).to_string(),
        "username_length" => {
            td_string!(locale, errors.field.username_length, min = p("min"), max = p("max")).to_string()
        }
        "username_chars" => td_string!(locale, errors.field.username_chars).to_string(),
        "username_taken" => td_string!(locale, errors.field.username_taken).to_string(),
        "password_too_short" => td_string!(locale, errors.field.password_too_short, min = p("min")).to_string(),
        "password_too_long" => td_string!(locale, errors.field.password_too_long, max = p("max")).to_string(),
        "end_before_start" => td_string!(locale, errors.field.end_before_start).to_string(),
        "outside_china" => td_string!(locale, errors.field.outside_china).to_string(),
        "outside_county" => td_string!(locale, errors.field.outside_county).to_string(),
        "decided_by_officials" => td_string!(locale, errors.field.decided_by_officials).to_string(),
        "laxer_row" => td_string!(
            locale,
            errors.field.laxer_row,
            position = p("position"),
            class = p("class"),
            k_limit = p("k_limit"),
            ringelmann_max = p("ringelmann_max")
        )
        .to_string(),
        "class_not_covered" => td_string!(locale, errors.field.class_not_covered, class = p("class")).to_string(),
        "no_parent_table" => td_string!(locale, errors.field.no_parent_table).to_string(),
        "not_a_county" => td_string!(locale, errors.field.not_a_county).to_string(),
        "env_code_length" => td_string!(locale, errors.field.env_code_length, found = p("found")).to_string(),
        "bad_char" => td_string!(locale, errors.field.bad_char, position = p("position"), char = p("char")).to_string(),
        "power_range" => td_string!(locale, errors.field.power_range, max = p("max")).to_string(),
        "range" => td_string!(locale, errors.field.range, min = p("min"), max = p("max")).to_string(),
        "date_in_future" => td_string!(locale, errors.field.date_in_future).to_string(),
        "electric_mismatch" => td_string!(locale, errors.field.electric_mismatch).to_string(),
        "identifier_required" => td_string!(locale, errors.field.identifier_required).to_string(),
        "already_registered" => td_string!(locale, errors.field.already_registered).to_string(),
        "registered_fact" => td_string!(locale, errors.field.registered_fact).to_string(),
        "not_registered_fact" => td_string!(locale, errors.field.not_registered_fact).to_string(),
        "no_change" => td_string!(locale, errors.field.no_change).to_string(),
        "unknown_machine_type" => td_string!(locale, errors.field.unknown_machine_type).to_string(),
        "not_in_zone" => td_string!(locale, errors.field.not_in_zone).to_string(),
        "exemption_not_listed" => td_string!(locale, errors.field.exemption_not_listed).to_string(),
        "unknown_field" => td_string!(locale, errors.field.unknown_field).to_string(),
        "unknown_site" => td_string!(locale, errors.field.unknown_site).to_string(),
        "unknown_machine" => td_string!(locale, errors.field.unknown_machine).to_string(),
        "duplicate_machine" => td_string!(locale, errors.field.duplicate_machine).to_string(),
        "too_many" => td_string!(locale, errors.field.too_many, max = p("max")).to_string(),
        "outside_site_dates" => {
            td_string!(locale, errors.field.outside_site_dates, from = p("from"), to = p("to")).to_string()
        }
        "in_the_past" => td_string!(locale, errors.field.in_the_past).to_string(),
        "exit_without_entry" => td_string!(locale, errors.field.exit_without_entry).to_string(),
        "exit_before_entry" => td_string!(locale, errors.field.exit_before_entry).to_string(),
        "already_on_site" => td_string!(locale, errors.field.already_on_site).to_string(),
        "before_last_exit" => td_string!(locale, errors.field.before_last_exit).to_string(),
        "not_on_filing" => td_string!(locale, errors.field.not_on_filing).to_string(),
        "uscc_length" => td_string!(locale, errors.field.uscc_length, found = p("found")).to_string(),
        "uscc_bad_char" => {
            td_string!(locale, errors.field.uscc_bad_char, position = p("position"), char = p("char")).to_string()
        }
        "uscc_check_char" => {
            td_string!(locale, errors.field.uscc_check_char, expected = p("expected"), char = p("char")).to_string()
        }
        "uscc_taken" => td_string!(locale, errors.field.uscc_taken).to_string(),
        "phone" => td_string!(locale, errors.field.phone).to_string(),
        "regcode_length" => {
            td_string!(locale, errors.field.regcode_length, expected = p("expected"), found = p("found")).to_string()
        }
        // Never the expected check character: "correcting" the last character of a mistyped
        // code would make it the valid code of another machine.
        "regcode_check_char" => td_string!(locale, errors.field.regcode_check_char).to_string(),
        "unknown_organization" => td_string!(locale, errors.field.unknown_organization).to_string(),
        "unknown_division" => td_string!(locale, errors.field.unknown_division).to_string(),
        "wrong_division_level" => td_string!(locale, errors.field.wrong_division_level).to_string(),
        "unsupported_image" => td_string!(locale, errors.field.unsupported_image).to_string(),
        "corrupt_image" => td_string!(locale, errors.field.corrupt_image).to_string(),
        "image_too_large" => td_string!(locale, errors.field.image_too_large, max = p("max")).to_string(),
        "too_few_readings" => td_string!(locale, errors.field.too_few_readings, min = p("min")).to_string(),
        "readings_required" => td_string!(locale, errors.field.readings_required).to_string(),
        "reading_invalid" => td_string!(locale, errors.field.reading_invalid, position = p("position")).to_string(),
        "ringelmann_range" => td_string!(locale, errors.field.ringelmann_range, max = p("max")).to_string(),
        "no_limit_row" => td_string!(locale, errors.field.no_limit_row, class = p("class")).to_string(),
        "no_limit_table" => td_string!(locale, errors.field.no_limit_table).to_string(),
        "bands_overlap" => td_string!(locale, errors.field.bands_overlap, class = p("class")).to_string(),
        "bands_incomplete" => td_string!(locale, errors.field.bands_incomplete, class = p("class")).to_string(),
        "band_range" => td_string!(locale, errors.field.band_range, position = p("position")).to_string(),
        "k_limit_range" => {
            td_string!(locale, errors.field.k_limit_range, position = p("position"), max = p("max")).to_string()
        }
        "exemption_code" => td_string!(locale, errors.field.exemption_code).to_string(),
        "electric_not_allowed" => td_string!(locale, errors.field.electric_not_allowed).to_string(),
        "unknown_registration_code" => td_string!(locale, errors.field.unknown_registration_code).to_string(),
        "machine_mismatch" => td_string!(locale, errors.field.machine_mismatch).to_string(),
        "machine_required" => td_string!(locale, errors.field.machine_required).to_string(),
        "unknown_case" => td_string!(locale, errors.field.unknown_case).to_string(),
        "case_machine_mismatch" => td_string!(locale, errors.field.case_machine_mismatch).to_string(),
        "penalty_range" => td_string!(locale, errors.field.penalty_range, max = p("max")).to_string(),
        "duplicate_in_file" => td_string!(locale, errors.field.duplicate_in_file, row = p("row")).to_string(),
        "already_in_fleet" => td_string!(locale, errors.field.already_in_fleet).to_string(),
        "unknown_value" => td_string!(locale, errors.field.unknown_value, value = p("value")).to_string(),
        "bad_date" => td_string!(locale, errors.field.bad_date).to_string(),
        "bad_number" => td_string!(locale, errors.field.bad_number).to_string(),
        "bad_boolean" => td_string!(locale, errors.field.bad_boolean).to_string(),
        "missing_column" => td_string!(locale, errors.field.missing_column, column = p("column")).to_string(),
        "unknown_column" => td_string!(locale, errors.field.unknown_column).to_string(),
        "duplicate_column" => td_string!(locale, errors.field.duplicate_column).to_string(),
        "machine_type_code" => td_string!(locale, errors.field.machine_type_code).to_string(),
        "machine_type_taken" => td_string!(locale, errors.field.machine_type_taken).to_string(),
        "sort_order_range" => td_string!(locale, errors.field.sort_order_range, max = p("max")).to_string(),
        "range_too_long" => td_string!(locale, errors.field.range_too_long, max = p("max")).to_string(),
        "own_organization" => td_string!(locale, errors.field.own_organization).to_string(),
        "left_filing" => td_string!(locale, errors.field.left_filing).to_string(),
        "before_ownership" => {
            td_string!(locale, errors.field.before_ownership, machine = p("machine"), from = p("from")).to_string()
        }
        _ => td_string!(locale, errors.field.invalid).to_string(),
    }
}

/// The name of an emission stage.
pub fn stage_label(locale: Locale, stage: crate::machines::EmissionStage) -> &'static str {
    use crate::machines::EmissionStage as S;
    match stage {
        S::PreStandard => td_string!(locale, stages.pre_standard),
        S::Stage1 => td_string!(locale, stages.stage_1),
        S::Stage2 => td_string!(locale, stages.stage_2),
        S::Stage3 => td_string!(locale, stages.stage_3),
        S::Stage4 => td_string!(locale, stages.stage_4),
        S::Electric => td_string!(locale, stages.electric),
    }
}

/// The name of a fuel.
pub fn fuel_label(locale: Locale, fuel: crate::machines::FuelType) -> &'static str {
    use crate::machines::FuelType as F;
    match fuel {
        F::Diesel => td_string!(locale, fuels.diesel),
        F::Petrol => td_string!(locale, fuels.petrol),
        F::Electric => td_string!(locale, fuels.electric),
        F::NaturalGas => td_string!(locale, fuels.natural_gas),
        F::Other => td_string!(locale, fuels.other),
    }
}

/// The name of a photo kind.
pub fn photo_kind_label(locale: Locale, kind: crate::machines::PhotoKind) -> &'static str {
    use crate::machines::PhotoKind as K;
    match kind {
        K::MachinePlate => td_string!(locale, photo_kinds.machine_plate),
        K::EnginePlate => td_string!(locale, photo_kinds.engine_plate),
        K::EnvLabel => td_string!(locale, photo_kinds.env_label),
        K::WholeMachine => td_string!(locale, photo_kinds.whole_machine),
    }
}

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

/// The headline of a field look-up.
pub fn lookup_status_label(locale: Locale, status: crate::inspections::LookupStatus) -> &'static str {
    use crate::inspections::LookupStatus as L;
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
    standing: crate::inspections::FilingStanding,
    date: Option<chrono::NaiveDate>,
) -> String {
    use crate::inspections::FilingStanding as S;
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

/// The name of a zone exemption code (unknown codes are shown as they are).
pub fn exemption_label(locale: Locale, code: &str) -> String {
    match code {
        "emergency_rescue" => td_string!(locale, exemptions.emergency_rescue).to_owned(),
        "agriculture_season" => td_string!(locale, exemptions.agriculture_season).to_owned(),
        other => other.to_owned(),
    }
}

/// The name of a registered fact (the machine form's label of its field).
pub fn fact_label(locale: Locale, fact: crate::machines::facts::RegisteredFact) -> &'static str {
    use crate::machines::facts::RegisteredFact as F;
    match fact {
        F::MachineType => td_string!(locale, machines.machine_type),
        F::Pin => td_string!(locale, machines.pin),
        F::EnvCode => td_string!(locale, machines.env_code),
        F::EngineModel => td_string!(locale, machines.engine_model),
        F::EngineSerial => td_string!(locale, machines.engine_serial),
        F::EngineMaker => td_string!(locale, machines.engine_maker),
        F::EngineApprovalNo => td_string!(locale, machines.engine_approval_no),
        F::EmissionStage => td_string!(locale, machines.emission_stage),
        F::FuelType => td_string!(locale, machines.fuel_type),
        F::RatedPowerKw => td_string!(locale, machines.rated_power_kw),
        F::ManufacturedOn => td_string!(locale, machines.manufactured_on),
        F::DpfFitted => td_string!(locale, machines.dpf_fitted),
        F::ObdFitted => td_string!(locale, machines.obd_fitted),
        F::RemoteTerminal => td_string!(locale, machines.remote_terminal),
    }
}

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

/// The label of a machine field, for messages that name fields.
pub fn field_name(locale: Locale, field: &str) -> String {
    match field {
        "env_code" => td_string!(locale, machines.env_code),
        "engine_serial" => td_string!(locale, machines.engine_serial),
        "manufactured_on" => td_string!(locale, machines.manufactured_on),
        "pin" => td_string!(locale, machines.pin),
        other => return other.to_owned(),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message_in_both_languages() {
        let errors = [
            AppError::BadRequest { code: "malformed".into() },
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::conflict("x"),
            AppError::field("a", "required"),
            AppError::PayloadTooLarge,
            AppError::UnsupportedMediaType,
            AppError::RateLimited { retry_after_secs: 30 },
            AppError::Internal { request_id: Some("abc".into()) },
            AppError::Network,
        ];
        for e in &errors {
            let zh = error_message(Locale::zh, e);
            let en = error_message(Locale::en, e);
            assert!(!zh.is_empty() && !en.is_empty());
            assert_ne!(zh, en);
        }
        assert!(error_message(Locale::en, &AppError::RateLimited { retry_after_secs: 30 }).contains("30"));
        assert!(error_message(Locale::zh, &AppError::Internal { request_id: Some("abc".into()) }).contains("abc"));
    }

    /// Every field code the services report has a sentence of its own in both languages.
    #[test]
    fn every_field_code_has_its_own_message() {
        let codes = [
            "required",
            "length",
            "username_length",
            "username_chars",
            "username_taken",
            "password_too_short",
            "password_too_long",
            "phone",
            "uscc_length",
            "uscc_bad_char",
            "uscc_check_char",
            "uscc_taken",
            "unknown_organization",
            "unknown_division",
            "wrong_division_level",
            "not_a_county",
            "end_before_start",
            "outside_china",
            "bad_char",
            "env_code_length",
            "power_range",
            "range",
            "date_in_future",
            "electric_mismatch",
            "identifier_required",
            "unknown_machine_type",
            "already_registered",
            "registered_fact",
            "not_registered_fact",
            "no_change",
            "unknown_field",
            "unknown_site",
            "unknown_machine",
            "duplicate_machine",
            "too_many",
            "outside_site_dates",
            "in_the_past",
            "not_on_filing",
            "exit_without_entry",
            "exit_before_entry",
            "already_on_site",
            "before_last_exit",
            "regcode_length",
            "regcode_check_char",
            "too_few_readings",
            "readings_required",
            "reading_invalid",
            "ringelmann_range",
            "no_limit_row",
            "no_limit_table",
            "bands_overlap",
            "bands_incomplete",
            "band_range",
            "k_limit_range",
            "exemption_code",
            "electric_not_allowed",
            "unknown_registration_code",
            "machine_mismatch",
            "machine_required",
            "unknown_case",
            "case_machine_mismatch",
            "penalty_range",
            "own_organization",
            "left_filing",
            "before_ownership",
        ];
        let fallback = |l| field_message(l, &FieldError::new("no_such_code"));
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            let e = FieldError::new(code).with("position", 3).with("char", 'Z').with("expected", 'X');
            for locale in [Locale::zh, Locale::en] {
                let text = field_message(locale, &e);
                assert_ne!(text, fallback(locale), "{code} has no message in {locale:?}");
                assert!(seen.insert(text.clone()), "{code}: the same sentence as another code: {text}");
            }
        }
        let e = FieldError::new("uscc_bad_char").with("position", 10).with("char", 'O');
        assert!(field_message(Locale::en, &e).contains("10") && field_message(Locale::zh, &e).contains("“O”"));
    }

    /// Every conflict code and verdict reason has a sentence of its own in both languages.
    #[test]
    fn inspection_codes_have_their_own_messages() {
        let fallback = |l| error_message(l, &AppError::conflict("no_such_code"));
        for code in [
            "duplicate_version",
            "duplicate_effective_date",
            "reinspection_required",
            "case_not_awaiting_reinspection",
            "transfer_pending",
            "transfer_not_due",
            "unresolved_case",
            "nothing_to_allow",
            "already_allowed",
            "owner_changed",
            "registered_fact",
            "amendment_pending",
            "evidence_required",
            "amendment_stale",
        ] {
            for locale in [Locale::zh, Locale::en] {
                assert_ne!(error_message(locale, &AppError::conflict(code)), fallback(locale), "{code}");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for r in crate::inspections::compliance::Reason::ALL {
            for locale in [Locale::zh, Locale::en] {
                assert!(seen.insert(reason_message(locale, r)), "{r:?}");
            }
        }
        for s in crate::cases::CaseState::ALL {
            assert_ne!(case_state_label(Locale::zh, s), case_state_label(Locale::en, s));
        }
        assert_eq!(exemption_label(Locale::en, "emergency_rescue"), "Emergency rescue");
        assert_eq!(exemption_label(Locale::en, "night_work"), "night_work");
    }

    #[test]
    fn account_conflicts_name_the_authority() {
        let fallback = |l| error_message(l, &AppError::conflict("no_such_code"));
        let mut params = std::collections::BTreeMap::new();
        params.insert("role".to_owned(), "province_officer".to_owned());
        let by_province =
            AppError::Conflict { code: "disabled_by_authority".into(), fields: Default::default(), params };
        for locale in [Locale::zh, Locale::en] {
            assert_ne!(error_message(locale, &AppError::conflict("cannot_change_own_role")), fallback(locale));
            let text = error_message(locale, &by_province);
            assert!(text.contains(&super::super::role_label(locale, crate::auth::Role::ProvinceOfficer)), "{text}");
        }
    }

    #[test]
    fn field_messages_interpolate() {
        let e = FieldError::new("password_too_short").with("min", 10);
        assert!(field_message(Locale::en, &e).contains("10"));
        assert_eq!(field_message(Locale::en, &FieldError::new("no_such_code")), "This value is not valid.");
        let invalid = field_message(Locale::zh, &FieldError::new("no_such_code"));
        for code in ["unsupported_image", "corrupt_image", "image_too_large"] {
            for locale in [Locale::zh, Locale::en] {
                assert_ne!(field_message(locale, &FieldError::new(code)), invalid, "{code}");
            }
        }
        assert!(field_message(Locale::en, &FieldError::new("image_too_large").with("max", 16384)).contains("16384"));
    }
}
