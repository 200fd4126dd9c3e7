//! What the filing form relies on (issue 9, part 6): which machines are already filed for
//! overlapping dates (REST and the form's server function, scoped), the shared rule refusing
//! the same inputs through every door, and a returned filing corrected — other machines, other
//! dates — and resubmitted through REST and through the page's server function.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, create_machine, create_site, expect_status, id_of,
    inspector,
};
use app::db::entities::audit_log;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

db_tests!(
    overlaps_show_the_units_filings_for_shared_days,
    overlap_queries_are_checked,
    the_shared_rule_refuses_alike_on_create_and_resubmit,
    a_returned_filing_is_corrected_through_rest,
    a_returned_filing_is_corrected_through_the_pages_server_function,
    the_form_offers_a_site_beyond_the_first_hundred,
);

fn overlaps_path(machines: &[&Value], from: chrono::NaiveDate, to: chrono::NaiveDate) -> String {
    let ids: Vec<String> = machines.iter().map(|m| id_of(m)).collect();
    format!("/api/v1/filings/overlaps?machine_ids={}&from={from}&to={to}", ids.join(","))
}

/// `(machine id, site name, status)` of each overlap found.
fn found(list: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|o| {
            let s = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
            (s("machine_id"), s("site_name"), s("status"))
        })
        .collect();
    out.sort();
    out
}

fn review(decision: &str) -> Value {
    json!({"decision": decision, "reason": "请补充"})
}

async fn overlaps_show_the_units_filings_for_shared_days(app: TestApp) {
    let (_org, builder) = contractor(&app, "overlap.builder").await;
    let xiaodian = inspector(&app, "overlap.insp", "140105").await;
    let (a, b) =
        (create_site(&app, &builder, "甲工地", "140105").await, create_site(&app, &builder, "乙工地", "140105").await);
    let m: Vec<Value> = futures::future::join_all((1..=4).map(|n| create_machine(&app, &builder, n))).await;
    let t = app.today();
    let d = |n: i64| t + Duration::days(n);
    // m1 submitted at A for days 1–10; m2 accepted at B for 5–20; m3 returned (no longer filed);
    // m4 accepted long after.
    create_filing(&app, &builder, &a["id"], &[&m[0]["id"]], d(1), d(10)).await;
    let f2 = create_filing(&app, &builder, &b["id"], &[&m[1]["id"]], d(5), d(20)).await;
    expect_status(
        app.post_as(&xiaodian, &format!("/api/v1/filings/{}/review", id_of(&f2)), &review("accept")).await,
        200,
    )
    .await;
    let f3 = create_filing(&app, &builder, &a["id"], &[&m[2]["id"]], d(1), d(10)).await;
    expect_status(
        app.post_as(&xiaodian, &format!("/api/v1/filings/{}/review", id_of(&f3)), &review("return")).await,
        200,
    )
    .await;
    let f4 = create_filing(&app, &builder, &b["id"], &[&m[3]["id"]], d(40), d(50)).await;
    expect_status(
        app.post_as(&xiaodian, &format!("/api/v1/filings/{}/review", id_of(&f4)), &review("accept")).await,
        200,
    )
    .await;
    let all: Vec<&Value> = m.iter().collect();

    let both = expect_status(app.get_as(&builder, &overlaps_path(&all, d(8), d(12))).await, 200).await;
    assert_eq!(
        found(&both),
        {
            let mut want = vec![
                (id_of(&m[0]), "甲工地".to_owned(), "submitted".to_owned()),
                (id_of(&m[1]), "乙工地".to_owned(), "accepted".to_owned()),
            ];
            want.sort();
            want
        },
        "{both}"
    );
    let first = both.as_array().and_then(|a| a.iter().find(|o| o["machine_id"] == m[0]["id"])).expect("m1");
    assert_eq!((first["planned_entry_on"].clone(), first["planned_exit_on"].clone()), (json!(d(1)), json!(d(10))));
    // Days shared with only the accepted one; the edges count (a day in common is an overlap).
    let later = expect_status(app.get_as(&builder, &overlaps_path(&all, d(11), d(12))).await, 200).await;
    assert_eq!(found(&later).len(), 1, "{later}");
    let edge = expect_status(app.get_as(&builder, &overlaps_path(&all, d(20), d(40))).await, 200).await;
    assert_eq!(found(&edge).len(), 2, "day 20 of m2 and day 40 of m4: {edge}");
    let none = expect_status(app.get_as(&builder, &overlaps_path(&all, d(21), d(39))).await, 200).await;
    assert_eq!(none, json!([]));
    // The filing being corrected leaves itself out.
    let f1_list = expect_status(app.get_as(&builder, "/api/v1/filings?status=submitted").await, 200).await;
    let f1 = f1_list["items"][0]["id"].as_str().expect("f1").to_owned();
    let path = format!("{}&exclude={f1}", overlaps_path(&all, d(8), d(12)));
    assert_eq!(found(&expect_status(app.get_as(&builder, &path).await, 200).await).len(), 1);

    // Another unit asking about these machines learns nothing (its scope holds no such filing).
    let (_o, other) = contractor(&app, "overlap.other").await;
    let theirs = expect_status(app.get_as(&other, &overlaps_path(&all, d(0), d(60))).await, 200).await;
    assert_eq!(theirs, json!([]));

    // The form's server function answers the same.
    let body = json!({"machine_ids": [m[0]["id"], m[1]["id"]], "from": d(8), "to": d(12), "exclude": null});
    let resp = builder.post(app.url("/api/filings/overlaps")).json(&body).send().await.expect("server fn");
    assert_eq!(found(&expect_status(resp, 200).await), found(&both));
}

async fn overlap_queries_are_checked(app: TestApp) {
    let (_org, builder) = contractor(&app, "overlap.checks").await;
    let m = create_machine(&app, &builder, 1).await;
    let t = app.today();
    let ok = overlaps_path(&[&m], t, t);
    assert_eq!(expect_status(app.get_as(&builder, &ok).await, 200).await, json!([]));
    let empty = format!("/api/v1/filings/overlaps?machine_ids=&from={t}&to={t}");
    assert_eq!(expect_status(app.get_as(&builder, &empty).await, 200).await, json!([]));
    let bad_id = format!("/api/v1/filings/overlaps?machine_ids=not-an-id&from={t}&to={t}");
    assert_error(app.get_as(&builder, &bad_id).await, 400, "malformed_query").await;
    let bad_date = format!("/api/v1/filings/overlaps?machine_ids={}&from=tomorrow&to={t}", id_of(&m));
    assert_error(app.get_as(&builder, &bad_date).await, 400, "malformed_query").await;
    let reversed = overlaps_path(&[&m], t, t - Duration::days(1));
    let err = assert_error(app.get_as(&builder, &reversed).await, 422, "validation_failed").await;
    assert_field(&err, "to", &FieldError::new(FieldCode::EndBeforeStart));
    let many: Vec<String> = (0..501).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let too_many = format!("/api/v1/filings/overlaps?machine_ids={}&from={t}&to={t}", many.join(","));
    let err = assert_error(app.get_as(&builder, &too_many).await, 422, "validation_failed").await;
    assert_field(&err, "machine_ids", &FieldError::new(FieldCode::TooMany).with("max", 500));
    assert_error(app.get_as(&TestApp::new_client(), &ok).await, 401, "unauthorized").await;
}

async fn the_shared_rule_refuses_alike_on_create_and_resubmit(app: TestApp) {
    let (_org, builder) = contractor(&app, "rule.builder").await;
    let xiaodian = inspector(&app, "rule.insp", "140105").await;
    let site = create_site(&app, &builder, "规则工地", "140105").await;
    let m = create_machine(&app, &builder, 1).await;
    let t = app.today();
    let f = create_filing(&app, &builder, &site["id"], &[&m["id"]], t, t + Duration::days(3)).await;
    let returned = expect_status(
        app.post_as(&xiaodian, &format!("/api/v1/filings/{}/review", id_of(&f)), &review("return")).await,
        200,
    )
    .await;
    let version = returned["version"].clone();
    // More machines than a filing may carry: refused by the rule before any query, never a 500.
    let many: Vec<String> = (0..600).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let create = json!({"site_id": site["id"], "machine_ids": many, "planned_entry_on": t, "planned_exit_on": t});
    let err = assert_error(app.post_as(&builder, "/api/v1/filings", &create).await, 422, "validation_failed").await;
    assert_field(&err, "machine_ids", &FieldError::new(FieldCode::TooMany).with("max", 500));
    let correction = json!({"machine_ids": many, "planned_entry_on": t, "planned_exit_on": t, "version": version});
    let path = format!("/api/v1/filings/{}", id_of(&f));
    let err = assert_error(app.put_as(&builder, &path, &correction).await, 422, "validation_failed").await;
    assert_field(&err, "machine_ids", &FieldError::new(FieldCode::TooMany).with("max", 500));
    // Dates out of order and in the past, through the server function of the page.
    let body = json!({"id": id_of(&f), "input": {"machine_ids": [m["id"]], "planned_entry_on": t - Duration::days(2),
        "planned_exit_on": t - Duration::days(3), "version": version}});
    let resp = builder.post(app.url("/api/filings/resubmit")).json(&body).send().await.expect("server fn");
    assert_eq!(resp.status().as_u16(), 422);
    let err: Value = resp.json().await.expect("json");
    let codes: Vec<&str> = err["fields"]["planned_exit_on"]
        .as_array()
        .expect("field errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes, ["end_before_start", "in_the_past"], "{err}");
    let still = expect_status(app.get_as(&builder, &path).await, 200).await;
    assert_eq!(still["status"], "returned");
    assert_eq!(still["version"], version);
}

/// A unit with a site, three machines and a filing of the first two, returned by the county:
/// `(builder, filing, machines)`.
async fn returned_filing(app: &TestApp, name: &str) -> (reqwest::Client, Value, Vec<Value>) {
    let (_org, builder) = contractor(app, name).await;
    let xiaodian = inspector(app, &format!("{name}.insp"), "140105").await;
    let site = create_site(app, &builder, "更正工地", "140105").await;
    let m: Vec<Value> = futures::future::join_all((1..=3).map(|n| create_machine(app, &builder, n))).await;
    let t = app.today();
    let f = create_filing(app, &builder, &site["id"], &[&m[0]["id"], &m[1]["id"]], t, t + Duration::days(5)).await;
    let returned = expect_status(
        app.post_as(&xiaodian, &format!("/api/v1/filings/{}/review", id_of(&f)), &review("return")).await,
        200,
    )
    .await;
    assert_eq!(returned["site_starts_on"], json!(t - Duration::days(30)), "the site's period comes with the filing");
    (builder, returned, m)
}

fn machine_ids(filing: &Value) -> Vec<String> {
    let mut ids: Vec<String> = filing["machines"].as_array().expect("machines").iter().map(id_of).collect();
    ids.sort();
    ids
}

async fn a_returned_filing_is_corrected_through_rest(app: TestApp) {
    let (builder, f, m) = returned_filing(&app, "correct.rest").await;
    let t = app.today();
    let correction = json!({"machine_ids": [m[2]["id"]], "planned_entry_on": t + Duration::days(2),
        "planned_exit_on": t + Duration::days(9), "version": f["version"]});
    let path = format!("/api/v1/filings/{}", id_of(&f));
    let again = expect_status(app.put_as(&builder, &path, &correction).await, 200).await;
    assert_eq!(again["status"], "submitted");
    assert_eq!(machine_ids(&again), vec![id_of(&m[2])], "the machines were replaced, not added to");
    assert_eq!(
        (again["planned_entry_on"].clone(), again["planned_exit_on"].clone()),
        (json!(t + Duration::days(2)), json!(t + Duration::days(9)))
    );
}

async fn a_returned_filing_is_corrected_through_the_pages_server_function(app: TestApp) {
    let (builder, f, m) = returned_filing(&app, "correct.page").await;
    let t = app.today();
    let body = json!({"id": id_of(&f), "input": {"machine_ids": [m[1]["id"], m[2]["id"]],
        "planned_entry_on": t + Duration::days(1), "planned_exit_on": t + Duration::days(7), "version": f["version"]}});
    let resp = builder.post(app.url("/api/filings/resubmit")).json(&body).send().await.expect("server fn");
    let rid = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("request id").to_owned();
    let again = expect_status(resp, 200).await;
    assert_eq!(again["status"], "submitted");
    let mut want = vec![id_of(&m[1]), id_of(&m[2])];
    want.sort();
    assert_eq!(machine_ids(&again), want);
    assert_eq!(again["planned_exit_on"], json!(t + Duration::days(7)));
    let seen = expect_status(app.get_as(&builder, &format!("/api/v1/filings/{}", id_of(&f))).await, 200).await;
    assert_eq!(machine_ids(&seen), want, "stored, not only answered");
    // Recorded like the REST twin: a resubmit row with the machines before and after.
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::RequestId.eq(rid))
        .all(&app.state.db)
        .await
        .expect("audit rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action.as_str(), "resubmit");
    let after: Value = serde_json::from_str(rows[0].after.as_deref().expect("after")).expect("json");
    assert_eq!(after["machine_ids"].as_array().map(Vec::len), Some(2));
    // The stale version it was based on no longer corrects anything.
    let resp = builder.post(app.url("/api/filings/resubmit")).json(&body).send().await.expect("server fn");
    assert_eq!(resp.status().as_u16(), 409);
}

/// The form lists a unit's latest 100 sites; a site further down, opened from its own page
/// (`/filings/new?site=`), is offered and chosen all the same (its dates read by its id).
async fn the_form_offers_a_site_beyond_the_first_hundred(app: TestApp) {
    let (_org, unit) = contractor(&app, "many.sites").await;
    let oldest = create_site(&app, &unit, "最早的工地", "140105").await;
    for n in 0..100 {
        create_site(&app, &unit, &format!("工地 {n:03}"), "140105").await;
    }
    let id = id_of(&oldest);
    let blank = crate::helpers::page_html(&app, &unit, "/filings/new").await;
    assert!(blank.contains("工地 099") && !blank.contains("最早的工地"), "the latest 100 only");
    let html = crate::helpers::page_html(&app, &unit, &format!("/filings/new?site={id}")).await;
    let option = html
        .find(&format!("value=\"{id}\""))
        .map(|at| &html[at..html[at..].find("</option>").map_or(html.len(), |e| at + e)]);
    let option = option.expect("the asked-for site is offered");
    assert!(option.contains("selected") && option.contains("最早的工地"), "{option}");
}
