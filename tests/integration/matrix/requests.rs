//! The records the matrix calls against, and the request each caller sends for each operation
//! and server function. A call that changes a record gets a fresh record for every caller.

use super::CALLERS;
use crate::amendments::png;
use crate::helpers::{
    PASSWORD, TestApp, create_filing, create_machine, create_site, expect_status, id_of, machine_input,
};
use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

/// A request body.
pub enum Body {
    None,
    Json(Value),
    /// A multipart form with a small PNG as `file` and this `note`.
    Photo(&'static str),
    Bytes(&'static str, Vec<u8>),
    /// `application/x-www-form-urlencoded` (server functions' default encoding).
    Url(String),
    /// A public report (multipart) about a machine seen in 小店区, with one photo.
    Report,
}

/// One call: method, path, body, and whether it needs a session of its own (signing in and out
/// must not end the caller's session the other rows use).
pub struct Req {
    method: Method,
    path: String,
    body: Body,
    own_session: bool,
}

fn req(method: Method, path: impl Into<String>, body: Body) -> Req {
    Req { method, path: path.into(), body, own_session: false }
}

fn post_fn(path: &str, body: Body) -> Req {
    req(Method::POST, path, body)
}

fn url(pairs: &[(&str, &str)]) -> Body {
    Body::Url(url_encode(pairs))
}

fn url_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                    b' ' => "+".to_owned(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A public report about a machine seen in 小店区, with one photo.
fn report_form() -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(png()).file_name("p.png").mime_str("image/png").expect("mime");
    reqwest::multipart::Form::new()
        .text("county_code", "140105")
        .text("kind", "black_smoke")
        .text("description", "矩阵举报：挖掘机冒黑烟")
        .part("photo", part)
}

/// Two units, eleven callers and the records of unit A the rows call against.
pub struct Fixture {
    pub app: TestApp,
    clients: Vec<reqwest::Client>,
    seq: AtomicU32,
    unit_a_admin: Uuid,
    uscc_b: String,
    site_a: Value,
    /// Registered through an accepted filing, with a nameplate photo, inspected with a failing
    /// result (so a case is open).
    registered: Value,
    /// Not yet registered, with a nameplate photo.
    free: Value,
    filing: Value,
    inspection: String,
    inspection_photo: String,
    case: String,
    case_photo: String,
    amended: Value,
    amendment: String,
    amendment_photo: String,
    transfer: String,
    zone: String,
    notification: String,
}

impl Fixture {
    pub async fn new(app: TestApp) -> Fixture {
        use app::db::entities::organization;
        use sea_orm::EntityTrait;
        let org_a = app.organization("矩阵甲建设公司").await;
        let org_b = app.organization("矩阵乙建设公司").await;
        let mut unit_a_admin = Uuid::nil();
        for (name, role, division) in CALLERS.iter().skip(1) {
            let org = match *name {
                "mx.unit.a" | "mx.staff.a" => Some(org_a),
                "mx.unit.b" => Some(org_b),
                _ => None,
            };
            let id = app.user(name, role.expect("a role"), *division, org).await;
            if *name == "mx.unit.a" {
                unit_a_admin = id;
            }
        }
        let mut clients = vec![TestApp::new_client()];
        for (name, ..) in CALLERS.iter().skip(1) {
            clients.push(app.signed_in(name).await);
        }
        let uscc_b = organization::Entity::find_by_id(org_b).one(&app.state.db).await.expect("db").expect("org").uscc;
        let site_a = create_site(&app, &clients[1], "矩阵甲工地", "140105").await;
        let mut fx = Fixture {
            app,
            clients,
            seq: AtomicU32::new(9_000),
            unit_a_admin,
            uscc_b,
            site_a,
            registered: Value::Null,
            free: Value::Null,
            filing: Value::Null,
            inspection: String::new(),
            inspection_photo: String::new(),
            case: String::new(),
            case_photo: String::new(),
            amended: Value::Null,
            amendment: String::new(),
            amendment_photo: String::new(),
            transfer: String::new(),
            zone: String::new(),
            notification: String::new(),
        };
        let app = &fx.app;
        let today = app.today();

        // Unit B's site, machine and filing in 平城区, Datong.
        let mut site_b = crate::helpers::site_input(app, "矩阵乙工地", "140213");
        site_b["lat"] = json!(40.08);
        site_b["lng"] = json!(113.30);
        let site_b = expect_status(app.post_as(fx.unit_b(), "/api/v1/sites", &site_b).await, 201).await;
        let mb = create_machine(app, fx.unit_b(), fx.next()).await;
        create_filing(app, fx.unit_b(), &site_b["id"], &[&mb["id"]], today, today + Duration::days(30)).await;

        // Unit A's machines, filing, inspection, case, amendment and transfer.
        let free = fx.machine().await;
        fx.put_photo(&free).await;
        let registered = fx.machine().await;
        fx.put_photo(&registered).await;
        let filing = fx.submitted_for(&registered).await;
        fx.accept(&filing).await;
        fx.filing = fx.get(4, &format!("/api/v1/filings/{}", id_of(&filing))).await;
        fx.registered = fx.get(1, &format!("/api/v1/machines/{}", id_of(&registered))).await;
        fx.free = free;
        let (inspection, case) = fx.failing_inspection(&fx.registered).await;
        let part = |v: &Value| id_of(v);
        let photo = fx.upload(4, &format!("/api/v1/inspections/{inspection}/photos")).await;
        fx.inspection_photo = part(&photo);
        let photo = fx.upload(1, &format!("/api/v1/cases/{case}/evidence")).await;
        fx.case_photo = part(&photo);
        fx.inspection = inspection;
        fx.case = case;
        fx.amended = fx.registered_machine().await;
        fx.amendment = fx.amendment_of(&fx.amended).await;
        let photo = fx.upload(1, &format!("/api/v1/amendments/{}/photos", fx.amendment)).await;
        fx.amendment_photo = part(&photo);
        fx.transfer = fx.transfer().await;
        let zone = json!({"division_code": "140121", "name": "矩阵低排放区", "min_diesel_stage": "stage_4", "required_class": "III", "effective_from": today});
        fx.zone = id_of(&expect_status(fx.app.post_as(&fx.clients[8], "/api/v1/zones", &zone).await, 201).await);
        let notes = fx.get(1, "/api/v1/notifications").await;
        fx.notification = notes["items"].as_array().and_then(|n| n.first()).map(id_of).expect("a notification");
        let rig = json!({"code": "mx_rig", "name_zh": "矩阵钻机", "name_en": "Matrix rig"});
        expect_status(fx.app.post_as(&fx.clients[10], "/api/v1/admin/machine-types", &rig).await, 201).await;
        fx
    }

    fn unit_a(&self) -> &reqwest::Client {
        &self.clients[1]
    }

    fn unit_b(&self) -> &reqwest::Client {
        &self.clients[3]
    }

    fn inspector_a(&self) -> &reqwest::Client {
        &self.clients[4]
    }

    fn next(&self) -> u32 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    async fn get(&self, who: usize, path: &str) -> Value {
        expect_status(self.app.get_as(&self.clients[who], path).await, 200).await
    }

    /// Sends `r` as caller `who`; returns the status.
    pub async fn send(&self, who: usize, r: Req) -> u16 {
        let own;
        let client = if r.own_session {
            own = if who == 0 { TestApp::new_client() } else { self.app.signed_in(CALLERS[who].0).await };
            &own
        } else {
            &self.clients[who]
        };
        let path = r.path.clone();
        let mut b = client.request(r.method, self.app.url(&r.path));
        b = match r.body {
            Body::None => b,
            Body::Json(v) => b.json(&v),
            Body::Photo(note) => {
                let part =
                    reqwest::multipart::Part::bytes(png()).file_name("p.png").mime_str("image/png").expect("mime");
                b.multipart(reqwest::multipart::Form::new().text("note", note).part("file", part))
            }
            Body::Bytes(ct, bytes) => b.header("content-type", ct).body(bytes),
            Body::Url(s) => b.header("content-type", "application/x-www-form-urlencoded").body(s),
            Body::Report => b.multipart(report_form()),
        };
        let resp = b.send().await.expect("request");
        let status = resp.status().as_u16();
        if std::env::var_os("NRMM_MATRIX_DEBUG").is_some() && (status == 400 || status == 422 || status == 409) {
            eprintln!("matrix: caller {who}, {path}: {status} {}", resp.text().await.unwrap_or_default());
        }
        status
    }

    /// A new machine of unit A (not registered).
    async fn machine(&self) -> Value {
        create_machine(&self.app, self.unit_a(), self.next()).await
    }

    async fn put_photo(&self, machine: &Value) {
        let path = format!("/api/v1/machines/{}/photos/machine_plate", id_of(machine));
        let resp = self.unit_a().put(self.app.url(&path)).header("content-type", "image/png").body(png()).send();
        let status = resp.await.expect("photo").status().as_u16();
        assert!(status == 200 || status == 201, "photo upload: {status}");
    }

    async fn upload(&self, who: usize, path: &str) -> Value {
        let part = reqwest::multipart::Part::bytes(png()).file_name("p.png").mime_str("image/png").expect("mime");
        let form = reqwest::multipart::Form::new().text("note", "矩阵照片").part("file", part);
        let resp = self.clients[who].post(self.app.url(path)).multipart(form).send().await.expect("upload");
        expect_status(resp, 201).await
    }

    fn filing_body(&self, machine: &Value) -> Value {
        let today = self.app.today();
        json!({"site_id": self.site_a["id"], "machine_ids": [machine["id"]], "planned_entry_on": today - Duration::days(1), "planned_exit_on": today + Duration::days(30)})
    }

    async fn submitted_for(&self, machine: &Value) -> Value {
        expect_status(self.app.post_as(self.unit_a(), "/api/v1/filings", &self.filing_body(machine)).await, 201).await
    }

    async fn accept(&self, filing: &Value) {
        let path = format!("/api/v1/filings/{}/review", id_of(filing));
        expect_status(self.app.post_as(self.inspector_a(), &path, &json!({"decision": "accept"})).await, 200).await;
    }

    /// A submitted filing of a new machine.
    async fn submitted(&self) -> Value {
        let m = self.machine().await;
        self.submitted_for(&m).await
    }

    /// An accepted filing of a new machine.
    async fn accepted(&self) -> Value {
        let f = self.submitted().await;
        self.accept(&f).await;
        self.get(1, &format!("/api/v1/filings/{}", id_of(&f))).await
    }

    /// A returned filing of a new machine, as the unit reads it.
    async fn returned(&self) -> Value {
        let f = self.submitted().await;
        let path = format!("/api/v1/filings/{}/review", id_of(&f));
        let body = json!({"decision": "return", "reason": "缺少铭牌照片"});
        expect_status(self.app.post_as(self.inspector_a(), &path, &body).await, 200).await;
        self.get(1, &format!("/api/v1/filings/{}", id_of(&f))).await
    }

    /// A new registered machine of unit A.
    async fn registered_machine(&self) -> Value {
        let m = self.machine().await;
        let f = self.submitted_for(&m).await;
        self.accept(&f).await;
        self.get(1, &format!("/api/v1/machines/{}", id_of(&m))).await
    }

    fn inspection_body(&self, machine: &Value, readings: &[f64]) -> Value {
        json!({
            "site_id": self.site_a["id"],
            "machine_id": machine["id"],
            "inspected_at": self.app.clock.now() - Duration::minutes(1),
            "opacity_readings": readings,
            "label_present": true,
        })
    }

    /// A failing inspection of `machine` by 小店区's inspector: (inspection id, case id).
    async fn failing_inspection(&self, machine: &Value) -> (String, String) {
        let body = self.inspection_body(machine, &[2.0, 2.0, 2.0]);
        let i = expect_status(self.app.post_as(self.inspector_a(), "/api/v1/inspections", &body).await, 201).await;
        let case = i["opened_cases"][0]["id"].as_str().expect("a case").to_owned();
        (id_of(&i), case)
    }

    /// An open case on a new registered machine.
    async fn case(&self) -> String {
        let m = self.registered_machine().await;
        self.failing_inspection(&m).await.1
    }

    fn watch_body(&self) -> Value {
        json!({"registration_code": self.code(), "reason": "矩阵理由", "ends_on": self.app.today() + Duration::days(7)})
    }

    /// A running watch-list entry of 小店区 on the registered machine.
    async fn watch_entry(&self) -> String {
        id_of(
            &expect_status(self.app.post_as(self.inspector_a(), "/api/v1/watchlist", &self.watch_body()).await, 201)
                .await,
        )
    }

    /// A new public report of 小店区 (with one photo): its id.
    async fn report(&self) -> String {
        // Through the service: the address's report budget is for the rows that post reports.
        let input = app::reports::ReportInput {
            county_code: Some("140105".into()),
            description: "矩阵举报：挖掘机冒黑烟".into(),
            ..Default::default()
        };
        app::reports::service::submit(&self.app.state, input, vec![png()]).await.expect("a report");
        let list = expect_status(self.app.get_as(self.inspector_a(), "/api/v1/reports").await, 200).await;
        id_of(&list[0])
    }

    /// A certificate of unit A's site, issued by unit A: its code.
    async fn certificate(&self) -> String {
        let path = format!("/api/v1/sites/{}/certificates", id_of(&self.site_a));
        let c = expect_status(self.app.post_as(self.unit_a(), &path, &json!({})).await, 201).await;
        c["code"].as_str().expect("a code").to_owned()
    }

    /// Taiyuan's weights of the inspection plan.
    fn weights_body() -> Value {
        json!({"division_code": "140100", "weights": {"old_or_no_dpf": 30, "watched": 25, "site_failures": 10,
            "unit_failures": 2, "never_inspected": 8, "days_since": 5, "open_cases": 15}})
    }

    /// Today's route: unit A's site in 小店区.
    fn route_body(&self) -> Value {
        json!({"date": self.app.today(), "site_ids": [self.site_a["id"]]})
    }

    fn amendment_body() -> Value {
        json!({"changes": {"engine_maker": "玉柴"}, "reason": "更换发动机"})
    }

    async fn amendment_of(&self, machine: &Value) -> String {
        let path = format!("/api/v1/machines/{}/amendments", id_of(machine));
        id_of(&expect_status(self.app.post_as(self.unit_a(), &path, &Self::amendment_body()).await, 201).await)
    }

    /// A pending amendment of a new registered machine, with its evidence photo.
    async fn amendment(&self) -> String {
        let m = self.registered_machine().await;
        let id = self.amendment_of(&m).await;
        self.upload(1, &format!("/api/v1/amendments/{id}/photos")).await;
        id
    }

    fn transfer_body(&self) -> Value {
        json!({"buyer_uscc": self.uscc_b})
    }

    async fn transfer_of(&self, machine: &Value) -> String {
        let path = format!("/api/v1/machines/{}/transfers", id_of(machine));
        id_of(&expect_status(self.app.post_as(self.unit_a(), &path, &self.transfer_body()).await, 201).await)
    }

    /// A pending transfer of a new registered machine from unit A to unit B.
    async fn transfer(&self) -> String {
        let m = self.registered_machine().await;
        self.transfer_of(&m).await
    }

    /// A transfer that awaits 小店区's permission (the machine has an open case).
    async fn transfer_awaiting(&self) -> String {
        let m = self.registered_machine().await;
        self.failing_inspection(&m).await;
        self.transfer_of(&m).await
    }

    /// A new county inspector account in 小店区.
    async fn account(&self) -> String {
        let name = format!("mx.account.{}", self.next());
        self.app.user(&name, app::auth::Role::CountyInspector, Some("140105"), None).await.to_string()
    }

    /// A new account that the system administrator disabled.
    async fn disabled_account(&self) -> String {
        let id = self.account().await;
        let path = format!("/api/v1/admin/users/{id}/disable");
        expect_status(self.app.post_as(&self.clients[10], &path, &json!({})).await, 200).await;
        id
    }

    fn staff_body(&self) -> Value {
        json!({"username": format!("mx.member.{}", self.next()), "display_name": "李师傅", "password": PASSWORD})
    }

    /// A new staff member of unit A.
    async fn staff(&self) -> String {
        let body = self.staff_body();
        id_of(&expect_status(self.app.post_as(self.unit_a(), "/api/v1/organizations/users", &body).await, 201).await)
    }

    /// A staff member of unit A whom its administrator disabled.
    async fn disabled_staff(&self) -> String {
        let id = self.staff().await;
        let path = format!("/api/v1/organizations/users/{id}/disable");
        expect_status(self.app.post_as(self.unit_a(), &path, &json!({})).await, 200).await;
        id
    }

    /// A new API token of unit A's administrator.
    async fn token(&self) -> String {
        let body = json!({"name": "matrix"});
        id_of(&expect_status(self.app.post_as(self.unit_a(), "/api/v1/auth/tokens", &body).await, 201).await)
    }

    fn new_account_body(&self) -> Value {
        json!({"username": format!("mx.new.{}", self.next()), "password": PASSWORD, "role": "county_inspector", "division_code": "140105"})
    }

    fn machine_type_body(&self) -> Value {
        let n = self.next();
        json!({"code": format!("mx_type_{n}"), "name_zh": format!("矩阵机型{n}"), "name_en": format!("Matrix type {n}")})
    }

    fn register_body(&self) -> Value {
        let n = self.next();
        let uscc = app::orgs::Uscc::with_check_char(&format!("91140105{n:09}")).expect("uscc");
        json!({"name": format!("矩阵注册公司{n}"), "uscc": uscc.to_string(), "contact_name": "王工",
               "contact_phone": "0351-1234567", "username": format!("mx.signup.{n}"), "password": PASSWORD})
    }

    fn site_body(&self) -> Value {
        crate::helpers::site_input(&self.app, &format!("矩阵新工地{}", self.next()), "140105")
    }

    async fn limit_table_body(&self) -> Value {
        let current = self.get(0, "/api/v1/limit-tables/current").await;
        let today = self.app.today();
        let n = self.next();
        let effective_from = today + Duration::days(365 + i64::from(n % 1000));
        json!({"version": format!("MX-{n}"), "effective_from": effective_from, "rows": current["rows"]})
    }

    fn zone_body(&self) -> Value {
        let today = self.app.today();
        json!({"division_code": "140121", "name": format!("矩阵区{}", self.next()), "min_diesel_stage": "stage_4",
               "required_class": "III", "effective_from": today + Duration::days(400)})
    }

    /// The zone's body with its current version (each accepted change raises it).
    async fn zone_update(&self) -> Value {
        let zones = self.get(8, "/api/v1/zones").await;
        let z = zones["items"].as_array().expect("zones").iter().find(|z| id_of(z) == self.zone).expect("the zone");
        json!({"division_code": "140121", "name": "矩阵低排放控制区", "min_diesel_stage": "stage_4",
               "required_class": "III", "effective_from": z["effective_from"], "version": z["version"]})
    }

    fn evaluate_body() -> Value {
        json!({"emission_stage": "stage_4", "fuel_type": "diesel", "rated_power_kw": 118, "opacity_readings": [0.7, 0.8, 0.9]})
    }

    async fn import_csv(&self) -> Vec<u8> {
        let template = self.unit_a().get(self.app.url("/api/v1/machines/import/template.csv")).send().await;
        let bytes = template.expect("template").bytes().await.expect("csv");
        let mut csv = String::from_utf8(bytes.to_vec()).expect("utf-8");
        let n = self.next();
        csv.push_str(&format!("挖掘机,导入挖掘机,三一,SY215C,MXIMP-{n},,,,,,,国四,柴油,118,2023/05/01,是,,,,否,否\n"));
        csv.into_bytes()
    }

    fn code(&self) -> String {
        self.registered["registration_code"].as_str().expect("a code").to_owned()
    }
}

/// The request caller `_who` sends for the REST operation `op` ("METHOD /path/{param}").
pub async fn rest(fx: &Fixture, op: &str, _who: usize) -> Req {
    use Body::{Bytes, Json, Photo};
    let (m, template) = op.split_once(' ').expect("METHOD path");
    let method: Method = m.parse().expect("method");
    let today = fx.app.today();
    let machine = id_of(&fx.registered);
    let amendment = &fx.amendment;
    let case = &fx.case;
    let inspection = &fx.inspection;
    let filing = id_of(&fx.filing);
    let site = id_of(&fx.site_a);
    let empty = || Json(json!({}));
    let note = || Json(json!({"body": "矩阵备注"}));
    let reason = || Json(json!({"reason": "矩阵理由"}));
    let (path, body): (String, Body) = match op {
        "POST /api/v1/auth/login" | "POST /api/v1/auth/logout" => {
            let body = if op.ends_with("login") {
                Json(json!({"username": "mx.staff.a", "password": PASSWORD}))
            } else {
                Body::None
            };
            return Req { method, path: template.to_owned(), body, own_session: true };
        }
        "GET /api/v1/admin/users/{id}/tokens" => {
            (format!("/api/v1/admin/users/{}/tokens", fx.unit_a_admin), Body::None)
        }
        "DELETE /api/v1/admin/users/{id}/tokens/{token_id}" => {
            (format!("/api/v1/admin/users/{}/tokens/{}", fx.unit_a_admin, fx.token().await), Body::None)
        }
        "POST /api/v1/admin/divisions/import" => {
            let csv = "code,name,level,parent_code\n130000,河北省,province,\n130100,石家庄市,city,130000\n";
            (template.to_owned(), Bytes("text/csv", csv.as_bytes().to_vec()))
        }
        "POST /api/v1/admin/machine-types" => (template.to_owned(), Json(fx.machine_type_body())),
        "PATCH /api/v1/admin/machine-types/{code}" => (
            "/api/v1/admin/machine-types/mx_rig".to_owned(),
            Json(json!({"name_en": format!("Matrix rig {}", fx.next())})),
        ),
        "POST /api/v1/admin/users" => (template.to_owned(), Json(fx.new_account_body())),
        "POST /api/v1/admin/users/{id}/disable" => {
            (format!("/api/v1/admin/users/{}/disable", fx.account().await), empty())
        }
        "POST /api/v1/admin/users/{id}/enable" => {
            (format!("/api/v1/admin/users/{}/enable", fx.disabled_account().await), empty())
        }
        "POST /api/v1/admin/users/{id}/password" => {
            (format!("/api/v1/admin/users/{}/password", fx.account().await), empty())
        }
        "POST /api/v1/admin/users/{id}/role" => (
            format!("/api/v1/admin/users/{}/role", fx.account().await),
            Json(json!({"role": "partner_viewer", "division_code": "140105"})),
        ),
        "GET /api/v1/amendments/{id}" => (format!("/api/v1/amendments/{amendment}"), Body::None),
        "GET /api/v1/amendments/{id}/photos" => (format!("/api/v1/amendments/{amendment}/photos"), Body::None),
        "POST /api/v1/amendments/{id}/photos" => (format!("/api/v1/amendments/{amendment}/photos"), Photo("新铭牌")),
        "GET /api/v1/amendments/{id}/photos/{photo_id}" => {
            (format!("/api/v1/amendments/{amendment}/photos/{}", fx.amendment_photo), Body::None)
        }
        "POST /api/v1/amendments/{id}/review" => {
            (format!("/api/v1/amendments/{}/review", fx.amendment().await), Json(json!({"decision": "accept"})))
        }
        "POST /api/v1/amendments/{id}/withdraw" => {
            (format!("/api/v1/amendments/{}/withdraw", fx.amendment().await), empty())
        }
        "POST /api/v1/auth/tokens" => (template.to_owned(), Json(json!({"name": "matrix"}))),
        "GET /api/v1/watchlist" => (template.to_owned(), Body::None),
        "POST /api/v1/watchlist" => (template.to_owned(), Json(fx.watch_body())),
        "DELETE /api/v1/watchlist/{id}" => (format!("/api/v1/watchlist/{}", fx.watch_entry().await), Body::None),
        "GET /api/v1/inspection-plan" => ("/api/v1/inspection-plan?division_code=140105".to_owned(), Body::None),
        "GET /api/v1/inspection-plan/weights" | "GET /api/v1/inspection-plan/route" => {
            (template.to_owned(), Body::None)
        }
        "PUT /api/v1/inspection-plan/weights" => (template.to_owned(), Json(Fixture::weights_body())),
        "PUT /api/v1/inspection-plan/route" => (template.to_owned(), Json(fx.route_body())),
        "GET /api/v1/filings/{id}/watch" => (format!("/api/v1/filings/{filing}/watch"), Body::None),
        "DELETE /api/v1/auth/tokens/{id}" => (format!("/api/v1/auth/tokens/{}", fx.token().await), Body::None),
        "GET /api/v1/cases/{id}" => (format!("/api/v1/cases/{case}"), Body::None),
        "GET /api/v1/cases/{id}/evidence" => (format!("/api/v1/cases/{case}/evidence"), Body::None),
        "POST /api/v1/cases/{id}/evidence" => (format!("/api/v1/cases/{case}/evidence"), Photo("已整改")),
        "GET /api/v1/cases/{id}/evidence/{photo_id}" => {
            (format!("/api/v1/cases/{case}/evidence/{}", fx.case_photo), Body::None)
        }
        "POST /api/v1/cases/{id}/notes" => (format!("/api/v1/cases/{case}/notes"), note()),
        "POST /api/v1/cases/{id}/transition" => (
            format!("/api/v1/cases/{}/transition", fx.case().await),
            Json(json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(15), "version": 1})),
        ),
        "POST /api/v1/compliance/evaluate" => (template.to_owned(), Json(Fixture::evaluate_body())),
        "GET /api/v1/divisions/{code}/bounds" => ("/api/v1/divisions/140105/bounds".to_owned(), Body::None),
        "GET /api/v1/divisions/{code}/zone" => ("/api/v1/divisions/140105/zone".to_owned(), Body::None),
        "GET /api/v1/exports/{file}" => ("/api/v1/exports/machines.csv".to_owned(), Body::None),
        "POST /api/v1/filings" => {
            let m = fx.machine().await;
            (template.to_owned(), Json(fx.filing_body(&m)))
        }
        "GET /api/v1/filings/overlaps" => (
            format!("/api/v1/filings/overlaps?machine_ids={machine}&from={today}&to={}", today + Duration::days(10)),
            Body::None,
        ),
        "POST /api/v1/filings/precheck" => (template.to_owned(), Json(fx.filing_body(&fx.free))),
        "GET /api/v1/filings/{id}" => (format!("/api/v1/filings/{filing}"), Body::None),
        "PUT /api/v1/filings/{id}" => {
            let f = fx.returned().await;
            let body = json!({"machine_ids": [f["machines"][0]["id"]], "planned_entry_on": today - Duration::days(1),
                              "planned_exit_on": today + Duration::days(20), "version": f["version"]});
            (format!("/api/v1/filings/{}", id_of(&f)), Json(body))
        }
        "POST /api/v1/filings/{id}/close" => {
            (format!("/api/v1/filings/{}/close", id_of(&fx.accepted().await)), empty())
        }
        "GET /api/v1/filings/{id}/movements" => (format!("/api/v1/filings/{filing}/movements"), Body::None),
        "POST /api/v1/filings/{id}/movements" => {
            let f = fx.accepted().await;
            let body = json!({"machine_id": f["machines"][0]["id"], "kind": "enter", "at": fx.app.clock.now() - Duration::minutes(5)});
            (format!("/api/v1/filings/{}/movements", id_of(&f)), Json(body))
        }
        "POST /api/v1/filings/{id}/review" => {
            (format!("/api/v1/filings/{}/review", id_of(&fx.submitted().await)), Json(json!({"decision": "accept"})))
        }
        "POST /api/v1/inspections" => (template.to_owned(), Json(fx.inspection_body(&fx.registered, &[0.5, 0.5, 0.5]))),
        "GET /api/v1/inspections/{id}" => (format!("/api/v1/inspections/{inspection}"), Body::None),
        "POST /api/v1/inspections/{id}/notes" => (format!("/api/v1/inspections/{inspection}/notes"), note()),
        "GET /api/v1/inspections/{id}/photos" => (format!("/api/v1/inspections/{inspection}/photos"), Body::None),
        "POST /api/v1/inspections/{id}/photos" => (format!("/api/v1/inspections/{inspection}/photos"), Photo("冒黑烟")),
        "GET /api/v1/inspections/{id}/photos/{photo_id}" => {
            (format!("/api/v1/inspections/{inspection}/photos/{}", fx.inspection_photo), Body::None)
        }
        "POST /api/v1/limit-tables" => (template.to_owned(), Json(fx.limit_table_body().await)),
        "POST /api/v1/machines" => (template.to_owned(), Json(machine_input(fx.next()))),
        "POST /api/v1/machines/import" => (template.to_owned(), Bytes("text/csv", fx.import_csv().await)),
        "GET /api/v1/machines/lookup" => (format!("/api/v1/machines/lookup?code={}", fx.code()), Body::None),
        "DELETE /api/v1/machines/{id}" => (format!("/api/v1/machines/{}", id_of(&fx.machine().await)), Body::None),
        "PATCH /api/v1/machines/{id}" => (
            format!("/api/v1/machines/{}", id_of(&fx.machine().await)),
            Json(json!({"version": 1, "name": "改名挖掘机"})),
        ),
        "POST /api/v1/machines/{id}/amendments" => (
            format!("/api/v1/machines/{}/amendments", id_of(&fx.registered_machine().await)),
            Json(Fixture::amendment_body()),
        ),
        "GET /api/v1/machines/{id}/photos/{kind}" => {
            (format!("/api/v1/machines/{machine}/photos/machine_plate"), Body::None)
        }
        "POST /api/v1/machines/{id}/photos/{kind}" => {
            (format!("/api/v1/machines/{}/photos/engine_plate", id_of(&fx.free)), Photo("发动机铭牌"))
        }
        "PUT /api/v1/machines/{id}/photos/{kind}" => {
            (format!("/api/v1/machines/{}/photos/engine_plate", id_of(&fx.free)), Bytes("image/png", png()))
        }
        "DELETE /api/v1/machines/{id}/photos/{kind}" => {
            let m = fx.machine().await;
            fx.put_photo(&m).await;
            (format!("/api/v1/machines/{}/photos/machine_plate", id_of(&m)), Body::None)
        }
        "POST /api/v1/machines/{id}/transfers" => {
            (format!("/api/v1/machines/{}/transfers", id_of(&fx.registered_machine().await)), Json(fx.transfer_body()))
        }
        "POST /api/v1/notifications/read-all" => (template.to_owned(), empty()),
        "POST /api/v1/notifications/{id}/read" => (format!("/api/v1/notifications/{}/read", fx.notification), empty()),
        "POST /api/v1/organizations/register" => (template.to_owned(), Json(fx.register_body())),
        "POST /api/v1/organizations/users" => (template.to_owned(), Json(fx.staff_body())),
        "POST /api/v1/organizations/users/{id}/disable" => {
            (format!("/api/v1/organizations/users/{}/disable", fx.staff().await), empty())
        }
        "POST /api/v1/organizations/users/{id}/enable" => {
            (format!("/api/v1/organizations/users/{}/enable", fx.disabled_staff().await), empty())
        }
        "POST /api/v1/organizations/users/{id}/role" => (
            format!("/api/v1/organizations/users/{}/role", fx.staff().await),
            Json(json!({"role": "contractor_admin"})),
        ),
        "GET /api/v1/public/machines/{code}" => (format!("/api/v1/public/machines/{}", fx.code()), Body::None),
        "POST /api/v1/public/reports" => (template.to_owned(), Body::Report),
        "GET /api/v1/reports" => (template.to_owned(), Body::None),
        "POST /api/v1/reports/{id}/close" => {
            (format!("/api/v1/reports/{}/close", fx.report().await), Json(json!({"reason": "矩阵关闭"})))
        }
        "GET /api/v1/reports/{id}/photos/{n}" => {
            (format!("/api/v1/reports/{}/photos/1", fx.report().await), Body::None)
        }
        "GET /api/v1/public/certificates/{code}" => {
            (format!("/api/v1/public/certificates/{}", fx.certificate().await), Body::None)
        }
        "GET /api/v1/sites/{id}/certificates" | "POST /api/v1/sites/{id}/certificates" => {
            (format!("/api/v1/sites/{site}/certificates"), Body::None)
        }
        "POST /api/v1/sites" => (template.to_owned(), Json(fx.site_body())),
        "GET /api/v1/sites/{id}" => (format!("/api/v1/sites/{site}"), Body::None),
        "POST /api/v1/sites/{id}/zone" => {
            (format!("/api/v1/sites/{site}/zone"), Json(json!({"in_zone": true, "reason": "位于城区建成区内"})))
        }
        "GET /api/v1/transfers/{id}" => (format!("/api/v1/transfers/{}", fx.transfer), Body::None),
        "POST /api/v1/transfers/{id}/accept" => {
            (format!("/api/v1/transfers/{}/accept", fx.transfer().await), Body::None)
        }
        "POST /api/v1/transfers/{id}/cancel" => {
            (format!("/api/v1/transfers/{}/cancel", fx.transfer().await), Body::None)
        }
        "POST /api/v1/transfers/{id}/decline" => {
            (format!("/api/v1/transfers/{}/decline", fx.transfer().await), reason())
        }
        "POST /api/v1/transfers/{id}/allow" => {
            (format!("/api/v1/transfers/{}/allow", fx.transfer_awaiting().await), reason())
        }
        "POST /api/v1/zones" => (template.to_owned(), Json(fx.zone_body())),
        "PUT /api/v1/zones/{id}" => (format!("/api/v1/zones/{}", fx.zone), Json(fx.zone_update().await)),
        // The rest take the fixture's records by their kind.
        _ if method == Method::GET => {
            let path = template
                .replace("/machines/{id}", &format!("/machines/{machine}"))
                .replace("/amendments/{id}", &format!("/amendments/{amendment}"));
            assert!(!path.contains('{'), "no request for {op}: add one to tests/integration/matrix/requests.rs");
            (path, Body::None)
        }
        _ => panic!("no request for {op}: add one to tests/integration/matrix/requests.rs"),
    };
    req(method, path, body)
}

/// The request caller `_who` sends to the server function at `path`.
pub async fn server_fn(fx: &Fixture, path: &str, _who: usize) -> Req {
    use Body::Json;
    let today = fx.app.today();
    let machine = id_of(&fx.registered);
    let list = || Json(json!({"filter": {}, "cursor": null}));
    let none = || url(&[]);
    let id = |v: &str| url(&[("id", v)]);
    let body = match path {
        // Signing in, signing out and signing up (which signs the new administrator in) change
        // the session they are sent with.
        "/api/auth/login" | "/api/auth/logout" | "/api/orgs/register" => {
            let body = match path {
                "/api/auth/login" => url(&[("username", "mx.staff.a"), ("password", PASSWORD)]),
                "/api/orgs/register" => Json(json!({"input": fx.register_body()})),
                _ => none(),
            };
            return Req { method: Method::POST, path: path.to_owned(), body, own_session: true };
        }
        "/api/admin/users"
        | "/api/admin/divisions"
        | "/api/admin/machine-types"
        | "/api/auth/tokens/list"
        | "/api/auth/me"
        | "/api/machines/types"
        | "/api/orgs/staff"
        | "/api/sites/list"
        | "/api/field/sites"
        | "/api/divisions"
        | "/api/notifications/list"
        | "/api/notifications/unread"
        | "/api/notifications/read_all"
        | "/api/todo/mine"
        | "/api/inspections/limit-table"
        | "/api/limits/list"
        | "/api/limits/division"
        | "/api/zones/list" => none(),
        "/api/admin/users/create" => Json(json!({"input": fx.new_account_body()})),
        "/api/admin/users/active" => url(&[("user_id", &fx.account().await), ("active", "false")]),
        "/api/admin/users/password" => Json(json!({"user_id": fx.account().await, "input": {}})),
        "/api/admin/users/role" => Json(
            json!({"user_id": fx.account().await, "change": {"role": "partner_viewer", "division_code": "140105"}}),
        ),
        "/api/admin/machine-types/create" => Json(json!({"input": fx.machine_type_body()})),
        "/api/admin/machine-types/update" => {
            Json(json!({"code": "mx_rig", "patch": {"name_en": format!("Matrix rig {}", fx.next())}}))
        }
        "/api/cases/list"
        | "/api/machines/list"
        | "/api/audit/search"
        | "/api/filings/list"
        | "/api/amendments/list"
        | "/api/inspections/list"
        | "/api/transfers/list" => list(),
        "/api/cases/get" => id(&fx.case),
        "/api/cases/transition" => Json(json!({"id": fx.case().await, "input":
            {"to": "rectification_ordered", "deadline_on": today + Duration::days(15), "version": 1}})),
        "/api/cases/notes/add" => Json(json!({"id": fx.case, "input": {"body": "矩阵备注"}})),
        "/api/auth/tokens/create" => Json(json!({"input": {"name": "matrix"}})),
        "/api/auth/tokens/revoke" => id(&fx.token().await),
        "/api/stats/dashboard" => Json(json!({"query": {}})),
        "/api/machines/get" => id(&machine),
        "/api/machines/create" => Json(json!({"input": machine_input(fx.next())})),
        "/api/machines/update" => {
            let n = fx.next();
            let m = create_machine(&fx.app, fx.unit_a(), n).await;
            let mut input = machine_input(n);
            input["name"] = json!("改名挖掘机");
            Json(json!({"id": m["id"], "version": 1, "input": input}))
        }
        "/api/machines/delete" => id(&id_of(&fx.machine().await)),
        "/api/orgs/staff/add" => Json(json!({"input": fx.staff_body()})),
        "/api/orgs/staff/active" => url(&[("user_id", &fx.staff().await), ("active", "false")]),
        "/api/orgs/staff/role" => Json(json!({"user_id": fx.staff().await, "change": {"role": "contractor_admin"}})),
        "/api/sites/create" => Json(json!({"input": fx.site_body()})),
        "/api/sites/get" => id(&id_of(&fx.site_a)),
        "/api/certificates/issue" | "/api/certificates/list" => url(&[("site_id", &id_of(&fx.site_a))]),
        "/api/reports/list" => Json(json!({"query": {}})),
        "/api/reports/close" => Json(json!({"id": fx.report().await, "input": {"reason": "矩阵关闭"}})),
        "/api/sites/zone" => {
            Json(json!({"id": fx.site_a["id"], "input": {"in_zone": true, "reason": "位于城区建成区内"}}))
        }
        "/api/sites/counties" => url(&[("city", "140100")]),
        "/api/divisions/zone" => url(&[("county_code", "140105")]),
        "/api/filings/get" => id(&id_of(&fx.filing)),
        "/api/filings/precheck" => Json(json!({"input": fx.filing_body(&fx.free)})),
        "/api/filings/overlaps" => {
            Json(json!({"machine_ids": [machine], "from": today, "to": today + Duration::days(10), "exclude": null}))
        }
        "/api/filings/create" => {
            let m = fx.machine().await;
            Json(json!({"input": fx.filing_body(&m)}))
        }
        "/api/filings/resubmit" => {
            let f = fx.returned().await;
            Json(json!({"id": f["id"], "input": {"machine_ids": [f["machines"][0]["id"]],
                "planned_entry_on": today - Duration::days(1), "planned_exit_on": today + Duration::days(20), "version": f["version"]}}))
        }
        "/api/filings/review" => url(&[("id", &id_of(&fx.submitted().await)), ("decision", "accept")]),
        "/api/filings/close" => id(&id_of(&fx.accepted().await)),
        "/api/filings/movements" => id(&id_of(&fx.filing)),
        "/api/filings/movements/record" => {
            let f = fx.accepted().await;
            Json(json!({"id": f["id"], "input": {"machine_id": f["machines"][0]["id"], "kind": "enter",
                "at": fx.app.clock.now() - Duration::minutes(5)}}))
        }
        "/api/watchlist/list" => none(),
        "/api/watchlist/add" => Json(json!({"input": fx.watch_body()})),
        "/api/watchlist/end" => id(&fx.watch_entry().await),
        "/api/watchlist/filing" => url(&[("filing_id", &id_of(&fx.filing))]),
        "/api/plan/get" => Json(json!({"query": {"division_code": "140105"}})),
        "/api/plan/weights" => Json(json!({"query": {}})),
        "/api/plan/set-weights" => Json(json!({"input": Fixture::weights_body()})),
        "/api/plan/route" => none(),
        "/api/plan/set-route" => Json(json!({"input": fx.route_body()})),
        "/api/amendments/get" => id(&fx.amendment),
        "/api/amendments/history" => url(&[("machine_id", &id_of(&fx.amended))]),
        "/api/amendments/submit" => {
            Json(json!({"machine_id": fx.registered_machine().await["id"], "input": Fixture::amendment_body()}))
        }
        "/api/amendments/review" => Json(json!({"id": fx.amendment().await, "input": {"decision": "accept"}})),
        "/api/amendments/withdraw" => id(&fx.amendment().await),
        "/api/notifications/read" => id(&fx.notification),
        "/api/inspections/evaluate" => Json(json!({"input": Fixture::evaluate_body()})),
        "/api/inspections/lookup" => url(&[("code", &fx.code())]),
        "/api/inspections/create" => Json(json!({"input": fx.inspection_body(&fx.registered, &[0.5, 0.5, 0.5])})),
        "/api/inspections/get" => id(&fx.inspection),
        "/api/inspections/notes/add" => Json(json!({"id": fx.inspection, "input": {"body": "矩阵备注"}})),
        "/api/limits/create" => Json(json!({"input": fx.limit_table_body().await})),
        "/api/zones/create" => Json(json!({"input": fx.zone_body()})),
        "/api/transfers/get" => id(&fx.transfer),
        "/api/transfers/owners" => url(&[("machine_id", &machine)]),
        "/api/transfers/start" => {
            Json(json!({"machine_id": fx.registered_machine().await["id"], "input": fx.transfer_body()}))
        }
        "/api/transfers/accept" => id(&fx.transfer().await),
        "/api/transfers/decline" => Json(json!({"id": fx.transfer().await, "input": {"reason": "矩阵理由"}})),
        "/api/transfers/cancel" => id(&fx.transfer().await),
        "/api/transfers/allow" => Json(json!({"id": fx.transfer_awaiting().await, "input": {"reason": "矩阵理由"}})),
        "/api/evidence/gallery" => url(&[("kind", "inspection"), ("id", &fx.inspection)]),
        _ => panic!("no request for the server function {path}: add one to tests/integration/matrix/requests.rs"),
    };
    post_fn(path, body)
}
