//! In-app notifications: a construction unit hears when a filing is accepted or returned; the
//! unit (and, once overdue, the county's inspectors) hear when a rectification deadline is near
//! or has passed; the issuing county's inspectors hear when a unit asks to amend a registered
//! machine, and the unit hears the outcome. Each notification is also handed to the
//! [`outbound::Outbound`] of the server (e-mail/SMS). The wording is one function, [`text`],
//! shared by the pages and the messages sent out.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod outbound;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::i18n::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A filing of the unit was accepted (registration codes issued).
    FilingAccepted,
    /// A filing of the unit was returned for correction (`params.reason`).
    FilingReturned,
    /// A rectification deadline is within the configured number of days (`params.deadline_on`).
    CaseDeadlineNear,
    /// A rectification deadline has passed (`params.deadline_on`).
    CaseDeadlineOverdue,
    /// A unit asked to amend a registered machine's facts (to the issuing county's inspectors).
    AmendmentSubmitted,
    /// An amendment of the unit was accepted: the machine's facts changed.
    AmendmentAccepted,
    /// An amendment of the unit was returned (`params.reason`).
    AmendmentReturned,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::FilingAccepted,
        NotificationKind::FilingReturned,
        NotificationKind::CaseDeadlineNear,
        NotificationKind::CaseDeadlineOverdue,
        NotificationKind::AmendmentSubmitted,
        NotificationKind::AmendmentAccepted,
        NotificationKind::AmendmentReturned,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::FilingAccepted => "filing_accepted",
            NotificationKind::FilingReturned => "filing_returned",
            NotificationKind::CaseDeadlineNear => "case_deadline_near",
            NotificationKind::CaseDeadlineOverdue => "case_deadline_overdue",
            NotificationKind::AmendmentSubmitted => "amendment_submitted",
            NotificationKind::AmendmentAccepted => "amendment_accepted",
            NotificationKind::AmendmentReturned => "amendment_returned",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Whether the subject is a filing.
    pub fn is_filing(self) -> bool {
        matches!(self, NotificationKind::FilingAccepted | NotificationKind::FilingReturned)
    }

    /// Whether the subject is an amendment.
    pub fn is_amendment(self) -> bool {
        matches!(
            self,
            NotificationKind::AmendmentSubmitted
                | NotificationKind::AmendmentAccepted
                | NotificationKind::AmendmentReturned
        )
    }
}

/// One notification of the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: Uuid,
    pub kind: NotificationKind,
    /// The filing, case or amendment it is about.
    pub subject_id: Uuid,
    /// The page of the subject, e.g. `/filings/{id}`.
    pub link: String,
    /// Facts the message shows: `site_name`, `reason` (returned filings and amendments),
    /// `deadline_on` (cases), `machine_name` (cases, amendments), `registration_code` and
    /// `organization_name` (amendments).
    pub params: BTreeMap<String, String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// `{unread}` for the bell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: u64,
}

/// `{updated}`: how many notifications were marked read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MarkedRead {
    pub updated: u64,
}

/// The page of a notification's subject.
pub fn link_for(kind: NotificationKind, subject_id: Uuid) -> String {
    if kind.is_filing() {
        format!("/filings/{subject_id}")
    } else if kind.is_amendment() {
        format!("/amendments/{subject_id}")
    } else {
        format!("/cases/{subject_id}")
    }
}

/// The title and the sentence of a notification in `locale`.
pub fn text(locale: Locale, kind: NotificationKind, params: &BTreeMap<String, String>) -> (String, String) {
    let p = |k: &str| params.get(k).cloned().unwrap_or_default();
    match kind {
        NotificationKind::FilingAccepted => (
            td_string!(locale, notifications.filing_accepted_title).to_string(),
            td_string!(locale, notifications.filing_accepted_body, site = p("site_name")).to_string(),
        ),
        NotificationKind::FilingReturned => (
            td_string!(locale, notifications.filing_returned_title).to_string(),
            td_string!(locale, notifications.filing_returned_body, site = p("site_name"), reason = p("reason"))
                .to_string(),
        ),
        NotificationKind::CaseDeadlineNear => (
            td_string!(locale, notifications.case_near_title).to_string(),
            td_string!(
                locale,
                notifications.case_near_body,
                machine = p("machine_name"),
                site = p("site_name"),
                date = p("deadline_on")
            )
            .to_string(),
        ),
        NotificationKind::CaseDeadlineOverdue => (
            td_string!(locale, notifications.case_overdue_title).to_string(),
            td_string!(
                locale,
                notifications.case_overdue_body,
                machine = p("machine_name"),
                site = p("site_name"),
                date = p("deadline_on")
            )
            .to_string(),
        ),
        NotificationKind::AmendmentSubmitted => (
            td_string!(locale, notifications.amendment_submitted_title).to_string(),
            td_string!(
                locale,
                notifications.amendment_submitted_body,
                organization = p("organization_name"),
                machine = p("machine_name"),
                code = p("registration_code")
            )
            .to_string(),
        ),
        NotificationKind::AmendmentAccepted => (
            td_string!(locale, notifications.amendment_accepted_title).to_string(),
            td_string!(
                locale,
                notifications.amendment_accepted_body,
                machine = p("machine_name"),
                code = p("registration_code")
            )
            .to_string(),
        ),
        NotificationKind::AmendmentReturned => (
            td_string!(locale, notifications.amendment_returned_title).to_string(),
            td_string!(
                locale,
                notifications.amendment_returned_body,
                machine = p("machine_name"),
                code = p("registration_code"),
                reason = p("reason")
            )
            .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_link_to_their_subject() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
        }
        let id = Uuid::nil();
        assert_eq!(link_for(NotificationKind::FilingReturned, id), format!("/filings/{id}"));
        assert_eq!(link_for(NotificationKind::CaseDeadlineOverdue, id), format!("/cases/{id}"));
        assert_eq!(link_for(NotificationKind::AmendmentReturned, id), format!("/amendments/{id}"));
    }

    #[test]
    fn text_carries_the_facts() {
        let mut p = BTreeMap::new();
        p.insert("site_name".to_owned(), "一号工地".to_owned());
        p.insert("reason".to_owned(), "照片不清".to_owned());
        let (title, body) = text(Locale::zh, NotificationKind::FilingReturned, &p);
        assert!(!title.is_empty());
        assert!(body.contains("一号工地") && body.contains("照片不清"), "{body}");
        p.insert("deadline_on".to_owned(), "2026-12-05".to_owned());
        let (_, body) = text(Locale::en, NotificationKind::CaseDeadlineOverdue, &p);
        assert!(body.contains("2026-12-05"), "{body}");
    }
}
