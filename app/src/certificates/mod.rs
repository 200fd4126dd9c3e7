//! A site's compliance certificate: what the construction unit prints for its client (or a
//! tender) and anyone can check. It lists the site, its county, its filings in force with each
//! machine's registration code, stage and last verdict, and the site's unresolved cases, with a
//! QR code of `/c/{code}`. That page (and `GET /api/v1/public/certificates/{code}`) says the
//! certificate is genuine (issued by the register, as printed) and whether it is still current:
//! the same facts computed today ([`service::facts`], one rule for issuing and checking). A
//! changed fleet, a new verdict, a new or settled case, or a filing that ended supersedes it.

#[cfg(feature = "ssr")]
pub mod page;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod rest;
pub mod server_fns;
#[cfg(feature = "ssr")]
pub mod service;

use crate::cases::{CaseKind, CaseState};
use crate::inspections::compliance::Verdict;
use crate::machines::EmissionStage;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The length of a certificate's code.
pub const CODE_LEN: usize = 10;

/// A machine on a filing in force, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateMachine {
    pub registration_code: Option<String>,
    pub name: String,
    pub machine_type: String,
    pub emission_stage: EmissionStage,
    pub last_verdict: Option<Verdict>,
    pub last_inspected_on: Option<NaiveDate>,
}

/// A filing in force, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateFiling {
    pub filing_id: Uuid,
    pub planned_entry_on: NaiveDate,
    pub planned_exit_on: NaiveDate,
    pub machines: Vec<CertificateMachine>,
}

/// An unresolved case at the site, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateCase {
    pub case_id: Uuid,
    pub kind: CaseKind,
    pub state: CaseState,
    pub opened_on: NaiveDate,
    pub registration_code: Option<String>,
}

/// What a certificate states; it is current while the same facts computed today are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CertificateFacts {
    pub site_id: Uuid,
    pub site_name: String,
    pub address: String,
    pub permit_no: Option<String>,
    pub county_code: String,
    pub county_name: String,
    pub organization_name: String,
    pub filings: Vec<CertificateFiling>,
    pub unresolved_cases: Vec<CertificateCase>,
}

/// Whether the facts a certificate printed still hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CertificateStatus {
    /// The site's filings, machines, verdicts and cases are as printed.
    Current,
    /// Something printed has changed since: a newer certificate is needed.
    Superseded,
}

/// A certificate: its code, when it was issued, what it printed, and whether that still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Certificate {
    pub code: String,
    pub issued_at: DateTime<Utc>,
    pub status: CertificateStatus,
    /// Where anyone checks it (the QR code's address).
    pub verify_url: String,
    pub facts: CertificateFacts,
}

/// The rate limit's key of certificate checks from `ip`: an address has a budget for checking
/// certificates apart from the one for looking up labels (the same limit, counted separately).
pub fn limit_key(ip: &str) -> String {
    format!("certificate {ip}")
}

/// Whether `code` has the shape of a certificate code (after trimming and upper-casing).
pub fn normalize_code(code: &str) -> Option<String> {
    crate::reference::normalize(code, CODE_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_in_either_case_and_nothing_else_passes() {
        assert_eq!(normalize_code(" 7k2m9q4x1z ").as_deref(), Some("7K2M9Q4X1Z"));
        assert_eq!(normalize_code("7K2M9Q4X1"), None, "too short");
        assert_eq!(normalize_code("7K2M9Q4X1I"), None, "I is not a code letter");
        assert_eq!(normalize_code("../../etc/x"), None);
    }
}
