//! Reports from the public (issue 15): sent without signing in, they reach the county of the
//! machine's current filing (or the county chosen) and no other; the reporter's phone is read
//! only by that county's inspectors; photos are checked like other uploads; an inspection of
//! the machine answers a report, an inspector closes one with a reason; the 429 limit holds.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, expect_status, id_of, inspector};
use crate::inspections::{inspect, inspection, registered, world};
use app::auth::Role;
use app::error::{FieldCode, FieldError};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

db_tests!(a_public_report_reaches_its_county_and_no_other, bad_reports_are_refused_with_a_reason);

fn form(fields: &[(&str, &str)], photos: usize) -> Form {
    let mut f = Form::new();
    for (k, v) in fields {
        f = f.text((*k).to_owned(), (*v).to_owned());
    }
    for i in 0..photos {
        let part =
            Part::bytes(crate::amendments::png()).file_name(format!("p{i}.png")).mime_str("image/png").expect("mime");
        f = f.part("photo", part);
    }
    f
}

async fn send(app: &TestApp, f: Form) -> reqwest::Response {
    TestApp::new_client().post(app.url("/api/v1/public/reports")).multipart(f).send().await.expect("request")
}

async fn reports(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    expect_status(app.get_as(client, "/api/v1/reports").await, 200).await.as_array().cloned().unwrap_or_default()
}

async fn a_public_report_reaches_its_county_and_no_other(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    // About a machine filed in 小店区: it goes there, whatever county was chosen.
    let fields = [
        ("registration_code", code.as_str()),
        ("county_code", "140121"),
        ("kind", "black_smoke"),
        ("description", "龙城大街工地北门的挖掘机冒黑烟"),
        ("phone", "13800138000"),
        ("lat", "37.80"),
        ("lng", "112.55"),
    ];
    let receipt = expect_status(send(&app, form(&fields, 2)).await, 201).await;
    assert_eq!(receipt["county_code"], "140105");
    assert_eq!(receipt["county_name"], "小店区");
    assert_eq!(receipt["reference"].as_str().map(str::len), Some(8));
    let seen = reports(&app, &w.xiaodian).await;
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(
        (r["status"].as_str(), r["phone"].as_str(), r["photos"].as_i64()),
        (Some("new"), Some("13800138000"), Some(2))
    );
    assert_eq!(r["machine_id"], m["id"]);
    let photo = app.get_as(&w.xiaodian, &format!("/api/v1/reports/{}/photos/2", id_of(r))).await;
    assert_eq!(photo.status().as_u16(), 200);
    assert_eq!(photo.headers()["content-type"], "image/jpeg", "re-encoded");
    // No other county sees it, or its photos; the city sees it without the phone.
    assert!(reports(&app, &w.qingxu).await.is_empty());
    let p = format!("/api/v1/reports/{}/photos/1", id_of(r));
    assert_error(app.get_as(&w.qingxu, &p).await, 404, "not_found").await;
    let close = format!("/api/v1/reports/{}/close", id_of(r));
    assert_error(app.post_as(&w.qingxu, &close, &json!({"reason": "不是本县"})).await, 404, "not_found").await;
    app.user("taiyuan.reports", Role::CityOfficer, Some("140100"), None).await;
    let city = app.signed_in("taiyuan.reports").await;
    let theirs = reports(&app, &city).await;
    assert_eq!(theirs.len(), 1);
    assert!(theirs[0]["phone"].is_null(), "the phone is for the county's inspectors only");
    assert_error(app.post_as(&city, &close, &json!({"reason": "x"})).await, 403, "forbidden").await;
    // Never for units, the public page, or the machine's own record.
    assert_error(app.get_as(&w.builder, "/api/v1/reports").await, 403, "forbidden").await;
    let public = app.get(&format!("/v/{code}")).await.text().await.expect("page");
    assert!(public.contains("/report?code=") && !public.contains("13800138000"));
    let own = app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m))).await.text().await.expect("machine");
    assert!(!own.contains("13800138000"));

    // Without a code, to the county chosen.
    let fields = [("county_code", "140121"), ("kind", "no_label"), ("description", "清徐物流园门口一台无牌装载机")];
    let elsewhere = expect_status(send(&app, form(&fields, 0)).await, 201).await;
    assert_eq!(elsewhere["county_code"], "140121");
    let qingxu = reports(&app, &w.qingxu).await;
    assert_eq!((qingxu.len(), qingxu[0]["phone"].clone()), (1, Value::Null));
    assert_eq!(reports(&app, &w.xiaodian).await.len(), 1, "小店区 still sees its own only");

    // An inspection of the machine in 小店区, made after the report, answers it.
    app.clock.advance(chrono::Duration::minutes(5));
    let done = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[0.5, 0.5, 0.5])).await;
    let answered = &reports(&app, &w.xiaodian).await[0];
    assert_eq!((answered["status"].as_str(), &answered["inspection_id"]), (Some("inspected"), &done["id"]));
    assert_error(app.post_as(&w.xiaodian, &close, &json!({"reason": "已检查"})).await, 409, "illegal_transition").await;
    // 清徐县 closes its own with a reason (required).
    let close = format!("/api/v1/reports/{}/close", id_of(&qingxu[0]));
    let bad = expect_status(app.post_as(&w.qingxu, &close, &json!({"reason": " "})).await, 422).await;
    assert_field(&bad, "reason", &FieldError::new(FieldCode::Required));
    let closed =
        expect_status(app.post_as(&w.qingxu, &close, &json!({"reason": "现场核查未发现该机械"})).await, 200).await;
    assert_eq!(
        (closed["status"].as_str(), closed["closed_reason"].as_str()),
        (Some("closed"), Some("现场核查未发现该机械"))
    );
    let colleague = inspector(&app, "qingxu.reports", "140121").await;
    let only_new = expect_status(app.get_as(&colleague, "/api/v1/reports?status=new").await, 200).await;
    assert_eq!(only_new, json!([]));
    // Audited: the report (no actor, no phone), its answer and its closing.
    let log = expect_status(app.get_as(&w.xiaodian, "/api/v1/audit?entity=public_report").await, 200).await;
    let actions: Vec<&str> =
        log["items"].as_array().expect("items").iter().filter_map(|r| r["action"].as_str()).collect();
    assert_eq!(actions, ["update", "create"]);
    assert!(!log.to_string().contains("13800138000"), "no phone in the audit log");
    // Nor in any export a unit may take (now that the machine has an inspection too).
    for file in ["machines.csv", "filings.csv", "inspections.csv", "cases.csv"] {
        let resp = app.get_as(&w.builder, &format!("/api/v1/exports/{file}")).await;
        let status = resp.status().as_u16();
        assert!(status == 200 || status == 403, "{file}: {status}");
        let text = resp.text().await.expect("export");
        assert!(!text.contains("13800138000"), "{file} holds no reporter's phone");
    }
}

/// A refused report: its fields, how many photos, the field named and what it says.
type BadReport = (Vec<(&'static str, &'static str)>, usize, &'static str, FieldError);

async fn bad_reports_are_refused_with_a_reason(app: TestApp) {
    let cases: [BadReport; 6] = [
        (vec![("description", "冒黑烟")], 0, "county_code", FieldError::new(FieldCode::Required)),
        (
            vec![("county_code", "140105"), ("description", "  ")],
            0,
            "description",
            FieldError::new(FieldCode::Required),
        ),
        (
            vec![("county_code", "140100"), ("description", "x")],
            0,
            "county_code",
            FieldError::new(FieldCode::NotACounty),
        ),
        (
            vec![("county_code", "140105"), ("description", "x"), ("kind", "fire")],
            0,
            "kind",
            FieldError::new(FieldCode::UnknownValue),
        ),
        (
            vec![("county_code", "140105"), ("description", "x"), ("phone", "call me")],
            0,
            "phone",
            FieldError::new(FieldCode::Phone),
        ),
        (
            vec![("county_code", "140105"), ("description", "x")],
            4,
            "photo",
            FieldError::new(FieldCode::TooMany).with("max", 3),
        ),
    ];
    for (fields, photos, field, expected) in cases {
        let body = expect_status(send(&app, form(&fields, photos)).await, 422).await;
        assert_field(&body, field, &expected);
    }
    // A code that is not on any label; a file that is not an image.
    let fields = [("registration_code", "14010500000010"), ("county_code", "140105"), ("description", "x")];
    let body = expect_status(send(&app, form(&fields, 0)).await, 422).await;
    assert!(body["error"]["fields"]["registration_code"].is_array(), "{body}");
    let text = Part::bytes(b"not an image".to_vec()).file_name("a.png").mime_str("image/png").expect("mime");
    let f = form(&[("county_code", "140105"), ("description", "x")], 0).part("photo", text);
    let body = expect_status(send(&app, f).await, 422).await;
    assert!(body["error"]["fields"]["photo1"].is_array(), "{body}");
    // Nothing was stored.
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(app::db::entities::public_report::Entity::find().count(&app.state.db).await.expect("count"), 0);
}

/// Reports are rate-limited per address (429 with `Retry-After`), in a budget of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.public_burst = 2;
        c.public_rate_per_minute = 1;
    })
    .await;
    let fields = [("county_code", "140105"), ("description", "冒黑烟")];
    for _ in 0..2 {
        assert_eq!(send(&app, form(&fields, 0)).await.status().as_u16(), 201);
    }
    let limited = send(&app, form(&fields, 0)).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(
        app.get("/api/v1/public/machines/140105000000X").await.status().as_u16(),
        404,
        "label checks are counted apart"
    );
}
