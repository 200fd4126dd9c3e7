//! The automatic pre-checks a construction unit sees before submitting, and an inspector sees
//! while reviewing: one pure function of the site's zone and the machines.

use super::FiledMachine;
use crate::machines::EmissionStage;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a pre-check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrecheckCode {
    /// A diesel machine below the zone's lowest allowed stage, on a site in a low-emission zone.
    StageNotAllowedInZone,
    /// Photos the registration needs are missing.
    MissingPhotos,
    /// Data the registration needs is missing.
    MissingData,
}

/// One finding about one machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Precheck {
    pub machine_id: Uuid,
    pub machine_name: String,
    pub code: PrecheckCode,
    /// What exactly: the missing photo kinds or fields, or the zone's lowest stage.
    pub detail: Vec<String>,
}

/// The facts about a machine the checks need beyond [`FiledMachine`].
#[derive(Debug, Clone, PartialEq)]
pub struct MachineFacts {
    pub machine: FiledMachine,
    pub fuel_is_diesel: bool,
    pub has_env_code: bool,
    pub has_engine_serial: bool,
    pub manufactured_on: Option<chrono::NaiveDate>,
}

/// Whether a machine may work in a zone whose lowest allowed diesel stage is `min_stage`.
/// Only diesel machines are restricted (Taiyuan 2023: "diesel machines of stage II or below").
pub fn zone_allows(min_stage: EmissionStage, diesel: bool, stage: EmissionStage) -> bool {
    !diesel || stage.rank() >= min_stage.rank()
}

/// Runs every pre-check. `zone_min_stage` is the lowest diesel stage allowed at the site, when
/// the site lies in a low-emission zone.
pub fn run(zone_min_stage: Option<EmissionStage>, machines: &[MachineFacts]) -> Vec<Precheck> {
    let mut out = Vec::new();
    for f in machines {
        let m = &f.machine;
        let mut push = |code, detail: Vec<String>| {
            out.push(Precheck { machine_id: m.id, machine_name: m.name.clone(), code, detail });
        };
        if let Some(min) = zone_min_stage
            && !zone_allows(min, f.fuel_is_diesel, m.emission_stage)
        {
            push(PrecheckCode::StageNotAllowedInZone, vec![min.as_str().to_owned()]);
        }
        let needs = crate::machines::rules::filing_needs(m.emission_stage, f.manufactured_on);
        let missing: Vec<String> =
            needs.photos.iter().filter(|k| !m.photos.contains(k)).map(|k| k.as_str().to_owned()).collect();
        if !missing.is_empty() {
            push(PrecheckCode::MissingPhotos, missing);
        }
        let filled = |field: &str| match field {
            "env_code" => f.has_env_code,
            "engine_serial" => f.has_engine_serial,
            "manufactured_on" => f.manufactured_on.is_some(),
            _ => true,
        };
        let fields: Vec<String> = needs.fields.into_iter().filter(|n| !filled(n)).map(str::to_owned).collect();
        if !fields.is_empty() {
            push(PrecheckCode::MissingData, fields);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machines::PhotoKind;

    fn facts(stage: EmissionStage, diesel: bool, photos: Vec<PhotoKind>) -> MachineFacts {
        MachineFacts {
            machine: FiledMachine {
                id: Uuid::nil(),
                name: "1号".into(),
                machine_type: "excavator".into(),
                emission_stage: stage,
                rated_power_kw: 100.0,
                registration_code: None,
                photos,
                left_on: None,
                left_at: None,
            },
            fuel_is_diesel: diesel,
            has_env_code: true,
            has_engine_serial: true,
            manufactured_on: chrono::NaiveDate::from_ymd_opt(2023, 1, 1),
        }
    }

    #[test]
    fn stage_two_diesel_is_not_allowed_in_a_stage_three_zone() {
        let all = PhotoKind::ALL.to_vec();
        let found = run(Some(EmissionStage::Stage3), &[facts(EmissionStage::Stage2, true, all.clone())]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].code, PrecheckCode::StageNotAllowedInZone);
        assert!(run(Some(EmissionStage::Stage3), &[facts(EmissionStage::Stage3, true, all.clone())]).is_empty());
        assert!(
            run(Some(EmissionStage::Stage3), &[facts(EmissionStage::Stage2, false, all.clone())]).is_empty(),
            "petrol"
        );
        assert!(run(None, &[facts(EmissionStage::Stage1, true, all)]).is_empty(), "outside a zone");
    }

    #[test]
    fn missing_photos_and_data_are_named() {
        let mut f = facts(EmissionStage::Stage4, true, vec![PhotoKind::WholeMachine]);
        f.has_env_code = false;
        f.manufactured_on = None;
        let found = run(None, &[f]);
        assert_eq!(found[0].code, PrecheckCode::MissingPhotos);
        assert_eq!(found[0].detail, vec!["machine_plate", "engine_plate", "env_label"]);
        assert_eq!(found[1].code, PrecheckCode::MissingData);
        assert_eq!(found[1].detail, vec!["env_code", "manufactured_on"]);
    }

    #[test]
    fn a_stage_two_machine_is_not_asked_for_a_label_photo() {
        let f = facts(
            EmissionStage::Stage2,
            true,
            vec![PhotoKind::MachinePlate, PhotoKind::EnginePlate, PhotoKind::WholeMachine],
        );
        assert!(run(None, &[f]).is_empty());
    }
}
