//! The public label check `/v/{code}` and its JSON twin: what a passer-by sees without signing
//! in, that no personal data of the seeded people, site or organisation leaks, the 404 for
//! unknown and malformed codes, and the per-address rate limit.

use crate::db_tests;
use crate::helpers::{Backend, TestApp, assert_error, create_filing, expect_status, id_of, machine_input, site_input};
use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use app::i18n::Locale;
use app::inspections::names::verdict_label;
use app::machines::EmissionStage;
use app::machines::names::stage_label;
use app::machines::regcode::RegistrationCode;
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(
    public_check_shows_facts_and_no_personal_data,
    unknown_and_malformed_codes_are_not_registered,
    hammering_is_rate_limited
);

/// Personal and site data the check must never show.
struct Secrets(Vec<String>);

impl Secrets {
    fn assert_absent(&self, text: &str, what: &str) {
        for s in &self.0 {
            assert!(!text.contains(s.as_str()), "{what} shows {s:?}: {text}");
        }
    }
}

async fn person(
    app: &TestApp,
    username: &str,
    role: Role,
    division: Option<&str>,
    org: Option<uuid::Uuid>,
    name: &str,
    phone: &str,
) {
    let new = NewUser {
        username: username.into(),
        password: crate::helpers::PASSWORD.into(),
        role,
        display_name: Some(name.into()),
        organization_id: org,
        division_code: division.map(str::to_owned),
        phone: Some(phone.into()),
    };
    create_user(&app.state, new).await.expect("create user");
}

/// A unit with a named, phoned administrator and a site with an address and coordinates; one
/// machine registered through an accepted filing and inspected (pass) by a named inspector.
/// Returns the code, the machine and the data that must stay private.
async fn world(app: &TestApp) -> (String, Value, Secrets) {
    let org = app.organization("晋阳路桥建设有限公司").await;
    person(app, "pub.admin", Role::ContractorAdmin, None, Some(org), "张建国", "13911112222").await;
    person(app, "pub.staff", Role::ContractorStaff, None, Some(org), "王小明", "13955556666").await;
    person(app, "pub.inspector", Role::CountyInspector, Some("140105"), None, "李检查", "13933334444").await;
    let admin = app.signed_in("pub.admin").await;
    let inspector = app.signed_in("pub.inspector").await;
    let mut site_body = site_input(app, "晋阳一号工地", "140105");
    site_body["address"] = json!("长风街幸福里88号");
    site_body["lat"] = json!(37.8123);
    site_body["lng"] = json!(112.5432);
    let site = expect_status(app.post_as(&admin, "/api/v1/sites", &site_body).await, 201).await;
    let site = crate::sites::mark_zone(app, &inspector, &site, false, "位于禁用区范围外").await;
    let m = expect_status(app.post_as(&admin, "/api/v1/machines", &machine_input(71)).await, 201).await;
    let today = app.today();
    let f = create_filing(app, &admin, &site["id"], &[&m["id"]], today - Duration::days(1), today + Duration::days(30))
        .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&inspector, &review, &json!({"decision": "accept"})).await, 200).await;
    let m = expect_status(app.get_as(&admin, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await;
    let code = m["registration_code"].as_str().expect("code").to_owned();
    let body = json!({
        "site_id": site["id"], "machine_id": m["id"], "inspected_at": app.clock.now() - Duration::minutes(1),
        "opacity_readings": [0.1, 0.1, 0.1], "label_present": true, "lat": 37.8123, "lng": 112.5432,
    });
    expect_status(app.post_as(&inspector, "/api/v1/inspections", &body).await, 201).await;
    use sea_orm::EntityTrait;
    let stored = app::db::entities::organization::Entity::find_by_id(org)
        .one(&app.state.db)
        .await
        .expect("org")
        .expect("org row");
    let secrets = Secrets(
        [
            "张建国",
            "王小明",
            "李检查",
            "13911112222",
            "13955556666",
            "13933334444",
            "pub.admin",
            "pub.staff",
            "pub.inspector",
            "长风街幸福里88号",
            "37.8123",
            "112.5432",
            "PERMIT-001",
            &stored.contact_name,
            &stored.contact_phone,
            &stored.uscc,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    );
    (code, m, secrets)
}

async fn public_check_shows_facts_and_no_personal_data(app: TestApp) {
    let (code, _m, secrets) = world(&app).await;
    // A visitor without any session.
    let visitor = TestApp::new_client();
    let resp = visitor.get(app.url(&format!("/v/{code}"))).send().await.expect("page");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let html = resp.text().await.expect("html");
    let today = app.today().to_string();
    for want in [
        code.as_str(),
        "已登记 · 当前已报备工地",
        "挖掘机",
        stage_label(Locale::zh, EmissionStage::Stage4),
        "晋阳路桥建设有限公司",
        "小店区",
        verdict_label(Locale::zh, app::inspections::compliance::Verdict::Pass),
        today.as_str(),
        "width=device-width",
    ] {
        assert!(html.contains(want), "page lacks {want:?}: {html}");
    }
    assert!(!html.contains("<script"), "the page needs no script");
    secrets.assert_absent(&html, "the page");

    let en =
        visitor.get(app.url(&format!("/v/{code}?lang=en"))).send().await.expect("page").text().await.expect("html");
    assert!(en.contains("lang=\"en\"") && en.contains(stage_label(Locale::en, EmissionStage::Stage4)), "{en}");
    secrets.assert_absent(&en, "the English page");

    let resp = visitor.get(app.url(&format!("/api/v1/public/machines/{code}"))).send().await.expect("json");
    let body = expect_status(resp, 200).await;
    assert_eq!(body["registration_code"], code.as_str());
    assert_eq!(body["status"], "registered_on_site");
    assert_eq!(body["machine_type"]["code"], "excavator");
    assert_eq!(body["machine_type"]["name_zh"], "挖掘机");
    assert_eq!(body["emission_stage"], "stage_4");
    assert_eq!(body["owner"], "晋阳路桥建设有限公司");
    assert_eq!(body["current_county"], json!({"code": "140105", "name": "小店区"}));
    assert_eq!(body["last_inspection"], json!({"verdict": "pass", "inspected_on": today}));
    assert_eq!(body["unresolved_case"], false);
    secrets.assert_absent(&body.to_string(), "the JSON");

    // Once the filing has ended the machine is still registered, with no county.
    app.clock.advance(Duration::days(40));
    let body = expect_status(
        visitor.get(app.url(&format!("/api/v1/public/machines/{code}"))).send().await.expect("json"),
        200,
    )
    .await;
    assert_eq!(body["status"], "registered");
    assert_eq!(body["current_county"], Value::Null);

    // The label's QR points here, and OpenAPI lists the JSON twin.
    assert_eq!(app::machines::labels::verification_url(&app.base, &code), app.url(&format!("/v/{code}")));
    let doc = expect_status(visitor.get(app.url("/api/v1/openapi.json")).send().await.expect("doc"), 200).await;
    assert!(doc["paths"]["/api/v1/public/machines/{code}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["PublicMachine"].is_object());
}

async fn unknown_and_malformed_codes_are_not_registered(app: TestApp) {
    let (code, _, _) = world(&app).await;
    let unknown = RegistrationCode::issue("140105", 9_999_999).expect("code").to_string();
    let mut bad_check = code.clone();
    let last = bad_check.pop().expect("char");
    bad_check.push(if last == '0' { '1' } else { '0' });
    assert!(RegistrationCode::parse(&bad_check).is_err());
    let visitor = TestApp::new_client();
    for c in [unknown.as_str(), bad_check.as_str(), "12345", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "140105000000１X"]
    {
        let resp = visitor.get(app.url(&format!("/v/{c}"))).send().await.expect("page");
        assert_eq!(resp.status(), 404, "{c}");
        assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
        let html = resp.text().await.expect("html");
        assert!(html.contains("未登记") && html.contains("Not registered"), "{c}: {html}");
        assert!(!html.contains("<script>alert"), "the code is escaped: {html}");
        assert!(!html.contains("晋阳路桥"), "nothing about another machine");
        let resp = visitor.get(app.url(&format!("/api/v1/public/machines/{c}"))).send().await.expect("json");
        assert_error(resp, 404, "not_found").await;
    }
    // The real code still answers.
    let resp = visitor.get(app.url(&format!("/v/{code}"))).send().await.expect("page");
    assert_eq!(resp.status(), 200);
}

async fn hammering_is_rate_limited(app: TestApp) {
    let (code, _, _) = world(&app).await;
    let visitor = TestApp::new_client();
    let burst = app.config.public_burst;
    let mut limited = None;
    for i in 0..(burst + 10) {
        let path = if i % 2 == 0 { format!("/v/{code}") } else { format!("/api/v1/public/machines/{code}") };
        let resp = visitor.get(app.url(&path)).send().await.expect("request");
        if resp.status() == 429 {
            assert!(i >= burst - 1, "limited after only {i} requests");
            limited = Some(i);
            break;
        }
        assert_eq!(resp.status(), 200);
    }
    assert!(limited.is_some(), "never limited");
    let resp = visitor.get(app.url(&format!("/v/{code}"))).send().await.expect("page");
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry >= 1);
    let html = resp.text().await.expect("html");
    assert!(html.contains("请求过于频繁"), "{html}");
    let resp = visitor.get(app.url(&format!("/api/v1/public/machines/{code}"))).send().await.expect("json");
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, 429, "rate_limited").await;
    // The limit is per client, not on the signed-in parts.
    expect_status(app.get("/healthz").await, 200).await;
}

/// Behind a trusted proxy every client address has its own allowance, and the configured burst
/// is what is allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_address_has_its_own_allowance() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.trust_proxy = app::rest::proxy::TrustedProxies::parse("127.0.0.1").unwrap_or_default();
        c.public_burst = 3;
        c.public_rate_per_minute = 1;
    })
    .await;
    let visitor = TestApp::new_client();
    let ask = |ip: &'static str| {
        let req = visitor.get(app.url("/api/v1/public/machines/140105000000X")).header("x-forwarded-for", ip);
        async move { req.send().await.expect("request").status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(ask("203.0.113.1").await, 404);
    }
    assert_eq!(ask("203.0.113.1").await, 429);
    assert_eq!(ask("203.0.113.2").await, 404, "another address is not limited");
}

/// The rate limit and the deadline sweep are configurable, with sensible defaults; a value that
/// is not a number stops start-up with a message naming it.
#[test]
fn limits_and_sweep_are_configurable() {
    let defaults = server::Config::from_lookup(|_| None).expect("config");
    assert_eq!(
        (
            defaults.public_rate_per_minute,
            defaults.public_burst,
            defaults.deadline_near_days,
            defaults.sweep_interval_secs
        ),
        (30, 20, 3, 3600)
    );
    let set = server::Config::from_lookup(|k| match k {
        "NRMM_PUBLIC_RATE" => Some("120".into()),
        "NRMM_PUBLIC_BURST" => Some("5".into()),
        "NRMM_DEADLINE_NEAR_DAYS" => Some("7".into()),
        "NRMM_SWEEP_INTERVAL_SECS" => Some("60".into()),
        _ => None,
    })
    .expect("config");
    assert_eq!(
        (set.public_rate_per_minute, set.public_burst, set.deadline_near_days, set.sweep_interval_secs),
        (120, 5, 7, 60)
    );
    let err = server::Config::from_lookup(|k| (k == "NRMM_PUBLIC_BURST").then(|| "many".to_owned()))
        .expect_err("not a number");
    assert!(err.to_string().contains("NRMM_PUBLIC_BURST"), "{err}");
}
