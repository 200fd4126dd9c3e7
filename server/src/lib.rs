//! The NRMM Registry server: builds the application (state, routes, middleware) from a
//! [`Config`], serves it with graceful shutdown, and runs the command-line tasks.
//! `main.rs` and the integration tests call the same [`build_app`].

#![recursion_limit = "512"]

pub mod cli;
pub mod config;
pub mod generate;
pub mod middleware;
pub mod seed;

pub use config::Config;

use anyhow::{Context, Result};
use app::auth::session_store::DbSessionStore;
use app::state::{AppState, Clock, Settings};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "nrmm_session";
/// The largest JSON or form body accepted (uploads have their own limits).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The largest upload body (a 10 MB photo or import file, plus multipart overhead).
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

/// A built application: the router to serve and the state behind it.
pub struct Application {
    pub router: Router,
    pub state: AppState,
    pub sessions: DbSessionStore,
    /// How often the case-deadline sweep runs while serving.
    pub sweep_interval: Duration,
}

/// Connects to the database and applies pending migrations.
pub async fn connect_and_migrate(config: &Config) -> Result<DatabaseConnection> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = app::db::connect_with(config.database_url.expose_secret(), config.db_pool, config.sqlite_sync)
        .await
        .context("connecting to the database")?;
    migrate(config, &db).await?;
    Ok(db)
}

/// [`connect_and_migrate`] for a bulk load of data nobody relies on yet (`nrmm seed-demo`):
/// commits are not waited onto the disk ([`app::db::connect_for_load`]).
pub async fn connect_for_load(config: &Config) -> Result<DatabaseConnection> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = app::db::connect_for_load(config.database_url.expose_secret(), config.db_pool)
        .await
        .context("connecting to the database")?;
    migrate(config, &db).await?;
    Ok(db)
}

/// The PostgreSQL advisory lock that lets one server at a time apply migrations.
const MIGRATION_LOCK: i64 = 0x006e_726d_6d6d_6967; // "nrmmmig"

/// Applies pending migrations. On PostgreSQL several servers may start at once: each takes
/// the migration lock on a connection of its own first, so the migrations run once and the
/// others find them applied. (SQLite is one server's file; its writer lock serialises anyway.)
pub async fn migrate(config: &Config, db: &DatabaseConnection) -> Result<()> {
    if config.is_sqlite() {
        return Migrator::up(db, None).await.context("applying migrations");
    }
    use sea_orm::ConnectionTrait;
    let lock =
        app::db::connect(config.database_url.expose_secret(), 1).await.context("connecting for the migration lock")?;
    let backend = lock.get_database_backend();
    let call = |f: &str| sea_orm::Statement::from_string(backend, format!("SELECT {f}({MIGRATION_LOCK})"));
    lock.execute_raw(call("pg_advisory_lock")).await.context("taking the migration lock")?;
    let applied = Migrator::up(db, None).await.context("applying migrations");
    let released = lock.execute_raw(call("pg_advisory_unlock")).await;
    lock.close().await.ok();
    applied?;
    released.context("releasing the migration lock")?;
    Ok(())
}

/// The Leptos options for serving the browser bundle from `site_root`.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("nrmm")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build()
}

/// Builds the application on an already migrated database, with `clock` as its time source.
pub fn build_app_with(config: &Config, db: DatabaseConnection, clock: Clock) -> Application {
    build_app_with_outbound(config, db, clock, Arc::new(app::notifications::outbound::LogOutbound))
}

/// Like [`build_app_with`], sending notifications out through `outbound`.
pub fn build_app_with_outbound(
    config: &Config,
    db: DatabaseConnection,
    clock: Clock,
    outbound: Arc<dyn app::notifications::outbound::Outbound>,
) -> Application {
    let mut settings = Settings::new(&config.public_url, config.data_dir.clone());
    settings.deadline_near_days = config.deadline_near_days;
    settings.session_idle = chrono::Duration::minutes(config.session_idle_minutes);
    settings.session_absolute = chrono::Duration::hours(config.session_max_hours);
    settings.token_default_days = config.token_days;
    settings.login = config.login;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let state = AppState::new(app::state::Shared {
        db: db.clone(),
        settings: Arc::new(settings),
        clock: clock.clone(),
        leptos_options: leptos_options(config),
        hashing: Arc::new(tokio::sync::Semaphore::new(cores.max(1))),
        imaging: Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 4))),
        storage: Arc::new(app::storage::LocalStorage::new(config.data_dir.join("files"))),
        outbound,
        public_limiter: Arc::new(app::public::rest::limiter(config.public_rate_per_minute, config.public_burst)),
        accounts: Default::default(),
    });
    let sessions = DbSessionStore::new(db, clock, state.settings.session_idle, state.settings.session_absolute);
    let session_layer = SessionManagerLayer::new(sessions.clone())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.settings.secure_cookies)
        .with_path("/")
        .with_always_save(true) // idle expiry: every request moves the expiry forward
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(config.session_idle_minutes)));

    // The label's address is not Leptos' alone: see `label_routes`.
    let routes = route_list().into_iter().filter(|r| !r.path().starts_with(LABEL_PATH)).collect();
    let api = app::rest::router().fallback(middleware::api_not_found);
    let assets = app::SiteAssets::load(&config.site_root);
    let worker = axum::body::Bytes::from(assets.service_worker());

    let ctx_state = state.clone();
    // Pages and server functions (Leptos registers each server function's path). Server
    // function bodies are limited, and their errors answered with the status they deserve.
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, move || provide_context(ctx_state.clone()), {
            let assets = assets.clone();
            move || app::shell(assets.clone())
        })
        .layer(axum::middleware::from_fn(middleware::server_fn_status))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT));

    let router = Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .merge(app::machines::labels::page_router())
        .merge(label_routes(&state, assets.clone()))
        .route("/sw.js", get(move || service_worker(worker.clone())))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware::audit_request))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), middleware::resolve_principal))
        .fallback(static_or_not_found)
        .layer(session_layer)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::same_origin))
        .layer(axum::middleware::from_fn(middleware::early_body_limit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(Arc::new(config.trust_proxy.clone()), middleware::client_ip))
        .layer(axum::middleware::from_fn(middleware::request_id_scope))
        .layer(axum::middleware::from_fn_with_state(state.settings.secure_cookies, middleware::security_headers))
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(middleware::REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state.clone());

    Application { router, state, sessions, sweep_interval: Duration::from_secs(config.sweep_interval_secs) }
}

/// Where a machine's label QR code points: `/v/{code}`.
const LABEL_PATH: &str = "/v/";

/// `/v/{code}`: an official who may look machines up (`permissions::LOOKUP`) and opens a
/// label (scanned with the phone's own camera or WeChat) gets the field look-up page for that
/// machine, with its inspect button; everyone else gets the public page.
fn label_routes(state: &AppState, assets: Arc<app::SiteAssets>) -> Router<AppState> {
    use axum::handler::Handler;
    let ctx_state = state.clone();
    let context = move || provide_context(ctx_state.clone());
    let shell = move || app::shell(assets.clone());
    // Rendered as the app's route says: whole before it is sent (`SsrMode::Async`), or
    // streamed out of order.
    let whole = route_list().iter().any(|r| r.path() == "/v/{code}" && *r.mode() == leptos_router::SsrMode::Async);
    let rendered_whole = leptos_axum::render_app_async_with_context(context.clone(), shell.clone());
    let streamed = leptos_axum::render_app_to_stream_with_context(context, shell);
    let state = state.clone();
    let page = move |req: Request| {
        let (rendered_whole, streamed, state) = (rendered_whole.clone(), streamed.clone(), state.clone());
        async move {
            let looks_up = req
                .extensions()
                .get::<app::auth::service::Principal>()
                .is_some_and(|p| app::auth::permissions::LOOKUP.contains(&p.role));
            match (looks_up, whole) {
                (true, true) => rendered_whole(req).await,
                (true, false) => streamed(req).await,
                (false, _) => app::public::rest::page.call(req, state).await,
            }
        }
    };
    Router::new()
        .route("/v/{code}", get(page))
        .route("/c/{code}", get(app::certificates::page::page))
        .route("/report", get(app::reports::page::form))
        .route("/report/sent", get(app::reports::page::sent))
}

/// `/sw.js`: the service worker of this build, which keeps the field pages for use with no
/// network. Never cached stale: a new build must reach the phone on its next visit.
/// Written once, when the router is built (the build's files do not change while it runs).
async fn service_worker(script: axum::body::Bytes) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut resp = script.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// The app's page routes, generated once per process.
///
/// Generating them renders the app with resource loading suppressed, and leptos_server keeps
/// that switch in one process-wide flag: a page render whose resource first polls while
/// another application in the same process is being built would wait forever. (A server
/// builds one application; the integration tests build many, in parallel with page renders.)
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(app::App)).clone()
}

/// Connects, migrates and builds the application with the system clock.
pub async fn build_app(config: &Config) -> Result<Application> {
    let db = connect_and_migrate(config).await?;
    Ok(build_app_with(config, db, Clock::system()))
}

/// Files of the built site (`/pkg/…`, the favicon); any other unknown path is a plain 404 page.
/// (Leptos' own file-and-error handler rendered the whole app for a 404, and under concurrent
/// requests that render could lose its reactive owner half-way and never finish.)
async fn static_or_not_found(State(state): State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    let headers = req.headers().clone();
    // Bundle files are named by their content: cached for a year, never revalidated. Each has
    // a Brotli and a gzip copy made at build time, served to browsers that accept them.
    let immutable = req.uri().path().starts_with("/pkg/") && req.uri().path() != "/pkg/assets.json";
    let mut files = tower_http::services::ServeDir::new(state.leptos_options.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip();
    match files.try_call(req).await {
        Ok(resp) if resp.status() != StatusCode::NOT_FOUND => {
            let mut resp = resp.map(axum::body::Body::new).into_response();
            let cache = if immutable && resp.status() == StatusCode::OK {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static(cache));
            resp
        }
        _ => app::public::rest::not_found_page(&headers),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    application: Application,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    // The upkeep runs once before the first request is served (a restart catches up at once),
    // then once per period: never concurrently with a caller that has not been answered yet.
    let state = application.state.clone();
    let sessions = application.sessions.clone();
    // Bounded: a backlog the first round cannot clear in time is left to the next rounds
    // rather than keeping the portal from answering.
    let first_round = async {
        hourly_upkeep(&state, &sessions).await;
        deadline_sweep(&state).await;
    };
    if tokio::time::timeout(Duration::from_secs(20), first_round).await.is_err() {
        tracing::warn!("the start-up upkeep took over 20 s; the periodic rounds continue it");
    }
    let (st, hourly) = (state.clone(), Duration::from_secs(3600));
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + hourly, hourly);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            hourly_upkeep(&st, &sessions).await;
        }
    });
    let every = application.sweep_interval;
    let deadlines = tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            deadline_sweep(&state).await;
        }
    });
    let service = application.router.into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, service).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    deadlines.abort();
    result.context("serving")
}

/// Removes expired sessions and the sign-in counters older than the window.
async fn hourly_upkeep(st: &AppState, sessions: &DbSessionStore) {
    match sessions.delete_expired().await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "expired sessions removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
    }
    match app::auth::throttle::prune(&st.db, st.clock.now(), st.settings.login.window).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "old sign-in counters removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not remove old sign-in counters"),
    }
}

/// Sends the notices of deadlines that came near or passed, and forgets the addresses whose
/// public-check allowance is full again.
async fn deadline_sweep(state: &AppState) {
    if let Err(e) = app::notifications::service::sweep_deadlines(state, state.clock.now()).await {
        tracing::warn!(error = %e, "deadline sweep failed");
    }
    state.public_limiter.retain_recent();
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
