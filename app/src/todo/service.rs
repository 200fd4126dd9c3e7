//! Counting what waits for the caller, with the lists' own filters and scope.

use super::{Todo, TodoItem, TodoKind};
use crate::amendments::{AmendmentFilter, AmendmentStatus};
use crate::auth::service::Principal;
use crate::auth::{Role, Scope};
use crate::cases::{CaseFilter, CaseState};
use crate::db::entities::{case, evidence_photo};
use crate::evidence::SubjectKind;
use crate::filings::{FilingFilter, FilingStatus};
use crate::service_error::ServiceResult;
use crate::state::AppState;
use crate::transfers::history::UnitHistory;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, QuerySelect};

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
    let ordered = CaseFilter { state: Some(CaseState::RectificationOrdered), ..Default::default() };
    let overdue = CaseFilter { overdue: Some(true), ..Default::default() };
    let items = match principal.role {
        Role::ContractorAdmin | Role::ContractorStaff => {
            let returned = FilingFilter { status: Some(FilingStatus::Returned), ..Default::default() };
            let returned = crate::filings::service::filtered(&scope, &returned).count(db).await?;
            let unresolved = CaseState::UNRESOLVED.iter().map(|s| s.as_str());
            let open =
                cases(CaseFilter::default(), &history).filter(case::Column::State.is_in(unresolved)).count(db).await?;
            let horizon = today + chrono::Duration::days(Ord::max(state.settings.deadline_near_days, 0));
            let near = cases(ordered.clone(), &history).filter(case::Column::DeadlineOn.lte(horizon)).count(db).await?;
            vec![
                item(TodoKind::ReturnedFilings, returned, "/filings?status=returned"),
                item(TodoKind::DeadlinesNear, near, "/cases?state=rectification_ordered"),
                item(TodoKind::OpenCases, open, "/cases"),
            ]
        }
        Role::CountyInspector => {
            let submitted = FilingFilter { status: Some(FilingStatus::Submitted), ..Default::default() };
            let to_review = crate::filings::service::filtered(&scope, &submitted).count(db).await?;
            let pending = AmendmentFilter { status: Some(AmendmentStatus::Pending), ..Default::default() };
            let amendments = crate::amendments::service::filtered(&scope, &pending).count(db).await?;
            let from_units = Query::select()
                .column(evidence_photo::Column::SubjectId)
                .from(evidence_photo::Entity)
                .and_where(Expr::col(evidence_photo::Column::SubjectKind).eq(SubjectKind::Case.as_str()))
                .and_where(
                    Expr::col(evidence_photo::Column::UploaderRole)
                        .is_in([Role::ContractorAdmin.as_str(), Role::ContractorStaff.as_str()]),
                )
                .to_owned();
            let evidence =
                cases(ordered.clone(), &history).filter(case::Column::Id.in_subquery(from_units)).count(db).await?;
            let late = cases(overdue.clone(), &history).count(db).await?;
            vec![
                item(TodoKind::FilingsToReview, to_review, "/filings?status=submitted"),
                item(TodoKind::AmendmentsToReview, amendments, "/amendments?status=pending"),
                item(TodoKind::EvidenceToCheck, evidence, "/cases?state=rectification_ordered"),
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
