//! Statistics and the county ranking: a small known dataset in two counties of Taiyuan
//! (小店区 140105, 清徐县 140121) and one county of Datong (平城区 140213); exact figures for a
//! county, the city and the province; each role's scope (other divisions are 404, construction
//! units 403); the date range moving the monthly figures; the dashboard page rendered with its
//! SVG charts and tables before any script runs.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, expect_status, id_of, inspector, machine_input,
    site_input,
};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use app::stats::month_key;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

db_tests!(
    figures_of_a_county_a_city_and_the_province,
    each_role_sees_its_own_divisions,
    the_date_range_moves_the_monthly_figures,
    overdue_cases_follow_the_clock,
    dashboard_renders_charts_and_tables_without_scripts,
    registered_machines_include_those_filed_from_tomorrow,
);

/// The dataset. 小店区: machines 1 (excavator, stage IV diesel), 2 (loader, stage III diesel),
/// 3 (forklift, electric) accepted; machine 5 (roller) filed but not reviewed. Inspections there:
/// 1 passes now and 62 days ago, 2 fails now (a case), 3 is exempt now. 清徐县: machine 4
/// (excavator) accepted, fails now (a case). 平城区: machine 6 (excavator) accepted, passes.
struct Data {
    xiaodian: reqwest::Client,
    qingxu: reqwest::Client,
    /// The case of machine 2 in 小店区.
    xiaodian_case: String,
    /// When the present inspections and all filings happened, and the back-dated inspection.
    now: DateTime<Utc>,
    earlier: DateTime<Utc>,
}

fn china_month(t: DateTime<Utc>) -> String {
    month_key(app::dates::china_date(t))
}

async fn machine(app: &TestApp, builder: &reqwest::Client, n: u32, changes: Value) -> Value {
    let mut body = machine_input(n);
    if let (Some(b), Some(c)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    expect_status(app.post_as(builder, "/api/v1/machines", &body).await, 201).await
}

async fn plain_site(app: &TestApp, builder: &reqwest::Client, name: &str, county: &str) -> Value {
    let body = site_input(app, name, county);
    let site = expect_status(app.post_as(builder, "/api/v1/sites", &body).await, 201).await;
    crate::sites::mark_out_of_zone(app, &site).await
}

async fn file(app: &TestApp, builder: &reqwest::Client, site: &Value, machines: &[&Value]) -> Value {
    let today = app.today();
    let ids: Vec<&Value> = machines.iter().map(|m| &m["id"]).collect();
    create_filing(app, builder, &site["id"], &ids, today, today + Duration::days(30)).await
}

async fn accept(app: &TestApp, officer: &reqwest::Client, filing: &Value) {
    let path = format!("/api/v1/filings/{}/review", id_of(filing));
    expect_status(app.post_as(officer, &path, &json!({"decision": "accept"})).await, 200).await;
}

async fn inspect(
    app: &TestApp,
    officer: &reqwest::Client,
    site: &Value,
    machine: &Value,
    at: DateTime<Utc>,
    k: f64,
) -> Value {
    let body = json!({
        "site_id": site["id"], "machine_id": machine["id"], "inspected_at": at,
        "opacity_readings": [k, k, k], "label_present": true,
    });
    expect_status(app.post_as(officer, "/api/v1/inspections", &body).await, 201).await
}

async fn data(app: &TestApp) -> Data {
    let (_org, builder) = contractor(app, "stats.builder").await;
    let xiaodian = inspector(app, "stats.xiaodian", "140105").await;
    let qingxu = inspector(app, "stats.qingxu", "140121").await;
    let pingcheng = inspector(app, "stats.pingcheng", "140213").await;
    let a = plain_site(app, &builder, "小店区工地", "140105").await;
    let b = plain_site(app, &builder, "清徐县工地", "140121").await;
    let c = plain_site(app, &builder, "平城区工地", "140213").await;

    let m1 = machine(app, &builder, 1, json!({})).await;
    let m2 = machine(app, &builder, 2, json!({"machine_type": "loader", "emission_stage": "stage_3"})).await;
    let m3 = machine(
        app,
        &builder,
        3,
        json!({"machine_type": "forklift", "emission_stage": "electric", "fuel_type": "electric", "rated_power_kw": 30.0,
               "engine_model": null, "engine_serial": null, "engine_maker": null, "dpf_fitted": false}),
    )
    .await;
    let m4 = machine(app, &builder, 4, json!({})).await;
    let m5 = machine(app, &builder, 5, json!({"machine_type": "roller"})).await;
    let m6 = machine(app, &builder, 6, json!({})).await;

    let now = app.clock.now();
    let f1 = file(app, &builder, &a, &[&m1, &m2, &m3]).await;
    accept(app, &xiaodian, &f1).await;
    file(app, &builder, &a, &[&m5]).await; // submitted, never accepted: not counted
    let f3 = file(app, &builder, &b, &[&m4]).await;
    accept(app, &qingxu, &f3).await;
    let f4 = file(app, &builder, &c, &[&m6]).await;
    accept(app, &pingcheng, &f4).await;

    let at = now - Duration::minutes(1);
    let earlier = now - Duration::days(62);
    inspect(app, &xiaodian, &a, &m1, at, 0.2).await;
    inspect(app, &xiaodian, &a, &m1, earlier, 0.2).await;
    let fail = inspect(app, &xiaodian, &a, &m2, at, 2.0).await;
    let exempt = inspect(app, &xiaodian, &a, &m3, at, 0.2).await;
    assert_eq!(exempt["verdict"], "exempt");
    inspect(app, &qingxu, &b, &m4, at, 2.0).await;
    inspect(app, &pingcheng, &c, &m6, at, 0.2).await;
    let xiaodian_case = format!("/api/v1/cases/{}", fail["opened_cases"][0]["id"].as_str().expect("case"));
    Data { xiaodian, qingxu, xiaodian_case, now: at, earlier }
}

fn counts(list: &Value) -> Vec<(String, i64)> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|c| (c["key"].as_str().expect("key").to_owned(), c["count"].as_i64().expect("count")))
        .collect()
}

fn pairs(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect()
}

fn month<'a>(list: &'a Value, key: &str) -> &'a Value {
    list.as_array().expect("months").iter().find(|m| m["month"] == key).expect("month in the series")
}

fn range(app: &TestApp) -> String {
    let today = app.today();
    format!("from={}&to={}", today - Duration::days(90), today)
}

async fn figures_of_a_county_a_city_and_the_province(app: TestApp) {
    let d = data(&app).await;
    app.user("stats.city", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("stats.city").await;
    let r = range(&app);

    // 小店区, as the city officer sees it.
    let s = expect_status(app.get_as(&city, &format!("/api/v1/stats?division_code=140105&{r}")).await, 200).await;
    assert_eq!(s["division"]["name"], "小店区");
    let t = &s["totals"];
    assert_eq!((t["machines"].as_i64(), t["filings"].as_i64(), t["inspections"].as_i64()), (Some(3), Some(2), Some(4)));
    assert_eq!((t["passed"].as_i64(), t["failed"].as_i64(), t["exempt"].as_i64()), (Some(2), Some(1), Some(1)));
    assert!((t["pass_rate"].as_f64().expect("rate") - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        (t["cases_opened"].as_i64(), t["open_cases"].as_i64(), t["overdue_cases"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    let types: Vec<(String, i64, String)> = s["machines_by_type"]
        .as_array()
        .expect("types")
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
                c["name_zh"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(types.len(), 3);
    assert!(types.contains(&("excavator".into(), 1, "挖掘机".into())));
    assert!(types.iter().any(|t| t.0 == "loader" && t.1 == 1) && types.iter().any(|t| t.0 == "forklift" && t.1 == 1));
    assert_eq!(
        counts(&s["machines_by_stage"]),
        pairs(&[("pre_standard", 0), ("stage_1", 0), ("stage_2", 0), ("stage_3", 1), ("stage_4", 1), ("electric", 1)])
    );
    assert_eq!(
        counts(&s["machines_by_fuel"]),
        pairs(&[("diesel", 2), ("petrol", 0), ("electric", 1), ("natural_gas", 0), ("other", 0)])
    );
    let this_month = china_month(d.now);
    let f = month(&s["filings_by_month"], &this_month);
    assert_eq!((f["total"].as_i64(), f["accepted"].as_i64(), f["submitted"].as_i64()), (Some(2), Some(1), Some(1)));
    let i = month(&s["inspections_by_month"], &this_month);
    assert_eq!(
        (i["inspections"].as_i64(), i["passed"].as_i64(), i["failed"].as_i64(), i["exempt"].as_i64()),
        (Some(3), Some(1), Some(1), Some(1))
    );
    assert_eq!(i["pass_rate"].as_f64(), Some(0.5));
    let e = month(&s["inspections_by_month"], &china_month(d.earlier));
    assert_eq!((e["inspections"].as_i64(), e["pass_rate"].as_f64()), (Some(1), Some(1.0)));
    assert_eq!(
        counts(&s["open_cases_by_state"]),
        pairs(&[("open", 1), ("rectification_ordered", 0), ("penalized", 0)])
    );

    // Taiyuan as a whole: both counties, nothing from Datong.
    let s = expect_status(app.get_as(&city, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!(s["division"]["code"], "140100");
    let t = &s["totals"];
    assert_eq!(
        (
            t["machines"].as_i64(),
            t["filings"].as_i64(),
            t["inspections"].as_i64(),
            t["passed"].as_i64(),
            t["failed"].as_i64()
        ),
        (Some(4), Some(3), Some(5), Some(2), Some(2))
    );
    assert_eq!((t["pass_rate"].as_f64(), t["open_cases"].as_i64()), (Some(0.5), Some(2)));
    assert_eq!(counts(&s["machines_by_fuel"])[0], ("diesel".to_owned(), 3));

    // The ranking within Taiyuan: every county of the city, 小店区 first by machines; by pass
    // rate 小店区 (2/3) before 清徐县 (0), counties with nothing judged last.
    let k =
        expect_status(app.get_as(&city, &format!("/api/v1/stats/ranking?division_code=140105&{r}")).await, 200).await;
    assert_eq!(k["within"]["code"], "140100");
    let rows = k["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|r| r["county_code"].as_str().is_some_and(|c| c.starts_with("1401"))));
    let top: Vec<(i64, &str, i64)> = rows
        .iter()
        .take(3)
        .map(|r| (r["rank"].as_i64().unwrap(), r["county_code"].as_str().unwrap(), r["machines"].as_i64().unwrap()))
        .collect();
    assert_eq!(top, vec![(1, "140105", 3), (2, "140121", 1), (3, "140106", 0)]);
    assert_eq!(
        (rows[0]["filings"].as_i64(), rows[0]["inspections"].as_i64(), rows[0]["open_cases"].as_i64()),
        (Some(2), Some(4), Some(1))
    );
    assert_eq!((rows[1]["pass_rate"].as_f64(), rows[1]["open_cases"].as_i64()), (Some(0.0), Some(1)));
    let k = expect_status(app.get_as(&city, &format!("/api/v1/stats/ranking?by=pass_rate&{r}")).await, 200).await;
    let rows = k["rows"].as_array().expect("rows");
    assert_eq!((rows[0]["county_code"].as_str(), rows[1]["county_code"].as_str()), (Some("140105"), Some("140121")));
    assert!(rows[2]["pass_rate"].is_null() && rows[2]["rank"] == 3 && rows[9]["rank"] == 3);

    // The province: all three counties, ranked among every county of Shanxi.
    app.user("stats.province", Role::ProvinceOfficer, Some("140000"), None).await;
    let province = app.signed_in("stats.province").await;
    let s = expect_status(app.get_as(&province, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!((s["totals"]["machines"].as_i64(), s["totals"]["inspections"].as_i64()), (Some(5), Some(6)));
    assert_eq!(s["totals"]["pass_rate"].as_f64(), Some(0.6));
    let k = expect_status(app.get_as(&province, &format!("/api/v1/stats/ranking?{r}")).await, 200).await;
    assert_eq!(k["within"]["code"], "140000");
    let rows = k["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 117);
    let ranked: Vec<(&str, i64)> =
        rows.iter().take(3).map(|r| (r["county_code"].as_str().unwrap(), r["machines"].as_i64().unwrap())).collect();
    assert_eq!(ranked, vec![("140105", 3), ("140121", 1), ("140213", 1)]);
    assert_eq!((rows[1]["rank"].as_i64(), rows[2]["rank"].as_i64()), (Some(2), Some(2)), "equal figures share a rank");
    drop(d.qingxu);
}

async fn each_role_sees_its_own_divisions(app: TestApp) {
    let d = data(&app).await;
    let r = range(&app);

    // A county inspector: its county by default; another county or the city is not found.
    let s = expect_status(app.get_as(&d.xiaodian, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!((s["division"]["code"].as_str(), s["totals"]["machines"].as_i64()), (Some("140105"), Some(3)));
    for code in ["140121", "140100", "140000", "140213", "999999"] {
        assert_error(app.get_as(&d.xiaodian, &format!("/api/v1/stats?division_code={code}")).await, 404, "not_found")
            .await;
        assert_error(
            app.get_as(&d.xiaodian, &format!("/api/v1/stats/ranking?division_code={code}")).await,
            404,
            "not_found",
        )
        .await;
    }
    // Its ranking is within the city but lists only what it may see: itself.
    let k = expect_status(app.get_as(&d.qingxu, &format!("/api/v1/stats/ranking?{r}")).await, 200).await;
    assert_eq!(k["within"]["code"], "140100");
    let rows = k["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["county_code"].as_str(), rows[0]["machines"].as_i64(), rows[0]["rank"].as_i64()),
        (Some("140121"), Some(1), Some(1))
    );

    // A city officer: its city and counties, not another city's.
    app.user("stats.datong", Role::CityOfficer, Some("140200"), None).await;
    let datong = app.signed_in("stats.datong").await;
    let s = expect_status(app.get_as(&datong, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!((s["totals"]["machines"].as_i64(), s["totals"]["inspections"].as_i64()), (Some(1), Some(1)));
    assert_error(app.get_as(&datong, "/api/v1/stats?division_code=140105").await, 404, "not_found").await;
    assert_error(app.get_as(&datong, "/api/v1/stats?division_code=140100").await, 404, "not_found").await;
    let k =
        expect_status(app.get_as(&datong, &format!("/api/v1/stats/ranking?division_code=140213&{r}")).await, 200).await;
    let rows = k["rows"].as_array().expect("rows");
    assert!(!rows.is_empty() && rows.iter().all(|r| r["county_code"].as_str().is_some_and(|c| c.starts_with("1402"))));
    assert_eq!(rows[0]["county_code"], "140213");

    // A partner department of a county reads it; a system administrator reads the province.
    app.user("stats.partner", Role::PartnerViewer, Some("140105"), None).await;
    let partner = app.signed_in("stats.partner").await;
    let s = expect_status(app.get_as(&partner, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!(s["totals"]["machines"], 3);
    assert_error(app.get_as(&partner, "/api/v1/stats?division_code=140121").await, 404, "not_found").await;
    app.user("stats.admin", Role::Sysadmin, None, None).await;
    let admin = app.signed_in("stats.admin").await;
    let s = expect_status(app.get_as(&admin, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!((s["division"]["code"].as_str(), s["totals"]["machines"].as_i64()), (Some("140000"), Some(5)));

    // Construction units may not; nobody signed in is 401.
    let (_org, builder) = contractor(&app, "stats.other").await;
    assert_error(app.get_as(&builder, "/api/v1/stats").await, 403, "forbidden").await;
    assert_error(app.get_as(&builder, "/api/v1/stats/ranking").await, 403, "forbidden").await;
    assert_error(app.get("/api/v1/stats").await, 401, "unauthorized").await;

    // Bad input: a malformed code 422, reversed or too long a range 422, a bad date 400.
    let body =
        assert_error(app.get_as(&d.xiaodian, "/api/v1/stats?division_code=14x105").await, 422, "validation_failed")
            .await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::UnknownDivision));
    let body = assert_error(
        app.get_as(&d.xiaodian, "/api/v1/stats?from=2026-05-02&to=2026-05-01").await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "to", &FieldError::new(FieldCode::EndBeforeStart));
    let body = assert_error(
        app.get_as(&d.xiaodian, "/api/v1/stats?from=2020-01-01&to=2026-01-01").await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "from", &FieldError::new(FieldCode::RangeTooLong).with("max", 60));
    assert_error(app.get_as(&d.xiaodian, "/api/v1/stats?from=2026-13-01").await, 400, "malformed_query").await;
    assert_error(app.get_as(&d.xiaodian, "/api/v1/stats/ranking?by=luck").await, 400, "malformed_query").await;

    // Both endpoints are in the OpenAPI document.
    let doc = expect_status(app.get("/api/v1/openapi.json").await, 200).await;
    assert!(doc["paths"]["/api/v1/stats"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/stats/ranking"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Stats"].is_object());
}

async fn the_date_range_moves_the_monthly_figures(app: TestApp) {
    let d = data(&app).await;
    let earlier_day: NaiveDate = app::dates::china_date(d.earlier);
    let today = app::dates::china_date(d.now);

    // Only the day of the back-dated inspection: one month, one passing inspection, no filings.
    let q = format!("/api/v1/stats?from={earlier_day}&to={earlier_day}");
    let s = expect_status(app.get_as(&d.xiaodian, &q).await, 200).await;
    let months = s["inspections_by_month"].as_array().expect("months");
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["month"], china_month(d.earlier));
    assert_eq!((months[0]["inspections"].as_i64(), months[0]["passed"].as_i64()), (Some(1), Some(1)));
    assert_eq!((s["totals"]["filings"].as_i64(), s["totals"]["machines"].as_i64()), (Some(0), Some(0)));
    assert_eq!(s["filings_by_month"][0]["total"], 0);

    // Only today: the present inspections, the filings and their machines.
    let q = format!("/api/v1/stats?from={today}&to={today}");
    let s = expect_status(app.get_as(&d.xiaodian, &q).await, 200).await;
    assert_eq!(s["inspections_by_month"].as_array().map(Vec::len), Some(1));
    assert_eq!((s["totals"]["inspections"].as_i64(), s["totals"]["filings"].as_i64()), (Some(3), Some(2)));
    assert_eq!((s["totals"]["machines"].as_i64(), s["totals"]["pass_rate"].as_f64()), (Some(3), Some(0.5)));

    // The default: twelve calendar months up to today, oldest first, both inspections months in it.
    let s = expect_status(app.get_as(&d.xiaodian, "/api/v1/stats").await, 200).await;
    let months: Vec<&str> =
        s["inspections_by_month"].as_array().expect("months").iter().map(|m| m["month"].as_str().unwrap()).collect();
    assert_eq!(months.len(), 12);
    assert_eq!(months.last().copied(), Some(china_month(d.now).as_str()));
    assert_eq!((s["to"].as_str(), s["totals"]["inspections"].as_i64()), (Some(today.to_string().as_str()), Some(4)));
}

async fn overdue_cases_follow_the_clock(app: TestApp) {
    let d = data(&app).await;
    let today = app.today();
    let order = json!({"to": "rectification_ordered", "deadline_on": today});
    expect_status(app.post_as(&d.xiaodian, &format!("{}/transition", d.xiaodian_case), &order).await, 200).await;
    let s = expect_status(app.get_as(&d.xiaodian, "/api/v1/stats").await, 200).await;
    assert_eq!((s["totals"]["open_cases"].as_i64(), s["totals"]["overdue_cases"].as_i64()), (Some(1), Some(0)));
    assert_eq!(counts(&s["open_cases_by_state"])[1], ("rectification_ordered".to_owned(), 1));

    // The day after the deadline it is overdue, in the figures and in the ranking.
    app.clock.advance(Duration::days(1));
    let xiaodian = app.signed_in("stats.xiaodian").await; // the idle session has expired meanwhile
    let s = expect_status(app.get_as(&xiaodian, "/api/v1/stats").await, 200).await;
    assert_eq!((s["totals"]["open_cases"].as_i64(), s["totals"]["overdue_cases"].as_i64()), (Some(1), Some(1)));
    app.user("stats.city2", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("stats.city2").await;
    let k = expect_status(app.get_as(&city, "/api/v1/stats/ranking?by=overdue_cases").await, 200).await;
    let rows = k["rows"].as_array().expect("rows");
    assert_eq!((rows[0]["county_code"].as_str(), rows[0]["overdue_cases"].as_i64()), (Some("140105"), Some(1)));
    assert_eq!((rows[1]["overdue_cases"].as_i64(), rows[1]["rank"].as_i64()), (Some(0), Some(2)));
}

async fn dashboard_renders_charts_and_tables_without_scripts(app: TestApp) {
    let d = data(&app).await;
    app.user("stats.city3", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("stats.city3").await;
    let today = app.today();
    let path = format!("/dashboard?division_code=140105&from={}&to={today}", today - Duration::days(90));
    let resp = app.get_as(&city, &path).await;
    assert_eq!(resp.status().as_u16(), 200);
    // Without Leptos' hydration markers, the markup reads as written.
    let html = resp.text().await.expect("body").replace("<!>", "");
    // The page is complete as served: charts, their titles and the numbers of their tables.
    assert!(html.matches("<svg").count() >= 6, "six charts");
    assert!(html.contains(r#"viewBox="0 0 360"#) && html.contains(r#"width="100%""#));
    assert!(html.contains(r#"<title id="chart-types-title">"#));
    let totals = html.split(r#"data-testid="stats-totals""#).nth(1).expect("totals");
    assert!(totals.contains(r#"<span class="tile-value">3</span>"#), "3 machines");
    assert!(totals.contains(r#"<span class="tile-value">66.7%</span>"#), "pass rate");
    let types = html.split(r#"data-testid="chart-types""#).nth(1).expect("types");
    assert!(types.contains(r#"<th scope="row">挖掘机</th><td>1</td>"#), "the table beside the chart");
    let ranking = html.split(r#"data-testid="ranking-table""#).nth(1).expect("ranking");
    assert!(ranking.contains("小店区") && ranking.contains("清徐县") && !ranking.contains("平城区"));
    // The filter is a plain GET form offering the city and its counties only.
    let filter = html.split(r#"data-testid="stats-filter""#).nth(1).expect("filter");
    assert!(html.contains(r#"<form method="get" action="/dashboard""#));
    assert!(filter.contains(r#"value="140105" selected"#));
    assert!(filter.contains(r#"value="140100""#) && !filter.contains(r#"value="140213""#));

    // A county inspector's filter offers its county alone.
    let html = app.get_as(&d.xiaodian, "/dashboard").await.text().await.expect("body").replace("<!>", "");
    let filter = html.split(r#"data-testid="stats-filter""#).nth(1).expect("filter");
    let select = filter.split("</select>").next().expect("select");
    assert_eq!(select.matches("<option").count(), 1);
    assert!(select.contains(r#"value="140105""#));

    // Construction units get the page with a refusal, not figures.
    let (_org, builder) = contractor(&app, "stats.page.builder").await;
    let html = app.get_as(&builder, "/dashboard").await.text().await.expect("body");
    let page = html.split("<main").nth(1).expect("the page's main part");
    assert!(!page.contains("<svg") && page.contains("banner-error"), "no chart: {page}");
}

/// "Registered machines" are the machines holding a code the division issued; "filed machines"
/// those on an accepted filing overlapping the range. A machine registered today by a filing
/// that starts tomorrow is registered, not yet filed in the default range (which ends today).
async fn registered_machines_include_those_filed_from_tomorrow(app: TestApp) {
    let d = data(&app).await;
    let before = expect_status(app.get_as(&d.xiaodian, "/api/v1/stats").await, 200).await;
    let (registered, filed) = (
        before["totals"]["registered_machines"].as_i64().expect("n"),
        before["totals"]["machines"].as_i64().expect("n"),
    );
    assert_eq!((registered, filed), (3, 3), "小店区: machines 1, 2, 3 accepted today; 5 not reviewed");

    let builder = app.signed_in("stats.builder").await;
    let site = plain_site(&app, &builder, "明日工地", "140105").await;
    let m = machine(&app, &builder, 9, json!({})).await;
    let today = app.today();
    let f =
        create_filing(&app, &builder, &site["id"], &[&m["id"]], today + Duration::days(1), today + Duration::days(20))
            .await;
    accept(&app, &d.xiaodian, &f).await;
    let after = expect_status(app.get_as(&d.xiaodian, "/api/v1/stats").await, 200).await;
    assert_eq!(after["totals"]["registered_machines"].as_i64(), Some(registered + 1));
    assert_eq!(after["totals"]["machines"].as_i64(), Some(filed), "its filing starts tomorrow");
    // Codes count where they were issued: 清徐县's machine counts there, not in 小店区; the city
    // counts both.
    let qingxu = expect_status(app.get_as(&d.qingxu, "/api/v1/stats").await, 200).await;
    assert_eq!(qingxu["totals"]["registered_machines"].as_i64(), Some(1));
    app.user("stats.city3", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("stats.city3").await;
    let taiyuan = expect_status(app.get_as(&city, "/api/v1/stats").await, 200).await;
    assert_eq!(taiyuan["totals"]["registered_machines"].as_i64(), Some(registered + 2));
    // A range ending before today: the machine registered today is not yet counted.
    let r = format!("from={}&to={}", today - Duration::days(40), today - Duration::days(1));
    let earlier = expect_status(app.get_as(&d.xiaodian, &format!("/api/v1/stats?{r}")).await, 200).await;
    assert_eq!(earlier["totals"]["registered_machines"].as_i64(), Some(0));
}
