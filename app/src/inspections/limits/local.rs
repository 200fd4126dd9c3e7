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

use crate::error::{FieldCode, FieldError, FieldErrors};
use crate::inspections::compliance::{LimitClass, LimitRow, judged_row};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet};

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

/// The powers at which two tables can judge differently: every band edge of either, a power
/// inside each stretch between two edges, and one above the last edge (bands are
/// `[min, max)`, so nothing changes between these).
fn probe_powers(a: &[LimitRow], b: &[LimitRow]) -> Vec<f64> {
    let mut edges: Vec<f64> = vec![0.0];
    edges.extend(a.iter().chain(b).flat_map(|r| [r.power_min_kw, r.power_max_kw]).flatten());
    edges.retain(|e| e.is_finite() && *e >= 0.0);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    let mut probes = Vec::with_capacity(edges.len() * 2);
    for pair in edges.windows(2) {
        probes.push(pair[0]);
        probes.push((pair[0] + pair[1]) / 2.0);
    }
    if let Some(last) = edges.last() {
        probes.push(*last);
        probes.push(last + 1.0);
    }
    probes
}

/// The rows of a local table that would judge some machine more leniently than the table it
/// narrows. For every power, every class a machine has outside a zone (I and II) and every
/// class a zone may require, the row the local table judges with ([`judged_row`], the rule of
/// the verdict) is held against the row the parent judges with: where the parent has one, the
/// local table must judge with a class at least as strict (`class_not_covered`, naming the
/// class — a missing class III row would judge a zone machine with class II) and with a k
/// limit and a Ringelmann maximum not higher (`laxer_row`, naming the row's `position` and the
/// parent's limits). Each row and class is named once, rows in order.
pub fn narrowing_errors(rows: &[LimitRow], parent: &[LimitRow]) -> FieldErrors {
    const OWN: [LimitClass; 2] = [LimitClass::I, LimitClass::II];
    let zone_classes = [None, Some(LimitClass::I), Some(LimitClass::II), Some(LimitClass::III)];
    let mut laxer: BTreeMap<usize, FieldError> = BTreeMap::new();
    let mut uncovered: BTreeSet<LimitClass> = BTreeSet::new();
    for power in probe_powers(rows, parent) {
        for own in OWN {
            for required in zone_classes {
                let Some((_, p)) = judged_row(parent, own, required, power) else { continue };
                match judged_row(rows, own, required, power) {
                    Some((_, mine)) if mine.class < p.class => {
                        uncovered.insert(p.class);
                    }
                    None => {
                        uncovered.insert(p.class);
                    }
                    Some((i, mine)) if mine.k_limit > p.k_limit || mine.ringelmann_max > p.ringelmann_max => {
                        laxer.entry(i).or_insert_with(|| {
                            FieldError::new(FieldCode::LaxerRow)
                                .with("position", i + 1)
                                .with("class", mine.class.as_str())
                                .with("k_limit", p.k_limit)
                                .with("ringelmann_max", p.ringelmann_max)
                        });
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let mut errors = FieldErrors::new();
    laxer.into_values().for_each(|e| errors.add("rows", e));
    for class in uncovered {
        errors.add("rows", FieldError::new(FieldCode::ClassNotCovered).with("class", class.as_str()));
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

    #[test]
    fn a_row_the_parent_lacks_is_held_to_the_row_the_parent_judges_with() {
        // Nationally a zone machine below 37 kW is judged with class II (no class III row
        // there); a local class III row for it must not be laxer than that class II row.
        let national = gb36886_2018();
        let class_two_small = national.iter().find(|r| r.class == LimitClass::II && r.covers(20.0)).copied().unwrap();
        let mut lax_three = national.clone();
        lax_three.push(LimitRow {
            class: LimitClass::III,
            power_min_kw: None,
            power_max_kw: Some(37.0),
            k_limit: class_two_small.k_limit + 1.0,
            ringelmann_max: 1,
        });
        let e = narrowing_errors(&lax_three, &national);
        let found: Vec<(String, String)> =
            e.0["rows"].iter().map(|e| (e.code.as_str().to_owned(), e.params["position"].clone())).collect();
        assert_eq!(found, vec![("laxer_row".to_owned(), lax_three.len().to_string())]);
        assert_eq!(e.0["rows"][0].params["k_limit"], class_two_small.k_limit.to_string());
    }

    #[test]
    fn overlapping_rows_are_judged_as_the_verdict_would_use_them() {
        // Two class II rows for 50 kW: the first one judges; a strict second row does not make
        // a lax first one acceptable, and a lax row that never judges is harmless.
        let national = gb36886_2018();
        let big = national.iter().position(|r| r.class == LimitClass::II && r.covers(50.0)).unwrap();
        let mut shadowed = national.clone();
        shadowed.push(LimitRow { k_limit: 9.0, ..national[big] });
        assert!(narrowing_errors(&shadowed, &national).is_empty(), "the pushed row never judges");
        let mut lax_first = national.clone();
        lax_first.insert(0, LimitRow { k_limit: 9.0, ..national[big] });
        let e = narrowing_errors(&lax_first, &national);
        assert_eq!(e.0["rows"].iter().map(|e| e.params["position"].as_str()).collect::<Vec<_>>(), vec!["1"]);
    }
}
