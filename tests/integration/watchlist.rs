//! The watch list (issue 15): a machine that failed (and has not passed since) or has an
//! unresolved case follows the county's attention to a site in another county: that county's
//! inspectors and the case's county are told once when it is filed, and the filing's review
//! shows why; inspectors' own entries with a reason run to their end date; who may see, add and
//! end what.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, create_filing, create_site, expect_status, id_of, inspector,
};
use crate::inspections::{inspect, inspection, registered, world};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    a_failed_machine_filed_in_another_county_is_followed,
    an_inspectors_entry_runs_to_its_end_date,
    a_watched_machine_looked_up_or_entering_a_site_is_reported,
);

/// The caller's notifications of `kind`.
async fn notices(app: &TestApp, client: &reqwest::Client, kind: &str) -> Vec<Value> {
    let page = expect_status(app.get_as(client, "/api/v1/notifications").await, 200).await;
    page["items"].as_array().cloned().unwrap_or_default().into_iter().filter(|n| n["kind"] == kind).collect()
}

/// The watched machines the caller sees, by registration code → reason kinds.
async fn watched(app: &TestApp, client: &reqwest::Client) -> Vec<(String, Vec<String>)> {
    let list = expect_status(app.get_as(client, "/api/v1/watchlist").await, 200).await;
    list.as_array()
        .expect("list")
        .iter()
        .map(|w| {
            let kinds =
                w["reasons"].as_array().expect("reasons").iter().map(|r| r["kind"].as_str().expect("kind").to_owned());
            (w["registration_code"].as_str().unwrap_or_default().to_owned(), kinds.collect())
        })
        .collect()
}

async fn a_failed_machine_filed_in_another_county_is_followed(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let other = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    // 小店区 fails it: the failure and the case it opened put it on the list, in 小店区.
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[2.5, 2.6, 2.4])).await;
    assert_eq!(failed["verdict"], "fail");
    assert_eq!(
        watched(&app, &w.xiaodian).await,
        vec![(code.clone(), vec!["failed_inspection".into(), "unresolved_case".into()])]
    );
    assert!(watched(&app, &w.qingxu).await.is_empty(), "nothing of 清徐县's yet");

    // Its unit files it, with a machine that is not watched, for a site in 清徐县.
    let qingxu_site = create_site(&app, &w.builder, "清徐县工地", "140121").await;
    let second_qingxu = inspector(&app, "qingxu.second", "140121").await;
    let today = app.today();
    let (entry, exit) = (today + Duration::days(40), today + Duration::days(60));
    let f = create_filing(&app, &w.builder, &qingxu_site["id"], &[&m["id"], &other["id"]], entry, exit).await;
    // 清徐县's inspectors hear of it once, and so does 小店区 (the case's county).
    for client in [&w.qingxu, &second_qingxu, &w.xiaodian] {
        let got = notices(&app, client, "watched_machine_filed").await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["link"], format!("/filings/{}", id_of(&f)));
        let p = &got[0]["params"];
        assert_eq!(
            (p["machine_name"].as_str(), p["registration_code"].as_str()),
            (Some("1号挖掘机"), Some(code.as_str()))
        );
        assert_eq!(
            (p["site_name"].as_str(), p["reasons"].as_str()),
            (Some("清徐县工地"), Some("failed_inspection,unresolved_case"))
        );
    }
    assert!(notices(&app, &w.builder, "watched_machine_filed").await.is_empty(), "the unit is not told");
    // The review shows why; 清徐县 now sees the machine on its list (filed there).
    let path = format!("/api/v1/filings/{}/watch", id_of(&f));
    let warning = expect_status(app.get_as(&w.qingxu, &path).await, 200).await;
    let warning = warning.as_array().expect("list");
    assert_eq!(warning.len(), 1, "only the watched machine: {warning:?}");
    assert_eq!(warning[0]["machine_id"], m["id"]);
    let reasons = warning[0]["reasons"].as_array().expect("reasons");
    assert!(reasons.iter().all(|r| r["county_code"] == "140105" && r["county_name"] == "小店区"), "{reasons:?}");
    assert_eq!(reasons[0]["subject_id"], failed["id"], "the failed inspection is named");
    assert_eq!(watched(&app, &w.qingxu).await.len(), 1);
    // Who may read the warning: not the unit (403), not a county the filing is not in (404).
    assert_error(app.get_as(&w.builder, &path).await, 403, "forbidden").await;
    let yingze = inspector(&app, "yingze.w", "140106").await;
    assert_error(app.get_as(&yingze, &path).await, 404, "not_found").await;
    assert_error(app.get_as(&w.builder, "/api/v1/watchlist").await, 403, "forbidden").await;
    assert!(watched(&app, &yingze).await.is_empty());

    // Returned and corrected: no second notice for the same filing and machine.
    let back = json!({"decision": "return", "reason": "请补充照片"});
    let returned =
        expect_status(app.post_as(&w.qingxu, &format!("/api/v1/filings/{}/review", id_of(&f)), &back).await, 200).await;
    let again = json!({"site_id": qingxu_site["id"], "machine_ids": [m["id"], other["id"]], "planned_entry_on": entry,
        "planned_exit_on": exit, "version": returned["version"]});
    expect_status(app.put_as(&w.builder, &format!("/api/v1/filings/{}", id_of(&f)), &again).await, 200).await;
    assert_eq!(notices(&app, &w.qingxu, "watched_machine_filed").await.len(), 1);
    assert!(notices(&app, &w.qingxu, "filing_submitted").await.len() >= 2, "the resubmission itself is told");

    // A pass ends the failure; the case still holds it until it is resolved.
    app.clock.advance(Duration::minutes(5));
    let passed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    assert_eq!(passed["verdict"], "pass");
    assert_eq!(watched(&app, &w.xiaodian).await, vec![(code.clone(), vec!["unresolved_case".into()])]);
    // A machine never in trouble is on nobody's list.
    let not_watched = watched(&app, &w.xiaodian).await;
    assert!(!not_watched.iter().any(|(c, _)| Some(c.as_str()) == other["registration_code"].as_str()));
}

async fn an_inspectors_entry_runs_to_its_end_date(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let today = app.today();
    let body =
        |ends: chrono::NaiveDate| json!({"registration_code": code, "reason": "群众举报夜间冒黑烟", "ends_on": ends});

    // Bad input, field by field.
    let unknown = json!({"registration_code": "14010599999999", "reason": "x", "ends_on": today});
    let blank = json!({"registration_code": code, "reason": "  ", "ends_on": today});
    let long = json!({"registration_code": code, "reason": "长".repeat(501), "ends_on": today});
    let past = json!({"registration_code": code, "reason": "x", "ends_on": today - Duration::days(1)});
    let far = json!({"registration_code": code, "reason": "x", "ends_on": today + Duration::days(400)});
    for (input, field, expected) in [
        (unknown, "registration_code", FieldError::new(FieldCode::UnknownRegistrationCode)),
        (blank, "reason", FieldError::new(FieldCode::Required)),
        (long, "reason", FieldError::new(FieldCode::Length).with("min", 1).with("max", 500)),
        (past, "ends_on", FieldError::new(FieldCode::InThePast)),
        (far, "ends_on", FieldError::new(FieldCode::Range).with("min", 0).with("max", 366)),
    ] {
        let err =
            assert_error(app.post_as(&w.xiaodian, "/api/v1/watchlist", &input).await, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
    }
    assert_error(app.post_as(&w.xiaodian, "/api/v1/watchlist", &json!({"reason": "x"})).await, 400, "malformed").await;
    // Only county inspectors add; a unit, a partner department may not.
    assert_error(app.post_as(&w.builder, "/api/v1/watchlist", &body(today)).await, 403, "forbidden").await;
    app.user("partner.w", Role::PartnerViewer, Some("140105"), None).await;
    let partner = app.signed_in("partner.w").await;
    assert_error(app.post_as(&partner, "/api/v1/watchlist", &body(today)).await, 403, "forbidden").await;

    // Added for two days: 小店区 (and its partner department) see it with the reason; 清徐县 does not.
    let entry =
        expect_status(app.post_as(&w.xiaodian, "/api/v1/watchlist", &body(today + Duration::days(2))).await, 201).await;
    assert_eq!(entry["county_code"], "140105");
    let list = expect_status(app.get_as(&w.xiaodian, "/api/v1/watchlist").await, 200).await;
    assert_eq!(list[0]["reasons"][0]["kind"], "manual");
    assert_eq!(list[0]["reasons"][0]["note"], "群众举报夜间冒黑烟");
    assert_eq!(watched(&app, &partner).await.len(), 1);
    assert!(watched(&app, &w.qingxu).await.is_empty());
    // Audited, in 小店区.
    let audit = expect_status(app.get_as(&w.xiaodian, "/api/v1/audit?entity=watch_entry").await, 200).await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");

    // It runs through its last day and is gone the day after (signed in again: sessions end).
    app.clock.advance(Duration::days(2));
    let xiaodian = app.signed_in("xiaodian.i").await;
    assert_eq!(watched(&app, &xiaodian).await.len(), 1, "still on its last day");
    app.clock.advance(Duration::days(1));
    let (xiaodian, qingxu, partner) =
        (app.signed_in("xiaodian.i").await, app.signed_in("qingxu.i").await, app.signed_in("partner.w").await);
    assert!(watched(&app, &xiaodian).await.is_empty(), "expired");

    // Ended early: only by 小店区's inspectors (another county's is 404), once (then 409).
    let today = app.today();
    let entry =
        expect_status(app.post_as(&xiaodian, "/api/v1/watchlist", &body(today + Duration::days(30))).await, 201).await;
    let path = format!("/api/v1/watchlist/{}", id_of(&entry));
    assert_error(app.delete_as(&qingxu, &path).await, 404, "not_found").await;
    assert_error(app.delete_as(&partner, &path).await, 403, "forbidden").await;
    assert_eq!(watched(&app, &xiaodian).await.len(), 1);
    let ended = expect_status(app.delete_as(&xiaodian, &path).await, 200).await;
    assert!(ended["ended_at"].is_string());
    assert_error(app.delete_as(&xiaodian, &path).await, 409, "illegal_transition").await;
    assert!(watched(&app, &xiaodian).await.is_empty());
    let unknown = format!("/api/v1/watchlist/{}", uuid::Uuid::now_v7());
    assert_error(app.delete_as(&xiaodian, &unknown).await, 404, "not_found").await;
}

async fn a_watched_machine_looked_up_or_entering_a_site_is_reported(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let calm = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[2.5, 2.6, 2.4])).await;
    let lookup = |c: &str| format!("/api/v1/machines/lookup?code={c}");

    // 清徐县 looks it up: the answer says why it is watched, and 小店区 hears who looked, once a day.
    for _ in 0..2 {
        let found = expect_status(app.get_as(&w.qingxu, &lookup(&code)).await, 200).await;
        let kinds: Vec<&str> =
            found["watch"].as_array().expect("watch").iter().filter_map(|r| r["kind"].as_str()).collect();
        assert_eq!(kinds, ["failed_inspection", "unresolved_case"]);
    }
    let seen = notices(&app, &w.xiaodian, "watched_machine_seen").await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0]["params"]["division_name"].as_str(), seen[0]["link"].as_str()),
        (Some("清徐县"), Some("/watchlist"))
    );
    assert!(notices(&app, &w.qingxu, "watched_machine_seen").await.is_empty(), "the looker's county is not told");
    // 小店区's own look-up tells nobody; a machine not watched says so and tells nobody.
    let own = expect_status(app.get_as(&w.xiaodian, &lookup(&code)).await, 200).await;
    assert_eq!(own["watch"].as_array().map(Vec::len), Some(2));
    let calm_code = calm["registration_code"].as_str().expect("code");
    let plain = expect_status(app.get_as(&w.qingxu, &lookup(calm_code)).await, 200).await;
    assert_eq!(plain["watch"], json!([]));
    assert_eq!(notices(&app, &w.xiaodian, "watched_machine_seen").await.len(), 1);

    // The calm machine put on the list by 小店区, then logged entering its site: 小店区 hears of
    // it (the site's county), and of no other machine's entry.
    let entry = json!({"registration_code": calm_code, "reason": "夜间施工扰民", "ends_on": app.today()});
    expect_status(app.post_as(&w.xiaodian, "/api/v1/watchlist", &entry).await, 201).await;
    let filings = expect_status(app.get_as(&w.builder, "/api/v1/filings?limit=100").await, 200).await;
    let filing_of = |machine: &Value| {
        filings["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|f| f["machines"][0]["id"] == machine["id"])
            .map(id_of)
            .expect("its filing")
    };
    let at = app.clock.now() - Duration::minutes(5);
    for machine in [&calm, &m] {
        let path = format!("/api/v1/filings/{}/movements", filing_of(machine));
        let body = json!({"machine_id": machine["id"], "kind": "enter", "at": at});
        expect_status(app.post_as(&w.builder, &path, &body).await, 201).await;
    }
    let entered = notices(&app, &w.xiaodian, "watched_machine_entered").await;
    assert_eq!(entered.len(), 2, "both are watched: {entered:?}");
    assert!(entered.iter().any(|n| n["params"]["reasons"] == "manual" && n["params"]["machine_name"] == "2号挖掘机"));
    assert!(notices(&app, &w.qingxu, "watched_machine_entered").await.is_empty());
}
