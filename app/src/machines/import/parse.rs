//! Reading an uploaded file into rows of cells, and cells into [`MachineInput`]s.
//!
//! XLSX (a zip, so it starts with `PK`) is read with calamine's streaming cell reader, so a
//! sheet with a stray cell at row 1,000,000 costs nothing; CSV may be UTF-8 (with or without a
//! BOM), UTF-16 with a BOM, or GB18030/GBK, comma-, semicolon- or tab-separated. Both stop
//! reading as soon as the file has more than [`MAX_ROWS`] data rows. Synchronous and CPU-bound:
//! callers run it in `spawn_blocking`.

use super::values::{parse_bool, parse_date, parse_fuel, parse_number, parse_stage};
use super::{COLUMNS, ColumnKind, ImportColumn, MAX_ROWS, column_for_header};
use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::machines::{EmissionStage, FuelType, MachineInput, MachineTypeInfo, rules};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::io::Cursor;

/// Columns past this one are never read (the template has 21).
const MAX_COLUMNS: usize = 64;
/// The most an XLSX may expand to, all its parts together (guards against zip bombs). A full
/// 5,000-row template expands to about 3 MB.
pub const MAX_UNZIPPED: u64 = 32 * 1024 * 1024;

/// One cell as the file gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    /// A formula error or another value that means nothing here.
    Invalid,
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// The cells of a file: the header row and the data rows, each with its spreadsheet row
/// number (1-based, as Excel shows it). Blank rows are left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header_row: u32,
    pub headers: Vec<String>,
    pub rows: Vec<(u32, Vec<Cell>)>,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not a spreadsheet we read (or a damaged one).
    Unreadable,
    /// A legacy `.xls` (or another OLE2 document).
    UnsupportedXls,
    /// More than [`MAX_ROWS`] data rows; `found` counts up to where reading stopped.
    TooManyRows { found: usize },
    /// An XLSX whose parts expand beyond [`MAX_UNZIPPED`] (a zip bomb, forged sizes or not).
    TooLargeUnzipped,
}

/// Reads an uploaded file, telling XLSX from CSV by its first bytes.
pub fn read_table(bytes: &[u8]) -> Result<Table, ReadError> {
    if bytes.starts_with(b"PK") {
        read_xlsx(bytes)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(ReadError::UnsupportedXls)
    } else {
        read_csv(bytes)
    }
}

/// Collects rows (cells by column), keeping the first non-blank row as the header.
#[derive(Default)]
struct Builder {
    table: Table,
    have_header: bool,
}

impl Builder {
    fn push(&mut self, row: u32, mut cells: Vec<Cell>) -> Result<(), ReadError> {
        cells.truncate(MAX_COLUMNS);
        if cells.iter().all(Cell::is_blank) {
            return Ok(());
        }
        if !self.have_header {
            self.have_header = true;
            self.table.header_row = row;
            self.table.headers = cells.iter().map(cell_text).collect();
            return Ok(());
        }
        if self.table.rows.len() >= MAX_ROWS {
            return Err(ReadError::TooManyRows { found: self.table.rows.len() + 1 });
        }
        self.table.rows.push((row, cells));
        Ok(())
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, ReadError> {
    use calamine::{DataRef, Reader, Xlsx};
    check_zip_sizes(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| ReadError::Unreadable)?;
    let Some(sheet) = book.sheet_names().into_iter().next() else { return Err(ReadError::Unreadable) };
    let mut reader = book.worksheet_cells_reader(&sheet).map_err(|_| ReadError::Unreadable)?;
    let mut builder = Builder::default();
    let mut current: Option<(u32, Vec<Cell>)> = None;
    while let Some(cell) = reader.next_cell().map_err(|_| ReadError::Unreadable)? {
        let (r, c) = cell.get_position();
        let c = c as usize;
        if c >= MAX_COLUMNS {
            continue;
        }
        let value = match cell.get_value() {
            DataRef::Empty => Cell::Empty,
            DataRef::String(s) => Cell::Text(s.clone()),
            DataRef::SharedString(s) => Cell::Text((*s).to_owned()),
            DataRef::Float(f) => Cell::Number(*f),
            DataRef::Int(i) => Cell::Number(*i as f64),
            DataRef::Bool(b) => Cell::Bool(*b),
            DataRef::DateTime(dt) => dt.as_datetime().map(|d| Cell::Date(d.date())).unwrap_or(Cell::Invalid),
            DataRef::DateTimeIso(s) => parse_date(s.get(..10).unwrap_or(s)).map(Cell::Date).unwrap_or(Cell::Invalid),
            DataRef::DurationIso(_) | DataRef::Error(_) => Cell::Invalid,
        };
        let row = r + 1;
        if current.as_ref().is_some_and(|(n, _)| *n != row)
            && let Some((n, cells)) = current.take()
        {
            builder.push(n, cells)?;
        }
        let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
        if cells.len() <= c {
            cells.resize(c + 1, Cell::Empty);
        }
        cells[c] = value;
    }
    if let Some((n, cells)) = current {
        builder.push(n, cells)?;
    }
    Ok(builder.table)
}

/// Refuses archives that expand beyond [`MAX_UNZIPPED`] in all. The sizes an archive declares
/// can be forged, so each entry is really decompressed, into nothing, counting bytes and
/// stopping at the limit: a zip bomb costs a bounded amount of work and no memory before the
/// spreadsheet reader (which would keep its shared strings in memory) ever sees it.
fn check_zip_sizes(bytes: &[u8]) -> Result<(), ReadError> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ReadError::Unreadable)?;
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        declared = declared.saturating_add(archive.by_index_raw(i).map_err(|_| ReadError::Unreadable)?.size());
    }
    if declared > MAX_UNZIPPED {
        return Err(ReadError::TooLargeUnzipped);
    }
    let mut actual: u64 = 0;
    for i in 0..archive.len() {
        // The raw (compressed) bytes, inflated here: the zip reader would stop at the declared
        // size, which is exactly what a forger controls.
        let entry = archive.by_index_raw(i).map_err(|_| ReadError::Unreadable)?;
        let room = MAX_UNZIPPED - actual;
        let n = match entry.compression() {
            zip::CompressionMethod::Stored => entry.compressed_size(),
            zip::CompressionMethod::Deflated => {
                let inflated = flate2::read::DeflateDecoder::new(entry);
                std::io::copy(&mut inflated.take(room + 1), &mut std::io::sink()).map_err(|_| ReadError::Unreadable)?
            }
            _ => return Err(ReadError::Unreadable),
        };
        actual = actual.saturating_add(n);
        if actual > MAX_UNZIPPED {
            return Err(ReadError::TooLargeUnzipped);
        }
    }
    Ok(())
}

/// Decodes CSV bytes: a BOM decides; else UTF-8 when valid; else GB18030 (a superset of GBK).
pub fn decode_text(bytes: &[u8]) -> Result<String, ReadError> {
    let text = if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, _) = encoding.decode(&bytes[bom_len..]);
        text.into_owned()
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        s.to_owned()
    } else {
        let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
        if had_errors {
            return Err(ReadError::Unreadable);
        }
        text.into_owned()
    };
    if text.contains('\0') {
        return Err(ReadError::Unreadable);
    }
    Ok(text)
}

fn read_csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let text = decode_text(bytes)?;
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first_line.matches(c).count();
    let delimiter = [(b',', count(',')), (b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d)
        .unwrap_or(b',');
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut builder = Builder::default();
    let mut record = csv::StringRecord::new();
    let mut row: u32 = 0;
    loop {
        // The reader skips blank lines; spreadsheets count them as rows, so we do too: the
        // lines consumed, less the record's own line and the line breaks inside its quoted
        // fields, are the blank lines before it.
        let before = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let after = reader.position().line();
                let inner = record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
                // (The reader counts the end of the input as the end of a line.)
                let blank = after.saturating_sub(before).saturating_sub(inner + 1);
                row += (blank + 1) as u32;
                let cells = record
                    .iter()
                    .take(MAX_COLUMNS)
                    .map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_owned()) })
                    .collect();
                builder.push(row, cells)?;
            }
            Err(_) => return Err(ReadError::Unreadable),
        }
    }
    Ok(builder.table)
}

/// The text of a cell, for text columns and headers.
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty | Cell::Invalid => String::new(),
        Cell::Text(s) => s.trim().to_owned(),
        Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Cell::Number(f) => f.to_string(),
        Cell::Bool(true) => "是".into(),
        Cell::Bool(false) => "否".into(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// Which column of the file holds which field, and the problems of the header row.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// File column index → import column.
    pub columns: Vec<(usize, &'static ImportColumn)>,
    /// Header problems: (column header, error).
    pub errors: Vec<(String, FieldError)>,
}

/// Matches the header row to the columns: unknown or repeated headers and missing required
/// columns are errors (a misspelt header must not silently drop a column of data).
pub fn layout(headers: &[String]) -> Layout {
    let mut out = Layout::default();
    for (i, h) in headers.iter().enumerate() {
        if h.trim().is_empty() {
            continue;
        }
        match column_for_header(h) {
            Some(c) if out.columns.iter().any(|(_, x)| x.field == c.field) => {
                out.errors.push((h.trim().to_owned(), FieldError::new(FieldCode::DuplicateColumn)));
            }
            Some(c) => out.columns.push((i, c)),
            None => out.errors.push((h.trim().to_owned(), FieldError::new(FieldCode::UnknownColumn))),
        }
    }
    for c in COLUMNS.iter().filter(|c| c.required) {
        if !out.columns.iter().any(|(_, x)| x.field == c.field) {
            out.errors.push((c.header.to_owned(), FieldError::new(FieldCode::MissingColumn).with("column", c.header)));
        }
    }
    out
}

/// Maps the names people write for a machine type (code, Chinese or English name) to its code.
pub fn type_names(types: &[MachineTypeInfo]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for t in types {
        for n in [&t.code, &t.name_zh, &t.name_en] {
            names.insert(super::normalize_header(n), t.code.as_str().to_owned());
        }
    }
    for (alias, code) in [("打桩机", "piling_rig"), ("空压机", "air_compressor"), ("发电机", "generator_set")]
    {
        if types.iter().any(|t| t.code == code) {
            names.entry(alias.to_owned()).or_insert_with(|| code.to_owned());
        }
    }
    names
}

/// One data row turned into a machine, with the problems found in its cells and by the rules.
#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub row: u32,
    pub input: MachineInput,
    pub errors: FieldErrors,
}

/// Builds the machine of a row, then applies [`rules::validate`] (the one set of machine
/// rules). A cell that cannot be read is reported on its field and stands in with a value that
/// raises no second error, so each problem is reported once.
pub fn row_to_input(
    row: u32,
    cells: &[Cell],
    layout: &Layout,
    types: &HashMap<String, String>,
    today: NaiveDate,
) -> ParsedRow {
    let mut errors = FieldErrors::new();
    let mut input = MachineInput {
        machine_type: String::new(),
        name: String::new(),
        brand: None,
        model: None,
        pin: None,
        env_code: None,
        info_disclosure_no: None,
        engine_model: None,
        engine_serial: None,
        engine_maker: None,
        engine_approval_no: None,
        emission_stage: EmissionStage::Stage4,
        fuel_type: FuelType::Diesel,
        rated_power_kw: 1.0,
        manufactured_on: None,
        dpf_fitted: false,
        dpf_model: None,
        dpf_maker: None,
        dpf_fitted_on: None,
        obd_fitted: false,
        remote_terminal: false,
    };
    let mut stage: Option<EmissionStage> = None;
    let mut fuel: Option<FuelType> = None;
    let mut power_ok = false;
    for (i, column) in &layout.columns {
        let cell = cells.get(*i).unwrap_or(&Cell::Empty);
        if cell.is_blank() {
            continue;
        }
        let text = cell_text(cell);
        let field = column.field;
        let bad = |code: FieldCode| FieldError::new(code).with("value", &text);
        match column.kind {
            ColumnKind::Text => set_text(&mut input, field, text.clone()),
            ColumnKind::MachineType => {
                input.machine_type =
                    types.get(&super::normalize_header(&text)).cloned().unwrap_or_else(|| text.clone());
            }
            ColumnKind::Stage => match parse_stage(&text) {
                Some(s) => stage = Some(s),
                None => errors.add(field, bad(FieldCode::UnknownValue)),
            },
            ColumnKind::Fuel => match parse_fuel(&text) {
                Some(f) => fuel = Some(f),
                None => errors.add(field, bad(FieldCode::UnknownValue)),
            },
            ColumnKind::Number => match cell {
                Cell::Number(f) => {
                    input.rated_power_kw = *f;
                    power_ok = true;
                }
                _ => match parse_number(&text) {
                    Some(f) => {
                        input.rated_power_kw = f;
                        power_ok = true;
                    }
                    None => errors.add(field, bad(FieldCode::BadNumber)),
                },
            },
            ColumnKind::Date => {
                let date = match cell {
                    Cell::Date(d) => Some(*d),
                    Cell::Text(s) => parse_date(s),
                    _ => None,
                };
                match date {
                    Some(d) if field == "manufactured_on" => input.manufactured_on = Some(d),
                    Some(d) => input.dpf_fitted_on = Some(d),
                    None => errors.add(field, bad(FieldCode::BadDate)),
                }
            }
            ColumnKind::Boolean => {
                let value = match cell {
                    Cell::Bool(b) => Some(*b),
                    Cell::Number(f) if *f == 1.0 || *f == 0.0 => Some(*f == 1.0),
                    _ => parse_bool(&text),
                };
                match value {
                    Some(b) => set_bool(&mut input, field, b),
                    None => errors.add(field, bad(FieldCode::BadBoolean)),
                }
            }
        }
    }
    // Required cells the file left empty (the rules check the name and the type themselves).
    for (field, present) in
        [("emission_stage", stage.is_some()), ("fuel_type", fuel.is_some()), ("rated_power_kw", power_ok)]
    {
        if !present && !errors.0.contains_key(field) {
            errors.add(field, FieldError::new(FieldCode::Required));
        }
    }
    // A stand-in for an unreadable stage or fuel agrees with the other, so the electric rule
    // only speaks about values that were actually given.
    input.emission_stage = stage.unwrap_or(match fuel {
        Some(FuelType::Electric) => EmissionStage::Electric,
        _ => EmissionStage::Stage4,
    });
    input.fuel_type = fuel.unwrap_or(match stage {
        Some(EmissionStage::Electric) => FuelType::Electric,
        _ => FuelType::Diesel,
    });
    let rule_errors = rules::validate(&mut input, today);
    for (field, list) in rule_errors.0 {
        if field == "rated_power_kw" && !power_ok {
            continue;
        }
        for e in list {
            errors.add(&field, e);
        }
    }
    ParsedRow { row, input, errors }
}

fn set_text(input: &mut MachineInput, field: &str, value: String) {
    if field == "name" {
        input.name = value;
        return;
    }
    let v = Some(value);
    match field {
        "brand" => input.brand = v,
        "model" => input.model = v,
        "pin" => input.pin = v,
        "env_code" => input.env_code = v,
        "info_disclosure_no" => input.info_disclosure_no = v,
        "engine_model" => input.engine_model = v,
        "engine_serial" => input.engine_serial = v,
        "engine_maker" => input.engine_maker = v,
        "engine_approval_no" => input.engine_approval_no = v,
        "dpf_model" => input.dpf_model = v,
        "dpf_maker" => input.dpf_maker = v,
        _ => {}
    }
}

fn set_bool(input: &mut MachineInput, field: &str, value: bool) {
    match field {
        "dpf_fitted" => input.dpf_fitted = value,
        "obd_fitted" => input.obd_fitted = value,
        "remote_terminal" => input.remote_terminal = value,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    fn types() -> HashMap<String, String> {
        type_names(&[MachineTypeInfo {
            code: "excavator".into(),
            name_zh: "挖掘机".into(),
            name_en: "Excavator".into(),
        }])
    }

    fn header_line() -> String {
        COLUMNS.iter().map(|c| c.header).collect::<Vec<_>>().join(",")
    }

    #[test]
    fn utf8_bom_and_gbk_csv_read_the_same() {
        let csv = format!(
            "{}\n挖掘机,1号机,三一,SY215C,SY215C10086,,,,,,,国四,柴油,118,2023-05-01,是,,,,否,否\n",
            header_line()
        );
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(csv.as_bytes());
        let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
        let a = read_table(&with_bom).map_err(|e| format!("{e:?}"));
        let b = read_table(&gbk).map_err(|e| format!("{e:?}"));
        assert_eq!(a, b);
        let table = a.unwrap_or_default();
        assert_eq!(table.header_row, 1);
        assert_eq!(table.headers[0], "机械类型");
        assert_eq!(table.rows.len(), 1);
        let layout = layout(&table.headers);
        assert!(layout.errors.is_empty(), "{:?}", layout.errors);
        let parsed = row_to_input(2, &table.rows[0].1, &layout, &types(), today());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.input.machine_type, "excavator");
        assert_eq!(parsed.input.emission_stage, EmissionStage::Stage4);
        assert!(parsed.input.dpf_fitted);
    }

    #[test]
    fn blank_lines_count_as_rows() {
        let csv = format!("\n{}\n挖掘机,一\n\n\n挖掘机,二\n\"挖掘机\",\"三\n行\"\n挖掘机,四\n", header_line());
        let table = read_table(csv.as_bytes()).unwrap_or_default();
        assert_eq!(table.header_row, 2);
        let rows: Vec<u32> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(rows, vec![3, 6, 7, 8]);
        // The same without a final line break, after blank lines, with CRLF.
        let csv = format!("{}\r\n挖掘机,一\r\n\r\n挖掘机,二", header_line());
        let table = read_table(csv.as_bytes()).unwrap_or_default();
        let rows: Vec<u32> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(rows, vec![2, 4]);
    }

    #[test]
    fn unreadable_cells_are_reported_once() {
        let csv = format!("{}\n挖掘机,1号机,,,SY215C10086,,,,,,,国五,电,abc,2023-13-01,也许,,,,,\n", header_line());
        let table = read_table(csv.as_bytes()).unwrap_or_default();
        let layout = layout(&table.headers);
        let parsed = row_to_input(2, &table.rows[0].1, &layout, &types(), today());
        let codes: Vec<(String, String)> = parsed
            .errors
            .0
            .iter()
            .flat_map(|(f, v)| v.iter().map(|e| (f.clone(), e.code.as_str().to_owned())))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("dpf_fitted".into(), "bad_boolean".into()),
                ("emission_stage".into(), "unknown_value".into()),
                ("manufactured_on".into(), "bad_date".into()),
                ("rated_power_kw".into(), "bad_number".into()),
            ]
        );
    }

    #[test]
    fn headers_must_be_known_and_complete() {
        let l = layout(&["机械类型".into(), "名称".into(), "备注".into(), "名称".into()]);
        let codes: Vec<&str> = l.errors.iter().map(|(_, e)| e.code.as_str()).collect();
        assert_eq!(
            codes,
            vec!["unknown_column", "duplicate_column", "missing_column", "missing_column", "missing_column"]
        );
        assert!(layout(&["额定净功率（KW）".into()]).columns.iter().any(|(_, c)| c.field == "rated_power_kw"));
    }

    #[test]
    fn too_many_rows_stop_reading() {
        let mut csv = header_line();
        for i in 0..=MAX_ROWS {
            csv.push_str(&format!("\n挖掘机,{i}"));
        }
        assert_eq!(read_table(csv.as_bytes()), Err(ReadError::TooManyRows { found: MAX_ROWS + 1 }));
        assert_eq!(read_table(&[0xD0, 0xCF, 0x11, 0xE0, 0, 0]), Err(ReadError::UnsupportedXls));
        assert_eq!(read_table(b"PK\x03\x04garbage"), Err(ReadError::Unreadable));
    }
}
