//! Dates as people in China read them: the product's calendar day is UTC+8.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+8.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap_or(Utc.fix()))
}

use chrono::Offset;
#[cfg(test)]
use chrono::TimeZone as _;

/// The calendar day in China at `now`.
pub fn china_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china()).date_naive()
}

/// The instant a China calendar day begins (midnight UTC+8).
pub fn midnight(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let start = day.and_time(chrono::NaiveTime::MIN);
    china().from_local_datetime(&start).single().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| start.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_at_16_utc() {
        let before = Utc.with_ymd_and_hms(2026, 11, 28, 15, 59, 0).single().unwrap_or_default();
        let after = Utc.with_ymd_and_hms(2026, 11, 28, 16, 0, 0).single().unwrap_or_default();
        assert_eq!(china_date(before), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default());
        assert_eq!(china_date(after), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default());
    }
}
