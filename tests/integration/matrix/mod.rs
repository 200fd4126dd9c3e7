//! The authorization matrix: every operation of the OpenAPI document and every server function,
//! called by each role and signed out, against the records of construction unit A in 小店区
//! (Taiyuan), with a second unit's site, machine and filing in 平城区 (Datong) present.
//!
//! Each row of `table.rs` says, for the eleven callers in [`CALLERS`] order, what the call
//! answered: `A` done (2xx), `V` refused input (400/422), `C` conflict (409), `U` not signed in
//! (401), `F` forbidden (403), `H` not found or outside the caller's scope (404), `T` too large or
//! wrong media type (413/415), `R` rate-limited (429); `E` (a server error) never passes. A call
//! that changes a record gets a record of its own for every caller (see `requests.rs`), so a row
//! does not depend on the caller before it.
//!
//! Besides the rows, rules hold for every operation: signed out is 401 except on the public
//! operations; a record of unit A is never handed to unit B, to the inspector of another county
//! of the same city or to the officer of another city; and neither unit may do what only
//! officials do. An operation or server function missing from the table fails the test by name.

mod requests;
mod table;

use crate::db_tests;
use crate::helpers::TestApp;
use app::auth::Role;
use std::collections::BTreeSet;

db_tests!(every_operation_answers_each_role_as_the_matrix_says);

/// The callers, in the order of a row: (user name, role, division).
pub const CALLERS: [(&str, Option<Role>, Option<&str>); 11] = [
    ("signed out", None, None),
    ("mx.unit.a", Some(Role::ContractorAdmin), None),
    ("mx.staff.a", Some(Role::ContractorStaff), None),
    ("mx.unit.b", Some(Role::ContractorAdmin), None),
    ("mx.inspector.a", Some(Role::CountyInspector), Some("140105")),
    ("mx.inspector.qingxu", Some(Role::CountyInspector), Some("140121")),
    ("mx.city.taiyuan", Some(Role::CityOfficer), Some("140100")),
    ("mx.city.datong", Some(Role::CityOfficer), Some("140200")),
    ("mx.province", Some(Role::ProvinceOfficer), Some("140000")),
    ("mx.partner.a", Some(Role::PartnerViewer), Some("140105")),
    ("mx.sysadmin", Some(Role::Sysadmin), None),
];

/// Columns of the callers who must never receive a record of unit A: unit B, the inspector of
/// another county and the officer of another city.
const OUTSIDERS: [usize; 3] = [3, 5, 7];
/// Columns of the two units.
const UNITS: [usize; 3] = [1, 2, 3];

/// The class of an answer (see the module's documentation).
fn class(status: u16) -> char {
    match status {
        200..=399 => 'A',
        400 | 422 => 'V',
        409 => 'C',
        401 => 'U',
        403 => 'F',
        404 => 'H',
        413 | 415 => 'T',
        429 => 'R',
        _ => 'E',
    }
}

/// Fails naming the `what` that have no row in `rows`, and the rows that name none of them.
fn every_one_has_a_row(what: &str, existing: BTreeSet<String>, rows: &[(&str, &str)]) {
    let listed: BTreeSet<String> = rows.iter().map(|(op, _)| (*op).to_owned()).collect();
    let missing: Vec<_> = existing.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&existing).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "{what} without a row in tests/integration/matrix/table.rs: {missing:?}; rows naming none: {stale:?}"
    );
}

async fn every_operation_answers_each_role_as_the_matrix_says(app: TestApp) {
    let fx = requests::Fixture::new(app).await;

    // Every documented operation and every server function has its row, and no row is stale.
    let doc = crate::helpers::json(fx.app.get("/api/v1/openapi.json").await).await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    every_one_has_a_row("operations", documented, table::REST);
    let functions: BTreeSet<String> = app::audit::service::server_function_paths().into_iter().collect();
    every_one_has_a_row("server functions", functions, table::SERVER_FNS);

    let mut wrong = Vec::new();
    let mut observed = Vec::new();
    for (kind, rows) in [("REST", table::REST), ("server function", table::SERVER_FNS)] {
        for (op, want) in rows {
            let mut row = String::new();
            for who in 0..CALLERS.len() {
                let req = if kind == "REST" {
                    requests::rest(&fx, op, who).await
                } else {
                    requests::server_fn(&fx, op, who).await
                };
                row.push(class(fx.send(who, req).await));
            }
            let public = table::PUBLIC.contains(op);
            let mut broken = Vec::new();
            let at = |i: usize| row.as_bytes()[i] as char;
            if row.contains('E') {
                broken.push("a server error".to_owned());
            }
            if !public && at(0) != 'U' {
                broken.push("signed out is not 401".to_owned());
            }
            if table::UNIT_A_RECORD.contains(op) {
                for i in OUTSIDERS {
                    if !matches!(at(i), 'F' | 'H') {
                        broken.push(format!("{} reached unit A's record", CALLERS[i].0));
                    }
                }
            }
            if table::OFFICIALS_ONLY.contains(op) {
                for i in UNITS {
                    if !matches!(at(i), 'F' | 'H') {
                        broken.push(format!("{} did what only officials do", CALLERS[i].0));
                    }
                }
            }
            if row != *want {
                broken.push(format!("expected {want}"));
            }
            if !broken.is_empty() {
                wrong.push(format!("{kind} {op}: got {row}: {}", broken.join("; ")));
            }
            observed.push(format!("    (\"{op}\", \"{row}\"),"));
        }
    }
    if !wrong.is_empty() {
        eprintln!(
            "observed rows ({}):\n{}",
            if fx.app.backend == crate::helpers::Backend::Sqlite { "SQLite" } else { "PostgreSQL" },
            observed.join("\n")
        );
        panic!("{} rows of the authorization matrix do not hold:\n{}", wrong.len(), wrong.join("\n"));
    }
}
