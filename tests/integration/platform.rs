//! The platform around the features: health, readiness, the OpenAPI document, request ids,
//! pages rendered on the server in Chinese by default, 404s, backups and graceful shutdown.

use crate::db_tests;
use crate::helpers::{TestApp, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

db_tests!(
    health_and_readiness,
    request_ids_are_returned,
    pages_render_in_chinese_by_default_and_english_on_request,
    who_decided_is_always_an_account,
    planner_statistics_keep_no_value_samples_on_sqlite,
    no_two_indexes_of_a_table_cover_the_same_columns
);

async fn health_and_readiness(app: TestApp) {
    let resp = app.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    let resp = app.get("/readyz").await;
    assert_eq!(resp.status(), 200);
    app.state.db.clone().close().await.expect("close");
    assert_eq!(app.get("/readyz").await.status(), 503, "readiness reflects the database");
    assert_eq!(app.get("/healthz").await.status(), 200, "liveness does not");
}

async fn request_ids_are_returned(app: TestApp) {
    let resp = app.get("/api/v1/auth/me").await;
    let id = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(id.len(), 36, "a uuid request id: {id}");
    let resp = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.expect("get");
    assert_eq!(resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()), Some("abc-123"));
}

async fn pages_render_in_chinese_by_default_and_english_on_request(app: TestApp) {
    let resp = app.client.get(app.url("/login")).header("accept-language", "en-US,en;q=0.9").send().await.expect("get");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("<title>登录 · 非道路移动机械登记备案平台</title>"), "{html}");
    assert!(html.contains("lang=\"zh\""), "html lang");
    assert!(html.contains("用户名") && html.contains("/pkg/nrmm."), "server-rendered form and hydration script");
    let resp = app.client.get(app.url("/login")).header("cookie", "nrmm_lang=en").send().await.expect("get");
    let html = resp.text().await.expect("html");
    assert!(html.contains("<title>Sign in · NRMM Registry</title>"), "{html}");
    assert!(html.contains("User name"));

    let resp = TestApp::new_client().get(app.url("/no/such/page")).send().await.expect("get");
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.expect("html").contains("页面不存在"));
    // Many at once, in both languages, beside page renders: every one answered (a 404 once went
    // through the app's render, which could lose its owner under load: a 500 or no answer).
    let client = TestApp::new_client();
    let answers = futures::future::join_all((0..40).map(|i| {
        let (client, app) = (client.clone(), &app);
        async move {
            let path = if i % 2 == 0 { format!("/no/such/page/{i}") } else { "/login".to_owned() };
            let lang = if i % 4 < 2 { "zh" } else { "en" };
            let req = client.get(app.url(&path)).header("cookie", format!("nrmm_lang={lang}"));
            let resp = tokio::time::timeout(std::time::Duration::from_secs(30), req.send()).await;
            let resp = resp.expect("answered in time").expect("get");
            (path, lang, resp.status().as_u16(), resp.text().await.expect("html"))
        }
    }))
    .await;
    for (path, lang, status, html) in answers {
        if path == "/login" {
            assert_eq!(status, 200, "{path}");
        } else {
            assert_eq!(status, 404, "{path}");
            let heading = if lang == "en" { "Page not found" } else { "页面不存在" };
            assert!(html.contains(heading), "{path} in {lang}: {html}");
        }
    }
    // The built site's files are still served.
    if let Some(assets) = built_assets() {
        let css = app.client.get(app.url(&format!("/pkg/{}", assets["css"].as_str().expect("css")))).send().await;
        assert_eq!(css.expect("css").status(), 200);
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The built bundle's `assets.json`; `None` (with the reason printed) when the site is not
/// built, which CI does not allow.
fn built_assets() -> Option<serde_json::Value> {
    let path = crate::helpers::site_root().join("pkg/assets.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("assets.json")),
        Err(e) => {
            assert!(!ci(), "CI=true requires the built site ({}: {e}); scripts/test.sh builds it", path.display());
            eprintln!("SKIPPED bundle checks: {} is missing", path.display());
            None
        }
    }
}

/// The bundle's files are named by their content and cached for a year; each is served
/// precompressed (Brotli, else gzip) to browsers that accept it; every chunk the split manifest
/// names exists; pages name this build's files and are never reused from a cache unasked.
#[tokio::test]
async fn the_bundle_is_named_by_content_precompressed_and_cached() {
    let Some(assets) = built_assets() else { return };
    let app = TestApp::sqlite().await;
    let pkg = crate::helpers::site_root().join("pkg");
    let page = app.get("/login").await;
    assert_eq!(page.headers()["cache-control"], "private, no-cache", "a page is revalidated");
    let html = page.text().await.expect("html");
    for key in ["js", "wasm", "css"] {
        let name = assets[key].as_str().expect("name");
        assert!(name.split('.').nth(1).is_some_and(|h| h.len() == 16), "{name} carries its hash");
        assert!(html.contains(&format!("/pkg/{name}")), "the page names {name}");
    }
    let chunks: Vec<String> = assets["split_manifest"]
        .as_object()
        .expect("split manifest")
        .values()
        .flat_map(|v| v.as_array().expect("chunks").iter().map(|c| format!("{}.wasm", c.as_str().expect("chunk"))))
        .collect();
    assert!(chunks.len() >= 30, "one chunk or more per page: {}", chunks.len());
    let names = [assets["js"].as_str(), assets["wasm"].as_str(), assets["split_js"].as_str()];
    for name in names.into_iter().map(|n| n.expect("name").to_owned()).chain(chunks) {
        for (accept, encoding, suffix) in
            [("br, gzip", Some("br"), ".br"), ("gzip", Some("gzip"), ".gz"), ("identity", None, "")]
        {
            let resp = app
                .client
                .get(app.url(&format!("/pkg/{name}")))
                .header("accept-encoding", accept)
                .send()
                .await
                .expect("get");
            assert_eq!(resp.status(), 200, "{name}");
            assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable", "{name}");
            assert_eq!(
                resp.headers().get("content-encoding").and_then(|v| v.to_str().ok()),
                encoding,
                "{name} for {accept}"
            );
            let size = std::fs::metadata(pkg.join(format!("{name}{suffix}"))).expect("file").len();
            assert_eq!(resp.bytes().await.expect("body").len() as u64, size, "{name}{suffix}");
        }
    }
    assert_eq!(app.get("/pkg/nrmm.wasm").await.status(), 404, "no unhashed name");
}

/// Building an application (as every test does) once rendered the whole app to list its routes,
/// with resource loading switched off process-wide: a page whose resource first polled in that
/// window never finished. Pages with resources now render while applications are built.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_applications_are_built() {
    let app = TestApp::sqlite().await;
    app.user("root", app::auth::Role::Sysadmin, None, None).await;
    let root = app.signed_in("root").await;
    let (config, db, clock) = (app.config.clone(), app.state.db.clone(), app.clock.clone());
    let builder = tokio::spawn(async move {
        for _ in 0..30 {
            drop(server::build_app_with(&config, db.clone(), clock.clone()));
            tokio::task::yield_now().await;
        }
    });
    let answers = futures::future::join_all((0..40).map(|i| {
        let (root, app) = (root.clone(), &app);
        async move {
            let path = ["/admin/users", "/machines", "/filings", "/sites"][i % 4];
            let resp = tokio::time::timeout(std::time::Duration::from_secs(30), async {
                let resp = root.get(app.url(path)).send().await.expect("get");
                (resp.status().as_u16(), resp.text().await.expect("html"))
            })
            .await;
            (path, resp.unwrap_or_else(|_| panic!("{path} did not finish within 30 s")))
        }
    }))
    .await;
    builder.await.expect("builds");
    for (path, (status, html)) in answers {
        assert_eq!(status, 200, "{path}");
        // The body was read to its end within the time limit: the stream finished.
        assert!(html.contains("</html>"), "{path}");
    }
}

#[tokio::test]
async fn openapi_document_lists_the_endpoints() {
    let app = TestApp::sqlite().await;
    let doc = json(app.get("/api/v1/openapi.json").await).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in ["/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/auth/me", "/api/v1/auth/tokens"] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let app = TestApp::sqlite().await;
    app.user("backup.me", app::auth::Role::Sysadmin, None, None).await;
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("copy.sqlite");
    server::cli::backup(&app.config, &target).await.expect("backup");
    let copy = app::db::connect(&format!("sqlite://{}", target.display()), 1).await.expect("open copy");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(app::db::entities::user::Entity::find().count(&copy).await.expect("count"), 1);
    assert!(server::cli::backup(&app.config, &target).await.is_err(), "never overwrites");
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let mut app = TestApp::sqlite().await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let body = br#"{"username":"nobody","password":"nothing at all"}"#;
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        app.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&body[..10]).await.expect("half");
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // Ask the server to stop while the request is half sent.
    app.stop();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stream.write_all(&body[10..]).await.expect("rest");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the response came before the timeout");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 401"), "the in-flight request was answered: {text}");
    // New connections are refused once it has stopped.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(tokio::net::TcpStream::connect(app.addr).await.is_err(), "no longer listening");
}

#[tokio::test]
async fn demo_data_loads_twice_without_change() {
    let app = TestApp::sqlite().await;
    let accounts = server::seed::demo(&app.state).await.expect("seed");
    assert!(accounts.iter().any(|a| a.username == "xiaodian.inspector"));
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = &app.state.db;
    let count = || async {
        (
            app::db::entities::user::Entity::find().count(db).await.expect("users"),
            app::db::entities::machine::Entity::find().count(db).await.expect("machines"),
            app::db::entities::filing::Entity::find().count(db).await.expect("filings"),
        )
    };
    let first = count().await;
    assert_eq!(first, (9, 8, 4));
    server::seed::demo(&app.state).await.expect("seed again");
    assert_eq!(count().await, first);
    // The accepted filing issued registration codes that pass their check.
    let codes: Vec<String> = app::db::entities::machine::Entity::find()
        .all(db)
        .await
        .expect("machines")
        .into_iter()
        .filter_map(|m| m.registration_code)
        .collect();
    assert_eq!(codes.len(), 3);
    for c in codes {
        assert!(app::machines::regcode::RegistrationCode::parse(&c).is_ok(), "{c}");
    }
    // The demo inspector can sign in with the documented password.
    let resp = app
        .post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"username": "xiaodian.inspector", "password": server::seed::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

/// SQLite commits are durable by default (`synchronous=FULL` on every pooled connection: an
/// acknowledged write survives a power cut); `NRMM_SQLITE_SYNCHRONOUS=normal` opts out.
#[tokio::test]
async fn sqlite_commits_are_durable_by_default() {
    use sea_orm::{ConnectionTrait, Statement};
    let pragma = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            let mut seen = Vec::new();
            // More queries than connections, concurrently, so every pooled connection answers.
            let all = (0..12).map(|_| {
                let db = db.clone();
                async move {
                    let stmt = Statement::from_string(db.get_database_backend(), "PRAGMA synchronous");
                    let row = db.query_one_raw(stmt).await.expect("pragma").expect("row");
                    row.try_get_by_index::<i32>(0).expect("value")
                }
            });
            seen.extend(futures::future::join_all(all).await);
            seen
        }
    };
    let app = TestApp::sqlite().await;
    assert!(pragma(&app).await.iter().all(|v| *v == 2), "FULL is 2");
    let fast =
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| c.sqlite_sync = app::db::SqliteSync::Normal).await;
    assert!(pragma(&fast).await.iter().all(|v| *v == 1), "NORMAL is 1");
}

/// Every response carries the security headers; an app page's policy names the nonce its
/// inline hydration scripts carry, and nothing inline runs without it.
#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::sqlite().await;
    let page = app.get("/login").await;
    let h = page.headers().clone();
    let csp = h["content-security-policy"].to_str().expect("ascii").to_owned();
    let html = page.text().await.expect("html");
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    for resp in [page_headers(&h), page_headers(app.get("/api/v1/auth/me").await.headers())] {
        assert_eq!(resp.0.as_deref(), Some("nosniff"));
        assert_eq!(resp.1.as_deref(), Some("DENY"));
        assert_eq!(resp.2.as_deref(), Some("same-origin"));
    }
    // Each page load gets its own nonce.
    let again = app.get("/login").await;
    assert_ne!(again.headers()["content-security-policy"].to_str().expect("ascii"), csp);
    // The public label page and API answers get the policy without a nonce; no HSTS over http.
    let public = app.get("/v/140105000000X").await;
    let p = public.headers()["content-security-policy"].to_str().expect("ascii");
    assert!(p.contains("script-src 'self' 'wasm-unsafe-eval';") && !p.contains("nonce"), "{p}");
    assert!(!public.headers().contains_key("strict-transport-security"));
    let https =
        TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| c.public_url = "https://nrmm.example.cn".into()).await;
    let sts = https.get("/healthz").await.headers().get("strict-transport-security").cloned();
    assert!(sts.is_some_and(|v| v.to_str().unwrap_or_default().contains("max-age=")));
}

fn page_headers(h: &reqwest::header::HeaderMap) -> (Option<String>, Option<String>, Option<String>) {
    let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (get("x-content-type-options"), get("x-frame-options"), get("referrer-policy"))
}

/// Several servers starting at once on one PostgreSQL database apply the migrations once: each
/// waits for the migration lock, and finds them applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_starting_together_migrate_once() {
    use sea_orm::{ConnectionTrait, Statement};
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let admin_url =
        std::env::var("NRMM_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match app::db::connect(&admin_url, 1).await {
        Ok(db) => db,
        Err(e) if !ci => return eprintln!("SKIPPED (PostgreSQL not reachable at {admin_url}: {e})"),
        Err(e) => panic!("CI=true requires PostgreSQL at {admin_url}: {e}"),
    };
    let schema = format!("t_mig_{}", uuid::Uuid::new_v4().simple());
    admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("schema");
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema}");
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let config = server::Config::from_lookup(|k| (k == "DATABASE_URL").then(|| url.clone())).expect("config");
            server::connect_and_migrate(&config).await.map(|_| ()).map_err(|e| format!("{e:#}"))
        })
    });
    let results: Vec<_> = futures::future::join_all(starts).await.into_iter().map(|r| r.expect("task")).collect();
    let count = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT COUNT(*), COUNT(DISTINCT version) FROM \"{schema}\".seaql_migrations"),
        ))
        .await
        .expect("count")
        .expect("row");
    let (rows, distinct): (i64, i64) = (count.try_get_by_index(0).expect("n"), count.try_get_by_index(1).expect("d"));
    admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.ok();
    assert!(results.iter().all(Result::is_ok), "every server started: {results:?}");
    use migrations::MigratorTrait;
    assert_eq!((rows, distinct), (migrations::Migrator::migrations().len() as i64, rows), "each migration once");
}

/// The OpenAPI document is whole: every reference resolves, and every operation lists the
/// errors of its kind in the error format (so client generators and contract fuzzers can rely
/// on it).
#[tokio::test]
async fn openapi_document_is_complete() {
    let app = TestApp::sqlite().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.expect("json");
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    let dangling: Vec<&String> = all
        .iter()
        .filter(|r| {
            let name = r.trim_start_matches("#/components/schemas/");
            !r.starts_with("#/components/schemas/") || doc["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let responses = op["responses"].as_object().expect("responses");
            let has = |s: &str| responses.contains_key(s);
            let what = format!("{} {path}", method.to_uppercase());
            assert!(has("400"), "{what}: 400");
            if op.get("security").and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty()) {
                assert!(has("401") && has("403"), "{what}: 401/403");
            }
            if path.contains('{') {
                assert!(has("404"), "{what}: 404");
            }
            if method != "get" {
                assert!(has("409") && has("413"), "{what}: 409/413");
            }
            for (status, r) in responses {
                if status.starts_with('4') {
                    // The error format, or (a rejected import) a body that carries it with its report.
                    let schema = r["content"]["application/json"]["schema"]["$ref"].as_str().unwrap_or_default();
                    assert!(schema.starts_with("#/components/schemas/"), "{what} {status}: a JSON error body");
                }
            }
        }
    }
}

/// `sites.zone_decided_by` and `users.disabled_by` name an account or nothing: the database
/// refuses any other value (foreign keys to `users`, on both databases).
async fn who_decided_is_always_an_account(app: TestApp) {
    use app::db::entities::{site, user};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let (org, builder) = crate::helpers::contractor(&app, "decider.fk").await;
    let site = crate::helpers::create_site(&app, &builder, "FK 工地", "140105").await;
    let site_id: uuid::Uuid = site["id"].as_str().and_then(|s| s.parse().ok()).expect("site id");
    let staff = app.user("decider.staff", app::auth::Role::ContractorStaff, None, Some(org)).await;
    let inspector = app.user("decider.inspector", app::auth::Role::CountyInspector, Some("140105"), None).await;
    let db = &app.state.db;
    for who in [uuid::Uuid::now_v7(), inspector] {
        let on_site = site::Entity::update_many()
            .col_expr(site::Column::ZoneDecidedBy, Expr::value(who))
            .filter(site::Column::Id.eq(site_id))
            .exec(db)
            .await;
        let on_user = user::Entity::update_many()
            .col_expr(user::Column::DisabledBy, Expr::value(who))
            .filter(user::Column::Id.eq(staff))
            .exec(db)
            .await;
        if who == inspector {
            assert_eq!(on_site.expect("an account is accepted").rows_affected, 1);
            assert_eq!(on_user.expect("an account is accepted").rows_affected, 1);
        } else {
            for refused in [on_site.map(|_| ()), on_user.map(|_| ())] {
                let e = refused.expect_err("an unknown account is refused");
                assert!(e.to_string().to_lowercase().contains("foreign key"), "{e}");
            }
        }
    }
}

/// After `app::db::analyze` (what the generator runs after a bulk load), SQLite keeps the
/// per-index statistics but no value samples: with samples, a statement comparing an indexed
/// column with a parameter is compiled again for every new value (the look-up by code).
async fn planner_statistics_keep_no_value_samples_on_sqlite(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    server::seed::demo(&app.state).await.expect("demo data");
    app::db::analyze(&app.state.db).await.expect("analyze");
    if !app::db::is_sqlite(&app.state.db) {
        return;
    }
    let db = &app.state.db;
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        async move {
            let row = db.query_one_raw(Statement::from_string(sea_orm::DbBackend::Sqlite, sql)).await;
            row.expect("count").expect("a row").try_get::<i64>("", "n").expect("n")
        }
    };
    assert!(count("sqlite_stat1").await > 0, "per-index statistics are kept");
    assert_eq!(count("sqlite_stat4").await, 0, "no value samples");
}

/// Every index costs every insert and update of its table: no table has two indexes on the same
/// columns in the same order (with the same condition, for a partial index). The migrations
/// once made `filing_machines(machine_id)` twice under two names.
async fn no_two_indexes_of_a_table_cover_the_same_columns(app: TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = if app::db::is_sqlite(db) {
        // The key columns in order; a partial index adds its condition (the text after WHERE).
        "SELECT m.name AS tbl, il.name AS idx, \
           (SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) \
           || CASE WHEN il.partial THEN ' WHERE ' || substr(s.sql, instr(upper(s.sql), ' WHERE ') + 7) ELSE '' END AS cols \
         FROM sqlite_schema m JOIN pragma_index_list(m.name) il \
         LEFT JOIN sqlite_schema s ON s.type = 'index' AND s.name = il.name \
         WHERE m.type = 'table'"
    } else {
        "SELECT t.relname AS tbl, i.relname AS idx, \
           (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',' ORDER BY k) \
              FROM generate_series(1, ix.indnkeyatts) k) \
           || coalesce(' WHERE ' || pg_get_expr(ix.indpred, ix.indrelid), '') AS cols \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace WHERE ns.nspname = current_schema()"
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.expect("indexes");
    assert!(rows.len() > 20, "the schema's indexes are read ({})", rows.len());
    let mut seen: std::collections::HashMap<(String, String), String> = Default::default();
    let mut twice = Vec::new();
    for row in rows {
        let get = |c: &str| row.try_get::<String>("", c).unwrap_or_else(|e| panic!("{c}: {e}"));
        let (table, index, cols) = (get("tbl"), get("idx"), get("cols"));
        if let Some(first) = seen.insert((table.clone(), cols.clone()), index.clone()) {
            twice.push(format!("{table}({cols}): {first} and {index}"));
        }
    }
    assert!(twice.is_empty(), "indexes made twice: {twice:#?}");
}
