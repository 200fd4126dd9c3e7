//! County inspections through the REST API: the compliance rule at `/compliance/evaluate`,
//! versioned limit tables (a later table never changes a past verdict), zones administered by
//! officers, inspections opening the right cases, scope (other counties, partner departments,
//! construction units), joint notes, and the field look-up by every identifier.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, expect_status, id_of, inspector, machine_input,
    site_input,
};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    evaluate_follows_the_rule,
    limit_table_versions_keep_past_verdicts,
    zones_are_administered_by_officers,
    inspections_open_the_right_cases,
    inspection_input_rules,
    inspections_and_cases_are_scoped,
    partner_departments_read_and_add_notes_only,
    lookup_by_every_identifier,
    lookup_here_and_elsewhere,
    lookup_joins_current_filings_and_the_latest_inspection,
    generated_registered_fleet_is_looked_up,
    generated_units_share_the_machines_across_counties,
);

/// A construction unit with a site in 小店区's low-emission zone and one outside it (same
/// county), the inspectors of 小店区 and 清徐县.
pub struct World {
    pub builder: reqwest::Client,
    pub zone_site: Value,
    pub plain_site: Value,
    pub xiaodian: reqwest::Client,
    pub qingxu: reqwest::Client,
}

pub async fn world(app: &TestApp) -> World {
    let (_org, builder) = contractor(app, "insp.builder").await;
    let xiaodian = inspector(app, "xiaodian.i", "140105").await;
    let zone_site =
        expect_status(app.post_as(&builder, "/api/v1/sites", &site_input(app, "小店区内工地", "140105")).await, 201)
            .await;
    assert_eq!(zone_site["low_emission_zone"], true);
    // The outlying site: the county's inspector marked it out of the zone.
    let body = site_input(app, "小店区外围工地", "140105");
    let plain_site = expect_status(app.post_as(&builder, "/api/v1/sites", &body).await, 201).await;
    let plain_site = crate::sites::mark_zone(app, &xiaodian, &plain_site, false, "位于禁用区范围外").await;
    assert_eq!(plain_site["low_emission_zone"], false);
    World { builder, zone_site, plain_site, xiaodian, qingxu: inspector(app, "qingxu.i", "140121").await }
}

/// Registers machine `n` (with `changes` applied to the standard stage IV diesel) by filing it
/// for `site` and having 小店区's inspector accept it; returns the machine with its code.
pub async fn registered(app: &TestApp, w: &World, site: &Value, n: u32, changes: Value) -> Value {
    let mut body = machine_input(n);
    if let (Some(b), Some(c)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    let m = expect_status(app.post_as(&w.builder, "/api/v1/machines", &body).await, 201).await;
    let today = app.today();
    let f =
        create_filing(app, &w.builder, &site["id"], &[&m["id"]], today - Duration::days(1), today + Duration::days(30))
            .await;
    let path = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&w.xiaodian, &path, &json!({"decision": "accept"})).await, 200).await;
    let m = expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await;
    assert!(m["registration_code"].is_string());
    m
}

/// An inspection body: the machine at the site a minute ago, with these opacity readings and
/// the label fitted.
pub fn inspection(app: &TestApp, site: &Value, machine: &Value, readings: &[f64]) -> Value {
    json!({
        "site_id": site["id"],
        "machine_id": machine["id"],
        "inspected_at": app.clock.now() - Duration::minutes(1),
        "opacity_readings": readings,
        "label_present": true,
    })
}

/// Records an inspection (201 expected).
pub async fn inspect(app: &TestApp, client: &reqwest::Client, body: &Value) -> Value {
    expect_status(app.post_as(client, "/api/v1/inspections", body).await, 201).await
}

/// The kinds of the cases an inspection opened.
pub fn opened_kinds(inspection: &Value) -> Vec<String> {
    inspection["opened_cases"]
        .as_array()
        .expect("opened_cases")
        .iter()
        .map(|c| c["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(id_of).collect()
}

async fn evaluate_follows_the_rule(app: TestApp) {
    // (input, verdict, limit_class, limit_k, mean_k, reasons) — anyone may ask, signed in or not.
    let cases = [
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.7, 0.8, 0.9]}),
            "pass",
            json!("II"),
            json!(0.8),
            json!(0.8),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [2.0, 0.8, 0.8, 0.81]}),
            "fail",
            json!("II"),
            json!(0.8),
            json!(0.803333),
            json!(["opacity_over_limit"]),
        ),
        (
            json!({"emission_stage": "stage_2", "fuel_type": "diesel", "rated_power_kw": 19, "opacity_readings": [2.0, 2.0, 2.0]}),
            "pass",
            json!("I"),
            json!(2.0),
            json!(2.0),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_1", "fuel_type": "diesel", "rated_power_kw": 10, "opacity_readings": [3.1, 3.0, 3.0]}),
            "fail",
            json!("I"),
            json!(3.0),
            json!(3.033333),
            json!(["opacity_over_limit"]),
        ),
        (
            json!({"emission_stage": "pre_standard", "fuel_type": "diesel", "rated_power_kw": 37, "opacity_readings": [1.61, 1.61, 1.61]}),
            "pass",
            json!("I"),
            json!(1.61),
            json!(1.61),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_3", "fuel_type": "diesel", "rated_power_kw": 36.9, "opacity_readings": [1.0, 1.0, 1.0]}),
            "pass",
            json!("II"),
            json!(1.0),
            json!(1.0),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_3", "fuel_type": "diesel", "rated_power_kw": 18.9, "opacity_readings": [2.0, 2.0, 2.0]}),
            "pass",
            json!("II"),
            json!(2.0),
            json!(2.0),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 560, "opacity_readings": [0.5, 0.5, 0.5], "low_emission_zone": true}),
            "pass",
            json!("III"),
            json!(0.5),
            json!(0.5),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_3", "fuel_type": "diesel", "rated_power_kw": 30, "opacity_readings": [1.0, 1.0, 1.0], "low_emission_zone": true}),
            "pass",
            json!("II"),
            json!(1.0),
            json!(1.0),
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_2", "fuel_type": "diesel", "rated_power_kw": 100, "opacity_readings": [0.1, 0.1, 0.1], "low_emission_zone": true}),
            "fail",
            json!("III"),
            json!(0.5),
            json!(0.1),
            json!(["stage_banned_in_zone"]),
        ),
        (
            json!({"emission_stage": "stage_2", "fuel_type": "diesel", "rated_power_kw": 100, "opacity_readings": [0.1, 0.1, 0.1], "low_emission_zone": false}),
            "pass",
            json!("I"),
            json!(1.61),
            json!(0.1),
            json!([]),
        ),
        (
            json!({"emission_stage": "electric", "fuel_type": "electric", "rated_power_kw": 50}),
            "exempt",
            Value::Null,
            Value::Null,
            Value::Null,
            json!(["electric_exempt"]),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "ringelmann_level": 1}),
            "pass",
            json!("II"),
            json!(0.8),
            Value::Null,
            json!([]),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "ringelmann_level": 2}),
            "fail",
            json!("II"),
            json!(0.8),
            Value::Null,
            json!(["ringelmann_over_limit"]),
        ),
    ];
    let anonymous = TestApp::new_client();
    for (input, verdict, class, limit_k, mean_k, reasons) in cases {
        let got = expect_status(app.post_as(&anonymous, "/api/v1/compliance/evaluate", &input).await, 200).await;
        assert_eq!(got["verdict"], verdict, "{input}: {got}");
        assert_eq!(got["limit_class"], class, "{input}: {got}");
        assert_eq!(got["limit_k"], limit_k, "{input}: {got}");
        assert_eq!(got["mean_k"], mean_k, "{input}: {got}");
        assert_eq!(got["reasons"], reasons, "{input}: {got}");
    }

    let bad = [
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118}),
            "opacity_readings",
            FieldError::new(FieldCode::ReadingsRequired),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.5, 0.5]}),
            "opacity_readings",
            FieldError::new(FieldCode::TooFewReadings).with("min", 3),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.5, -0.1, 0.5]}),
            "opacity_readings",
            FieldError::new(FieldCode::ReadingInvalid).with("position", 2),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "ringelmann_level": 6}),
            "ringelmann_level",
            FieldError::new(FieldCode::RingelmannRange).with("max", 5),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 0, "ringelmann_level": 0}),
            "rated_power_kw",
            FieldError::new(FieldCode::PowerRange).with("max", 10000),
        ),
        (
            json!({"emission_stage": "stage_4", "fuel_type": "electric", "rated_power_kw": 50, "ringelmann_level": 0}),
            "fuel_type",
            FieldError::new(FieldCode::ElectricMismatch),
        ),
    ];
    for (input, field, expected) in bad {
        let body = assert_error(
            app.post_as(&anonymous, "/api/v1/compliance/evaluate", &input).await,
            422,
            "validation_failed",
        )
        .await;
        assert_field(&body, field, &expected);
    }
    let malformed =
        json!({"emission_stage": "stage_9", "fuel_type": "diesel", "rated_power_kw": 1, "ringelmann_level": 0});
    assert_error(app.post_as(&anonymous, "/api/v1/compliance/evaluate", &malformed).await, 400, "malformed").await;

    // With a county, the county's zone data applies: 小店区 (Taiyuan's zone) bans stage II diesel.
    let zoned = json!({"emission_stage": "stage_2", "fuel_type": "diesel", "rated_power_kw": 100,
        "opacity_readings": [0.1, 0.1, 0.1], "low_emission_zone": true, "county_code": "140105"});
    let got = expect_status(app.post_as(&anonymous, "/api/v1/compliance/evaluate", &zoned).await, 200).await;
    assert_eq!(got["reasons"], json!(["stage_banned_in_zone"]));
    assert_eq!(got["zone_min_stage"], "stage_3");
}

async fn limit_table_versions_keep_past_verdicts(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    // The seeded table is public and in force.
    let current = expect_status(app.get("/api/v1/limit-tables/current").await, 200).await;
    assert_eq!(current["version"], "GB36886-2018");
    assert_eq!(current["effective_from"], "2018-12-01");
    assert_eq!(current["rows"].as_array().map(Vec::len), Some(7));
    assert_error(app.get("/api/v1/limit-tables/current?on=2018-11-30").await, 404, "not_found").await;

    // Inspected at 0.6 against the 2018 table: class II, 0.80 → pass.
    let first = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.6, 0.6, 0.6])).await;
    assert_eq!((first["verdict"].as_str(), first["limit_k"].as_f64()), (Some("pass"), Some(0.8)));
    assert_eq!(first["limit_table_version"], "GB36886-2018");
    // Ten days ago, for the later check.
    let mut body = inspection(&app, &w.plain_site, &m, &[0.6, 0.6, 0.6]);
    body["inspected_at"] = json!(app.clock.now() - Duration::days(10));
    let old = inspect(&app, &w.xiaodian, &body).await;

    // A stricter national table (half the limits), in force from yesterday: published by a
    // system administrator (national tables may be back-dated; local ones may not).
    let mut rows = current["rows"].clone();
    for r in rows.as_array_mut().expect("rows") {
        r["k_limit"] = json!(r["k_limit"].as_f64().expect("k") / 2.0);
    }
    let yesterday = app.today() - Duration::days(1);
    let new_table = json!({"version": "SX-2026", "effective_from": yesterday, "notes": "试行", "rows": rows});
    app.user("root.o", Role::Sysadmin, None, None).await;
    let admin = app.signed_in("root.o").await;
    for who in [&w.xiaodian, &w.builder] {
        assert_error(app.post_as(who, "/api/v1/limit-tables", &new_table).await, 403, "forbidden").await;
    }
    let created = expect_status(app.post_as(&admin, "/api/v1/limit-tables", &new_table).await, 201).await;
    assert_eq!((created["version"].as_str(), created["division_code"].as_str()), (Some("SX-2026"), None));
    let dup =
        assert_error(app.post_as(&admin, "/api/v1/limit-tables", &new_table).await, 409, "duplicate_version").await;
    assert!(dup["error"]["fields"]["version"].is_array());
    let mut same_day = new_table.clone();
    same_day["version"] = json!("SX-2026b");
    assert_error(app.post_as(&admin, "/api/v1/limit-tables", &same_day).await, 409, "duplicate_effective_date").await;
    let mut gap = new_table.clone();
    gap["version"] = json!("SX-gap");
    gap["effective_from"] = json!(app.today() + Duration::days(100));
    gap["rows"].as_array_mut().expect("rows").remove(1);
    let body = assert_error(app.post_as(&admin, "/api/v1/limit-tables", &gap).await, 422, "validation_failed").await;
    assert_field(&body, "rows", &FieldError::new(FieldCode::BandsIncomplete).with("class", "I"));

    // The inspection recorded before keeps its verdict and version.
    let again =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/inspections/{}", id_of(&first))).await, 200).await;
    assert_eq!((again["verdict"].as_str(), again["limit_k"].as_f64()), (Some("pass"), Some(0.8)));
    assert_eq!(again["limit_table_version"], "GB36886-2018");
    // The same readings today fail against the new table; ten days ago the old one applied.
    let now = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.6, 0.6, 0.6])).await;
    assert_eq!((now["verdict"].as_str(), now["limit_k"].as_f64()), (Some("fail"), Some(0.4)));
    assert_eq!(now["limit_table_version"], "SX-2026");
    assert_eq!(opened_kinds(&now), vec!["failed_inspection"]);
    let mut body = inspection(&app, &w.plain_site, &m, &[0.6, 0.6, 0.6]);
    body["inspected_at"] = json!(app.clock.now() - Duration::days(10));
    let back_dated = inspect(&app, &w.xiaodian, &body).await;
    assert_eq!(
        (back_dated["verdict"].as_str(), back_dated["limit_table_version"].as_str()),
        (Some("pass"), Some("GB36886-2018"))
    );
    assert_eq!(old["limit_table_version"], "GB36886-2018");

    // A table announced for the future applies once the clock reaches its date.
    let mut future = current.clone();
    future["version"] = json!("SX-2027");
    future["effective_from"] = json!(app.today() + Duration::days(5));
    let future = expect_status(app.post_as(&admin, "/api/v1/limit-tables", &future).await, 201).await;
    let on = app.today() + Duration::days(5);
    let at = expect_status(app.get(&format!("/api/v1/limit-tables/current?on={on}")).await, 200).await;
    assert_eq!(at["version"], "SX-2027");
    assert_eq!(expect_status(app.get("/api/v1/limit-tables/current").await, 200).await["version"], "SX-2026");
    app.clock.advance(Duration::days(6));
    let xiaodian = app.signed_in("xiaodian.i").await; // sessions expire after 8 idle hours
    let later = inspect(&app, &xiaodian, &inspection(&app, &w.plain_site, &m, &[0.6, 0.6, 0.6])).await;
    assert_eq!((later["verdict"].as_str(), later["limit_table_version"].as_str()), (Some("pass"), Some("SX-2027")));
    // The list has every version, latest effective date first; city officers may add too.
    let list = expect_status(app.get("/api/v1/limit-tables").await, 200).await;
    let versions: Vec<&str> =
        list["items"].as_array().expect("items").iter().filter_map(|t| t["version"].as_str()).collect();
    assert_eq!(versions, vec!["SX-2027", "SX-2026", "GB36886-2018"]);
    assert_eq!(list["items"][0]["id"], future["id"]);
    // A city officer publishes a local table (of the city; as strict as the national one).
    app.user("taiyuan.o", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.o").await;
    let mut city_table = current.clone();
    city_table["version"] = json!("TY-2030");
    city_table["effective_from"] = json!("2030-01-01");
    let local = expect_status(app.post_as(&city, "/api/v1/limit-tables", &city_table).await, 201).await;
    assert_eq!((local["division_code"].as_str(), local["division_name"].as_str()), (Some("140100"), Some("太原市")));
}

async fn zones_are_administered_by_officers(app: TestApp) {
    app.user("datong.o", Role::CityOfficer, Some("140200"), None).await;
    app.user("taiyuan.z", Role::CityOfficer, Some("140100"), None).await;
    app.user("shanxi.z", Role::ProvinceOfficer, Some("140000"), None).await;
    let datong = app.signed_in("datong.o").await;
    let taiyuan = app.signed_in("taiyuan.z").await;
    let province = app.signed_in("shanxi.z").await;
    let inspector = inspector(&app, "zone.i", "140105").await;
    let zone = |code: &str| {
        json!({"division_code": code, "name": "大同市城区禁用区", "min_diesel_stage": "stage_3", "required_class": "III",
            "exemptions": ["emergency_rescue"], "effective_from": "2026-01-01"})
    };
    // Only officers, and only for their divisions.
    assert_error(app.get_as(&inspector, "/api/v1/zones").await, 403, "forbidden").await;
    assert_error(app.post_as(&inspector, "/api/v1/zones", &zone("140105")).await, 403, "forbidden").await;
    assert_error(app.post_as(&taiyuan, "/api/v1/zones", &zone("140213")).await, 403, "forbidden").await;
    let body =
        assert_error(app.post_as(&datong, "/api/v1/zones", &zone("149999")).await, 422, "validation_failed").await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::UnknownDivision));

    // 平城区 has no zone; a city-wide zone of 大同 applies to it from its date.
    let before = expect_status(app.get("/api/v1/divisions/140213/zone").await, 200).await;
    assert_eq!(before["in_zone"], false);
    let city_zone = expect_status(app.post_as(&datong, "/api/v1/zones", &zone("140200")).await, 201).await;
    assert_eq!((city_zone["division_name"].as_str(), city_zone["version"].as_i64()), (Some("大同市"), Some(1)));
    let after = expect_status(app.get("/api/v1/divisions/140213/zone").await, 200).await;
    assert_eq!((after["in_zone"].as_bool(), after["required_class"].as_str()), (Some(true), Some("III")));
    assert_eq!(after["exemptions"], json!(["emergency_rescue"]));
    // A county's own zone wins over its city's.
    let mut general = zone("140213");
    general["min_diesel_stage"] = json!("stage_2");
    general["required_class"] = json!("II");
    general["name"] = json!("平城区一般管控区");
    let own = expect_status(app.post_as(&province, "/api/v1/zones", &general).await, 201).await;
    let after = expect_status(app.get("/api/v1/divisions/140213/zone").await, 200).await;
    assert_eq!((after["min_diesel_stage"].as_str(), after["required_class"].as_str()), (Some("stage_2"), Some("II")));
    // The evaluation with that county uses its zone data: stage II allowed, class II.
    let input = json!({"emission_stage": "stage_2", "fuel_type": "diesel", "rated_power_kw": 100,
        "opacity_readings": [0.8, 0.8, 0.8], "low_emission_zone": true, "county_code": "140213"});
    let got = expect_status(app.post_json("/api/v1/compliance/evaluate", &input).await, 200).await;
    assert_eq!((got["verdict"].as_str(), got["limit_class"].as_str()), (Some("pass"), Some("II")));

    // Lists are scoped; edits carry the version.
    let listed = expect_status(app.get_as(&datong, "/api/v1/zones").await, 200).await;
    assert_eq!(ids(&listed).len(), 2);
    let listed = expect_status(app.get_as(&taiyuan, "/api/v1/zones").await, 200).await;
    assert_eq!(ids(&listed).len(), 10, "the seeded Taiyuan zone rows");
    let path = format!("/api/v1/zones/{}", id_of(&own));
    let mut edit = general.clone();
    edit["effective_to"] = json!("2026-06-30");
    assert_error(app.put_as(&taiyuan, &path, &edit).await, 404, "not_found").await;
    let body = assert_error(app.put_as(&datong, &path, &edit).await, 422, "validation_failed").await;
    assert_field(&body, "version", &FieldError::new(FieldCode::Required));
    edit["version"] = json!(1);
    let edited = expect_status(app.put_as(&datong, &path, &edit).await, 200).await;
    assert_eq!((edited["version"].as_i64(), edited["effective_to"].as_str()), (Some(2), Some("2026-06-30")));
    assert_error(app.put_as(&datong, &path, &edit).await, 409, "stale_version").await;
    let mut bad = edit.clone();
    bad["version"] = json!(2);
    bad["exemptions"] = json!(["Not OK"]);
    bad["effective_to"] = json!("2025-01-01");
    let body = assert_error(app.put_as(&datong, &path, &bad).await, 422, "validation_failed").await;
    assert_field(&body, "exemptions", &FieldError::new(FieldCode::ExemptionCode));
    assert_field(&body, "effective_to", &FieldError::new(FieldCode::EndBeforeStart));
    // The county zone has ended (its end date passed): the city's applies again.
    let after = expect_status(app.get("/api/v1/divisions/140213/zone").await, 200).await;
    assert_eq!(after["min_diesel_stage"], "stage_3");
}

async fn inspections_open_the_right_cases(app: TestApp) {
    let w = world(&app).await;
    let good = registered(&app, &w, &w.zone_site, 1, json!({})).await;
    let old = registered(&app, &w, &w.zone_site, 2, json!({"emission_stage": "stage_2", "rated_power_kw": 80})).await;
    let electric =
        registered(&app, &w, &w.zone_site, 3, json!({"emission_stage": "electric", "fuel_type": "electric"})).await;

    // A pass opens nothing; the zone's class III applies (118 kW, in the zone).
    let pass = inspect(&app, &w.xiaodian, &inspection(&app, &w.zone_site, &good, &[0.5, 0.5, 0.5])).await;
    assert_eq!((pass["verdict"].as_str(), pass["limit_class"].as_str()), (Some("pass"), Some("III")));
    assert_eq!(pass["low_emission_zone"], true);
    assert!(opened_kinds(&pass).is_empty());
    assert_eq!(pass["machine"]["registration_code"], good["registration_code"]);
    assert_eq!(pass["site_name"], "小店区内工地");
    assert_eq!(pass["inspector_name"], "xiaodian.i");
    assert_eq!(pass["opacity_readings"], json!([0.5, 0.5, 0.5]));

    // Over the limit: a failed-inspection case.
    let fail = inspect(&app, &w.xiaodian, &inspection(&app, &w.zone_site, &good, &[0.6, 0.6, 0.6])).await;
    assert_eq!(fail["verdict"], "fail");
    assert_eq!(opened_kinds(&fail), vec!["failed_inspection"]);
    // By registration code, label missing: a missing-label case only.
    let mut body = inspection(&app, &w.zone_site, &good, &[0.1, 0.1, 0.1]);
    body["machine_id"] = Value::Null;
    body["registration_code"] = good["registration_code"].clone();
    body["label_present"] = json!(false);
    let label = inspect(&app, &w.xiaodian, &body).await;
    assert_eq!((label["verdict"].as_str(), opened_kinds(&label)), (Some("pass"), vec!["missing_label".to_owned()]));
    assert_eq!(label["machine"]["id"], good["id"]);
    // A stage II diesel in the zone fails outright: the failed inspection and the zone violation.
    let banned = inspect(&app, &w.xiaodian, &inspection(&app, &w.zone_site, &old, &[0.1, 0.1, 0.1])).await;
    assert_eq!(banned["reasons"], json!(["stage_banned_in_zone"]));
    assert_eq!(opened_kinds(&banned), vec!["failed_inspection", "zone_violation"]);
    // The same machine outside the zone passes with class I.
    let outside = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &old, &[0.1, 0.1, 0.1])).await;
    assert_eq!((outside["verdict"].as_str(), outside["limit_class"].as_str()), (Some("pass"), Some("I")));
    assert!(opened_kinds(&outside).is_empty());
    // Electric: exempt without readings.
    let mut body = inspection(&app, &w.zone_site, &electric, &[]);
    body.as_object_mut().expect("object").remove("opacity_readings");
    let exempt = inspect(&app, &w.xiaodian, &body).await;
    assert_eq!((exempt["verdict"].as_str(), exempt["reasons"].clone()), (Some("exempt"), json!(["electric_exempt"])));
    assert!(exempt["limit_class"].is_null() && opened_kinds(&exempt).is_empty());
    // An unregistered machine, described, with its nameplate data: one case per finding.
    let unregistered = json!({
        "site_id": w.zone_site["id"], "inspected_at": app.clock.now(), "opacity_readings": [2.0, 2.0, 2.0],
        "unregistered_description": "黄色装载机，无标签", "emission_stage": "stage_3", "fuel_type": "diesel",
        "rated_power_kw": 60, "label_present": false, "lat": 37.8, "lng": 112.55, "notes": "现场拍照取证"
    });
    let u = inspect(&app, &w.xiaodian, &unregistered).await;
    assert_eq!(opened_kinds(&u), vec!["failed_inspection", "unregistered_machine", "missing_label"]);
    assert!(u["machine"]["id"].is_null());
    assert_eq!(
        (u["machine"]["emission_stage"].as_str(), u["machine"]["rated_power_kw"].as_f64()),
        (Some("stage_3"), Some(60.0))
    );
    assert_eq!(u["unregistered_description"], "黄色装载机，无标签");
    // A machine in a fleet that was never registered opens an unregistered-machine case too.
    let fleet_only = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(9)).await, 201).await;
    let f = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &fleet_only, &[0.1, 0.1, 0.1])).await;
    assert_eq!(opened_kinds(&f), vec!["unregistered_machine"]);
    // …and it can no longer be deleted by its owner.
    let path = format!("/api/v1/machines/{}", id_of(&fleet_only));
    assert_error(app.delete_as(&w.builder, &path).await, 409, "machine_in_use").await;

    // The cases are listed for the county, each with its kind and the opening inspection.
    let cases = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?limit=500").await, 200).await;
    assert_eq!(ids(&cases).len(), 8);
    let banned_case = cases["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["kind"] == "zone_violation")
        .expect("zone case")
        .clone();
    assert_eq!(banned_case["inspection_id"], banned["id"]);
    assert_eq!((banned_case["state"].as_str(), banned_case["county_code"].as_str()), (Some("open"), Some("140105")));
    assert_eq!(banned_case["machine"]["id"], old["id"]);
    assert_eq!(banned_case["organization_name"], "insp.builder");
    let failed = expect_status(app.get_as(&w.xiaodian, "/api/v1/cases?kind=failed_inspection").await, 200).await;
    assert_eq!(ids(&failed).len(), 3);
    // The inspection list, with filters.
    let list = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspections?verdict=fail").await, 200).await;
    assert_eq!(ids(&list).len(), 3);
    let path = format!("/api/v1/inspections?machine_id={}", id_of(&good));
    assert_eq!(ids(&expect_status(app.get_as(&w.xiaodian, &path).await, 200).await).len(), 3);
    let page = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspections?limit=4").await, 200).await;
    assert_eq!(ids(&page).len(), 4);
    let cursor = page["next_cursor"].as_str().expect("cursor");
    let rest =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/inspections?limit=4&cursor={cursor}")).await, 200)
            .await;
    assert_eq!(ids(&rest).len(), 4);
    assert!(rest["next_cursor"].is_null());
}

async fn inspection_input_rules(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let post = |body: Value| {
        let app = &app;
        let client = w.xiaodian.clone();
        async move { app.post_as(&client, "/api/v1/inspections", &body).await }
    };
    let base = inspection(&app, &w.plain_site, &m, &[0.1, 0.1, 0.1]);
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let check = |body: Value, field: &'static str, expected: FieldError| {
        let post = &post;
        async move {
            let resp = post(body).await;
            let body = assert_error(resp, 422, "validation_failed").await;
            assert_field(&body, field, &expected);
        }
    };
    check(with("opacity_readings", Value::Null), "opacity_readings", FieldError::new(FieldCode::ReadingsRequired))
        .await;
    check(
        with("opacity_readings", json!([0.1, 0.2])),
        "opacity_readings",
        FieldError::new(FieldCode::TooFewReadings).with("min", 3),
    )
    .await;
    check(
        with("opacity_readings", json!([0.1, -1, 0.2])),
        "opacity_readings",
        FieldError::new(FieldCode::ReadingInvalid).with("position", 2),
    )
    .await;
    check(
        with("ringelmann_level", json!(7)),
        "ringelmann_level",
        FieldError::new(FieldCode::RingelmannRange).with("max", 5),
    )
    .await;
    check(
        with("inspected_at", json!(app.clock.now() + Duration::hours(2))),
        "inspected_at",
        FieldError::new(FieldCode::DateInFuture),
    )
    .await;
    check(
        with("inspected_at", json!("2018-11-30T08:00:00+08:00")),
        "inspected_at",
        FieldError::new(FieldCode::NoLimitTable),
    )
    .await;
    check(with("machine_id", json!(uuid::Uuid::now_v7())), "machine_id", FieldError::new(FieldCode::UnknownMachine))
        .await;
    check(with("machine_id", Value::Null), "machine_id", FieldError::new(FieldCode::MachineRequired)).await;
    check(with("lat", json!(10.0)), "lng", FieldError::new(FieldCode::Required)).await;
    // Registration codes: the check character is checked before any look-up.
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let last = code.chars().last().expect("last");
    let wrong = format!("{}{}", &code[..13], if last == '0' { '1' } else { '0' });
    let mut b = with("machine_id", Value::Null);
    b["registration_code"] = json!(wrong);
    let body = assert_error(post(b).await, 422, "validation_failed").await;
    assert_eq!(body["error"]["fields"]["registration_code"].as_array().map(Vec::len), Some(1));
    let unknown = app::machines::regcode::RegistrationCode::issue("140105", 9_999_999).expect("code").to_string();
    let mut b = with("machine_id", Value::Null);
    b["registration_code"] = json!(unknown);
    check(b, "registration_code", FieldError::new(FieldCode::UnknownRegistrationCode)).await;
    let other = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    check(
        with("registration_code", other["registration_code"].clone()),
        "registration_code",
        FieldError::new(FieldCode::MachineMismatch),
    )
    .await;
    // An unregistered machine needs its nameplate data.
    let mut b = with("machine_id", Value::Null);
    b["unregistered_description"] = json!("白色叉车");
    let body = assert_error(post(b).await, 422, "validation_failed").await;
    for field in ["emission_stage", "fuel_type", "rated_power_kw"] {
        assert_field(&body, field, &FieldError::new(FieldCode::Required));
    }
    // Malformed bodies are 400, never 500.
    assert_error(post(json!({"site_id": "nope"})).await, 400, "malformed").await;
    // Only county inspectors record inspections; another county's site is not found.
    app.user("taiyuan.i", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.i").await;
    for who in [&w.builder, &city] {
        assert_error(app.post_as(who, "/api/v1/inspections", &base).await, 403, "forbidden").await;
    }
    assert_error(app.post_as(&w.qingxu, "/api/v1/inspections", &base).await, 404, "not_found").await;
    // Nothing was recorded by the refused attempts.
    let list = expect_status(app.get_as(&w.xiaodian, "/api/v1/inspections").await, 200).await;
    assert!(ids(&list).is_empty());
}

async fn inspections_and_cases_are_scoped(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let fail = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[3.0, 3.0, 3.0])).await;
    let case_id = fail["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    let insp_path = format!("/api/v1/inspections/{}", id_of(&fail));
    let case_path = format!("/api/v1/cases/{case_id}");

    // 清徐县's inspector: nothing of 小店区 is visible or changeable.
    assert_error(app.get_as(&w.qingxu, &insp_path).await, 404, "not_found").await;
    assert_error(app.get_as(&w.qingxu, &case_path).await, 404, "not_found").await;
    assert!(ids(&expect_status(app.get_as(&w.qingxu, "/api/v1/inspections").await, 200).await).is_empty());
    assert!(ids(&expect_status(app.get_as(&w.qingxu, "/api/v1/cases").await, 200).await).is_empty());
    let order = json!({"to": "rectification_ordered", "deadline_on": app.today() + Duration::days(7)});
    assert_error(app.post_as(&w.qingxu, &format!("{case_path}/transition"), &order).await, 404, "not_found").await;
    assert_error(app.post_as(&w.qingxu, &format!("{case_path}/notes"), &json!({"body": "x"})).await, 404, "not_found")
        .await;
    let mut re = inspection(&app, &w.plain_site, &m, &[0.1, 0.1, 0.1]);
    re["case_id"] = json!(case_id);
    assert_error(app.post_as(&w.qingxu, "/api/v1/inspections", &re).await, 404, "not_found").await;

    // The city and province see it; neither may move the case.
    app.user("taiyuan.s", Role::CityOfficer, Some("140100"), None).await;
    app.user("datong.s", Role::CityOfficer, Some("140200"), None).await;
    let taiyuan = app.signed_in("taiyuan.s").await;
    let datong = app.signed_in("datong.s").await;
    expect_status(app.get_as(&taiyuan, &case_path).await, 200).await;
    assert_error(app.post_as(&taiyuan, &format!("{case_path}/transition"), &order).await, 403, "forbidden").await;
    assert_error(app.get_as(&datong, &insp_path).await, 404, "not_found").await;

    // The construction unit sees the cases of its machine and site, and may not move them;
    // another unit sees nothing.
    let case = expect_status(app.get_as(&w.builder, &case_path).await, 200).await;
    assert_eq!(case["kind"], "failed_inspection");
    expect_status(app.get_as(&w.builder, &insp_path).await, 200).await;
    assert_eq!(ids(&expect_status(app.get_as(&w.builder, "/api/v1/cases").await, 200).await), vec![case_id.clone()]);
    assert_error(app.post_as(&w.builder, &format!("{case_path}/transition"), &order).await, 403, "forbidden").await;
    assert_error(
        app.post_as(&w.builder, &format!("{case_path}/notes"), &json!({"body": "已整改"})).await,
        403,
        "forbidden",
    )
    .await;
    let (_o, other) = contractor(&app, "other.unit").await;
    assert_error(app.get_as(&other, &case_path).await, 404, "not_found").await;
    assert_error(app.get_as(&other, &insp_path).await, 404, "not_found").await;
    assert!(ids(&expect_status(app.get_as(&other, "/api/v1/cases").await, 200).await).is_empty());
    // A machine owned by one unit, inspected on another unit's site: both see the case.
    let (_r, renter) = contractor(&app, "renter.unit").await;
    let renter_site =
        expect_status(app.post_as(&renter, "/api/v1/sites", &site_input(&app, "租用方工地", "140105")).await, 201)
            .await;
    let on_rent = inspect(&app, &w.xiaodian, &inspection(&app, &renter_site, &m, &[3.0, 3.0, 3.0])).await;
    let rent_case = format!("/api/v1/cases/{}", on_rent["opened_cases"][0]["id"].as_str().expect("case"));
    expect_status(app.get_as(&renter, &rent_case).await, 200).await;
    expect_status(app.get_as(&w.builder, &rent_case).await, 200).await;
    assert_error(app.get_as(&renter, &case_path).await, 404, "not_found").await;
}

async fn partner_departments_read_and_add_notes_only(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let fail = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[3.0, 3.0, 3.0])).await;
    let case_id = fail["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    let insp_path = format!("/api/v1/inspections/{}", id_of(&fail));
    let case_path = format!("/api/v1/cases/{case_id}");
    app.user("xiaodian.transport", Role::PartnerViewer, Some("140105"), None).await;
    app.user("qingxu.housing", Role::PartnerViewer, Some("140121"), None).await;
    let partner = app.signed_in("xiaodian.transport").await;
    let elsewhere = app.signed_in("qingxu.housing").await;

    // Reads within the division.
    expect_status(app.get_as(&partner, &insp_path).await, 200).await;
    expect_status(app.get_as(&partner, &case_path).await, 200).await;
    expect_status(app.get_as(&partner, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await;
    let filings = expect_status(app.get_as(&partner, "/api/v1/filings").await, 200).await;
    assert_eq!(ids(&filings).len(), 1);
    let filing_id = ids(&filings)[0].clone();
    assert_error(app.get_as(&elsewhere, &case_path).await, 404, "not_found").await;

    // Every change is refused (403, or 404 where the record is not visible) — except notes.
    let today = app.today();
    let machine_path = format!("/api/v1/machines/{}", id_of(&m));
    let filing_path = format!("/api/v1/filings/{filing_id}");
    let zone_put = "/api/v1/zones/00000000-0000-7000-8000-000000014000".to_owned();
    let attempts: Vec<(reqwest::Method, String, Value)> = vec![
        (reqwest::Method::POST, "/api/v1/machines".into(), machine_input(50)),
        (reqwest::Method::PATCH, machine_path.clone(), json!({"version": m["version"], "name": "改名"})),
        (reqwest::Method::DELETE, machine_path, Value::Null),
        (reqwest::Method::POST, "/api/v1/sites".into(), site_input(&app, "x", "140105")),
        (
            reqwest::Method::POST,
            "/api/v1/filings".into(),
            json!({"site_id": w.plain_site["id"], "machine_ids": [m["id"]], "planned_entry_on": today, "planned_exit_on": today}),
        ),
        (
            reqwest::Method::PUT,
            filing_path.clone(),
            json!({"machine_ids": [m["id"]], "planned_entry_on": today, "planned_exit_on": today, "version": 2}),
        ),
        (reqwest::Method::POST, format!("{filing_path}/review"), json!({"decision": "return", "reason": "x"})),
        (reqwest::Method::POST, format!("{filing_path}/close"), Value::Null),
        (
            reqwest::Method::POST,
            format!("{filing_path}/movements"),
            json!({"machine_id": m["id"], "kind": "enter", "at": app.clock.now()}),
        ),
        (reqwest::Method::POST, "/api/v1/inspections".into(), inspection(&app, &w.plain_site, &m, &[0.1, 0.1, 0.1])),
        (reqwest::Method::POST, format!("{case_path}/transition"), json!({"to": "penalized", "penalty_yuan": 5000})),
        (
            reqwest::Method::POST,
            "/api/v1/limit-tables".into(),
            json!({"version": "x", "effective_from": today, "rows": []}),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/zones".into(),
            json!({"division_code": "140105", "name": "x", "min_diesel_stage": "stage_3", "required_class": "III", "effective_from": today}),
        ),
        (
            reqwest::Method::PUT,
            zone_put,
            json!({"division_code": "140105", "name": "x", "min_diesel_stage": "stage_3", "required_class": "III", "effective_from": today, "version": 1}),
        ),
        (
            reqwest::Method::POST,
            "/api/v1/organizations/users".into(),
            json!({"username": "sneaky", "password": "long enough password", "display_name": "x", "role": "contractor_staff"}),
        ),
    ];
    for (method, path, body) in attempts {
        let resp = app.send(&partner, method.clone(), &path, (!body.is_null()).then_some(&body)).await;
        let status = resp.status().as_u16();
        assert!(status == 403 || status == 404, "{method} {path}: {status} {}", resp.text().await.unwrap_or_default());
    }
    // Nothing changed.
    let case = expect_status(app.get_as(&w.xiaodian, &case_path).await, 200).await;
    assert_eq!((case["state"].as_str(), case["version"].as_i64()), (Some("open"), Some(1)));
    assert_eq!(ids(&expect_status(app.get_as(&w.xiaodian, "/api/v1/inspections").await, 200).await).len(), 1);

    // Joint-inspection notes, by the partner and the county's inspector, listed in the DTOs.
    let note = expect_status(
        app.post_as(&partner, &format!("{insp_path}/notes"), &json!({"body": " 交通局联合检查：车辆无号牌 "})).await,
        201,
    )
    .await;
    assert_eq!(
        (note["body"].as_str(), note["author_role"].as_str()),
        (Some("交通局联合检查：车辆无号牌"), Some("partner_viewer"))
    );
    expect_status(
        app.post_as(&w.xiaodian, &format!("{insp_path}/notes"), &json!({"body": "已告知施工单位"})).await,
        201,
    )
    .await;
    expect_status(app.post_as(&partner, &format!("{case_path}/notes"), &json!({"body": "建议从重处理"})).await, 201)
        .await;
    let body = assert_error(
        app.post_as(&partner, &format!("{case_path}/notes"), &json!({"body": "  "})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "body", &FieldError::new(FieldCode::Required));
    assert_error(app.post_as(&elsewhere, &format!("{case_path}/notes"), &json!({"body": "x"})).await, 404, "not_found")
        .await;
    app.user("taiyuan.n", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.n").await;
    assert_error(app.post_as(&city, &format!("{case_path}/notes"), &json!({"body": "x"})).await, 403, "forbidden")
        .await;
    let insp = expect_status(app.get_as(&partner, &insp_path).await, 200).await;
    let notes: Vec<&str> =
        insp["joint_notes"].as_array().expect("notes").iter().filter_map(|n| n["body"].as_str()).collect();
    assert_eq!(notes, vec!["交通局联合检查：车辆无号牌", "已告知施工单位"]);
    assert_eq!(insp["joint_notes"][1]["author_role"], "county_inspector");
    let case = expect_status(app.get_as(&partner, &case_path).await, 200).await;
    assert_eq!(case["notes"][0]["body"], "建议从重处理");
    assert_eq!(case["notes"][0]["author_name"], "xiaodian.transport");
    // Partners look machines up in the field too.
    let path = format!("/api/v1/machines/lookup?code={}", m["registration_code"].as_str().expect("code"));
    assert_eq!(expect_status(app.get_as(&partner, &path).await, 200).await["status"], "open_case");
}

async fn lookup_by_every_identifier(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let look = |c: String| {
        let app = &app;
        let client = w.xiaodian.clone();
        async move { app.get_as(&client, &format!("/api/v1/machines/lookup?code={c}")).await }
    };
    for identifier in [
        code.clone(),
        m["pin"].as_str().expect("pin").to_lowercase(),
        m["env_code"].as_str().expect("env").to_owned(),
        format!("%20{}%20", m["engine_serial"].as_str().expect("serial").to_lowercase()),
    ] {
        let got = expect_status(look(identifier.clone()).await, 200).await;
        assert_eq!(got["machine"]["id"], m["id"], "{identifier}");
        assert_eq!(got["status"], "registered_filed_here", "{identifier}");
        assert_eq!(got["owner"]["name"], "insp.builder");
        assert!(got["owner"]["uscc"].as_str().is_some_and(|u| u.len() == 18));
        assert!(got["owner"].get("contact_phone").is_none(), "no contacts in a field answer");
        assert_eq!(got["current_filing"]["site_id"], w.plain_site["id"]);
        assert_eq!(got["current_filing"]["site_name"], "小店区外围工地");
        assert_eq!(got["zone_allows"], true);
        assert!(got["last_inspection"].is_null());
        assert_eq!(got["open_cases"], json!([]));
    }
    // A wrong check character is refused outright; unknown codes are a field answer, not an error.
    let last = code.chars().last().expect("last");
    let wrong = format!("{}{}", &code[..13], if last == '0' { '1' } else { '0' });
    let body = assert_error(look(wrong).await, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["code"].is_array());
    let unissued = app::machines::regcode::RegistrationCode::issue("140105", 9_999_999).expect("code").to_string();
    for unknown in ["NO-SUCH-PIN".to_owned(), unissued, "CN000000000000999".to_owned()] {
        let got = expect_status(look(unknown.clone()).await, 200).await;
        if got["status"] == "not_registered" {
            assert!(got["machine"].is_null() && got["owner"].is_null() && got["current_filing"].is_null());
        } else {
            panic!("{unknown}: {got}");
        }
    }
    let body = assert_error(look(String::new()).await, 422, "validation_failed").await;
    assert_field(&body, "code", &FieldError::new(FieldCode::Required));
    // A machine in a fleet that was never registered: known, but not registered.
    let fleet_only = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(7)).await, 201).await;
    let got = expect_status(look(fleet_only["pin"].as_str().expect("pin").to_owned()).await, 200).await;
    assert_eq!(
        (got["status"].as_str(), got["machine"]["id"].clone()),
        (Some("not_registered"), fleet_only["id"].clone())
    );
    // Who may look up: officials yes, construction units no.
    let path = format!("/api/v1/machines/lookup?code={code}");
    assert_error(app.get_as(&w.builder, &path).await, 403, "forbidden").await;
    assert_error(app.get(&path).await, 401, "unauthorized").await;
    app.user("shanxi.l", Role::ProvinceOfficer, Some("140000"), None).await;
    let province = app.signed_in("shanxi.l").await;
    assert_eq!(expect_status(app.get_as(&province, &path).await, 200).await["status"], "registered_filed_here");

    // After a failed inspection: the last inspection and the open case show.
    let fail = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[1.0, 1.0, 1.0])).await;
    let got = expect_status(look(code.clone()).await, 200).await;
    assert_eq!(got["status"], "open_case");
    assert_eq!(
        (got["last_inspection"]["verdict"].as_str(), got["last_inspection"]["mean_k"].as_f64()),
        (Some("fail"), Some(1.0))
    );
    assert_eq!(got["last_inspection"]["limit_k"].as_f64(), Some(0.8));
    assert_eq!(got["open_cases"][0]["id"], fail["opened_cases"][0]["id"]);
    assert_eq!(got["open_cases"][0]["kind"], "failed_inspection");
    // Once the case is closed the status is back to filed here.
    let case_path = format!("/api/v1/cases/{}/transition", fail["opened_cases"][0]["id"].as_str().expect("id"));
    expect_status(app.post_as(&w.xiaodian, &case_path, &json!({"to": "closed", "note": "复测误差，撤销"})).await, 200)
        .await;
    assert_eq!(expect_status(look(code).await, 200).await["status"], "registered_filed_here");
}

async fn lookup_here_and_elsewhere(app: TestApp) {
    let w = world(&app).await;
    // A stage II diesel filed for the site outside the zone.
    let m = registered(&app, &w, &w.plain_site, 1, json!({"emission_stage": "stage_2"})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let at = |site: &Value| format!("/api/v1/machines/lookup?code={code}&site_id={}", id_of(site));
    let here = expect_status(app.get_as(&w.xiaodian, &at(&w.plain_site)).await, 200).await;
    assert_eq!((here["status"].as_str(), here["zone_allows"].as_bool()), (Some("registered_filed_here"), Some(true)));
    // Standing on the zone site of the same county: not filed there, and banned by the zone.
    let there = expect_status(app.get_as(&w.xiaodian, &at(&w.zone_site)).await, 200).await;
    assert_eq!(
        (there["status"].as_str(), there["zone_allows"].as_bool()),
        (Some("registered_not_filed_here"), Some(false))
    );
    assert_eq!(there["current_filing"]["site_id"], w.plain_site["id"], "where it is filed");
    // 清徐县's inspector finds it too (a machine from another county may stand on their sites),
    // but it is not filed in 清徐县; a 清徐 site id of theirs works, one of 小店区 is not found.
    let qingxu_path = format!("/api/v1/machines/lookup?code={code}");
    let far = expect_status(app.get_as(&w.qingxu, &qingxu_path).await, 200).await;
    assert_eq!(far["status"], "registered_not_filed_here");
    assert_eq!(far["machine"]["id"], m["id"]);
    assert_eq!(far["current_filing"]["county_code"], "140105");
    assert_error(app.get_as(&w.qingxu, &at(&w.plain_site)).await, 404, "not_found").await;
    let qingxu_site =
        expect_status(app.post_as(&w.builder, "/api/v1/sites", &site_input(&app, "清徐工地", "140121")).await, 201)
            .await;
    let on_qingxu = expect_status(app.get_as(&w.qingxu, &at(&qingxu_site)).await, 200).await;
    assert_eq!(
        (on_qingxu["status"].as_str(), on_qingxu["zone_allows"].as_bool()),
        (Some("registered_not_filed_here"), Some(false))
    );
    // Taiyuan's city officer: filed "here" means any site in their counties.
    app.user("taiyuan.h", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.h").await;
    assert_eq!(expect_status(app.get_as(&city, &qingxu_path).await, 200).await["status"], "registered_filed_here");
    // After the filing's dates, nothing covers today.
    app.clock.advance(Duration::days(40));
    let xiaodian = app.signed_in("xiaodian.i").await; // sessions expire after 8 idle hours
    let gone = expect_status(app.get_as(&xiaodian, &qingxu_path).await, 200).await;
    assert_eq!(gone["status"], "registered_not_filed_here");
    assert!(gone["current_filing"].is_null() && gone["zone_allows"].is_null());
}

/// What the look-up's one statement joins: of a machine's filings only the accepted one covering
/// today is current (not one still submitted, nor one accepted for later dates); the latest of
/// several inspections shows, and the open case; the answer is the same by session, by API
/// token, and for a city officer (whose counties are read from the divisions).
async fn lookup_joins_current_filings_and_the_latest_inspection(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let today = app.today();
    let (later_from, later_to) = (today + Duration::days(31), today + Duration::days(40));
    let later = create_filing(&app, &w.builder, &w.zone_site["id"], &[&m["id"]], later_from, later_to).await;
    let path = format!("/api/v1/machines/lookup?code={code}");
    // Submitted, then accepted for later dates: the filing covering today stays the current one.
    let got = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(
        (got["status"].as_str(), &got["current_filing"]["site_id"]),
        (Some("registered_filed_here"), &w.plain_site["id"])
    );
    let review = format!("/api/v1/filings/{}/review", id_of(&later));
    expect_status(app.post_as(&w.xiaodian, &review, &json!({"decision": "accept"})).await, 200).await;
    let got = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(got["current_filing"]["site_id"], w.plain_site["id"]);

    // Two inspections an hour apart: the later one shows, and its case.
    inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.1, 0.2, 0.3])).await;
    let got = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(got["last_inspection"]["verdict"], "pass");
    assert!((got["last_inspection"]["mean_k"].as_f64().expect("mean") - 0.2).abs() < 1e-9);
    assert_eq!(got["open_cases"], json!([]));
    app.clock.advance(Duration::hours(1));
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[1.2, 1.2, 1.2])).await;
    let by_session = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(by_session["status"], "open_case");
    assert_eq!(by_session["last_inspection"]["verdict"], "fail");
    assert_eq!(by_session["last_inspection"]["mean_k"].as_f64(), Some(1.2));
    let cases: Vec<&Value> = by_session["open_cases"].as_array().expect("cases").iter().map(|c| &c["id"]).collect();
    assert_eq!(cases, vec![&failed["opened_cases"][0]["id"]]);

    // The same answer through an API token, and for Taiyuan's city officer.
    let issued =
        expect_status(app.post_as(&w.xiaodian, "/api/v1/auth/tokens", &json!({"name": "field"})).await, 201).await;
    let token = issued["token"].as_str().expect("token");
    let resp = TestApp::new_client().get(app.url(&path)).bearer_auth(token).send().await.expect("look-up");
    assert_eq!(expect_status(resp, 200).await, by_session);
    app.user("taiyuan.c", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.c").await;
    assert_eq!(expect_status(app.get_as(&city, &path).await, 200).await, by_session);

    // When the later filing's dates come, it is the current one, in the zone.
    app.clock.advance(Duration::days(35));
    let xiaodian = app.signed_in("xiaodian.i").await; // sessions expire after 8 idle hours
    let got = expect_status(app.get_as(&xiaodian, &path).await, 200).await;
    assert_eq!(got["current_filing"]["id"], later["id"]);
    assert_eq!(got["current_filing"]["site_name"], "小店区内工地");
    let at_plain = format!("{path}&site_id={}", id_of(&w.plain_site));
    let got = expect_status(app.get_as(&xiaodian, &at_plain).await, 200).await;
    assert_eq!((got["status"].as_str(), &got["current_filing"]["id"]), (Some("open_case"), &later["id"]));
}

#[tokio::test]
async fn the_openapi_document_lists_inspections_and_cases() {
    let app = TestApp::sqlite().await;
    let doc = expect_status(app.get("/api/v1/openapi.json").await, 200).await;
    for (path, method) in [
        ("/api/v1/compliance/evaluate", "post"),
        ("/api/v1/limit-tables", "post"),
        ("/api/v1/limit-tables/current", "get"),
        ("/api/v1/zones/{id}", "put"),
        ("/api/v1/inspections", "post"),
        ("/api/v1/inspections/{id}/notes", "post"),
        ("/api/v1/machines/lookup", "get"),
        ("/api/v1/cases", "get"),
        ("/api/v1/cases/{id}/transition", "post"),
        ("/api/v1/cases/{id}/notes", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing");
    }
    for schema in
        ["Evaluation", "EvaluateInput", "LimitTable", "Zone", "Inspection", "LookupResult", "CaseDetail", "Reason"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema} missing");
    }
}

/// The generator's registered fleet (what `scripts/bench-lookup.sh` looks up): every machine
/// carries a valid code of the county, found by the look-up as filed there; the county's counter
/// moves on, so the next code issued by a review does not collide.
async fn generated_registered_fleet_is_looked_up(app: TestApp) {
    let g = server::generate::generate_with(&app.state, 30, "140121", true).await.expect("generate");
    assert_eq!((g.machines, g.filings), (30, 1));
    let qingxu = inspector(&app, "gen.qingxu", "140121").await;
    let listed = expect_status(app.get_as(&qingxu, "/api/v1/machines?limit=100").await, 200).await;
    let codes: Vec<String> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["registration_code"].as_str().expect("a code").to_owned())
        .collect();
    assert_eq!(codes.len(), 30);
    // PostgreSQL's rows go in by COPY, SQLite's by INSERT: the same values either way.
    let first = &listed["items"][0];
    assert_eq!(first["brand"], "三一", "text as written: {first}");
    assert!(first["info_disclosure_no"].is_null(), "a missing value is NULL, not an empty string: {first}");
    for code in [&codes[0], &codes[29]] {
        app::machines::regcode::RegistrationCode::parse(code).expect("a valid code");
        assert!(code.starts_with("140121"));
        let found =
            expect_status(app.get_as(&qingxu, &format!("/api/v1/machines/lookup?code={code}")).await, 200).await;
        assert_eq!(found["status"], "registered_filed_here");
    }
    // A real review in the county afterwards issues the next number.
    let w = world(&app).await;
    let qingxu_site =
        expect_status(app.post_as(&w.builder, "/api/v1/sites", &site_input(&app, "清徐工地", "140121")).await, 201)
            .await;
    let m = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(77)).await, 201).await;
    let today = app.today();
    let f = create_filing(&app, &w.builder, &qingxu_site["id"], &[&m["id"]], today, today + Duration::days(9)).await;
    let path = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&w.qingxu, &path, &json!({"decision": "accept"})).await, 200).await;
    let m = expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await;
    let code = m["registration_code"].as_str().expect("code");
    assert!(!codes.iter().any(|c| c == code), "{code} was issued twice");
    assert_eq!(&code[6..13], "0000031");
}

/// The generator's units: each has its own site in the counties taken in turn, the machines
/// are shared out (the first units take the remainder), and each county sees only its own.
async fn generated_units_share_the_machines_across_counties(app: TestApp) {
    let counties = ["140105".to_owned(), "140121".to_owned()];
    let units = server::generate::generate_units(&app.state, 3, 11, &counties, false).await.expect("generate");
    assert_eq!(units.iter().map(|g| g.machines).collect::<Vec<_>>(), vec![4, 4, 3]);
    let orgs: std::collections::HashSet<_> = units.iter().map(|g| g.organization_id).collect();
    let sites: std::collections::HashSet<_> = units.iter().map(|g| g.site_id).collect();
    assert_eq!((orgs.len(), sites.len()), (3, 3), "a unit and a site each");
    for (code, expected) in [("140105", 7), ("140121", 4)] {
        let officer = inspector(&app, &format!("gen.{code}"), code).await;
        let listed = expect_status(app.get_as(&officer, "/api/v1/machines?limit=100").await, 200).await;
        assert_eq!(listed["items"].as_array().expect("items").len(), expected, "machines filed in {code}");
    }
    let none = server::generate::generate_units(&app.state, 0, 10, &counties, false).await;
    assert!(none.is_err(), "no units is refused");
}
