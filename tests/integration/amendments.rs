//! Registered facts and their amendments: every registered fact of a registered machine is
//! refused by `PATCH` (409 naming it) while free text stays the unit's; an amendment accepted by
//! the issuing county changes the machine (the next verdict and the label follow), a returned or
//! withdrawn one changes nothing, and the history shows them all; who may ask, see, decide and
//! withdraw; bad amendments; concurrent accepts and submissions; notifications.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_machine, expect_status, id_of, inspector,
};
use crate::inspections::{World, inspect, inspection, opened_kinds, registered, world};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use app::machines::facts::RegisteredFact;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

db_tests!(
    registered_facts_are_refused_by_patch,
    an_accepted_amendment_changes_the_verdict_and_the_label,
    who_may_ask_see_decide_and_withdraw,
    bad_amendments_are_refused_and_change_nothing,
    concurrent_accepts_apply_once,
    a_machine_changed_since_makes_it_stale,
    notifications_reach_the_right_people,
    an_amendment_and_a_transfer_wait_for_each_other,
);

/// A small PNG (evidence photo).
pub fn png() -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 120]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), 40, 30, image::ExtendedColorType::Rgb8)
        .expect("png");
    out
}

/// Adds an evidence photo to an amendment with `client`; returns the response.
pub async fn add_photo(app: &TestApp, client: &reqwest::Client, amendment: &Value) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(png()).file_name("plate.png").mime_str("image/png").expect("mime");
    let form = reqwest::multipart::Form::new().text("note", "新铭牌").part("file", part);
    let url = app.url(&format!("/api/v1/amendments/{}/photos", id_of(amendment)));
    client.post(url).multipart(form).send().await.expect("upload")
}

/// Asks for an amendment of `machine` with `client`; returns the response.
pub async fn ask(app: &TestApp, client: &reqwest::Client, machine: &Value, changes: Value) -> reqwest::Response {
    let body = json!({"changes": changes, "reason": "更换发动机后铭牌信息变化"});
    app.post_as(client, &format!("/api/v1/machines/{}/amendments", id_of(machine)), &body).await
}

/// Asks (201), adds a photo (201): the pending amendment.
pub async fn pending(app: &TestApp, client: &reqwest::Client, machine: &Value, changes: Value) -> Value {
    let a = expect_status(ask(app, client, machine, changes).await, 201).await;
    expect_status(add_photo(app, client, &a).await, 201).await;
    a
}

/// Decides an amendment with `client`; returns the response.
pub async fn decide(app: &TestApp, client: &reqwest::Client, amendment: &Value, body: Value) -> reqwest::Response {
    app.post_as(client, &format!("/api/v1/amendments/{}/review", id_of(amendment)), &body).await
}

async fn machine(app: &TestApp, client: &reqwest::Client, m: &Value) -> Value {
    expect_status(app.get_as(client, &format!("/api/v1/machines/{}", id_of(m))).await, 200).await
}

/// The unit of `world` (its administrator is `w.builder`): its id.
async fn org_of(app: &TestApp, w: &World) -> Uuid {
    let me = expect_status(app.get_as(&w.builder, "/api/v1/auth/me").await, 200).await;
    Uuid::parse_str(me["organization_id"].as_str().expect("organization")).expect("uuid")
}

async fn registered_facts_are_refused_by_patch(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));
    let version = m["version"].as_i64().expect("version");
    let new_values = [
        ("machine_type", json!("loader")),
        ("pin", json!("NEW-PIN-1")),
        ("env_code", json!("CN999999999999999")),
        ("engine_model", json!("6BG1")),
        ("engine_serial", json!("NEW-ENG-1")),
        ("engine_maker", json!("玉柴")),
        ("engine_approval_no", json!("CN-APPROVAL-2")),
        ("emission_stage", json!("stage_3")),
        ("fuel_type", json!("petrol")),
        ("rated_power_kw", json!(90)),
        ("manufactured_on", json!("2022-01-01")),
        ("dpf_fitted", json!(false)),
        ("obd_fitted", json!(true)),
        ("remote_terminal", json!(true)),
    ];
    let tried: BTreeSet<&str> = new_values.iter().map(|(f, _)| *f).collect();
    let all: BTreeSet<&str> = RegisteredFact::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(tried, all, "every registered fact is tried");
    for (field, value) in &new_values {
        let err = assert_error(
            app.patch_as(&w.builder, &path, &json!({"version": version, *field: value})).await,
            409,
            "registered_fact",
        )
        .await;
        assert_field(&err, field, &FieldError::new(FieldCode::RegisteredFact));
        assert_eq!(err["error"]["fields"].as_object().map(|f| f.len()), Some(1), "only {field}: {err}");
    }
    // Several at once: each is named; a free-text change beside them does not slip through.
    let several = json!({"version": version, "emission_stage": "stage_2", "rated_power_kw": 50, "name": "偷改"});
    let err = assert_error(app.patch_as(&w.builder, &path, &several).await, 409, "registered_fact").await;
    let named: BTreeSet<String> = err["error"]["fields"].as_object().expect("fields").keys().cloned().collect();
    assert_eq!(named, BTreeSet::from(["emission_stage".to_owned(), "rated_power_kw".to_owned()]));
    // The page's server function is refused alike.
    let mut input = crate::helpers::machine_input(1);
    input["emission_stage"] = json!("stage_2");
    let body = json!({"id": id_of(&m), "version": version, "input": input});
    let resp = w.builder.post(app.url("/api/machines/update")).json(&body).send().await.expect("server fn");
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.expect("body").contains("registered_fact"));
    let now = machine(&app, &w.builder, &m).await;
    assert_eq!((now["version"].as_i64(), now["emission_stage"].as_str()), (Some(version), Some("stage_4")));

    // Free text stays the unit's; re-sending a registered fact unchanged (the PIN in lower case) is fine.
    let free = json!({
        "version": version, "name": "登记后改名", "brand": "徐工", "model": "XE215", "info_disclosure_no": "INFO-1",
        "dpf_model": "DPF-9", "dpf_maker": "威孚", "dpf_fitted_on": "2024-03-01",
        "pin": now["pin"].as_str().map(str::to_lowercase), "emission_stage": "stage_4",
    });
    let edited = expect_status(app.patch_as(&w.builder, &path, &free).await, 200).await;
    assert_eq!((edited["name"].as_str(), edited["dpf_maker"].as_str()), (Some("登记后改名"), Some("威孚")));
    assert_eq!(edited["version"].as_i64(), Some(version + 1));
    assert_eq!(edited["registration_code"], m["registration_code"]);

    // Before registration the unit edits its facts directly.
    let draft = create_machine(&app, &w.builder, 2).await;
    let dpath = format!("/api/v1/machines/{}", id_of(&draft));
    let changed = json!({"version": 1, "emission_stage": "stage_3", "rated_power_kw": 75, "engine_serial": "ENG-X-2"});
    let after = expect_status(app.patch_as(&w.builder, &dpath, &changed).await, 200).await;
    assert_eq!((after["emission_stage"].as_str(), after["rated_power_kw"].as_f64()), (Some("stage_3"), Some(75.0)));
    // …and cannot ask for an amendment of an unregistered machine.
    assert_error(ask(&app, &w.builder, &draft, json!({"emission_stage": "stage_4"})).await, 409, "not_registered")
        .await;
}

async fn an_accepted_amendment_changes_the_verdict_and_the_label(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.zone_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let clean = |app: &TestApp| inspection(app, &w.zone_site, &m, &[0.3, 0.3, 0.3]);
    assert_eq!(inspect(&app, &w.xiaodian, &clean(&app)).await["verdict"], "pass", "stage IV in the zone");

    // The engine was swapped for an older one: the unit asks to record stage II.
    let changes = json!({"emission_stage": "stage_2", "engine_model": "4BG1T", "engine_serial": "eng-swap-1"});
    let a = expect_status(ask(&app, &w.builder, &m, changes).await, 201).await;
    assert_eq!((a["status"].as_str(), a["county_code"].as_str()), (Some("pending"), Some("140105")));
    assert_eq!(a["machine_version"], m["version"]);
    let fields: Vec<&str> =
        a["changes"].as_array().expect("changes").iter().filter_map(|c| c["field"].as_str()).collect();
    assert_eq!(fields, vec!["engine_model", "engine_serial", "emission_stage"]);
    let stage = a["changes"].as_array().and_then(|c| c.iter().find(|c| c["field"] == "emission_stage")).expect("stage");
    assert_eq!((stage["old"].as_str(), stage["new"].as_str()), (Some("stage_4"), Some("stage_2")));
    let serial =
        a["changes"].as_array().and_then(|c| c.iter().find(|c| c["field"] == "engine_serial")).expect("serial");
    assert_eq!(serial["new"], "ENG-SWAP-1", "normalised like the machine");

    // Pending, it changes nothing anywhere.
    assert_eq!(machine(&app, &w.builder, &m).await["emission_stage"], "stage_4");
    assert_eq!(inspect(&app, &w.xiaodian, &clean(&app)).await["verdict"], "pass");
    let label = |app: &TestApp| w.builder.get(app.url(&format!("/api/v1/machines/{}/label.svg", id_of(&m)))).send();
    let svg = label(&app).await.expect("label").text().await.expect("svg");
    assert!(svg.contains("国四") && !svg.contains("国二"));
    let looked =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/machines/lookup?code={code}")).await, 200).await;
    assert_eq!(looked["machine"]["emission_stage"], "stage_4");

    // Accepting needs evidence first.
    assert_error(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 409, "evidence_required").await;
    expect_status(add_photo(&app, &w.builder, &a).await, 201).await;
    let accepted = expect_status(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 200).await;
    assert_eq!((accepted["status"].as_str(), accepted["photo_count"].as_u64()), (Some("accepted"), Some(1)));
    assert_eq!(accepted["reviewed_by"]["role"], "county_inspector");
    let now = machine(&app, &w.builder, &m).await;
    assert_eq!((now["emission_stage"].as_str(), now["engine_serial"].as_str()), (Some("stage_2"), Some("ENG-SWAP-1")));
    assert_eq!(now["version"].as_i64(), m["version"].as_i64().map(|v| v + 1));
    assert_eq!(now["registration_code"].as_str(), Some(code.as_str()), "the code stays");

    // The next inspection judges the accepted facts: a stage II diesel is banned in the zone.
    let banned = inspect(&app, &w.xiaodian, &clean(&app)).await;
    assert_eq!(
        (banned["verdict"].as_str(), banned["reasons"].clone()),
        (Some("fail"), json!(["stage_banned_in_zone"]))
    );
    assert!(opened_kinds(&banned).contains(&"zone_violation".to_owned()), "{banned}");
    let svg = label(&app).await.expect("label").text().await.expect("svg");
    assert!(svg.contains("国二") && !svg.contains("国四"), "the label shows the new stage");
    let looked =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/machines/lookup?code={code}")).await, 200).await;
    assert_eq!(looked["machine"]["emission_stage"], "stage_2");

    // A returned amendment changes nothing.
    let b = pending(&app, &w.builder, &m, json!({"rated_power_kw": 30})).await;
    assert_error(decide(&app, &w.xiaodian, &b, json!({"decision": "return"})).await, 422, "validation_failed").await;
    let reason = json!({"decision": "return", "reason": "铭牌照片看不清功率"});
    let returned = expect_status(decide(&app, &w.xiaodian, &b, reason).await, 200).await;
    assert_eq!(
        (returned["status"].as_str(), returned["return_reason"].as_str()),
        (Some("returned"), Some("铭牌照片看不清功率"))
    );
    let still = machine(&app, &w.builder, &m).await;
    assert_eq!((still["rated_power_kw"].as_f64(), still["version"].clone()), (Some(118.0), now["version"].clone()));
    assert_error(decide(&app, &w.xiaodian, &b, json!({"decision": "accept"})).await, 409, "illegal_transition").await;

    // The history lists both, newest first, with old and new values, reasons and who decided.
    let history =
        expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}/amendments", id_of(&m))).await, 200).await;
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.iter().map(id_of).collect::<Vec<_>>(), vec![id_of(&b), id_of(&a)]);
    assert_eq!((items[0]["status"].as_str(), items[1]["status"].as_str()), (Some("returned"), Some("accepted")));
    assert_eq!(items[0]["changes"][0], json!({"field": "rated_power_kw", "old": 118.0, "new": 30.0}));
    assert_eq!(items[1]["reason"], "更换发动机后铭牌信息变化");
    assert!(items.iter().all(|i| i["reviewed_by"]["name"].is_string() && i["reviewed_at"].is_string()));
    assert_eq!(history["next_cursor"], Value::Null);
    // Officials who see the machine read the same history.
    let seen =
        expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/machines/{}/amendments", id_of(&m))).await, 200).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(2));

    // The audit log holds each step, in the issuing county.
    use app::db::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.is_in([id_of(&a), id_of(&m)]))
        .filter(audit_log::Column::DivisionCode.eq("140105"))
        .all(&app.state.db)
        .await
        .expect("rows");
    let steps: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r.action.as_str().to_owned(), r.entity_kind.as_str().to_owned())).collect();
    for step in [("create", "amendment"), ("review", "amendment"), ("update", "machine")] {
        assert!(steps.contains(&(step.0.to_owned(), step.1.to_owned())), "{step:?} in {steps:?}");
    }
    let update = rows
        .iter()
        .find(|r| r.action.as_str() == "update" && r.entity_kind.as_str() == "machine")
        .expect("machine row");
    let (before, after): (Value, Value) = (
        serde_json::from_str(update.before.as_deref().expect("before")).expect("json"),
        serde_json::from_str(update.after.as_deref().expect("after")).expect("json"),
    );
    assert_eq!(
        (before["emission_stage"].as_str(), after["emission_stage"].as_str()),
        (Some("stage_4"), Some("stage_2"))
    );
}

async fn who_may_ask_see_decide_and_withdraw(app: TestApp) {
    let w = world(&app).await;
    let org = org_of(&app, &w).await;
    app.user("am.staff", Role::ContractorStaff, None, Some(org)).await;
    app.user("am.staff2", Role::ContractorStaff, None, Some(org)).await;
    let (staff, staff2) = (app.signed_in("am.staff").await, app.signed_in("am.staff2").await);
    let (_other_org, other) = contractor(&app, "am.other").await;
    app.user("am.taiyuan", Role::CityOfficer, Some("140100"), None).await;
    let taiyuan = app.signed_in("am.taiyuan").await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let stage3 = json!({"emission_stage": "stage_3"});

    // Only the owning unit asks: another unit 404, an official 403.
    assert_error(ask(&app, &other, &m, stage3.clone()).await, 404, "not_found").await;
    assert_error(ask(&app, &w.xiaodian, &m, stage3.clone()).await, 403, "forbidden").await;
    assert_error(ask(&app, &w.qingxu, &m, stage3.clone()).await, 404, "not_found").await;

    // Staff ask too; one pending amendment per machine.
    let a = expect_status(ask(&app, &staff, &m, stage3.clone()).await, 201).await;
    assert_eq!(a["submitted_by"]["role"], "contractor_staff");
    assert_error(ask(&app, &w.builder, &m, json!({"rated_power_kw": 100})).await, 409, "amendment_pending").await;
    let path = format!("/api/v1/amendments/{}", id_of(&a));
    let history = format!("/api/v1/machines/{}/amendments", id_of(&m));

    // Who sees it: the unit, the issuing county and its city; nobody else (404).
    for client in [&w.builder, &staff, &staff2, &w.xiaodian, &taiyuan] {
        expect_status(app.get_as(client, &path).await, 200).await;
    }
    for client in [&other, &w.qingxu] {
        assert_error(app.get_as(client, &path).await, 404, "not_found").await;
        assert_error(app.get_as(client, &history).await, 404, "not_found").await;
        assert_error(decide(&app, client, &a, json!({"decision": "accept"})).await, 404, "not_found").await;
        assert_error(add_photo(&app, client, &a).await, 404, "not_found").await;
        let list = expect_status(app.get_as(client, "/api/v1/amendments?status=pending").await, 200).await;
        assert_eq!(list["items"], json!([]), "{list}");
    }
    let queue = expect_status(app.get_as(&w.xiaodian, "/api/v1/amendments?status=pending").await, 200).await;
    assert_eq!(queue["items"].as_array().map(|i| i.iter().map(id_of).collect::<Vec<_>>()), Some(vec![id_of(&a)]));
    assert_eq!(queue["items"][0]["may_review"], true);

    // Only the issuing county's inspectors decide: the unit and the city officer are refused (403).
    expect_status(add_photo(&app, &staff2, &a).await, 201).await;
    for client in [&w.builder, &staff, &taiyuan] {
        assert_error(decide(&app, client, &a, json!({"decision": "accept"})).await, 403, "forbidden").await;
    }
    // Withdrawing: the one who asked or an administrator; not another staff member, not an official.
    let withdraw = |client: &reqwest::Client, a: &Value| {
        let url = app.url(&format!("/api/v1/amendments/{}/withdraw", id_of(a)));
        client.post(url).send()
    };
    let mine = expect_status(app.get_as(&staff, &path).await, 200).await;
    let theirs = expect_status(app.get_as(&staff2, &path).await, 200).await;
    assert_eq!((mine["may_withdraw"].as_bool(), theirs["may_withdraw"].as_bool()), (Some(true), Some(false)));
    assert_error(withdraw(&staff2, &a).await.expect("withdraw"), 403, "forbidden").await;
    assert_error(withdraw(&w.xiaodian, &a).await.expect("withdraw"), 403, "forbidden").await;
    let gone = expect_status(withdraw(&staff, &a).await.expect("withdraw"), 200).await;
    assert_eq!((gone["status"].as_str(), gone["withdrawn_at"].is_string()), (Some("withdrawn"), true));
    assert_error(withdraw(&staff, &a).await.expect("again"), 409, "illegal_transition").await;
    assert_error(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 409, "illegal_transition").await;
    assert_error(add_photo(&app, &staff, &a).await, 403, "forbidden").await;
    assert_eq!(machine(&app, &w.builder, &m).await["emission_stage"], "stage_4", "withdrawn: nothing changed");

    // The administrator withdraws a staff member's request too; then a new one may be asked.
    let b = expect_status(ask(&app, &staff2, &m, stage3.clone()).await, 201).await;
    expect_status(withdraw(&w.builder, &b).await.expect("withdraw"), 200).await;
    let c = pending(&app, &w.builder, &m, stage3).await;
    let done = expect_status(decide(&app, &w.xiaodian, &c, json!({"decision": "accept"})).await, 200).await;
    assert_eq!(done["status"], "accepted");
    let mine = expect_status(app.get_as(&w.builder, "/api/v1/amendments").await, 200).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(3), "the unit lists its own");
    assert_eq!(expect_status(app.get_as(&other, "/api/v1/amendments").await, 200).await["items"], json!([]));
}

async fn bad_amendments_are_refused_and_change_nothing(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let other = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    let cases: Vec<(Value, &str, FieldError)> = vec![
        (json!({"emission_stage": "stage_4"}), "changes", FieldError::new(FieldCode::NoChange)),
        (json!({}), "changes", FieldError::new(FieldCode::NoChange)),
        (json!({"pin": m["pin"].as_str().map(str::to_lowercase)}), "changes", FieldError::new(FieldCode::NoChange)),
        (json!({"name": "换名"}), "name", FieldError::new(FieldCode::NotRegisteredFact)),
        (json!({"colour": "yellow"}), "colour", FieldError::new(FieldCode::UnknownField)),
        (json!({"rated_power_kw": 0}), "rated_power_kw", FieldError::new(FieldCode::PowerRange).with("max", 10000)),
        (json!({"env_code": "CN123"}), "env_code", FieldError::new(FieldCode::EnvCodeLength).with("found", 5)),
        (json!({"fuel_type": "electric"}), "fuel_type", FieldError::new(FieldCode::ElectricMismatch)),
        (json!({"fuel_type": "coal"}), "fuel_type", FieldError::new(FieldCode::Invalid)),
        (
            json!({"manufactured_on": app.today() + chrono::Duration::days(1)}),
            "manufactured_on",
            FieldError::new(FieldCode::DateInFuture),
        ),
        (json!({"machine_type": "spaceship"}), "machine_type", FieldError::new(FieldCode::UnknownMachineType)),
        (
            json!({"pin": null, "env_code": null, "engine_serial": null}),
            "pin",
            FieldError::new(FieldCode::IdentifierRequired),
        ),
    ];
    for (changes, field, expected) in cases {
        let err = assert_error(ask(&app, &w.builder, &m, changes.clone()).await, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
    }
    // Another machine's identifier is taken (409, like editing the machine).
    let taken = json!({"engine_serial": other["engine_serial"]});
    let err = assert_error(ask(&app, &w.builder, &m, taken).await, 409, "duplicate_identifier").await;
    assert_field(&err, "engine_serial", &FieldError::new(FieldCode::AlreadyRegistered));
    // The reason is required and bounded.
    let url = format!("/api/v1/machines/{}/amendments", id_of(&m));
    for (reason, expected) in [
        (" ", FieldError::new(FieldCode::Required)),
        (&*"字".repeat(1001), FieldError::new(FieldCode::Length).with("min", 1).with("max", 1000)),
    ] {
        let body = json!({"changes": {"emission_stage": "stage_3"}, "reason": reason});
        let err = assert_error(app.post_as(&w.builder, &url, &body).await, 422, "validation_failed").await;
        assert_field(&err, "reason", &expected);
    }
    assert_error(
        app.post_as(&w.builder, &url, &json!({"changes": {"emission_stage": "stage_3"}})).await,
        400,
        "malformed",
    )
    .await;
    assert_error(app.post_as(&w.builder, "/api/v1/machines/not-a-uuid/amendments", &json!({})).await, 404, "not_found")
        .await;
    let list = expect_status(app.get_as(&w.builder, "/api/v1/amendments").await, 200).await;
    assert_eq!(list["items"], json!([]), "nothing was stored");
    assert_eq!(machine(&app, &w.builder, &m).await["version"], m["version"]);
    // Unknown amendments are 404; a bad status filter 400.
    let nobody = format!("/api/v1/amendments/{}", Uuid::now_v7());
    assert_error(app.get_as(&w.xiaodian, &nobody).await, 404, "not_found").await;
    assert_error(app.get_as(&w.xiaodian, "/api/v1/amendments?status=lost").await, 400, "malformed_query").await;
}

async fn concurrent_accepts_apply_once(app: TestApp) {
    let w = world(&app).await;
    let second = inspector(&app, "am.xiaodian2", "140105").await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    // Two submissions at once: one is stored, the other is told one is pending.
    let (r1, r2) = tokio::join!(
        ask(&app, &w.builder, &m, json!({"rated_power_kw": 100})),
        ask(&app, &w.builder, &m, json!({"rated_power_kw": 110})),
    );
    let mut statuses = vec![r1.status().as_u16(), r2.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![201, 409]);
    let list = expect_status(app.get_as(&w.builder, "/api/v1/amendments?status=pending").await, 200).await;
    let a = list["items"][0].clone();
    expect_status(add_photo(&app, &w.builder, &a).await, 201).await;

    // Two inspectors accept at once: it applies once.
    let accept = json!({"decision": "accept"});
    let (x, y) = tokio::join!(decide(&app, &w.xiaodian, &a, accept.clone()), decide(&app, &second, &a, accept));
    let mut outcomes = vec![x.status().as_u16(), y.status().as_u16()];
    outcomes.sort();
    assert_eq!(outcomes, vec![200, 409]);
    let now = machine(&app, &w.builder, &m).await;
    assert_eq!(now["version"].as_i64(), m["version"].as_i64().map(|v| v + 1), "one new version");
    use app::db::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let updates = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id_of(&m)))
        .filter(audit_log::Column::Action.eq("update"))
        .count(&app.state.db)
        .await
        .expect("count");
    assert_eq!(updates, 1, "one machine update recorded");
}

async fn a_machine_changed_since_makes_it_stale(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    // A free-text edit after asking moves the version but not the facts: still accepted.
    let a = pending(&app, &w.builder, &m, json!({"rated_power_kw": 120})).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));
    let renamed =
        expect_status(app.patch_as(&w.builder, &path, &json!({"version": m["version"], "name": "改名"})).await, 200)
            .await;
    let done = expect_status(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 200).await;
    assert_eq!((done["status"].as_str(), done["machine_version"].clone()), (Some("accepted"), m["version"].clone()));
    let now = machine(&app, &w.builder, &m).await;
    assert_eq!((now["rated_power_kw"].as_f64(), now["name"].as_str()), (Some(120.0), Some("改名")));
    assert_eq!(now["version"].as_i64(), renamed["version"].as_i64().map(|v| v + 1));

    // A registered fact that moved since (here by hand in the database) makes it stale: nothing
    // changes and it stays pending, for the county to return.
    let b = pending(&app, &w.builder, &m, json!({"rated_power_kw": 130})).await;
    use app::db::entities::machine as row;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    row::Entity::update_many()
        .col_expr(row::Column::RatedPowerKw, Expr::value(125.0))
        .filter(row::Column::Id.eq(Uuid::parse_str(&id_of(&m)).expect("uuid")))
        .exec(&app.state.db)
        .await
        .expect("update");
    assert_error(decide(&app, &w.xiaodian, &b, json!({"decision": "accept"})).await, 409, "amendment_stale").await;
    let still = expect_status(app.get_as(&w.builder, &format!("/api/v1/amendments/{}", id_of(&b))).await, 200).await;
    assert_eq!(still["status"], "pending");
    assert_eq!(machine(&app, &w.builder, &m).await["rated_power_kw"].as_f64(), Some(125.0));
    let back = json!({"decision": "return", "reason": "登记信息已变化，请重新申请"});
    expect_status(decide(&app, &w.xiaodian, &b, back).await, 200).await;
}

/// The caller's notifications.
async fn kinds(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let page = expect_status(app.get_as(client, "/api/v1/notifications").await, 200).await;
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn notifications_reach_the_right_people(app: TestApp) {
    let w = world(&app).await;
    let org = org_of(&app, &w).await;
    app.user("am.n.staff", Role::ContractorStaff, None, Some(org)).await;
    app.user("am.n.bystander", Role::ContractorStaff, None, Some(org)).await;
    let staff = app.signed_in("am.n.staff").await;
    let bystander = app.signed_in("am.n.bystander").await;
    let second = inspector(&app, "am.n.xiaodian2", "140105").await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let of_kind = |items: &[Value], kind: &str| items.iter().filter(|n| n["kind"] == kind).cloned().collect::<Vec<_>>();

    // Asking notifies the issuing county's inspectors, and nobody else.
    let sent_before = app.outbox.sent().len();
    let a = pending(&app, &staff, &m, json!({"dpf_fitted": false})).await;
    for client in [&w.xiaodian, &second] {
        let got = of_kind(&kinds(&app, client).await, "amendment_submitted");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["link"], format!("/amendments/{}", id_of(&a)));
        assert_eq!(got[0]["params"]["registration_code"], m["registration_code"]);
    }
    for client in [&w.qingxu, &w.builder, &staff, &bystander] {
        assert!(of_kind(&kinds(&app, client).await, "amendment_submitted").is_empty());
    }
    assert_eq!(app.outbox.sent().len(), sent_before + 2, "both inspectors are sent it");

    // Accepting notifies the unit's administrators and whoever asked.
    expect_status(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 200).await;
    for client in [&w.builder, &staff] {
        assert_eq!(of_kind(&kinds(&app, client).await, "amendment_accepted").len(), 1);
    }
    for client in [&bystander, &w.xiaodian, &second] {
        assert!(of_kind(&kinds(&app, client).await, "amendment_accepted").is_empty());
    }
    // Returning tells why; asked by the administrator, the staff member hears nothing of it.
    let b = pending(&app, &w.builder, &m, json!({"obd_fitted": true})).await;
    let reason = json!({"decision": "return", "reason": "缺少OBD安装证明"});
    expect_status(decide(&app, &second, &b, reason).await, 200).await;
    let got = of_kind(&kinds(&app, &w.builder).await, "amendment_returned");
    assert_eq!((got.len(), got[0]["params"]["reason"].as_str()), (1, Some("缺少OBD安装证明")));
    assert!(of_kind(&kinds(&app, &staff).await, "amendment_returned").is_empty());
    let last = app.outbox.sent().last().cloned().expect("sent");
    assert!(last.body.contains("缺少OBD安装证明") && last.body.contains(&format!("/amendments/{}", id_of(&b))));
}

/// A machine is amended or handed over, one at a time: a pending amendment stops a transfer
/// from starting, a pending transfer stops an amendment, and an amendment of an owner who no
/// longer has the machine (a transfer accepted in a race, put here directly) is not accepted.
async fn an_amendment_and_a_transfer_wait_for_each_other(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let (buyer_org, buyer) = contractor(&app, "amend.buyer").await;
    let me = expect_status(app.get_as(&buyer, "/api/v1/organizations/me").await, 200).await;
    let offer = json!({"buyer_uscc": me["uscc"]});
    let start = format!("/api/v1/machines/{}/transfers", id_of(&m));
    let a = pending(&app, &w.builder, &m, json!({"engine_maker": "玉柴"})).await;
    assert_error(app.post_as(&w.builder, &start, &offer).await, 409, "amendment_pending").await;
    let withdraw = format!("/api/v1/amendments/{}/withdraw", id_of(&a));
    expect_status(app.post_as(&w.builder, &withdraw, &json!({})).await, 200).await;
    let t = expect_status(app.post_as(&w.builder, &start, &offer).await, 201).await;
    assert_error(ask(&app, &w.builder, &m, json!({"engine_maker": "玉柴"})).await, 409, "transfer_pending").await;
    let cancel = format!("/api/v1/transfers/{}/cancel", id_of(&t));
    expect_status(app.post_as(&w.builder, &cancel, &json!({})).await, 200).await;
    let a = pending(&app, &w.builder, &m, json!({"engine_maker": "玉柴"})).await;
    // The machine moves to the buyer while the amendment waits (as a race with an acceptance
    // would leave it): the county cannot accept the former owner's amendment.
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let id = Uuid::parse_str(&id_of(&m)).expect("id");
    let row =
        app::db::entities::machine::Entity::find_by_id(id).one(&app.state.db).await.expect("db").expect("machine");
    let mut row: app::db::entities::machine::ActiveModel = row.into();
    row.organization_id = Set(buyer_org);
    row.update(&app.state.db).await.expect("hand over");
    assert_error(decide(&app, &w.xiaodian, &a, json!({"decision": "accept"})).await, 409, "owner_changed").await;
    let still = expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/amendments/{}", id_of(&a))).await, 200).await;
    assert_eq!(still["status"], "pending", "nothing changed");
    let facts = expect_status(app.get_as(&w.xiaodian, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await;
    assert_eq!(facts["engine_maker"], m["engine_maker"], "the machine keeps its facts");
}
