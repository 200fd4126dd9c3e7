//! Importing a division list (another province's, or a corrected one) from a CSV with the
//! columns of the bundled Shanxi file: `code,name,level,parent_code`, and optionally the rough
//! bounds `lat_min,lat_max,lng_min,lng_max` (all four columns or none; per row all four cells
//! or none — an empty row clears the division's bounds; without the columns bounds stay as they
//! are). Every row is checked first — a six-digit code, a level that agrees with the code, a
//! name, a parent that exists (in the database or earlier or later in the file) and fits the
//! code, sound bounds — and the file is then upserted in one transaction, or not at all.

use super::{DivisionImportReport, DivisionRowError};
use crate::audit::{self, Action, EntityKind};
use crate::auth::Role;
use crate::auth::service::Principal;
use crate::db::entities::division;
use crate::divisions::{BOUND_COLUMNS, Bounds, Level, is_division_code, parent_fits, parse_bounds};
use crate::i18n::*;
use crate::service_error::ServiceError;
use crate::state::AppState;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::collections::HashMap;

/// The largest file accepted (every division of China is about 150 KB).
pub const MAX_BYTES: usize = 1024 * 1024;
/// The most data rows accepted.
pub const MAX_ROWS: usize = 10_000;
/// Rows per `IN (…)` look-up and per multi-row insert.
const CHUNK: usize = 500;
/// The columns, as in the bundled file.
const COLUMNS: [&str; 4] = ["code", "name", "level", "parent_code"];

/// Why an import stored nothing.
#[derive(Debug)]
pub enum DivisionImportError {
    /// Not a CSV we can read (binary, or an undecodable encoding).
    Unreadable,
    /// More than [`MAX_ROWS`] rows.
    TooManyRows,
    /// Rows broke the rules; each is listed.
    Rejected(Vec<DivisionRowError>),
    Service(ServiceError),
}

impl<E: Into<ServiceError>> From<E> for DivisionImportError {
    fn from(e: E) -> Self {
        DivisionImportError::Service(e.into())
    }
}

/// One row as read.
#[derive(Debug, Clone)]
struct Row {
    line: u64,
    code: String,
    name: String,
    level: Level,
    parent: Option<String>,
    /// `None` when the file has no bound columns (bounds stay as stored).
    bounds: Option<Option<Bounds>>,
}

fn message(locale: Locale, code: &str, other_line: u64) -> String {
    match code {
        "bad_code" => td_string!(locale, admin.div_bad_code).to_string(),
        "bad_level" => td_string!(locale, admin.div_bad_level).to_string(),
        "level_mismatch" => td_string!(locale, admin.div_level_mismatch).to_string(),
        "bad_name" => td_string!(locale, admin.div_bad_name).to_string(),
        "duplicate_code" => td_string!(locale, admin.div_duplicate_code, line = other_line).to_string(),
        "unknown_parent" => td_string!(locale, admin.div_unknown_parent).to_string(),
        "parent_mismatch" => td_string!(locale, admin.div_parent_mismatch).to_string(),
        "missing_column" => td_string!(locale, admin.div_missing_column).to_string(),
        "bad_bounds" => td_string!(locale, admin.div_bad_bounds).to_string(),
        _ => td_string!(locale, admin.div_malformed_row).to_string(),
    }
}

struct Problems {
    locale: Locale,
    list: Vec<DivisionRowError>,
}

impl Problems {
    fn add(&mut self, line: u64, column: Option<&str>, code: &str, other_line: u64) {
        self.list.push(DivisionRowError {
            line,
            column: column.map(str::to_owned),
            code: code.to_owned(),
            message: message(self.locale, code, other_line),
        });
    }
}

/// Line numbers of records. The reader's own line count is off after a blank line (a record's
/// start is taken before the skipped line break), so lines are counted from the text: skip the
/// line breaks at a record's start byte, then count those before it — incrementally, as records
/// come in order.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { bytes: text.as_bytes(), at: 0, line: 1 }
    }

    /// The line of the record starting at `byte` (not before the previous record's).
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut end = (byte as usize).clamp(self.at, self.bytes.len());
        while end < self.bytes.len() && (self.bytes[end] == b'\n' || self.bytes[end] == b'\r') {
            end += 1;
        }
        self.line += self.bytes[self.at..end].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = end;
        self.line
    }
}

/// Reads and checks the rows of the file by themselves (what needs no database).
fn read_rows(bytes: &[u8], problems: &mut Problems) -> Result<Vec<Row>, DivisionImportError> {
    let text = crate::machines::import::parse::decode_text(bytes).map_err(|_| DivisionImportError::Unreadable)?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| DivisionImportError::Unreadable)?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let mut index = [0usize; 4];
    for (i, name) in COLUMNS.iter().enumerate() {
        match headers.iter().position(|h| h == name) {
            Some(at) => index[i] = at,
            None => problems.add(1, Some(name), "missing_column", 0),
        }
    }
    // The bound columns: all four or none.
    let found: Vec<Option<usize>> = BOUND_COLUMNS.iter().map(|name| headers.iter().position(|h| h == name)).collect();
    let bound_index: Option<Vec<usize>> = found.iter().copied().collect();
    if bound_index.is_none() && found.iter().any(Option::is_some) {
        for (name, at) in BOUND_COLUMNS.iter().zip(&found) {
            if at.is_none() {
                problems.add(1, Some(name), "missing_column", 0);
            }
        }
    }
    if !problems.list.is_empty() {
        return Ok(vec![]);
    }
    let mut lines = LineCounter::new(&text);
    let mut rows = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let Ok(record) = record else {
            return Err(DivisionImportError::Unreadable);
        };
        let line = record.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        if rows.len() + problems.list.len() >= MAX_ROWS {
            return Err(DivisionImportError::TooManyRows);
        }
        let cell = |i: usize| record.get(index[i]).unwrap_or("").to_owned();
        let (code, name, level_text, parent) = (cell(0), cell(1), cell(2), cell(3));
        let before = problems.list.len();
        if !is_division_code(&code) {
            problems.add(line, Some("code"), "bad_code", 0);
        }
        let level = Level::parse(&level_text.to_lowercase());
        match level {
            None => problems.add(line, Some("level"), "bad_level", 0),
            Some(l) if is_division_code(&code) && Level::of_code(&code) != Some(l) => {
                problems.add(line, Some("level"), "level_mismatch", 0)
            }
            Some(_) => {}
        }
        if name.is_empty() || name.chars().count() > 100 {
            problems.add(line, Some("name"), "bad_name", 0);
        }
        if !parent.is_empty() && !is_division_code(&parent) {
            problems.add(line, Some("parent_code"), "unknown_parent", 0);
        }
        if is_division_code(&code) {
            if let Some(first) = first_line.get(&code) {
                problems.add(line, Some("code"), "duplicate_code", *first);
            } else {
                first_line.insert(code.clone(), line);
            }
        }
        let bounds = match &bound_index {
            None => None,
            Some(at) => {
                let cell = |i: usize| at.get(i).and_then(|&c| record.get(c)).unwrap_or("");
                match parse_bounds([cell(0), cell(1), cell(2), cell(3)]) {
                    Ok(b) => Some(b),
                    Err(()) => {
                        problems.add(line, Some("lat_min"), "bad_bounds", 0);
                        None
                    }
                }
            }
        };
        if let (Some(level), true) = (level, problems.list.len() == before) {
            rows.push(Row { line, code, name, level, parent: (!parent.is_empty()).then_some(parent), bounds });
        }
    }
    Ok(rows)
}

/// Imports a division file (system administrators): all rows, or none with every bad row
/// listed by line. Existing codes are updated (name, level, parent); new ones inserted, parents
/// before children.
#[tracing::instrument(skip(state, principal, bytes), fields(bytes = bytes.len()))]
pub async fn import(
    state: &AppState,
    principal: &Principal,
    bytes: &[u8],
    locale: Locale,
) -> Result<DivisionImportReport, DivisionImportError> {
    principal.require(&[Role::Sysadmin])?;
    let mut problems = Problems { locale, list: vec![] };
    let rows = read_rows(bytes, &mut problems)?;
    let total = rows.len() + problems.list.len();

    let txn = state.db.begin().await?;
    // What the database already holds for the file's codes and the parents it names.
    let mut wanted: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    wanted.extend(rows.iter().filter_map(|r| r.parent.clone()));
    wanted.sort();
    wanted.dedup();
    let mut stored: HashMap<String, division::Model> = HashMap::new();
    for chunk in wanted.chunks(CHUNK) {
        let found = division::Entity::find().filter(division::Column::Code.is_in(chunk.to_vec())).all(&txn).await?;
        stored.extend(found.into_iter().map(|d| (d.code.clone(), d)));
    }
    let in_file: HashMap<&str, Level> = rows.iter().map(|r| (r.code.as_str(), r.level)).collect();
    let mut good = Vec::with_capacity(rows.len());
    for row in &rows {
        match (row.level, &row.parent) {
            (Level::Province, None) => {}
            (Level::Province, Some(_)) | (_, None) => {
                problems.add(row.line, Some("parent_code"), "parent_mismatch", 0);
                continue;
            }
            (level, Some(parent)) => {
                let parent_level = in_file
                    .get(parent.as_str())
                    .copied()
                    .or_else(|| stored.get(parent).and_then(|d| Level::parse(&d.level)));
                match parent_level {
                    None => {
                        problems.add(row.line, Some("parent_code"), "unknown_parent", 0);
                        continue;
                    }
                    Some(pl) if !parent_fits(&row.code, level, parent, pl) => {
                        problems.add(row.line, Some("parent_code"), "parent_mismatch", 0);
                        continue;
                    }
                    Some(_) => {}
                }
            }
        }
        good.push(row);
    }
    if !problems.list.is_empty() {
        problems.list.sort_by_key(|a| a.line);
        return Err(DivisionImportError::Rejected(problems.list));
    }

    let mut report = DivisionImportReport { rows: total, ..Default::default() };
    let now = state.clock.now();
    let mut changes = Vec::new();
    let change =
        |code: &str| audit::entry(Action::Update, EntityKind::Division).by(principal).id(code).county(Some(code));
    for level in [Level::Province, Level::City, Level::County] {
        let mut fresh = Vec::new();
        for row in good.iter().filter(|r| r.level == level) {
            let stored_bounds = stored.get(&row.code).and_then(crate::divisions::service::own_bounds);
            let bounds = row.bounds.unwrap_or(stored_bounds);
            let after = serde_json::json!({"code": row.code, "name": row.name, "level": level.as_str(), "parent_code": row.parent, "bounds": bounds});
            let parts = |b: Option<Bounds>| {
                (
                    Set(b.map(|b| b.lat_min)),
                    Set(b.map(|b| b.lat_max)),
                    Set(b.map(|b| b.lng_min)),
                    Set(b.map(|b| b.lng_max)),
                )
            };
            match stored.get(&row.code) {
                None => {
                    let e = audit::entry(Action::Create, EntityKind::Division).by(principal).id(&row.code);
                    changes.push(e.county(Some(&row.code)).after(&after));
                    let (lat_min, lat_max, lng_min, lng_max) = parts(bounds);
                    fresh.push(division::ActiveModel {
                        code: Set(row.code.clone()),
                        name: Set(row.name.clone()),
                        level: Set(level.as_str().to_owned()),
                        parent_code: Set(row.parent.clone()),
                        lat_min,
                        lat_max,
                        lng_min,
                        lng_max,
                    })
                }
                Some(d)
                    if d.name == row.name
                        && d.level == level.as_str()
                        && d.parent_code == row.parent
                        && stored_bounds == bounds =>
                {
                    report.unchanged += 1;
                }
                Some(d) => {
                    let before = serde_json::json!({"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code, "bounds": stored_bounds});
                    changes.push(change(&row.code).before(&before).after(&after));
                    let mut m: division::ActiveModel = d.clone().into();
                    m.name = Set(row.name.clone());
                    m.level = Set(level.as_str().to_owned());
                    m.parent_code = Set(row.parent.clone());
                    (m.lat_min, m.lat_max, m.lng_min, m.lng_max) = parts(bounds);
                    m.update(&txn).await?;
                    report.updated += 1;
                }
            }
        }
        report.inserted += fresh.len();
        // Parents of this level were inserted by the previous round, so foreign keys hold.
        let mut fresh = fresh.into_iter().peekable();
        while fresh.peek().is_some() {
            let chunk: Vec<_> = fresh.by_ref().take(CHUNK).collect();
            division::Entity::insert_many(chunk).exec(&txn).await?;
        }
    }
    // A row per division added or changed, and one for the import as a whole (even when the
    // file changed nothing).
    let import_id = uuid::Uuid::now_v7();
    changes.push(audit::entry(Action::Import, EntityKind::Division).by(principal).id(import_id).after(&report));
    audit::service::record_many(&txn, now, changes).await?;
    txn.commit().await?;
    Ok(report)
}
