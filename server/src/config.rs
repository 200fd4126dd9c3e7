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
    /// `NRMM_TRUST_PROXY=true`: take the client address from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// `NRMM_PUBLIC_RATE`: public label checks per minute per client address, default 30.
    pub public_rate_per_minute: u32,
    /// `NRMM_PUBLIC_BURST`: public label checks one address may make at once, default 20.
    pub public_burst: u32,
    /// `NRMM_DEADLINE_NEAR_DAYS`: a case deadline this close is "near", default 3.
    pub deadline_near_days: i64,
    /// `NRMM_SWEEP_INTERVAL_SECS`: how often the deadline sweep runs, default 3600.
    pub sweep_interval_secs: u64,
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
    trust_proxy: Option<bool>,
    public_rate: Option<u32>,
    public_burst: Option<u32>,
    deadline_near_days: Option<i64>,
    sweep_interval_secs: Option<u64>,
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
        let trust_proxy = match env("NRMM_TRUST_PROXY") {
            Some(v) => matches!(v.as_str(), "1" | "true" | "yes"),
            None => file.trust_proxy.unwrap_or(false),
        };
        let public_rate_per_minute = number(&env, "NRMM_PUBLIC_RATE", file.public_rate, 30)?.max(1);
        let public_burst = number(&env, "NRMM_PUBLIC_BURST", file.public_burst, 20)?.max(1);
        let deadline_near_days = number(&env, "NRMM_DEADLINE_NEAR_DAYS", file.deadline_near_days, 3)?.max(0);
        let sweep_interval_secs = number(&env, "NRMM_SWEEP_INTERVAL_SECS", file.sweep_interval_secs, 3600)?.max(1);
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
