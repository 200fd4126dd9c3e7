//! The datasets of the exports: one function per dataset that checks the caller, selects the
//! rows with the list's own rule ([`crate::machines::service::filtered`] and its siblings) and
//! returns the header row and the stream of row batches ([`super::service`]).

use super::Dataset;
use super::service::*;
use crate::auth::Scope;
use crate::auth::service::Principal;
use crate::cases::names::{case_kind_label, case_state_label};
use crate::cases::{CaseFilter, is_overdue};
use crate::db::entities::{case, filing, filing_machine, inspection, machine, machine_type, organization, site, user};
use crate::filings::FilingFilter;
use crate::filings::names::status_label;
use crate::i18n::*;
use crate::inspections::InspectionFilter;
use crate::inspections::compliance::Reason;
use crate::inspections::names::{reason_message, verdict_label};
use crate::machines::names::{fuel_label, stage_label};
use crate::machines::{EmissionStage, FuelType, MachineFilter};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::transfers::history::UnitHistory;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

macro_rules! headers {
    ($locale:expr, [$($key:ident),* $(,)?]) => {
        vec![$(td_string!($locale, export.col.$key).to_owned()),*]
    };
}

/// Headers of a machine's own fields: the machine form's labels, so a column reads as the
/// field it was typed in.
macro_rules! machine_headers {
    ($locale:expr, [$($key:ident),* $(,)?]) => {
        vec![$(td_string!($locale, machines.$key).to_owned()),*]
    };
}

// ---------------------------------------------------------------------------------------------
// Machines

/// Machine types by code: (Chinese name, English name), every type ever defined.
async fn type_names(db: &DatabaseConnection) -> ServiceResult<HashMap<String, (String, String)>> {
    Ok(machine_type::Entity::find().all(db).await?.into_iter().map(|t| (t.code, (t.name_zh, t.name_en))).collect())
}

/// The machines of the machine list (same scope and filters), every row.
pub async fn machines(
    state: &AppState,
    principal: &Principal,
    filter: &MachineFilter,
    locale: Locale,
) -> ServiceResult<Export> {
    check(principal, Dataset::Machines)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let base = crate::machines::service::filtered(&scope, filter);
    let types = Arc::new(type_names(&state.db).await?);
    let db = state.db.clone();
    let rows = keyset(
        state.db.clone(),
        base,
        machine::Column::Id,
        |m| m.id,
        move |batch| render_machines(db.clone(), types.clone(), locale, batch),
    );
    Ok(Export {
        dataset: Dataset::Machines,
        locale,
        headers: [
            machine_headers!(
                locale,
                [
                    registration_code,
                    machine_type,
                    name,
                    brand,
                    model,
                    pin,
                    env_code,
                    engine_model,
                    engine_serial,
                    engine_maker,
                    emission_stage,
                    fuel_type,
                    rated_power_kw,
                    manufactured_on,
                    dpf_fitted,
                    obd_fitted,
                    remote_terminal,
                ]
            ),
            headers!(locale, [organization, registered_at, created_at]),
        ]
        .concat(),
        rows,
    })
}

async fn render_machines(
    db: DatabaseConnection,
    types: Arc<HashMap<String, (String, String)>>,
    locale: Locale,
    batch: Vec<machine::Model>,
) -> ServiceResult<Rows> {
    let orgs = crate::db::names::<organization::Entity>(
        &db,
        organization::Column::Id,
        organization::Column::Name,
        batch.iter().map(|m| m.organization_id),
    )
    .await?;
    batch
        .into_iter()
        .map(|m| {
            let stage = stored(EmissionStage::parse(&m.emission_stage), "stage")?;
            let fuel = stored(FuelType::parse(&m.fuel_type), "fuel")?;
            let type_name = match (types.get(&m.machine_type), locale) {
                (Some((zh, _)), Locale::zh) => zh.clone(),
                (Some((_, en)), Locale::en) => en.clone(),
                (None, _) => m.machine_type.clone(),
            };
            Ok(vec![
                opt(m.registration_code),
                text(type_name),
                text(m.name),
                opt(m.brand),
                opt(m.model),
                opt(m.pin),
                opt(m.env_code),
                opt(m.engine_model),
                opt(m.engine_serial),
                opt(m.engine_maker),
                text(stage_label(locale, stage)),
                text(fuel_label(locale, fuel)),
                number(m.rated_power_kw),
                opt_date(m.manufactured_on),
                yes_no(locale, m.dpf_fitted),
                yes_no(locale, m.obd_fitted),
                yes_no(locale, m.remote_terminal),
                lookup(&orgs, m.organization_id),
                opt_time(m.registered_at),
                time(m.created_at),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Filings

/// The filings of the filing list (same scope and filters), every row.
pub async fn filings(
    state: &AppState,
    principal: &Principal,
    filter: &FilingFilter,
    locale: Locale,
) -> ServiceResult<Export> {
    check(principal, Dataset::Filings)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let base = crate::filings::read::filtered(&scope, filter);
    let db = state.db.clone();
    let rows = keyset(
        state.db.clone(),
        base,
        filing::Column::Id,
        |f| f.id,
        move |batch| render_filings(db.clone(), locale, batch),
    );
    Ok(Export {
        dataset: Dataset::Filings,
        locale,
        headers: headers!(
            locale,
            [
                site,
                organization,
                county_code,
                county,
                status,
                planned_entry_on,
                planned_exit_on,
                machine_count,
                submitted_at,
                reviewed_at,
                return_reason,
                created_at,
            ]
        ),
        rows,
    })
}

#[derive(Debug, FromQueryResult)]
struct MachineCount {
    filing_id: Uuid,
    n: i64,
}

async fn render_filings(db: DatabaseConnection, locale: Locale, batch: Vec<filing::Model>) -> ServiceResult<Rows> {
    let sites =
        crate::db::names::<site::Entity>(&db, site::Column::Id, site::Column::Name, batch.iter().map(|f| f.site_id))
            .await?;
    let orgs = crate::db::names::<organization::Entity>(
        &db,
        organization::Column::Id,
        organization::Column::Name,
        batch.iter().map(|f| f.organization_id),
    )
    .await?;
    let counties = crate::divisions::service::names(&db, batch.iter().map(|f| f.county_code.clone())).await?;
    let counts: HashMap<Uuid, i64> = filing_machine::Entity::find()
        .select_only()
        .column(filing_machine::Column::FilingId)
        .column_as(Expr::col(filing_machine::Column::MachineId).count(), "n")
        .filter(filing_machine::Column::FilingId.is_in(batch.iter().map(|f| f.id)))
        // A machine that left the filing (transferred to another unit) is no longer on it.
        .filter(filing_machine::Column::LeftOn.is_null())
        .group_by(filing_machine::Column::FilingId)
        .into_model::<MachineCount>()
        .all(&db)
        .await?
        .into_iter()
        .map(|c| (c.filing_id, c.n))
        .collect();
    batch
        .into_iter()
        .map(|f| {
            let status = f.status;
            Ok(vec![
                lookup(&sites, f.site_id),
                lookup(&orgs, f.organization_id),
                text(f.county_code.clone()),
                county(&counties, &f.county_code),
                text(status_label(locale, status)),
                date(f.planned_entry_on),
                date(f.planned_exit_on),
                number(counts.get(&f.id).copied().unwrap_or(0) as f64),
                opt_time(f.submitted_at),
                opt_time(f.reviewed_at),
                opt(f.return_reason),
                time(f.created_at),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Inspections

/// The inspections of the inspection list (same scope and filters), every row.
pub async fn inspections(
    state: &AppState,
    principal: &Principal,
    filter: &InspectionFilter,
    locale: Locale,
) -> ServiceResult<Export> {
    check(principal, Dataset::Inspections)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    let base = crate::inspections::read::filtered(&scope, &history, filter);
    let db = state.db.clone();
    let rows = keyset(
        state.db.clone(),
        base,
        inspection::Column::Id,
        |i| i.id,
        move |batch| render_inspections(db.clone(), locale, batch),
    );
    Ok(Export {
        dataset: Dataset::Inspections,
        locale,
        headers: headers!(
            locale,
            [
                inspected_at,
                county_code,
                county,
                site,
                registration_code,
                name,
                unregistered_description,
                emission_stage,
                fuel_type,
                rated_power_kw,
                opacity_readings,
                mean_k,
                limit_k,
                ringelmann_level,
                verdict,
                reasons,
                inspector,
                label_present,
                limit_table_version,
                notes,
            ]
        ),
        rows,
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> ServiceResult<T> {
    serde_json::from_str(text).map_err(ServiceError::internal)
}

async fn render_inspections(
    db: DatabaseConnection,
    locale: Locale,
    batch: Vec<inspection::Model>,
) -> ServiceResult<Rows> {
    let sites =
        crate::db::names::<site::Entity>(&db, site::Column::Id, site::Column::Name, batch.iter().map(|i| i.site_id))
            .await?;
    let people = crate::db::names::<user::Entity>(
        &db,
        user::Column::Id,
        user::Column::DisplayName,
        batch.iter().map(|i| i.inspector_id),
    )
    .await?;
    let machines = machine_names(&db, batch.iter().filter_map(|i| i.machine_id)).await?;
    let counties = crate::divisions::service::names(&db, batch.iter().map(|i| i.county_code.clone())).await?;
    let separator = if locale == Locale::zh { "；" } else { "; " };
    batch
        .into_iter()
        .map(|i| {
            let stage = stored(EmissionStage::parse(&i.emission_stage), "stage")?;
            let fuel = stored(FuelType::parse(&i.fuel_type), "fuel")?;
            let verdict = i.verdict;
            let readings: Vec<f64> = parse_json(&i.opacity_readings)?;
            let reasons: Vec<String> = parse_json(&i.reasons)?;
            let reasons: Vec<&str> =
                reasons.iter().filter_map(|c| Reason::parse(c)).map(|r| reason_message(locale, r)).collect();
            let (name, code) = match i.machine_id.and_then(|id| machines.get(&id)) {
                Some((n, c)) => (text(n.clone()), opt(c.clone())),
                None => (Cell::Empty, Cell::Empty),
            };
            Ok(vec![
                time(i.inspected_at),
                text(i.county_code.clone()),
                county(&counties, &i.county_code),
                lookup(&sites, i.site_id),
                code,
                name,
                opt(i.unregistered_description),
                text(stage_label(locale, stage)),
                text(fuel_label(locale, fuel)),
                number(i.rated_power_kw),
                text(readings.iter().map(f64::to_string).collect::<Vec<_>>().join(" / ")),
                opt_number(i.mean_k),
                opt_number(i.limit_k),
                opt_number(i.ringelmann_level.map(f64::from)),
                text(verdict_label(locale, verdict)),
                text(reasons.join(separator)),
                lookup(&people, i.inspector_id),
                i.label_present.map_or(Cell::Empty, |b| yes_no(locale, b)),
                text(i.limit_table_version),
                opt(i.notes),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Cases

/// The cases of the case list (same scope and filters, `overdue` on today's China date), every
/// row.
pub async fn cases(
    state: &AppState,
    principal: &Principal,
    filter: &CaseFilter,
    locale: Locale,
) -> ServiceResult<Export> {
    check(principal, Dataset::Cases)?;
    let scope = Scope::resolve(&state.db, principal).await?;
    let history = UnitHistory::resolve(&state.db, &scope).await?;
    let today = crate::dates::china_date(state.clock.now());
    let base = crate::cases::service::filtered(&scope, &history, filter, today);
    let db = state.db.clone();
    let rows = keyset(
        state.db.clone(),
        base,
        case::Column::Id,
        |c| c.id,
        move |batch| render_cases(db.clone(), locale, today, batch),
    );
    Ok(Export {
        dataset: Dataset::Cases,
        locale,
        headers: headers!(
            locale,
            [
                opened_at,
                county_code,
                county,
                kind,
                state,
                registration_code,
                name,
                organization,
                site,
                deadline_on,
                overdue,
                penalty_yuan,
                legal_basis,
                closed_at,
            ]
        ),
        rows,
    })
}

async fn render_cases(
    db: DatabaseConnection,
    locale: Locale,
    today: NaiveDate,
    batch: Vec<case::Model>,
) -> ServiceResult<Rows> {
    let sites =
        crate::db::names::<site::Entity>(&db, site::Column::Id, site::Column::Name, batch.iter().map(|c| c.site_id))
            .await?;
    let orgs = crate::db::names::<organization::Entity>(
        &db,
        organization::Column::Id,
        organization::Column::Name,
        batch.iter().filter_map(|c| c.organization_id),
    )
    .await?;
    let machines = machine_names(&db, batch.iter().filter_map(|c| c.machine_id)).await?;
    let counties = crate::divisions::service::names(&db, batch.iter().map(|c| c.county_code.clone())).await?;
    batch
        .into_iter()
        .map(|c| {
            let state = c.state;
            let kind = c.kind;
            let (name, code) = match c.machine_id.and_then(|id| machines.get(&id)) {
                Some((n, code)) => (text(n.clone()), opt(code.clone())),
                None => (Cell::Empty, Cell::Empty),
            };
            Ok(vec![
                time(c.opened_at),
                text(c.county_code.clone()),
                county(&counties, &c.county_code),
                text(case_kind_label(locale, kind)),
                text(case_state_label(locale, state)),
                code,
                name,
                c.organization_id.map_or(Cell::Empty, |id| lookup(&orgs, id)),
                lookup(&sites, c.site_id),
                opt_date(c.deadline_on),
                yes_no(locale, is_overdue(state, c.deadline_on, today)),
                opt_number(c.penalty_yuan.map(|p| p as f64)),
                opt(c.legal_basis),
                opt_time(c.closed_at),
            ])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// CSV
