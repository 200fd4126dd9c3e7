//! What each owner sees of a machine's record after it changed hands (a chain of owners, an
//! inspection synced after the handover), that a unit's lists stay on indexes, and the stats and
//! exports after a transfer.

use super::{Deal, act, deal, ids, start, uscc_of};
use crate::db_tests;
use crate::helpers::{Backend, TestApp, assert_error, contractor, create_site, expect_status, id_of};
use crate::inspections::{inspect, inspection};
use app::auth::Scope;
use app::db::entities::inspection as inspection_row;
use app::inspections::InspectionFilter;
use app::transfers::history::UnitHistory;
use chrono::Duration;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

db_tests!(
    a_chain_of_owners_each_sees_its_part,
    an_inspection_synced_after_the_handover_stays_the_sellers,
    a_units_inspection_list_uses_indexes,
    many_machines_handed_over_see_the_same,
    stats_count_the_machine_for_the_seller_only_before_it_left,
    exports_after_a_transfer,
);

/// A unit's id, from its administrator's client.
async fn org_of(app: &TestApp, client: &reqwest::Client) -> Uuid {
    let me = expect_status(app.get_as(client, "/api/v1/auth/me").await, 200).await;
    Uuid::parse_str(me["organization_id"].as_str().expect("organization")).expect("uuid")
}

/// The ids of `what` (`inspections` or `cases`) of the deal's machine that `client` sees.
async fn seen(app: &TestApp, client: &reqwest::Client, what: &str, d: &Deal) -> Vec<String> {
    let path = format!("/api/v1/{what}?machine_id={}", id_of(&d.machine));
    let mut seen = ids(&expect_status(app.get_as(client, &path).await, 200).await);
    seen.sort();
    seen
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// An inspection of the deal's machine at `site` (failing ones open a case): (inspection, case).
async fn record(app: &TestApp, d: &Deal, site: &Value, fail: bool) -> (String, Option<String>) {
    let k = if fail { 2.0 } else { 0.5 };
    let i = inspect(app, &d.w.xiaodian, &inspection(app, site, &d.machine, &[k, k, k])).await;
    (id_of(&i), i["opened_cases"][0]["id"].as_str().map(str::to_owned))
}

/// Moves the deal's machine from `seller` to the unit with `uscc` (its client `buyer`), with the
/// county's permission for the open cases; then five minutes pass.
async fn hand_over(app: &TestApp, d: &Deal, seller: &reqwest::Client, buyer: &reqwest::Client, uscc: &str) {
    let t = start(app, seller, &d.machine, json!({"buyer_uscc": uscc})).await;
    if t["awaiting_permission_from"] != json!([]) {
        expect_status(act(app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    }
    expect_status(act(app, buyer, &t, "accept", json!({})).await, 200).await;
    app.clock.advance(Duration::minutes(5));
}

async fn a_chain_of_owners_each_sees_its_part(app: TestApp) {
    let d = deal(&app).await;
    let (seller, a, b) = (&d.w.builder, &d.buyer, &d.third);
    let b_uscc = uscc_of(&app, org_of(&app, b).await).await;
    // Tests at a site of a unit that is none of the owners, and one at the first owner's site.
    let (_, other) = contractor(&app, "site.owner").await;
    let neutral = create_site(&app, &other, "中立工地", "140105").await;
    let (i_x, c_x) = record(&app, &d, &neutral, true).await;
    hand_over(&app, &d, seller, a, &d.buyer_uscc).await;
    let (i_a, c_a) = record(&app, &d, &neutral, true).await;
    hand_over(&app, &d, a, b, &b_uscc).await;
    let (i_b, c_b) = record(&app, &d, &neutral, true).await;
    let (at_first_site, _) = record(&app, &d, &d.w.plain_site, false).await;
    let (c_x, c_a, c_b) = (c_x.expect("case"), c_a.expect("case"), c_b.expect("case"));
    // The first owner: its own era, and what happens on its own site.
    assert_eq!(seen(&app, seller, "inspections", &d).await, sorted(vec![i_x.clone(), at_first_site.clone()]));
    assert_eq!(seen(&app, seller, "cases", &d).await, vec![c_x.clone()]);
    // The middle owner: everything before it handed the machine over, not after.
    assert_eq!(seen(&app, a, "inspections", &d).await, sorted(vec![i_x.clone(), i_a.clone()]));
    assert_eq!(seen(&app, a, "cases", &d).await, sorted(vec![c_x.clone(), c_a.clone()]));
    for (what, id) in [("inspections", &i_b), ("inspections", &at_first_site), ("cases", &c_b)] {
        assert_error(app.get_as(a, &format!("/api/v1/{what}/{id}")).await, 404, "not_found").await;
    }
    expect_status(app.get_as(a, &format!("/api/v1/cases/{c_x}")).await, 200).await;
    // The owner now: the whole record.
    assert_eq!(seen(&app, b, "inspections", &d).await, sorted(vec![i_x, i_a, i_b.clone(), at_first_site]));
    assert_eq!(seen(&app, b, "cases", &d).await, sorted(vec![c_x, c_a, c_b]));
    // The site's unit sees what was tested on its site, whoever owned the machine.
    assert_eq!(seen(&app, &other, "inspections", &d).await.len(), 3);
    assert_error(app.get_as(seller, &format!("/api/v1/inspections/{i_b}")).await, 404, "not_found").await;
}

async fn an_inspection_synced_after_the_handover_stays_the_sellers(app: TestApp) {
    let d = deal(&app).await;
    let seller = org_of(&app, &d.w.builder).await;
    let (_, other) = contractor(&app, "site.owner").await;
    let neutral = create_site(&app, &other, "中立工地", "140105").await;
    // Tested (offline) before the handover, synced an hour after it.
    let offline = inspection(&app, &neutral, &d.machine, &[2.0, 2.0, 2.0]);
    app.clock.advance(Duration::minutes(1));
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    app.clock.advance(Duration::hours(1));
    let synced = inspect(&app, &d.w.xiaodian, &offline).await;
    let row = inspection_row::Entity::find_by_id(Uuid::parse_str(&id_of(&synced)).expect("uuid"))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("row");
    assert_eq!(row.organization_id, Some(seller), "the owner when it was tested");
    let case = synced["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    let c = expect_status(app.get_as(&d.w.xiaodian, &format!("/api/v1/cases/{case}")).await, 200).await;
    assert_eq!(c["organization_id"], json!(seller));
    // It stays in the seller's history, and the buyer sees it with the machine's record.
    assert_eq!(seen(&app, &d.w.builder, "inspections", &d).await, vec![id_of(&synced)]);
    assert_eq!(seen(&app, &d.w.builder, "cases", &d).await, vec![case.clone()]);
    assert_eq!(seen(&app, &d.buyer, "inspections", &d).await, vec![id_of(&synced)]);
    assert_eq!(seen(&app, &d.buyer, "cases", &d).await, vec![case]);
}

/// A unit that received one machine and handed another over, with its inspections among
/// `noise` inspections of other units: its id, scope and history.
async fn unit_with_history(app: &TestApp, noise: usize) -> (Deal, Uuid, Scope, UnitHistory) {
    let d = deal(app).await;
    // The buyer receives the deal's machine and keeps it; it receives a second one and hands that
    // over to the third unit.
    let t = start(app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    let kept = inspect(app, &d.w.xiaodian, &inspection(app, &d.w.plain_site, &d.machine, &[0.5, 0.5, 0.5])).await;
    let template = inspection_row::Entity::find_by_id(Uuid::parse_str(&id_of(&kept)).expect("uuid"))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("row");
    let third_org = org_of(app, &d.third).await;
    let own = crate::inspections::registered(app, &d.w, &d.w.plain_site, 2, json!({})).await;
    let back = start(app, &d.w.builder, &own, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(app, &d.buyer, &back, "accept", json!({})).await, 200).await;
    let onward = start(app, &d.buyer, &own, json!({"buyer_uscc": uscc_of(app, third_org).await})).await;
    expect_status(act(app, &d.third, &onward, "accept", json!({})).await, 200).await;
    if noise > 0 {
        let stranger = app.organization("旁人").await;
        let rows: Vec<inspection_row::ActiveModel> = (0..noise)
            .map(|_| {
                let mut r: inspection_row::ActiveModel = template.clone().into();
                r.id = Set(Uuid::now_v7());
                r.machine_id = Set(None);
                r.organization_id = Set(Some(stranger));
                r.site_organization_id = Set(stranger);
                r.unregistered_description = Set(Some("无牌挖掘机".into()));
                r
            })
            .collect();
        for chunk in rows.chunks(500) {
            inspection_row::Entity::insert_many(chunk.to_vec()).exec(&app.state.db).await.expect("noise");
        }
    }
    let scope = Scope::Organization(d.buyer_org);
    let history = UnitHistory::resolve(&app.state.db, &scope).await.expect("history");
    assert_eq!(history.received, vec![Uuid::parse_str(&id_of(&d.machine)).expect("uuid")]);
    assert_eq!(history.handed_over.len(), 1);
    assert_eq!(history.handed_over[0].0, Uuid::parse_str(&id_of(&own)).expect("uuid"));
    (d, third_org, scope, history)
}

async fn a_units_inspection_list_uses_indexes(app: TestApp) {
    let (_, _, scope, history) = unit_with_history(&app, 3000).await;
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let postgres = app.backend != Backend::Sqlite;
    db.execute_unprepared(if postgres { "ANALYZE inspections" } else { "ANALYZE" }).await.expect("analyze");
    // The list's own statement: the scope and filters, newest first, a page of 50 (+1).
    let stmt = app::inspections::read::filtered(&scope, &history, &InspectionFilter::default())
        .order_by_desc(inspection_row::Column::Id)
        .limit(51)
        .build(backend);
    let explain = if postgres { "EXPLAIN" } else { "EXPLAIN QUERY PLAN" };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{explain} {}", stmt.sql),
            stmt.values.expect("values"),
        ))
        .await
        .expect("explain");
    let plan: Vec<String> = rows
        .iter()
        .map(|r| if postgres { r.try_get::<String>("", "QUERY PLAN") } else { r.try_get::<String>("", "detail") })
        .collect::<Result<_, _>>()
        .expect("plan");
    eprintln!("{explain} of a unit's inspection list ({backend:?}):\n{}", plan.join("\n"));
    if postgres {
        assert!(!plan.iter().any(|l| l.contains("Seq Scan on inspections")), "{plan:#?}");
        for index in ["idx_inspections_org", "idx_inspections_site_org", "idx_inspections_machine"] {
            assert!(plan.iter().any(|l| l.contains(&format!("Bitmap Index Scan on {index}"))), "{index}: {plan:#?}");
        }
    } else {
        assert!(!plan.iter().any(|l| l.starts_with("SCAN inspections")), "{plan:#?}");
        assert!(plan.iter().any(|l| l.starts_with("MULTI-INDEX OR")), "{plan:#?}");
        for index in ["idx_inspections_org", "idx_inspections_site_org", "idx_inspections_machine"] {
            assert!(plan.iter().any(|l| l.contains(&format!("USING INDEX {index}"))), "{index}: {plan:#?}");
        }
    }
}

async fn many_machines_handed_over_see_the_same(app: TestApp) {
    let (d, _, scope, history) = unit_with_history(&app, 0).await;
    // The machine the unit handed over, tested an hour ago (before any of its transfers: synced
    // late) and again now (after it left the unit).
    let own = history.handed_over[0].0;
    let own_machine = json!({"id": own.to_string()});
    let mut early = inspection(&app, &d.w.plain_site, &own_machine, &[0.5, 0.5, 0.5]);
    early["inspected_at"] = json!(app.clock.now() - Duration::hours(1));
    let early = Uuid::parse_str(&id_of(&inspect(&app, &d.w.xiaodian, &early).await)).expect("uuid");
    app.clock.advance(Duration::minutes(5));
    let late = inspect(&app, &d.w.xiaodian, &inspection(&app, &d.w.plain_site, &own_machine, &[0.5, 0.5, 0.5])).await;
    let late = Uuid::parse_str(&id_of(&late)).expect("uuid");
    let ids_of = |h: &UnitHistory| {
        app::inspections::read::filtered(&scope, h, &InspectionFilter::default())
            .select_only()
            .column(inspection_row::Column::Id)
            .order_by_asc(inspection_row::Column::Id)
            .into_tuple::<Uuid>()
    };
    let expected = ids_of(&history).all(&app.state.db).await.expect("query");
    // The unit sees the test from before it handed the machine over, not the one after (and the
    // test of the machine it kept).
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert!(expected.contains(&early) && !expected.contains(&late), "{expected:?}");
    // A unit that handed hundreds of machines over gets one checked branch instead of one each
    // (SQLite refuses an expression more than 1,000 deep); it sees the same.
    let mut many = history.clone();
    many.handed_over.extend((0..1500).map(|_| (Uuid::now_v7(), app.clock.now())));
    let got = ids_of(&many).all(&app.state.db).await.expect("query with many machines handed over");
    assert_eq!(got, expected);
    let checked = history.condition_with(inspection_row::Column::MachineId, inspection_row::Column::InspectedAt, 0);
    let got = inspection_row::Entity::find()
        .filter(
            Condition::any()
                .add(inspection_row::Column::OrganizationId.eq(d.buyer_org))
                .add(inspection_row::Column::SiteOrganizationId.eq(d.buyer_org))
                .add(checked),
        )
        .select_only()
        .column(inspection_row::Column::Id)
        .order_by_asc(inspection_row::Column::Id)
        .into_tuple::<Uuid>()
        .all(&app.state.db)
        .await
        .expect("query");
    assert_eq!(got, expected);
}

async fn stats_count_the_machine_for_the_seller_only_before_it_left(app: TestApp) {
    let d = deal(&app).await;
    let today = app.today();
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    // The buyer files it in 清徐县 from today.
    let site = create_site(&app, &d.buyer, "乙方清徐工地", "140121").await;
    let f = crate::helpers::create_filing(
        &app,
        &d.buyer,
        &site["id"],
        &[&d.machine["id"]],
        today,
        today + Duration::days(9),
    )
    .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&d.w.qingxu, &review, &json!({"decision": "accept"})).await, 200).await;
    let machines = |client: &reqwest::Client, county: &str, from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let path = format!("/api/v1/stats?division_code={county}&from={from}&to={to}");
        let client = client.clone();
        let app = &app;
        async move { expect_status(app.get_as(&client, &path).await, 200).await["totals"]["machines"].as_i64() }
    };
    let yesterday = today - Duration::days(1);
    // The seller's county counts it on the day before it left, not from the day it left.
    assert_eq!(machines(&d.w.xiaodian, "140105", yesterday, yesterday).await, Some(1));
    assert_eq!(machines(&d.w.xiaodian, "140105", today, today + Duration::days(5)).await, Some(0));
    assert_eq!(machines(&d.w.xiaodian, "140105", yesterday, today).await, Some(1));
    assert_eq!(machines(&d.w.qingxu, "140121", today, today + Duration::days(5)).await, Some(1));
    assert_eq!(machines(&d.w.qingxu, "140121", yesterday, yesterday).await, Some(0));
}

/// A CSV export in English: its rows, header first.
async fn csv(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<Vec<String>> {
    let resp = client.get(app.url(path)).header("accept-language", "en").send().await.expect("request");
    assert_eq!(resp.status(), 200, "{path}");
    let bytes = resp.bytes().await.expect("body");
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    reader.records().map(|r| r.expect("record").iter().map(str::to_owned).collect()).collect()
}

fn column<'a>(rows: &'a [Vec<String>], header: &str) -> Vec<&'a str> {
    let i = rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no {header}: {:?}", rows[0]));
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

async fn exports_after_a_transfer(app: TestApp) {
    let d = deal(&app).await;
    let (_, before) = record(&app, &d, &d.w.plain_site, true).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    app.clock.advance(Duration::minutes(5));
    let buyer_site = create_site(&app, &d.buyer, "乙方工地", "140105").await;
    let (_, after) = record(&app, &d, &buyer_site, true).await;
    assert!(before.is_some() && after.is_some());
    // Inspections and cases are the officials' records: neither unit exports them.
    for client in [&d.w.builder, &d.buyer] {
        for dataset in ["inspections", "cases"] {
            let path = format!("/api/v1/exports/{dataset}.csv");
            assert_error(app.get_as(client, &path).await, 403, "forbidden").await;
        }
    }
    // The county's export keeps the owner at the time on each case.
    let cases = csv(&app, &d.w.xiaodian, "/api/v1/exports/cases.csv").await;
    let mut owners = column(&cases, "Organisation");
    owners.sort();
    assert_eq!(owners, vec!["buyer.admin", "insp.builder"]);
    let inspections = csv(&app, &d.w.xiaodian, "/api/v1/exports/inspections.csv").await;
    assert_eq!(inspections.len(), 3, "both inspections");
    // The seller's filing no longer counts the machine that left it; the machines export
    // follows the owner.
    let filings = csv(&app, &d.w.builder, "/api/v1/exports/filings.csv").await;
    assert_eq!(column(&filings, "Machines"), vec!["0"]);
    let code = d.machine["registration_code"].as_str().expect("code");
    let mine = csv(&app, &d.buyer, "/api/v1/exports/machines.csv").await;
    assert_eq!(column(&mine, "Registration code"), vec![code]);
    let theirs = csv(&app, &d.w.builder, "/api/v1/exports/machines.csv").await;
    assert!(!column(&theirs, "Registration code").contains(&code));
}
