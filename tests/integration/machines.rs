//! Machines through the REST API: every rule names its field, identifiers are unique across
//! organisations (409, never 500), edits carry a version, registered machines keep their
//! identifiers, deletion, keyset pagination, and the walls between organisations.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, create_machine, create_site, expect_status, id_of,
    inspector, json, machine_input,
};
use app::error::{FieldCode, FieldError};
use serde_json::{Value, json};
use std::collections::HashSet;

db_tests!(
    every_machine_rule_names_its_field,
    identifiers_are_unique_across_organizations,
    concurrent_duplicates_are_409_never_500,
    edits_carry_the_version_they_read,
    registered_machines_keep_their_identifiers,
    deleting_machines,
    keyset_pagination_walks_every_machine_once,
    machines_are_private_to_their_unit,
);

fn with(mut body: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("object") {
        body[k] = v.clone();
    }
    body
}

async fn every_machine_rule_names_its_field(app: TestApp) {
    let (_org, client) = contractor(&app, "rule.fleet").await;
    let today = app.today();
    let tomorrow = today + chrono::Duration::days(1);
    let cases: Vec<(Value, &str, FieldError)> = vec![
        (json!({"env_code": "CN123"}), "env_code", FieldError::new(FieldCode::EnvCodeLength).with("found", 5)),
        (
            json!({"env_code": "CN1234567890ABCD*"}),
            "env_code",
            FieldError::new(FieldCode::BadChar).with("position", 17).with("char", '*'),
        ),
        (json!({"pin": "SY 215"}), "pin", FieldError::new(FieldCode::BadChar).with("position", 3).with("char", ' ')),
        (json!({"pin": "SY#215"}), "pin", FieldError::new(FieldCode::BadChar).with("position", 3).with("char", '#')),
        (json!({"pin": "SY2"}), "pin", FieldError::new(FieldCode::Length).with("min", 4).with("max", 40)),
        (
            json!({"engine_serial": "4B#1"}),
            "engine_serial",
            FieldError::new(FieldCode::BadChar).with("position", 3).with("char", '#'),
        ),
        (json!({"rated_power_kw": 0}), "rated_power_kw", FieldError::new(FieldCode::PowerRange).with("max", 10000)),
        (json!({"rated_power_kw": -5}), "rated_power_kw", FieldError::new(FieldCode::PowerRange).with("max", 10000)),
        (
            json!({"rated_power_kw": 10000.1}),
            "rated_power_kw",
            FieldError::new(FieldCode::PowerRange).with("max", 10000),
        ),
        (json!({"manufactured_on": tomorrow}), "manufactured_on", FieldError::new(FieldCode::DateInFuture)),
        (json!({"dpf_fitted_on": tomorrow}), "dpf_fitted_on", FieldError::new(FieldCode::DateInFuture)),
        (json!({"fuel_type": "electric"}), "fuel_type", FieldError::new(FieldCode::ElectricMismatch)),
        (json!({"emission_stage": "electric"}), "fuel_type", FieldError::new(FieldCode::ElectricMismatch)),
        (
            json!({"pin": null, "env_code": " ", "engine_serial": null}),
            "pin",
            FieldError::new(FieldCode::IdentifierRequired),
        ),
        (json!({"machine_type": "spaceship"}), "machine_type", FieldError::new(FieldCode::UnknownMachineType)),
        (json!({"machine_type": ""}), "machine_type", FieldError::new(FieldCode::Required)),
        (json!({"name": "  "}), "name", FieldError::new(FieldCode::Required)),
        (
            json!({"brand": "品".repeat(101)}),
            "brand",
            FieldError::new(FieldCode::Length).with("min", 0).with("max", 100),
        ),
    ];
    for (i, (change, field, expected)) in cases.into_iter().enumerate() {
        let body = with(machine_input(i as u32), change.clone());
        let resp = app.post_as(&client, "/api/v1/machines", &body).await;
        let err = assert_error(resp, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
        assert_eq!(err["error"]["fields"].as_object().map(|f| f.len()), Some(1), "{change}: only {field}: {err}");
    }
    let page = expect_status(app.get_as(&client, "/api/v1/machines").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "nothing was stored");

    // The edges that pass: today's date, 10,000 kW, electric with electric, one identifier,
    // and lower-case identifiers stored in upper case.
    let ok: Vec<Value> = vec![
        json!({"manufactured_on": today, "rated_power_kw": 10000}),
        json!({"rated_power_kw": 0.1}),
        json!({"fuel_type": "electric", "emission_stage": "electric"}),
        json!({"pin": null, "env_code": null}),
        json!({"pin": " pin-lower-1 ", "env_code": "cn1234567890abcde", "engine_serial": "eng/lower-1"}),
    ];
    for (i, change) in ok.into_iter().enumerate() {
        let body = with(machine_input(100 + i as u32), change.clone());
        let created = expect_status(app.post_as(&client, "/api/v1/machines", &body).await, 201).await;
        assert_eq!(created["version"], 1, "{change}");
        assert_eq!(created["registration_code"], Value::Null);
    }
    let page = expect_status(app.get_as(&client, "/api/v1/machines?q=PIN-LOWER").await, 200).await;
    let m = &page["items"][0];
    assert_eq!((m["pin"].as_str(), m["env_code"].as_str()), (Some("PIN-LOWER-1"), Some("CN1234567890ABCDE")));
    assert_eq!(m["engine_serial"], "ENG/LOWER-1");

    // Unknown enumeration values and wrong types are malformed bodies (400), never 500.
    for change in [json!({"emission_stage": "stage_9"}), json!({"fuel_type": 7}), json!({"rated_power_kw": "lots"})] {
        let body = with(machine_input(200), change);
        assert_error(app.post_as(&client, "/api/v1/machines", &body).await, 400, "malformed").await;
    }
}

/// The machine of `n`, with the identifier `field` taken from machine `taken`.
fn clash(n: u32, taken: u32, field: &str) -> Value {
    let mut body = machine_input(n);
    body[field] = machine_input(taken)[field].clone();
    body
}

async fn identifiers_are_unique_across_organizations(app: TestApp) {
    let (_a, a) = contractor(&app, "a.fleet").await;
    let (_b, b) = contractor(&app, "b.fleet").await;
    let first = create_machine(&app, &a, 1).await;
    for field in ["pin", "env_code", "engine_serial"] {
        // Another organisation, and the same one, are both refused, naming the field.
        for client in [&b, &a] {
            let err = assert_error(
                app.post_as(client, "/api/v1/machines", &clash(2, 1, field)).await,
                409,
                "duplicate_identifier",
            )
            .await;
            assert_field(&err, field, &FieldError::new(FieldCode::AlreadyRegistered));
            assert_eq!(err["error"]["fields"].as_object().map(|f| f.len()), Some(1), "{err}");
        }
        // Typed in lower case: the same identifier.
        let mut body = clash(3, 1, field);
        body[field] = json!(body[field].as_str().expect("str").to_lowercase());
        assert_error(app.post_as(&b, "/api/v1/machines", &body).await, 409, "duplicate_identifier").await;
    }
    // All three at once are all named.
    let err =
        assert_error(app.post_as(&b, "/api/v1/machines", &machine_input(1)).await, 409, "duplicate_identifier").await;
    for field in ["pin", "env_code", "engine_serial"] {
        assert_field(&err, field, &FieldError::new(FieldCode::AlreadyRegistered));
    }
    // A rule broken as well: the rule wins (422), and the duplicate is still named.
    let body = with(machine_input(1), json!({"rated_power_kw": 0}));
    let err = assert_error(app.post_as(&b, "/api/v1/machines", &body).await, 422, "validation_failed").await;
    assert_field(&err, "pin", &FieldError::new(FieldCode::AlreadyRegistered));

    // Editing B's machine onto A's identifier is refused the same way.
    let other = create_machine(&app, &b, 4).await;
    let path = format!("/api/v1/machines/{}", id_of(&other));
    let patch = json!({"version": 1, "env_code": machine_input(1)["env_code"]});
    let err = assert_error(app.patch_as(&b, &path, &patch).await, 409, "duplicate_identifier").await;
    assert_field(&err, "env_code", &FieldError::new(FieldCode::AlreadyRegistered));
    // Keeping one's own identifier is not a duplicate.
    let patch = json!({"version": 1, "pin": machine_input(4)["pin"], "name": "改名"});
    expect_status(app.patch_as(&b, &path, &patch).await, 200).await;

    // The first machine is untouched.
    let now = expect_status(app.get_as(&a, &format!("/api/v1/machines/{}", id_of(&first))).await, 200).await;
    assert_eq!(now, first);
}

async fn concurrent_duplicates_are_409_never_500(app: TestApp) {
    let (_a, a) = contractor(&app, "race.a").await;
    let (_b, b) = contractor(&app, "race.b").await;
    // Eight requests for the same PIN at once (other identifiers differ), from two units.
    let requests = (0..8u32).map(|i| {
        let client = if i % 2 == 0 { a.clone() } else { b.clone() };
        let body = clash(10 + i, 9, "pin");
        let app = &app;
        async move {
            let resp = app.post_as(&client, "/api/v1/machines", &body).await;
            let status = resp.status().as_u16();
            (status, json(resp).await)
        }
    });
    let results = futures::future::join_all(requests).await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "exactly one wins: {results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["error"]["code"], "duplicate_identifier");
        assert_field(body, "pin", &FieldError::new(FieldCode::AlreadyRegistered));
    }
}

async fn edits_carry_the_version_they_read(app: TestApp) {
    let (_org, client) = contractor(&app, "edit.fleet").await;
    let m = create_machine(&app, &client, 1).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));

    let edited = expect_status(
        app.patch_as(&client, &path, &json!({"version": 1, "name": " 新名字 ", "brand": null})).await,
        200,
    )
    .await;
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["name"], "新名字");
    assert_eq!(edited["brand"], Value::Null);
    assert_eq!(edited["model"], m["model"], "fields not in the patch are kept");

    // A second editor who read version 1: 409, nothing changes, and the current version is named.
    let err =
        assert_error(app.patch_as(&client, &path, &json!({"version": 1, "name": "旧稿"})).await, 409, "stale_version")
            .await;
    assert_eq!(err["error"]["details"]["current_version"], "2");
    let now = expect_status(app.get_as(&client, &path).await, 200).await;
    assert_eq!(now, edited);

    // The version is required, rules apply to the merged machine, unknown fields are refused.
    let err =
        assert_error(app.patch_as(&client, &path, &json!({"name": "无版本"})).await, 422, "validation_failed").await;
    assert_field(&err, "version", &FieldError::new(FieldCode::Required));
    let err = assert_error(
        app.patch_as(&client, &path, &json!({"version": 2, "rated_power_kw": 0})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "rated_power_kw", &FieldError::new(FieldCode::PowerRange).with("max", 10000));
    let err = assert_error(
        app.patch_as(&client, &path, &json!({"version": 2, "colour": "yellow"})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&err, "colour", &FieldError::new(FieldCode::UnknownField));
    assert_error(app.patch_as(&client, &path, &json!([1, 2])).await, 400, "malformed").await;
    assert_error(app.patch_as(&client, &path, &json!({"version": 2, "fuel_type": "coal"})).await, 400, "malformed")
        .await;
    // Fields the server owns are ignored, not written.
    let sneaky = json!({"version": 2, "registration_code": "1401050000001X", "organization_id": uuid::Uuid::nil()});
    let after = expect_status(app.patch_as(&client, &path, &sneaky).await, 200).await;
    assert_eq!(after["registration_code"], Value::Null);
    assert_eq!(after["organization_id"], m["organization_id"]);
    assert_eq!(after["version"], 3);
}

/// Files `machines` at a new site in 小店区 and has its inspector accept the filing.
async fn register(app: &TestApp, client: &reqwest::Client, machines: &[&Value]) -> Value {
    let site = create_site(app, client, "登记工地", "140105").await;
    let today = app.today();
    let filing = create_filing(app, client, &site["id"], machines, today, today + chrono::Duration::days(30)).await;
    let insp = inspector(app, &format!("insp.{}", &id_of(&filing)[30..]), "140105").await;
    let path = format!("/api/v1/filings/{}/review", id_of(&filing));
    expect_status(app.post_as(&insp, &path, &json!({"decision": "accept"})).await, 200).await
}

async fn registered_machines_keep_their_identifiers(app: TestApp) {
    let (_org, client) = contractor(&app, "locked.fleet").await;
    let m = create_machine(&app, &client, 1).await;
    register(&app, &client, &[&m["id"]]).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));
    let registered = expect_status(app.get_as(&client, &path).await, 200).await;
    assert!(registered["registration_code"].is_string());
    let version = registered["version"].as_i64().expect("version");
    assert_eq!(version, 2, "issuing the code is an edit");

    for (field, value) in [
        ("pin", json!("NEW-PIN-1")),
        ("env_code", json!("CN999999999999999")),
        ("engine_serial", json!("NEW-ENG-1")),
        ("machine_type", json!("loader")),
    ] {
        let err = assert_error(
            app.patch_as(&client, &path, &json!({"version": version, field: value})).await,
            409,
            "registered_fact",
        )
        .await;
        assert_field(&err, field, &FieldError::new(FieldCode::RegisteredFact));
    }
    // Re-sending the same identifier (even in lower case) is not a change.
    let same =
        json!({"version": version, "pin": registered["pin"].as_str().map(str::to_lowercase), "name": "登记后改名"});
    let edited = expect_status(app.patch_as(&client, &path, &same).await, 200).await;
    assert_eq!(edited["name"], "登记后改名");
    assert_eq!(edited["registration_code"], registered["registration_code"]);
    // A registered machine is not deleted.
    assert_error(app.delete_as(&client, &path).await, 409, "machine_in_use").await;
}

async fn deleting_machines(app: TestApp) {
    let (_org, client) = contractor(&app, "delete.fleet").await;
    let free = create_machine(&app, &client, 1).await;
    let filed = create_machine(&app, &client, 2).await;
    let site = create_site(&app, &client, "删除工地", "140105").await;
    let today = app.today();
    create_filing(&app, &client, &site["id"], &[&filed["id"]], today, today + chrono::Duration::days(5)).await;

    let path = format!("/api/v1/machines/{}", id_of(&free));
    let resp = app.delete_as(&client, &path).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.text().await.expect("body").is_empty());
    assert_error(app.get_as(&client, &path).await, 404, "not_found").await;
    assert_error(app.delete_as(&client, &path).await, 404, "not_found").await;
    // Its identifiers are free again.
    create_machine(&app, &client, 1).await;

    let path = format!("/api/v1/machines/{}", id_of(&filed));
    assert_error(app.delete_as(&client, &path).await, 409, "machine_in_use").await;
    expect_status(app.get_as(&client, &path).await, 200).await;
}

async fn keyset_pagination_walks_every_machine_once(app: TestApp) {
    let (_a, a) = contractor(&app, "big.fleet").await;
    let (_b, b) = contractor(&app, "small.fleet").await;
    const N: u32 = 120;
    let mut created = HashSet::new();
    for chunk in (0..N).collect::<Vec<_>>().chunks(8) {
        let batch = chunk.iter().map(|n| create_machine(&app, &a, *n));
        for m in futures::future::join_all(batch).await {
            created.insert(id_of(&m));
        }
    }
    let b_machine = create_machine(&app, &b, 1000).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/machines?limit=50&cursor={c}"),
            None => "/api/v1/machines?limit=50".to_owned(),
        };
        let page = expect_status(app.get_as(&a, &path).await, 200).await;
        let items = page["items"].as_array().expect("items");
        pages += 1;
        assert!(items.len() <= 50);
        seen.extend(items.iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), N as usize, "no duplicates");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created, "no gaps");
    let mut sorted = seen.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(seen, sorted, "newest first");
    assert!(!seen.contains(&id_of(&b_machine)));

    // The other unit sees only its own machine.
    let page = expect_status(app.get_as(&b, "/api/v1/machines?limit=500").await, 200).await;
    let ids: Vec<String> = page["items"].as_array().expect("items").iter().map(id_of).collect();
    assert_eq!(ids, vec![id_of(&b_machine)]);
    assert_eq!(page["next_cursor"], Value::Null);

    // Filters combine with paging; limits are clamped.
    let page = expect_status(app.get_as(&a, "/api/v1/machines?limit=1000&registered=false").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(N as usize));
    let page = expect_status(app.get_as(&a, "/api/v1/machines?limit=0").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let page = expect_status(app.get_as(&a, "/api/v1/machines?q=PIN-00000007").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));

    // Garbage is refused in the error format.
    let err = assert_error(app.get_as(&a, "/api/v1/machines?cursor=garbage").await, 422, "validation_failed").await;
    assert_field(&err, "cursor", &FieldError::new(FieldCode::Invalid));
    assert_error(app.get_as(&a, "/api/v1/machines?limit=many").await, 400, "malformed_query").await;
    assert_error(app.get_as(&a, "/api/v1/machines?registered=perhaps").await, 400, "malformed_query").await;
}

async fn machines_are_private_to_their_unit(app: TestApp) {
    let (_a, a) = contractor(&app, "owner.fleet").await;
    let (_b, b) = contractor(&app, "nosy.fleet").await;
    let m = create_machine(&app, &a, 1).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));

    assert_error(app.get_as(&b, &path).await, 404, "not_found").await;
    assert_error(app.patch_as(&b, &path, &json!({"version": 1, "name": "抢走"})).await, 404, "not_found").await;
    assert_error(app.delete_as(&b, &path).await, 404, "not_found").await;
    let page = expect_status(app.get_as(&b, "/api/v1/machines").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(expect_status(app.get_as(&a, &path).await, 200).await, m, "untouched");

    // Officials do not register machines, and see one only once it is filed in their county.
    let xiaodian = inspector(&app, "m.xiaodian", "140105").await;
    let qingxu = inspector(&app, "m.qingxu", "140121").await;
    assert_error(app.post_as(&xiaodian, "/api/v1/machines", &machine_input(2)).await, 403, "forbidden").await;
    assert_error(app.patch_as(&xiaodian, &path, &json!({"version": 1, "name": "x"})).await, 403, "forbidden").await;
    assert_error(app.delete_as(&xiaodian, &path).await, 403, "forbidden").await;
    assert_error(app.get_as(&xiaodian, &path).await, 404, "not_found").await;
    let site = create_site(&app, &a, "小店工地", "140105").await;
    let today = app.today();
    create_filing(&app, &a, &site["id"], &[&m["id"]], today, today + chrono::Duration::days(5)).await;
    assert_eq!(expect_status(app.get_as(&xiaodian, &path).await, 200).await["id"], m["id"]);
    let page = expect_status(app.get_as(&xiaodian, "/api/v1/machines").await, 200).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_error(app.get_as(&qingxu, &path).await, 404, "not_found").await;
    assert_error(app.get_as(&TestApp::new_client(), &path).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn openapi_lists_the_registry_paths() {
    let app = TestApp::sqlite().await;
    let doc = json(app.get("/api/v1/openapi.json").await).await;
    let expected = [
        ("/api/v1/organizations/register", "post"),
        ("/api/v1/organizations/me", "get"),
        ("/api/v1/organizations/users", "get"),
        ("/api/v1/organizations/users", "post"),
        ("/api/v1/organizations/users/{id}/disable", "post"),
        ("/api/v1/organizations/users/{id}/enable", "post"),
        ("/api/v1/sites", "get"),
        ("/api/v1/sites", "post"),
        ("/api/v1/sites/{id}", "get"),
        ("/api/v1/divisions", "get"),
        ("/api/v1/divisions/{code}/zone", "get"),
        ("/api/v1/machine-types", "get"),
        ("/api/v1/machines", "get"),
        ("/api/v1/machines", "post"),
        ("/api/v1/machines/{id}", "get"),
        ("/api/v1/machines/{id}", "patch"),
        ("/api/v1/machines/{id}", "delete"),
        ("/api/v1/filings", "get"),
        ("/api/v1/filings", "post"),
        ("/api/v1/filings/precheck", "post"),
        ("/api/v1/filings/{id}", "get"),
        ("/api/v1/filings/{id}", "put"),
        ("/api/v1/filings/{id}/review", "post"),
        ("/api/v1/filings/{id}/close", "post"),
        ("/api/v1/filings/{id}/movements", "get"),
        ("/api/v1/filings/{id}/movements", "post"),
    ];
    for (path, method) in expected {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
    // The schemas the new paths refer to are in the document.
    for schema in ["Machine", "MachineInput", "Site", "SiteInput", "Filing", "FilingInput", "Movement", "RegisterInput"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}
