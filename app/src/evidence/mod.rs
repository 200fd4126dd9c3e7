//! Evidence photos: taken by the inspector at an inspection (the machine, its nameplate, the
//! smoke, an unregistered machine described by hand), and attached to a case (the construction
//! unit's rectification evidence, or the inspector's), and to an amendment of a registered
//! machine's facts (e.g. the new nameplate). Evidence is only ever added: nothing
//! replaces or deletes it. Files are checked from their bytes and stored like machine photos.

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most photos one inspection, case or amendment holds.
pub const MAX_PER_SUBJECT: usize = 20;
/// The longest caption.
pub const NOTE_MAX: usize = 500;

/// What a photo is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Inspection,
    Case,
    Amendment,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Inspection => "inspection",
            SubjectKind::Case => "case",
            SubjectKind::Amendment => "amendment",
        }
    }

    /// The REST collection of a subject's photos.
    pub fn collection_url(self, id: Uuid) -> String {
        match self {
            SubjectKind::Inspection => format!("/api/v1/inspections/{id}/photos"),
            SubjectKind::Case => format!("/api/v1/cases/{id}/evidence"),
            SubjectKind::Amendment => format!("/api/v1/amendments/{id}/photos"),
        }
    }
}

/// One evidence photo, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvidencePhoto {
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    /// The caption given with the upload.
    pub note: Option<String>,
    /// The media type of the original.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size_bytes: u64,
    /// The role of whoever added it (`county_inspector`, `contractor_admin`, …); no name.
    pub uploaded_by_role: crate::auth::Role,
    pub uploaded_at: DateTime<Utc>,
    pub urls: crate::machines::PhotoUrls,
}

/// What the pages need: the photos, and whether the caller may add one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gallery {
    pub photos: Vec<EvidencePhoto>,
    pub can_add: bool,
}
