//! Bulk import of machines from a spreadsheet (CSV or XLSX): the file format (one column per
//! field of [`MachineInput`], Chinese headers), the accepted spellings of the enumerations, and
//! the per-row report. The rules a row must pass are the machine rules of [`super::rules`] and
//! the registry checks of the service: this module only turns cells into a [`MachineInput`].

pub mod pages;
pub mod values;

#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod template;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(doc)]
use super::MachineInput;

/// The most data rows one file may carry.
pub const MAX_ROWS: usize = 5_000;
/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// How a cell of a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Free text or an identifier.
    Text,
    /// A machine type: the wire code or its Chinese (or English) name.
    MachineType,
    /// An emission stage: the wire value or a Chinese spelling such as 国四.
    Stage,
    /// A fuel: the wire value or a Chinese spelling such as 柴油.
    Fuel,
    /// A decimal number.
    Number,
    /// A date: `YYYY-MM-DD` text or a date cell.
    Date,
    /// 是/否, true/false.
    Boolean,
}

/// One column of the import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportColumn {
    /// The field of [`MachineInput`] (and of the API's field errors).
    pub field: &'static str,
    /// The header in the template (and in the report's `column`).
    pub header: &'static str,
    /// Whether a row must fill it.
    pub required: bool,
    pub kind: ColumnKind,
}

const fn col(field: &'static str, header: &'static str, required: bool, kind: ColumnKind) -> ImportColumn {
    ImportColumn { field, header, required, kind }
}

/// The columns, in template order: one per field of [`MachineInput`].
pub const COLUMNS: [ImportColumn; 21] = [
    col("machine_type", "机械类型", true, ColumnKind::MachineType),
    col("name", "名称", true, ColumnKind::Text),
    col("brand", "品牌", false, ColumnKind::Text),
    col("model", "型号", false, ColumnKind::Text),
    col("pin", "整机编号(PIN)", false, ColumnKind::Text),
    col("env_code", "机械环保代码", false, ColumnKind::Text),
    col("info_disclosure_no", "环保信息公开编号", false, ColumnKind::Text),
    col("engine_model", "发动机型号", false, ColumnKind::Text),
    col("engine_serial", "发动机编号", false, ColumnKind::Text),
    col("engine_maker", "发动机生产厂", false, ColumnKind::Text),
    col("engine_approval_no", "发动机型式核准号", false, ColumnKind::Text),
    col("emission_stage", "排放阶段", true, ColumnKind::Stage),
    col("fuel_type", "燃料类型", true, ColumnKind::Fuel),
    col("rated_power_kw", "额定净功率(kW)", true, ColumnKind::Number),
    col("manufactured_on", "出厂日期", false, ColumnKind::Date),
    col("dpf_fitted", "已加装DPF", false, ColumnKind::Boolean),
    col("dpf_model", "DPF型号", false, ColumnKind::Text),
    col("dpf_maker", "DPF生产厂", false, ColumnKind::Text),
    col("dpf_fitted_on", "DPF加装日期", false, ColumnKind::Date),
    col("obd_fitted", "已安装OBD", false, ColumnKind::Boolean),
    col("remote_terminal", "已安装远程监控终端", false, ColumnKind::Boolean),
];

/// The column of a field.
pub fn column_of(field: &str) -> Option<&'static ImportColumn> {
    COLUMNS.iter().find(|c| c.field == field)
}

/// A header as typed by people: without spaces, ASCII parentheses, lower-case Latin letters.
pub fn normalize_header(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// The column a header names: its Chinese header or its API field name.
pub fn column_for_header(raw: &str) -> Option<&'static ImportColumn> {
    let h = normalize_header(raw);
    COLUMNS.iter().find(|c| normalize_header(c.header) == h || c.field == h)
}

/// What to do when some rows are invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Import nothing unless every row is valid (the default).
    #[default]
    AllOrNothing,
    /// Import the valid rows, report the others.
    ValidRows,
}

/// `?mode=` of the upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct ImportQuery {
    /// `all_or_nothing` (default) or `valid_rows`.
    #[serde(default)]
    pub mode: Option<ImportMode>,
}

/// One problem in one cell of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRowError {
    /// The spreadsheet row number (the header is row 1).
    pub row: u32,
    /// The column's header as in the template (or as found in the file, for unknown columns).
    pub column: String,
    /// The API field name, when the column is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The field error code, e.g. `env_code_length`, `duplicate_in_file`, `already_registered`.
    pub message_code: String,
    /// The sentence for people.
    pub message: String,
    /// The message's parameters (e.g. `row` of the first occurrence for `duplicate_in_file`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// The answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub mode: ImportMode,
    /// Data rows read (blank rows are not counted).
    pub rows: u32,
    /// Machines created.
    pub imported: u32,
    /// Rows that match a machine already in the caller's fleet with the same data.
    pub skipped: u32,
    /// Every problem, by row then column; empty when the whole file was good.
    pub errors: Vec<ImportRowError>,
}
