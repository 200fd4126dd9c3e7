//! Sign-in, sessions, tokens, limits, origin checks and bad bodies, over the REST API and the
//! server functions the pages use.

use crate::db_tests;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_error, json};
use app::auth::Role;
use serde_json::json;

db_tests!(
    right_and_wrong_password,
    disabled_user_cannot_sign_in_and_loses_sessions,
    session_expires_after_idle_time_and_activity_extends_it,
    sign_out_ends_the_session,
    repeated_failures_are_rate_limited_per_user_name,
    repeated_failures_are_rate_limited_per_address,
    api_tokens_are_shown_once_stored_hashed_and_work,
    cross_origin_state_changes_are_refused,
    bad_bodies_are_4xx_never_500,
    server_functions_answer_with_real_statuses,
);

async fn right_and_wrong_password(app: TestApp) {
    app.user("wang.li", Role::CountyInspector, Some("140105"), None).await;

    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "wang.li", "password": "wrong password"})).await;
    assert_error(resp, 401, "invalid_credentials").await;
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "nobody", "password": PASSWORD})).await;
    assert_error(resp, 401, "invalid_credentials").await;
    assert_error(app.get("/api/v1/auth/me").await, 401, "unauthorized").await;

    // User names are case-insensitive.
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": " Wang.Li ", "password": PASSWORD})).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.starts_with("nrmm_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not set Secure: {cookie}");
    let me = json(resp).await;
    assert_eq!(me["username"], "wang.li");
    assert_eq!(me["role"], "county_inspector");
    assert_eq!(me["division_code"], "140105");
    assert!(me.get("password_hash").is_none());

    let me = json(app.get("/api/v1/auth/me").await).await;
    assert_eq!(me["username"], "wang.li");
}

async fn disabled_user_cannot_sign_in_and_loses_sessions(app: TestApp) {
    let id = app.user("zhao.min", Role::CityOfficer, Some("140100"), None).await;
    app.login("zhao.min").await;
    assert_eq!(app.get("/api/v1/auth/me").await.status(), 200);

    app::auth::service::set_active(&app.state.db, id, false, app.clock.now()).await.expect("disable");
    assert_error(app.get("/api/v1/auth/me").await, 401, "unauthorized").await;
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "zhao.min", "password": PASSWORD})).await;
    assert_error(resp, 401, "invalid_credentials").await;

    app::auth::service::set_active(&app.state.db, id, true, app.clock.now()).await.expect("enable");
    app.login("zhao.min").await;
}

async fn session_expires_after_idle_time_and_activity_extends_it(app: TestApp) {
    app.user("li.na", Role::ProvinceOfficer, Some("140000"), None).await;
    app.login("li.na").await;
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::minutes(110));
        assert_eq!(app.get("/api/v1/auth/me").await.status(), 200, "activity within 2 h keeps the session");
    }
    app.clock.advance(chrono::Duration::hours(2) + chrono::Duration::minutes(1));
    assert_error(app.get("/api/v1/auth/me").await, 401, "unauthorized").await;
}

async fn sign_out_ends_the_session(app: TestApp) {
    app.user("chen.jing", Role::CountyInspector, Some("140121"), None).await;
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "chen.jing", "password": PASSWORD})).await;
    let cookie = resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let session_cookie = cookie.split(';').next().unwrap_or_default().to_owned();

    let resp = app.client.post(app.url("/api/v1/auth/logout")).send().await.expect("logout");
    assert_eq!(resp.status(), 204);
    assert_error(app.get("/api/v1/auth/me").await, 401, "unauthorized").await;

    // The old cookie, replayed by another client, is dead too: the stored session is gone.
    let other = TestApp::new_client();
    let resp = other.get(app.url("/api/v1/auth/me")).header("cookie", session_cookie).send().await.expect("me");
    assert_eq!(resp.status(), 401);
    // Signing out again without a session is 401.
    let resp = app.client.post(app.url("/api/v1/auth/logout")).send().await.expect("logout");
    assert_eq!(resp.status(), 401);
}

async fn repeated_failures_are_rate_limited_per_user_name(app: TestApp) {
    app.user("sun.tao", Role::PartnerViewer, Some("140105"), None).await;
    for _ in 0..5 {
        let resp = app.post_json("/api/v1/auth/login", &json!({"username": "sun.tao", "password": "nope nope"})).await;
        assert_eq!(resp.status(), 401);
    }
    // This account from this address is refused now, even with the right password.
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "sun.tao", "password": PASSWORD})).await;
    assert!(resp.headers().get("retry-after").is_some());
    assert_error(resp, 429, "rate_limited").await;
    // After the window it works again.
    app.clock.advance(chrono::Duration::minutes(16));
    app.login("sun.tao").await;
}

async fn repeated_failures_are_rate_limited_per_address(app: TestApp) {
    app.user("zhou.wen", Role::Sysadmin, None, None).await;
    // Unknown names: a much higher ceiling per address (100 by default).
    for i in 0..100 {
        let resp = app
            .post_json("/api/v1/auth/login", &json!({"username": format!("guess{i}"), "password": "nope nope"}))
            .await;
        assert_eq!(resp.status(), 401);
    }
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "guess100", "password": "nope nope"})).await;
    assert_error(resp, 429, "rate_limited").await;
    // The guesser does not lock the real accounts behind the same address out.
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "zhou.wen", "password": PASSWORD})).await;
    assert_eq!(resp.status(), 200);
}

async fn api_tokens_are_shown_once_stored_hashed_and_work(app: TestApp) {
    app.user("robot", Role::ProvinceOfficer, Some("140000"), None).await;
    // Not signed in: no token.
    assert_error(app.post_json("/api/v1/auth/tokens", &json!({"name": "x"})).await, 401, "unauthorized").await;
    app.login("robot").await;
    assert_error(app.post_json("/api/v1/auth/tokens", &json!({"name": "  "})).await, 422, "validation_failed").await;
    let resp = app.post_json("/api/v1/auth/tokens", &json!({"name": "provincial platform"})).await;
    assert_eq!(resp.status(), 201);
    let body = json(resp).await;
    let token = body["token"].as_str().expect("token").to_owned();

    use sea_orm::EntityTrait;
    let rows = app::db::entities::api_token::Entity::find().all(&app.state.db).await.expect("tokens");
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token);
    assert_eq!(rows[0].token_hash, app::auth::credentials::digest(&token));

    let fresh = TestApp::new_client();
    let resp = fresh.get(app.url("/api/v1/auth/me")).bearer_auth(&token).send().await.expect("me");
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["username"], "robot");
    let used = app::db::entities::api_token::Entity::find().all(&app.state.db).await.expect("tokens");
    let since = used[0].last_used_at.map(|t| app.clock.now() - t);
    assert!(since.is_some_and(|d| d >= chrono::Duration::zero() && d < chrono::Duration::minutes(1)), "{since:?}");
    let resp = fresh.get(app.url("/api/v1/auth/me")).bearer_auth("nrmm_not-a-token").send().await.expect("me");
    assert_error(resp, 401, "unauthorized").await;
}

async fn cross_origin_state_changes_are_refused(app: TestApp) {
    app.user("gao.fei", Role::CountyInspector, Some("140105"), None).await;
    let body = json!({"username": "gao.fei", "password": PASSWORD});
    // A page on another site posting to the REST API.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .headers(TestApp::cross_site_headers())
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_error(resp, 403, "forbidden").await;
    // The same against a server function, as a form post.
    let resp = app
        .client
        .post(app.url("/api/auth/login"))
        .headers(TestApp::cross_site_headers())
        .form(&[("username", "gao.fei"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    // An Origin header alone that is foreign is refused too (older browsers).
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    // Same-site but another origin (a sibling subdomain) is refused.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("sec-fetch-site", "same-site")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    // Our own pages are fine.
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 200);
    // Reads are never blocked.
    let resp =
        app.client.get(app.url("/api/v1/auth/me")).headers(TestApp::cross_site_headers()).send().await.expect("get");
    assert_eq!(resp.status(), 200);
}

async fn bad_bodies_are_4xx_never_500(app: TestApp) {
    let post_raw = |body: Vec<u8>, ctype: &'static str| {
        app.client.post(app.url("/api/v1/auth/login")).header("content-type", ctype).body(body).send()
    };
    assert_error(post_raw(b"{not json".to_vec(), "application/json").await.expect("post"), 400, "malformed").await;
    assert_error(post_raw(b"[1,2,3]".to_vec(), "application/json").await.expect("post"), 400, "malformed").await;
    assert_error(post_raw(br#"{"username": "a"}"#.to_vec(), "application/json").await.expect("post"), 400, "malformed")
        .await;
    assert_error(post_raw(vec![0xff, 0xfe, 0x00], "application/json").await.expect("post"), 400, "malformed").await;
    assert_error(
        post_raw(br#"{"username":"a","password":"b"}"#.to_vec(), "text/plain").await.expect("post"),
        415,
        "unsupported_media_type",
    )
    .await;
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "", "password": ""})).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["username"].is_array(), "{body}");
    assert!(body["error"]["fields"]["password"].is_array(), "{body}");

    // Oversized bodies are refused from their announced length, before they are read.
    for (path, ctype) in
        [("/api/v1/auth/login", "application/json"), ("/api/auth/login", "application/x-www-form-urlencoded")]
    {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\r\n",
            app.addr,
            2 * 1024 * 1024
        );
        let answer = crate::helpers::raw_request(app.addr, &head, b"{\"username\":\"a\",\"password\":\"").await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
    // A password longer than any real one is a validation error, not work for Argon2.
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "a", "password": "x".repeat(300)})).await;
    assert_error(resp, 422, "validation_failed").await;
    // Unknown API paths are JSON 404s.
    assert_error(app.get("/api/v1/no/such/thing").await, 404, "not_found").await;
}

async fn server_functions_answer_with_real_statuses(app: TestApp) {
    app.user("he.jun", Role::CountyInspector, Some("140121"), None).await;
    let sfn = |form: Vec<(&'static str, String)>| {
        app.client.post(app.url("/api/auth/login")).header("accept", "application/json").form(&form).send()
    };
    let resp = sfn(vec![("username", "he.jun".into()), ("password", "wrong wrong".into())]).await.expect("post");
    assert_eq!(resp.status(), 401);
    let err: app::error::AppError = serde_json::from_str(&resp.text().await.expect("text")).expect("AppError");
    assert_eq!(err, app::error::AppError::InvalidCredentials);

    let resp = sfn(vec![("nonsense", "1".into())]).await.expect("post");
    assert_eq!(resp.status(), 400);

    let resp = sfn(vec![("username", "he.jun".into()), ("password", PASSWORD.into())]).await.expect("post");
    assert!(resp.status().is_redirection() || resp.status().is_success(), "{}", resp.status());
    let resp = app.client.post(app.url("/api/auth/me")).header("accept", "application/json").send().await.expect("me");
    assert_eq!(resp.status(), 200);
    let me: Option<app::auth::Me> = resp.json().await.expect("me json");
    assert_eq!(me.map(|m| m.username), Some("he.jun".to_owned()));
}

#[tokio::test]
async fn secure_cookie_when_the_public_url_is_https() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.public_url = "https://nrmm.example.cn".into()).await;
    app.user("secure.user", Role::Sysadmin, None, None).await;
    let resp = app.post_json("/api/v1/auth/login", &json!({"username": "secure.user", "password": PASSWORD})).await;
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let db_path = dir.path().join("restart.sqlite");
    let config_for = |p: &std::path::Path| {
        let url = format!("sqlite://{}?mode=rwc", p.display());
        let data = dir.path().display().to_string();
        server::Config::from_lookup(move |k| match k {
            "DATABASE_URL" => Some(url.clone()),
            "NRMM_DATA_DIR" => Some(data.clone()),
            _ => None,
        })
        .expect("config")
    };
    let start = |config: server::Config| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let application = server::build_app(&config).await.expect("build");
        let state = application.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            server::serve(listener, application, async {
                let _ = rx.await;
            })
            .await
            .expect("serve")
        });
        (addr, state, tx, handle)
    };
    let (addr, state, tx, handle) = start(config_for(&db_path)).await;
    app::auth::service::create_user(
        &state,
        app::auth::service::NewUser {
            username: "restart.me".into(),
            password: PASSWORD.into(),
            role: Role::Sysadmin,
            display_name: None,
            organization_id: None,
            division_code: None,
            phone: None,
        },
    )
    .await
    .expect("user");
    let client = TestApp::new_client();
    let resp = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&json!({"username": "restart.me", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200);
    let _ = tx.send(());
    handle.await.expect("stopped");
    drop(state);

    let (addr2, _state, tx2, _h) = start(config_for(&db_path)).await;
    // The cookie jar is bound to the old port's host (same host, new port: cookies ignore ports).
    let resp = client.get(format!("http://{addr2}/api/v1/auth/me")).send().await.expect("me");
    assert_eq!(resp.status(), 200, "the session survived the restart");
    let _ = tx2.send(());
}
