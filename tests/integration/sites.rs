//! Sites: routed to a county, the position within the county's rough bounds, the low-emission
//! zone following the zone data unless an official decided otherwise (never the unit), the
//! rules, and who may see a site (its construction unit, and officials of its county).

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_site, expect_status, id_of, inspector, site_input,
};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use serde_json::{Value, json};

db_tests!(
    a_site_is_routed_to_its_county_and_zone,
    site_rules_name_the_field,
    a_unit_cannot_set_the_zone_flag,
    positions_lie_in_the_county_bounds,
    sites_are_seen_by_their_unit_and_their_county,
    site_list_pages,
    a_zone_decision_on_an_older_reading_is_refused,
);

/// Marks `site` in or out of the zone as `client` (an official of its county or city): 200.
pub async fn mark_zone(app: &TestApp, client: &reqwest::Client, site: &Value, in_zone: bool, reason: &str) -> Value {
    let path = format!("/api/v1/sites/{}/zone", id_of(site));
    expect_status(app.post_as(client, &path, &json!({"in_zone": in_zone, "reason": reason})).await, 200).await
}

/// Marks `site` out of the zone by a county inspector of its county made for the purpose (for
/// tests that need a site off the zone in a county with zone data).
pub async fn mark_out_of_zone(app: &TestApp, site: &Value) -> Value {
    let county = site["county_code"].as_str().expect("county");
    let name = format!("zone.{}", uuid::Uuid::new_v4().simple());
    let official = inspector(app, &name, county).await;
    let marked = mark_zone(app, &official, site, false, "位于禁用区范围外").await;
    assert_eq!(marked["low_emission_zone"], false);
    marked
}

async fn a_site_is_routed_to_its_county_and_zone(app: TestApp) {
    let (org, client) = contractor(&app, "site.builder").await;
    // 小店区 lies in Taiyuan's seeded zone: in it, by the zone data.
    let xiaodian = create_site(&app, &client, " 小店工地 ", "140105").await;
    assert_eq!(xiaodian["name"], "小店工地");
    assert_eq!(xiaodian["county_code"], "140105");
    assert_eq!(xiaodian["county_name"], "小店区");
    assert_eq!(xiaodian["organization_id"], org.to_string());
    assert_eq!(xiaodian["low_emission_zone"], true);
    assert_eq!(xiaodian["zone"]["source"], "zone_data");
    assert_eq!(xiaodian["zone"]["decision"], Value::Null);
    assert_eq!(xiaodian["zone"]["rule"], json!({"min_diesel_stage": "stage_3", "required_class": "III"}));
    assert!(xiaodian["zone"]["zone_name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(xiaodian["version"], 1);
    // 平城区 (Datong) has no zone data: not in a zone.
    let datong = create_site(&app, &client, "大同工地", "140213").await;
    assert_eq!(datong["county_name"], "平城区");
    assert_eq!(datong["low_emission_zone"], false);
    assert_eq!((datong["zone"]["rule"].clone(), datong["zone"]["zone_name"].clone()), (Value::Null, Value::Null));
    // Blank optional fields.
    let mut body = site_input(&app, "大同无坐标工地", "140213");
    body["permit_no"] = json!("  ");
    body["lat"] = Value::Null;
    body["lng"] = Value::Null;
    let bare = expect_status(app.post_as(&client, "/api/v1/sites", &body).await, 201).await;
    assert_eq!(bare["permit_no"], Value::Null, "blank becomes null");
    assert_eq!(bare["lat"], Value::Null);

    // Read back as stored.
    let read = expect_status(app.get_as(&client, &format!("/api/v1/sites/{}", id_of(&xiaodian))).await, 200).await;
    assert_eq!(read, xiaodian);
}

async fn a_unit_cannot_set_the_zone_flag(app: TestApp) {
    let (_org, client) = contractor(&app, "flag.builder").await;
    // Whatever it says, the field itself is refused, and nothing is created.
    for value in [json!(false), json!(true), Value::Null] {
        let mut body = site_input(&app, "自定禁区工地", "140105");
        body["low_emission_zone"] = value;
        let err = assert_error(app.post_as(&client, "/api/v1/sites", &body).await, 422, "validation_failed").await;
        assert_field(&err, "low_emission_zone", &FieldError::new(FieldCode::DecidedByOfficials));
    }
    // The pages' server function runs the same rule.
    let mut input = site_input(&app, "自定禁区工地", "140105");
    input["low_emission_zone"] = json!(false);
    let resp = client.post(app.url("/api/sites/create")).json(&json!({"input": input})).send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 422, "server function");
    let page = expect_status(app.get_as(&client, "/api/v1/sites").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
}

async fn positions_lie_in_the_county_bounds(app: TestApp) {
    let (_org, client) = contractor(&app, "bounds.builder").await;
    let post = |county: &str, lat: f64, lng: f64| {
        let mut body = site_input(&app, "范围工地", county);
        body["lat"] = json!(lat);
        body["lng"] = json!(lng);
        body
    };
    // 小店区's own bounds (37.57–37.91 N, 112.43–112.81 E): inside accepted, outside refused by
    // coordinate.
    expect_status(app.post_as(&client, "/api/v1/sites", &post("140105", 37.75, 112.60)).await, 201).await;
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140105", 38.20, 112.60)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideCounty));
    assert!(err["error"]["fields"]["lng"].is_null(), "{err}");
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140105", 37.75, 112.30)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lng", &FieldError::new(FieldCode::OutsideCounty));
    // 清徐县's own bounds (37.33–37.80 N, 112.00–112.63 E).
    expect_status(app.post_as(&client, "/api/v1/sites", &post("140121", 37.60, 112.36)).await, 201).await;
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140121", 37.85, 112.70)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideCounty));
    assert_field(&err, "lng", &FieldError::new(FieldCode::OutsideCounty));
    // 迎泽区 has no bounds of its own: Taiyuan's apply (37.40–38.47 N, 111.45–113.20 E).
    expect_status(app.post_as(&client, "/api/v1/sites", &post("140106", 38.30, 112.00)).await, 201).await;
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140106", 39.00, 112.00)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideCounty));
    // 平城区 (Datong): neither it nor its city has bounds: Shanxi's apply.
    expect_status(app.post_as(&client, "/api/v1/sites", &post("140213", 40.08, 113.30)).await, 201).await;
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140213", 41.50, 113.30)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideCounty));
    // Outside China is said as such.
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("140105", 60.0, 112.60)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideChina));

    // The bounds that apply, as the form gets them.
    let b = expect_status(app.get("/api/v1/divisions/140106/bounds").await, 200).await;
    assert_eq!(b["bounds"], json!({"lat_min": 37.40, "lat_max": 38.47, "lng_min": 111.45, "lng_max": 113.20}));
    let b = expect_status(app.get("/api/v1/divisions/140105/bounds").await, 200).await;
    assert_eq!(b["bounds"]["lat_min"], 37.57);
    assert_error(app.get("/api/v1/divisions/999999/bounds").await, 404, "not_found").await;
    let counties =
        client.post(app.url("/api/sites/counties")).form(&[("city", "140100")]).send().await.expect("counties");
    let counties: Value = counties.json().await.expect("json");
    let yingze = counties.as_array().expect("list").iter().find(|c| c["code"] == "140106").expect("迎泽区").clone();
    assert_eq!(yingze["bounds"]["lat_max"], 38.47);

    // A county of another province, imported without bounds: only China's box applies (whose
    // edges are inside); imported with bounds, they apply.
    app.user("bounds.admin", Role::Sysadmin, None, None).await;
    let admin = app.signed_in("bounds.admin").await;
    let csv = "code,name,level,parent_code\n650000,新疆维吾尔自治区,province,\n650100,乌鲁木齐市,city,650000\n650102,天山区,county,650100\n";
    let resp = admin
        .post(app.url("/api/v1/admin/divisions/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 200, "{}", resp.text().await.unwrap_or_default());
    expect_status(app.post_as(&client, "/api/v1/sites", &post("650102", 53.56, 73.50)).await, 201).await;
    let csv = "code,name,level,parent_code,lat_min,lat_max,lng_min,lng_max\n650102,天山区,county,650100,43.70,43.90,87.50,87.80\n";
    let resp = admin
        .post(app.url("/api/v1/admin/divisions/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 200, "{}", resp.text().await.unwrap_or_default());
    let err = assert_error(
        app.post_as(&client, "/api/v1/sites", &post("650102", 53.56, 73.50)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "lat", &FieldError::new(FieldCode::OutsideCounty));
    expect_status(app.post_as(&client, "/api/v1/sites", &post("650102", 43.80, 87.60)).await, 201).await;
    // Bad bounds in a file are refused by line, and nothing changes.
    let csv =
        "code,name,level,parent_code,lat_min,lat_max,lng_min,lng_max\n650102,天山区,county,650100,43.90,43.70,87.50,\n";
    let resp = admin
        .post(app.url("/api/v1/admin/divisions/import"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.expect("json");
    assert!(body.to_string().contains("bad_bounds"), "{body}");
    expect_status(app.post_as(&client, "/api/v1/sites", &post("650102", 43.80, 87.60)).await, 201).await;
}

async fn site_rules_name_the_field(app: TestApp) {
    let (_org, client) = contractor(&app, "rule.builder").await;
    let today = app.today();
    let cases: Vec<(Value, &str, FieldError)> = vec![
        (
            json!({"starts_on": today, "ends_on": today - chrono::Duration::days(1)}),
            "ends_on",
            FieldError::new(FieldCode::EndBeforeStart),
        ),
        (json!({"lat": 60.0}), "lat", FieldError::new(FieldCode::OutsideChina)),
        (json!({"lat": 3.0}), "lat", FieldError::new(FieldCode::OutsideChina)),
        (json!({"lng": 10.0}), "lng", FieldError::new(FieldCode::OutsideChina)),
        (json!({"lng": 140.0}), "lng", FieldError::new(FieldCode::OutsideChina)),
        (json!({"lng": null}), "lng", FieldError::new(FieldCode::Required)),
        (json!({"lat": null}), "lat", FieldError::new(FieldCode::Required)),
        // A city, the province, an unknown code and a malformed one are not counties.
        (json!({"county_code": "140100"}), "county_code", FieldError::new(FieldCode::NotACounty)),
        (json!({"county_code": "140000"}), "county_code", FieldError::new(FieldCode::NotACounty)),
        (json!({"county_code": "999999"}), "county_code", FieldError::new(FieldCode::NotACounty)),
        (json!({"county_code": "14"}), "county_code", FieldError::new(FieldCode::Required)),
        (json!({"name": "  "}), "name", FieldError::new(FieldCode::Required)),
        (json!({"address": ""}), "address", FieldError::new(FieldCode::Required)),
        (
            json!({"permit_no": "P".repeat(65)}),
            "permit_no",
            FieldError::new(FieldCode::Length).with("min", 0).with("max", 64),
        ),
    ];
    for (change, field, expected) in cases {
        let mut body = site_input(&app, "规则工地", "140105");
        for (k, v) in change.as_object().expect("object") {
            body[k] = v.clone();
        }
        let err = assert_error(app.post_as(&client, "/api/v1/sites", &body).await, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
    }
    // A site of one day is fine (the edges of China's box: `positions_lie_in_the_county_bounds`).
    let mut body = site_input(&app, "一日工地", "140105");
    body["starts_on"] = json!(today);
    body["ends_on"] = json!(today);
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
    assert_field(&err, "cursor", &FieldError::new(FieldCode::Invalid));
}

/// Two officials read the site; the first decides, the second decides on what it had read: 409
/// `stale_version` naming the current version, and the first decision stands. With the version
/// read again the second decision applies.
async fn a_zone_decision_on_an_older_reading_is_refused(app: TestApp) {
    let (_org, unit) = contractor(&app, "zone.reading").await;
    let site =
        expect_status(app.post_as(&unit, "/api/v1/sites", &site_input(&app, "复核工地", "140105")).await, 201).await;
    let county = inspector(&app, "zone.county", "140105").await;
    app.user("zone.city", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("zone.city").await;
    let path = format!("/api/v1/sites/{}/zone", id_of(&site));
    let read = site["version"].clone();
    let first = json!({"in_zone": false, "reason": "位于建成区外", "version": read});
    let decided = expect_status(app.post_as(&county, &path, &first).await, 200).await;
    assert_eq!(decided["low_emission_zone"], false);
    let second = json!({"in_zone": true, "reason": "位于城区建成区内", "version": read});
    let refused = assert_error(app.post_as(&city, &path, &second).await, 409, "stale_version").await;
    assert_eq!(refused["error"]["details"]["current_version"], json!(decided["version"].to_string()), "{refused}");
    let now = expect_status(app.get_as(&city, &format!("/api/v1/sites/{}", id_of(&site))).await, 200).await;
    assert_eq!((now["low_emission_zone"].clone(), now["version"].clone()), (json!(false), decided["version"].clone()));
    let again = json!({"in_zone": true, "reason": "位于城区建成区内", "version": now["version"]});
    let after = expect_status(app.post_as(&city, &path, &again).await, 200).await;
    assert_eq!(after["low_emission_zone"], true);
}
