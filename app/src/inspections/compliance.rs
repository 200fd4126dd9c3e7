//! The compliance verdict (API.md "Compliance rule"): one pure function of the machine, the
//! readings, the limit table in force (rows as data) and the zone rule. It runs on the
//! inspector's phone as they type and on the server when an inspection is recorded, so the two
//! can never disagree. It reads no clock and no database: the caller picks the table and zone.

use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::machines::{EmissionStage, FuelType, rules};
use serde::{Deserialize, Serialize};

/// The most opacity readings one test may carry (the rule judges the last three).
pub const MAX_READINGS: usize = 20;
/// The darkest level of the Ringelmann chart.
pub const RINGELMANN_MAX_LEVEL: i32 = 5;
/// Readings needed for an opacity verdict.
pub const READINGS_JUDGED: usize = 3;

/// A smoke-limit class of GB 36886-2018 (wire values `I`, `II`, `III`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum LimitClass {
    I,
    II,
    III,
}

impl LimitClass {
    /// Every class, laxest first.
    pub const ALL: [LimitClass; 3] = [LimitClass::I, LimitClass::II, LimitClass::III];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitClass::I => "I",
            LimitClass::II => "II",
            LimitClass::III => "III",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// The class of a machine outside any zone: stage III and later → II, older → I.
    pub fn for_stage(stage: EmissionStage) -> LimitClass {
        if stage.rank() >= EmissionStage::Stage3.rank() { LimitClass::II } else { LimitClass::I }
    }

    /// The next laxer class.
    fn laxer(self) -> Option<LimitClass> {
        match self {
            LimitClass::I => None,
            LimitClass::II => Some(LimitClass::I),
            LimitClass::III => Some(LimitClass::II),
        }
    }
}

/// One row of a limit table: a class and a power band `[power_min_kw, power_max_kw)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LimitRow {
    pub class: LimitClass,
    /// Inclusive lower bound (kW); `null`: from 0.
    #[serde(default)]
    pub power_min_kw: Option<f64>,
    /// Exclusive upper bound (kW); `null`: no upper bound.
    #[serde(default)]
    pub power_max_kw: Option<f64>,
    /// The light-absorption coefficient limit, m⁻¹ (a mean equal to it passes).
    pub k_limit: f64,
    /// The darkest Ringelmann level that still passes.
    pub ringelmann_max: i32,
}

impl LimitRow {
    /// Whether the band holds `power_kw` (lower bound inclusive, upper exclusive).
    pub fn covers(&self, power_kw: f64) -> bool {
        self.power_min_kw.is_none_or(|min| power_kw >= min) && self.power_max_kw.is_none_or(|max| power_kw < max)
    }
}

/// The row of `class` whose band holds `power_kw`.
pub fn row_for(table: &[LimitRow], class: LimitClass, power_kw: f64) -> Option<&LimitRow> {
    table.iter().find(|r| r.class == class && r.covers(power_kw))
}

/// What a low-emission zone demands (the zone data of the site's county at the time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZoneRule {
    /// Diesel machines below this stage may not work in the zone.
    pub min_diesel_stage: EmissionStage,
    /// The smoke class applied inside, where the table has a row of it for the power.
    pub required_class: LimitClass,
}

impl ZoneRule {
    /// The rule for a site marked as in a zone when the county has no zone data: the strictest
    /// common rule (Taiyuan 2023): diesel stage III or later, class III.
    pub const DEFAULT: ZoneRule = ZoneRule { min_diesel_stage: EmissionStage::Stage3, required_class: LimitClass::III };

    /// Whether a machine's stage is allowed in the zone (only diesel machines are restricted).
    pub fn allows(&self, fuel: FuelType, stage: EmissionStage) -> bool {
        crate::filings::precheck::zone_allows(self.min_diesel_stage, fuel == FuelType::Diesel, stage)
    }
}

/// `POST /compliance/evaluate`: the machine and the readings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvaluateInput {
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    #[cfg_attr(feature = "ssr", schema(exclusive_minimum = 0.0, maximum = 10000.0))]
    pub rated_power_kw: f64,
    /// Opacity readings k (m⁻¹) in the order taken; the mean of the last three is judged.
    #[serde(default)]
    pub opacity_readings: Option<Vec<f64>>,
    /// Ringelmann blackness level, 0–5.
    #[serde(default)]
    pub ringelmann_level: Option<i32>,
    /// Whether the machine works in a low-emission zone.
    #[serde(default)]
    pub low_emission_zone: Option<bool>,
    /// The county whose zone data applies (server only; without it a zone gets the default rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county_code: Option<String>,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Exempt,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 3] = [Verdict::Pass, Verdict::Fail, Verdict::Exempt];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Exempt => "exempt",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == value)
    }
}

/// Why a verdict is what it is (codes the locale files translate: `reasons.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Electric machines have no exhaust: no smoke test.
    ElectricExempt,
    /// The mean of the last three opacity readings is above the limit.
    OpacityOverLimit,
    /// The Ringelmann level is above the table's maximum.
    RingelmannOverLimit,
    /// A diesel machine below the zone's lowest allowed stage, inside a low-emission zone.
    StageBannedInZone,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 4] =
        [Reason::ElectricExempt, Reason::OpacityOverLimit, Reason::RingelmannOverLimit, Reason::StageBannedInZone];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ElectricExempt => "electric_exempt",
            Reason::OpacityOverLimit => "opacity_over_limit",
            Reason::RingelmannOverLimit => "ringelmann_over_limit",
            Reason::StageBannedInZone => "stage_banned_in_zone",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    /// Whether this reason is about the smoke (as opposed to the zone's stage rule).
    pub fn is_smoke(self) -> bool {
        matches!(self, Reason::OpacityOverLimit | Reason::RingelmannOverLimit)
    }
}

/// The outcome (API.md: `{verdict, limit_class, limit_k?, mean_k?, reasons}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub verdict: Verdict,
    /// The class judged against; `null` for an exempt (electric) machine.
    pub limit_class: Option<LimitClass>,
    /// The k limit of that class and power band (m⁻¹).
    pub limit_k: Option<f64>,
    /// The mean of the last three opacity readings, when opacity was measured.
    pub mean_k: Option<f64>,
    /// The darkest Ringelmann level allowed by that row.
    pub ringelmann_max: Option<i32>,
    /// Why it failed or is exempt; empty for a pass.
    pub reasons: Vec<Reason>,
    /// Whether the zone rule was applied.
    pub low_emission_zone: bool,
    /// The zone's lowest allowed diesel stage, when a zone rule was applied.
    pub zone_min_stage: Option<EmissionStage>,
}

/// The machine as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MachineFacts {
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    pub rated_power_kw: f64,
}

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Readings<'a> {
    pub opacity: Option<&'a [f64]>,
    pub ringelmann: Option<i32>,
}

/// The mean of the last three readings, with binary floating-point noise removed (rounded to
/// 1e-6), so that readings whose decimal mean equals the limit pass: (0.7 + 0.8 + 0.9) / 3 is
/// 0.8000000000000002 in binary arithmetic but 0.8 on the meter.
pub fn mean_of_last_three(readings: &[f64]) -> Option<f64> {
    if readings.len() < READINGS_JUDGED {
        return None;
    }
    let last = &readings[readings.len() - READINGS_JUDGED..];
    let mean = last.iter().sum::<f64>() / READINGS_JUDGED as f64;
    Some((mean * 1e6).round() / 1e6)
}

/// Checks the readings alone (finite, not negative, Ringelmann 0–5, at most 20 opacity values).
pub fn check_readings(readings: Readings<'_>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let Some(values) = readings.opacity {
        if values.len() > MAX_READINGS {
            errors.add("opacity_readings", FieldError::new(FieldCode::TooMany).with("max", MAX_READINGS));
        } else if let Some((i, _)) = values.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
            errors.add("opacity_readings", FieldError::new(FieldCode::ReadingInvalid).with("position", i + 1));
        }
    }
    if let Some(level) = readings.ringelmann
        && !(0..=RINGELMANN_MAX_LEVEL).contains(&level)
    {
        errors.add("ringelmann_level", FieldError::new(FieldCode::RingelmannRange).with("max", RINGELMANN_MAX_LEVEL));
    }
    errors
}

/// The class judged: outside a zone (`required` is `None`) the machine's own; inside, the
/// zone's required class where the table has a row of it for the power, else the next laxer
/// class that has one (never laxer than the machine's own): class III for P ≥ 37 kW, class II
/// below.
fn judged_class(table: &[LimitRow], own: LimitClass, required: Option<LimitClass>, power: f64) -> LimitClass {
    let Some(required) = required else { return own };
    let mut class = Ord::max(own, required);
    while class > own && row_for(table, class, power).is_none() {
        match class.laxer() {
            Some(next) => class = next,
            None => break,
        }
    }
    class
}

/// The row of `table` (with its index) that judges a machine of class `own` and power
/// `power_kw`, inside a zone requiring `required` when that is `Some`: the one rule of
/// [`evaluate`], also used to hold a local table against the table it narrows.
pub fn judged_row(
    table: &[LimitRow],
    own: LimitClass,
    required: Option<LimitClass>,
    power_kw: f64,
) -> Option<(usize, &LimitRow)> {
    let class = judged_class(table, own, required, power_kw);
    table.iter().enumerate().find(|(_, r)| r.class == class && r.covers(power_kw))
}

/// The verdict for a machine and its readings against `table`, inside the zone `zone` when it
/// is `Some`. Errors are the 422 field errors of API.md: no readings at all, fewer than three
/// opacity readings, readings that are not finite or negative, Ringelmann outside 0–5, power
/// out of range, electric fuel with a combustion stage (or the reverse).
pub fn evaluate(
    machine: MachineFacts,
    readings: Readings<'_>,
    table: &[LimitRow],
    zone: Option<ZoneRule>,
) -> Result<Evaluation, FieldErrors> {
    let mut errors = check_readings(readings);
    if let Err(e) = rules::check_power(machine.rated_power_kw) {
        errors.add("rated_power_kw", e);
    }
    if let Err(e) = rules::check_fuel_stage(machine.fuel_type, machine.emission_stage) {
        errors.add("fuel_type", e);
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let in_zone = zone.is_some();
    if machine.emission_stage == EmissionStage::Electric || machine.fuel_type == FuelType::Electric {
        return Ok(Evaluation {
            verdict: Verdict::Exempt,
            limit_class: None,
            limit_k: None,
            mean_k: None,
            ringelmann_max: None,
            reasons: vec![Reason::ElectricExempt],
            low_emission_zone: in_zone,
            zone_min_stage: zone.map(|z| z.min_diesel_stage),
        });
    }

    let opacity = readings.opacity.filter(|v| !v.is_empty());
    match (opacity, readings.ringelmann) {
        (None, None) => {
            return Err(FieldErrors::single("opacity_readings", FieldError::new(FieldCode::ReadingsRequired)));
        }
        (Some(v), _) if v.len() < READINGS_JUDGED => {
            return Err(FieldErrors::single(
                "opacity_readings",
                FieldError::new(FieldCode::TooFewReadings).with("min", READINGS_JUDGED),
            ));
        }
        _ => {}
    }

    let power = machine.rated_power_kw;
    let own = LimitClass::for_stage(machine.emission_stage);
    let required = zone.map(|z| z.required_class);
    let Some((_, row)) = judged_row(table, own, required, power) else {
        let class = judged_class(table, own, required, power);
        return Err(FieldErrors::single(
            "rated_power_kw",
            FieldError::new(FieldCode::NoLimitRow).with("class", class.as_str()),
        ));
    };

    let mut reasons = Vec::new();
    let mean_k = opacity.and_then(mean_of_last_three);
    if mean_k.is_some_and(|m| m > row.k_limit) {
        reasons.push(Reason::OpacityOverLimit);
    }
    if readings.ringelmann.is_some_and(|level| level > row.ringelmann_max) {
        reasons.push(Reason::RingelmannOverLimit);
    }
    if let Some(z) = zone
        && !z.allows(machine.fuel_type, machine.emission_stage)
    {
        reasons.push(Reason::StageBannedInZone);
    }
    Ok(Evaluation {
        verdict: if reasons.is_empty() { Verdict::Pass } else { Verdict::Fail },
        limit_class: Some(row.class),
        limit_k: Some(row.k_limit),
        mean_k,
        ringelmann_max: Some(row.ringelmann_max),
        reasons,
        low_emission_zone: in_zone,
        zone_min_stage: zone.map(|z| z.min_diesel_stage),
    })
}

impl EvaluateInput {
    /// The machine part.
    pub fn machine(&self) -> MachineFacts {
        MachineFacts {
            emission_stage: self.emission_stage,
            fuel_type: self.fuel_type,
            rated_power_kw: self.rated_power_kw,
        }
    }

    /// The readings part.
    pub fn readings(&self) -> Readings<'_> {
        Readings { opacity: self.opacity_readings.as_deref(), ringelmann: self.ringelmann_level }
    }

    /// Evaluates against `table`; `zone_data` is the zone rule of the county, when known (a
    /// machine in a zone without zone data gets [`ZoneRule::DEFAULT`]).
    pub fn evaluate(&self, table: &[LimitRow], zone_data: Option<ZoneRule>) -> Result<Evaluation, FieldErrors> {
        let zone = self.low_emission_zone.unwrap_or(false).then(|| zone_data.unwrap_or(ZoneRule::DEFAULT));
        evaluate(self.machine(), self.readings(), table, zone)
    }
}

/// The default table of DOMAIN.md (GB 36886-2018 as commonly quoted), for tests and for the
/// seed migration's documentation. The server always reads the table from the database.
pub fn gb36886_2018() -> Vec<LimitRow> {
    let row = |class, min: Option<f64>, max: Option<f64>, k| LimitRow {
        class,
        power_min_kw: min,
        power_max_kw: max,
        k_limit: k,
        ringelmann_max: 1,
    };
    vec![
        row(LimitClass::I, None, Some(19.0), 3.00),
        row(LimitClass::I, Some(19.0), Some(37.0), 2.00),
        row(LimitClass::I, Some(37.0), None, 1.61),
        row(LimitClass::II, None, Some(19.0), 2.00),
        row(LimitClass::II, Some(19.0), Some(37.0), 1.00),
        row(LimitClass::II, Some(37.0), None, 0.80),
        row(LimitClass::III, Some(37.0), None, 0.50),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use EmissionStage as S;

    fn diesel(stage: EmissionStage, kw: f64) -> MachineFacts {
        MachineFacts { emission_stage: stage, fuel_type: FuelType::Diesel, rated_power_kw: kw }
    }

    fn opacity(values: &[f64]) -> Readings<'_> {
        Readings { opacity: Some(values), ringelmann: None }
    }

    fn run(m: MachineFacts, r: Readings<'_>, zone: Option<ZoneRule>) -> Evaluation {
        evaluate(m, r, &gb36886_2018(), zone).unwrap()
    }

    fn error_code(result: Result<Evaluation, FieldErrors>, field: &str) -> String {
        result.unwrap_err().first(field).map(|e| e.code.as_str().to_owned()).unwrap_or_default()
    }

    #[test]
    fn every_class_and_power_band_has_its_limit() {
        // (stage, power, class, limit)
        let cases = [
            (S::PreStandard, 10.0, LimitClass::I, 3.00),
            (S::Stage1, 25.0, LimitClass::I, 2.00),
            (S::Stage2, 100.0, LimitClass::I, 1.61),
            (S::Stage3, 10.0, LimitClass::II, 2.00),
            (S::Stage3, 25.0, LimitClass::II, 1.00),
            (S::Stage4, 100.0, LimitClass::II, 0.80),
        ];
        for (stage, kw, class, limit) in cases {
            let e = run(diesel(stage, kw), opacity(&[0.1, 0.1, 0.1]), None);
            assert_eq!(
                (e.limit_class, e.limit_k, e.verdict),
                (Some(class), Some(limit), Verdict::Pass),
                "{stage:?} {kw}"
            );
        }
        // Class III through a zone, for the top band.
        let e = run(diesel(S::Stage4, 100.0), opacity(&[0.5, 0.5, 0.5]), Some(ZoneRule::DEFAULT));
        assert_eq!((e.limit_class, e.limit_k, e.verdict), (Some(LimitClass::III), Some(0.50), Verdict::Pass));
    }

    #[test]
    fn band_edges_19_37_and_560_kw() {
        let limit = |stage, kw| run(diesel(stage, kw), opacity(&[0.0, 0.0, 0.0]), None).limit_k;
        assert_eq!(limit(S::Stage2, 18.99), Some(3.00));
        assert_eq!(limit(S::Stage2, 19.0), Some(2.00), "19 kW is the middle band");
        assert_eq!(limit(S::Stage2, 36.99), Some(2.00));
        assert_eq!(limit(S::Stage2, 37.0), Some(1.61), "37 kW is the top band");
        assert_eq!(limit(S::Stage4, 19.0), Some(1.00));
        assert_eq!(limit(S::Stage4, 37.0), Some(0.80));
        assert_eq!(limit(S::Stage4, 560.0), Some(0.80));
        assert_eq!(limit(S::Stage2, 560.0), Some(1.61));
        let zoned = run(diesel(S::Stage4, 37.0), opacity(&[0.0, 0.0, 0.0]), Some(ZoneRule::DEFAULT));
        assert_eq!((zoned.limit_class, zoned.limit_k), (Some(LimitClass::III), Some(0.50)));
        let zoned = run(diesel(S::Stage4, 560.0), opacity(&[0.0, 0.0, 0.0]), Some(ZoneRule::DEFAULT));
        assert_eq!(zoned.limit_k, Some(0.50));
    }

    #[test]
    fn the_mean_of_the_last_three_is_judged_and_equal_to_the_limit_passes() {
        // Early high readings do not count; the last three average exactly 0.80.
        let e = run(diesel(S::Stage4, 100.0), opacity(&[3.0, 2.5, 0.7, 0.8, 0.9]), None);
        assert_eq!(e.mean_k, Some(0.8));
        assert_eq!(e.verdict, Verdict::Pass);
        assert!(e.reasons.is_empty());
        let e = run(diesel(S::Stage4, 100.0), opacity(&[0.80, 0.80, 0.81]), None);
        assert_eq!(e.verdict, Verdict::Fail);
        assert_eq!(e.reasons, vec![Reason::OpacityOverLimit]);
        // A class I limit exactly met, in the middle band.
        let e = run(diesel(S::Stage1, 19.0), opacity(&[1.9, 2.1, 2.0]), None);
        assert_eq!((e.mean_k, e.verdict), (Some(2.0), Verdict::Pass));
    }

    #[test]
    fn fewer_than_three_readings_or_none_at_all_is_422() {
        let table = gb36886_2018();
        let m = diesel(S::Stage4, 100.0);
        assert_eq!(error_code(evaluate(m, opacity(&[0.5, 0.5]), &table, None), "opacity_readings"), "too_few_readings");
        assert_eq!(error_code(evaluate(m, opacity(&[0.5]), &table, None), "opacity_readings"), "too_few_readings");
        let none = Readings { opacity: None, ringelmann: None };
        assert_eq!(error_code(evaluate(m, none, &table, None), "opacity_readings"), "readings_required");
        let empty = Readings { opacity: Some(&[]), ringelmann: None };
        assert_eq!(error_code(evaluate(m, empty, &table, None), "opacity_readings"), "readings_required");
        // Two opacity readings are not saved by a Ringelmann level.
        let both = Readings { opacity: Some(&[0.1, 0.1]), ringelmann: Some(0) };
        assert_eq!(error_code(evaluate(m, both, &table, None), "opacity_readings"), "too_few_readings");
        // A Ringelmann level alone is a complete test.
        let alone = Readings { opacity: None, ringelmann: Some(1) };
        let e = evaluate(m, alone, &table, None).unwrap();
        assert_eq!((e.verdict, e.mean_k, e.limit_k), (Verdict::Pass, None, Some(0.80)));
    }

    #[test]
    fn readings_must_be_finite_and_not_negative() {
        let table = gb36886_2018();
        let m = diesel(S::Stage4, 100.0);
        for bad in [f64::NAN, f64::INFINITY, -0.01] {
            let values = [0.1, bad, 0.1];
            let err = evaluate(m, opacity(&values), &table, None).unwrap_err();
            let e = err.first("opacity_readings").unwrap();
            assert_eq!((e.code.as_str(), e.params["position"].as_str()), ("reading_invalid", "2"), "{bad}");
        }
        let many = [0.1; MAX_READINGS + 1];
        assert_eq!(error_code(evaluate(m, opacity(&many), &table, None), "opacity_readings"), "too_many");
        for level in [-1, 6] {
            let r = Readings { opacity: None, ringelmann: Some(level) };
            assert_eq!(error_code(evaluate(m, r, &table, None), "ringelmann_level"), "ringelmann_range");
        }
        let zero = [0.0, 0.0, 0.0];
        assert_eq!(run(m, opacity(&zero), None).verdict, Verdict::Pass);
    }

    #[test]
    fn electric_machines_are_exempt_without_readings() {
        let m = MachineFacts { emission_stage: S::Electric, fuel_type: FuelType::Electric, rated_power_kw: 50.0 };
        let e = run(m, Readings { opacity: None, ringelmann: None }, Some(ZoneRule::DEFAULT));
        assert_eq!(e.verdict, Verdict::Exempt);
        assert_eq!(e.reasons, vec![Reason::ElectricExempt]);
        assert_eq!((e.limit_class, e.limit_k, e.mean_k), (None, None, None));
        // Electric fuel with a combustion stage is a contradiction, not an exemption.
        let bad = MachineFacts { emission_stage: S::Stage4, fuel_type: FuelType::Electric, rated_power_kw: 50.0 };
        let r = evaluate(bad, Readings { opacity: None, ringelmann: None }, &gb36886_2018(), None);
        assert_eq!(error_code(r, "fuel_type"), "electric_mismatch");
    }

    #[test]
    fn ringelmann_above_one_fails() {
        let m = diesel(S::Stage4, 100.0);
        let at = |level| run(m, Readings { opacity: Some(&[0.1, 0.1, 0.1]), ringelmann: Some(level) }, None);
        assert_eq!(at(0).verdict, Verdict::Pass);
        assert_eq!(at(1).verdict, Verdict::Pass);
        let two = at(2);
        assert_eq!(two.verdict, Verdict::Fail);
        assert_eq!(two.reasons, vec![Reason::RingelmannOverLimit]);
        assert_eq!(two.ringelmann_max, Some(1));
        // Both measures over the limit: both reasons.
        let both = run(m, Readings { opacity: Some(&[2.0, 2.0, 2.0]), ringelmann: Some(3) }, None);
        assert_eq!(both.reasons, vec![Reason::OpacityOverLimit, Reason::RingelmannOverLimit]);
    }

    #[test]
    fn a_stage_two_diesel_fails_outright_in_a_zone() {
        let e = run(diesel(S::Stage2, 100.0), opacity(&[0.1, 0.1, 0.1]), Some(ZoneRule::DEFAULT));
        assert_eq!(e.verdict, Verdict::Fail);
        assert_eq!(e.reasons, vec![Reason::StageBannedInZone]);
        assert_eq!(e.limit_class, Some(LimitClass::III));
        assert_eq!(e.zone_min_stage, Some(S::Stage3));
        // The same machine outside the zone passes with class I.
        let e = run(diesel(S::Stage2, 100.0), opacity(&[0.1, 0.1, 0.1]), None);
        assert_eq!((e.verdict, e.limit_class), (Verdict::Pass, Some(LimitClass::I)));
        // A stage II petrol machine is not banned, but judged by the zone's class.
        let petrol = MachineFacts { emission_stage: S::Stage2, fuel_type: FuelType::Petrol, rated_power_kw: 100.0 };
        let e = run(petrol, opacity(&[0.6, 0.6, 0.6]), Some(ZoneRule::DEFAULT));
        assert_eq!((e.verdict, e.reasons.clone()), (Verdict::Fail, vec![Reason::OpacityOverLimit]));
        // A two-tier city's general zone (stage II allowed, class II required).
        let general = ZoneRule { min_diesel_stage: S::Stage2, required_class: LimitClass::II };
        let e = run(diesel(S::Stage2, 100.0), opacity(&[0.8, 0.8, 0.8]), Some(general));
        assert_eq!((e.verdict, e.limit_class, e.limit_k), (Verdict::Pass, Some(LimitClass::II), Some(0.80)));
    }

    #[test]
    fn a_30_kw_stage_three_machine_in_a_zone_keeps_its_class_two_row() {
        let e = run(diesel(S::Stage3, 30.0), opacity(&[1.0, 1.0, 1.0]), Some(ZoneRule::DEFAULT));
        assert_eq!((e.verdict, e.limit_class, e.limit_k), (Verdict::Pass, Some(LimitClass::II), Some(1.00)));
        assert!(e.low_emission_zone);
        let e = run(diesel(S::Stage3, 30.0), opacity(&[1.0, 1.0, 1.1]), Some(ZoneRule::DEFAULT));
        assert_eq!(e.verdict, Verdict::Fail);
        // Below 19 kW as well; and a class I machine under 37 kW in a zone gets class II too.
        let e = run(diesel(S::Stage4, 10.0), opacity(&[0.0, 0.0, 0.0]), Some(ZoneRule::DEFAULT));
        assert_eq!((e.limit_class, e.limit_k), (Some(LimitClass::II), Some(2.00)));
        let petrol = MachineFacts { emission_stage: S::Stage1, fuel_type: FuelType::Petrol, rated_power_kw: 30.0 };
        let e = run(petrol, opacity(&[0.0, 0.0, 0.0]), Some(ZoneRule::DEFAULT));
        assert_eq!((e.limit_class, e.limit_k), (Some(LimitClass::II), Some(1.00)));
    }

    #[test]
    fn the_input_applies_the_default_zone_rule_without_zone_data() {
        let input = EvaluateInput {
            emission_stage: S::Stage2,
            fuel_type: FuelType::Diesel,
            rated_power_kw: 80.0,
            opacity_readings: Some(vec![0.2, 0.2, 0.2]),
            ringelmann_level: None,
            low_emission_zone: Some(true),
            county_code: None,
        };
        let e = input.evaluate(&gb36886_2018(), None).unwrap();
        assert_eq!(e.reasons, vec![Reason::StageBannedInZone]);
        let outside = EvaluateInput { low_emission_zone: None, ..input.clone() };
        assert_eq!(outside.evaluate(&gb36886_2018(), Some(ZoneRule::DEFAULT)).unwrap().verdict, Verdict::Pass);
    }

    #[test]
    fn the_limits_come_from_the_table() {
        let mut table = gb36886_2018();
        for r in &mut table {
            r.k_limit /= 2.0;
        }
        let e = evaluate(diesel(S::Stage4, 100.0), opacity(&[0.5, 0.5, 0.5]), &table, None).unwrap();
        assert_eq!((e.limit_k, e.verdict), (Some(0.40), Verdict::Fail));
        let err = evaluate(diesel(S::Stage4, 100.0), opacity(&[0.5, 0.5, 0.5]), &[], None).unwrap_err();
        assert_eq!(err.first("rated_power_kw").map(|e| e.code.as_str()), Some("no_limit_row"));
    }

    #[test]
    fn wire_values() {
        assert_eq!(serde_json::to_string(&LimitClass::III).unwrap(), "\"III\"");
        assert_eq!(serde_json::to_string(&Reason::StageBannedInZone).unwrap(), "\"stage_banned_in_zone\"");
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
        }
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
    }
}
