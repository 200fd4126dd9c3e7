//! The export machinery every dataset ([`super::datasets`]) uses: cells, the caller check, the
//! stream of row batches read with keyset pagination (`BATCH` rows a query, newest first by
//! id; nothing holds more than one batch), names looked up per batch, and CSV.

use super::Dataset;
use crate::auth::service::Principal;
use crate::db::entities::machine;
use crate::error::AppError;
use crate::i18n::*;
use crate::service_error::{ServiceError, ServiceResult};
use chrono::{DateTime, NaiveDate, Utc};
use futures::stream::{self, BoxStream, StreamExt};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

/// Rows read per query.
pub const BATCH: u64 = 2_000;

/// One value of a row: text, or a number (a number cell in XLSX).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    /// The value as CSV text; text that a spreadsheet would run as a formula is made inert
    /// ([`super::inert_text`]).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Text(s) => super::inert_text(s).into_owned(),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A batch of rows.
pub type Rows = Vec<Vec<Cell>>;

/// The rows of an export, a batch at a time; an `Err` ends it (the file is then broken, never
/// silently short).
pub type RowStream = BoxStream<'static, ServiceResult<Rows>>;

/// An export ready to be written: its header row (in the caller's language) and its rows.
pub struct Export {
    pub dataset: Dataset,
    pub locale: Locale,
    pub headers: Vec<String>,
    pub rows: RowStream,
}

pub(super) fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub(super) fn opt(s: Option<String>) -> Cell {
    s.map_or(Cell::Empty, Cell::Text)
}

pub(super) fn number(n: f64) -> Cell {
    Cell::Number(n)
}

pub(super) fn opt_number(n: Option<f64>) -> Cell {
    n.map_or(Cell::Empty, Cell::Number)
}

/// An instant as people in China read it.
pub(super) fn time(t: DateTime<Utc>) -> Cell {
    Cell::Text(t.with_timezone(&crate::dates::china()).format("%Y-%m-%d %H:%M:%S").to_string())
}

pub(super) fn opt_time(t: Option<DateTime<Utc>>) -> Cell {
    t.map_or(Cell::Empty, time)
}

pub(super) fn date(d: NaiveDate) -> Cell {
    Cell::Text(d.format("%Y-%m-%d").to_string())
}

pub(super) fn opt_date(d: Option<NaiveDate>) -> Cell {
    d.map_or(Cell::Empty, date)
}

pub(super) fn yes_no(locale: Locale, b: bool) -> Cell {
    Cell::Text(if b { td_string!(locale, export.yes) } else { td_string!(locale, export.no) }.to_owned())
}

pub(super) fn stored<T>(value: Option<T>, what: &str) -> ServiceResult<T> {
    value.ok_or_else(|| ServiceError::internal(format!("stored {what}")))
}

/// Refuses a dataset the caller's role may not export (403).
pub(super) fn check(principal: &Principal, dataset: Dataset) -> ServiceResult<()> {
    if dataset.allowed(principal.role) { Ok(()) } else { Err(AppError::Forbidden.into()) }
}

/// Reads `base` in keyset batches (newest first by `id`) and renders each batch.
pub(super) fn keyset<E, R, Fut>(
    db: DatabaseConnection,
    base: Select<E>,
    id: E::Column,
    id_of: fn(&E::Model) -> Uuid,
    render: R,
) -> RowStream
where
    E: EntityTrait,
    E::Model: Send + Sync,
    R: Fn(Vec<E::Model>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ServiceResult<Rows>> + Send + 'static,
{
    let render = Arc::new(render);
    stream::try_unfold((None::<Uuid>, false), move |(after, done)| {
        let (db, base, render) = (db.clone(), base.clone(), render.clone());
        async move {
            if done {
                return Ok(None);
            }
            let mut q = base;
            if let Some(after) = after {
                q = q.filter(id.lt(after));
            }
            let rows = q.order_by_desc(id).limit(BATCH).all(&db).await?;
            let Some(last) = rows.last().map(id_of) else {
                return Ok(None);
            };
            let done = (rows.len() as u64) < BATCH;
            let out = render(rows).await?;
            Ok(Some((out, (Some(last), done))))
        }
    })
    .boxed()
}

/// Machine names and registration codes by id.
pub(super) async fn machine_names(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = Uuid>,
) -> ServiceResult<HashMap<Uuid, (String, Option<String>)>> {
    let ids: HashSet<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(machine::Entity::find()
        .select_only()
        .column(machine::Column::Id)
        .column(machine::Column::Name)
        .column(machine::Column::RegistrationCode)
        .filter(machine::Column::Id.is_in(ids))
        .into_tuple::<(Uuid, String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, code)| (id, (name, code)))
        .collect())
}

pub(super) fn lookup(map: &HashMap<Uuid, String>, id: Uuid) -> Cell {
    map.get(&id).map_or(Cell::Empty, |s| Cell::Text(s.clone()))
}

pub(super) fn county(map: &HashMap<String, String>, code: &str) -> Cell {
    map.get(code).map_or(Cell::Empty, |s| Cell::Text(s.clone()))
}

/// The CSV file of an export as a stream of chunks: a UTF-8 byte-order mark and the header row,
/// then one chunk per batch. A failing batch ends the stream with an error (logged), so the
/// transfer breaks instead of ending as a shorter file.
pub fn csv_stream(export: Export) -> BoxStream<'static, Result<Vec<u8>, std::io::Error>> {
    let mut head = vec![0xEF, 0xBB, 0xBF];
    let header = write_csv(std::iter::once(export.headers.iter().map(String::as_str).collect::<Vec<_>>()));
    let first = header.map(|h| {
        head.extend_from_slice(&h);
        head
    });
    let body = export.rows.map(|batch| match batch {
        Ok(rows) => write_csv(rows.iter().map(|r| r.iter().map(Cell::to_text).collect::<Vec<_>>())),
        Err(e) => {
            let e = AppError::from(e);
            tracing::error!(code = e.code(), "export aborted: a batch failed");
            Err(std::io::Error::other("export aborted"))
        }
    });
    // Nothing after a failure: the stream ends with the error.
    let body = body.scan(false, |failed, chunk| {
        let next = if *failed { None } else { Some(chunk) };
        *failed = next.as_ref().is_some_and(Result::is_err);
        std::future::ready(next)
    });
    stream::once(async move { first }).chain(body).boxed()
}

fn write_csv<R, F>(rows: impl Iterator<Item = R>) -> Result<Vec<u8>, std::io::Error>
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        w.write_record(row).map_err(std::io::Error::other)?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}
