//! Streamed exports: the machine, filing, inspection and case lists as CSV or XLSX files, in the
//! caller's scope and with the filters of the matching list. Rows are read in keyset batches and
//! written out batch by batch, so a million-row export never sits in memory.
//!
//! Who may export: officials (county inspectors, city and province officers, partner
//! departments) and system administrators every dataset of their scope; construction units
//! their own machines and filings (the inspections and cases of their fleet are the officials'
//! records to publish: 403).

pub mod pages;

#[cfg(feature = "ssr")]
pub mod datasets;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod xlsx;

use crate::auth::Role;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dataset {
    Machines,
    Filings,
    Inspections,
    Cases,
}

impl Dataset {
    /// Every dataset.
    pub const ALL: [Dataset; 4] = [Dataset::Machines, Dataset::Filings, Dataset::Inspections, Dataset::Cases];

    /// The name in the URL and the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Machines => "machines",
            Dataset::Filings => "filings",
            Dataset::Inspections => "inspections",
            Dataset::Cases => "cases",
        }
    }

    /// Parses a URL name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == value)
    }

    /// Whether a role may export this dataset (within its scope).
    pub fn allowed(self, role: Role) -> bool {
        match role {
            Role::ContractorAdmin | Role::ContractorStaff => matches!(self, Dataset::Machines | Dataset::Filings),
            Role::CountyInspector
            | Role::CityOfficer
            | Role::ProvinceOfficer
            | Role::PartnerViewer
            | Role::Sysadmin => true,
        }
    }
}

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// Parses an extension.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// The characters that make a spreadsheet program read a cell as a formula (or, for tab and
/// carriage return, hide one) when they start it.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Text for a CSV cell that no spreadsheet program runs: text starting with one of
/// [`FORMULA_STARTS`] gets a leading apostrophe (which Excel, WPS and LibreOffice show as text
/// and do not display). Numbers are written as numbers by the caller and never pass here.
pub fn inert_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}").into() } else { text.into() }
}

/// Splits `machines.csv` into its dataset and format.
pub fn parse_file_name(name: &str) -> Option<(Dataset, Format)> {
    let (dataset, format) = name.split_once('.')?;
    Some((Dataset::parse(dataset)?, Format::parse(format)?))
}

/// The export URL of a list page: the dataset, the format and the page's filters as they are in
/// its query string (empty values left out).
pub fn export_href(dataset: Dataset, format: Format, filters: &[(&str, String)]) -> String {
    let query: Vec<String> =
        filters.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", encode(v))).collect();
    let base = format!("/api/v1/exports/{}.{}", dataset.as_str(), format.as_str());
    if query.is_empty() { base } else { format!("{base}?{}", query.join("&")) }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_kept() {
        for bad in ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let out = inert_text(bad);
            assert_eq!(out, format!("'{bad}"), "{bad:?}");
        }
        for fine in ["1号挖掘机", "2026-11-29", "SY215C-10086", "", "a=b", "'quoted"] {
            assert_eq!(inert_text(fine), fine);
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(parse_file_name("machines.csv"), Some((Dataset::Machines, Format::Csv)));
        assert_eq!(parse_file_name("cases.xlsx"), Some((Dataset::Cases, Format::Xlsx)));
        assert_eq!(parse_file_name("cases.xls"), None);
        assert_eq!(parse_file_name("users.csv"), None);
        assert_eq!(parse_file_name("machines"), None);
        assert_eq!(parse_file_name("machines.csv.csv"), None);
    }

    #[test]
    fn contractors_export_their_fleet_and_filings_only() {
        assert!(Dataset::Machines.allowed(Role::ContractorStaff));
        assert!(Dataset::Filings.allowed(Role::ContractorAdmin));
        assert!(!Dataset::Inspections.allowed(Role::ContractorAdmin));
        assert!(!Dataset::Cases.allowed(Role::ContractorStaff));
        assert!(Dataset::ALL.iter().all(|d| d.allowed(Role::PartnerViewer) && d.allowed(Role::Sysadmin)));
    }

    #[test]
    fn hrefs_keep_the_filters() {
        assert_eq!(export_href(Dataset::Machines, Format::Csv, &[]), "/api/v1/exports/machines.csv");
        assert_eq!(
            export_href(
                Dataset::Machines,
                Format::Xlsx,
                &[("q", "挖 1".into()), ("registered", "true".into()), ("emission_stage", String::new())]
            ),
            "/api/v1/exports/machines.xlsx?q=%E6%8C%96%201&registered=true"
        );
    }
}
