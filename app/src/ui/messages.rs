//! Turns error codes into sentences through the locale files, for pages and API clients alike.

use crate::error::{AppError, ConflictCode, FieldCode, FieldError};
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
        AppError::Conflict { code, params, .. } => conflict_message(locale, *code, params),
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
fn conflict_message(locale: Locale, code: ConflictCode, params: &std::collections::BTreeMap<String, String>) -> String {
    use ConflictCode as C;
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    match code {
        C::DuplicateIdentifier => td_string!(locale, errors.conflicts.duplicate_identifier).to_string(),
        C::StaleVersion => td_string!(locale, errors.conflicts.stale_version).to_string(),
        C::MachineInUse => td_string!(locale, errors.conflicts.machine_in_use).to_string(),
        // Another unit's filing is not named (its site and dates are not the caller's to see).
        C::MachineOverlap if !params.contains_key("other_site") => {
            td_string!(locale, errors.conflicts.machine_overlap_elsewhere, machine = p("machine")).to_string()
        }
        C::MachineOverlap => td_string!(
            locale,
            errors.conflicts.machine_overlap,
            machine = p("machine"),
            other_site = p("other_site"),
            from = p("from"),
            to = p("to")
        )
        .to_string(),
        C::IllegalTransition => td_string!(locale, errors.conflicts.illegal_transition, from = p("from")).to_string(),
        C::FilingNotAccepted => td_string!(locale, errors.conflicts.filing_not_accepted).to_string(),
        C::DuplicateUscc => td_string!(locale, errors.conflicts.duplicate_uscc).to_string(),
        C::CannotDisableSelf => td_string!(locale, errors.conflicts.cannot_disable_self).to_string(),
        C::DuplicateVersion => td_string!(locale, errors.conflicts.duplicate_version).to_string(),
        C::DuplicateEffectiveDate => td_string!(locale, errors.conflicts.duplicate_effective_date).to_string(),
        C::ReinspectionRequired => td_string!(locale, errors.conflicts.reinspection_required).to_string(),
        C::CaseNotAwaitingReinspection => {
            td_string!(locale, errors.conflicts.case_not_awaiting_reinspection).to_string()
        }
        C::NotRegistered => td_string!(locale, errors.conflicts.not_registered).to_string(),
        C::CannotChangeOwnRole => td_string!(locale, errors.conflicts.cannot_change_own_role).to_string(),
        C::CannotResetOwnPassword => td_string!(locale, errors.conflicts.cannot_reset_own_password).to_string(),
        C::LastSysadmin => td_string!(locale, errors.conflicts.last_sysadmin).to_string(),
        C::DisabledByAuthority => {
            let role = crate::auth::Role::parse(&p("role")).unwrap_or(crate::auth::Role::Sysadmin);
            td_string!(locale, errors.conflicts.disabled_by_authority, role = super::role_label(locale, role))
                .to_string()
        }
        C::DuplicateMachineType => td_string!(locale, errors.conflicts.duplicate_machine_type).to_string(),
        C::EvidenceFull => td_string!(locale, errors.conflicts.evidence_full, max = p("max")).to_string(),
        C::TransferPending => td_string!(locale, errors.conflicts.transfer_pending).to_string(),
        C::TransferNotDue => td_string!(locale, errors.conflicts.transfer_not_due, date = p("transfer_on")).to_string(),
        C::UnresolvedCase => td_string!(locale, errors.conflicts.unresolved_case, counties = p("counties")).to_string(),
        C::NothingToAllow => td_string!(locale, errors.conflicts.nothing_to_allow).to_string(),
        C::AlreadyAllowed => td_string!(locale, errors.conflicts.already_allowed).to_string(),
        C::OwnerChanged => td_string!(locale, errors.conflicts.owner_changed).to_string(),
        C::RegisteredFact => td_string!(locale, errors.conflicts.registered_fact).to_string(),
        C::AmendmentPending => td_string!(locale, errors.conflicts.amendment_pending).to_string(),
        C::EvidenceRequired => td_string!(locale, errors.conflicts.evidence_required).to_string(),
        C::AmendmentStale => td_string!(locale, errors.conflicts.amendment_stale).to_string(),
        C::RequestIdReused => td_string!(locale, errors.conflicts.request_id_reused).to_string(),
        // The import's own answers carry their sentence in `details.message`.
        C::NoFilingInForce => td_string!(locale, errors.conflicts.no_filing_in_force).to_string(),
        C::ImportRejected | C::TooManyRows => td_string!(locale, errors.conflict).to_string(),
    }
}

/// The sentence for one field error.
pub fn field_message(locale: Locale, e: &FieldError) -> String {
    let p = |k: &str| e.params.get(k).cloned().unwrap_or_default();
    use FieldCode as F;
    match e.code {
        F::Required => td_string!(locale, errors.field.required).to_string(),
        F::Length => td_string!(locale, errors.field.length, min = p("min"), max = p("max")).to_string(),
        F::UsernameLength => {
            td_string!(locale, errors.field.username_length, min = p("min"), max = p("max")).to_string()
        }
        F::UsernameChars => td_string!(locale, errors.field.username_chars).to_string(),
        F::UsernameTaken => td_string!(locale, errors.field.username_taken).to_string(),
        F::PasswordTooShort => td_string!(locale, errors.field.password_too_short, min = p("min")).to_string(),
        F::PasswordTooLong => td_string!(locale, errors.field.password_too_long, max = p("max")).to_string(),
        F::EndBeforeStart => td_string!(locale, errors.field.end_before_start).to_string(),
        F::OutsideChina => td_string!(locale, errors.field.outside_china).to_string(),
        F::OutsideCounty => td_string!(locale, errors.field.outside_county).to_string(),
        F::DecidedByOfficials => td_string!(locale, errors.field.decided_by_officials).to_string(),
        F::LaxerRow => td_string!(
            locale,
            errors.field.laxer_row,
            position = p("position"),
            class = p("class"),
            k_limit = p("k_limit"),
            ringelmann_max = p("ringelmann_max")
        )
        .to_string(),
        F::ClassNotCovered => td_string!(locale, errors.field.class_not_covered, class = p("class")).to_string(),
        F::NoParentTable => td_string!(locale, errors.field.no_parent_table).to_string(),
        F::NotACounty => td_string!(locale, errors.field.not_a_county).to_string(),
        F::EnvCodeLength => td_string!(locale, errors.field.env_code_length, found = p("found")).to_string(),
        F::BadChar => td_string!(locale, errors.field.bad_char, position = p("position"), char = p("char")).to_string(),
        F::PowerRange => td_string!(locale, errors.field.power_range, max = p("max")).to_string(),
        F::Range => td_string!(locale, errors.field.range, min = p("min"), max = p("max")).to_string(),
        F::DateInFuture => td_string!(locale, errors.field.date_in_future).to_string(),
        F::ElectricMismatch => td_string!(locale, errors.field.electric_mismatch).to_string(),
        F::IdentifierRequired => td_string!(locale, errors.field.identifier_required).to_string(),
        F::AlreadyRegistered => td_string!(locale, errors.field.already_registered).to_string(),
        F::RegisteredFact => td_string!(locale, errors.field.registered_fact).to_string(),
        F::NotRegisteredFact => td_string!(locale, errors.field.not_registered_fact).to_string(),
        F::NoChange => td_string!(locale, errors.field.no_change).to_string(),
        F::UnknownMachineType => td_string!(locale, errors.field.unknown_machine_type).to_string(),
        F::NotInZone => td_string!(locale, errors.field.not_in_zone).to_string(),
        F::ExemptionNotListed => td_string!(locale, errors.field.exemption_not_listed).to_string(),
        F::UnknownField => td_string!(locale, errors.field.unknown_field).to_string(),
        F::UnknownSite => td_string!(locale, errors.field.unknown_site).to_string(),
        F::UnknownMachine => td_string!(locale, errors.field.unknown_machine).to_string(),
        F::DuplicateMachine => td_string!(locale, errors.field.duplicate_machine).to_string(),
        F::DuplicateSite => td_string!(locale, errors.field.duplicate_site).to_string(),
        F::TooMany => td_string!(locale, errors.field.too_many, max = p("max")).to_string(),
        F::OutsideSiteDates => {
            td_string!(locale, errors.field.outside_site_dates, from = p("from"), to = p("to")).to_string()
        }
        F::InThePast => td_string!(locale, errors.field.in_the_past).to_string(),
        F::ExitWithoutEntry => td_string!(locale, errors.field.exit_without_entry).to_string(),
        F::ExitBeforeEntry => td_string!(locale, errors.field.exit_before_entry).to_string(),
        F::AlreadyOnSite => td_string!(locale, errors.field.already_on_site).to_string(),
        F::BeforeLastExit => td_string!(locale, errors.field.before_last_exit).to_string(),
        F::NotOnFiling => td_string!(locale, errors.field.not_on_filing).to_string(),
        F::UsccLength => td_string!(locale, errors.field.uscc_length, found = p("found")).to_string(),
        F::UsccBadChar => {
            td_string!(locale, errors.field.uscc_bad_char, position = p("position"), char = p("char")).to_string()
        }
        F::UsccCheckChar => {
            td_string!(locale, errors.field.uscc_check_char, expected = p("expected"), char = p("char")).to_string()
        }
        F::UsccTaken => td_string!(locale, errors.field.uscc_taken).to_string(),
        F::Phone => td_string!(locale, errors.field.phone).to_string(),
        F::RegcodeLength => {
            td_string!(locale, errors.field.regcode_length, expected = p("expected"), found = p("found")).to_string()
        }
        // Never the expected check character: "correcting" the last character of a mistyped
        // code would make it the valid code of another machine.
        F::RegcodeCheckChar => td_string!(locale, errors.field.regcode_check_char).to_string(),
        F::UnknownOrganization => td_string!(locale, errors.field.unknown_organization).to_string(),
        F::UnknownDivision => td_string!(locale, errors.field.unknown_division).to_string(),
        F::WrongDivisionLevel => td_string!(locale, errors.field.wrong_division_level).to_string(),
        F::UnsupportedImage => td_string!(locale, errors.field.unsupported_image).to_string(),
        F::CorruptImage => td_string!(locale, errors.field.corrupt_image).to_string(),
        F::ImageTooLarge => td_string!(locale, errors.field.image_too_large, max = p("max")).to_string(),
        F::TooFewReadings => td_string!(locale, errors.field.too_few_readings, min = p("min")).to_string(),
        F::ReadingsRequired => td_string!(locale, errors.field.readings_required).to_string(),
        F::ReadingInvalid => td_string!(locale, errors.field.reading_invalid, position = p("position")).to_string(),
        F::RingelmannRange => td_string!(locale, errors.field.ringelmann_range, max = p("max")).to_string(),
        F::NoLimitRow => td_string!(locale, errors.field.no_limit_row, class = p("class")).to_string(),
        F::NoLimitTable => td_string!(locale, errors.field.no_limit_table).to_string(),
        F::BandsOverlap => td_string!(locale, errors.field.bands_overlap, class = p("class")).to_string(),
        F::BandsIncomplete => td_string!(locale, errors.field.bands_incomplete, class = p("class")).to_string(),
        F::BandRange => td_string!(locale, errors.field.band_range, position = p("position")).to_string(),
        F::KLimitRange => {
            td_string!(locale, errors.field.k_limit_range, position = p("position"), max = p("max")).to_string()
        }
        F::ExemptionCode => td_string!(locale, errors.field.exemption_code).to_string(),
        F::ElectricNotAllowed => td_string!(locale, errors.field.electric_not_allowed).to_string(),
        F::UnknownRegistrationCode => td_string!(locale, errors.field.unknown_registration_code).to_string(),
        F::MachineMismatch => td_string!(locale, errors.field.machine_mismatch).to_string(),
        F::MachineRequired => td_string!(locale, errors.field.machine_required).to_string(),
        F::UnknownCase => td_string!(locale, errors.field.unknown_case).to_string(),
        F::CaseMachineMismatch => td_string!(locale, errors.field.case_machine_mismatch).to_string(),
        F::PenaltyRange => td_string!(locale, errors.field.penalty_range, max = p("max")).to_string(),
        F::DuplicateInFile => td_string!(locale, errors.field.duplicate_in_file, row = p("row")).to_string(),
        F::AlreadyInFleet => td_string!(locale, errors.field.already_in_fleet).to_string(),
        F::UnknownValue => td_string!(locale, errors.field.unknown_value, value = p("value")).to_string(),
        F::BadDate => td_string!(locale, errors.field.bad_date).to_string(),
        F::BadNumber => td_string!(locale, errors.field.bad_number).to_string(),
        F::BadBoolean => td_string!(locale, errors.field.bad_boolean).to_string(),
        F::MissingColumn => td_string!(locale, errors.field.missing_column, column = p("column")).to_string(),
        F::UnknownColumn => td_string!(locale, errors.field.unknown_column).to_string(),
        F::DuplicateColumn => td_string!(locale, errors.field.duplicate_column).to_string(),
        F::MachineTypeCode => td_string!(locale, errors.field.machine_type_code).to_string(),
        F::MachineTypeTaken => td_string!(locale, errors.field.machine_type_taken).to_string(),
        F::SortOrderRange => td_string!(locale, errors.field.sort_order_range, max = p("max")).to_string(),
        F::RangeTooLong => td_string!(locale, errors.field.range_too_long, max = p("max")).to_string(),
        F::OwnOrganization => td_string!(locale, errors.field.own_organization).to_string(),
        F::LeftFiling => td_string!(locale, errors.field.left_filing).to_string(),
        F::BeforeOwnership => {
            td_string!(locale, errors.field.before_ownership, machine = p("machine"), from = p("from")).to_string()
        }
        F::Invalid => td_string!(locale, errors.field.invalid).to_string(),
    }
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
            AppError::conflict(ConflictCode::StaleVersion),
            AppError::field("a", FieldCode::Required),
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

    /// Every field code has a sentence of its own in both languages (the match has an arm for
    /// each: a new code without one does not compile; this says the arm is not the generic one).
    #[test]
    fn every_field_code_has_its_own_message() {
        let invalid = |l| field_message(l, &FieldError::new(FieldCode::Invalid));
        let mut seen = std::collections::HashSet::new();
        for code in FieldCode::ALL.iter().copied().filter(|c| *c != FieldCode::Invalid) {
            let e = FieldError::new(code).with("position", 3).with("char", 'Z').with("expected", 'X');
            for locale in [Locale::zh, Locale::en] {
                let text = field_message(locale, &e);
                assert_ne!(text, invalid(locale), "{code} has no message in {locale:?}");
                assert!(seen.insert(text.clone()), "{code}: the same sentence as another code: {text}");
            }
        }
        let e = FieldError::new(FieldCode::UsccBadChar).with("position", 10).with("char", 'O');
        assert!(field_message(Locale::en, &e).contains("10") && field_message(Locale::zh, &e).contains("“O”"));
    }

    /// Every conflict code has a sentence of its own in both languages.
    #[test]
    fn every_conflict_code_has_its_own_message() {
        let fallback = |l: Locale| td_string!(l, errors.conflict).to_string();
        // The import's answers carry their own sentence in `details.message`.
        let own =
            ConflictCode::ALL.iter().filter(|c| !matches!(c, ConflictCode::ImportRejected | ConflictCode::TooManyRows));
        for code in own {
            for locale in [Locale::zh, Locale::en] {
                assert_ne!(error_message(locale, &AppError::conflict(*code)), fallback(locale), "{code}");
            }
        }
    }

    #[test]
    fn account_conflicts_name_the_authority() {
        let fallback = |l: Locale| td_string!(l, errors.conflict).to_string();
        let mut params = std::collections::BTreeMap::new();
        params.insert("role".to_owned(), "province_officer".to_owned());
        let by_province =
            AppError::Conflict { code: ConflictCode::DisabledByAuthority, fields: Default::default(), params };
        for locale in [Locale::zh, Locale::en] {
            assert_ne!(error_message(locale, &AppError::conflict(ConflictCode::CannotChangeOwnRole)), fallback(locale));
            let text = error_message(locale, &by_province);
            assert!(text.contains(&super::super::role_label(locale, crate::auth::Role::ProvinceOfficer)), "{text}");
        }
    }

    #[test]
    fn field_messages_interpolate() {
        let e = FieldError::new(FieldCode::PasswordTooShort).with("min", 10);
        assert!(field_message(Locale::en, &e).contains("10"));
        assert_eq!(field_message(Locale::en, &FieldError::new(FieldCode::Invalid)), "This value is not valid.");
        assert!(
            field_message(Locale::en, &FieldError::new(FieldCode::ImageTooLarge).with("max", 16384)).contains("16384")
        );
    }
}
