//! The XLSX file of an export: `rust_xlsxwriter` in constant-memory mode (each row goes to a
//! temporary file as it is written) on a blocking thread fed batch by batch, saved into an
//! anonymous temporary file that the system removes once it is closed. A sheet holds at most
//! [`SHEET_ROWS`] rows under its header (the format allows 1,048,576); the rows after that
//! continue on a second sheet, and so on.

use super::service::{Cell, Export, Rows};
use crate::service_error::{ServiceError, ServiceResult};
use futures::StreamExt;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::io::{Seek, SeekFrom};
use tokio::sync::mpsc;

/// Data rows per sheet.
pub const SHEET_ROWS: u32 = 1_000_000;

enum Msg {
    Rows(Rows),
    /// Reading failed: leave the workbook unsaved.
    Abort,
}

/// Writes the export to a temporary XLSX file and returns it, positioned at its start.
pub async fn write(export: Export, sheet_name: String) -> ServiceResult<std::fs::File> {
    write_with_sheet_rows(export, sheet_name, SHEET_ROWS).await
}

/// [`write`] with a chosen sheet size (tests use a small one).
pub async fn write_with_sheet_rows(
    export: Export,
    sheet_name: String,
    sheet_rows: u32,
) -> ServiceResult<std::fs::File> {
    let Export { headers, mut rows, .. } = export;
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let writer = tokio::task::spawn_blocking(move || build(&headers, &sheet_name, sheet_rows.max(1), &mut rx));
    let mut failure = None;
    while let Some(batch) = rows.next().await {
        match batch {
            Ok(batch) => {
                if tx.send(Msg::Rows(batch)).await.is_err() {
                    // The writer stopped; its error is reported below.
                    break;
                }
            }
            Err(e) => {
                let _ = tx.send(Msg::Abort).await;
                failure = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let built = writer.await.map_err(ServiceError::internal)?;
    match failure {
        Some(e) => Err(e),
        None => built.map_err(ServiceError::internal),
    }
}

#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("temporary file: {0}")]
    Io(#[from] std::io::Error),
    #[error("aborted")]
    Aborted,
}

fn sheet_title(name: &str, number: usize) -> String {
    if number == 1 { name.to_owned() } else { format!("{name} ({number})") }
}

fn add_sheet(book: &mut Workbook, headers: &[String], title: &str, bold: &Format) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(title)?;
    for (i, h) in headers.iter().enumerate() {
        let col = i as u16;
        sheet.set_column_width(col, (h.chars().count() as f64 * 2.0).clamp(12.0, 40.0))?;
        sheet.write_string_with_format(0, col, h, bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn build(
    headers: &[String],
    sheet_name: &str,
    sheet_rows: u32,
    rx: &mut mpsc::Receiver<Msg>,
) -> Result<std::fs::File, BuildError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut sheets = 1usize;
    add_sheet(&mut book, headers, &sheet_title(sheet_name, sheets), &bold)?;
    let mut row: u32 = 0;
    while let Some(msg) = rx.blocking_recv() {
        let batch = match msg {
            Msg::Rows(batch) => batch,
            Msg::Abort => return Err(BuildError::Aborted),
        };
        for cells in batch {
            if row == sheet_rows {
                sheets += 1;
                add_sheet(&mut book, headers, &sheet_title(sheet_name, sheets), &bold)?;
                row = 0;
            }
            row += 1;
            let sheet = book.worksheet_from_index(sheets - 1)?;
            for (i, cell) in cells.into_iter().enumerate() {
                let col = i as u16;
                match cell {
                    // A string cell: never read as a formula, whatever it starts with.
                    Cell::Text(s) => {
                        sheet.write_string(row, col, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(row, col, n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    let mut file = tempfile::tempfile()?;
    book.save_to_writer(&mut file)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}
