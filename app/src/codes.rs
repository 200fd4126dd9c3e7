//! The codes of field errors and conflicts: enums, so that every code has its message (the
//! translation in `ui::messages` matches them all, a missing one does not compile) and a test
//! or client can list them. On the wire each is its snake_case name (API.md).

use serde::{Deserialize, Serialize};

/// Declares a code enum with its wire names, `ALL`, `as_str` and `parse`.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every code.
            pub const ALL: &[$name] = &[$($name::$variant,)*];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)*
                }
            }

            /// The code of a wire name.
            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == value)
            }
        }

        // Read through `parse` rather than serde's derived visitor: the same names, a fraction of
        // the code in the browser's main module (the shell reads errors with these codes).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&name).ok_or_else(|| serde::de::Error::unknown_variant(&name, &[]))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

codes! {
    /// What is wrong with one field (`fields.{name}[].code`).
    FieldCode {
        Required = "required",
        Length = "length",
        UsernameLength = "username_length",
        UsernameChars = "username_chars",
        UsernameTaken = "username_taken",
        PasswordTooShort = "password_too_short",
        PasswordTooLong = "password_too_long",
        EndBeforeStart = "end_before_start",
        OutsideChina = "outside_china",
        OutsideCounty = "outside_county",
        DecidedByOfficials = "decided_by_officials",
        LaxerRow = "laxer_row",
        ClassNotCovered = "class_not_covered",
        NoParentTable = "no_parent_table",
        NotACounty = "not_a_county",
        EnvCodeLength = "env_code_length",
        BadChar = "bad_char",
        PowerRange = "power_range",
        Range = "range",
        DateInFuture = "date_in_future",
        ElectricMismatch = "electric_mismatch",
        IdentifierRequired = "identifier_required",
        AlreadyRegistered = "already_registered",
        RegisteredFact = "registered_fact",
        NotRegisteredFact = "not_registered_fact",
        NoChange = "no_change",
        UnknownMachineType = "unknown_machine_type",
        NotInZone = "not_in_zone",
        ExemptionNotListed = "exemption_not_listed",
        UnknownField = "unknown_field",
        UnknownSite = "unknown_site",
        UnknownMachine = "unknown_machine",
        DuplicateMachine = "duplicate_machine",
        DuplicateSite = "duplicate_site",
        TooMany = "too_many",
        OutsideSiteDates = "outside_site_dates",
        InThePast = "in_the_past",
        ExitWithoutEntry = "exit_without_entry",
        ExitBeforeEntry = "exit_before_entry",
        AlreadyOnSite = "already_on_site",
        BeforeLastExit = "before_last_exit",
        NotOnFiling = "not_on_filing",
        UsccLength = "uscc_length",
        UsccBadChar = "uscc_bad_char",
        UsccCheckChar = "uscc_check_char",
        UsccTaken = "uscc_taken",
        Phone = "phone",
        RegcodeLength = "regcode_length",
        RegcodeCheckChar = "regcode_check_char",
        UnknownOrganization = "unknown_organization",
        UnknownDivision = "unknown_division",
        WrongDivisionLevel = "wrong_division_level",
        UnsupportedImage = "unsupported_image",
        CorruptImage = "corrupt_image",
        ImageTooLarge = "image_too_large",
        TooFewReadings = "too_few_readings",
        ReadingsRequired = "readings_required",
        ReadingInvalid = "reading_invalid",
        RingelmannRange = "ringelmann_range",
        NoLimitRow = "no_limit_row",
        NoLimitTable = "no_limit_table",
        BandsOverlap = "bands_overlap",
        BandsIncomplete = "bands_incomplete",
        BandRange = "band_range",
        KLimitRange = "k_limit_range",
        ExemptionCode = "exemption_code",
        ElectricNotAllowed = "electric_not_allowed",
        UnknownRegistrationCode = "unknown_registration_code",
        MachineMismatch = "machine_mismatch",
        MachineRequired = "machine_required",
        UnknownCase = "unknown_case",
        CaseMachineMismatch = "case_machine_mismatch",
        PenaltyRange = "penalty_range",
        DuplicateInFile = "duplicate_in_file",
        AlreadyInFleet = "already_in_fleet",
        UnknownValue = "unknown_value",
        BadDate = "bad_date",
        BadNumber = "bad_number",
        BadBoolean = "bad_boolean",
        MissingColumn = "missing_column",
        UnknownColumn = "unknown_column",
        DuplicateColumn = "duplicate_column",
        MachineTypeCode = "machine_type_code",
        MachineTypeTaken = "machine_type_taken",
        SortOrderRange = "sort_order_range",
        RangeTooLong = "range_too_long",
        OwnOrganization = "own_organization",
        LeftFiling = "left_filing",
        BeforeOwnership = "before_ownership",
        Invalid = "invalid",
    }
}

codes! {
    /// Why a request conflicts with what is stored (409 `code`).
    ConflictCode {
        DuplicateIdentifier = "duplicate_identifier",
        StaleVersion = "stale_version",
        MachineInUse = "machine_in_use",
        MachineOverlap = "machine_overlap",
        IllegalTransition = "illegal_transition",
        FilingNotAccepted = "filing_not_accepted",
        DuplicateUscc = "duplicate_uscc",
        CannotDisableSelf = "cannot_disable_self",
        DuplicateVersion = "duplicate_version",
        DuplicateEffectiveDate = "duplicate_effective_date",
        ReinspectionRequired = "reinspection_required",
        CaseNotAwaitingReinspection = "case_not_awaiting_reinspection",
        NotRegistered = "not_registered",
        CannotChangeOwnRole = "cannot_change_own_role",
        CannotResetOwnPassword = "cannot_reset_own_password",
        LastSysadmin = "last_sysadmin",
        DisabledByAuthority = "disabled_by_authority",
        DuplicateMachineType = "duplicate_machine_type",
        EvidenceFull = "evidence_full",
        TransferPending = "transfer_pending",
        TransferNotDue = "transfer_not_due",
        UnresolvedCase = "unresolved_case",
        NothingToAllow = "nothing_to_allow",
        AlreadyAllowed = "already_allowed",
        OwnerChanged = "owner_changed",
        RegisteredFact = "registered_fact",
        AmendmentPending = "amendment_pending",
        EvidenceRequired = "evidence_required",
        AmendmentStale = "amendment_stale",
        RequestIdReused = "request_id_reused",
        ImportRejected = "import_rejected",
        TooManyRows = "too_many_rows",
        NoFilingInForce = "no_filing_in_force",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_its_wire_name_and_nothing_else() {
        for code in FieldCode::ALL {
            let wire = serde_json::to_string(code).expect("write");
            assert_eq!(wire, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<FieldCode>(&wire).expect("read"), *code);
        }
        for code in ConflictCode::ALL {
            let wire = serde_json::to_string(code).expect("write");
            assert_eq!(serde_json::from_str::<ConflictCode>(&wire).expect("read"), *code);
        }
        assert!(serde_json::from_str::<FieldCode>("\"no_such_code\"").is_err());
        assert!(serde_json::from_str::<ConflictCode>("42").is_err());
    }
}
