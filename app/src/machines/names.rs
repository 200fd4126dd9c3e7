//! The names of the machine register's values in each language: emission stages, fuels, photo
//! kinds, registered facts and the machine fields that messages name.

use crate::i18n::*;

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
