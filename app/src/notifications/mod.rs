//! In-app notifications: a construction unit hears when a filing is accepted or returned; the
//! unit (and, once overdue, the county's inspectors) hear when a rectification deadline is near
//! or has passed; the issuing county's inspectors hear when a unit asks to amend a registered
//! machine, and the unit hears the outcome. Each notification is also handed to the
//! [`outbound::Outbound`] of the server (e-mail/SMS). The wording is one function, [`text`],
//! shared by the pages and the messages sent out.

pub mod pages;
pub mod server_fns;

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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
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
    /// A unit offers a machine to the recipient's unit (`machine_name`, `from_name`, `transfer_on`).
    TransferRequested,
    /// A transfer of a machine with an unresolved case in the recipient's county awaits its
    /// permission (`machine_name`, `registration_code`, `from_name`, `to_name`).
    TransferNeedsPermission,
    /// A county allowed a transfer of a machine with an unresolved case there (`county`).
    TransferAllowed,
    /// A transfer was accepted: the machine changed owner (both units, the issuing county).
    TransferAccepted,
    /// The buyer declined a transfer (the seller).
    TransferDeclined,
    /// The seller withdrew a transfer (the buyer).
    TransferCancelled,
    /// A unit asked to amend a registered machine's facts (to the issuing county's inspectors).
    AmendmentSubmitted,
    /// An amendment of the unit was accepted: the machine's facts changed.
    AmendmentAccepted,
    /// An amendment of the unit was returned (`params.reason`).
    AmendmentReturned,
    /// A unit submitted a filing (to the county's inspectors: `site_name`, `organization_name`).
    FilingSubmitted,
    /// An inspection opened a case against the unit (`case_kind`, `machine_name`, `site_name`).
    CaseOpened,
    /// The county ordered the unit to correct (`deadline_on`, `machine_name`, `site_name`).
    CaseRectificationOrdered,
    /// The county penalised the unit (`penalty_yuan`, `machine_name`, `site_name`).
    CasePenalized,
    /// The county closed a case of the unit (`machine_name`, `site_name`).
    CaseClosed,
    /// A unit added evidence to a case (to the county's inspectors: `organization_name`,
    /// `machine_name`, `site_name`).
    CaseEvidenceAdded,
    /// A watched machine was named in a submitted filing (to the inspectors of the filing's
    /// county and of the counties behind its reasons: `machine_name`, `registration_code`,
    /// `site_name`, `organization_name`, `reasons` as comma-separated `WatchKind` values).
    WatchedMachineFiled,
    /// A watched machine was logged entering a site (the same recipients and params).
    WatchedMachineEntered,
    /// An official of another division looked a watched machine up (to the inspectors of the
    /// counties behind its reasons: `machine_name`, `registration_code`, `division_name`,
    /// `reasons`).
    WatchedMachineSeen,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 22] = [
        NotificationKind::FilingAccepted,
        NotificationKind::FilingReturned,
        NotificationKind::CaseDeadlineNear,
        NotificationKind::CaseDeadlineOverdue,
        NotificationKind::TransferRequested,
        NotificationKind::TransferNeedsPermission,
        NotificationKind::TransferAllowed,
        NotificationKind::TransferAccepted,
        NotificationKind::TransferDeclined,
        NotificationKind::TransferCancelled,
        NotificationKind::AmendmentSubmitted,
        NotificationKind::AmendmentAccepted,
        NotificationKind::AmendmentReturned,
        NotificationKind::FilingSubmitted,
        NotificationKind::CaseOpened,
        NotificationKind::CaseRectificationOrdered,
        NotificationKind::CasePenalized,
        NotificationKind::CaseClosed,
        NotificationKind::CaseEvidenceAdded,
        NotificationKind::WatchedMachineFiled,
        NotificationKind::WatchedMachineEntered,
        NotificationKind::WatchedMachineSeen,
    ];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::FilingAccepted => "filing_accepted",
            NotificationKind::FilingReturned => "filing_returned",
            NotificationKind::CaseDeadlineNear => "case_deadline_near",
            NotificationKind::CaseDeadlineOverdue => "case_deadline_overdue",
            NotificationKind::TransferRequested => "transfer_requested",
            NotificationKind::TransferNeedsPermission => "transfer_needs_permission",
            NotificationKind::TransferAllowed => "transfer_allowed",
            NotificationKind::TransferAccepted => "transfer_accepted",
            NotificationKind::TransferDeclined => "transfer_declined",
            NotificationKind::TransferCancelled => "transfer_cancelled",
            NotificationKind::AmendmentSubmitted => "amendment_submitted",
            NotificationKind::AmendmentAccepted => "amendment_accepted",
            NotificationKind::AmendmentReturned => "amendment_returned",
            NotificationKind::FilingSubmitted => "filing_submitted",
            NotificationKind::CaseOpened => "case_opened",
            NotificationKind::CaseRectificationOrdered => "case_rectification_ordered",
            NotificationKind::CasePenalized => "case_penalized",
            NotificationKind::CaseClosed => "case_closed",
            NotificationKind::CaseEvidenceAdded => "case_evidence_added",
            NotificationKind::WatchedMachineFiled => "watched_machine_filed",
            NotificationKind::WatchedMachineEntered => "watched_machine_entered",
            NotificationKind::WatchedMachineSeen => "watched_machine_seen",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// Whether the subject is a filing.
    pub fn is_filing(self) -> bool {
        matches!(
            self,
            NotificationKind::FilingAccepted
                | NotificationKind::FilingReturned
                | NotificationKind::FilingSubmitted
                | NotificationKind::WatchedMachineFiled
                | NotificationKind::WatchedMachineEntered
        )
    }

    /// Whether the subject is a machine transfer.
    pub fn is_transfer(self) -> bool {
        matches!(
            self,
            NotificationKind::TransferRequested
                | NotificationKind::TransferNeedsPermission
                | NotificationKind::TransferAllowed
                | NotificationKind::TransferAccepted
                | NotificationKind::TransferDeclined
                | NotificationKind::TransferCancelled
        )
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
    } else if kind.is_transfer() {
        format!("/transfers/{subject_id}")
    } else if kind.is_amendment() {
        format!("/amendments/{subject_id}")
    } else if kind == NotificationKind::WatchedMachineSeen {
        "/watchlist".to_owned()
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
        NotificationKind::TransferRequested
        | NotificationKind::TransferNeedsPermission
        | NotificationKind::TransferAllowed
        | NotificationKind::TransferAccepted
        | NotificationKind::TransferDeclined
        | NotificationKind::TransferCancelled => transfer_text(locale, kind, &p),
        NotificationKind::FilingSubmitted => (
            td_string!(locale, notifications.filing_submitted_title).to_string(),
            td_string!(
                locale,
                notifications.filing_submitted_body,
                organization = p("organization_name"),
                site = p("site_name")
            )
            .to_string(),
        ),
        NotificationKind::WatchedMachineFiled
        | NotificationKind::WatchedMachineEntered
        | NotificationKind::WatchedMachineSeen => {
            let reasons: Vec<&str> = p("reasons")
                .split(',')
                .filter_map(crate::watchlist::WatchKind::parse)
                .map(|k| crate::watchlist::pages::kind_label(locale, k))
                .collect();
            let reasons = reasons.join(td_string!(locale, common.list_separator));
            let (machine, code) = (p("machine_name"), p("registration_code"));
            let (organization, site) = (p("organization_name"), p("site_name"));
            match kind {
                NotificationKind::WatchedMachineFiled => (
                    td_string!(locale, notifications.watched_filed_title).to_string(),
                    td_string!(
                        locale,
                        notifications.watched_filed_body,
                        organization = &organization,
                        machine = &machine,
                        code = &code,
                        site = &site,
                        reasons = &reasons
                    )
                    .to_string(),
                ),
                NotificationKind::WatchedMachineEntered => (
                    td_string!(locale, notifications.watched_entered_title).to_string(),
                    td_string!(
                        locale,
                        notifications.watched_entered_body,
                        organization = &organization,
                        machine = &machine,
                        code = &code,
                        site = &site,
                        reasons = &reasons
                    )
                    .to_string(),
                ),
                _ => (
                    td_string!(locale, notifications.watched_seen_title).to_string(),
                    td_string!(
                        locale,
                        notifications.watched_seen_body,
                        division = p("division_name"),
                        machine = &machine,
                        code = &code,
                        reasons = &reasons
                    )
                    .to_string(),
                ),
            }
        }
        NotificationKind::CaseOpened
        | NotificationKind::CaseRectificationOrdered
        | NotificationKind::CasePenalized
        | NotificationKind::CaseClosed
        | NotificationKind::CaseEvidenceAdded => case_text(locale, kind, &p),
    }
}

/// The title and sentence of a case notification.
fn case_text(locale: Locale, kind: NotificationKind, p: &dyn Fn(&str) -> String) -> (String, String) {
    let (machine, site) = (p("machine_name"), p("site_name"));
    match kind {
        NotificationKind::CaseOpened => {
            let what = crate::cases::CaseKind::parse(&p("case_kind"))
                .map(|k| crate::cases::names::case_kind_label(locale, k).to_owned())
                .unwrap_or_default();
            (
                td_string!(locale, notifications.case_opened_title).to_string(),
                td_string!(locale, notifications.case_opened_body, kind = what, machine = machine, site = site)
                    .to_string(),
            )
        }
        NotificationKind::CaseRectificationOrdered => (
            td_string!(locale, notifications.case_ordered_title).to_string(),
            td_string!(
                locale,
                notifications.case_ordered_body,
                machine = machine,
                site = site,
                date = p("deadline_on")
            )
            .to_string(),
        ),
        NotificationKind::CasePenalized => (
            td_string!(locale, notifications.case_penalized_title).to_string(),
            td_string!(
                locale,
                notifications.case_penalized_body,
                machine = machine,
                site = site,
                amount = p("penalty_yuan")
            )
            .to_string(),
        ),
        NotificationKind::CaseClosed => (
            td_string!(locale, notifications.case_closed_title).to_string(),
            td_string!(locale, notifications.case_closed_body, machine = machine, site = site).to_string(),
        ),
        _ => (
            td_string!(locale, notifications.case_evidence_title).to_string(),
            td_string!(
                locale,
                notifications.case_evidence_body,
                organization = p("organization_name"),
                machine = machine,
                site = site
            )
            .to_string(),
        ),
    }
}

/// The title and sentence of a transfer notification.
fn transfer_text(locale: Locale, kind: NotificationKind, p: &dyn Fn(&str) -> String) -> (String, String) {
    let (machine, from, to, date) = (p("machine_name"), p("from_name"), p("to_name"), p("transfer_on"));
    match kind {
        NotificationKind::TransferRequested => (
            td_string!(locale, notifications.transfer_requested_title).to_string(),
            td_string!(locale, notifications.transfer_requested_body, machine = machine, from = from, date = date)
                .to_string(),
        ),
        NotificationKind::TransferNeedsPermission => (
            td_string!(locale, notifications.transfer_needs_permission_title).to_string(),
            td_string!(locale, notifications.transfer_needs_permission_body, machine = machine, from = from, to = to)
                .to_string(),
        ),
        NotificationKind::TransferAllowed => (
            td_string!(locale, notifications.transfer_allowed_title).to_string(),
            td_string!(locale, notifications.transfer_allowed_body, machine = machine, county = p("county"))
                .to_string(),
        ),
        NotificationKind::TransferAccepted => (
            td_string!(locale, notifications.transfer_accepted_title).to_string(),
            td_string!(locale, notifications.transfer_accepted_body, machine = machine, from = from, to = to)
                .to_string(),
        ),
        NotificationKind::TransferDeclined => (
            td_string!(locale, notifications.transfer_declined_title).to_string(),
            td_string!(locale, notifications.transfer_declined_body, machine = machine, to = to).to_string(),
        ),
        _ => (
            td_string!(locale, notifications.transfer_cancelled_title).to_string(),
            td_string!(locale, notifications.transfer_cancelled_body, machine = machine, from = from).to_string(),
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
        assert_eq!(link_for(NotificationKind::TransferAccepted, id), format!("/transfers/{id}"));
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
        p.insert("machine_name".to_owned(), "3号挖掘机".to_owned());
        p.insert("from_name".to_owned(), "甲公司".to_owned());
        p.insert("to_name".to_owned(), "乙公司".to_owned());
        for k in NotificationKind::ALL.into_iter().filter(|k| k.is_transfer()) {
            for locale in [Locale::zh, Locale::en] {
                let (title, body) = text(locale, k, &p);
                assert!(!title.is_empty() && body.contains("3号挖掘机"), "{k:?} {locale:?}: {body}");
            }
        }
    }
}
