//! Local standards: a province or a city may publish a smoke-limit table of its own, stricter
//! than the table it narrows. Two pure rules, shared by the server and the officer's page:
//! whether a new table is at least as strict as its parent ([`narrowing_errors`]), and which of
//! the tables in force along a county's chain judges an inspection ([`pick_in_force`]).
//!
//! Which table applies on a day D, for a county: take, for the nation and for each division
//! above the county (province, city), its latest table with an effective date not after D.
//! Going from the nation down, a more specific table wins over the one chosen so far unless
//! that one is newer — took effect later, or was published later. A table is checked against the
//! table it narrows when it is published (its parent chain's choice on its effective date), so
//! a parent table that comes into force after it, or that was published after it, supersedes
//! it until the division publishes a new version (which is then checked against that table).
//! The chosen table is therefore never laxer than a table above it that it was not checked
//! against.

use super::compliance::{LimitClass, LimitRow};
use crate::error::{FieldError, FieldErrors};
use chrono::{DateTime, NaiveDate, Utc};

/// When a table took effect and when it was published: what [`pick_in_force`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStamp {
    pub effective_from: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// Of the latest tables in force of each level, from the nation (index 0) to the most specific
/// division, the index of the one that judges (see the module documentation); `None` when no
/// level has a table.
pub fn pick_in_force(levels: &[Option<TableStamp>]) -> Option<usize> {
    let mut chosen: Option<(usize, TableStamp)> = None;
    for (i, level) in levels.iter().enumerate() {
        let Some(t) = level else { continue };
        let supersedes =
            chosen.is_none_or(|(_, c)| t.effective_from >= c.effective_from && t.created_at >= c.created_at);
        if supersedes {
            chosen = Some((i, *t));
        }
    }
    chosen.map(|(i, _)| i)
}

fn band(r: &LimitRow) -> (f64, f64) {
    (r.power_min_kw.unwrap_or(0.0), r.power_max_kw.unwrap_or(f64::INFINITY))
}

fn overlaps(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Whether `bands` (of one class) together cover `wanted` without a gap.
fn covers(mut bands: Vec<(f64, f64)>, wanted: (f64, f64)) -> bool {
    bands.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut reached = wanted.0;
    for (start, end) in bands {
        if start <= reached && end > reached {
            reached = end;
        }
    }
    reached >= wanted.1
}

/// The rows of a local table that are laxer than the table it narrows: every row must have a
/// k limit and a Ringelmann maximum not higher than those of each row of `parent` of the same
/// class whose power band it overlaps (`laxer_row`, naming the row's `position` and the
/// parent's limits), and every band the parent has limits for must keep limits of that class
/// (`class_not_covered`) — a missing class III row would judge a zone machine with class II.
pub fn narrowing_errors(rows: &[LimitRow], parent: &[LimitRow]) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for (i, row) in rows.iter().enumerate() {
        let laxer = parent.iter().find(|p| {
            p.class == row.class
                && overlaps(band(p), band(row))
                && (row.k_limit > p.k_limit || row.ringelmann_max > p.ringelmann_max)
        });
        if let Some(p) = laxer {
            let e = FieldError::new("laxer_row")
                .with("position", i + 1)
                .with("class", row.class.as_str())
                .with("k_limit", p.k_limit)
                .with("ringelmann_max", p.ringelmann_max);
            errors.add("rows", e);
        }
    }
    for class in LimitClass::ALL {
        let mine: Vec<(f64, f64)> = rows.iter().filter(|r| r.class == class).map(band).collect();
        if parent.iter().filter(|p| p.class == class).any(|p| !covers(mine.clone(), band(p))) {
            errors.add("rows", FieldError::new("class_not_covered").with("class", class.as_str()));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspections::compliance::gb36886_2018;

    fn stamp(eff: (i32, u32, u32), created_day: u32) -> Option<TableStamp> {
        Some(TableStamp {
            effective_from: NaiveDate::from_ymd_opt(eff.0, eff.1, eff.2).unwrap(),
            created_at: DateTime::from_timestamp(i64::from(created_day) * 86_400, 0).unwrap(),
        })
    }

    #[test]
    fn the_most_specific_table_judges_unless_a_newer_one_above_supersedes_it() {
        let national = stamp((2018, 12, 1), 1);
        let province = stamp((2027, 1, 1), 10);
        let city = stamp((2027, 6, 1), 20);
        assert_eq!(pick_in_force(&[national, province, city]), Some(2));
        assert_eq!(pick_in_force(&[national, province, None]), Some(1));
        assert_eq!(pick_in_force(&[national, None, city]), Some(2));
        assert_eq!(pick_in_force(&[None, None, None]), None);
        // A national table in force after the city's: it supersedes the city's.
        assert_eq!(pick_in_force(&[stamp((2027, 9, 1), 5), province, city]), Some(0));
        // A province table published after the city's (in force before it): it supersedes.
        assert_eq!(pick_in_force(&[national, stamp((2027, 3, 1), 30), city]), Some(1));
    }

    #[test]
    fn a_local_table_must_be_as_strict_in_every_row() {
        let national = gb36886_2018();
        assert!(narrowing_errors(&national, &national).is_empty(), "equal is allowed");
        let mut stricter = national.clone();
        stricter.iter_mut().for_each(|r| r.k_limit *= 0.9);
        assert!(narrowing_errors(&stricter, &national).is_empty());

        let mut laxer = national.clone();
        laxer[5].k_limit = 0.9; // class II, P >= 37: 0.80 nationally
        laxer[1].ringelmann_max = 2;
        let e = narrowing_errors(&laxer, &national);
        let positions: Vec<String> = e.0["rows"].iter().map(|e| e.params["position"].clone()).collect();
        assert_eq!(positions, vec!["2", "6"]);
        assert_eq!(e.0["rows"][1].params["k_limit"], "0.8");

        // A row whose band straddles two parent bands must meet both.
        let mut merged = national.clone();
        merged.retain(|r| !(r.class == LimitClass::II && r.power_min_kw.is_some()));
        merged.insert(
            3,
            LimitRow {
                class: LimitClass::II,
                power_min_kw: Some(19.0),
                power_max_kw: None,
                k_limit: 1.0,
                ringelmann_max: 1,
            },
        );
        let e = narrowing_errors(&merged, &national);
        assert_eq!(e.0["rows"].iter().map(|e| e.code.as_str()).collect::<Vec<_>>(), vec!["laxer_row"]);
    }

    #[test]
    fn a_local_table_keeps_every_class_the_parent_has() {
        let national = gb36886_2018();
        let mut no_three = national.clone();
        no_three.retain(|r| r.class != LimitClass::III);
        let e = narrowing_errors(&no_three, &national);
        assert_eq!(e.first("rows").map(|e| e.code.as_str()), Some("class_not_covered"));
        // Extra class III rows below 37 kW are stricter, not laxer.
        let mut more = national.clone();
        more.push(LimitRow {
            class: LimitClass::III,
            power_min_kw: None,
            power_max_kw: Some(37.0),
            k_limit: 0.5,
            ringelmann_max: 1,
        });
        assert!(narrowing_errors(&more, &national).is_empty());
    }
}
