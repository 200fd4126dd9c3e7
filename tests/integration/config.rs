//! Configuration from the environment and the optional file.

use secrecy::ExposeSecret;
use std::collections::HashMap;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn defaults() {
    let c = server::Config::from_lookup(lookup(&[])).expect("config");
    assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(c.public_url, "http://127.0.0.1:3000");
    assert!(c.is_sqlite());
    assert!(c.database_url.expose_secret().contains("data/nrmm.sqlite"), "{}", c.database_url.expose_secret());
    assert_eq!(c.log, "info");
    assert!(c.db_pool >= 4);
}

#[test]
fn environment_overrides_and_bad_values() {
    let c = server::Config::from_lookup(lookup(&[
        ("NRMM_PUBLIC_URL", "https://nrmm.example.cn/"),
        ("DATABASE_URL", "postgres://u:secret@db/nrmm"),
        ("NRMM_LISTEN", "0.0.0.0:8080"),
        ("NRMM_DB_POOL", "12"),
    ]))
    .expect("config");
    assert_eq!(c.public_url, "https://nrmm.example.cn");
    assert!(!c.is_sqlite());
    assert_eq!(c.db_pool, 12);
    assert!(!format!("{c:?}").contains("secret"), "the database password must not be printed");
    assert!(server::Config::from_lookup(lookup(&[("NRMM_LISTEN", "nope")])).is_err());
    assert!(server::Config::from_lookup(lookup(&[("DATABASE_URL", "mysql://x")])).is_err());
    assert!(server::Config::from_lookup(lookup(&[("NRMM_PUBLIC_URL", "ftp://x")])).is_err());
    assert!(server::Config::from_lookup(lookup(&[("NRMM_DB_POOL", "many")])).is_err());
}

#[test]
fn file_then_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("nrmm.toml");
    std::fs::write(&path, "listen = \"127.0.0.1:4000\"\npublic_url = \"http://file.example\"\nlog = \"debug\"\n")
        .expect("write");
    let p = path.display().to_string();
    let c = server::Config::from_lookup(lookup(&[("NRMM_CONFIG", &p), ("NRMM_LOG", "warn")])).expect("config");
    assert_eq!(c.listen.to_string(), "127.0.0.1:4000");
    assert_eq!(c.public_url, "http://file.example");
    assert_eq!(c.log, "warn", "the environment wins over the file");
    std::fs::write(&path, "no_such_key = 1\n").expect("write");
    assert!(server::Config::from_lookup(lookup(&[("NRMM_CONFIG", &p)])).is_err(), "unknown keys are refused");
}

#[test]
fn security_lifetimes_and_throttle() {
    let c = server::Config::from_lookup(lookup(&[])).expect("config");
    assert!(c.trust_proxy.is_empty(), "no proxy is trusted by default");
    assert_eq!((c.session_idle_minutes, c.session_max_hours, c.token_days), (120, 12, 90));
    assert_eq!((c.login.pair_max, c.login.window.num_minutes(), c.login.unknown_max_per_address), (5, 15, 100));
    let c = server::Config::from_lookup(lookup(&[
        ("NRMM_TRUST_PROXY", "127.0.0.1, 10.0.0.0/8"),
        ("NRMM_SESSION_IDLE_MINUTES", "30"),
        ("NRMM_SESSION_MAX_HOURS", "8"),
        ("NRMM_TOKEN_DAYS", "400"),
        ("NRMM_LOGIN_PAIR_MAX", "3"),
    ]))
    .expect("config");
    assert!(!c.trust_proxy.is_empty());
    assert_eq!((c.session_idle_minutes, c.session_max_hours, c.token_days, c.login.pair_max), (30, 8, 365, 3));
    // The old switch would trust whatever the client writes: it is refused with a message.
    let e = server::Config::from_lookup(lookup(&[("NRMM_TRUST_PROXY", "true")])).expect_err("true is refused");
    assert!(format!("{e:#}").contains("NRMM_TRUST_PROXY"), "{e:#}");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("nrmm.toml");
    std::fs::write(&path, "trust_proxy = [\"192.168.0.0/16\"]\n").expect("write");
    let p = path.display().to_string();
    let c = server::Config::from_lookup(lookup(&[("NRMM_CONFIG", &p)])).expect("config");
    assert!(!c.trust_proxy.is_empty());
}
