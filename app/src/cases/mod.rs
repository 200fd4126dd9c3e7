//! Non-compliance cases opened by inspections, and their workflow: order to correct (with a
//! deadline) → re-inspection → closed, or a penalty. The legal moves are one pure function,
//! shared by the server and the case page.

pub mod names;
pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod from_inspection;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The legal basis recorded with a penalty unless another is given.
pub const DEFAULT_LEGAL_BASIS: &str = "《大气污染防治法》第一百一十四条";
/// The largest penalty accepted, yuan (a typing guard; art. 114 fines are 5,000 yuan).
pub const MAX_PENALTY_YUAN: i64 = 10_000_000;
/// The longest note and legal basis.
pub const NOTE_MAX: usize = 2000;
const LEGAL_BASIS_MAX: usize = 200;

/// Why a case was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    /// The smoke test failed (or the machine is banned in the zone).
    FailedInspection,
    /// A machine working without registration.
    UnregisteredMachine,
    /// The registration label is not fitted.
    MissingLabel,
    /// A diesel machine below the zone's lowest allowed stage.
    ZoneViolation,
}

impl CaseKind {
    /// Every kind.
    pub const ALL: [CaseKind; 4] =
        [CaseKind::FailedInspection, CaseKind::UnregisteredMachine, CaseKind::MissingLabel, CaseKind::ZoneViolation];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseKind::FailedInspection => "failed_inspection",
            CaseKind::UnregisteredMachine => "unregistered_machine",
            CaseKind::MissingLabel => "missing_label",
            CaseKind::ZoneViolation => "zone_violation",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// Where a case stands (API.md wire values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    Open,
    RectificationOrdered,
    ReinspectionPassed,
    Penalized,
    Closed,
}

impl CaseState {
    /// Every state, in workflow order.
    pub const ALL: [CaseState; 5] = [
        CaseState::Open,
        CaseState::RectificationOrdered,
        CaseState::ReinspectionPassed,
        CaseState::Penalized,
        CaseState::Closed,
    ];

    /// The states in which the problem is not yet resolved (what a field look-up warns about).
    pub const UNRESOLVED: [CaseState; 3] = [CaseState::Open, CaseState::RectificationOrdered, CaseState::Penalized];

    /// The wire and database value.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Open => "open",
            CaseState::RectificationOrdered => "rectification_ordered",
            CaseState::ReinspectionPassed => "reinspection_passed",
            CaseState::Penalized => "penalized",
            CaseState::Closed => "closed",
        }
    }

    /// Parses a wire value.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Overdue: ordered to correct, and the deadline has passed (`today` is the China date).
pub fn is_overdue(state: CaseState, deadline_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    state == CaseState::RectificationOrdered && deadline_on.is_some_and(|d| d < today)
}

/// `POST /cases/{id}/transition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransitionInput {
    pub to: CaseState,
    #[serde(default)]
    pub note: Option<String>,
    /// Required with `to: rectification_ordered`; not in the past.
    #[serde(default)]
    pub deadline_on: Option<NaiveDate>,
    /// Required with `to: penalized`; more than 0.
    #[serde(default)]
    pub penalty_yuan: Option<i64>,
    /// With `to: penalized`; defaults to 《大气污染防治法》第一百一十四条.
    #[serde(default)]
    pub legal_basis: Option<String>,
    /// The version that was read; when given, a case changed meanwhile is 409 `stale_version`.
    #[serde(default)]
    pub version: Option<i32>,
}

/// A checked transition, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub to: CaseState,
    pub note: Option<String>,
    pub deadline_on: Option<NaiveDate>,
    pub penalty_yuan: Option<i64>,
    pub legal_basis: Option<String>,
}

/// 409 `illegal_transition` naming both states.
pub fn illegal_transition(from: CaseState, to: CaseState) -> AppError {
    AppError::illegal_transition(from.as_str(), Some(to.as_str()))
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The legal moves. The move is checked first (409), then what it needs (422):
/// open → rectification_ordered (a deadline, not in the past), open → penalized and
/// rectification_ordered → penalized (an amount above 0; the legal basis defaults), open →
/// closed (a note saying why, e.g. unfounded), reinspection_passed → closed, penalized → closed.
/// rectification_ordered → reinspection_passed happens only through a passing re-inspection
/// (409 `reinspection_required` when asked for by hand).
pub fn plan(from: CaseState, input: &TransitionInput, today: NaiveDate) -> Result<Planned, AppError> {
    use CaseState as S;
    let to = input.to;
    match (from, to) {
        (S::Open, S::RectificationOrdered)
        | (S::Open | S::RectificationOrdered, S::Penalized)
        | (S::Open | S::ReinspectionPassed | S::Penalized, S::Closed) => {}
        (S::RectificationOrdered, S::ReinspectionPassed) => {
            return Err(AppError::conflict(ConflictCode::ReinspectionRequired));
        }
        _ => return Err(illegal_transition(from, to)),
    }
    let mut errors = FieldErrors::new();
    let note = trimmed(&input.note);
    if note.as_deref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        errors.add("note", FieldError::new(FieldCode::Length).with("min", 0).with("max", NOTE_MAX));
    }
    let mut planned = Planned { to, note, deadline_on: None, penalty_yuan: None, legal_basis: None };
    match to {
        S::RectificationOrdered => match input.deadline_on {
            None => errors.add("deadline_on", FieldError::new(FieldCode::Required)),
            Some(d) if d < today => errors.add("deadline_on", FieldError::new(FieldCode::InThePast)),
            Some(d) => planned.deadline_on = Some(d),
        },
        S::Penalized => {
            match input.penalty_yuan {
                None => errors.add("penalty_yuan", FieldError::new(FieldCode::Required)),
                Some(y) if y <= 0 || y > MAX_PENALTY_YUAN => {
                    errors.add("penalty_yuan", FieldError::new(FieldCode::PenaltyRange).with("max", MAX_PENALTY_YUAN))
                }
                Some(y) => planned.penalty_yuan = Some(y),
            }
            let basis = trimmed(&input.legal_basis).unwrap_or_else(|| DEFAULT_LEGAL_BASIS.to_owned());
            if basis.chars().count() > LEGAL_BASIS_MAX {
                errors
                    .add("legal_basis", FieldError::new(FieldCode::Length).with("min", 1).with("max", LEGAL_BASIS_MAX));
            }
            planned.legal_basis = Some(basis);
        }
        S::Closed if from == S::Open && planned.note.is_none() => {
            errors.add("note", FieldError::new(FieldCode::Required))
        }
        _ => {}
    }
    errors.into_result()?;
    Ok(planned)
}

/// The machine of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseMachine {
    pub id: Uuid,
    pub name: String,
    pub registration_code: Option<String>,
}

/// A case as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Case {
    pub id: Uuid,
    pub county_code: String,
    pub kind: CaseKind,
    pub state: CaseState,
    /// `null` for an unregistered machine (see the inspection's description).
    pub machine: Option<CaseMachine>,
    /// The machine's owner, when the machine is known.
    pub organization_id: Option<Uuid>,
    pub organization_name: Option<String>,
    pub site_id: Uuid,
    pub site_name: String,
    /// The inspection that opened the case.
    pub inspection_id: Uuid,
    pub deadline_on: Option<NaiveDate>,
    pub penalty_yuan: Option<i64>,
    pub legal_basis: Option<String>,
    /// Ordered to correct and the deadline has passed (China date).
    pub overdue: bool,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseEvent {
    pub id: Uuid,
    /// `null` for the opening.
    pub from: Option<CaseState>,
    pub to: CaseState,
    /// A code for what the system did (`opened`, `reinspection_passed`, `reinspection_failed`)
    /// or `transition` for a decision by hand.
    pub action: String,
    pub note: Option<String>,
    pub actor_id: Uuid,
    pub actor_name: String,
    pub at: DateTime<Utc>,
    pub deadline_on: Option<NaiveDate>,
    pub penalty_yuan: Option<i64>,
    pub legal_basis: Option<String>,
    /// The inspection behind this step (opening, re-inspection).
    pub inspection_id: Option<Uuid>,
}

/// A case with its history and joint notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    /// Oldest first.
    pub events: Vec<CaseEvent>,
    /// Joint-inspection notes, oldest first.
    pub notes: Vec<crate::notes::Note>,
}

/// Filters of the case list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    pub kind: Option<CaseKind>,
    /// `true`: only overdue cases; `false`: only cases that are not overdue.
    pub overdue: Option<bool>,
    pub machine_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    /// `true`: only unresolved cases (open, ordered to correct, penalised).
    pub open: Option<bool>,
    /// Only orders to correct whose deadline is on or before this day (China date).
    pub due_by: Option<NaiveDate>,
    /// `true`: only orders to correct where the unit added evidence since the case last changed
    /// (the order, or a failed re-inspection): ready to check.
    pub awaiting_check: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState as S;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn to(state: CaseState) -> TransitionInput {
        TransitionInput {
            to: state,
            note: None,
            deadline_on: None,
            penalty_yuan: None,
            legal_basis: None,
            version: None,
        }
    }

    fn code(r: Result<Planned, AppError>) -> String {
        match r {
            Err(AppError::Conflict { code, .. }) => code.to_string(),
            Err(AppError::Validation { fields }) => {
                fields.0.iter().map(|(f, e)| format!("{f}:{}", e[0].code)).collect::<Vec<_>>().join(",")
            }
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn legal_moves_and_what_they_need() {
        let t = today();
        let order = TransitionInput { deadline_on: Some(t), ..to(S::RectificationOrdered) };
        assert_eq!(plan(S::Open, &order, t).unwrap().deadline_on, Some(t));
        assert_eq!(code(plan(S::Open, &to(S::RectificationOrdered), t)), "deadline_on:required");
        let past = TransitionInput { deadline_on: t.pred_opt(), ..to(S::RectificationOrdered) };
        assert_eq!(code(plan(S::Open, &past, t)), "deadline_on:in_the_past");

        let fine = TransitionInput { penalty_yuan: Some(5000), ..to(S::Penalized) };
        for from in [S::Open, S::RectificationOrdered] {
            let p = plan(from, &fine, t).unwrap();
            assert_eq!((p.penalty_yuan, p.legal_basis.as_deref()), (Some(5000), Some(DEFAULT_LEGAL_BASIS)));
        }
        let own_basis = TransitionInput { legal_basis: Some(" 地方条例 ".into()), ..fine.clone() };
        assert_eq!(plan(S::Open, &own_basis, t).unwrap().legal_basis.as_deref(), Some("地方条例"));
        assert_eq!(code(plan(S::Open, &to(S::Penalized), t)), "penalty_yuan:required");
        let zero = TransitionInput { penalty_yuan: Some(0), ..to(S::Penalized) };
        assert_eq!(code(plan(S::Open, &zero, t)), "penalty_yuan:penalty_range");

        assert!(plan(S::ReinspectionPassed, &to(S::Closed), t).is_ok());
        assert!(plan(S::Penalized, &to(S::Closed), t).is_ok());
        assert_eq!(code(plan(S::Open, &to(S::Closed), t)), "note:required");
        let unfounded = TransitionInput { note: Some("误报".into()), ..to(S::Closed) };
        assert_eq!(plan(S::Open, &unfounded, t).unwrap().note.as_deref(), Some("误报"));
    }

    #[test]
    fn everything_else_is_illegal() {
        let t = today();
        let legal = [
            (S::Open, S::RectificationOrdered),
            (S::Open, S::Penalized),
            (S::RectificationOrdered, S::Penalized),
            (S::ReinspectionPassed, S::Closed),
            (S::Penalized, S::Closed),
            (S::Open, S::Closed),
        ];
        for from in CaseState::ALL {
            for target in CaseState::ALL {
                let input = TransitionInput {
                    note: Some("n".into()),
                    deadline_on: Some(t),
                    penalty_yuan: Some(1),
                    ..to(target)
                };
                let got = plan(from, &input, t);
                if legal.contains(&(from, target)) {
                    assert!(got.is_ok(), "{from:?} → {target:?}");
                } else if (from, target) == (S::RectificationOrdered, S::ReinspectionPassed) {
                    assert_eq!(code(got), "reinspection_required");
                } else {
                    assert_eq!(code(got), "illegal_transition", "{from:?} → {target:?}");
                }
            }
        }
    }

    #[test]
    fn overdue_is_a_passed_deadline_of_an_order() {
        let t = today();
        assert!(is_overdue(S::RectificationOrdered, t.pred_opt(), t));
        assert!(!is_overdue(S::RectificationOrdered, Some(t), t), "due today is not overdue");
        assert!(!is_overdue(S::Penalized, t.pred_opt(), t));
        assert!(!is_overdue(S::RectificationOrdered, None, t));
    }
}
