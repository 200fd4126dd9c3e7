//! Joint-inspection notes: partner departments (transport, housing, urban management) and the
//! county's inspectors write them on an inspection or on a case, within their scope. This
//! capability owns both note tables; inspections and cases check that the caller may see the
//! subject, then call it.

#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A joint-inspection note (partner departments and the county's inspectors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Note {
    pub id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub author_role: crate::auth::Role,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /inspections/{id}/notes`, `POST /cases/{id}/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NoteInput {
    pub body: String,
    /// An id the client generated for this note: sent again (a double tap, a retry), it
    /// returns the note first added with it and adds nothing (`request_ids`).
    #[serde(default)]
    pub request_id: Option<Uuid>,
}

/// The longest note.
pub const NOTE_MAX: usize = 2000;

/// What a note is written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Inspection,
    Case,
}
