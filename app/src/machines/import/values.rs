//! The spellings a spreadsheet cell may use for a value: wire values, Chinese names and the
//! variants people type (国四, 国IV, 第四阶段; 柴油; 是/否; 2023/5/1). Pure functions, shared.

use crate::machines::{EmissionStage, FuelType};
use chrono::NaiveDate;

/// Lower-case, without spaces, full-width Latin letters and digits folded to ASCII.
fn fold(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// An emission stage: the wire value (`stage_4`) or a spelling such as 国四, 国Ⅳ, 国4,
/// 第四阶段, Stage IV, 国前 / 国零 (pre-standard), 电动 / 纯电 (electric).
pub fn parse_stage(raw: &str) -> Option<EmissionStage> {
    let s = fold(raw);
    if let Some(stage) = EmissionStage::parse(&s) {
        return Some(stage);
    }
    if matches!(s.as_str(), "电动" | "纯电" | "纯电动" | "电" | "不适用" | "无(电动)" | "电动(不适用)")
    {
        return Some(EmissionStage::Electric);
    }
    let mut core = s.as_str();
    for prefix in ["非道路", "国家", "国", "第", "stage", "阶段"] {
        core = core.strip_prefix(prefix).unwrap_or(core);
    }
    for suffix in ["排放标准", "标准", "阶段"] {
        core = core.strip_suffix(suffix).unwrap_or(core);
    }
    let core = core.trim_matches(|c| c == '_' || c == '-');
    match core {
        "前" | "零" | "0" | "〇" | "prestandard" | "pre_standard" | "pre-standard" => {
            Some(EmissionStage::PreStandard)
        }
        "一" | "1" | "i" | "ⅰ" => Some(EmissionStage::Stage1),
        "二" | "2" | "ii" | "ⅱ" => Some(EmissionStage::Stage2),
        "三" | "3" | "iii" | "ⅲ" => Some(EmissionStage::Stage3),
        "四" | "4" | "iv" | "ⅳ" => Some(EmissionStage::Stage4),
        _ => None,
    }
}

/// A fuel: the wire value or 柴油, 汽油, 电 / 电动 / 纯电, 天然气 / CNG / LNG, 其他.
pub fn parse_fuel(raw: &str) -> Option<FuelType> {
    let s = fold(raw);
    if let Some(fuel) = FuelType::parse(&s) {
        return Some(fuel);
    }
    match s.as_str() {
        "柴油" | "柴油机" => Some(FuelType::Diesel),
        "汽油" | "汽油机" | "gasoline" => Some(FuelType::Petrol),
        "电" | "电动" | "纯电" | "纯电动" | "电力" | "电能" => Some(FuelType::Electric),
        "天然气" | "燃气" | "cng" | "lng" | "压缩天然气" | "液化天然气" | "naturalgas" | "gas" => {
            Some(FuelType::NaturalGas)
        }
        "其他" | "其它" => Some(FuelType::Other),
        _ => None,
    }
}

/// A yes/no cell: 是/否, 有/无, true/false, yes/no, y/n, 1/0, √/×. Empty is `None`.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match fold(raw).as_str() {
        "是" | "有" | "已" | "已安装" | "已加装" | "true" | "yes" | "y" | "1" | "√" | "✓" => Some(true),
        "否" | "无" | "没有" | "未" | "未安装" | "未加装" | "false" | "no" | "n" | "0" | "×" | "✗" => {
            Some(false)
        }
        _ => None,
    }
}

/// A date: `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYY年M月D日`, and a trailing
/// midnight time as some exports write it).
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = fold(raw);
    let s = s.strip_suffix("00:00:00").unwrap_or(&s);
    let s = s.trim_end_matches('t');
    let s: String =
        s.chars().filter(|c| *c != '日').map(|c| if matches!(c, '/' | '.' | '年' | '月') { '-' } else { c }).collect();
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A decimal number, optionally followed by `kW`.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s = fold(raw);
    let s = s.strip_suffix("kw").unwrap_or(&s);
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages() {
        for (raw, want) in [
            ("stage_4", EmissionStage::Stage4),
            ("国四", EmissionStage::Stage4),
            ("国Ⅳ", EmissionStage::Stage4),
            ("国IV", EmissionStage::Stage4),
            (" 国 4 ", EmissionStage::Stage4),
            ("第四阶段", EmissionStage::Stage4),
            ("Stage IV", EmissionStage::Stage4),
            ("国三", EmissionStage::Stage3),
            ("国II", EmissionStage::Stage2),
            ("国一", EmissionStage::Stage1),
            ("国前", EmissionStage::PreStandard),
            ("pre_standard", EmissionStage::PreStandard),
            ("电动", EmissionStage::Electric),
            ("electric", EmissionStage::Electric),
        ] {
            assert_eq!(parse_stage(raw), Some(want), "{raw}");
        }
        for bad in ["", "国五", "stage_5", "柴油"] {
            assert_eq!(parse_stage(bad), None, "{bad}");
        }
    }

    #[test]
    fn fuels() {
        assert_eq!(parse_fuel("柴油"), Some(FuelType::Diesel));
        assert_eq!(parse_fuel("diesel"), Some(FuelType::Diesel));
        assert_eq!(parse_fuel("ＬＮＧ"), Some(FuelType::NaturalGas));
        assert_eq!(parse_fuel("电"), Some(FuelType::Electric));
        assert_eq!(parse_fuel("其它"), Some(FuelType::Other));
        assert_eq!(parse_fuel("煤"), None);
    }

    #[test]
    fn booleans_dates_numbers() {
        assert_eq!(parse_bool("是"), Some(true));
        assert_eq!(parse_bool("FALSE"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
        let d = NaiveDate::from_ymd_opt(2023, 5, 1);
        for raw in ["2023-05-01", "2023/5/1", "2023.05.01", "2023年5月1日", "2023-05-01 00:00:00"] {
            assert_eq!(parse_date(raw), d, "{raw}");
        }
        for bad in ["20230501", "2023-13-01", "05/01/2023", "2023-05-01-02", "yesterday"] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(parse_number("118"), Some(118.0));
        assert_eq!(parse_number("118.5 kW"), Some(118.5));
        assert_eq!(parse_number("１１８"), Some(118.0));
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
