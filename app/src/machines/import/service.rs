//! The import itself: every row through the machine rules and the registry checks that the
//! form and the API use (batched: a few `IN (...)` queries for the whole file), duplicates
//! within the file, then one transaction of multi-row inserts.

use super::parse::{self, ParsedRow, ReadError};
use super::{ImportMode, ImportReport, ImportRowError, column_of};
use crate::audit::{self, Action, EntityKind};
use crate::auth::service::Principal;
use crate::db::entities::machine;
use crate::error::{AppError, ConflictCode, FieldCode, FieldError, FieldErrors};
use crate::i18n::Locale;
use crate::machines::registry::{RegistryView, identifiers};
use crate::machines::service::{new_row, to_dto, types};
use crate::service_error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::ui::messages::field_message;
use sea_orm::{EntityTrait, TransactionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Rows per `INSERT`: 28 columns × 400 rows stays under SQLite's 32,766 parameters.
const INSERT_CHUNK: usize = 400;

/// Why an upload was refused as a whole.
#[derive(Debug)]
pub enum ImportError {
    /// More than [`super::MAX_ROWS`] data rows.
    TooManyRows,
    /// Anything else (unreadable file, not a contractor, the database).
    Service(ServiceError),
}

impl From<ServiceError> for ImportError {
    fn from(e: ServiceError) -> Self {
        ImportError::Service(e)
    }
}

impl From<AppError> for ImportError {
    fn from(e: AppError) -> Self {
        ImportError::Service(e.into())
    }
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        ImportError::Service(e.into())
    }
}

/// What became of one row.
enum Outcome {
    Import,
    Skip,
    Reject,
}

/// Reads, checks and (unless a row is bad in `all_or_nothing` mode) stores the machines of a
/// CSV or XLSX file in the caller's fleet. Messages of the report are in `locale`.
#[tracing::instrument(skip(state, bytes), fields(user = %principal.username, bytes = bytes.len()))]
pub async fn import(
    state: &AppState,
    principal: &Principal,
    bytes: Vec<u8>,
    mode: ImportMode,
    locale: Locale,
) -> Result<ImportReport, ImportError> {
    let org = principal.contractor_org()?;
    let now = state.clock.now();
    let today = crate::dates::china_date(now);
    let type_names = parse::type_names(&types(&state.db).await?);

    // Reading and the per-row rules are CPU work: off the async workers.
    let parsed = tokio::task::spawn_blocking(move || {
        let table = parse::read_table(&bytes)?;
        let layout = parse::layout(&table.headers);
        let rows: Vec<ParsedRow> = if layout.errors.is_empty() {
            table.rows.iter().map(|(n, cells)| parse::row_to_input(*n, cells, &layout, &type_names, today)).collect()
        } else {
            Vec::new()
        };
        Ok::<_, ReadError>((table.header_row.max(1), table.rows.len(), layout.errors, rows))
    })
    .await
    .map_err(ServiceError::internal)?;
    let (header_row, row_count, header_errors, mut rows) = match parsed {
        Ok(p) => p,
        Err(ReadError::TooManyRows { .. }) => return Err(ImportError::TooManyRows),
        Err(ReadError::Unreadable) => return Err(AppError::BadRequest { code: "unreadable_file".into() }.into()),
        Err(ReadError::UnsupportedXls) => return Err(AppError::BadRequest { code: "unsupported_file".into() }.into()),
        Err(ReadError::TooLargeUnzipped) => return Err(AppError::PayloadTooLarge.into()),
    };
    let mut report = ImportReport { mode, rows: row_count as u32, imported: 0, skipped: 0, errors: Vec::new() };
    if !header_errors.is_empty() {
        for (column, e) in header_errors {
            report.errors.push(ImportRowError {
                row: header_row,
                field: None,
                message: field_message(locale, &e),
                message_code: e.code.as_str().to_owned(),
                params: e.params,
                column,
            });
        }
        return Ok(report);
    }

    mark_duplicates_in_file(&mut rows);
    let registry = RegistryView::load(&state.db, rows.iter().map(|r| &r.input)).await?;
    let mut outcomes = Vec::with_capacity(rows.len());
    for r in &mut rows {
        outcomes.push(judge(r, &registry, org)?);
    }

    for r in &rows {
        report_row(&mut report, r, locale);
    }
    report.skipped = outcomes.iter().filter(|o| matches!(o, Outcome::Skip)).count() as u32;
    if mode == ImportMode::AllOrNothing && !report.errors.is_empty() {
        return Ok(report);
    }

    let mut entries = Vec::new();
    let to_store: Vec<machine::ActiveModel> = rows
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Import))
        .map(|(r, _)| {
            let id = Uuid::now_v7();
            let after = serde_json::json!({"id": id, "organization_id": org, "data": r.input, "source": "import", "row": r.row});
            entries.push(audit::entry(Action::Create, EntityKind::Machine).by(principal).id(id).after(&after));
            new_row(id, org, &r.input, now)
        })
        .collect();
    let count = to_store.len();
    let txn = state.db.begin().await?;
    let mut pending = to_store.into_iter().peekable();
    while pending.peek().is_some() {
        let chunk: Vec<_> = pending.by_ref().take(INSERT_CHUNK).collect();
        match machine::Entity::insert_many(chunk).exec(&txn).await {
            Ok(_) => {}
            // Another upload stored one of these identifiers since they were checked.
            Err(e) if crate::db::is_unique_violation(&e) => {
                return Err(AppError::conflict(ConflictCode::DuplicateIdentifier).into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    audit::service::record_many(&txn, now, entries).await?;
    txn.commit().await?;
    report.imported = count as u32;
    tracing::info!(imported = report.imported, skipped = report.skipped, errors = report.errors.len(), "import");
    Ok(report)
}

/// Later rows repeating an identifier of an earlier row get `duplicate_in_file` naming it.
fn mark_duplicates_in_file(rows: &mut [ParsedRow]) {
    let mut first: [HashMap<String, u32>; 3] = Default::default();
    for r in rows.iter_mut() {
        let mut found = Vec::new();
        for (i, (field, value)) in identifiers(&r.input).into_iter().enumerate() {
            let Some(v) = value else { continue };
            match first[i].get(v) {
                Some(row) => found.push((field, *row)),
                None => {
                    first[i].insert(v.clone(), r.row);
                }
            }
        }
        for (field, row) in found {
            r.errors.add(field, FieldError::new(FieldCode::DuplicateInFile).with("row", row));
        }
    }
}

/// Applies the registry rules to a row. A valid row whose identifiers all belong to one
/// machine of the caller's fleet holding the same data is skipped (a re-import); a machine of
/// the fleet with other data is `already_in_fleet`; anything else taken is `already_registered`.
fn judge(r: &mut ParsedRow, registry: &RegistryView, org: Uuid) -> ServiceResult<Outcome> {
    let holders = registry.holders(&r.input);
    if r.errors.is_empty()
        && let Some((_, first)) = holders.first()
        && holders.iter().all(|(_, m)| m.id == first.id)
        && first.organization_id == org
        && to_dto((*first).clone(), vec![])?.data == r.input
    {
        return Ok(Outcome::Skip);
    }
    let mut errors = FieldErrors::new();
    registry.check(&r.input, None, &mut errors);
    for (field, list) in errors.0 {
        for e in list {
            let own = holders.iter().any(|(f, m)| *f == field && m.organization_id == org);
            let e = if e.code == FieldCode::AlreadyRegistered && own {
                FieldError::new(FieldCode::AlreadyInFleet)
            } else {
                e
            };
            r.errors.add(&field, e);
        }
    }
    Ok(if r.errors.is_empty() { Outcome::Import } else { Outcome::Reject })
}

/// Appends a row's problems to the report, in column order.
fn report_row(report: &mut ImportReport, r: &ParsedRow, locale: Locale) {
    let mut items: Vec<(usize, ImportRowError)> = Vec::new();
    for (field, list) in &r.errors.0 {
        let (order, header) = match column_of(field) {
            Some(c) => (super::COLUMNS.iter().position(|x| x.field == c.field).unwrap_or(0), c.header.to_owned()),
            None => (usize::MAX, field.clone()),
        };
        for e in list {
            items.push((
                order,
                ImportRowError {
                    row: r.row,
                    column: header.clone(),
                    field: Some(field.clone()),
                    message_code: e.code.as_str().to_owned(),
                    message: field_message(locale, e),
                    params: e.params.clone(),
                },
            ));
        }
    }
    items.sort_by_key(|(order, _)| *order);
    report.errors.extend(items.into_iter().map(|(_, e)| e));
}
