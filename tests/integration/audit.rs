//! The audit log: every state-changing operation of the OpenAPI document writes its row (a route
//! without a scenario here fails the test by name), sign-ins and failed sign-ins with the
//! address, before/after of an update, the append-only table on both databases, and the scope
//! of the search.

use crate::db_tests;
use crate::helpers::{
    PASSWORD, TestApp, assert_error, contractor, create_machine, expect_status, id_of, inspector, machine_input,
    site_input,
};
use app::auth::Role;
use app::db::entities::{audit_log, organization};
use chrono::Duration;
use reqwest::Method;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

db_tests!(
    every_mutating_route_is_audited,
    sign_ins_and_failures_are_recorded_with_the_address,
    an_update_keeps_before_and_after,
    the_audit_table_is_append_only,
    search_is_scoped_and_filtered,
);

/// The rows written while serving the request with this id.
async fn rows_for(app: &TestApp, request_id: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::RequestId.eq(request_id))
        .all(&app.state.db)
        .await
        .expect("audit rows")
}

fn request_id(resp: &reqwest::Response) -> String {
    resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("x-request-id").to_owned()
}

/// A body to send.
enum Body {
    None,
    Json(Value),
    Bytes(&'static str, Vec<u8>),
    Form(reqwest::multipart::Form),
}

/// What an operation must leave in the log.
#[derive(Debug, Clone)]
enum Expect {
    /// A row of the service layer: action, entity kind, the entity id (when the test knows it),
    /// and whether `before` / `after` are filled.
    Row { action: &'static str, entity: &'static str, id: Option<String>, before: bool, after: bool },
    /// A computation sent with POST: no row at all.
    ReadOnly,
}

fn row(action: &'static str, entity: &'static str, id: Option<String>, before: bool, after: bool) -> Expect {
    Expect::Row { action, entity, id, before, after }
}

/// One operation exercised: its OpenAPI key (`POST /api/v1/machines/{id}`), request id, and
/// what it must have written.
struct Exercised {
    op: String,
    request_id: String,
    expect: Expect,
}

/// The operations exercised by the scenario, in order.
#[derive(Default)]
struct Scenario {
    done: Vec<Exercised>,
}

/// Whether a concrete path matches an OpenAPI path template (`{x}` matches one segment).
fn matches_template(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

impl Scenario {
    /// Sends `method path` (which must match `template`) with `client`, expects a success, and
    /// notes what the log must hold for it. Returns the response body.
    #[allow(clippy::too_many_arguments)]
    async fn call(
        &mut self,
        app: &TestApp,
        client: &reqwest::Client,
        method: Method,
        template: &str,
        path: &str,
        body: Body,
        expect: impl FnOnce(&Value) -> Expect,
    ) -> Value {
        assert!(matches_template(template, path), "{path} is not an instance of {template}");
        let mut req = client.request(method.clone(), app.url(path));
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Bytes(ct, bytes) => req.header("content-type", ct).body(bytes),
            Body::Form(f) => req.multipart(f),
        };
        let resp = req.send().await.expect("request");
        let rid = request_id(&resp);
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        let v: Value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        self.done.push(Exercised { op: format!("{method} {template}"), request_id: rid, expect: expect(&v) });
        v
    }
}

fn png(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("png");
    out
}

fn id(v: &Value) -> Option<String> {
    v["id"].as_str().map(str::to_owned)
}

/// State-changing server functions of the pages and the REST operation calling the same service
/// function.
const SERVER_FN_TWINS: &[(&str, &str)] = &[
    ("/api/auth/login", "POST /api/v1/auth/login"),
    ("/api/auth/logout", "POST /api/v1/auth/logout"),
    ("/api/auth/tokens/create", "POST /api/v1/auth/tokens"),
    ("/api/auth/tokens/revoke", "DELETE /api/v1/auth/tokens/{id}"),
    ("/api/machines/create", "POST /api/v1/machines"),
    ("/api/machines/update", "PATCH /api/v1/machines/{id}"),
    ("/api/machines/delete", "DELETE /api/v1/machines/{id}"),
    ("/api/orgs/register", "POST /api/v1/organizations/register"),
    ("/api/orgs/staff/add", "POST /api/v1/organizations/users"),
    ("/api/orgs/staff/active", "POST /api/v1/organizations/users/{id}/disable"),
    ("/api/orgs/staff/role", "POST /api/v1/organizations/users/{id}/role"),
    ("/api/sites/create", "POST /api/v1/sites"),
    ("/api/sites/zone", "POST /api/v1/sites/{id}/zone"),
    ("/api/filings/create", "POST /api/v1/filings"),
    ("/api/filings/resubmit", "PUT /api/v1/filings/{id}"),
    ("/api/filings/review", "POST /api/v1/filings/{id}/review"),
    ("/api/filings/close", "POST /api/v1/filings/{id}/close"),
    ("/api/filings/movements/record", "POST /api/v1/filings/{id}/movements"),
    ("/api/inspections/create", "POST /api/v1/inspections"),
    ("/api/inspections/notes/add", "POST /api/v1/inspections/{id}/notes"),
    ("/api/limits/create", "POST /api/v1/limit-tables"),
    ("/api/zones/create", "POST /api/v1/zones"),
    ("/api/cases/transition", "POST /api/v1/cases/{id}/transition"),
    ("/api/cases/notes/add", "POST /api/v1/cases/{id}/notes"),
    ("/api/notifications/read", "POST /api/v1/notifications/{id}/read"),
    ("/api/notifications/read_all", "POST /api/v1/notifications/read-all"),
    ("/api/admin/users/create", "POST /api/v1/admin/users"),
    ("/api/admin/users/active", "POST /api/v1/admin/users/{id}/disable"),
    ("/api/admin/users/password", "POST /api/v1/admin/users/{id}/password"),
    ("/api/admin/users/role", "POST /api/v1/admin/users/{id}/role"),
    ("/api/admin/machine-types/create", "POST /api/v1/admin/machine-types"),
    ("/api/admin/machine-types/update", "PATCH /api/v1/admin/machine-types/{code}"),
    ("/api/transfers/start", "POST /api/v1/machines/{id}/transfers"),
    ("/api/transfers/accept", "POST /api/v1/transfers/{id}/accept"),
    ("/api/transfers/decline", "POST /api/v1/transfers/{id}/decline"),
    ("/api/transfers/cancel", "POST /api/v1/transfers/{id}/cancel"),
    ("/api/transfers/allow", "POST /api/v1/transfers/{id}/allow"),
    ("/api/amendments/submit", "POST /api/v1/machines/{id}/amendments"),
    ("/api/amendments/review", "POST /api/v1/amendments/{id}/review"),
    ("/api/amendments/withdraw", "POST /api/v1/amendments/{id}/withdraw"),
    ("/api/watchlist/add", "POST /api/v1/watchlist"),
    ("/api/watchlist/end", "DELETE /api/v1/watchlist/{id}"),
    ("/api/plan/set-weights", "PUT /api/v1/inspection-plan/weights"),
    ("/api/plan/set-route", "PUT /api/v1/inspection-plan/route"),
    ("/api/certificates/issue", "POST /api/v1/sites/{id}/certificates"),
    ("/api/reports/close", "POST /api/v1/reports/{id}/close"),
];

/// The state-changing operations (POST/PUT/PATCH/DELETE) of the served OpenAPI document.
async fn mutating_operations(app: &TestApp) -> BTreeSet<String> {
    let doc = expect_status(app.get("/api/v1/openapi.json").await, 200).await;
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    ops
}

async fn every_mutating_route_is_audited(app: TestApp) {
    let today = app.today();
    let mut s = Scenario::default();
    let org = app.organization("审计建设公司").await;
    let builder_id = app.user("audit.builder", Role::ContractorAdmin, None, Some(org)).await.to_string();
    let builder = TestApp::new_client();

    // Accounts and tokens.
    let login = json!({"username": "audit.builder", "password": PASSWORD});
    s.call(&app, &builder, Method::POST, "/api/v1/auth/login", "/api/v1/auth/login", Body::Json(login), |_| {
        row("sign_in", "account", Some(builder_id.clone()), false, true)
    })
    .await;
    let t = "/api/v1/auth/tokens";
    let token = s
        .call(&app, &builder, Method::POST, t, t, Body::Json(json!({"name": "ci"})), |v| {
            row("create", "api_token", id(v), false, true)
        })
        .await;
    let p = format!("/api/v1/auth/tokens/{}", id_of(&token));
    s.call(&app, &builder, Method::DELETE, "/api/v1/auth/tokens/{id}", &p, Body::None, |v| {
        row("revoke", "api_token", id(v), true, true)
    })
    .await;
    let builder_token = s
        .call(&app, &builder, Method::POST, t, t, Body::Json(json!({"name": "ci 2", "expires_in_days": 30})), |v| {
            row("create", "api_token", id(v), false, true)
        })
        .await;
    let sign_up = json!({
        "name": "审计示范建设有限公司", "uscc": "91350100M000100Y43", "contact_name": "王工",
        "contact_phone": "0351-1234567", "username": "audit.signup", "password": PASSWORD,
    });
    let t = "/api/v1/organizations/register";
    s.call(&app, &TestApp::new_client(), Method::POST, t, t, Body::Json(sign_up), |v| {
        row("create", "organization", v["organization"]["id"].as_str().map(str::to_owned), false, true)
    })
    .await;
    let staff = json!({"username": "audit.staff", "display_name": "李师傅", "password": PASSWORD});
    let t = "/api/v1/organizations/users";
    let added = s
        .call(&app, &builder, Method::POST, t, t, Body::Json(staff), |v| row("create", "account", id(v), false, true))
        .await;
    for (verb, action) in [("disable", "disable"), ("enable", "enable")] {
        let t = format!("/api/v1/organizations/users/{{id}}/{verb}");
        let p = format!("/api/v1/organizations/users/{}/{verb}", id_of(&added));
        s.call(&app, &builder, Method::POST, &t, &p, Body::Json(json!({})), |v| {
            row(action, "account", id(v), true, true)
        })
        .await;
    }
    let p = format!("/api/v1/organizations/users/{}/role", id_of(&added));
    let promote = Body::Json(json!({"role": "contractor_admin"}));
    s.call(&app, &builder, Method::POST, "/api/v1/organizations/users/{id}/role", &p, promote, |v| {
        row("update", "account", id(v), true, true)
    })
    .await;

    // Machines, photos, import.
    let m1 = s
        .call(&app, &builder, Method::POST, "/api/v1/machines", "/api/v1/machines", Body::Json(machine_input(1)), |v| {
            row("create", "machine", id(v), false, true)
        })
        .await;
    let m2 = create_machine(&app, &builder, 2).await;
    let p2 = format!("/api/v1/machines/{}", id_of(&m2));
    let patch = json!({"version": 1, "name": "改名挖掘机"});
    s.call(&app, &builder, Method::PATCH, "/api/v1/machines/{id}", &p2, Body::Json(patch), |v| {
        row("update", "machine", id(v), true, true)
    })
    .await;
    let m2_id = id_of(&m2);
    s.call(&app, &builder, Method::DELETE, "/api/v1/machines/{id}", &p2, Body::None, |_| {
        row("delete", "machine", Some(m2_id), true, false)
    })
    .await;
    let photos = "/api/v1/machines/{id}/photos/{kind}";
    let plate = format!("/api/v1/machines/{}/photos/machine_plate", id_of(&m1));
    s.call(&app, &builder, Method::PUT, photos, &plate, Body::Bytes("image/png", png(64, 48)), |_| {
        row("create", "machine_photo", None, false, true)
    })
    .await;
    let engine = format!("/api/v1/machines/{}/photos/engine_plate", id_of(&m1));
    let part = reqwest::multipart::Part::bytes(png(40, 30)).file_name("e.png").mime_str("image/png").expect("mime");
    let form = reqwest::multipart::Form::new().part("file", part);
    s.call(&app, &builder, Method::POST, photos, &engine, Body::Form(form), |_| {
        row("create", "machine_photo", None, false, true)
    })
    .await;
    s.call(&app, &builder, Method::DELETE, photos, &engine, Body::None, |_| {
        row("delete", "machine_photo", None, true, false)
    })
    .await;
    let template = builder.get(app.url("/api/v1/machines/import/template.csv")).send().await.expect("template");
    let mut csv = String::from_utf8(template.bytes().await.expect("csv").to_vec()).expect("utf-8");
    csv.push_str("挖掘机,导入挖掘机,三一,SY215C,IMP-0001,,,,,,,国四,柴油,118,2023/05/01,是,,,,否,否\n");
    let t = "/api/v1/machines/import";
    let report = s
        .call(&app, &builder, Method::POST, t, t, Body::Bytes("text/csv", csv.into_bytes()), |_| {
            row("create", "machine", None, false, true)
        })
        .await;
    assert_eq!(report["imported"], 1, "{report}");

    // Sites and filings.
    let site = s
        .call(
            &app,
            &builder,
            Method::POST,
            "/api/v1/sites",
            "/api/v1/sites",
            Body::Json(site_input(&app, "审计工地", "140105")),
            |v| row("create", "site", id(v), false, true),
        )
        .await;
    let filing_body = json!({"site_id": site["id"], "machine_ids": [m1["id"]], "planned_entry_on": today - Duration::days(1), "planned_exit_on": today + Duration::days(30)});
    let t = "/api/v1/filings/precheck";
    s.call(&app, &builder, Method::POST, t, t, Body::Json(filing_body.clone()), |_| Expect::ReadOnly).await;
    let f = s
        .call(&app, &builder, Method::POST, "/api/v1/filings", "/api/v1/filings", Body::Json(filing_body), |v| {
            row("create", "filing", id(v), false, true)
        })
        .await;
    let xiaodian = inspector(&app, "audit.xiaodian", "140105").await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    let ret = json!({"decision": "return", "reason": "缺少铭牌照片"});
    s.call(&app, &xiaodian, Method::POST, "/api/v1/filings/{id}/review", &review, Body::Json(ret), |v| {
        row("review", "filing", id(v), true, true)
    })
    .await;
    let fix = json!({"machine_ids": [m1["id"]], "planned_entry_on": today - Duration::days(1), "planned_exit_on": today + Duration::days(20), "version": 2});
    let fp = format!("/api/v1/filings/{}", id_of(&f));
    s.call(&app, &builder, Method::PUT, "/api/v1/filings/{id}", &fp, Body::Json(fix), |v| {
        row("resubmit", "filing", id(v), true, true)
    })
    .await;
    s.call(
        &app,
        &xiaodian,
        Method::POST,
        "/api/v1/filings/{id}/review",
        &review,
        Body::Json(json!({"decision": "accept"})),
        |v| row("review", "filing", id(v), true, true),
    )
    .await;
    let mv = format!("/api/v1/filings/{}/movements", id_of(&f));
    let enter = json!({"machine_id": m1["id"], "kind": "enter", "at": app.clock.now() - Duration::minutes(5)});
    s.call(&app, &builder, Method::POST, "/api/v1/filings/{id}/movements", &mv, Body::Json(enter), |v| {
        row("create", "movement", id(v), false, true)
    })
    .await;

    // Amendments of the registered machine: asked, with evidence, accepted; asked and withdrawn;
    // asked and returned.
    let amend = format!("/api/v1/machines/{}/amendments", id_of(&m1));
    let t = "/api/v1/machines/{id}/amendments";
    let ask = |changes: Value| Body::Json(json!({"changes": changes, "reason": "更换发动机"}));
    let a1 = s
        .call(&app, &builder, Method::POST, t, &amend, ask(json!({"engine_maker": "玉柴"})), |v| {
            row("create", "amendment", id(v), false, true)
        })
        .await;
    let part = reqwest::multipart::Part::bytes(png(48, 32)).file_name("n.png").mime_str("image/png").expect("mime");
    let form = Body::Form(reqwest::multipart::Form::new().text("note", "新铭牌").part("file", part));
    let ap = format!("/api/v1/amendments/{}/photos", id_of(&a1));
    s.call(&app, &builder, Method::POST, "/api/v1/amendments/{id}/photos", &ap, form, |v| {
        row("create", "evidence_photo", id(v), false, true)
    })
    .await;
    let review_t = "/api/v1/amendments/{id}/review";
    let ar = format!("/api/v1/amendments/{}/review", id_of(&a1));
    s.call(&app, &xiaodian, Method::POST, review_t, &ar, Body::Json(json!({"decision": "accept"})), |v| {
        row("review", "amendment", id(v), true, true)
    })
    .await;
    let a2 = s
        .call(&app, &builder, Method::POST, t, &amend, ask(json!({"obd_fitted": true})), |v| {
            row("create", "amendment", id(v), false, true)
        })
        .await;
    let wp = format!("/api/v1/amendments/{}/withdraw", id_of(&a2));
    s.call(&app, &builder, Method::POST, "/api/v1/amendments/{id}/withdraw", &wp, Body::Json(json!({})), |v| {
        row("withdraw", "amendment", id(v), true, true)
    })
    .await;
    let a3 = s
        .call(&app, &builder, Method::POST, t, &amend, ask(json!({"remote_terminal": true})), |v| {
            row("create", "amendment", id(v), false, true)
        })
        .await;
    let ar = format!("/api/v1/amendments/{}/review", id_of(&a3));
    let ret = json!({"decision": "return", "reason": "缺少远程终端安装证明"});
    s.call(&app, &xiaodian, Method::POST, review_t, &ar, Body::Json(ret), |v| {
        row("review", "amendment", id(v), true, true)
    })
    .await;

    // The registered machine on 小店区's watch list, then taken off it.
    let registered = expect_status(app.get_as(&builder, &format!("/api/v1/machines/{}", id_of(&m1))).await, 200).await;
    let t = "/api/v1/watchlist";
    let body =
        json!({"registration_code": registered["registration_code"], "reason": "群众举报", "ends_on": app.today()});
    let entry = s
        .call(&app, &xiaodian, Method::POST, t, t, Body::Json(body), |v| {
            row("create", "watch_entry", id(v), false, true)
        })
        .await;
    let ep = format!("/api/v1/watchlist/{}", id_of(&entry));
    s.call(&app, &xiaodian, Method::DELETE, "/api/v1/watchlist/{id}", &ep, Body::None, |v| {
        row("close", "watch_entry", id(v), true, true)
    })
    .await;
    // The unit's certificate of its site (its filing is in force).
    let cp = format!("/api/v1/sites/{}/certificates", id_of(&site));
    s.call(&app, &builder, Method::POST, "/api/v1/sites/{id}/certificates", &cp, Body::None, |v| {
        assert_eq!(v["status"], "current");
        row("create", "certificate", None, false, true)
    })
    .await;
    // A member of the public reports a machine (no sign-in); the county closes the report.
    let t = "/api/v1/public/reports";
    let report = reqwest::multipart::Form::new()
        .text("county_code", "140105")
        .text("description", "工地南门装载机冒黑烟")
        .text("phone", "13900139000");
    s.call(&app, &TestApp::new_client(), Method::POST, t, t, Body::Form(report), |_| {
        row("create", "public_report", None, false, true)
    })
    .await;
    let queue = expect_status(app.get_as(&xiaodian, "/api/v1/reports").await, 200).await;
    let rp = format!("/api/v1/reports/{}/close", id_of(&queue[0]));
    s.call(
        &app,
        &xiaodian,
        Method::POST,
        "/api/v1/reports/{id}/close",
        &rp,
        Body::Json(json!({"reason": "重复举报"})),
        |v| row("close", "public_report", id(v), true, true),
    )
    .await;
    // The inspector's route for today, and the province's weights of the plan (before: the
    // built-in ones).
    let t = "/api/v1/inspection-plan/route";
    let route = json!({"date": app.today(), "site_ids": [site["id"]]});
    s.call(&app, &xiaodian, Method::PUT, t, t, Body::Json(route), |_| {
        row("update", "inspection_route", None, true, true)
    })
    .await;
    app.user("audit.plan.province", Role::ProvinceOfficer, Some("140000"), None).await;
    let planner = app.signed_in("audit.plan.province").await;
    let t = "/api/v1/inspection-plan/weights";
    let weights = json!({"division_code": "140000", "weights": {"old_or_no_dpf": 40, "watched": 20, "site_failures": 10,
        "unit_failures": 2, "never_inspected": 8, "days_since": 5, "open_cases": 15}});
    s.call(&app, &planner, Method::PUT, t, t, Body::Json(weights), |_| {
        row("create", "plan_weights", Some("140000".to_owned()), true, true)
    })
    .await;
    let amendment_rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.is_in([id_of(&a1), id_of(&a2), id_of(&a3)]))
        .all(&app.state.db)
        .await
        .expect("rows");
    assert_eq!(amendment_rows.len(), 6, "asked ×3, accepted, withdrawn, returned: {amendment_rows:?}");
    assert!(amendment_rows.iter().all(|r| r.division_code.as_deref() == Some("140105")), "the issuing county");

    // Limits and zones.
    let t = "/api/v1/compliance/evaluate";
    let eval = json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.7, 0.8, 0.9]});
    s.call(&app, &TestApp::new_client(), Method::POST, t, t, Body::Json(eval), |_| Expect::ReadOnly).await;
    app.user("audit.province", Role::ProvinceOfficer, Some("140000"), None).await;
    let province = app.signed_in("audit.province").await;
    let current = expect_status(app.get("/api/v1/limit-tables/current").await, 200).await;
    let table =
        json!({"version": "AUDIT-2027", "effective_from": today + Duration::days(365), "rows": current["rows"]});
    let t = "/api/v1/limit-tables";
    s.call(&app, &province, Method::POST, t, t, Body::Json(table), |v| {
        row("create", "limit_table", id(v), false, true)
    })
    .await;
    let zone = json!({"division_code": "140121", "name": "清徐县低排放区", "min_diesel_stage": "stage_4", "required_class": "III", "effective_from": today});
    let z = s
        .call(&app, &province, Method::POST, "/api/v1/zones", "/api/v1/zones", Body::Json(zone.clone()), |v| {
            row("create", "zone", id(v), false, true)
        })
        .await;
    let mut zone2 = zone;
    zone2["name"] = json!("清徐县低排放控制区");
    zone2["version"] = json!(1);
    let zp = format!("/api/v1/zones/{}", id_of(&z));
    s.call(&app, &province, Method::PUT, "/api/v1/zones/{id}", &zp, Body::Json(zone2), |v| {
        row("update", "zone", id(v), true, true)
    })
    .await;

    // An official's zone decision on a site (the site stays in its zone).
    let zd = format!("/api/v1/sites/{}/zone", id_of(&site));
    let decision = json!({"in_zone": true, "reason": "位于城区建成区内"});
    s.call(&app, &xiaodian, Method::POST, "/api/v1/sites/{id}/zone", &zd, Body::Json(decision), |v| {
        row("update", "site", id(v), true, true)
    })
    .await;

    // Inspections and cases.
    let insp = json!({"site_id": site["id"], "machine_id": m1["id"], "inspected_at": app.clock.now() - Duration::minutes(1), "opacity_readings": [2.0, 2.0, 2.0], "label_present": true});
    let t = "/api/v1/inspections";
    let i = s
        .call(&app, &xiaodian, Method::POST, t, t, Body::Json(insp), |v| {
            row("create", "inspection", id(v), false, true)
        })
        .await;
    let case_id = i["opened_cases"][0]["id"].as_str().expect("a case").to_owned();
    let np = format!("/api/v1/inspections/{}/notes", id_of(&i));
    s.call(
        &app,
        &xiaodian,
        Method::POST,
        "/api/v1/inspections/{id}/notes",
        &np,
        Body::Json(json!({"body": "现场复核"})),
        |v| row("create", "inspection_note", id(v), false, true),
    )
    .await;
    let tp = format!("/api/v1/cases/{case_id}/transition");
    let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(15), "version": 1});
    s.call(&app, &xiaodian, Method::POST, "/api/v1/cases/{id}/transition", &tp, Body::Json(order), |v| {
        row("transition", "case", id(v), true, true)
    })
    .await;
    let cp = format!("/api/v1/cases/{case_id}/notes");
    s.call(
        &app,
        &xiaodian,
        Method::POST,
        "/api/v1/cases/{id}/notes",
        &cp,
        Body::Json(json!({"body": "已通知整改"})),
        |v| row("create", "case_note", id(v), false, true),
    )
    .await;
    let photo = |note: &'static str| {
        let part = reqwest::multipart::Part::bytes(png(48, 32)).file_name("p.png").mime_str("image/png").expect("mime");
        Body::Form(reqwest::multipart::Form::new().text("note", note).part("file", part))
    };
    let ip = format!("/api/v1/inspections/{}/photos", id_of(&i));
    s.call(&app, &xiaodian, Method::POST, "/api/v1/inspections/{id}/photos", &ip, photo("冒黑烟"), |v| {
        row("create", "evidence_photo", id(v), false, true)
    })
    .await;
    let ep = format!("/api/v1/cases/{case_id}/evidence");
    s.call(&app, &builder, Method::POST, "/api/v1/cases/{id}/evidence", &ep, photo("已加装DPF"), |v| {
        row("create", "evidence_photo", id(v), false, true)
    })
    .await;
    // The unit heard about both reviews: one notification marked read, then the rest.
    let notes = expect_status(app.get_as(&builder, "/api/v1/notifications").await, 200).await;
    let first = notes["items"].as_array().and_then(|n| n.first()).cloned().expect("a notification");
    let rp = format!("/api/v1/notifications/{}/read", id_of(&first));
    s.call(&app, &builder, Method::POST, "/api/v1/notifications/{id}/read", &rp, Body::Json(json!({})), |v| {
        row("update", "notification", id(v), true, true)
    })
    .await;
    let t = "/api/v1/notifications/read-all";
    s.call(&app, &builder, Method::POST, t, t, Body::Json(json!({})), |_| {
        row("update", "notification", None, true, true)
    })
    .await;
    let close = format!("/api/v1/filings/{}/close", id_of(&f));
    s.call(&app, &builder, Method::POST, "/api/v1/filings/{id}/close", &close, Body::Json(json!({})), |v| {
        row("close", "filing", id(v), true, true)
    })
    .await;
    let t = "/api/v1/auth/logout";
    s.call(&app, &builder, Method::POST, t, t, Body::None, |_| {
        row("sign_out", "account", Some(builder_id.clone()), false, false)
    })
    .await;

    transfers_scenario(&app, &mut s, org, &m1, &xiaodian).await;

    // Administration: accounts, the machine-type list, the division import.
    app.user("audit.root", Role::Sysadmin, None, None).await;
    let root = app.signed_in("audit.root").await;
    let t = "/api/v1/admin/users";
    let body = json!({"username": "audit.newinsp", "password": PASSWORD, "role": "county_inspector", "division_code": "140105"});
    let account = s
        .call(&app, &root, Method::POST, t, t, Body::Json(body), |v| row("create", "account", id(v), false, true))
        .await;
    let account_id = id_of(&account);
    for (action, verb) in [("disable", "disable"), ("enable", "enable")] {
        let p = format!("/api/v1/admin/users/{account_id}/{verb}");
        let template = format!("/api/v1/admin/users/{{id}}/{verb}");
        s.call(&app, &root, Method::POST, &template, &p, Body::Json(json!({})), |v| {
            row(action, "account", id(v), true, true)
        })
        .await;
    }
    let p = format!("/api/v1/admin/users/{builder_id}/tokens/{}", id_of(&builder_token));
    s.call(&app, &root, Method::DELETE, "/api/v1/admin/users/{id}/tokens/{token_id}", &p, Body::None, |v| {
        row("revoke", "api_token", id(v), true, true)
    })
    .await;
    let p = format!("/api/v1/admin/users/{account_id}/password");
    s.call(&app, &root, Method::POST, "/api/v1/admin/users/{id}/password", &p, Body::Json(json!({})), |_| {
        row("update", "account", Some(account_id.clone()), false, true)
    })
    .await;
    let p = format!("/api/v1/admin/users/{account_id}/role");
    let body = json!({"role": "county_inspector", "division_code": "140121"});
    s.call(&app, &root, Method::POST, "/api/v1/admin/users/{id}/role", &p, Body::Json(body), |v| {
        row("update", "account", id(v), true, true)
    })
    .await;
    let t = "/api/v1/admin/machine-types";
    let body = json!({"code": "audit_rig", "name_zh": "审计钻机", "name_en": "Audit rig"});
    s.call(&app, &root, Method::POST, t, t, Body::Json(body), |_| {
        row("create", "machine_type", Some("audit_rig".into()), false, true)
    })
    .await;
    let body = json!({"name_en": "Audited rig"});
    s.call(
        &app,
        &root,
        Method::PATCH,
        "/api/v1/admin/machine-types/{code}",
        "/api/v1/admin/machine-types/audit_rig",
        Body::Json(body),
        |_| row("update", "machine_type", Some("audit_rig".into()), true, true),
    )
    .await;
    let t = "/api/v1/admin/divisions/import";
    let csv = "code,name,level,parent_code\n130000,河北省,province,\n130100,石家庄市,city,130000\n".as_bytes().to_vec();
    s.call(&app, &root, Method::POST, t, t, Body::Bytes("text/csv", csv), |_| {
        row("import", "division", None, false, true)
    })
    .await;
    let added = audit_log::Entity::find()
        .filter(audit_log::Column::EntityKind.eq("division"))
        .filter(audit_log::Column::Action.eq("create"))
        .count(&app.state.db)
        .await
        .expect("division rows");
    assert_eq!(added, 2, "a row per division added");

    // Every state-changing operation of the API has a scenario above…
    let exercised: BTreeSet<String> = s.done.iter().map(|d| d.op.clone()).collect();
    let missing: Vec<String> =
        mutating_operations(&app).await.into_iter().filter(|op| !exercised.contains(op)).collect();
    assert!(
        missing.is_empty(),
        "state-changing routes without an audit scenario: {missing:?}. Record the change in its service with \
         `crate::audit::record` and add a scenario to tests/integration/audit.rs that exercises it."
    );
    // …and each wrote the service-level row it should (or none, for the computations).
    for d in &s.done {
        let rows = rows_for(&app, &d.request_id).await;
        match &d.expect {
            Expect::ReadOnly => assert!(rows.is_empty(), "{}: a computation wrote {rows:?}", d.op),
            Expect::Row { action, entity, id, before, after } => {
                let found = rows.iter().find(|r| {
                    r.action.as_str() == *action
                        && r.entity_kind.as_str() == *entity
                        && id.as_ref().is_none_or(|id| r.entity_id.as_deref() == Some(id.as_str()))
                });
                let Some(r) = found else {
                    panic!("{}: no `{action}` row for `{entity}` {id:?}; rows: {rows:?}", d.op)
                };
                assert_eq!(
                    (r.before.is_some(), r.after.is_some()),
                    (*before, *after),
                    "{}: before/after of {r:?}",
                    d.op
                );
                assert_eq!(r.ip.as_deref(), Some("127.0.0.1"), "{}: address", d.op);
                assert!(r.entity_id.is_some(), "{}: entity id", d.op);
                let anonymous =
                    matches!(d.op.as_str(), "POST /api/v1/organizations/register" | "POST /api/v1/public/reports");
                assert_eq!(r.actor_id.is_some(), !anonymous, "{}: actor of {r:?}", d.op);
                assert_eq!(r.actor_username.is_some(), !anonymous, "{}: actor name of {r:?}", d.op);
            }
        }
    }
    // Every server function is a known computation or the twin of an operation exercised above
    // (it calls the same service function, so it writes the same row).
    let mut unclassified = Vec::new();
    let server_fns = app::audit::service::server_function_paths();
    assert!(server_fns.iter().any(|p| p == "/api/machines/create"), "server functions: {server_fns:?}");
    for path in server_fns {
        if app::audit::READ_ONLY_POSTS.contains(&path.as_str()) {
            continue;
        }
        match SERVER_FN_TWINS.iter().find(|(p, _)| *p == path) {
            Some((_, twin)) => assert!(exercised.contains(*twin), "{path}: its twin {twin} was not exercised"),
            None => unclassified.push(path),
        }
    }
    assert!(
        unclassified.is_empty(),
        "server functions neither read-only (audit::READ_ONLY_POSTS) nor the twin of an audited REST operation \
         (SERVER_FN_TWINS in tests/integration/audit.rs): {unclassified:?}"
    );
    for listed in app::audit::READ_ONLY_POSTS {
        let known =
            listed.starts_with("/api/v1/") || app::audit::service::server_function_paths().iter().any(|p| p == listed);
        assert!(known, "{listed} in READ_ONLY_POSTS is no server function");
    }

    // The safety net never had to step in, and no secret reached the log.
    let net = audit_log::Entity::find().filter(audit_log::Column::Action.eq("request")).count(&app.state.db).await;
    assert_eq!(net.expect("count"), 0, "a state-changing request wrote no row of its own");
    for r in audit_log::Entity::find().all(&app.state.db).await.expect("rows") {
        let text = format!("{:?}{:?}", r.before, r.after);
        assert!(!text.contains(PASSWORD) && !text.contains("nrmm_") && !text.contains("$argon2"), "secret in {r:?}");
    }
    // The registered filing put the county on its rows; the machine rows have none.
    let filing_rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id_of(&f)))
        .all(&app.state.db)
        .await
        .expect("rows");
    assert!(filing_rows.len() >= 5 && filing_rows.iter().all(|r| r.division_code.as_deref() == Some("140105")));
}

/// Transfers: the builder's registered machine (its case still unresolved) offered to a second
/// unit, allowed by the county of the case, accepted; offered back and declined; offered again
/// and withdrawn.
async fn transfers_scenario(
    app: &TestApp,
    s: &mut Scenario,
    seller_org: Uuid,
    machine: &Value,
    county: &reqwest::Client,
) {
    let uscc = |org: Uuid| async move {
        organization::Entity::find_by_id(org).one(&app.state.db).await.expect("db").expect("organization").uscc
    };
    let builder = app.signed_in("audit.builder").await;
    let buyer_org = app.organization("审计受让公司").await;
    app.user("audit.buyer", Role::ContractorAdmin, None, Some(buyer_org)).await;
    let buyer = app.signed_in("audit.buyer").await;
    let start = "/api/v1/machines/{id}/transfers";
    let sp = format!("/api/v1/machines/{}/transfers", id_of(machine));
    let offer = |to: String| Body::Json(json!({"buyer_uscc": to}));
    let created = |v: &Value| row("create", "transfer", id(v), false, true);
    let step = |verb: &str, t: &Value| format!("/api/v1/transfers/{}/{verb}", id_of(t));
    let t = s.call(app, &builder, Method::POST, start, &sp, offer(uscc(buyer_org).await), created).await;
    assert_eq!(t["awaiting_permission_from"], json!(["140105"]), "{t}");
    let reason = || Body::Json(json!({"reason": "整改由受让方落实"}));
    s.call(app, county, Method::POST, "/api/v1/transfers/{id}/allow", &step("allow", &t), reason(), |v| {
        row("allow", "transfer", id(v), true, true)
    })
    .await;
    s.call(app, &buyer, Method::POST, "/api/v1/transfers/{id}/accept", &step("accept", &t), Body::None, |v| {
        row("accept", "transfer", id(v), true, true)
    })
    .await;
    let back = s.call(app, &buyer, Method::POST, start, &sp, offer(uscc(seller_org).await), created).await;
    s.call(app, &builder, Method::POST, "/api/v1/transfers/{id}/decline", &step("decline", &back), reason(), |v| {
        row("decline", "transfer", id(v), true, true)
    })
    .await;
    let again = s.call(app, &buyer, Method::POST, start, &sp, offer(uscc(seller_org).await), created).await;
    s.call(app, &buyer, Method::POST, "/api/v1/transfers/{id}/cancel", &step("cancel", &again), Body::None, |v| {
        row("cancel", "transfer", id(v), true, true)
    })
    .await;
}

async fn sign_ins_and_failures_are_recorded_with_the_address(app: TestApp) {
    let org = app.organization("签到公司").await;
    let uid = app.user("audit.signer", Role::ContractorAdmin, None, Some(org)).await;
    let inspector_id = app.user("audit.county", Role::CountyInspector, Some("140105"), None).await;
    let client = TestApp::new_client();
    let send = |body: Value| client.post(app.url("/api/v1/auth/login")).json(&body).send();

    let ok = send(json!({"username": "Audit.Signer", "password": PASSWORD})).await.expect("login");
    assert_eq!(ok.status(), 200);
    let rows = rows_for(&app, &request_id(&ok)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!((r.action.as_str(), r.entity_kind.as_str()), ("sign_in", "account"));
    assert_eq!((r.actor_id, r.actor_username.as_deref()), (Some(uid), Some("audit.signer")));
    assert_eq!(r.entity_id, Some(uid.to_string()));
    assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
    assert!((app.clock.now() - r.at).num_seconds().abs() < 60, "stamped by the app clock");

    // Wrong password: no actor, the name that was tried, never the password.
    let bad = send(json!({"username": "audit.signer", "password": "not the password"})).await.expect("login");
    assert_eq!(bad.status(), 401);
    let rows = rows_for(&app, &request_id(&bad)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!((r.action.as_str(), r.actor_id, r.actor_username.as_deref()), ("sign_in_failed", None, None));
    assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
    let after: Value = serde_json::from_str(r.after.as_deref().expect("after")).expect("json");
    assert_eq!(after, json!({"username": "audit.signer", "reason": "invalid"}));
    assert!(!format!("{r:?}").contains("not the password"));

    // Through the sign-in page's server function (form-encoded): a wrong password is recorded…
    let form = [("username", "audit.signer"), ("password", "whatever-it-is")];
    let resp = client.post(app.url("/api/auth/login")).form(&form).send().await.expect("server fn");
    assert_eq!(resp.status(), 401);
    let rows = rows_for(&app, &request_id(&resp)).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].action.as_str(), rows[0].ip.as_deref()), ("sign_in_failed", Some("127.0.0.1")));
    // …a name nobody has is not: strangers' guesses must not grow the append-only log (they are
    // counted by the sign-in throttle, whose rows are pruned).
    let form = [("username", "nobody.here"), ("password", "whatever-it-is")];
    let resp = client.post(app.url("/api/auth/login")).form(&form).send().await.expect("server fn");
    assert_eq!(resp.status(), 401);
    assert!(rows_for(&app, &request_id(&resp)).await.is_empty());

    // An official's sign-in carries the county, so that county's search finds it.
    let county = app.signed_in("audit.county").await;
    let found = expect_status(app.get_as(&county, "/api/v1/audit?action=sign_in").await, 200).await;
    let items = found["items"].as_array().expect("items");
    assert!(items.iter().any(|e| e["actor_id"] == json!(inspector_id) && e["division_code"] == "140105"), "{found}");
    assert!(items.iter().all(|e| e["actor_id"] != json!(uid)), "a contractor's sign-in has no county: {found}");

    // Signing out is recorded too.
    let out = client.post(app.url("/api/v1/auth/logout")).send().await.expect("logout");
    assert_eq!(out.status(), 204);
    let rows = rows_for(&app, &request_id(&out)).await;
    assert_eq!((rows.len(), rows[0].action.as_str(), rows[0].actor_id), (1, "sign_out", Some(uid)));
}

async fn an_update_keeps_before_and_after(app: TestApp) {
    let (_org, builder) = contractor(&app, "audit.editor").await;
    let m = create_machine(&app, &builder, 7).await;
    let path = format!("/api/v1/machines/{}", id_of(&m));
    let resp = app.patch_as(&builder, &path, &json!({"version": 1, "brand": "徐工"})).await;
    let rid = request_id(&resp);
    expect_status(resp, 200).await;
    let rows = rows_for(&app, &rid).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (r.action.as_str(), r.entity_kind.as_str(), r.entity_id.clone()),
        ("update", "machine", Some(id_of(&m)))
    );
    let before: Value = serde_json::from_str(r.before.as_deref().expect("before")).expect("json");
    let after: Value = serde_json::from_str(r.after.as_deref().expect("after")).expect("json");
    assert_eq!((before["brand"].as_str(), after["brand"].as_str()), (Some("三一"), Some("徐工")));
    assert_eq!((before["version"].as_i64(), after["version"].as_i64()), (Some(1), Some(2)));
    // What the audit page shows as the change: that field alone.
    let changed: Vec<String> =
        app::audit::pages::changed_fields(&before, &after).into_iter().map(|(k, ..)| k).collect();
    assert_eq!(changed, vec!["brand".to_owned()]);

    // A stale edit changes nothing and writes nothing.
    let resp = app.patch_as(&builder, &path, &json!({"version": 1, "brand": "柳工"})).await;
    let rid = request_id(&resp);
    assert_error(resp, 409, "stale_version").await;
    assert!(rows_for(&app, &rid).await.is_empty());

    // The same change through the page's server function is recorded alike.
    let mut input = machine_input(7);
    input["brand"] = json!("山推");
    let body = json!({"id": id_of(&m), "version": 2, "input": input});
    let resp = builder.post(app.url("/api/machines/update")).json(&body).send().await.expect("server fn");
    let rid = request_id(&resp);
    let status = resp.status();
    assert!(status.is_success(), "{status}: {}", resp.text().await.unwrap_or_default());
    let rows = rows_for(&app, &rid).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].action.as_str(), rows[0].ip.as_deref()), ("update", Some("127.0.0.1")));
    assert!(rows[0].after.as_deref().is_some_and(|a| a.contains("山推")));
}

async fn the_audit_table_is_append_only(app: TestApp) {
    let (_org, builder) = contractor(&app, "audit.keeper").await;
    create_machine(&app, &builder, 1).await;
    let db = &app.state.db;
    let count = || audit_log::Entity::find().count(db);
    let before = count().await.expect("count");
    assert!(before >= 2, "sign-in and create rows");
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let mut statements = vec![
        "UPDATE audit_log SET action = 'delete'",
        "UPDATE audit_log SET before = NULL WHERE action = 'create'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'sign_in'",
    ];
    if postgres {
        statements.push("TRUNCATE audit_log");
    }
    for sql in statements {
        let err = db.execute_unprepared(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(count().await.expect("count"), before);
    let kept = audit_log::Entity::find().filter(audit_log::Column::Action.eq("create")).count(db).await;
    assert_eq!(kept.expect("count"), 1);
    // Writing goes on.
    create_machine(&app, &builder, 2).await;
    assert_eq!(count().await.expect("count"), before + 1);
}

async fn search_is_scoped_and_filtered(app: TestApp) {
    let (_org, builder) = contractor(&app, "audit.scope").await;
    let post_site = |name: &'static str, county: &'static str| {
        let body = site_input(&app, name, county);
        let builder = builder.clone();
        let app = &app;
        async move { expect_status(app.post_as(&builder, "/api/v1/sites", &body).await, 201).await }
    };
    let xiaodian_site = post_site("小店工地", "140105").await;
    let qingxu_site = post_site("清徐工地", "140121").await;
    let machine = create_machine(&app, &builder, 3).await;

    let xiaodian = inspector(&app, "audit.xd", "140105").await;
    let qingxu = inspector(&app, "audit.qx", "140121").await;
    app.user("audit.taiyuan", Role::CityOfficer, Some("140100"), None).await;
    app.user("audit.datong", Role::CityOfficer, Some("140200"), None).await;
    app.user("audit.shanxi", Role::ProvinceOfficer, Some("140000"), None).await;
    app.user("audit.admin", Role::Sysadmin, None, None).await;
    app.user("audit.partner", Role::PartnerViewer, Some("140105"), None).await;
    let taiyuan = app.signed_in("audit.taiyuan").await;
    let datong = app.signed_in("audit.datong").await;
    let shanxi = app.signed_in("audit.shanxi").await;
    let admin = app.signed_in("audit.admin").await;
    let partner = app.signed_in("audit.partner").await;

    let sites_seen = |page: &Value| -> BTreeSet<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["entity_kind"] == "site")
            .filter_map(|e| e["entity_id"].as_str().map(str::to_owned))
            .collect()
    };
    let (xs, qs) = (id_of(&xiaodian_site), id_of(&qingxu_site));
    let search = |client: reqwest::Client, query: &'static str| {
        let app = &app;
        async move { expect_status(app.get_as(&client, &format!("/api/v1/audit{query}")).await, 200).await }
    };
    let page = search(xiaodian.clone(), "").await;
    assert_eq!(sites_seen(&page), BTreeSet::from([xs.clone()]));
    assert!(page["items"].as_array().expect("items").iter().all(|e| e["division_code"] == "140105"), "{page}");
    assert_eq!(sites_seen(&search(qingxu.clone(), "").await), BTreeSet::from([qs.clone()]));
    let city = search(taiyuan.clone(), "").await;
    assert_eq!(sites_seen(&city), BTreeSet::from([xs.clone(), qs.clone()]));
    assert!(city["items"].as_array().expect("items").iter().all(|e| e["entity_kind"] != "machine"), "{city}");
    assert!(sites_seen(&search(datong, "").await).is_empty());
    for who in [shanxi.clone(), admin] {
        let all = search(who, "?limit=500").await;
        assert_eq!(sites_seen(&all), BTreeSet::from([xs.clone(), qs.clone()]));
        let machine_row = all["items"].as_array().expect("items").iter().any(|e| e["entity_id"] == machine["id"]);
        assert!(machine_row, "rows without a county are the province's: {all}");
    }
    for who in [&builder, &partner] {
        assert_error(app.get_as(who, "/api/v1/audit").await, 403, "forbidden").await;
    }
    assert_error(TestApp::new_client().get(app.url("/api/v1/audit")).send().await.expect("get"), 401, "unauthorized")
        .await;

    // Filters: entity and id, action, actor, time.
    let one = search(shanxi.clone(), "?entity=site&action=create").await;
    assert_eq!(one["items"].as_array().map(Vec::len), Some(2));
    let q = format!("/api/v1/audit?entity=site&entity_id={xs}");
    let one = expect_status(app.get_as(&shanxi, &q).await, 200).await;
    assert_eq!(sites_seen(&one), BTreeSet::from([xs.clone()]));
    let mine = search(shanxi.clone(), "?actor=AUDIT.SCOPE&limit=500").await;
    let items = mine["items"].as_array().expect("items");
    assert!(items.len() >= 4 && items.iter().all(|e| e["actor_username"] == "audit.scope"), "{mine}");
    let tomorrow = app.today() + Duration::days(1);
    let later = expect_status(app.get_as(&shanxi, &format!("/api/v1/audit?from={tomorrow}")).await, 200).await;
    assert_eq!(later["items"].as_array().map(Vec::len), Some(0));
    let today = app.today();
    let now = expect_status(app.get_as(&shanxi, &format!("/api/v1/audit?from={today}&to={today}")).await, 200).await;
    assert!(!now["items"].as_array().expect("items").is_empty());
    assert_error(app.get_as(&shanxi, "/api/v1/audit?from=yesterday").await, 422, "validation_failed").await;
    assert_error(app.get_as(&shanxi, "/api/v1/audit?action=explode").await, 400, "malformed_query").await;

    // Keyset pages: newest first, every row once.
    let all = search(shanxi.clone(), "?limit=500").await;
    let want: Vec<Value> = all["items"].as_array().expect("items").iter().map(|e| e["id"].clone()).collect();
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/audit?limit=2&cursor={c}"),
            None => "/api/v1/audit?limit=2".to_owned(),
        };
        let page = expect_status(app.get_as(&shanxi, &q).await, 200).await;
        got.extend(page["items"].as_array().expect("items").iter().map(|e| e["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(got, want);

    // The page renders for an inspector, with the filters, and is in the navigation.
    let html = app.get_as(&xiaodian, "/audit").await.text().await.expect("html");
    assert!(html.contains("审计日志") && html.contains("name=\"entity_id\""), "{html}");
    let html = app.get_as(&builder, "/").await.text().await.expect("html");
    assert!(!html.contains("href=\"/audit\""), "no audit link for construction units");
}
