//! The home page's to-do list (issue 10, part 4): each role sees the counts of what waits for
//! it, in its own scope, with the link to the list — and the same counts the lists show.

use crate::db_tests;
use crate::helpers::{TestApp, create_filing, expect_status, id_of, machine_input};
use crate::inspections::{inspect, inspection, registered, world};
use app::auth::Role;
use chrono::Duration;
use serde_json::json;
use std::collections::BTreeMap;

db_tests!(each_role_sees_what_waits_for_it);

async fn todo(app: &TestApp, client: &reqwest::Client) -> BTreeMap<String, (u64, String)> {
    let t = expect_status(app.get_as(client, "/api/v1/todo").await, 200).await;
    t["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let kind = i["kind"].as_str().expect("kind").to_owned();
            (kind, (i["count"].as_u64().expect("count"), i["link"].as_str().expect("link").to_owned()))
        })
        .collect()
}

fn count(t: &BTreeMap<String, (u64, String)>, kind: &str) -> u64 {
    t.get(kind).map(|c| c.0).unwrap_or_else(|| panic!("{kind} missing in {t:?}"))
}

async fn each_role_sees_what_waits_for_it(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;

    // A filing waiting for review, and one returned to the unit.
    let today = app.today();
    let waiting = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(2)).await, 201).await;
    create_filing(&app, &w.builder, &w.plain_site["id"], &[&waiting["id"]], today, today + Duration::days(9)).await;
    let other = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(3)).await, 201).await;
    let back =
        create_filing(&app, &w.builder, &w.plain_site["id"], &[&other["id"]], today, today + Duration::days(9)).await;
    let review = format!("/api/v1/filings/{}/review", id_of(&back));
    expect_status(app.post_as(&w.xiaodian, &review, &json!({"decision": "return", "reason": "缺铭牌照片"})).await, 200)
        .await;

    let unit = todo(&app, &w.builder).await;
    assert_eq!(unit["returned_filings"], (1, "/filings?status=returned".to_owned()));
    assert_eq!((count(&unit, "open_cases"), count(&unit, "deadlines_near")), (0, 0));
    let inspector = todo(&app, &w.xiaodian).await;
    assert_eq!(inspector["filings_to_review"], (1, "/filings?status=submitted".to_owned()));
    assert_eq!(count(&todo(&app, &w.qingxu).await, "filings_to_review"), 0, "another county");

    // A failing inspection, an order to correct due in two days, the unit's evidence.
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[1.5, 1.5, 1.5])).await;
    let case = failed["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    assert_eq!(count(&todo(&app, &w.builder).await, "open_cases"), 1);
    let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(2)});
    expect_status(app.post_as(&w.xiaodian, &format!("/api/v1/cases/{case}/transition"), &order).await, 200).await;
    let unit = todo(&app, &w.builder).await;
    assert_eq!((count(&unit, "open_cases"), count(&unit, "deadlines_near")), (1, 1));
    assert_eq!(count(&todo(&app, &w.xiaodian).await, "evidence_to_check"), 0);
    let evidence = format!("/api/v1/cases/{case}/evidence");
    let sent = crate::evidence::post_photo(&app, &w.builder, &evidence, crate::amendments::png(), None).await;
    expect_status(sent, 201).await;
    let inspector = todo(&app, &w.xiaodian).await;
    assert_eq!((count(&inspector, "evidence_to_check"), count(&inspector, "overdue_cases")), (1, 0));
    // Each count is the length of the list its link opens.
    let listed = |client: &reqwest::Client, link: String| {
        let path = link.replacen("/cases", "/api/v1/cases", 1);
        let client = client.clone();
        let app = &app;
        async move { expect_status(app.get_as(&client, &path).await, 200).await["items"].as_array().map(Vec::len) }
    };
    assert_eq!(listed(&w.xiaodian, inspector["evidence_to_check"].1.clone()).await, Some(1));
    let unit = todo(&app, &w.builder).await;
    assert_eq!(listed(&w.builder, unit["deadlines_near"].1.clone()).await, Some(1));
    assert_eq!(listed(&w.builder, unit["open_cases"].1.clone()).await, Some(1));
    // A re-inspection that fails again answers that evidence: nothing to check until new
    // evidence arrives.
    let mut again = inspection(&app, &w.plain_site, &m, &[1.4, 1.4, 1.4]);
    again["case_id"] = json!(case);
    inspect(&app, &w.xiaodian, &again).await;
    assert_eq!(count(&todo(&app, &w.xiaodian).await, "evidence_to_check"), 0);
    let sent = crate::evidence::post_photo(&app, &w.builder, &evidence, crate::amendments::png(), None).await;
    expect_status(sent, 201).await;
    assert_eq!(count(&todo(&app, &w.xiaodian).await, "evidence_to_check"), 1);

    // Five days on the order is overdue: the county and the city see it, another county not.
    app.clock.advance(Duration::days(5));
    let (xiaodian, qingxu) = (app.signed_in("xiaodian.i").await, app.signed_in("qingxu.i").await);
    assert_eq!(todo(&app, &xiaodian).await["overdue_cases"], (1, "/cases?overdue=true".to_owned()));
    assert_eq!(count(&todo(&app, &qingxu).await, "overdue_cases"), 0);
    app.user("todo.city", Role::CityOfficer, Some("140100"), None).await;
    let city = todo(&app, &app.signed_in("todo.city").await).await;
    assert_eq!((count(&city, "overdue_cases"), count(&city, "counties_behind")), (1, 1));
    app.user("todo.datong", Role::CityOfficer, Some("140200"), None).await;
    let datong = todo(&app, &app.signed_in("todo.datong").await).await;
    assert_eq!((count(&datong, "overdue_cases"), count(&datong, "counties_behind")), (0, 0));
    // The counts are those of the lists the links open.
    let listed = expect_status(app.get_as(&xiaodian, "/api/v1/cases?overdue=true").await, 200).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));

    // Roles with nothing to act on get an empty list; signed out is 401.
    app.user("todo.partner", Role::PartnerViewer, Some("140105"), None).await;
    let partner = expect_status(app.get_as(&app.signed_in("todo.partner").await, "/api/v1/todo").await, 200).await;
    assert_eq!(partner["items"], json!([]));
    crate::helpers::assert_error(app.get("/api/v1/todo").await, 401, "unauthorized").await;

    // The home page shows the list, in English too.
    let english = crate::helpers::signed_in_with_language(&app, "xiaodian.i", "en").await;
    let html = crate::helpers::page_html(&app, &english, "/").await;
    assert!(html.contains("data-testid=\"todo\"") && html.contains("Overdue rectifications"), "{html}");
    assert!(html.contains("href=\"/cases?overdue=true\""));
}
