//! The registered facts: once a machine has a registration code, the facts that decide its
//! compliance or identify it are the county's record. The construction unit no longer edits
//! them directly (`PATCH` answers 409 `registered_fact`); it asks for an amendment, which the
//! issuing county reviews. One list, shared by the server and the page (which greys these
//! inputs out and offers "request an amendment" instead).

use super::MachineInput;
use serde::{Deserialize, Serialize};

/// A fact of a machine that only an accepted amendment changes once the machine is registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegisteredFact {
    MachineType,
    Pin,
    EnvCode,
    EngineModel,
    EngineSerial,
    EngineMaker,
    EngineApprovalNo,
    EmissionStage,
    FuelType,
    RatedPowerKw,
    ManufacturedOn,
    DpfFitted,
    ObdFitted,
    RemoteTerminal,
}

impl RegisteredFact {
    /// Every registered fact, in the order the machine form shows them.
    pub const ALL: [RegisteredFact; 14] = [
        RegisteredFact::MachineType,
        RegisteredFact::Pin,
        RegisteredFact::EnvCode,
        RegisteredFact::ManufacturedOn,
        RegisteredFact::EngineModel,
        RegisteredFact::EngineSerial,
        RegisteredFact::EngineMaker,
        RegisteredFact::EngineApprovalNo,
        RegisteredFact::EmissionStage,
        RegisteredFact::FuelType,
        RegisteredFact::RatedPowerKw,
        RegisteredFact::DpfFitted,
        RegisteredFact::ObdFitted,
        RegisteredFact::RemoteTerminal,
    ];

    /// The field name (the key of [`MachineInput`] on the wire).
    pub fn as_str(self) -> &'static str {
        match self {
            RegisteredFact::MachineType => "machine_type",
            RegisteredFact::Pin => "pin",
            RegisteredFact::EnvCode => "env_code",
            RegisteredFact::EngineModel => "engine_model",
            RegisteredFact::EngineSerial => "engine_serial",
            RegisteredFact::EngineMaker => "engine_maker",
            RegisteredFact::EngineApprovalNo => "engine_approval_no",
            RegisteredFact::EmissionStage => "emission_stage",
            RegisteredFact::FuelType => "fuel_type",
            RegisteredFact::RatedPowerKw => "rated_power_kw",
            RegisteredFact::ManufacturedOn => "manufactured_on",
            RegisteredFact::DpfFitted => "dpf_fitted",
            RegisteredFact::ObdFitted => "obd_fitted",
            RegisteredFact::RemoteTerminal => "remote_terminal",
        }
    }

    /// The fact a field name stands for; `None` for free-text fields and unknown names.
    pub fn parse(field: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == field)
    }

    /// The fact's value in `m`, as it travels in JSON (what old/new values are compared and
    /// shown as).
    pub fn value(self, m: &MachineInput) -> serde_json::Value {
        use serde_json::Value;
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        match self {
            RegisteredFact::MachineType => Value::String(m.machine_type.clone()),
            RegisteredFact::Pin => text(&m.pin),
            RegisteredFact::EnvCode => text(&m.env_code),
            RegisteredFact::EngineModel => text(&m.engine_model),
            RegisteredFact::EngineSerial => text(&m.engine_serial),
            RegisteredFact::EngineMaker => text(&m.engine_maker),
            RegisteredFact::EngineApprovalNo => text(&m.engine_approval_no),
            RegisteredFact::EmissionStage => Value::String(m.emission_stage.as_str().to_owned()),
            RegisteredFact::FuelType => Value::String(m.fuel_type.as_str().to_owned()),
            RegisteredFact::RatedPowerKw => serde_json::json!(m.rated_power_kw),
            RegisteredFact::ManufacturedOn => m.manufactured_on.map_or(Value::Null, |d| Value::String(d.to_string())),
            RegisteredFact::DpfFitted => Value::Bool(m.dpf_fitted),
            RegisteredFact::ObdFitted => Value::Bool(m.obd_fitted),
            RegisteredFact::RemoteTerminal => Value::Bool(m.remote_terminal),
        }
    }
}

/// Whether a machine field is a registered fact.
pub fn is_registered_fact(field: &str) -> bool {
    RegisteredFact::parse(field).is_some()
}

/// The registered facts whose values differ between two machines (both already normalised by
/// `rules::validate`, so a PIN re-sent in lower case is not a change).
pub fn changed(before: &MachineInput, after: &MachineInput) -> Vec<RegisteredFact> {
    RegisteredFact::ALL.into_iter().filter(|f| f.value(before) != f.value(after)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machines::EmissionStage;

    #[test]
    fn every_fact_is_a_machine_field_and_round_trips() {
        let fields = serde_json::to_value(MachineInput::example()).unwrap_or_default();
        for f in RegisteredFact::ALL {
            assert_eq!(RegisteredFact::parse(f.as_str()), Some(f));
            assert!(fields.get(f.as_str()).is_some(), "{f:?} is no machine field");
            assert_eq!(serde_json::to_value(f).ok(), Some(serde_json::Value::String(f.as_str().into())));
            assert_eq!(fields[f.as_str()], f.value(&MachineInput::example()), "{f:?}");
        }
        let unique: std::collections::HashSet<_> = RegisteredFact::ALL.iter().collect();
        assert_eq!(unique.len(), RegisteredFact::ALL.len());
    }

    #[test]
    fn free_text_stays_with_the_unit() {
        for free in ["name", "brand", "model", "info_disclosure_no", "dpf_model", "dpf_maker", "dpf_fitted_on"] {
            assert!(!is_registered_fact(free), "{free}");
        }
        assert!(is_registered_fact("emission_stage") && is_registered_fact("remote_terminal"));
        assert!(!is_registered_fact("colour"));
    }

    #[test]
    fn changes_are_found_fact_by_fact() {
        let before = MachineInput::example();
        let mut after = before.clone();
        after.name = "改名".into();
        after.brand = None;
        assert!(changed(&before, &after).is_empty(), "free text is no registered fact");
        after.emission_stage = EmissionStage::Stage2;
        after.rated_power_kw = 80.0;
        after.obd_fitted = false;
        assert_eq!(
            changed(&before, &after),
            vec![RegisteredFact::EmissionStage, RegisteredFact::RatedPowerKw, RegisteredFact::ObdFitted]
        );
    }
}
