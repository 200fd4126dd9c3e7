//! Sites: routed to a county, the low-emission zone prefilled from the zone data, the rules,
//! and who may see a site (its construction unit, and officials of its county).

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_site, expect_status, id_of, inspector, site_input,
};
use app::auth::Role;
use app::error::FieldError;
use serde_json::{Value, json};

db_tests!(
    a_site_is_routed_to_its_county_and_zone,
    site_rules_name_the_field,
    sites_are_seen_by_their_unit_and_their_county,
    site_list_pages,
);

async fn a_site_is_routed_to_its_county_and_zone(app: TestApp) {
    let (org, client) = contractor(&app, "site.builder").await;
    // 小店区 lies in Taiyuan's seeded zone: prefilled true.
    let xiaodian = create_site(&app, &client, " 小店工地 ", "140105").await;
    assert_eq!(xiaodian["name"], "小店工地");
    assert_eq!(xiaodian["county_code"], "140105");
    assert_eq!(xiaodian["county_name"], "小店区");
    assert_eq!(xiaodian["organization_id"], org.to_string());
    assert_eq!(xiaodian["low_emission_zone"], true);
    assert_eq!(xiaodian["version"], 1);
    // 平城区 (Datong) has no zone data: prefilled false.
    let datong = create_site(&app, &client, "大同工地", "140213").await;
    assert_eq!(datong["county_name"], "平城区");
    assert_eq!(datong["low_emission_zone"], false);
    // An explicit value wins either way.
    let mut body = site_input(&app, "小店非禁区工地", "140105");
    body["low_emission_zone"] = json!(false);
    let explicit = expect_status(app.post_as(&client, "/api/v1/sites", &body).await, 201).await;
    assert_eq!(explicit["low_emission_zone"], false);
    let mut body = site_input(&app, "大同禁区工地", "140213");
    body["low_emission_zone"] = json!(true);
    body["permit_no"] = json!("  ");
    body["lat"] = Value::Null;
    body["lng"] = Value::Null;
    let explicit = expect_status(app.post_as(&client, "/api/v1/sites", &body).await, 201).await;
    assert_eq!(explicit["low_emission_zone"], true);
    assert_eq!(explicit["permit_no"], Value::Null, "blank becomes null");
    assert_eq!(explicit["lat"], Value::Null);

    // Read back as stored.
    let read = expect_status(app.get_as(&client, &format!("/api/v1/sites/{}", id_of(&xiaodian))).await, 200).await;
    assert_eq!(read, xiaodian);
}

async fn site_rules_name_the_field(app: TestApp) {
    let (_org, client) = contractor(&app, "rule.builder").await;
    let today = app.today();
    let cases: Vec<(Value, &str, FieldError)> = vec![
        (
            json!({"starts_on": today, "ends_on": today - chrono::Duration::days(1)}),
            "ends_on",
            FieldError::new("end_before_start"),
        ),
        (json!({"lat": 60.0}), "lat", FieldError::new("outside_china")),
        (json!({"lat": 3.0}), "lat", FieldError::new("outside_china")),
        (json!({"lng": 10.0}), "lng", FieldError::new("outside_china")),
        (json!({"lng": 140.0}), "lng", FieldError::new("outside_china")),
        (json!({"lng": null}), "lng", FieldError::new("required")),
        (json!({"lat": null}), "lat", FieldError::new("required")),
        // A city, the province, an unknown code and a malformed one are not counties.
        (json!({"county_code": "140100"}), "county_code", FieldError::new("not_a_county")),
        (json!({"county_code": "140000"}), "county_code", FieldError::new("not_a_county")),
        (json!({"county_code": "999999"}), "county_code", FieldError::new("not_a_county")),
        (json!({"county_code": "14"}), "county_code", FieldError::new("required")),
        (json!({"name": "  "}), "name", FieldError::new("required")),
        (json!({"address": ""}), "address", FieldError::new("required")),
        (json!({"permit_no": "P".repeat(65)}), "permit_no", FieldError::new("length").with("min", 0).with("max", 64)),
    ];
    for (change, field, expected) in cases {
        let mut body = site_input(&app, "规则工地", "140105");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let err = assert_error(app.post_as(&client, "/api/v1/sites", &body).await, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
    }
    // A site of one day is fine; the border of the box is inside.
    let mut body = site_input(&app, "一日工地", "140105");
    body["starts_on"] = json!(today);
    body["ends_on"] = json!(today);
    body["lat"] = json!(53.56);
    body["lng"] = json!(73.50);
    expect_status(app.post_as(&client, "/api/v1/sites", &body).await, 201).await;
    // A date that is not a date, or a missing field, is a malformed body.
    let mut body = site_input(&app, "坏日期", "140105");
    body["starts_on"] = json!("2026-02-30");
    assert_error(app.post_as(&client, "/api/v1/sites", &body).await, 400, "malformed").await;
    let body = json!({"name": "缺字段"});
    assert_error(app.post_as(&client, "/api/v1/sites", &body).await, 400, "malformed").await;

    // Only construction units create sites.
    let insp = inspector(&app, "site.inspector", "140105").await;
    let resp = app.post_as(&insp, "/api/v1/sites", &site_input(&app, "检查员工地", "140105")).await;
    assert_error(resp, 403, "forbidden").await;
    let resp = TestApp::new_client().post(app.url("/api/v1/sites")).json(&site_input(&app, "x", "140105")).send().await;
    assert_error(resp.expect("post"), 401, "unauthorized").await;
}

async fn list_ids(app: &TestApp, client: &reqwest::Client, path: &str) -> Vec<String> {
    let page = expect_status(app.get_as(client, path).await, 200).await;
    page["items"].as_array().expect("items").iter().map(id_of).collect()
}

async fn sites_are_seen_by_their_unit_and_their_county(app: TestApp) {
    let (_a, a) = contractor(&app, "a.builder").await;
    let (_b, b) = contractor(&app, "b.builder").await;
    let site = create_site(&app, &a, "甲工地", "140105").await;
    let path = format!("/api/v1/sites/{}", id_of(&site));
    let b_site = create_site(&app, &b, "乙工地", "140121").await;

    // The other construction unit: 404, and not in its list.
    assert_error(app.get_as(&b, &path).await, 404, "not_found").await;
    assert_eq!(list_ids(&app, &b, "/api/v1/sites").await, vec![id_of(&b_site)]);
    assert_eq!(list_ids(&app, &a, "/api/v1/sites").await, vec![id_of(&site)]);

    // The inspector of 小店区 sees it; the inspector of 清徐县 does not.
    let xiaodian = inspector(&app, "xiaodian.insp", "140105").await;
    let qingxu = inspector(&app, "qingxu.insp", "140121").await;
    assert_eq!(expect_status(app.get_as(&xiaodian, &path).await, 200).await["id"], site["id"]);
    assert_eq!(list_ids(&app, &xiaodian, "/api/v1/sites").await, vec![id_of(&site)]);
    assert_error(app.get_as(&qingxu, &path).await, 404, "not_found").await;
    assert_eq!(list_ids(&app, &qingxu, "/api/v1/sites").await, vec![id_of(&b_site)]);

    // Taiyuan's officer sees both; Datong's neither; the province both.
    app.user("taiyuan.officer", Role::CityOfficer, Some("140100"), None).await;
    let taiyuan = app.signed_in("taiyuan.officer").await;
    assert_eq!(list_ids(&app, &taiyuan, "/api/v1/sites").await.len(), 2);
    app.user("datong.officer", Role::CityOfficer, Some("140200"), None).await;
    let datong = app.signed_in("datong.officer").await;
    assert!(list_ids(&app, &datong, "/api/v1/sites").await.is_empty());
    assert_error(app.get_as(&datong, &path).await, 404, "not_found").await;

    // Ids that do not exist or do not parse are simply not found.
    assert_error(app.get_as(&a, &format!("/api/v1/sites/{}", uuid::Uuid::now_v7())).await, 404, "not_found").await;
    assert_error(app.get_as(&a, "/api/v1/sites/not-a-uuid").await, 404, "not_found").await;
    assert_error(app.get_as(&TestApp::new_client(), &path).await, 401, "unauthorized").await;
}

async fn site_list_pages(app: TestApp) {
    let (_org, client) = contractor(&app, "many.sites").await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(id_of(&create_site(&app, &client, &format!("工地{i}"), "140106").await));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/sites?limit=3&cursor={c}"),
            None => "/api/v1/sites?limit=3".to_owned(),
        };
        let page = expect_status(app.get_as(&client, &path).await, 200).await;
        seen.extend(page["items"].as_array().expect("items").iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "newest first, each once");
    let err = assert_error(app.get_as(&client, "/api/v1/sites?cursor=garbage").await, 422, "validation_failed").await;
    assert_field(&err, "cursor", &FieldError::new("invalid"));
}
