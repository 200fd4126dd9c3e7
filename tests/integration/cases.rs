//! The case workflow through the REST API: every legal transition and what it needs, illegal
//! ones (409), re-inspections that settle a case or are recorded on it, overdue orders as the
//! clock moves, and the history of each case.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, expect_status};
use crate::inspections::{World, inspect, inspection, opened_kinds, registered, world};
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    legal_transitions_and_their_history,
    illegal_transitions_are_conflicts,
    reinspection_settles_or_records,
    overdue_orders,
    the_case_page_shows_what_was_measured,
);

/// A failing inspection of a fresh registered machine `n` at the site outside the zone; returns
/// the machine and the path of the case it opened.
async fn failed_case(app: &TestApp, w: &World, n: u32) -> (Value, String) {
    let m = registered(app, w, &w.plain_site, n, json!({})).await;
    let fail = inspect(app, &w.xiaodian, &inspection(app, &w.plain_site, &m, &[2.0, 2.0, 2.0])).await;
    assert_eq!(opened_kinds(&fail), vec!["failed_inspection"]);
    (m, format!("/api/v1/cases/{}", fail["opened_cases"][0]["id"].as_str().expect("case")))
}

async fn move_case(app: &TestApp, w: &World, case: &str, body: Value) -> reqwest::Response {
    app.post_as(&w.xiaodian, &format!("{case}/transition"), &body).await
}

async fn legal_transitions_and_their_history(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();

    // open → rectification_ordered: a deadline is required and may not lie in the past.
    let (_m, a) = failed_case(&app, &w, 1).await;
    let body =
        assert_error(move_case(&app, &w, &a, json!({"to": "rectification_ordered"})).await, 422, "validation_failed")
            .await;
    assert_field(&body, "deadline_on", &FieldError::new(FieldCode::Required));
    let past = json!({"to": "rectification_ordered", "deadline_on": today - Duration::days(1)});
    let body = assert_error(move_case(&app, &w, &a, past).await, 422, "validation_failed").await;
    assert_field(&body, "deadline_on", &FieldError::new(FieldCode::InThePast));
    let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(15), "note": "限期15日整改", "version": 1});
    let ordered = expect_status(move_case(&app, &w, &a, order).await, 200).await;
    assert_eq!((ordered["state"].as_str(), ordered["version"].as_i64()), (Some("rectification_ordered"), Some(2)));
    assert_eq!(ordered["deadline_on"], json!(today + Duration::days(15)));
    assert_eq!(ordered["overdue"], false);
    // rectification_ordered → penalized: an amount above 0; the legal basis defaults.
    let body = assert_error(
        move_case(&app, &w, &a, json!({"to": "penalized", "penalty_yuan": 0})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "penalty_yuan", &FieldError::new(FieldCode::PenaltyRange).with("max", 10_000_000));
    let fined =
        expect_status(move_case(&app, &w, &a, json!({"to": "penalized", "penalty_yuan": 5000})).await, 200).await;
    assert_eq!((fined["state"].as_str(), fined["penalty_yuan"].as_i64()), (Some("penalized"), Some(5000)));
    assert_eq!(fined["legal_basis"], "《大气污染防治法》第一百一十四条");
    // penalized → closed.
    let closed = expect_status(move_case(&app, &w, &a, json!({"to": "closed"})).await, 200).await;
    assert_eq!(closed["state"], "closed");
    assert!(closed["closed_at"].is_string());
    let history: Vec<(Value, Value, Value)> = closed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone(), e["action"].clone()))
        .collect();
    assert_eq!(
        history,
        vec![
            (Value::Null, json!("open"), json!("opened")),
            (json!("open"), json!("rectification_ordered"), json!("transition")),
            (json!("rectification_ordered"), json!("penalized"), json!("transition")),
            (json!("penalized"), json!("closed"), json!("transition")),
        ]
    );
    let events = closed["events"].as_array().expect("events");
    assert_eq!(events[1]["note"], "限期15日整改");
    assert_eq!(events[1]["deadline_on"], json!(today + Duration::days(15)));
    assert_eq!(
        (events[2]["penalty_yuan"].as_i64(), events[2]["legal_basis"].as_str()),
        (Some(5000), Some("《大气污染防治法》第一百一十四条"))
    );
    assert_eq!(events[3]["actor_name"], "xiaodian.i");
    assert!(events[0]["inspection_id"].is_string());

    // open → penalized with a legal basis of one's own; open → closed needs a note.
    let (_m, b) = failed_case(&app, &w, 2).await;
    let own = json!({"to": "penalized", "penalty_yuan": 20000, "legal_basis": "《山西省大气污染防治条例》"});
    let fined = expect_status(move_case(&app, &w, &b, own).await, 200).await;
    assert_eq!(fined["legal_basis"], "《山西省大气污染防治条例》");
    let (_m, c) = failed_case(&app, &w, 3).await;
    let body = assert_error(move_case(&app, &w, &c, json!({"to": "closed"})).await, 422, "validation_failed").await;
    assert_field(&body, "note", &FieldError::new(FieldCode::Required));
    let unfounded =
        expect_status(move_case(&app, &w, &c, json!({"to": "closed", "note": "仪器故障，线索不实"})).await, 200).await;
    assert_eq!(unfounded["state"], "closed");
    assert_eq!(unfounded["events"][1]["note"], "仪器故障，线索不实");

    // The list filters by state.
    let closed = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?state=closed").await, 200).await;
    assert_eq!(closed["items"].as_array().map(Vec::len), Some(2));
    let penalized = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?state=penalized").await, 200).await;
    assert_eq!(penalized["items"][0]["penalty_yuan"], 20000);
}

async fn illegal_transitions_are_conflicts(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();
    let (_m, a) = failed_case(&app, &w, 1).await;
    for to in ["open", "reinspection_passed"] {
        let body = assert_error(move_case(&app, &w, &a, json!({"to": to})).await, 409, "illegal_transition").await;
        assert_eq!(body["error"]["details"]["from"], "open");
        assert_eq!(body["error"]["details"]["to"], to);
    }
    let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(3)});
    expect_status(move_case(&app, &w, &a, order.clone()).await, 200).await;
    // Re-inspection passed only through a re-inspection.
    assert_error(move_case(&app, &w, &a, json!({"to": "reinspection_passed"})).await, 409, "reinspection_required")
        .await;
    for to in ["open", "rectification_ordered", "closed"] {
        let body = json!({"to": to, "deadline_on": today + Duration::days(3), "note": "x"});
        assert_error(move_case(&app, &w, &a, body).await, 409, "illegal_transition").await;
    }
    // A stale version changes nothing.
    let body = json!({"to": "penalized", "penalty_yuan": 5000, "version": 1});
    let stale = assert_error(move_case(&app, &w, &a, body).await, 409, "stale_version").await;
    assert_eq!(stale["error"]["details"]["current_version"], "2");
    // Closed is final.
    let (_m, b) = failed_case(&app, &w, 2).await;
    expect_status(move_case(&app, &w, &b, json!({"to": "closed", "note": "撤销"})).await, 200).await;
    for to in ["open", "rectification_ordered", "penalized", "reinspection_passed", "closed"] {
        let body = json!({"to": to, "deadline_on": today + Duration::days(3), "penalty_yuan": 1, "note": "x"});
        assert_error(move_case(&app, &w, &b, body).await, 409, "illegal_transition").await;
    }
    // Unknown states are malformed; unknown cases are not found.
    assert_error(move_case(&app, &w, &a, json!({"to": "archived"})).await, 400, "malformed").await;
    let nowhere = format!("/api/v1/cases/{}", uuid::Uuid::now_v7());
    assert_error(move_case(&app, &w, &nowhere, json!({"to": "closed", "note": "x"})).await, 404, "not_found").await;
    let case = expect_status(app.get_as(&w.xiaodian, &a).await, 200).await;
    assert_eq!(
        (case["state"].as_str(), case["events"].as_array().map(Vec::len)),
        (Some("rectification_ordered"), Some(2))
    );
}

async fn reinspection_settles_or_records(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();
    let (m, a) = failed_case(&app, &w, 1).await;
    let case_id = a.rsplit('/').next().expect("id").to_owned();
    let reinspect = |readings: &[f64]| {
        let mut body = inspection(&app, &w.plain_site, &m, readings);
        body["case_id"] = json!(case_id);
        body
    };
    // Not yet ordered to correct: nothing to re-inspect.
    assert_error(
        app.post_as(&w.xiaodian, "/api/v1/inspections", &reinspect(&[0.1, 0.1, 0.1])).await,
        409,
        "case_not_awaiting_reinspection",
    )
    .await;
    let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(7)});
    expect_status(move_case(&app, &w, &a, order).await, 200).await;
    // Another machine's inspection cannot re-inspect this case.
    let other = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    let mut wrong = inspection(&app, &w.plain_site, &other, &[0.1, 0.1, 0.1]);
    wrong["case_id"] = json!(case_id);
    let body =
        assert_error(app.post_as(&w.xiaodian, "/api/v1/inspections", &wrong).await, 422, "validation_failed").await;
    assert_field(&body, "case_id", &FieldError::new(FieldCode::CaseMachineMismatch));

    // A failing re-inspection is recorded on the case, which stays ordered; no second case.
    let failed = inspect(&app, &w.xiaodian, &reinspect(&[1.5, 1.5, 1.5])).await;
    assert_eq!(failed["verdict"], "fail");
    assert!(opened_kinds(&failed).is_empty());
    assert_eq!(
        failed["reinspection"],
        json!({"case_id": case_id, "passed": false, "case_state": "rectification_ordered"})
    );
    assert_eq!(failed["case_id"], json!(case_id));
    let case = expect_status(app.get_as(&w.xiaodian, &a).await, 200).await;
    assert_eq!(case["state"], "rectification_ordered");
    let last = &case["events"][2];
    assert_eq!(
        (last["action"].as_str(), last["inspection_id"].clone()),
        (Some("reinspection_failed"), failed["id"].clone())
    );
    let failed_cases = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?kind=failed_inspection").await, 200).await;
    assert_eq!(failed_cases["items"].as_array().map(Vec::len), Some(1));
    // A re-inspection that also finds a missing label opens that case, but no second smoke case.
    let mut body = reinspect(&[1.5, 1.5, 1.5]);
    body["label_present"] = json!(false);
    let again = inspect(&app, &w.xiaodian, &body).await;
    assert_eq!(opened_kinds(&again), vec!["missing_label"]);

    // A passing re-inspection settles it; then it can be closed.
    let passed = inspect(&app, &w.xiaodian, &reinspect(&[0.3, 0.3, 0.3])).await;
    assert_eq!(passed["reinspection"]["passed"], true);
    assert_eq!(passed["reinspection"]["case_state"], "reinspection_passed");
    let case = expect_status(app.get_as(&w.xiaodian, &a).await, 200).await;
    assert_eq!((case["state"].as_str(), case["overdue"].as_bool()), (Some("reinspection_passed"), Some(false)));
    assert_eq!(case["events"].as_array().expect("events").last().expect("event")["action"], "reinspection_passed");
    assert_error(
        app.post_as(&w.xiaodian, "/api/v1/inspections", &reinspect(&[0.3, 0.3, 0.3])).await,
        409,
        "case_not_awaiting_reinspection",
    )
    .await;
    assert_error(
        move_case(&app, &w, &a, json!({"to": "penalized", "penalty_yuan": 100})).await,
        409,
        "illegal_transition",
    )
    .await;
    let closed = expect_status(move_case(&app, &w, &a, json!({"to": "closed"})).await, 200).await;
    assert_eq!(closed["state"], "closed");
    // An unknown case id is a field error.
    let mut body = inspection(&app, &w.plain_site, &m, &[0.1, 0.1, 0.1]);
    body["case_id"] = json!(uuid::Uuid::now_v7());
    let body =
        assert_error(app.post_as(&w.xiaodian, "/api/v1/inspections", &body).await, 422, "validation_failed").await;
    assert_field(&body, "case_id", &FieldError::new(FieldCode::UnknownCase));
}

async fn overdue_orders(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();
    let (_m, a) = failed_case(&app, &w, 1).await;
    let (_m, b) = failed_case(&app, &w, 2).await;
    let order = |days: i64| json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(days)});
    expect_status(move_case(&app, &w, &a, order(2)).await, 200).await;
    expect_status(move_case(&app, &w, &b, order(10)).await, 200).await;
    let overdue_ids = |list: &Value| -> Vec<String> {
        list["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_str().map(str::to_owned)).collect()
    };
    let listed = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?overdue=true").await, 200).await;
    assert!(overdue_ids(&listed).is_empty());

    // Due the day after tomorrow: on that day it is not overdue, the day after it is.
    app.clock.advance(Duration::days(2));
    let xiaodian = app.signed_in("xiaodian.i").await; // sessions expire after 8 idle hours
    let case = expect_status(app.get_as(&xiaodian, &a).await, 200).await;
    assert_eq!(case["overdue"], false);
    app.clock.advance(Duration::days(1));
    let xiaodian = app.signed_in("xiaodian.i").await;
    let case = expect_status(app.get_as(&xiaodian, &a).await, 200).await;
    assert_eq!(case["overdue"], true);
    let a_id = case["id"].as_str().expect("id").to_owned();
    let listed = expect_status(app.get_as(&xiaodian, "/api/v1/cases?overdue=true").await, 200).await;
    assert_eq!(overdue_ids(&listed), vec![a_id.clone()]);
    let not = expect_status(app.get_as(&xiaodian, "/api/v1/cases?overdue=false").await, 200).await;
    assert_eq!(overdue_ids(&not).len(), 1);
    assert!(!overdue_ids(&not).contains(&a_id));
    // The field look-up shows it as overdue too; a penalty ends the overdue state.
    let lookup = expect_status(
        app.get_as(
            &xiaodian,
            &format!("/api/v1/machines/lookup?code={}", {
                let m = expect_status(app.get_as(&xiaodian, &a).await, 200).await;
                m["machine"]["registration_code"].as_str().expect("code").to_owned()
            }),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(lookup["open_cases"][0]["overdue"], true);
    let fined =
        app.post_as(&xiaodian, &format!("{a}/transition"), &json!({"to": "penalized", "penalty_yuan": 5000})).await;
    assert_eq!(expect_status(fined, 200).await["overdue"], false);
    let listed = expect_status(app.get_as(&xiaodian, "/api/v1/cases?overdue=true").await, 200).await;
    assert!(overdue_ids(&listed).is_empty());
}

/// The unit reads on its case's page what the inspection measured (issue 10, smaller points).
async fn the_case_page_shows_what_was_measured(app: TestApp) {
    let w = world(&app).await;
    let (_m, path) = failed_case(&app, &w, 1).await;
    let page = path.trim_start_matches("/api/v1");
    for client in [&w.builder, &w.xiaodian] {
        let html = crate::helpers::page_html(&app, client, page).await;
        let at = html.find(r#"data-testid="case-measurements""#).expect("the measurements are on the page");
        let block = &html[at..];
        assert!(block.contains("2.00, 2.00, 2.00"), "the readings");
        assert!(block.contains(r#"data-testid="mean-k">2.00<"#), "their mean");
    }
}
