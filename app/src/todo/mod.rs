//! The to-do list of each role's home page: what waits for the caller, with a count and the
//! page that lists it. A unit: its returned filings, its unresolved cases and the orders to
//! correct whose deadline is near or past. A county inspector: filings and amendments to
//! review, evidence from units to check, overdue orders. A city or province officer: overdue
//! orders in scope and the counties that have them. Counted with the very filters of the lists
//! the links open, in the caller's scope.

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;

use crate::i18n::*;
use serde::{Deserialize, Serialize};

/// One kind of waiting work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TodoKind {
    /// The unit's filings returned for correction.
    ReturnedFilings,
    /// Unresolved cases of the unit (open, ordered to correct, penalised).
    OpenCases,
    /// Orders to correct whose deadline is within the reminder days, or past.
    DeadlinesNear,
    /// Filings submitted to the county, waiting for review.
    FilingsToReview,
    /// Amendments of registered machines waiting for the county's decision.
    AmendmentsToReview,
    /// Orders to correct where the unit has added evidence: ready to re-inspect.
    EvidenceToCheck,
    /// Orders to correct whose deadline has passed.
    OverdueCases,
    /// Counties in scope with at least one overdue order.
    CountiesBehind,
}

/// One line of the to-do list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TodoItem {
    pub kind: TodoKind,
    pub count: u64,
    /// The page listing them.
    pub link: String,
}

/// `GET /todo`: the caller's waiting work, in the order of the home page (lines with a count
/// of 0 included, so the page can say "nothing waits").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Todo {
    pub items: Vec<TodoItem>,
}

/// The label of a to-do line.
pub fn todo_label(locale: Locale, kind: TodoKind) -> &'static str {
    match kind {
        TodoKind::ReturnedFilings => td_string!(locale, todo.returned_filings),
        TodoKind::OpenCases => td_string!(locale, todo.open_cases),
        TodoKind::DeadlinesNear => td_string!(locale, todo.deadlines_near),
        TodoKind::FilingsToReview => td_string!(locale, todo.filings_to_review),
        TodoKind::AmendmentsToReview => td_string!(locale, todo.amendments_to_review),
        TodoKind::EvidenceToCheck => td_string!(locale, todo.evidence_to_check),
        TodoKind::OverdueCases => td_string!(locale, todo.overdue_cases),
        TodoKind::CountiesBehind => td_string!(locale, todo.counties_behind),
    }
}
