//! The machine rules, one implementation for the form in the browser, the server function, the
//! REST API and the bulk import: identifier character sets, power, dates, fuel and stage.

use super::{EmissionStage, FuelType, MachineInput, PhotoKind};
use crate::error::{FieldCode, FieldError, FieldErrors};
use chrono::NaiveDate;

/// Upper bound of rated net power, kW.
pub const MAX_POWER_KW: f64 = 10_000.0;

/// Trims and upper-cases an identifier; empty becomes `None`.
pub fn normalize_id(raw: Option<&str>) -> Option<String> {
    raw.map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty())
}

/// Trims free text; empty becomes `None`.
pub fn normalize_text(raw: Option<&str>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The machine environmental code (机械环保代码): exactly 17 of `0-9 A-Z`.
pub fn check_env_code(code: &str) -> Result<(), FieldError> {
    let n = code.chars().count();
    if n != 17 {
        return Err(FieldError::new(FieldCode::EnvCodeLength).with("found", n));
    }
    if let Some((i, c)) = code.chars().enumerate().find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase())) {
        return Err(FieldError::new(FieldCode::BadChar).with("position", i + 1).with("char", c));
    }
    Ok(())
}

/// The machine serial / PIN (整机编号): 4–40 of `0-9 A-Z -`.
pub fn check_pin(pin: &str) -> Result<(), FieldError> {
    let n = pin.chars().count();
    if !(4..=40).contains(&n) {
        return Err(FieldError::new(FieldCode::Length).with("min", 4).with("max", 40));
    }
    if let Some((i, c)) =
        pin.chars().enumerate().find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase() || *c == '-'))
    {
        return Err(FieldError::new(FieldCode::BadChar).with("position", i + 1).with("char", c));
    }
    Ok(())
}

/// The engine serial number: 3–64 of `0-9 A-Z - /`.
pub fn check_engine_serial(serial: &str) -> Result<(), FieldError> {
    let n = serial.chars().count();
    if !(3..=64).contains(&n) {
        return Err(FieldError::new(FieldCode::Length).with("min", 3).with("max", 64));
    }
    if let Some((i, c)) = serial
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase() || *c == '-' || *c == '/'))
    {
        return Err(FieldError::new(FieldCode::BadChar).with("position", i + 1).with("char", c));
    }
    Ok(())
}

/// Rated net power: more than 0, at most 10,000 kW.
pub fn check_power(kw: f64) -> Result<(), FieldError> {
    if !kw.is_finite() || kw <= 0.0 || kw > MAX_POWER_KW {
        return Err(FieldError::new(FieldCode::PowerRange).with("max", MAX_POWER_KW as u32));
    }
    Ok(())
}

/// A date that must not lie after `today`.
pub fn check_not_future(date: NaiveDate, today: NaiveDate) -> Result<(), FieldError> {
    if date > today { Err(FieldError::new(FieldCode::DateInFuture)) } else { Ok(()) }
}

/// Electric fuel if and only if the electric stage.
pub fn check_fuel_stage(fuel: FuelType, stage: EmissionStage) -> Result<(), FieldError> {
    let electric_fuel = fuel == FuelType::Electric;
    let electric_stage = stage == EmissionStage::Electric;
    if electric_fuel != electric_stage { Err(FieldError::new(FieldCode::ElectricMismatch)) } else { Ok(()) }
}

/// The day from which stage III machines carry the environmental information label and the
/// machine environmental code (HJ 1014-2020, in force 2020-12-01); stage IV machines always do.
pub const LABEL_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2020, 12, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// What a filing needs of a machine, beyond the rules every machine meets: the fields that must
/// be filled and the photos that must be on file. One rule, used by the filing's pre-check and
/// shown on the machine form before the unit files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingNeeds {
    /// Field names (the keys of [`MachineInput`]).
    pub fields: Vec<&'static str>,
    pub photos: Vec<PhotoKind>,
}

/// Whether a machine of `stage` made on `manufactured_on` carries an environmental information
/// label (an unknown date of a stage III machine: it may, so its label is asked for).
pub fn carries_label(stage: EmissionStage, manufactured_on: Option<NaiveDate>) -> bool {
    match stage {
        EmissionStage::Stage4 => true,
        EmissionStage::Stage3 => manufactured_on.is_none_or(|d| d >= LABEL_FROM),
        _ => false,
    }
}

/// What a filing needs of a machine of `stage` made on `manufactured_on`: the manufacture date
/// always; an engine (not electric) its serial and nameplate photo; a labelled machine its
/// label photo; a stage IV machine its environmental code (stamped on stage IV machines); the
/// machine nameplate and a photo of the whole machine always.
pub fn filing_needs(stage: EmissionStage, manufactured_on: Option<NaiveDate>) -> FilingNeeds {
    let engine = stage != EmissionStage::Electric;
    let label = carries_label(stage, manufactured_on);
    let mut fields = Vec::new();
    if stage == EmissionStage::Stage4 {
        fields.push("env_code");
    }
    if engine {
        fields.push("engine_serial");
    }
    fields.push("manufactured_on");
    let photos = PhotoKind::ALL
        .into_iter()
        .filter(|k| match k {
            PhotoKind::EnginePlate => engine,
            PhotoKind::EnvLabel => label,
            PhotoKind::MachinePlate | PhotoKind::WholeMachine => true,
        })
        .collect();
    FilingNeeds { fields, photos }
}

fn text_len(errors: &mut FieldErrors, field: &str, value: &Option<String>, max: usize) {
    if let Some(v) = value
        && v.chars().count() > max
    {
        errors.add(field, FieldError::new(FieldCode::Length).with("min", 0).with("max", max));
    }
}

/// Normalises a machine in place and returns every broken rule, by field. `today` is the date
/// in China (the caller passes it: rules never read the clock).
pub fn validate(input: &mut MachineInput, today: NaiveDate) -> FieldErrors {
    let mut errors = FieldErrors::new();
    input.name = input.name.trim().to_owned();
    input.machine_type = input.machine_type.trim().to_owned();
    input.pin = normalize_id(input.pin.as_deref());
    input.env_code = normalize_id(input.env_code.as_deref());
    input.engine_serial = normalize_id(input.engine_serial.as_deref());
    for v in [
        &mut input.brand,
        &mut input.model,
        &mut input.info_disclosure_no,
        &mut input.engine_model,
        &mut input.engine_maker,
        &mut input.engine_approval_no,
        &mut input.dpf_model,
        &mut input.dpf_maker,
    ] {
        *v = normalize_text(v.as_deref());
    }

    if input.name.is_empty() {
        errors.add("name", FieldError::new(FieldCode::Required));
    }
    text_len(&mut errors, "name", &Some(input.name.clone()), 100);
    if input.machine_type.is_empty() {
        errors.add("machine_type", FieldError::new(FieldCode::Required));
    }
    for (field, value) in [
        ("brand", &input.brand),
        ("model", &input.model),
        ("engine_model", &input.engine_model),
        ("engine_maker", &input.engine_maker),
        ("dpf_model", &input.dpf_model),
        ("dpf_maker", &input.dpf_maker),
    ] {
        text_len(&mut errors, field, value, 100);
    }
    text_len(&mut errors, "info_disclosure_no", &input.info_disclosure_no, 64);
    text_len(&mut errors, "engine_approval_no", &input.engine_approval_no, 64);
    if let Some(pin) = &input.pin
        && let Err(e) = check_pin(pin)
    {
        errors.add("pin", e);
    }
    if let Some(code) = &input.env_code
        && let Err(e) = check_env_code(code)
    {
        errors.add("env_code", e);
    }
    if let Some(serial) = &input.engine_serial
        && let Err(e) = check_engine_serial(serial)
    {
        errors.add("engine_serial", e);
    }
    if let Err(e) = check_power(input.rated_power_kw) {
        errors.add("rated_power_kw", e);
    }
    if let Some(d) = input.manufactured_on
        && let Err(e) = check_not_future(d, today)
    {
        errors.add("manufactured_on", e);
    }
    if let Some(d) = input.dpf_fitted_on
        && let Err(e) = check_not_future(d, today)
    {
        errors.add("dpf_fitted_on", e);
    }
    if let Err(e) = check_fuel_stage(input.fuel_type, input.emission_stage) {
        errors.add("fuel_type", e);
    }
    if input.pin.is_none() && input.env_code.is_none() && input.engine_serial.is_none() {
        errors.add("pin", FieldError::new(FieldCode::IdentifierRequired));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filing_asks_for_the_label_photo_only_of_a_machine_that_carries_a_label() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        let photos = |stage, made| filing_needs(stage, made).photos;
        use PhotoKind::*;
        assert_eq!(
            photos(EmissionStage::Stage4, d(2023, 1, 1)),
            vec![MachinePlate, EnginePlate, EnvLabel, WholeMachine]
        );
        assert_eq!(
            photos(EmissionStage::Stage3, d(2020, 12, 1)),
            vec![MachinePlate, EnginePlate, EnvLabel, WholeMachine]
        );
        assert_eq!(photos(EmissionStage::Stage3, d(2020, 11, 30)), vec![MachinePlate, EnginePlate, WholeMachine]);
        assert_eq!(photos(EmissionStage::Stage3, None), vec![MachinePlate, EnginePlate, EnvLabel, WholeMachine]);
        assert_eq!(photos(EmissionStage::Stage2, d(2012, 1, 1)), vec![MachinePlate, EnginePlate, WholeMachine]);
        assert_eq!(photos(EmissionStage::Electric, d(2024, 1, 1)), vec![MachinePlate, WholeMachine]);
        assert_eq!(
            filing_needs(EmissionStage::Stage4, None).fields,
            vec!["env_code", "engine_serial", "manufactured_on"]
        );
        assert_eq!(filing_needs(EmissionStage::Stage3, None).fields, vec!["engine_serial", "manufactured_on"]);
        assert_eq!(filing_needs(EmissionStage::Electric, None).fields, vec!["manufactured_on"]);
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    fn codes(errors: &FieldErrors, field: &str) -> Vec<String> {
        errors.0.get(field).map(|v| v.iter().map(|e| e.code.as_str().to_owned()).collect()).unwrap_or_default()
    }

    #[test]
    fn a_valid_machine_passes_and_is_normalised() {
        let mut m = MachineInput::example();
        m.pin = Some(" cat0320dxyz12345 ".into());
        m.brand = Some("  ".into());
        let errors = validate(&mut m, today());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(m.pin.as_deref(), Some("CAT0320DXYZ12345"));
        assert_eq!(m.brand, None);
    }

    #[test]
    fn env_code_is_17_of_digits_and_capitals() {
        assert!(check_env_code("CN1234567890ABCDE").is_ok());
        assert_eq!(check_env_code("CN1234567890ABCD").map_err(|e| e.code.as_str()), Err("env_code_length"));
        assert_eq!(check_env_code("CN1234567890ABCD*").map_err(|e| e.params["position"].clone()), Err("17".into()));
        let mut m = MachineInput::example();
        m.env_code = Some("cn1234567890abcde".into());
        assert!(validate(&mut m, today()).is_empty(), "lower case is normalised");
    }

    #[test]
    fn pin_and_engine_serial_character_sets() {
        assert!(check_pin("SY215C-10086").is_ok());
        assert!(check_pin("SY2").is_err());
        assert_eq!(check_pin("SY 215").map_err(|e| e.code.as_str()), Err("bad_char"));
        assert!(check_pin(&"A".repeat(41)).is_err());
        assert!(check_engine_serial("4BG1/123-45").is_ok());
        assert!(check_engine_serial("4B#1").is_err());
    }

    #[test]
    fn power_range() {
        assert!(check_power(0.1).is_ok());
        assert!(check_power(10_000.0).is_ok());
        for bad in [0.0, -1.0, 10_000.1, f64::NAN, f64::INFINITY] {
            assert!(check_power(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn manufacture_date_not_in_future() {
        let mut m = MachineInput::example();
        m.manufactured_on = NaiveDate::from_ymd_opt(2026, 11, 29);
        assert_eq!(codes(&validate(&mut m, today()), "manufactured_on"), vec!["date_in_future"]);
        m.manufactured_on = Some(today());
        assert!(validate(&mut m, today()).is_empty());
    }

    #[test]
    fn electric_fuel_if_and_only_if_electric_stage() {
        let mut m = MachineInput::example();
        m.fuel_type = FuelType::Electric;
        assert_eq!(codes(&validate(&mut m, today()), "fuel_type"), vec!["electric_mismatch"]);
        m.emission_stage = EmissionStage::Electric;
        assert!(validate(&mut m, today()).is_empty());
        m.fuel_type = FuelType::Diesel;
        assert_eq!(codes(&validate(&mut m, today()), "fuel_type"), vec!["electric_mismatch"]);
    }

    #[test]
    fn at_least_one_identifier_and_a_name() {
        let mut m = MachineInput::example();
        m.pin = None;
        m.env_code = None;
        m.engine_serial = None;
        m.name = " ".into();
        let errors = validate(&mut m, today());
        assert_eq!(codes(&errors, "pin"), vec!["identifier_required"]);
        assert_eq!(codes(&errors, "name"), vec!["required"]);
    }
}
