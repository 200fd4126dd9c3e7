//! The amendment rules, one implementation for the page and the server: the reason, and what a
//! set of new values means for the machine (only registered facts, each valid under the machine
//! rules, at least one actually different).

use super::FactChange;
use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::machines::facts::RegisteredFact;
use crate::machines::{MachineInput, rules};
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// The longest reason (for asking and for returning).
pub const REASON_MAX: usize = 1000;

/// A reason: trimmed, required, at most [`REASON_MAX`] characters.
pub fn check_reason(raw: &str) -> Result<String, FieldError> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err(FieldError::new(FieldCode::Required));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(FieldError::new(FieldCode::Length).with("min", 1).with("max", REASON_MAX));
    }
    Ok(reason.to_owned())
}

/// Applies the new values `changes` to the machine `current`: the machine as it would be, and
/// the facts that actually change (old and new value). Refused by field: a key that is not a
/// registered fact (`not_registered_fact` for the unit's free-text fields, `unknown_field`
/// otherwise), a value of the wrong type (`invalid`), anything the machine rules refuse, and
/// nothing different from now (`changes: no_change`). `today` is the China date.
pub fn apply_changes(
    current: &MachineInput,
    changes: &Map<String, Value>,
    today: NaiveDate,
) -> Result<(MachineInput, Vec<FactChange>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let Ok(Value::Object(base)) = serde_json::to_value(current) else {
        return Err(FieldErrors::single("changes", FieldError::new(FieldCode::Invalid)));
    };
    for key in changes.keys() {
        if RegisteredFact::parse(key).is_none() {
            let code = if base.contains_key(key) { FieldCode::NotRegisteredFact } else { FieldCode::UnknownField };
            errors.add(key, FieldError::new(code));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let with = |keys: &mut dyn Iterator<Item = (&String, &Value)>| {
        let mut merged = base.clone();
        for (k, v) in keys {
            merged.insert(k.clone(), v.clone());
        }
        serde_json::from_value::<MachineInput>(Value::Object(merged))
    };
    let mut after = match with(&mut changes.iter()) {
        Ok(m) => m,
        Err(_) => {
            for (k, v) in changes {
                if with(&mut std::iter::once((k, v))).is_err() {
                    errors.add(k, FieldError::new(FieldCode::Invalid));
                }
            }
            if errors.is_empty() {
                errors.add("changes", FieldError::new(FieldCode::Invalid));
            }
            return Err(errors);
        }
    };
    let errors = rules::validate(&mut after, today);
    if !errors.is_empty() {
        return Err(errors);
    }
    // The stored machine is already normalised; normalising a copy keeps the comparison fair
    // for rows written before a rule tightened.
    let mut before = current.clone();
    let _ = rules::validate(&mut before, today);
    let changed: Vec<FactChange> = crate::machines::facts::changed(&before, &after)
        .into_iter()
        .map(|f| FactChange { field: f, old: f.value(&before), new: f.value(&after) })
        .collect();
    if changed.is_empty() {
        return Err(FieldErrors::single("changes", FieldError::new(FieldCode::NoChange)));
    }
    Ok((after, changed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machines::EmissionStage;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap_or_default()
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn codes(errors: &FieldErrors, field: &str) -> Vec<String> {
        errors.0.get(field).map(|v| v.iter().map(|e| e.code.as_str().to_owned()).collect()).unwrap_or_default()
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(check_reason("  换装发动机 "), Ok("换装发动机".to_owned()));
        assert_eq!(check_reason(" ").map_err(|e| e.code.as_str()), Err("required"));
        assert!(check_reason(&"字".repeat(REASON_MAX)).is_ok());
        assert_eq!(check_reason(&"字".repeat(REASON_MAX + 1)).map_err(|e| e.code.as_str()), Err("length"));
    }

    #[test]
    fn only_changed_facts_are_kept() {
        let m = MachineInput::example();
        let changes = map(json!({"emission_stage": "stage_2", "rated_power_kw": 118.0, "pin": "sy215c10086"}));
        let (after, changed) = apply_changes(&m, &changes, today()).expect("valid");
        assert_eq!(after.emission_stage, EmissionStage::Stage2);
        assert_eq!(changed.len(), 1, "the same power and the PIN in lower case are no change: {changed:?}");
        assert_eq!(changed[0].field, RegisteredFact::EmissionStage);
        assert_eq!((changed[0].old.clone(), changed[0].new.clone()), (json!("stage_4"), json!("stage_2")));
    }

    #[test]
    fn free_text_unknown_fields_and_no_ops_are_refused() {
        let m = MachineInput::example();
        let e = apply_changes(&m, &map(json!({"name": "x", "colour": "red"})), today()).expect_err("refused");
        assert_eq!(codes(&e, "name"), vec!["not_registered_fact"]);
        assert_eq!(codes(&e, "colour"), vec!["unknown_field"]);
        let e = apply_changes(&m, &map(json!({"emission_stage": "stage_4"})), today()).expect_err("no-op");
        assert_eq!(codes(&e, "changes"), vec!["no_change"]);
        let e = apply_changes(&m, &Map::new(), today()).expect_err("empty");
        assert_eq!(codes(&e, "changes"), vec!["no_change"]);
    }

    #[test]
    fn values_follow_the_machine_rules() {
        let m = MachineInput::example();
        let e = apply_changes(&m, &map(json!({"fuel_type": "coal", "rated_power_kw": 90})), today()).expect_err("bad");
        assert_eq!(codes(&e, "fuel_type"), vec!["invalid"]);
        assert!(codes(&e, "rated_power_kw").is_empty(), "a good value is not blamed");
        let e = apply_changes(&m, &map(json!({"rated_power_kw": 0})), today()).expect_err("bad");
        assert_eq!(codes(&e, "rated_power_kw"), vec!["power_range"]);
        let e = apply_changes(&m, &map(json!({"fuel_type": "electric"})), today()).expect_err("bad");
        assert_eq!(codes(&e, "fuel_type"), vec!["electric_mismatch"]);
        let e = apply_changes(&m, &map(json!({"manufactured_on": "2026-12-07"})), today()).expect_err("bad");
        assert_eq!(codes(&e, "manufactured_on"), vec!["date_in_future"]);
        let both = map(json!({"fuel_type": "electric", "emission_stage": "electric"}));
        assert_eq!(apply_changes(&m, &both, today()).map(|(_, c)| c.len()), Ok(2));
    }
}
