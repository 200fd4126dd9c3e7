//! Filings through the REST API: routing to the site's county, the review queue, pre-checks,
//! return and resubmission, acceptance issuing registration codes (also concurrently), the
//! one-site-at-a-time rule, and the entry/exit log.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, create_machine, create_site, expect_status, id_of,
    inspector, json, machine_input,
};
use app::error::{FieldCode, FieldError};
use app::machines::regcode::RegistrationCode;
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use std::collections::HashSet;

db_tests!(
    a_filing_goes_to_the_county_of_its_site,
    filing_input_rules,
    prechecks_name_what_is_missing,
    returned_filings_are_corrected_and_resubmitted,
    accepting_issues_registration_codes,
    a_machine_is_on_one_site_at_a_time,
    concurrent_accepts_issue_distinct_codes,
    concurrent_accepts_of_one_machine_for_two_sites,
    movements_are_logged_for_accepted_filings,
    the_review_works_as_a_plain_form,
    filing_statements_do_not_grow_with_the_list,
    lists_larger_than_a_statement_binds_are_read,
);

/// A construction unit with a site in 小店区 (a low-emission zone) and the two inspectors.
struct World {
    builder: reqwest::Client,
    site: Value,
    xiaodian: reqwest::Client,
    qingxu: reqwest::Client,
    today: NaiveDate,
}

async fn world(app: &TestApp) -> World {
    let (_org, builder) = contractor(app, "filing.builder").await;
    let site = create_site(app, &builder, "小店工地", "140105").await;
    World {
        builder,
        site,
        xiaodian: inspector(app, "xiaodian.insp", "140105").await,
        qingxu: inspector(app, "qingxu.insp", "140121").await,
        today: app.today(),
    }
}

fn review_path(filing: &Value) -> String {
    format!("/api/v1/filings/{}/review", id_of(filing))
}

async fn accept(app: &TestApp, inspector: &reqwest::Client, filing: &Value) -> Value {
    expect_status(app.post_as(inspector, &review_path(filing), &json!({"decision": "accept"})).await, 200).await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(id_of).collect()
}

async fn a_filing_goes_to_the_county_of_its_site(app: TestApp) {
    let w = world(&app).await;
    let m1 = create_machine(&app, &w.builder, 1).await;
    let m2 = create_machine(&app, &w.builder, 2).await;
    let f =
        create_filing(&app, &w.builder, &w.site["id"], &[&m1["id"], &m2["id"]], w.today, w.today + Duration::days(9))
            .await;
    assert_eq!(f["status"], "submitted");
    assert_eq!(f["county_code"], "140105");
    assert_eq!(f["site_name"], "小店工地");
    assert_eq!(f["organization_name"], "filing.builder");
    assert_eq!(f["version"], 1);
    assert!(f["submitted_at"].is_string());
    let filed: HashSet<String> = f["machines"].as_array().expect("machines").iter().map(id_of).collect();
    assert_eq!(filed, HashSet::from([id_of(&m1), id_of(&m2)]));

    // The inspector of 小店区 has it in the review queue; the one of 清徐县 does not see it at all.
    let queue = expect_status(app.get_as(&w.xiaodian, "/api/v1/filings?status=submitted").await, 200).await;
    assert_eq!(ids(&queue), vec![id_of(&f)]);
    let path = format!("/api/v1/filings/{}", id_of(&f));
    assert_eq!(expect_status(app.get_as(&w.xiaodian, &path).await, 200).await["id"], f["id"]);
    let queue = expect_status(app.get_as(&w.qingxu, "/api/v1/filings?status=submitted").await, 200).await;
    assert!(ids(&queue).is_empty());
    assert_error(app.get_as(&w.qingxu, &path).await, 404, "not_found").await;
    let resp = app.post_as(&w.qingxu, &review_path(&f), &json!({"decision": "accept"})).await;
    assert_error(resp, 404, "not_found").await;
    let resp = app.post_as(&w.qingxu, &review_path(&f), &json!({"decision": "return", "reason": "不归我管"})).await;
    assert_error(resp, 404, "not_found").await;

    // Another construction unit sees nothing; the filing's own unit may not review it.
    let (_b, other) = contractor(&app, "other.builder").await;
    assert_error(app.get_as(&other, &path).await, 404, "not_found").await;
    assert!(ids(&expect_status(app.get_as(&other, "/api/v1/filings").await, 200).await).is_empty());
    let resp = app.post_as(&w.builder, &review_path(&f), &json!({"decision": "accept"})).await;
    assert_error(resp, 403, "forbidden").await;
    // Taiyuan's city officer sees it but does not review it.
    app.user("taiyuan.f", app::auth::Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.f").await;
    expect_status(app.get_as(&city, &path).await, 200).await;
    assert_error(app.post_as(&city, &review_path(&f), &json!({"decision": "accept"})).await, 403, "forbidden").await;

    // Status filters and the unit's own list.
    let list = expect_status(app.get_as(&w.builder, "/api/v1/filings").await, 200).await;
    assert_eq!(ids(&list), vec![id_of(&f)]);
    let accepted = expect_status(app.get_as(&w.xiaodian, "/api/v1/filings?status=accepted").await, 200).await;
    assert!(ids(&accepted).is_empty());
    assert_error(app.get_as(&w.xiaodian, "/api/v1/filings?status=bogus").await, 400, "malformed_query").await;
    // Still in the queue: nothing was reviewed by the refused attempts.
    let queue = expect_status(app.get_as(&w.xiaodian, "/api/v1/filings?status=submitted").await, 200).await;
    assert_eq!(ids(&queue), vec![id_of(&f)]);
}

async fn filing_input_rules(app: TestApp) {
    let w = world(&app).await;
    let m = create_machine(&app, &w.builder, 1).await;
    let (_b, other) = contractor(&app, "rules.other").await;
    let foreign_machine = create_machine(&app, &other, 2).await;
    let foreign_site = create_site(&app, &other, "别人的工地", "140105").await;
    let t = w.today;
    let body = |site: &Value, machines: Vec<&Value>, entry: NaiveDate, exit: NaiveDate| json!({"site_id": site, "machine_ids": machines, "planned_entry_on": entry, "planned_exit_on": exit});
    let site_end: NaiveDate = serde_json::from_value(w.site["ends_on"].clone()).expect("date");
    let cases: Vec<(Value, &str, &str)> = vec![
        (body(&w.site["id"], vec![], t, t), "machine_ids", "required"),
        (body(&w.site["id"], vec![&m["id"], &m["id"]], t, t), "machine_ids", "duplicate_machine"),
        (body(&w.site["id"], vec![&foreign_machine["id"]], t, t), "machine_ids", "unknown_machine"),
        (body(&w.site["id"], vec![&m["id"]], t, t - Duration::days(1)), "planned_exit_on", "end_before_start"),
        (
            body(&w.site["id"], vec![&m["id"]], t - Duration::days(5), t - Duration::days(1)),
            "planned_exit_on",
            "in_the_past",
        ),
        (body(&foreign_site["id"], vec![&m["id"]], t, t), "site_id", "unknown_site"),
        (body(&json!(uuid::Uuid::now_v7()), vec![&m["id"]], t, t), "site_id", "unknown_site"),
    ];
    for (input, field, code) in cases {
        let err =
            assert_error(app.post_as(&w.builder, "/api/v1/filings", &input).await, 422, "validation_failed").await;
        assert_field(&err, field, &FieldError::new(FieldCode::parse(code).expect("a known code")));
    }
    let input = body(&w.site["id"], vec![&m["id"]], t, site_end + Duration::days(1));
    let err = assert_error(app.post_as(&w.builder, "/api/v1/filings", &input).await, 422, "validation_failed").await;
    assert!(err["error"]["fields"]["planned_entry_on"].is_array(), "outside the site's dates: {err}");
    assert_error(app.post_as(&w.builder, "/api/v1/filings", &json!({"site_id": "x"})).await, 400, "malformed").await;
    // Officials do not file.
    let input = body(&w.site["id"], vec![&m["id"]], t, t);
    assert_error(app.post_as(&w.xiaodian, "/api/v1/filings", &input).await, 403, "forbidden").await;
    assert!(ids(&expect_status(app.get_as(&w.builder, "/api/v1/filings").await, 200).await).is_empty());
}

fn prechecks_of<'a>(filing: &'a Value, machine: &Value) -> Vec<(&'a str, Vec<&'a str>)> {
    filing["prechecks"]
        .as_array()
        .expect("prechecks")
        .iter()
        .filter(|p| p["machine_id"] == machine["id"])
        .map(|p| {
            let detail = p["detail"].as_array().expect("detail").iter().filter_map(Value::as_str).collect();
            (p["code"].as_str().expect("code"), detail)
        })
        .collect()
}

async fn prechecks_name_what_is_missing(app: TestApp) {
    let w = world(&app).await;
    assert_eq!(w.site["low_emission_zone"], true);
    // A stage II diesel machine, complete but without photos.
    let mut old = machine_input(1);
    old["emission_stage"] = json!("stage_2");
    old["env_code"] = Value::Null;
    let old = expect_status(app.post_as(&w.builder, "/api/v1/machines", &old).await, 201).await;
    // A stage IV machine without its environmental code, engine serial or manufacture date.
    let mut bare = machine_input(2);
    for field in ["env_code", "engine_serial", "manufactured_on"] {
        bare[field] = Value::Null;
    }
    let bare = expect_status(app.post_as(&w.builder, "/api/v1/machines", &bare).await, 201).await;
    // A stage II petrol machine: the zone restricts diesel only.
    let mut petrol = machine_input(3);
    petrol["emission_stage"] = json!("stage_2");
    petrol["fuel_type"] = json!("petrol");
    let petrol = expect_status(app.post_as(&w.builder, "/api/v1/machines", &petrol).await, 201).await;

    let input = json!({
        "site_id": w.site["id"], "machine_ids": [old["id"], bare["id"], petrol["id"]],
        "planned_entry_on": w.today, "planned_exit_on": w.today + Duration::days(3),
    });
    // The pre-check endpoint stores nothing.
    let pre = expect_status(app.post_as(&w.builder, "/api/v1/filings/precheck", &input).await, 200).await;
    assert!(ids(&expect_status(app.get_as(&w.builder, "/api/v1/filings").await, 200).await).is_empty());
    let f = expect_status(app.post_as(&w.builder, "/api/v1/filings", &input).await, 201).await;
    assert_eq!(f["prechecks"], pre, "the same checks before and after submitting");

    // A stage II machine carries no environmental information label: its photo is not asked for.
    let photos = vec!["machine_plate", "engine_plate", "env_label", "whole_machine"];
    let unlabelled = vec!["machine_plate", "engine_plate", "whole_machine"];
    assert_eq!(
        prechecks_of(&f, &old),
        vec![("stage_not_allowed_in_zone", vec!["stage_3"]), ("missing_photos", unlabelled.clone())]
    );
    assert_eq!(
        prechecks_of(&f, &bare),
        vec![
            ("missing_photos", photos.clone()),
            ("missing_data", vec!["env_code", "engine_serial", "manufactured_on"])
        ]
    );
    assert_eq!(prechecks_of(&f, &petrol), vec![("missing_photos", unlabelled.clone())]);
    // The inspector sees the same findings.
    let seen = expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/filings/{}", id_of(&f))).await, 200).await;
    assert_eq!(seen["prechecks"], f["prechecks"]);

    // Outside a zone the stage is no finding.
    let datong = create_site(&app, &w.builder, "大同工地", "140213").await;
    let mut input = input.clone();
    input["site_id"] = datong["id"].clone();
    let pre = expect_status(app.post_as(&w.builder, "/api/v1/filings/precheck", &input).await, 200).await;
    let codes: Vec<&str> = pre.as_array().expect("list").iter().filter_map(|p| p["code"].as_str()).collect();
    assert!(!codes.contains(&"stage_not_allowed_in_zone"), "{pre}");
}

async fn returned_filings_are_corrected_and_resubmitted(app: TestApp) {
    let w = world(&app).await;
    let m1 = create_machine(&app, &w.builder, 1).await;
    let m2 = create_machine(&app, &w.builder, 2).await;
    let f = create_filing(&app, &w.builder, &w.site["id"], &[&m1["id"]], w.today, w.today + Duration::days(5)).await;
    let path = format!("/api/v1/filings/{}", id_of(&f));

    // A return needs a reason.
    for body in [json!({"decision": "return"}), json!({"decision": "return", "reason": "   "})] {
        let err = assert_error(app.post_as(&w.xiaodian, &review_path(&f), &body).await, 422, "validation_failed").await;
        assert_field(&err, "reason", &FieldError::new(FieldCode::Required));
    }
    let body = json!({"decision": "return", "reason": "x".repeat(1001)});
    assert_error(app.post_as(&w.xiaodian, &review_path(&f), &body).await, 422, "validation_failed").await;
    assert_error(app.post_as(&w.xiaodian, &review_path(&f), &json!({"decision": "maybe"})).await, 400, "malformed")
        .await;
    assert_eq!(expect_status(app.get_as(&w.builder, &path).await, 200).await["status"], "submitted");

    let body = json!({"decision": "return", "reason": " 缺少整机照片 "});
    let returned = expect_status(app.post_as(&w.xiaodian, &review_path(&f), &body).await, 200).await;
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["version"], 2);
    assert!(returned["reviewed_at"].is_string());
    let seen = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!(seen["status"], "returned");
    assert_eq!(seen["return_reason"], "缺少整机照片");
    let returned_list = expect_status(app.get_as(&w.builder, "/api/v1/filings?status=returned").await, 200).await;
    assert_eq!(ids(&returned_list), vec![id_of(&f)]);
    // Not in the queue any more; reviewing it again is an illegal transition.
    assert!(
        ids(&expect_status(app.get_as(&w.xiaodian, "/api/v1/filings?status=submitted").await, 200).await).is_empty()
    );
    let err = assert_error(
        app.post_as(&w.xiaodian, &review_path(&f), &json!({"decision": "accept"})).await,
        409,
        "illegal_transition",
    )
    .await;
    assert_eq!(err["error"]["details"]["from"], "returned");

    // Corrected with the version read: submitted again, with the new machines and dates.
    let correction = json!({
        "machine_ids": [m1["id"], m2["id"]], "planned_entry_on": w.today + Duration::days(1),
        "planned_exit_on": w.today + Duration::days(8), "version": 2,
    });
    let resubmitted = expect_status(app.put_as(&w.builder, &path, &correction).await, 200).await;
    assert_eq!(resubmitted["status"], "submitted");
    assert_eq!(resubmitted["version"], 3);
    assert_eq!(resubmitted["machines"].as_array().map(Vec::len), Some(2));
    assert_eq!(resubmitted["planned_exit_on"], json!(w.today + Duration::days(8)));
    let queue = expect_status(app.get_as(&w.xiaodian, "/api/v1/filings?status=submitted").await, 200).await;
    assert_eq!(ids(&queue), vec![id_of(&f)]);
    // A submitted filing is not corrected.
    let mut again = correction.clone();
    again["version"] = json!(3);
    assert_error(app.put_as(&w.builder, &path, &again).await, 409, "illegal_transition").await;

    // Returned once more; a correction based on the old version is stale and changes nothing.
    let body = json!({"decision": "return", "reason": "日期有误"});
    expect_status(app.post_as(&w.xiaodian, &review_path(&f), &body).await, 200).await;
    let stale = json!({"machine_ids": [m1["id"]], "planned_entry_on": w.today,
        "planned_exit_on": w.today + Duration::days(2), "version": 3});
    let err = assert_error(app.put_as(&w.builder, &path, &stale).await, 409, "stale_version").await;
    assert_eq!(err["error"]["details"]["current_version"], "4");
    let now = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!(now["status"], "returned");
    assert_eq!(now["machines"].as_array().map(Vec::len), Some(2));
    // Corrections are validated like new filings, and only by the unit that filed.
    let bad = json!({"machine_ids": [], "planned_entry_on": w.today, "planned_exit_on": w.today, "version": 4});
    let err = assert_error(app.put_as(&w.builder, &path, &bad).await, 422, "validation_failed").await;
    assert_field(&err, "machine_ids", &FieldError::new(FieldCode::Required));
    let (_b, other) = contractor(&app, "resubmit.other").await;
    let mut good = stale.clone();
    good["version"] = json!(4);
    assert_error(app.put_as(&other, &path, &good).await, 404, "not_found").await;
    assert_error(app.put_as(&w.xiaodian, &path, &good).await, 403, "forbidden").await;
    expect_status(app.put_as(&w.builder, &path, &good).await, 200).await;
}

async fn accepting_issues_registration_codes(app: TestApp) {
    let w = world(&app).await;
    let machines: Vec<Value> = futures::future::join_all((1..=3).map(|n| create_machine(&app, &w.builder, n))).await;
    let refs: Vec<&Value> = machines.iter().map(|m| &m["id"]).collect();
    let f = create_filing(&app, &w.builder, &w.site["id"], &refs, w.today, w.today + Duration::days(5)).await;
    let accepted = accept(&app, &w.xiaodian, &f).await;
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["reviewed_at"].is_string());

    let mut codes = HashSet::new();
    for m in &machines {
        let now = expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(m))).await, 200).await;
        let code = now["registration_code"].as_str().expect("a registration code").to_owned();
        let parsed = RegistrationCode::parse(&code).unwrap_or_else(|e| panic!("{code}: {e:?}"));
        assert_eq!(parsed.as_str(), code);
        assert!(code.starts_with("140105"), "{code}");
        assert!(now["registered_at"].is_string());
        assert_eq!(now["version"], 2);
        codes.insert(code);
    }
    assert_eq!(codes.len(), 3, "unique: {codes:?}");
    let on_filing: HashSet<String> = accepted["machines"]
        .as_array()
        .expect("machines")
        .iter()
        .filter_map(|m| m["registration_code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(on_filing, codes, "the filing shows the codes");
    // Only machines with a code are `registered=true`.
    let registered = expect_status(app.get_as(&w.builder, "/api/v1/machines?registered=true").await, 200).await;
    assert_eq!(registered["items"].as_array().map(Vec::len), Some(3));

    // Accepting twice, or returning an accepted filing, is an illegal transition.
    let resp = app.post_as(&w.xiaodian, &review_path(&f), &json!({"decision": "accept"})).await;
    let err = assert_error(resp, 409, "illegal_transition").await;
    assert_eq!(
        (err["error"]["details"]["from"].as_str(), err["error"]["details"]["to"].as_str()),
        (Some("accepted"), Some("accepted"))
    );
    let resp = app.post_as(&w.xiaodian, &review_path(&f), &json!({"decision": "return", "reason": "反悔"})).await;
    assert_error(resp, 409, "illegal_transition").await;

    // A later filing at the same site: registered machines keep their code, a new one gets the next.
    let m4 = create_machine(&app, &w.builder, 4).await;
    let f2 = create_filing(
        &app,
        &w.builder,
        &w.site["id"],
        &[&machines[0]["id"], &m4["id"]],
        w.today + Duration::days(6),
        w.today + Duration::days(9),
    )
    .await;
    accept(&app, &w.xiaodian, &f2).await;
    let first =
        expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&machines[0]))).await, 200).await;
    assert!(codes.contains(first["registration_code"].as_str().expect("code")), "kept its code");
    assert_eq!(first["version"], 2, "not touched again");
    let fourth = expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m4))).await, 200).await;
    let code = fourth["registration_code"].as_str().expect("code");
    assert!(RegistrationCode::parse(code).is_ok() && code.starts_with("140105") && !codes.contains(code));

    // Closing: only accepted filings, only by their unit.
    let close = format!("/api/v1/filings/{}/close", id_of(&f));
    assert_error(app.post_as(&w.xiaodian, &close, &json!({})).await, 403, "forbidden").await;
    assert_eq!(expect_status(app.post_as(&w.builder, &close, &json!({})).await, 200).await["status"], "closed");
    assert_error(app.post_as(&w.builder, &close, &json!({})).await, 409, "illegal_transition").await;
}

async fn a_machine_is_on_one_site_at_a_time(app: TestApp) {
    let w = world(&app).await;
    let x = &w.site;
    let y = create_site(&app, &w.builder, "迎泽工地", "140106").await;
    let m = create_machine(&app, &w.builder, 1).await;
    let d = w.today;
    let fx = create_filing(&app, &w.builder, &x["id"], &[&m["id"]], d, d + Duration::days(10)).await;
    accept(&app, &w.xiaodian, &fx).await;

    // Overlapping dates at another site: 409 naming the site.
    let overlapping =
        [(d + Duration::days(5), d + Duration::days(15)), (d + Duration::days(10), d + Duration::days(10))];
    for (entry, exit) in overlapping {
        let body =
            json!({"site_id": y["id"], "machine_ids": [m["id"]], "planned_entry_on": entry, "planned_exit_on": exit});
        let err = assert_error(app.post_as(&w.builder, "/api/v1/filings", &body).await, 409, "machine_overlap").await;
        assert_eq!(err["error"]["details"]["other_site"], "小店工地", "{err}");
        assert_eq!(err["error"]["details"]["other_filing_id"], fx["id"]);
        assert_eq!(err["error"]["details"]["machine"], m["name"]);
    }
    // Later dates are fine, and so is another filing at the same site.
    let fy =
        create_filing(&app, &w.builder, &y["id"], &[&m["id"]], d + Duration::days(11), d + Duration::days(20)).await;
    create_filing(&app, &w.builder, &x["id"], &[&m["id"]], d + Duration::days(2), d + Duration::days(4)).await;

    // Two submitted filings that overlap: the second to be accepted is refused and stays submitted,
    // and its new machine gets no code.
    let m2 = create_machine(&app, &w.builder, 2).await;
    let m3 = create_machine(&app, &w.builder, 3).await;
    let a =
        create_filing(&app, &w.builder, &x["id"], &[&m2["id"]], d + Duration::days(30), d + Duration::days(40)).await;
    let b = create_filing(
        &app,
        &w.builder,
        &y["id"],
        &[&m3["id"], &m2["id"]],
        d + Duration::days(35),
        d + Duration::days(45),
    )
    .await;
    accept(&app, &w.xiaodian, &a).await;
    let yingze = inspector(&app, "yingze.insp", "140106").await;
    let resp = app.post_as(&yingze, &review_path(&b), &json!({"decision": "accept"})).await;
    let err = assert_error(resp, 409, "machine_overlap").await;
    assert_eq!(err["error"]["details"]["other_site"], "小店工地");
    let still = expect_status(app.get_as(&yingze, &format!("/api/v1/filings/{}", id_of(&b))).await, 200).await;
    assert_eq!(still["status"], "submitted");
    let m3_now = expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m3))).await, 200).await;
    assert_eq!(m3_now["registration_code"], Value::Null, "rolled back");
    // The earlier non-overlapping filing at Y is accepted by its own county.
    accept(&app, &yingze, &fy).await;
}

async fn concurrent_accepts_issue_distinct_codes(app: TestApp) {
    let w = world(&app).await;
    const N: u32 = 10;
    let mut filings = Vec::new();
    for n in 0..N {
        let m = create_machine(&app, &w.builder, n).await;
        filings.push(
            create_filing(&app, &w.builder, &w.site["id"], &[&m["id"]], w.today, w.today + Duration::days(5)).await,
        );
    }
    // The review queue pages oldest first.
    let mut queue = Vec::new();
    let mut path = "/api/v1/filings?status=submitted&limit=3".to_owned();
    loop {
        let page = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
        queue.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/filings?status=submitted&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(queue, filings.iter().map(id_of).collect::<Vec<_>>());
    // The same inspector, signed in on ten clients, accepts all ten at once.
    let mut clients = Vec::new();
    for _ in 0..N {
        clients.push(app.signed_in("xiaodian.insp").await);
    }
    let reviews = filings.iter().zip(&clients).map(|(f, c)| {
        let app = &app;
        async move {
            let resp = app.post_as(c, &review_path(f), &json!({"decision": "accept"})).await;
            let status = resp.status().as_u16();
            (status, json(resp).await)
        }
    });
    let results = futures::future::join_all(reviews).await;
    let mut codes = HashSet::new();
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
        assert_eq!(body["status"], "accepted");
        let code = body["machines"][0]["registration_code"].as_str().expect("code").to_owned();
        assert!(RegistrationCode::parse(&code).is_ok() && code.starts_with("140105"), "{code}");
        codes.insert(code);
    }
    assert_eq!(codes.len(), N as usize, "distinct: {codes:?}");
    // The sequence is dense: 1..=N.
    let mut seqs: Vec<u32> = codes.iter().map(|c| c[6..13].parse().expect("sequence")).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=N).collect::<Vec<_>>());

    // Accepting one filing twice at once: one wins, the other is an illegal transition.
    let m = create_machine(&app, &w.builder, 100).await;
    let f = create_filing(&app, &w.builder, &w.site["id"], &[&m["id"]], w.today, w.today).await;
    let twice = clients[..2].iter().map(|c| {
        let (app, f) = (&app, &f);
        async move { app.post_as(c, &review_path(f), &json!({"decision": "accept"})).await.status().as_u16() }
    });
    let mut statuses = futures::future::join_all(twice).await;
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409]);
}

async fn concurrent_accepts_of_one_machine_for_two_sites(app: TestApp) {
    // Two filings for the same machine at two sites with overlapping dates, each accepted by its
    // own county's inspector at the same moment: only one may win, whatever the timing.
    let w = world(&app).await;
    let y = create_site(&app, &w.builder, "迎泽工地", "140106").await;
    let yingze = inspector(&app, "yingze.race", "140106").await;
    for round in 0..5u32 {
        let m = create_machine(&app, &w.builder, round).await;
        let start = w.today + Duration::days(i64::from(round) * 20);
        let fx = create_filing(&app, &w.builder, &w.site["id"], &[&m["id"]], start, start + Duration::days(5)).await;
        let fy = create_filing(&app, &w.builder, &y["id"], &[&m["id"]], start, start + Duration::days(5)).await;
        let (px, py, decision) = (review_path(&fx), review_path(&fy), json!({"decision": "accept"}));
        let (rx, ry) = tokio::join!(app.post_as(&w.xiaodian, &px, &decision), app.post_as(&yingze, &py, &decision));
        let (sx, bx) = (rx.status().as_u16(), json(rx).await);
        let (sy, by) = (ry.status().as_u16(), json(ry).await);
        let mut statuses = vec![sx, sy];
        statuses.sort_unstable();
        assert_eq!(statuses, vec![200, 409], "round {round}: {bx} / {by}");
        let loser = if sx == 409 { &bx } else { &by };
        assert_eq!(loser["error"]["code"], "machine_overlap", "{loser}");
    }
}

fn movement(machine: &Value, kind: &str, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"machine_id": machine["id"], "kind": kind, "at": at})
}

async fn movements_are_logged_for_accepted_filings(app: TestApp) {
    let w = world(&app).await;
    let m1 = create_machine(&app, &w.builder, 1).await;
    let m2 = create_machine(&app, &w.builder, 2).await;
    let stranger = create_machine(&app, &w.builder, 3).await;
    // From yesterday: the entries below, hours ago, fall yesterday in China just after midnight.
    let from = w.today - Duration::days(1);
    let f = create_filing(&app, &w.builder, &w.site["id"], &[&m1["id"], &m2["id"]], from, w.today + Duration::days(5))
        .await;
    let path = format!("/api/v1/filings/{}/movements", id_of(&f));
    let now = app.clock.now();
    let hour = Duration::hours(1);

    // Only an accepted filing has a log.
    assert_error(app.post_as(&w.builder, &path, &movement(&m1, "enter", now - hour)).await, 409, "filing_not_accepted")
        .await;
    accept(&app, &w.xiaodian, &f).await;

    let entered =
        expect_status(app.post_as(&w.builder, &path, &movement(&m1, "enter", now - hour * 3)).await, 201).await;
    assert_eq!(entered["kind"], "enter");
    assert_eq!(entered["outside_window"], false);
    assert_eq!(entered["warning"], Value::Null);
    let left = expect_status(app.post_as(&w.builder, &path, &movement(&m1, "exit", now - hour * 2)).await, 201).await;
    assert_eq!(left["kind"], "exit");
    // In again, then an exit dated before that entry.
    expect_status(app.post_as(&w.builder, &path, &movement(&m1, "enter", now - hour)).await, 201).await;
    let err = assert_error(
        app.post_as(&w.builder, &path, &movement(&m1, "exit", now - hour - Duration::minutes(30))).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "at", &FieldError::new(FieldCode::ExitBeforeEntry));
    // Twice in without leaving.
    let err =
        assert_error(app.post_as(&w.builder, &path, &movement(&m1, "enter", now)).await, 422, "validation_failed")
            .await;
    assert_field(&err, "kind", &FieldError::new(FieldCode::AlreadyOnSite));
    // An exit without an entry.
    let err =
        assert_error(app.post_as(&w.builder, &path, &movement(&m2, "exit", now)).await, 422, "validation_failed").await;
    assert_field(&err, "kind", &FieldError::new(FieldCode::ExitWithoutEntry));
    // A machine that is not on the filing; a time in the future.
    let err = assert_error(
        app.post_as(&w.builder, &path, &movement(&stranger, "enter", now)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "machine_id", &FieldError::new(FieldCode::NotOnFiling));
    let err = assert_error(
        app.post_as(&w.builder, &path, &movement(&m2, "enter", now + hour)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "at", &FieldError::new(FieldCode::DateInFuture));
    assert_error(
        app.post_as(&w.builder, &path, &json!({"machine_id": m2["id"], "kind": "dance", "at": now})).await,
        400,
        "malformed",
    )
    .await;

    // An entry on a day outside the planned dates is recorded, with a warning.
    let later = create_filing(
        &app,
        &w.builder,
        &w.site["id"],
        &[&m2["id"]],
        w.today + Duration::days(10),
        w.today + Duration::days(12),
    )
    .await;
    accept(&app, &w.xiaodian, &later).await;
    let later_path = format!("/api/v1/filings/{}/movements", id_of(&later));
    let early = expect_status(app.post_as(&w.builder, &later_path, &movement(&m2, "enter", now)).await, 201).await;
    assert_eq!(early["outside_window"], true);
    assert_eq!(early["warning"], "outside_filing_dates");

    // The log, oldest first, for the unit and the county's inspector.
    let log = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    let kinds: Vec<&str> = log.as_array().expect("log").iter().filter_map(|m| m["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["enter", "exit", "enter"]);
    assert_eq!(expect_status(app.get_as(&w.xiaodian, &path).await, 200).await, log);

    // Other organisations and other counties: 404; officials do not record movements.
    let (_b, other) = contractor(&app, "movement.other").await;
    assert_error(app.post_as(&other, &path, &movement(&m2, "enter", now)).await, 404, "not_found").await;
    assert_error(app.get_as(&other, &path).await, 404, "not_found").await;
    assert_error(app.get_as(&w.qingxu, &path).await, 404, "not_found").await;
    assert_error(app.post_as(&w.xiaodian, &path, &movement(&m2, "enter", now)).await, 403, "forbidden").await;
}

/// The review page's form posts to the review server function without the WASM: the browser is
/// sent back to the page, which shows the outcome (issue 10, part 3).
async fn the_review_works_as_a_plain_form(app: TestApp) {
    let w = world(&app).await;
    let m = create_machine(&app, &w.builder, 1).await;
    let f = create_filing(&app, &w.builder, &w.site["id"], &[&m["id"]], w.today, w.today + Duration::days(5)).await;
    // The unit's nameplate photo is on file: the reviewer sees it beside the machine.
    let photo = format!("/api/v1/machines/{}/photos/machine_plate", id_of(&m));
    let part = reqwest::multipart::Part::bytes(crate::evidence::jpeg(7)).file_name("plate.jpg");
    let resp =
        w.builder.post(app.url(&photo)).multipart(reqwest::multipart::Form::new().part("file", part)).send().await;
    expect_status(resp.expect("upload"), 201).await;
    let page = format!("/filings/{}", id_of(&f));
    let html = crate::helpers::page_html(&app, &w.xiaodian, &page).await;
    assert!(html.contains(&format!(r#"src="{photo}?size=web""#)), "the review shows the machine's photos");
    let resp = app.get_as(&w.xiaodian, &format!("{photo}?size=web")).await;
    assert_eq!(resp.status(), 200, "and the inspector may open them");
    assert!(html.contains(r#"action="/api/filings/review""#), "the review is a form posting to the server");
    assert!(html.contains(r#"name="decision" value="accept""#) && html.contains(r#"name="decision" value="return""#));
    let post = |pairs: Vec<(&'static str, String)>| {
        w.xiaodian
            .post(app.url("/api/filings/review"))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", app.url(&page))
            .form(&pairs)
            .send()
    };

    // A return without a reason: back to the page, which names the missing reason.
    let pairs = vec![("id", id_of(&f)), ("decision", "return".into()), ("reason", "  ".into())];
    let resp = post(pairs).await.expect("post");
    assert_eq!(resp.status(), 302);
    let back = resp.headers()["location"].to_str().expect("location").to_owned();
    assert!(back.starts_with(&app.url(&page)) && back.contains("__err="), "{back}");
    let html = crate::helpers::page_html(&app, &w.xiaodian, back.trim_start_matches(&app.url(""))).await;
    assert!(html.contains(r#"id="reason-error""#), "the reason's error is on the page");
    let seen = expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/filings/{}", id_of(&f))).await, 200).await;
    assert_eq!(seen["status"], "submitted", "nothing changed");

    // Accepting: back to the page (without the old error), the filing accepted.
    let resp =
        post(vec![("id", id_of(&f)), ("decision", "accept".into()), ("reason", String::new())]).await.expect("post");
    assert_eq!(resp.status(), 302);
    let back = resp.headers()["location"].to_str().expect("location").to_owned();
    assert!(back.starts_with(&app.url(&page)) && !back.contains("__err"), "{back}");
    let seen = expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/filings/{}", id_of(&f))).await, 200).await;
    assert_eq!(seen["status"], "accepted");
    assert!(seen["machines"][0]["registration_code"].is_string());

    // The unit cannot review its own filing this way either.
    let g = create_filing(
        &app,
        &w.builder,
        &w.site["id"],
        &[&m["id"]],
        w.today + Duration::days(10),
        w.today + Duration::days(12),
    )
    .await;
    let resp = w
        .builder
        .post(app.url("/api/filings/review"))
        .header("accept", "application/json")
        .form(&[("id", id_of(&g).as_str()), ("decision", "accept")])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
}

/// The statements one call sends, through a state whose connection counts them.
async fn statements<T>(app: &TestApp, call: impl AsyncFnOnce(&app::state::AppState) -> T) -> (usize, T) {
    let (state, count) = crate::helpers::counting_state(app);
    let out = call(&state).await;
    (count.load(std::sync::atomic::Ordering::SeqCst), out)
}

/// A filing is created in a bounded number of statements, and a list page of 12 filings reads
/// as many statements as a page of 2 (the list batches its reads instead of one round per row).
async fn filing_statements_do_not_grow_with_the_list(app: TestApp) {
    use app::filings::{FilingFilter, FilingInput};
    use app::paging::PageQuery;
    let w = world(&app).await;
    let unit = crate::helpers::principal_named(&app, "filing.builder").await;
    let mut machines = Vec::new();
    for n in 0..24 {
        let m = create_machine(&app, &w.builder, 100 + n).await;
        machines.push(uuid::Uuid::parse_str(m["id"].as_str().expect("id")).expect("uuid"));
    }
    let site = uuid::Uuid::parse_str(w.site["id"].as_str().expect("id")).expect("uuid");
    let mut creates = Vec::new();
    for pair in machines.chunks(2) {
        // Different days, so that the zone of each filing's day is looked up for several days.
        let entry = w.today + Duration::days(creates.len() as i64);
        let input = FilingInput {
            site_id: site,
            machine_ids: pair.to_vec(),
            planned_entry_on: entry,
            planned_exit_on: entry + Duration::days(3),
            request_id: Some(uuid::Uuid::now_v7()),
        };
        let (n, created) = statements(&app, async |s| app::filings::service::create(s, &unit, input).await).await;
        let created = created.expect("created");
        assert_eq!(created.machines.len(), 2);
        assert_eq!(created.site_name, "小店工地");
        creates.push(n);
    }
    let list = async |limit: u64| {
        let page = PageQuery { limit: Some(limit), cursor: None };
        statements(&app, async |s| app::filings::read::list(s, &unit, &FilingFilter::default(), &page).await).await
    };
    let (two, page) = list(2).await;
    assert_eq!(page.expect("page").items.len(), 2);
    let (twelve, page) = list(12).await;
    let page = page.expect("page");
    assert_eq!(page.items.len(), 12);
    assert!(page.items.iter().all(|f| f.machines.len() == 2 && !f.county_name.is_empty()));
    println!("statements: filing create {creates:?}; list page of 2: {two}, of 12: {twelve}");
    assert_eq!(two, twelve, "a longer page must not read more statements");
    assert!(creates.iter().all(|n| *n <= 20), "create: {creates:?}");
}

/// Lists that grow with the data can hold more values than one statement may bind (SQLite
/// refuses more than 32,766): a page of filings (500 filings of 500 machines name 250,000), a
/// county's plan (every machine filed there, and whether each is watched) and a site's
/// certificate (every machine on the site). They are read by the filings' ids or in parts,
/// never as one list of every machine. Each filing's machines come in name order.
async fn lists_larger_than_a_statement_binds_are_read(app: TestApp) {
    const N: usize = 33_000;
    let generated = server::generate::generate_with(&app.state, N, "140105", true).await.expect("generate");
    assert_eq!(generated.filings, N / 500);
    let client = inspector(&app, "xiaodian.big", "140105").await;
    let page = expect_status(app.get_as(&client, "/api/v1/filings?limit=500").await, 200).await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), N / 500);
    let mut seen = HashSet::new();
    for f in items {
        let machines = f["machines"].as_array().expect("machines");
        let names: Vec<&str> = machines.iter().map(|m| m["name"].as_str().expect("name")).collect();
        assert_eq!(names.len(), 500);
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "name order");
        seen.extend(machines.iter().map(|m| m["id"].to_string()));
    }
    assert_eq!(seen.len(), N, "every machine once, under its own filing");

    let plan = expect_status(app.get_as(&client, "/api/v1/inspection-plan").await, 200).await;
    let sites = plan["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0]["facts"]["machines"], N);
    assert_eq!(sites[0]["facts"]["never_inspected"], N / 500, "every filing, none inspected yet");

    app.user("big.unit", app::auth::Role::ContractorAdmin, None, Some(generated.organization_id)).await;
    let unit = app.signed_in("big.unit").await;
    let path = format!("/api/v1/sites/{}/certificates", generated.site_id);
    let certificate = expect_status(app.post_as(&unit, &path, &json!({})).await, 201).await;
    let filings = certificate["facts"]["filings"].as_array().expect("filings");
    assert_eq!(filings.len(), N / 500);
    let certified: usize = filings.iter().map(|f| f["machines"].as_array().expect("machines").len()).sum();
    assert_eq!(certified, N);
}
