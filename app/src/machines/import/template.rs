//! The import templates: a CSV (UTF-8 with a BOM, so Excel shows the Chinese headers) and an
//! XLSX whose first sheet is the header row (identifier columns formatted as text, date
//! columns as dates) and whose second sheet explains each column and lists the machine types.

use super::{COLUMNS, ColumnKind};
use crate::i18n::*;
use crate::machines::MachineTypeInfo;
use crate::service_error::{ServiceError, ServiceResult};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook};

/// The CSV template: the header row only.
pub fn csv() -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let line = COLUMNS.iter().map(|c| c.header).collect::<Vec<_>>().join(",");
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// How to fill a column, in Chinese (the template is a Chinese document).
fn hint(kind: ColumnKind) -> String {
    let l = Locale::zh;
    match kind {
        ColumnKind::Text => td_string!(l, import.template.hint_text).to_string(),
        ColumnKind::MachineType => td_string!(l, import.template.hint_type).to_string(),
        ColumnKind::Stage => td_string!(l, import.template.hint_stage).to_string(),
        ColumnKind::Fuel => td_string!(l, import.template.hint_fuel).to_string(),
        ColumnKind::Number => td_string!(l, import.template.hint_number).to_string(),
        ColumnKind::Date => td_string!(l, import.template.hint_date).to_string(),
        ColumnKind::Boolean => td_string!(l, import.template.hint_boolean).to_string(),
    }
}

/// The XLSX template.
pub fn xlsx(types: &[MachineTypeInfo]) -> ServiceResult<Vec<u8>> {
    build_xlsx(types).map_err(ServiceError::internal)
}

fn build_xlsx(types: &[MachineTypeInfo]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let l = Locale::zh;
    let mut book = Workbook::new();
    let header = Format::new().set_bold().set_background_color(Color::RGB(0xDDEBF7)).set_border(FormatBorder::Thin);
    let required = header.clone().set_font_color(Color::RGB(0xC00000));
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");

    let sheet = book.add_worksheet();
    sheet.set_name(td_string!(l, import.template.sheet_machines).to_string())?;
    for (i, c) in COLUMNS.iter().enumerate() {
        let col = i as u16;
        sheet.write_string_with_format(0, col, c.header, if c.required { &required } else { &header })?;
        let width = (c.header.chars().count() as f64 * 2.2).max(12.0);
        sheet.set_column_width(col, width)?;
        match c.kind {
            ColumnKind::Text => {
                sheet.set_column_format(col, &text)?;
            }
            ColumnKind::Date => {
                sheet.set_column_format(col, &date)?;
            }
            _ => {}
        }
    }
    sheet.set_freeze_panes(1, 0)?;

    let guide = book.add_worksheet();
    guide.set_name(td_string!(l, import.template.sheet_guide).to_string())?;
    guide.write_string_with_format(0, 0, td_string!(l, import.template.col_column).to_string(), &header)?;
    guide.write_string_with_format(0, 1, td_string!(l, import.template.col_required).to_string(), &header)?;
    guide.write_string_with_format(0, 2, td_string!(l, import.template.col_how).to_string(), &header)?;
    guide.set_column_width(0, 24)?;
    guide.set_column_width(1, 22)?;
    guide.set_column_width(2, 70)?;
    let yes = td_string!(l, import.template.yes).to_string();
    for (i, c) in COLUMNS.iter().enumerate() {
        let row = i as u32 + 1;
        guide.write_string(row, 0, c.header)?;
        guide.write_string(row, 1, if c.required { yes.as_str() } else { "" })?;
        guide.write_string(row, 2, hint(c.kind))?;
    }
    let start = COLUMNS.len() as u32 + 2;
    guide.write_string_with_format(start, 0, td_string!(l, import.template.types_title).to_string(), &header)?;
    guide.write_string_with_format(start, 1, td_string!(l, import.template.types_code).to_string(), &header)?;
    for (i, t) in types.iter().enumerate() {
        let row = start + 1 + i as u32;
        guide.write_string(row, 0, &t.name_zh)?;
        guide.write_string(row, 1, &t.code)?;
    }
    book.save_to_buffer()
}
