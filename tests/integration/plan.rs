//! The inspection plan (issue 15): a county's active sites ranked by the documented risk score,
//! each with the factors that gave its points; weights set by officers change the order; an
//! inspector's route for a day; who may read, set and plan what.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, create_site, expect_status, id_of, inspector};
use crate::inspections::{inspect, inspection, registered, world};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    a_site_with_a_watched_old_machine_ranks_first_until_the_weights_change,
    the_plan_counts_what_happened_at_the_site_up_to_its_day,
    an_inspector_keeps_a_route_of_their_own_countys_sites,
);

/// The plan's sites as (name, score, factors in order).
fn ranking(plan: &Value) -> Vec<(String, f64, Vec<String>)> {
    plan["sites"]
        .as_array()
        .expect("sites")
        .iter()
        .map(|s| {
            let factors = s["reasons"].as_array().expect("reasons").iter();
            (
                s["site_name"].as_str().expect("name").to_owned(),
                s["score"].as_f64().expect("score"),
                factors.map(|r| r["factor"].as_str().expect("factor").to_owned()).collect(),
            )
        })
        .collect()
}

fn names(plan: &Value) -> Vec<String> {
    ranking(plan).into_iter().map(|(n, _, _)| n).collect()
}

async fn a_site_with_a_watched_old_machine_ranks_first_until_the_weights_change(app: TestApp) {
    let w = world(&app).await;
    // 外围工地: one stage II machine without a DPF, put on the watch list by the county.
    let old = json!({"emission_stage": "stage_2", "dpf_fitted": false, "manufactured_on": "2012-01-01"});
    let m = registered(&app, &w, &w.plain_site, 1, old).await;
    let entry = json!({"registration_code": m["registration_code"], "reason": "群众举报冒黑烟", "ends_on": app.today() + Duration::days(10)});
    expect_status(app.post_as(&w.xiaodian, "/api/v1/watchlist", &entry).await, 201).await;
    // 区内工地: two stage IV machines with DPFs, on two filings.
    registered(&app, &w, &w.zone_site, 2, json!({})).await;
    registered(&app, &w, &w.zone_site, 3, json!({})).await;

    let plan = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan").await, 200).await;
    assert_eq!(plan["division_code"], "140105", "an inspector's own county by default");
    assert_eq!(plan["date"], json!(app.today()));
    assert!(plan["weights"]["division_code"].is_null(), "the built-in weights: {}", plan["weights"]);
    let r = ranking(&plan);
    assert_eq!(names(&plan), ["小店区外围工地", "小店区内工地"]);
    // 30 × 100 % + 20 × 1 watched + 8 × 1 filing never inspected + 5 × 1 day ÷ 30.
    assert_eq!(r[0].1, 58.2, "{r:?}");
    assert_eq!(r[0].2, ["old_or_no_dpf", "watched", "never_inspected", "days_since"]);
    // 8 × 2 filings never inspected + 5 × 1 day ÷ 30.
    assert_eq!((r[1].1, r[1].2.clone()), (16.2, vec!["never_inspected".to_owned(), "days_since".to_owned()]));
    let facts = &plan["sites"][0]["facts"];
    assert_eq!(
        (facts["machines"].as_u64(), facts["old_or_no_dpf"].as_u64(), facts["watched"].as_u64()),
        (Some(1), Some(1), Some(1))
    );

    // The city's officer sets Taiyuan's weights: age and the watch list count for nothing.
    app.user("taiyuan.plan", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.plan").await;
    let mut weights = json!({"old_or_no_dpf": 0, "watched": 0, "site_failures": 10, "unit_failures": 2,
        "never_inspected": 8, "days_since": 5, "open_cases": 15});
    let set = json!({"division_code": "140100", "weights": weights});
    let saved = expect_status(app.put_as(&city, "/api/v1/inspection-plan/weights", &set).await, 200).await;
    assert_eq!((saved["division_code"].as_str(), saved["division_name"].as_str()), (Some("140100"), Some("太原市")));
    let plan = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan").await, 200).await;
    assert_eq!(names(&plan), ["小店区内工地", "小店区外围工地"], "the order follows the weights");
    assert_eq!(plan["weights"]["division_code"], "140100");
    // The same plan for the city's officer, who names the county.
    let theirs = expect_status(app.get_as(&city, "/api/v1/inspection-plan?division_code=140105").await, 200).await;
    assert_eq!(ranking(&theirs), ranking(&plan));
    // The change is audited with the weights before and after.
    let log = expect_status(app.get_as(&city, "/api/v1/audit?entity=plan_weights").await, 200).await;
    let row = &log["items"][0];
    assert_eq!((row["action"].as_str(), row["entity_id"].as_str()), (Some("create"), Some("140100")));
    assert!(row["before"]["division_code"].is_null() && row["after"]["weights"]["watched"] == 0, "{row}");
    // The province's weights do not override the city's, nearer to the county.
    app.user("shanxi.plan", Role::ProvinceOfficer, Some("140000"), None).await;
    let province = app.signed_in("shanxi.plan").await;
    let set = json!({"division_code": "140000", "weights": {"old_or_no_dpf": 100, "watched": 100, "site_failures": 0,
        "unit_failures": 0, "never_inspected": 0, "days_since": 0, "open_cases": 0}});
    expect_status(app.put_as(&province, "/api/v1/inspection-plan/weights", &set).await, 200).await;
    let inspectors = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan/weights").await, 200).await;
    assert_eq!(inspectors["division_code"], "140100");
    let province_own =
        expect_status(app.get_as(&province, "/api/v1/inspection-plan/weights?division_code=140000").await, 200).await;
    assert_eq!(province_own["weights"]["watched"], 100);
    // The province reviews its cities' changes in the audit log.
    let log = expect_status(app.get_as(&province, "/api/v1/audit?entity=plan_weights").await, 200).await;
    let ids: Vec<&str> =
        log["items"].as_array().expect("items").iter().filter_map(|r| r["entity_id"].as_str()).collect();
    assert_eq!(ids, ["140000", "140100"]);

    // Who may set what: not an inspector, not a unit, not a division outside the officer's own;
    // every weight from 0 to 100.
    let body = json!({"division_code": "140105", "weights": weights});
    assert_error(app.put_as(&w.xiaodian, "/api/v1/inspection-plan/weights", &body).await, 403, "forbidden").await;
    assert_error(app.put_as(&w.builder, "/api/v1/inspection-plan/weights", &body).await, 403, "forbidden").await;
    let elsewhere = json!({"division_code": "140200", "weights": weights});
    assert_error(app.put_as(&city, "/api/v1/inspection-plan/weights", &elsewhere).await, 404, "not_found").await;
    weights["open_cases"] = json!(101);
    let body = json!({"division_code": "140100", "weights": weights});
    let bad = expect_status(app.put_as(&city, "/api/v1/inspection-plan/weights", &body).await, 422).await;
    assert_field(&bad, "open_cases", &FieldError::new(FieldCode::Range).with("min", 0).with("max", 100));
    // Who may read the plan: no unit, no other county (404), no city or province as such (422).
    assert_error(app.get_as(&w.builder, "/api/v1/inspection-plan").await, 403, "forbidden").await;
    assert_error(app.get_as(&w.qingxu, "/api/v1/inspection-plan?division_code=140105").await, 404, "not_found").await;
    assert_error(app.get_as(&w.qingxu, "/api/v1/inspection-plan/weights?division_code=140106").await, 404, "not_found")
        .await;
    let city_wide = expect_status(app.get_as(&city, "/api/v1/inspection-plan?division_code=140100").await, 422).await;
    assert_field(&city_wide, "division_code", &FieldError::new(FieldCode::NotACounty));
    let junk = expect_status(app.get_as(&city, "/api/v1/inspection-plan?division_code=abc").await, 422).await;
    assert_field(&junk, "division_code", &FieldError::new(FieldCode::UnknownDivision));
    expect_status(app.get_as(&city, "/api/v1/inspection-plan?date=2026-13-01").await, 400).await;
}

async fn the_plan_counts_what_happened_at_the_site_up_to_its_day(app: TestApp) {
    let w = world(&app).await;
    let a = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    registered(&app, &w, &w.plain_site, 2, json!({})).await;
    let today = app.today();
    // A failure at the site: one failure, one unresolved case, one watched machine; one of the
    // two filings is now inspected since its entry.
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &a, &[2.5, 2.6, 2.4])).await;
    assert_eq!(failed["verdict"], "fail");
    let plan = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan").await, 200).await;
    let site = &plan["sites"][0];
    assert_eq!(site["site_name"], "小店区外围工地");
    let f = &site["facts"];
    let got = [
        &f["site_failures"],
        &f["unit_failures"],
        &f["open_cases"],
        &f["watched"],
        &f["never_inspected"],
        &f["days_since"],
    ];
    assert_eq!(got.map(|v| v.as_i64()), [Some(1), Some(1), Some(1), Some(1), Some(1), Some(0)], "{f}");
    // Yesterday's plan reads as it did then: nothing inspected yet.
    let path = format!("/api/v1/inspection-plan?date={}", today - Duration::days(1));
    let yesterday = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    let f = &yesterday["sites"][0]["facts"];
    assert_eq!((f["site_failures"].as_i64(), f["never_inspected"].as_i64()), (Some(0), Some(2)), "{f}");
    // Before any filing's entry, and in a county with none, the plan is empty.
    let path = format!("/api/v1/inspection-plan?date={}", today - Duration::days(5));
    let before = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(before["sites"], json!([]));
    let qingxu = expect_status(app.get_as(&w.qingxu, "/api/v1/inspection-plan").await, 200).await;
    assert_eq!((qingxu["division_code"].as_str(), qingxu["sites"].clone()), (Some("140121"), json!([])));
}

async fn an_inspector_keeps_a_route_of_their_own_countys_sites(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();
    let (a, b) = (id_of(&w.plain_site), id_of(&w.zone_site));
    let put = |date: chrono::NaiveDate, ids: Vec<&str>| json!({"date": date, "site_ids": ids});
    let route =
        expect_status(app.put_as(&w.xiaodian, "/api/v1/inspection-plan/route", &put(today, vec![&b, &a])).await, 200)
            .await;
    let order = |r: &Value| {
        r["stops"]
            .as_array()
            .expect("stops")
            .iter()
            .map(|s| s["site_id"].as_str().expect("id").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&route), [b.clone(), a.clone()]);
    assert_eq!(route["stops"][0]["site_name"], "小店区内工地");
    let read = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan/route").await, 200).await;
    assert_eq!(order(&read), order(&route));
    // Saved again in another order: replaced, not added to.
    let again =
        expect_status(app.put_as(&w.xiaodian, "/api/v1/inspection-plan/route", &put(today, vec![&a])).await, 200).await;
    assert_eq!(order(&again), std::slice::from_ref(&a));
    // Another day, another route; a colleague's route is their own.
    let tomorrow = format!("/api/v1/inspection-plan/route?date={}", today + Duration::days(1));
    assert_eq!(expect_status(app.get_as(&w.xiaodian, &tomorrow).await, 200).await["stops"], json!([]));
    let colleague = inspector(&app, "xiaodian.two", "140105").await;
    assert_eq!(
        expect_status(app.get_as(&colleague, "/api/v1/inspection-plan/route").await, 200).await["stops"],
        json!([])
    );
    // Audited.
    let log = expect_status(app.get_as(&w.xiaodian, "/api/v1/audit?entity=inspection_route").await, 200).await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(2));

    // Bad input: another county's site, a site twice, a day gone by, too many.
    let elsewhere = create_site(&app, &w.builder, "清徐县工地", "140121").await;
    let cases = [
        (put(today, vec![&a, &id_of(&elsewhere)]), "site_ids", FieldError::new(FieldCode::UnknownSite)),
        (put(today, vec![&a, &a]), "site_ids", FieldError::new(FieldCode::DuplicateSite)),
        (put(today - Duration::days(1), vec![&a]), "date", FieldError::new(FieldCode::InThePast)),
    ];
    for (body, field, expected) in cases {
        let bad = expect_status(app.put_as(&w.xiaodian, "/api/v1/inspection-plan/route", &body).await, 422).await;
        assert_field(&bad, field, &expected);
    }
    let many: Vec<String> = (0..31).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let body = json!({"date": today, "site_ids": many});
    let bad = expect_status(app.put_as(&w.xiaodian, "/api/v1/inspection-plan/route", &body).await, 422).await;
    assert_field(&bad, "site_ids", &FieldError::new(FieldCode::TooMany).with("max", 30));
    assert_eq!(order(&expect_status(app.get_as(&w.xiaodian, "/api/v1/inspection-plan/route").await, 200).await), [a]);
    // Only county inspectors keep routes.
    app.user("taiyuan.route", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.route").await;
    assert_error(app.get_as(&city, "/api/v1/inspection-plan/route").await, 403, "forbidden").await;
    assert_error(app.put_as(&w.builder, "/api/v1/inspection-plan/route", &put(today, vec![])).await, 403, "forbidden")
        .await;
}
