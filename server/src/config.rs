//! Typed configuration, read once at start-up from the environment and an optional TOML file
//! (`NRMM_CONFIG`, default `./nrmm.toml` when present). The environment wins over the file.

use anyhow::{Context, Result, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `NRMM_LISTEN`, default `127.0.0.1:3000`.
    pub listen: SocketAddr,
    /// `DATABASE_URL`, default an SQLite file under the data directory. May hold a password.
    pub database_url: SecretString,
    /// `NRMM_DATA_DIR`, default `./data`.
    pub data_dir: PathBuf,
    /// `NRMM_PUBLIC_URL`, default `http://<listen>`; used in labels, QR codes and origin checks.
    pub public_url: String,
    /// `NRMM_LOG` (or `RUST_LOG`), default `info`.
    pub log: String,
    /// `NRMM_SITE_ROOT`: where the browser bundle (`pkg/`) and static files are, default `target/site`.
    pub site_root: PathBuf,
    /// `NRMM_DB_POOL`: database connections, default sized for the machine.
    pub db_pool: u32,
    /// `NRMM_TRUST_PROXY`: the reverse proxies (addresses, CIDR ranges) whose `X-Forwarded-For`
    /// entries are believed; none by default (the peer is the client).
    pub trust_proxy: app::rest::proxy::TrustedProxies,
    /// `NRMM_PUBLIC_RATE`: public requests per minute per client address, default 30; label checks,
    /// certificate checks and public reports are counted apart.
    pub public_rate_per_minute: u32,
    /// `NRMM_PUBLIC_BURST`: public requests of each kind one address may make at once, default 20.
    pub public_burst: u32,
    /// `NRMM_DEADLINE_NEAR_DAYS`: a case deadline this close is "near", default 3.
    pub deadline_near_days: i64,
    /// `NRMM_SWEEP_INTERVAL_SECS`: how often the deadline sweep runs, default 3600.
    pub sweep_interval_secs: u64,
    /// `NRMM_SESSION_IDLE_MINUTES`: a session ends after this long without a request, default 120.
    pub session_idle_minutes: i64,
    /// `NRMM_SESSION_MAX_HOURS`: a session ends this long after its sign-in, default 12.
    pub session_max_hours: i64,
    /// `NRMM_TOKEN_DAYS`: the lifetime of an API token whose owner names none, default 90 (at most 365).
    pub token_days: i64,
    /// The sign-in throttle: `NRMM_LOGIN_WINDOW_MINUTES` (15), `NRMM_LOGIN_PAIR_MAX` (5 checked
    /// attempts per account and address), `NRMM_LOGIN_DELAY_MAX_MS` (8000, the longest slow-down
    /// of an account under attack), `NRMM_LOGIN_UNKNOWN_MAX` (100 unknown user names per address).
    pub login: app::auth::throttle::Policy,
    /// `NRMM_SQLITE_SYNCHRONOUS`: `full` (default: an acknowledged write survives a power cut)
    /// or `normal` (faster; the last commits may be lost on a power cut).
    pub sqlite_sync: app::db::SqliteSync,
}

/// The optional file; every key may be absent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    site_root: Option<String>,
    db_pool: Option<u32>,
    trust_proxy: Option<Vec<String>>,
    public_rate: Option<u32>,
    public_burst: Option<u32>,
    deadline_near_days: Option<i64>,
    sweep_interval_secs: Option<u64>,
    session_idle_minutes: Option<i64>,
    session_max_hours: Option<i64>,
    token_days: Option<i64>,
    login_window_minutes: Option<i64>,
    login_pair_max: Option<i64>,
    login_delay_max_ms: Option<u64>,
    login_unknown_max: Option<i64>,
    sqlite_synchronous: Option<String>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Reads the configuration through `env` (a test passes its own map).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let file = match env("NRMM_CONFIG") {
            Some(path) => read_file(Path::new(&path))?,
            None if Path::new("nrmm.toml").exists() => read_file(Path::new("nrmm.toml"))?,
            None => FileConfig::default(),
        };
        let pick = |key: &str, from_file: Option<String>| env(key).or(from_file);

        let listen_raw = pick("NRMM_LISTEN", file.listen).unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen: SocketAddr =
            listen_raw.parse().with_context(|| format!("NRMM_LISTEN is not an address: {listen_raw}"))?;
        let data_dir = PathBuf::from(pick("NRMM_DATA_DIR", file.data_dir).unwrap_or_else(|| "./data".into()));
        let database_url = pick("DATABASE_URL", file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("nrmm.sqlite").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("DATABASE_URL must be a sqlite: or postgres:// URL");
        }
        let public_url = pick("NRMM_PUBLIC_URL", file.public_url).unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            bail!("NRMM_PUBLIC_URL must start with http:// or https://");
        }
        let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2);
        let default_pool = if database_url.starts_with("sqlite:") { (cores * 2).max(4) } else { (cores * 4).max(8) };
        let db_pool = match env("NRMM_DB_POOL") {
            Some(v) => v.parse().with_context(|| format!("NRMM_DB_POOL is not a number: {v}"))?,
            None => file.db_pool.unwrap_or(default_pool),
        };
        let proxies = env("NRMM_TRUST_PROXY").or_else(|| file.trust_proxy.map(|list| list.join(",")));
        let trust_proxy = app::rest::proxy::TrustedProxies::parse(proxies.as_deref().unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("NRMM_TRUST_PROXY: {e}"))?;
        let public_rate_per_minute = number(&env, "NRMM_PUBLIC_RATE", file.public_rate, 30)?.max(1);
        let public_burst = number(&env, "NRMM_PUBLIC_BURST", file.public_burst, 20)?.max(1);
        let deadline_near_days = number(&env, "NRMM_DEADLINE_NEAR_DAYS", file.deadline_near_days, 3)?.max(0);
        let sweep_interval_secs = number(&env, "NRMM_SWEEP_INTERVAL_SECS", file.sweep_interval_secs, 3600)?.max(1);
        let session_idle_minutes =
            number(&env, "NRMM_SESSION_IDLE_MINUTES", file.session_idle_minutes, 120)?.clamp(1, 24 * 60);
        let session_max_hours = number(&env, "NRMM_SESSION_MAX_HOURS", file.session_max_hours, 12)?.clamp(1, 24 * 30);
        let token_days = number(&env, "NRMM_TOKEN_DAYS", file.token_days, 90)?.clamp(1, 365);
        let defaults = app::auth::throttle::Policy::default();
        let login = app::auth::throttle::Policy {
            window: chrono::Duration::minutes(
                number(&env, "NRMM_LOGIN_WINDOW_MINUTES", file.login_window_minutes, 15)?.clamp(1, 24 * 60),
            ),
            pair_max: number(&env, "NRMM_LOGIN_PAIR_MAX", file.login_pair_max, defaults.pair_max)?.max(1),
            delay_max: std::time::Duration::from_millis(number(
                &env,
                "NRMM_LOGIN_DELAY_MAX_MS",
                file.login_delay_max_ms,
                defaults.delay_max.as_millis() as u64,
            )?),
            unknown_max_per_address: number(
                &env,
                "NRMM_LOGIN_UNKNOWN_MAX",
                file.login_unknown_max,
                defaults.unknown_max_per_address,
            )?
            .max(1),
            ..defaults
        };
        let sync_raw = pick("NRMM_SQLITE_SYNCHRONOUS", file.sqlite_synchronous).unwrap_or_else(|| "full".into());
        let sqlite_sync = app::db::SqliteSync::parse(&sync_raw)
            .with_context(|| format!("NRMM_SQLITE_SYNCHRONOUS must be full or normal, not {sync_raw}"))?;
        Ok(Config {
            listen,
            database_url: SecretString::from(database_url),
            data_dir,
            public_url: public_url.trim_end_matches('/').to_owned(),
            log: env("NRMM_LOG").or_else(|| env("RUST_LOG")).or(file.log).unwrap_or_else(|| "info".into()),
            site_root: PathBuf::from(pick("NRMM_SITE_ROOT", file.site_root).unwrap_or_else(|| "target/site".into())),
            db_pool,
            trust_proxy,
            public_rate_per_minute,
            public_burst,
            deadline_near_days,
            sweep_interval_secs,
            session_idle_minutes,
            session_max_hours,
            token_days,
            login,
            sqlite_sync,
        })
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}

/// A number from the environment (`key`), else the file, else `default`.
fn number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    key: &str,
    from_file: Option<T>,
    default: T,
) -> Result<T> {
    match env(key) {
        Some(v) => v.parse().map_err(|_| anyhow::anyhow!("{key} is not a number: {v}")),
        None => Ok(from_file.unwrap_or(default)),
    }
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}
