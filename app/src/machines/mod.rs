//! The machine fleet of a construction unit: the shared types and rules, the pages, and
//! (behind `ssr`) the service and REST handlers.

pub mod facts;
pub mod import;
pub mod names;
pub mod regcode;
pub mod rules;

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod labels;
#[cfg(feature = "ssr")]
pub mod photos;
#[cfg(feature = "ssr")]
pub mod registry;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Emission stage (GB 20891), wire values of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmissionStage {
    PreStandard,
    #[serde(rename = "stage_1")]
    Stage1,
    #[serde(rename = "stage_2")]
    Stage2,
    #[serde(rename = "stage_3")]
    Stage3,
    #[serde(rename = "stage_4")]
    Stage4,
    Electric,
}

impl EmissionStage {
    /// Every stage, oldest first.
    pub const ALL: [EmissionStage; 6] = [
        EmissionStage::PreStandard,
        EmissionStage::Stage1,
        EmissionStage::Stage2,
        EmissionStage::Stage3,
        EmissionStage::Stage4,
        EmissionStage::Electric,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            EmissionStage::PreStandard => "pre_standard",
            EmissionStage::Stage1 => "stage_1",
            EmissionStage::Stage2 => "stage_2",
            EmissionStage::Stage3 => "stage_3",
            EmissionStage::Stage4 => "stage_4",
            EmissionStage::Electric => "electric",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The rank for "at least stage N" comparisons (electric counts as newest).
    pub fn rank(self) -> u8 {
        match self {
            EmissionStage::PreStandard => 0,
            EmissionStage::Stage1 => 1,
            EmissionStage::Stage2 => 2,
            EmissionStage::Stage3 => 3,
            EmissionStage::Stage4 => 4,
            EmissionStage::Electric => 5,
        }
    }
}

/// Fuel, wire values of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FuelType {
    Diesel,
    Petrol,
    Electric,
    NaturalGas,
    Other,
}

impl FuelType {
    /// Every fuel.
    pub const ALL: [FuelType; 5] =
        [FuelType::Diesel, FuelType::Petrol, FuelType::Electric, FuelType::NaturalGas, FuelType::Other];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            FuelType::Diesel => "diesel",
            FuelType::Petrol => "petrol",
            FuelType::Electric => "electric",
            FuelType::NaturalGas => "natural_gas",
            FuelType::Other => "other",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// The four photos a machine carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// 整机铭牌
    MachinePlate,
    /// 发动机铭牌
    EnginePlate,
    /// 环保信息标签
    EnvLabel,
    /// 整机照片
    WholeMachine,
}

impl PhotoKind {
    /// Every kind, in the order the form shows them.
    pub const ALL: [PhotoKind; 4] =
        [PhotoKind::MachinePlate, PhotoKind::EnginePlate, PhotoKind::EnvLabel, PhotoKind::WholeMachine];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoKind::MachinePlate => "machine_plate",
            PhotoKind::EnginePlate => "engine_plate",
            PhotoKind::EnvLabel => "env_label",
            PhotoKind::WholeMachine => "whole_machine",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A photo on file (the answer to an upload, and the items of the photo list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MachinePhoto {
    pub kind: PhotoKind,
    /// The media type of the original, decided from its bytes: `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// Pixel size of the original as displayed (after its EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// Size of the original in bytes, as uploaded.
    pub size_bytes: u64,
    pub uploaded_at: DateTime<Utc>,
    pub urls: PhotoUrls,
}

/// Where a photo is read from; each URL names this upload, so a replaced photo gets new URLs
/// (the responses may be cached for an hour).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PhotoUrls {
    /// The bytes as uploaded.
    pub original: String,
    /// A JPEG copy whose longest side is at most 1280 pixels, for pages.
    pub web: String,
}

/// A machine as submitted (API.md `POST /machines`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MachineInput {
    pub machine_type: String,
    pub name: String,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub pin: Option<String>,
    #[serde(default)]
    pub env_code: Option<String>,
    #[serde(default)]
    pub info_disclosure_no: Option<String>,
    #[serde(default)]
    pub engine_model: Option<String>,
    #[serde(default)]
    pub engine_serial: Option<String>,
    #[serde(default)]
    pub engine_maker: Option<String>,
    #[serde(default)]
    pub engine_approval_no: Option<String>,
    pub emission_stage: EmissionStage,
    pub fuel_type: FuelType,
    #[cfg_attr(feature = "ssr", schema(exclusive_minimum = 0.0, maximum = 10000.0))]
    pub rated_power_kw: f64,
    #[serde(default)]
    pub manufactured_on: Option<NaiveDate>,
    #[serde(default)]
    pub dpf_fitted: bool,
    #[serde(default)]
    pub dpf_model: Option<String>,
    #[serde(default)]
    pub dpf_maker: Option<String>,
    #[serde(default)]
    pub dpf_fitted_on: Option<NaiveDate>,
    #[serde(default)]
    pub obd_fitted: bool,
    #[serde(default)]
    pub remote_terminal: bool,
}

impl MachineInput {
    /// A complete, valid example (documentation, tests, the empty form's defaults).
    pub fn example() -> Self {
        MachineInput {
            machine_type: "excavator".into(),
            name: "1号挖掘机".into(),
            brand: Some("三一".into()),
            model: Some("SY215C".into()),
            pin: Some("SY215C10086".into()),
            env_code: Some("CN1234567890ABCDE".into()),
            info_disclosure_no: None,
            engine_model: Some("4BG1".into()),
            engine_serial: Some("4BG1-778899".into()),
            engine_maker: Some("五十铃".into()),
            engine_approval_no: None,
            emission_stage: EmissionStage::Stage4,
            fuel_type: FuelType::Diesel,
            rated_power_kw: 118.0,
            manufactured_on: NaiveDate::from_ymd_opt(2023, 5, 1),
            dpf_fitted: true,
            dpf_model: None,
            dpf_maker: None,
            dpf_fitted_on: None,
            obd_fitted: true,
            remote_terminal: false,
        }
    }
}

/// A machine to register (`POST /api/v1/machines`): its facts and, from a form, the request id
/// it generated when shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewMachine {
    #[serde(flatten)]
    pub machine: MachineInput,
    /// Generated by the client once per form shown: a request repeating it (a double tap, a
    /// retry) returns the machine first registered with it and registers nothing (`request_ids`).
    #[serde(default)]
    pub request_id: Option<Uuid>,
}

impl From<MachineInput> for NewMachine {
    fn from(machine: MachineInput) -> Self {
        NewMachine { machine, request_id: None }
    }
}

/// A machine as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Machine {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub version: i32,
    /// Issued when a filing with this machine is accepted; `null` until then.
    pub registration_code: Option<String>,
    pub registered_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub data: MachineInput,
    /// The photo kinds on file.
    pub photos: Vec<PhotoKind>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One entry of the machine-type list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MachineTypeInfo {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// Filters of the machine list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct MachineFilter {
    /// Text in name, PIN, environmental code, engine serial or registration code.
    pub q: Option<String>,
    pub machine_type: Option<String>,
    pub emission_stage: Option<String>,
    /// `true`: only machines with a registration code; `false`: only without.
    pub registered: Option<bool>,
}
