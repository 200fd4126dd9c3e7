//! A site's low-emission-zone membership: the county's inspectors and the city's officers mark
//! a site in or out (with a reason; others 403, other counties and cities 404), and every reader
//! agrees — the next inspection's verdict, the field look-up, the filing pre-checks and the site
//! itself; undecided sites follow the zone data day by day.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, create_site, expect_status, id_of, inspector};
use crate::inspections::{inspect, inspection, opened_kinds, registered, world};
use crate::sites::mark_zone;
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    officials_decide_a_sites_zone,
    membership_follows_the_zone_data_day_by_day,
    the_lookups_sql_agrees_with_the_membership_rule
);

/// What every reader says about `machine` at `site` today: (the site's flag, the look-up's
/// `zone_allows` there, whether the filing pre-check flags the machine's stage).
async fn readers(app: &TestApp, w: &crate::inspections::World, site: &Value, machine: &Value) -> (bool, bool, bool) {
    let read = expect_status(app.get_as(&w.builder, &format!("/api/v1/sites/{}", id_of(site))).await, 200).await;
    let code = machine["registration_code"].as_str().expect("code");
    let path = format!("/api/v1/machines/lookup?code={code}&site_id={}", id_of(site));
    let found = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    let today = app.today();
    let input = json!({"site_id": site["id"], "machine_ids": [machine["id"]],
        "planned_entry_on": today + Duration::days(60), "planned_exit_on": today + Duration::days(61)});
    let pre = expect_status(app.post_as(&w.builder, "/api/v1/filings/precheck", &input).await, 200).await;
    let flagged = pre.as_array().expect("list").iter().any(|p| p["code"] == "stage_not_allowed_in_zone");
    (read["low_emission_zone"].as_bool().expect("flag"), found["zone_allows"].as_bool().expect("zone_allows"), flagged)
}

/// Whether each site is in a zone today, as `client` reads it.
async fn flags<const N: usize>(app: &TestApp, client: &reqwest::Client, sites: [&Value; N]) -> [bool; N] {
    let mut out = [false; N];
    for (slot, site) in out.iter_mut().zip(sites) {
        let read = expect_status(app.get_as(client, &format!("/api/v1/sites/{}", id_of(site))).await, 200).await;
        *slot = read["low_emission_zone"].as_bool().expect("flag");
    }
    out
}

async fn officials_decide_a_sites_zone(app: TestApp) {
    let w = world(&app).await;
    let site = &w.zone_site;
    let old = registered(&app, &w, site, 1, json!({"emission_stage": "stage_2", "rated_power_kw": 80})).await;
    let path = format!("/api/v1/sites/{}/zone", id_of(site));
    let out = json!({"in_zone": false, "reason": "工地位于建成区以外"});

    // In the zone by the zone data: a stage II diesel machine fails there, and every reader agrees.
    let first = inspect(&app, &w.xiaodian, &inspection(&app, site, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!(first["verdict"], "fail");
    assert_eq!(opened_kinds(&first), vec!["failed_inspection", "zone_violation"]);
    assert_eq!(readers(&app, &w, site, &old).await, (true, false, true));

    // Who may not decide: the unit (it sees its site: 403), other roles in scope (403), another
    // county's inspector and another city's officer (404), and nobody for an unknown site.
    assert_error(app.post_as(&w.builder, &path, &out).await, 403, "forbidden").await;
    assert_error(app.post_as(&w.qingxu, &path, &out).await, 404, "not_found").await;
    app.user("zone.province", Role::ProvinceOfficer, Some("140000"), None).await;
    app.user("zone.partner", Role::PartnerViewer, Some("140105"), None).await;
    app.user("zone.datong", Role::CityOfficer, Some("140200"), None).await;
    app.user("zone.taiyuan", Role::CityOfficer, Some("140100"), None).await;
    for who in ["zone.province", "zone.partner"] {
        assert_error(app.post_as(&app.signed_in(who).await, &path, &out).await, 403, "forbidden").await;
    }
    let datong = app.signed_in("zone.datong").await;
    assert_error(app.post_as(&datong, &path, &out).await, 404, "not_found").await;
    let unknown = format!("/api/v1/sites/{}/zone", uuid::Uuid::now_v7());
    assert_error(app.post_as(&w.xiaodian, &unknown, &out).await, 404, "not_found").await;
    // A reason is required.
    let err = assert_error(
        app.post_as(&w.xiaodian, &path, &json!({"in_zone": false, "reason": " "})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "reason", &FieldError::new(FieldCode::Required));
    let unchanged = expect_status(app.get_as(&w.builder, &format!("/api/v1/sites/{}", id_of(site))).await, 200).await;
    assert_eq!((unchanged["version"].as_i64(), unchanged["zone"]["source"].as_str()), (Some(1), Some("zone_data")));

    // The county's inspector marks it out: shown on the site (who, when, why), and the next
    // inspection passes; the first keeps its verdict.
    let decided = expect_status(app.post_as(&w.xiaodian, &path, &out).await, 200).await;
    assert_eq!(decided["low_emission_zone"], false);
    assert_eq!(decided["zone"]["source"], "official");
    assert_eq!(decided["zone"]["rule"], Value::Null);
    assert_eq!(decided["zone"]["decision"]["in_zone"], false);
    assert_eq!(decided["zone"]["decision"]["reason"], "工地位于建成区以外");
    assert_eq!(decided["zone"]["decision"]["decided_by_name"], "xiaodian.i");
    assert!(decided["zone"]["decision"]["decided_at"].is_string());
    assert_eq!(decided["version"], 2);
    let seen = expect_status(app.get_as(&w.builder, &format!("/api/v1/sites/{}", id_of(site))).await, 200).await;
    assert_eq!(seen, decided, "the unit sees the decision");
    let second = inspect(&app, &w.xiaodian, &inspection(&app, site, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!((second["verdict"].as_str(), second["low_emission_zone"].as_bool()), (Some("pass"), Some(false)));
    assert!(opened_kinds(&second).is_empty());
    let again =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/inspections/{}", id_of(&first))).await, 200).await;
    assert_eq!((again["verdict"].as_str(), again["low_emission_zone"].as_bool()), (Some("fail"), Some(true)));
    assert_eq!(readers(&app, &w, site, &old).await, (false, true, false));
    // An exemption claim off the zone is refused, as before.
    let mut claim = inspection(&app, site, &old, &[0.3, 0.3, 0.3]);
    claim["zone_exemption"] = json!("emergency_rescue");
    let err =
        assert_error(app.post_as(&w.xiaodian, "/api/v1/inspections", &claim).await, 422, "validation_failed").await;
    assert_field(&err, "zone_exemption", &FieldError::new(FieldCode::NotInZone));

    // The city's officer puts it back in: the zone's rule applies again.
    let taiyuan = app.signed_in("zone.taiyuan").await;
    let back = mark_zone(&app, &taiyuan, site, true, "复核：位于禁用区内").await;
    assert_eq!(
        (back["low_emission_zone"].as_bool(), back["zone"]["decision"]["decided_by_name"].as_str()),
        (Some(true), Some("zone.taiyuan"))
    );
    assert_eq!(back["zone"]["rule"], json!({"min_diesel_stage": "stage_3", "required_class": "III"}));
    let third = inspect(&app, &w.xiaodian, &inspection(&app, site, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!(opened_kinds(&third), vec!["failed_inspection", "zone_violation"]);
    assert_eq!(readers(&app, &w, site, &old).await, (true, false, true));

    // Each decision is in the audit log, with the county, before and after.
    let found = expect_status(
        app.get_as(&w.xiaodian, &format!("/api/v1/audit?entity=site&entity_id={}", id_of(site))).await,
        200,
    )
    .await;
    let updates: Vec<&Value> =
        found["items"].as_array().expect("items").iter().filter(|e| e["action"] == "update").collect();
    assert_eq!(updates.len(), 2, "{found}");
    assert!(updates.iter().all(|e| e["division_code"] == "140105"));
}

async fn membership_follows_the_zone_data_day_by_day(app: TestApp) {
    let w = world(&app).await;
    let old = registered(&app, &w, &w.plain_site, 1, json!({"emission_stage": "stage_2", "rated_power_kw": 80})).await;
    app.user("day.datong", Role::CityOfficer, Some("140200"), None).await;
    let datong = app.signed_in("day.datong").await;
    let pingcheng = inspector(&app, "day.pingcheng", "140213").await;
    // Three sites in 平城区, which has no zone data: one left to the data, one decided out, one in.
    let follows = create_site(&app, &w.builder, "平城区随数据工地", "140213").await;
    let out = create_site(&app, &w.builder, "平城区区外工地", "140213").await;
    let inside = create_site(&app, &w.builder, "平城区区内工地", "140213").await;
    assert_eq!(follows["low_emission_zone"], false);
    mark_zone(&app, &pingcheng, &out, false, "远离城区").await;
    let inside = mark_zone(&app, &datong, &inside, true, "城区施工").await;
    // Decided in without zone data: the default rule (stage III, class III).
    assert_eq!(inside["zone"]["rule"], json!({"min_diesel_stage": "stage_3", "required_class": "III"}));
    assert_eq!(inside["zone"]["zone_name"], Value::Null);
    // Datong draws a city-wide zone from in five days: nothing changes today…
    let today = app.today();
    let zone = json!({"division_code": "140200", "name": "大同市禁用区", "min_diesel_stage": "stage_4",
        "required_class": "III", "effective_from": today + Duration::days(5)});
    let drawn = expect_status(app.post_as(&datong, "/api/v1/zones", &zone).await, 201).await;
    assert_eq!(flags(&app, &w.builder, [&follows, &out, &inside]).await, [false, false, true]);
    // …from that day the undecided site is in it, with the zone's rule; the decided ones keep
    // their decisions.
    app.clock.advance(Duration::days(6));
    let pingcheng = app.signed_in("day.pingcheng").await; // sessions expire after 8 idle hours
    let builder = app.signed_in("insp.builder").await;
    assert_eq!(flags(&app, &builder, [&follows, &out, &inside]).await, [true, false, true]);
    let read = expect_status(app.get_as(&pingcheng, &format!("/api/v1/sites/{}", id_of(&follows))).await, 200).await;
    assert_eq!(read["zone"]["zone_name"], "大同市禁用区");
    assert_eq!(read["zone"]["rule"], json!({"min_diesel_stage": "stage_4", "required_class": "III"}));
    let inspected = inspect(&app, &pingcheng, &inspection(&app, &follows, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!(opened_kinds(&inspected), vec!["failed_inspection", "zone_violation"]);
    let inspected = inspect(&app, &pingcheng, &inspection(&app, &out, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!(inspected["verdict"], "pass");

    // The zone is edited to have ended yesterday: the undecided site is out again; an inspection
    // dated while the zone was in force is still judged in it.
    let datong = app.signed_in("day.datong").await;
    let now = app.today();
    let mut ended = zone.clone();
    ended["effective_from"] = json!(now - Duration::days(3));
    ended["effective_to"] = json!(now - Duration::days(1));
    ended["version"] = json!(1);
    expect_status(app.put_as(&datong, &format!("/api/v1/zones/{}", id_of(&drawn)), &ended).await, 200).await;
    assert_eq!(flags(&app, &builder, [&follows, &out, &inside]).await, [false, false, true]);
    let today_verdict = inspect(&app, &pingcheng, &inspection(&app, &follows, &old, &[0.3, 0.3, 0.3])).await;
    assert_eq!(
        (today_verdict["verdict"].as_str(), today_verdict["low_emission_zone"].as_bool()),
        (Some("pass"), Some(false))
    );
    let mut body = inspection(&app, &follows, &old, &[0.3, 0.3, 0.3]);
    body["inspected_at"] = json!(app.clock.now() - Duration::days(2));
    let then = inspect(&app, &pingcheng, &body).await;
    assert_eq!((then["verdict"].as_str(), then["low_emission_zone"].as_bool()), (Some("fail"), Some(true)));
}

/// The field look-up states the membership rule in SQL (`join_site_zone` and `in_zone_sql`,
/// inside its one statement); every other reader uses the rule in Rust (`membership`). Case by case — county
/// zone, city zone, none; in force, not yet, ended; decided in, out or not at all — both agree.
async fn the_lookups_sql_agrees_with_the_membership_rule(app: TestApp) {
    use app::db::entities::{low_emission_zone, site};
    use app::sites::zone_service::{in_zone_sql, join_site_zone, membership, site_zone_column, zones_on};
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
    let db = &app.state.db;
    let today = app.today();
    let now = app.clock.now();
    // 清徐县: a county zone for twenty days around today; 大同市: a city zone from in five days;
    // 太原市: a stricter city zone, newer than its counties' own zones of the reference data,
    // which still win for those counties (a county's own zone before its city's).
    for (division, from, to, stage, class) in [
        ("140121", today - Duration::days(10), Some(today + Duration::days(10)), "stage_3", "III"),
        ("140200", today + Duration::days(5), None, "stage_3", "III"),
        ("140100", today - Duration::days(15), None, "stage_4", "II"),
    ] {
        low_emission_zone::Entity::insert(low_emission_zone::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            division_code: Set(division.to_owned()),
            name: Set(format!("{division} 禁用区")),
            min_diesel_stage: Set(stage.to_owned()),
            required_class: Set(class.to_owned()),
            exemptions: Set("[]".to_owned()),
            effective_from: Set(from),
            effective_to: Set(to),
            notes: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await
        .expect("zone");
    }
    let (_org, unit) = crate::helpers::contractor(&app, "sql.rule").await;
    let mut sites = Vec::new();
    for county in ["140105", "140121", "140213"] {
        for decision in [None, Some(true), Some(false)] {
            let created = create_site(&app, &unit, &format!("{county} {decision:?}"), county).await;
            let id: uuid::Uuid = id_of(&created).parse().expect("uuid");
            site::Entity::update_many()
                .col_expr(site::Column::ZoneDecision, sea_orm::sea_query::Expr::value(decision))
                .filter(site::Column::Id.eq(id))
                .exec(db)
                .await
                .expect("decide");
            sites.push(site::Entity::find_by_id(id).one(db).await.expect("read").expect("site"));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut rules = std::collections::BTreeSet::new();
    for day in [-20, 0, 7, 20].map(|d| today + Duration::days(d)) {
        for s in &sites {
            // The site with its zone, as the look-up's statement joins them.
            let mut q = Query::select();
            q.from(site::Entity)
                .and_where(Expr::col((site::Entity, site::Column::Id)).eq(s.id))
                .expr_as(in_zone_sql(), "in_zone")
                .expr_as(site_zone_column(low_emission_zone::Column::MinDieselStage), "stage")
                .expr_as(site_zone_column(low_emission_zone::Column::RequiredClass), "class");
            join_site_zone(&mut q, day);
            let row = db.query_one(&q).await.expect("sql").expect("the site");
            let by_sql: bool = row.try_get("", "in_zone").expect("in_zone");
            let member = membership(db, s, day).await.expect("rule");
            let by_rule = member.in_zone;
            assert_eq!(by_sql, by_rule, "{} on {day}", s.name);
            seen.insert((s.zone_decision, by_rule));
            // The rule of the zone in force, as the look-up's statement reads it, as `zone_for`
            // reads it for one county, and as `zones_on` picks it from a batch.
            let by_sql: (Option<String>, Option<String>) =
                (row.try_get("", "stage").expect("stage"), row.try_get("", "class").expect("class"));
            let of = |z: &low_emission_zone::Model| (Some(z.min_diesel_stage.clone()), Some(z.required_class.clone()));
            let one = member.zone.as_ref().map(of).unwrap_or_default();
            assert_eq!(by_sql, one, "{} on {day}", s.name);
            let batch = zones_on(db, &[(s.county_code.clone(), day)]).await.expect("batch");
            assert_eq!(batch.values().next().map(of).unwrap_or_default(), one, "{} on {day}", s.name);
            rules.insert((s.county_code.clone(), one.0));
        }
    }
    // Every kind of case was met: undecided sites both in and out, decisions both ways.
    for case in [(None, true), (None, false), (Some(true), true), (Some(false), false)] {
        assert!(seen.contains(&case), "{case:?} in {seen:?}");
    }
    // 小店区's own zone won over 太原市's newer, stricter one; 大同市's applied once in force.
    let stage = |county: &str, stage: Option<&str>| (county.to_owned(), stage.map(str::to_owned));
    for rule in [stage("140105", Some("stage_3")), stage("140213", None), stage("140213", Some("stage_3"))] {
        assert!(rules.contains(&rule), "{rule:?} in {rules:?}");
    }
    assert!(!rules.contains(&stage("140105", Some("stage_4"))), "{rules:?}");
}
