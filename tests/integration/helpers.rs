//! `TestApp`: the application as `main` builds it, on port 0, with its own database and an
//! adjustable clock; and the request helpers the tests share.

use app::auth::Role;
use app::auth::service::{NewUser, create_user};
use app::state::{AppState, Clock};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
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
                    super::$name(app).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
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
        Some(Self::spawn(Backend::Postgres { admin_url, schema }).await)
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
        let application = server::build_app_with(&config, db, clock.clone());
        let state = application.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server::serve(listener, application, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        TestApp {
            addr,
            base: format!("http://{addr}"),
            state,
            clock,
            client: Self::new_client(),
            backend,
            config,
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
        reqwest::Client::builder()
            .cookie_store(true)
            // No keep-alive: a request the server refused early (413) must not poison the next one.
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
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

    /// Headers a browser on another site would send.
    pub fn cross_site_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("origin", HeaderValue::from_static("https://evil.example"));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        h
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
