//! Limit tables belong to a division: national ones by system administrators only, a province's
//! or a city's by its own officers (no laxer than the table they narrow, not in the past, unique
//! per division); an inspection is judged with the most specific table in force for its county
//! and stores it; the phone's table and `/compliance/evaluate` pick the same one.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, create_site, expect_status, id_of, inspector};
use crate::inspections::{inspect, inspection, registered, world};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    a_city_table_applies_in_that_city_only,
    local_tables_are_checked,
    the_most_specific_table_judges_and_is_stored
);

/// The national table in force now.
async fn national(app: &TestApp) -> Value {
    expect_status(app.get("/api/v1/limit-tables/current").await, 200).await
}

/// A table body from `base`'s rows, with the k limit of class II at 37 kW and above (row 6 of
/// GB 36886-2018) set to `k`.
fn table(base: &Value, version: &str, effective_from: chrono::NaiveDate, k: f64) -> Value {
    let mut rows = base["rows"].clone();
    let row = rows
        .as_array_mut()
        .expect("rows")
        .iter_mut()
        .find(|r| r["class"] == "II" && r["power_min_kw"] == 37.0)
        .expect("class II, P >= 37");
    row["k_limit"] = json!(k);
    json!({"version": version, "effective_from": effective_from, "rows": rows})
}

async fn publish(app: &TestApp, client: &reqwest::Client, body: &Value) -> reqwest::Response {
    app.post_as(client, "/api/v1/limit-tables", body).await
}

async fn signed(app: &TestApp, name: &str, role: Role, division: Option<&str>) -> reqwest::Client {
    app.user(name, role, division, None).await;
    app.signed_in(name).await
}

async fn a_city_table_applies_in_that_city_only(app: TestApp) {
    let w = world(&app).await;
    let base = national(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let taiyuan = signed(&app, "lt.taiyuan", Role::CityOfficer, Some("140100")).await;
    let today = app.today();
    let ty =
        expect_status(app.post_as(&taiyuan, "/api/v1/limit-tables", &table(&base, "TY-2026", today, 0.6)).await, 201)
            .await;
    assert_eq!((ty["division_code"].as_str(), ty["division_name"].as_str()), (Some("140100"), Some("太原市")));

    // The table each county is judged with: Taiyuan's counties the city's, Datong's the national.
    let for_county = |code: &str| format!("/api/v1/limit-tables/current?county_code={code}");
    assert_eq!(expect_status(app.get(&for_county("140105")).await, 200).await["id"], ty["id"]);
    assert_eq!(expect_status(app.get(&for_county("140121")).await, 200).await["id"], ty["id"]);
    assert_eq!(expect_status(app.get(&for_county("140213")).await, 200).await["id"], base["id"]);
    assert_eq!(national(&app).await["id"], base["id"], "without a county: the national table");
    let err = assert_error(app.get(&for_county("149999")).await, 422, "validation_failed").await;
    assert_field(&err, "county_code", &FieldError::new(FieldCode::UnknownDivision));

    // An inspection in 小店区 at 0.7: over the city's 0.6, under the national 0.8.
    let here = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.7, 0.7, 0.7])).await;
    assert_eq!((here["verdict"].as_str(), here["limit_k"].as_f64()), (Some("fail"), Some(0.6)));
    assert_eq!(
        (
            here["limit_table_id"].as_str(),
            here["limit_table_version"].as_str(),
            here["limit_table_division_code"].as_str()
        ),
        (ty["id"].as_str(), Some("TY-2026"), Some("140100"))
    );
    // The same machine and readings in 平城区 (Datong): the national table.
    let pingcheng = inspector(&app, "lt.pingcheng", "140213").await;
    let datong_site = create_site(&app, &w.builder, "平城区工地", "140213").await;
    let there = inspect(&app, &pingcheng, &inspection(&app, &datong_site, &m, &[0.7, 0.7, 0.7])).await;
    assert_eq!((there["verdict"].as_str(), there["limit_k"].as_f64()), (Some("pass"), Some(0.8)));
    assert_eq!(
        (there["limit_table_id"].as_str(), there["limit_table_division_code"].clone()),
        (base["id"].as_str(), Value::Null)
    );

    // `/compliance/evaluate` picks by `county_code`, the national table without one.
    let eval = |county: Option<&str>| {
        let mut body = json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.7, 0.7, 0.7]});
        if let Some(c) = county {
            body["county_code"] = json!(c);
        }
        body
    };
    for (county, verdict, k) in [(Some("140105"), "fail", 0.6), (Some("140213"), "pass", 0.8), (None, "pass", 0.8)] {
        let got = expect_status(app.post_json("/api/v1/compliance/evaluate", &eval(county)).await, 200).await;
        assert_eq!((got["verdict"].as_str(), got["limit_k"].as_f64()), (Some(verdict), Some(k)), "{county:?}");
    }
    // The tables page says where each table stands for the reader: Taiyuan's officer sees the
    // city's table in force and the national one superseded; Datong's inspector the national
    // one in force and Taiyuan's without a standing (another city's).
    let standing_of = |html: &str, version: &str| -> Option<String> {
        let list = &html[html.find("data-testid=\"table-list\"").expect("table list")..];
        let item = list.split("<li").find(|li| li.contains(&format!("<strong>{version}<")))?;
        let at = item.find("data-testid=\"table-standing\"")?;
        let text = &item[at..];
        let text = &text[text.find('>')? + 1..];
        Some(text[..text.find('<')?].to_owned())
    };
    let gb = base["version"].as_str().expect("national version").to_owned();
    let officer = crate::helpers::signed_in_with_language(&app, "lt.taiyuan", "en").await;
    let html = crate::helpers::page_html(&app, &officer, "/limits").await;
    assert_eq!(standing_of(&html, "TY-2026").as_deref(), Some("In force for your division"));
    assert_eq!(standing_of(&html, &gb).as_deref(), Some("Superseded"));
    let datong = crate::helpers::signed_in_with_language(&app, "lt.pingcheng", "en").await;
    let html = crate::helpers::page_html(&app, &datong, "/limits").await;
    assert_eq!(standing_of(&html, &gb).as_deref(), Some("In force for your division"));
    assert_eq!(standing_of(&html, "TY-2026"), None);
}

async fn local_tables_are_checked(app: TestApp) {
    let base = national(&app).await;
    let today = app.today();
    let taiyuan = signed(&app, "ck.taiyuan", Role::CityOfficer, Some("140100")).await;
    let province = signed(&app, "ck.province", Role::ProvinceOfficer, Some("140000")).await;
    let admin = signed(&app, "ck.admin", Role::Sysadmin, None).await;
    let county = signed(&app, "ck.county", Role::CountyInspector, Some("140105")).await;
    let partner = signed(&app, "ck.partner", Role::PartnerViewer, Some("140100")).await;
    let (_org, unit) = crate::helpers::contractor(&app, "ck.unit").await;

    // Roles that publish none.
    for who in [&county, &partner, &unit] {
        assert_error(publish(&app, who, &table(&base, "X-1", today, 0.8)).await, 403, "forbidden").await;
    }
    // A laxer row is named by its position (row 6: class II, 37 kW and above, 0.80 nationally).
    let err =
        assert_error(publish(&app, &taiyuan, &table(&base, "TY-LAX", today, 0.9)).await, 422, "validation_failed")
            .await;
    let laxer = FieldError::new(FieldCode::LaxerRow)
        .with("position", 6)
        .with("class", "II")
        .with("k_limit", 0.8)
        .with("ringelmann_max", 1);
    assert_field(&err, "rows", &laxer);
    // Dropping the class III row would judge zone machines laxer.
    let mut no_three = table(&base, "TY-NO3", today, 0.8);
    no_three["rows"].as_array_mut().expect("rows").retain(|r| r["class"] != "III");
    let err = assert_error(publish(&app, &taiyuan, &no_three).await, 422, "validation_failed").await;
    assert_field(&err, "rows", &FieldError::new(FieldCode::ClassNotCovered).with("class", "III"));
    // A row the parent lacks is held to the row the parent judges with: nationally a zone
    // machine below 37 kW is judged with class II, so a class III row for it may not be laxer.
    let mut extra_three = table(&base, "TY-X3", today, 0.8);
    let small_two = base["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["class"] == "II" && r["power_max_kw"] == 37.0)
        .cloned()
        .expect("class II, 19-37 kW");
    let rows = extra_three["rows"].as_array_mut().expect("rows");
    rows.push(json!({"class": "III", "power_min_kw": null, "power_max_kw": 37.0,
        "k_limit": small_two["k_limit"].as_f64().expect("k") + 0.5, "ringelmann_max": 1}));
    let position = rows.len();
    let err = assert_error(publish(&app, &taiyuan, &extra_three).await, 422, "validation_failed").await;
    let expected = FieldError::new(FieldCode::LaxerRow)
        .with("position", position)
        .with("class", "III")
        .with("k_limit", small_two["k_limit"].as_f64().expect("k"))
        .with("ringelmann_max", small_two["ringelmann_max"].as_i64().expect("level"));
    assert_field(&err, "rows", &expected);
    // Not in the past.
    let err = assert_error(
        publish(&app, &taiyuan, &table(&base, "TY-OLD", today - Duration::days(1), 0.7)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "effective_from", &FieldError::new(FieldCode::InThePast));
    // Only for one's own division.
    let mut other = table(&base, "TY-X", today, 0.7);
    other["division_code"] = json!("140200");
    assert_error(publish(&app, &taiyuan, &other).await, 403, "forbidden").await;
    other["division_code"] = json!("140000");
    assert_error(publish(&app, &taiyuan, &other).await, 403, "forbidden").await;
    other["division_code"] = json!("149999");
    let err = assert_error(publish(&app, &taiyuan, &other).await, 422, "validation_failed").await;
    assert_field(&err, "division_code", &FieldError::new(FieldCode::UnknownDivision));
    other["division_code"] = json!("140100");
    let own = expect_status(publish(&app, &taiyuan, &other).await, 201).await;
    assert_eq!(own["division_code"], "140100");

    // National tables: system administrators only, and they name no division.
    let mut national_named = table(&base, "GB-X", today, 0.8);
    national_named["division_code"] = json!("140000");
    assert_error(publish(&app, &admin, &national_named).await, 403, "forbidden").await;
    let gb =
        expect_status(publish(&app, &admin, &table(&base, "GB36886-2026", today + Duration::days(30), 0.8)).await, 201)
            .await;
    assert_eq!(gb["division_code"], Value::Null);
    // A province officer's table is the province's, never national.
    let sx = expect_status(publish(&app, &province, &table(&base, "SX-2026", today, 0.65)).await, 201).await;
    assert_eq!((sx["division_code"].as_str(), sx["division_name"].as_str()), (Some("140000"), Some("山西省")));
    // Now a city table narrows the province's: 0.70 is within the national 0.80 but laxer than
    // the province's 0.65.
    let err = assert_error(
        publish(&app, &taiyuan, &table(&base, "TY-2", today + Duration::days(1), 0.7)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(
        &err,
        "rows",
        &FieldError::new(FieldCode::LaxerRow)
            .with("position", 6)
            .with("class", "II")
            .with("k_limit", 0.65)
            .with("ringelmann_max", 1),
    );
    expect_status(publish(&app, &taiyuan, &table(&base, "TY-2", today + Duration::days(1), 0.6)).await, 201).await;

    // Version and date are unique within a division only.
    assert_error(
        publish(&app, &taiyuan, &table(&base, "TY-2", today + Duration::days(2), 0.6)).await,
        409,
        "duplicate_version",
    )
    .await;
    assert_error(
        publish(&app, &taiyuan, &table(&base, "TY-3", today + Duration::days(1), 0.6)).await,
        409,
        "duplicate_effective_date",
    )
    .await;
    let datong = signed(&app, "ck.datong", Role::CityOfficer, Some("140200")).await;
    let same =
        expect_status(publish(&app, &datong, &table(&base, "TY-2", today + Duration::days(1), 0.6)).await, 201).await;
    assert_eq!(same["division_code"], "140200");
    // The list names each table's division; it can be narrowed to one.
    let list = expect_status(app.get("/api/v1/limit-tables?division_code=140100").await, 200).await;
    let versions: Vec<&str> =
        list["items"].as_array().expect("items").iter().filter_map(|t| t["version"].as_str()).collect();
    assert_eq!(versions, vec!["TY-2", "TY-X"]);
    let list = expect_status(app.get("/api/v1/limit-tables?division_code=national&limit=1").await, 200).await;
    assert_eq!(list["items"][0]["id"], gb["id"]);
    let next = list["next_cursor"].as_str().expect("a second page");
    let list = expect_status(
        app.get(&format!("/api/v1/limit-tables?division_code=national&limit=1&cursor={next}")).await,
        200,
    )
    .await;
    assert_eq!(list["items"][0]["id"], base["id"]);
    // Every table, paged by one: each once, latest effective date first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/limit-tables?limit=1&cursor={c}"),
            None => "/api/v1/limit-tables?limit=1".to_owned(),
        };
        let page = expect_status(app.get(&path).await, 200).await;
        seen.extend(page["items"].as_array().expect("items").iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 6);
}

async fn the_most_specific_table_judges_and_is_stored(app: TestApp) {
    let w = world(&app).await;
    let base = national(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let today = app.today();
    let province = signed(&app, "sp.province", Role::ProvinceOfficer, Some("140000")).await;
    let taiyuan = signed(&app, "sp.taiyuan", Role::CityOfficer, Some("140100")).await;
    let admin = signed(&app, "sp.admin", Role::Sysadmin, None).await;
    let sx =
        expect_status(app.post_as(&province, "/api/v1/limit-tables", &table(&base, "SX-1", today, 0.7)).await, 201)
            .await;
    let ty = expect_status(
        app.post_as(&taiyuan, "/api/v1/limit-tables", &table(&base, "TY-1", today + Duration::days(2), 0.6)).await,
        201,
    )
    .await;
    // A stricter national revision, published after both, in force in ten days.
    let gb = expect_status(
        app.post_as(&admin, "/api/v1/limit-tables", &table(&base, "GB-2", today + Duration::days(10), 0.55)).await,
        201,
    )
    .await;
    let pingcheng = inspector(&app, "sp.pingcheng", "140213").await;
    let datong_site = create_site(&app, &w.builder, "平城区工地", "140213").await;
    let judged = |i: &Value| (i["limit_table_id"].as_str().map(str::to_owned), i["limit_k"].as_f64());

    // Today: the province's table in both cities (Taiyuan's is not in force yet).
    let i = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (sx["id"].as_str().map(str::to_owned), Some(0.7)));
    let i = inspect(&app, &pingcheng, &inspection(&app, &datong_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (sx["id"].as_str().map(str::to_owned), Some(0.7)));

    // In three days: Taiyuan's city table in Taiyuan, the province's in Datong; stored, and the
    // phone is handed the same table.
    app.clock.advance(Duration::days(3));
    let xiaodian = app.signed_in("xiaodian.i").await; // sessions expire after 8 idle hours
    let pingcheng = app.signed_in("sp.pingcheng").await;
    let i = inspect(&app, &xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (ty["id"].as_str().map(str::to_owned), Some(0.6)));
    let stored = expect_status(app.get_as(&xiaodian, &format!("/api/v1/inspections/{}", id_of(&i))).await, 200).await;
    assert_eq!(
        (stored["limit_table_division_code"].as_str(), stored["limit_table_version"].as_str()),
        (Some("140100"), Some("TY-1"))
    );
    let phone = expect_status(app.get("/api/v1/limit-tables/current?county_code=140105").await, 200).await;
    assert_eq!(phone["id"], ty["id"]);
    let i = inspect(&app, &pingcheng, &inspection(&app, &datong_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (sx["id"].as_str().map(str::to_owned), Some(0.7)));

    // From the national revision's date it supersedes the older local tables everywhere, until a
    // local division publishes a new version (checked against it).
    app.clock.advance(Duration::days(8));
    let xiaodian = app.signed_in("xiaodian.i").await;
    let i = inspect(&app, &xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (gb["id"].as_str().map(str::to_owned), Some(0.55)));
    let taiyuan = app.signed_in("sp.taiyuan").await;
    let err = assert_error(
        app.post_as(&taiyuan, "/api/v1/limit-tables", &table(&base, "TY-2", app.today(), 0.6)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(
        &err,
        "rows",
        &FieldError::new(FieldCode::LaxerRow)
            .with("position", 6)
            .with("class", "II")
            .with("k_limit", 0.55)
            .with("ringelmann_max", 1),
    );
    let ty2 = expect_status(
        app.post_as(&taiyuan, "/api/v1/limit-tables", &table(&base, "TY-2", app.today(), 0.5)).await,
        201,
    )
    .await;
    let i = inspect(&app, &xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(judged(&i), (ty2["id"].as_str().map(str::to_owned), Some(0.5)));
}
