//! `TestApp`: the application as `main` builds it, on port 0, with its own database and an
//! adjustable clock; and the request helpers the tests share.

use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use app::error::FieldError;
use app::state::{AppState, Clock};
use chrono::NaiveDate;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json as j};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::sqlite().await;
                    $crate::helpers::within_time_limit(super::$name(app)).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        $crate::helpers::within_time_limit(super::$name(app)).await;
                    }
                }
            }
        )*
    };
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL, each application
/// built with the configuration `tweak` (a `fn(&mut server::Config)`) applied.
#[macro_export]
macro_rules! db_tests_with {
    ($tweak:path; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, $tweak).await;
                    $crate::helpers::within_time_limit(super::$name(app)).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::TestApp::postgres_with($tweak).await {
                        $crate::helpers::within_time_limit(super::$name(app)).await;
                    }
                }
            }
        )*
    };
}

/// Runs a test's body, failing it when it has not finished in ten minutes (the slowest test
/// takes well under one): a hang fails its own test instead of stalling the whole run.
pub async fn within_time_limit(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(600), test).await.is_err() {
        panic!("the test did not finish within 10 minutes");
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String, schema: String },
}

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub config: server::Config,
    /// Every message the application sent out (e-mail/SMS), in order.
    pub outbox: std::sync::Arc<RecordingOutbound>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// The site root with the built browser bundle (`scripts/build-site.sh`).
pub fn site_root() -> PathBuf {
    std::env::var_os("NRMM_SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site"))
}

static SCHEMA_SEQ: AtomicU32 = AtomicU32::new(0);

fn postgres_url() -> (String, bool) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let url =
        std::env::var("NRMM_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    (url, ci)
}

impl TestApp {
    /// On a fresh temporary SQLite database.
    pub async fn sqlite() -> TestApp {
        Self::spawn(Backend::Sqlite).await
    }

    /// On a fresh PostgreSQL schema; `None` (with the reason printed) when PostgreSQL is not
    /// reachable outside CI. Under `CI=true` an unreachable server fails the test.
    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_with(|_| {}).await
    }

    /// Like [`TestApp::postgres`], with a chance to change the configuration first.
    pub async fn postgres_with(tweak: impl FnOnce(&mut server::Config)) -> Option<TestApp> {
        let (admin_url, ci) = postgres_url();
        let admin = match app::db::connect(&admin_url, 1).await {
            Ok(db) => db,
            Err(e) => {
                if ci {
                    panic!("CI=true requires PostgreSQL at {admin_url}: {e}");
                }
                eprintln!(
                    "SKIPPED (PostgreSQL not reachable at {admin_url}: {e}); set NRMM_TEST_POSTGRES_URL to run it"
                );
                return None;
            }
        };
        let schema = format!("t_{}_{}", Uuid::new_v4().simple(), SCHEMA_SEQ.fetch_add(1, Ordering::Relaxed));
        use sea_orm::ConnectionTrait;
        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create schema");
        admin.close().await.ok();
        Some(Self::spawn_with(Backend::Postgres { admin_url, schema }, tweak).await)
    }

    /// Starts the application as `main` does, on port 0.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the configuration first.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut server::Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match &backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("test.sqlite").display()),
            Backend::Postgres { admin_url, schema } => {
                let sep = if admin_url.contains('?') { '&' } else { '?' };
                format!("{admin_url}{sep}options=-c%20search_path%3D{schema}")
            }
        };
        let site = site_root();
        let env = |k: &str| -> Option<String> {
            match k {
                "DATABASE_URL" => Some(database_url.clone()),
                "NRMM_DATA_DIR" => Some(dir.path().display().to_string()),
                "NRMM_LISTEN" => Some("127.0.0.1:0".into()),
                "NRMM_SITE_ROOT" => Some(site.display().to_string()),
                "NRMM_DB_POOL" => Some("4".into()),
                _ => None,
            }
        };
        let mut config = server::Config::from_lookup(env).expect("config");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.listen = addr;
        config.public_url = format!("http://{addr}");
        tweak(&mut config);
        let db = server::connect_and_migrate(&config).await.expect("migrate");
        let clock = Clock::system();
        let outbox = std::sync::Arc::new(RecordingOutbound::default());
        let application = server::build_app_with_outbound(&config, db, clock.clone(), outbox.clone());
        let state = application.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server::serve(listener, application, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        // The server runs its start-up upkeep before it answers (the listener already queues the
        // connection): wait for it, so nothing it does can land after a test has moved the clock.
        let probe = Self::client_builder().build().expect("client");
        let ready = probe.get(format!("http://{addr}/healthz")).send().await.expect("the test server answers");
        assert!(ready.status().is_success(), "the test server is not healthy: {}", ready.status());
        TestApp {
            addr,
            base: format!("http://{addr}"),
            state,
            clock,
            client: Self::new_client(),
            backend,
            config,
            outbox,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// Signals the server to shut down gracefully (as SIGTERM does).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// A fresh HTTP client with its own cookie jar (another "browser").
    pub fn new_client() -> reqwest::Client {
        Self::client_builder().cookie_store(true).build().expect("client")
    }

    /// The settings every test client shares: no keep-alive (a request the server refused
    /// early, 413, must not poison the next one), redirects left to the test, and a time limit,
    /// so a response that never ends fails its test instead of stalling the whole run.
    pub fn client_builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(180))
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a user directly through the service layer; returns its id.
    pub async fn user(&self, username: &str, role: Role, division: Option<&str>, org: Option<Uuid>) -> Uuid {
        let new = NewUser {
            username: username.into(),
            password: PASSWORD.into(),
            role,
            display_name: None,
            organization_id: org,
            division_code: division.map(str::to_owned),
            phone: None,
        };
        create_user(&self.state, new).await.expect("create user")
    }

    /// Creates an organisation row directly; returns its id.
    pub async fn organization(&self, name: &str) -> Uuid {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let id = Uuid::now_v7();
        let first17 = format!("91140100{:09}", rand_suffix());
        let uscc = app::orgs::Uscc::with_check_char(&first17).expect("uscc");
        let now = self.clock.now();
        app::db::entities::organization::ActiveModel {
            id: Set(id),
            name: Set(name.into()),
            uscc: Set(uscc.to_string()),
            contact_name: Set("测试联系人".into()),
            contact_phone: Set("13800000000".into()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.state.db)
        .await
        .expect("insert organization");
        id
    }

    /// `POST` JSON with this app's default client (same-origin headers, like our pages).
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request")
    }

    /// `GET` with this app's default client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// Signs the default client in through the REST API; panics unless it worked.
    pub async fn login(&self, username: &str) {
        let resp = self
            .post_json("/api/v1/auth/login", &serde_json::json!({"username": username, "password": PASSWORD}))
            .await;
        assert_eq!(resp.status(), 200, "login {username}: {}", resp.text().await.unwrap_or_default());
    }

    /// A fresh client (its own cookie jar) signed in as `username`; panics unless it worked.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        self.signed_in_with(username, PASSWORD).await
    }

    /// A fresh client signed in as `username` with `password` (a demo account's, say).
    pub async fn signed_in_with(&self, username: &str, password: &str) -> reqwest::Client {
        let client = Self::new_client();
        let resp = client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(resp.status(), 200, "login {username}: {}", resp.text().await.unwrap_or_default());
        client
    }

    /// Sends a request with `client`, with a JSON body when one is given.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut req = client.request(method, self.url(path));
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.expect("request")
    }

    /// `GET` with `client`.
    pub async fn get_as(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        self.send(client, reqwest::Method::GET, path, None).await
    }

    /// `POST` JSON with `client`.
    pub async fn post_as(&self, client: &reqwest::Client, path: &str, body: &Value) -> reqwest::Response {
        self.send(client, reqwest::Method::POST, path, Some(body)).await
    }

    /// `PUT` JSON with `client`.
    pub async fn put_as(&self, client: &reqwest::Client, path: &str, body: &Value) -> reqwest::Response {
        self.send(client, reqwest::Method::PUT, path, Some(body)).await
    }

    /// `PATCH` JSON with `client`.
    pub async fn patch_as(&self, client: &reqwest::Client, path: &str, body: &Value) -> reqwest::Response {
        self.send(client, reqwest::Method::PATCH, path, Some(body)).await
    }

    /// `DELETE` with `client`.
    pub async fn delete_as(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        self.send(client, reqwest::Method::DELETE, path, None).await
    }

    /// Today in China by this app's clock.
    pub fn today(&self) -> NaiveDate {
        app::dates::china_date(self.clock.now())
    }

    /// Headers a browser on another site would send.
    pub fn cross_site_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        h
    }
}

/// An outbound channel that keeps what it is given, for tests to read.
#[derive(Debug, Default)]
pub struct RecordingOutbound {
    sent: std::sync::Mutex<Vec<app::notifications::outbound::OutboundMessage>>,
}

impl RecordingOutbound {
    /// The messages sent so far.
    pub fn sent(&self) -> Vec<app::notifications::outbound::OutboundMessage> {
        self.sent.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl app::notifications::outbound::Outbound for RecordingOutbound {
    async fn send(&self, message: &app::notifications::outbound::OutboundMessage) -> Result<(), String> {
        self.sent.lock().map_err(|e| e.to_string())?.push(message.clone());
        Ok(())
    }
}

fn rand_suffix() -> u64 {
    (Uuid::new_v4().as_u128() % 1_000_000_000) as u64
}

/// Sends a request over a raw connection: the head, then only `body_prefix` of the body the
/// head announces; returns what the server answered (it must answer before the body ends).
pub async fn raw_request(addr: SocketAddr, head: &str, body_prefix: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(body_prefix).await.expect("body");
    let mut buf = vec![0u8; 16 * 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("an answer before the body was complete")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A client signed in as `username` that asks for pages in `lang` (the language cookie).
pub async fn signed_in_with_language(app: &TestApp, username: &str, lang: &str) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(&format!("nrmm_lang={lang}; Path=/"), &app.url("/").parse().expect("url"));
    let client = TestApp::client_builder().cookie_provider(jar).build().expect("client");
    let resp = app.post_as(&client, "/api/v1/auth/login", &j!({"username": username, "password": PASSWORD})).await;
    assert_eq!(resp.status().as_u16(), 200, "login {username}");
    client
}

/// The HTML of the page at `path` as `client` sees it (200 expected).
pub async fn page_html(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let resp = app.get_as(client, path).await;
    let status = resp.status().as_u16();
    let html = resp.text().await.expect("html");
    assert_eq!(status, 200, "{path}: {html}");
    html
}

/// Reads a JSON body.
pub async fn json(resp: reqwest::Response) -> Value {
    let text = resp.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a REST error: status and `error.code`.
pub async fn assert_error(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let body = json(resp).await;
    assert_eq!(body["error"]["code"], code, "body: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message: {body}");
    body
}

/// Asserts the status of a response and returns its JSON body (printed when the status is wrong).
pub async fn expect_status(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) }
}

/// Asserts that an error body names `field` with the message of `expected` (the API's English
/// sentence for that field code and its parameters).
pub fn assert_field(body: &Value, field: &str, expected: &FieldError) {
    let want = app::ui::messages::field_message(app::i18n::Locale::en, expected);
    let got = &body["error"]["fields"][field];
    assert!(
        got.as_array().is_some_and(|msgs| msgs.iter().any(|m| m == &Value::String(want.clone()))),
        "expected fields.{field} to say {want:?} ({}); body: {body}",
        expected.code
    );
}

/// A construction unit called `name` with an administrator whose user name is `name`, signed in
/// on a client of its own: `(organization id, client)`.
pub async fn contractor(app: &TestApp, name: &str) -> (Uuid, reqwest::Client) {
    let org = app.organization(name).await;
    app.user(name, Role::ContractorAdmin, None, Some(org)).await;
    (org, app.signed_in(name).await)
}

/// A county inspector of `county`, signed in on a client of its own.
pub async fn inspector(app: &TestApp, username: &str, county: &str) -> reqwest::Client {
    app.user(username, Role::CountyInspector, Some(county), None).await;
    app.signed_in(username).await
}

/// A valid machine (stage IV diesel excavator) whose PIN, environmental code and engine serial
/// are unique for each `n`.
pub fn machine_input(n: u32) -> Value {
    j!({
        "machine_type": "excavator",
        "name": format!("{n}号挖掘机"),
        "brand": "三一",
        "model": "SY215C",
        "pin": format!("PIN-{n:08}"),
        "env_code": format!("CN{n:015}"),
        "engine_model": "4BG1",
        "engine_serial": format!("ENG-{n:08}"),
        "engine_maker": "五十铃",
        "emission_stage": "stage_4",
        "fuel_type": "diesel",
        "rated_power_kw": 118.0,
        "manufactured_on": "2023-05-01",
        "dpf_fitted": true
    })
}

/// A valid site in `county`, running from 30 days ago to a year from now (China dates), at a
/// position inside the county (清徐县's seat for 140121; a point in 小店区 otherwise, which lies
/// in the bounds of every other county these tests use, whose bounds fall back to Taiyuan's or
/// Shanxi's).
pub fn site_input(app: &TestApp, name: &str, county: &str) -> Value {
    let today = app.today();
    let (lat, lng) = if county == "140121" { (37.60, 112.36) } else { (37.80, 112.55) };
    j!({
        "name": name,
        "county_code": county,
        "address": "示范路1号",
        "permit_no": "PERMIT-001",
        "starts_on": today - chrono::Duration::days(30),
        "ends_on": today + chrono::Duration::days(365),
        "lat": lat,
        "lng": lng
    })
}

/// Creates a site with `client` (201 expected); returns it.
pub async fn create_site(app: &TestApp, client: &reqwest::Client, name: &str, county: &str) -> Value {
    expect_status(app.post_as(client, "/api/v1/sites", &site_input(app, name, county)).await, 201).await
}

/// Creates `machine_input(n)` with `client` (201 expected); returns it.
pub async fn create_machine(app: &TestApp, client: &reqwest::Client, n: u32) -> Value {
    expect_status(app.post_as(client, "/api/v1/machines", &machine_input(n)).await, 201).await
}

/// Files machines for a site from `entry` to `exit` (201 expected); returns the filing.
pub async fn create_filing(
    app: &TestApp,
    client: &reqwest::Client,
    site_id: &Value,
    machine_ids: &[&Value],
    entry: NaiveDate,
    exit: NaiveDate,
) -> Value {
    let body = j!({"site_id": site_id, "machine_ids": machine_ids, "planned_entry_on": entry, "planned_exit_on": exit});
    expect_status(app.post_as(client, "/api/v1/filings", &body).await, 201).await
}

/// The id of a JSON record as a path segment.
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take()
            && !h.is_finished()
        {
            h.abort();
        }
        if let Backend::Postgres { admin_url, schema } = &self.backend {
            let (url, schema) = (admin_url.clone(), schema.clone());
            // Drop the schema from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    if let Ok(db) = app::db::connect(&url, 1).await {
                        use sea_orm::ConnectionTrait;
                        let _ = db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE")).await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The principal of account `id` as a session would carry it, for calling a service directly.
pub async fn principal_of(app: &TestApp, id: Uuid) -> app::auth::service::Principal {
    use sea_orm::EntityTrait;
    let u = app::db::entities::user::Entity::find_by_id(id).one(&app.state.db).await.expect("query").expect("user");
    app::auth::service::Principal::from_user(&u, (None, None), app::auth::service::Credential::Session)
        .expect("a known role")
}

/// The principal of the account called `username`, for calling a service directly.
pub async fn principal_named(app: &TestApp, username: &str) -> app::auth::service::Principal {
    use app::db::entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("user");
    principal_of(app, u.id).await
}

/// A copy of the application's state whose connection counts the statements it sends (sea-orm's
/// metric callback; transactions begun on it count too), and the counter.
pub fn counting_state(app: &TestApp) -> (app::state::AppState, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let mut shared = (*app.state).clone();
    let seen = count.clone();
    shared.db.set_metric_callback(move |info| {
        if std::env::var_os("NRMM_PRINT_SQL").is_some() {
            eprintln!("SQL {}", info.statement.sql.chars().take(150).collect::<String>());
        }
        seen.fetch_add(1, Ordering::SeqCst);
    });
    (app::state::AppState::new(shared), count)
}
