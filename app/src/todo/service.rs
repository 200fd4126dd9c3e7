//! Counting what waits for the caller, with the lists' own filters and scope.

use super::{Todo, TodoItem, TodoKind};
use crate::amendments::{AmendmentFilter, AmendmentStatus};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::cases::CaseFilter;
use crate::db::entities::case;
use crate::filings::{FilingFilter, FilingStatus};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use crate::transfers::history::UnitHistory;
use sea_orm::{PaginatorTrait, QuerySelect};

fn item(kind: TodoKind, count: u64, link: &str) -> TodoItem {
    TodoItem { kind, count, link: link.to_owned() }
}

/// The caller's to-do list (see the module documentation of `todo`); empty for roles with
/// nothing to act on (partner departments, system administrators).
#[tracing::instrument(skip(state), fields(user = %principal.username))]
pub async fn todo(state: &AppState, principal: &Principal) -> ServiceResult<Todo> {
    let db = &state.db;
    let scope = Scope::resolve(db, principal).await?;
    let today = crate::dates::china_date(state.clock.now());
    let cases =
        |filter: CaseFilter, history: &UnitHistory| crate::cases::service::filtered(&scope, history, &filter, today);
    let history = UnitHistory::resolve(db, &scope).await?;
    let overdue = CaseFilter { overdue: Some(true), ..Default::default() };
    let items = match principal.role {
        Role::ContractorAdmin | Role::ContractorStaff => {
            let returned = FilingFilter { status: Some(FilingStatus::Returned), ..Default::default() };
            let returned = crate::filings::read::filtered(&scope, &returned).count(db).await?;
            let open = cases(CaseFilter { open: Some(true), ..Default::default() }, &history).count(db).await?;
            let horizon = today + chrono::Duration::days(Ord::max(state.settings.deadline_near_days, 0));
            let near = cases(CaseFilter { due_by: Some(horizon), ..Default::default() }, &history).count(db).await?;
            vec![
                item(TodoKind::ReturnedFilings, returned, "/filings?status=returned"),
                item(TodoKind::DeadlinesNear, near, &format!("/cases?due_by={horizon}")),
                item(TodoKind::OpenCases, open, "/cases?open=true"),
            ]
        }
        Role::CountyInspector => {
            let submitted = FilingFilter { status: Some(FilingStatus::Submitted), ..Default::default() };
            let to_review = crate::filings::read::filtered(&scope, &submitted).count(db).await?;
            let pending = AmendmentFilter { status: Some(AmendmentStatus::Pending), ..Default::default() };
            let amendments = crate::amendments::service::filtered(&scope, &pending).count(db).await?;
            let awaiting = CaseFilter { awaiting_check: Some(true), ..Default::default() };
            let evidence = cases(awaiting, &history).count(db).await?;
            let late = cases(overdue.clone(), &history).count(db).await?;
            vec![
                item(TodoKind::FilingsToReview, to_review, "/filings?status=submitted"),
                item(TodoKind::AmendmentsToReview, amendments, "/amendments?status=pending"),
                item(TodoKind::EvidenceToCheck, evidence, "/cases?awaiting_check=true"),
                item(TodoKind::OverdueCases, late, "/cases?overdue=true"),
            ]
        }
        Role::CityOfficer | Role::ProvinceOfficer => {
            let late = cases(overdue.clone(), &history).count(db).await?;
            let counties: Vec<String> = cases(overdue, &history)
                .select_only()
                .column(case::Column::CountyCode)
                .distinct()
                .into_tuple()
                .all(db)
                .await?;
            vec![
                item(TodoKind::OverdueCases, late, "/cases?overdue=true"),
                item(TodoKind::CountiesBehind, counties.len() as u64, "/stats?by=overdue_cases"),
            ]
        }
        Role::PartnerViewer | Role::Sysadmin => Vec::new(),
    };
    Ok(Todo { items })
}
