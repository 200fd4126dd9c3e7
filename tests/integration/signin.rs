//! The sign-in throttle, sessions' lifetimes and API tokens' lifetimes, behind a trusted proxy
//! (127.0.0.1, the tests' own address) so each request can come from an address of its own.

use crate::db_tests_with;
use crate::helpers::{PASSWORD, TestApp, assert_error, expect_status, json};
use app::auth::Role;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The longest slow-down of an account under attack, in these tests.
const DELAY_MAX_MS: u64 = 300;

/// The tests' configuration: the proxy at 127.0.0.1 is trusted, slow-downs are short, and three
/// unknown user names per address are allowed.
pub fn behind_proxy(c: &mut server::Config) {
    c.trust_proxy = app::rest::proxy::TrustedProxies::parse("127.0.0.1").unwrap_or_default();
    c.login.delay_max = Duration::from_millis(DELAY_MAX_MS);
    c.login.delay_base = Duration::from_millis(50);
    c.login.unknown_max_per_address = 3;
}

db_tests_with!(crate::signin::behind_proxy;
    parallel_wrong_passwords_never_get_more_than_the_limit_checked,
    the_right_password_from_another_address_succeeds_during_an_attack,
    other_accounts_behind_the_attackers_address_are_not_refused,
    forged_forwarded_for_entries_are_ignored,
    unknown_names_have_a_ceiling_per_address,
    old_counters_are_pruned,
    sessions_end_when_idle_and_when_too_old,
    a_request_writes_the_session_only_when_it_moves_the_expiry_a_minute,
    a_request_running_when_its_session_ends_does_not_bring_it_back,
    sign_out_ends_only_that_session,
    tokens_expire_and_their_owner_lists_and_revokes_them,
    a_change_made_elsewhere_reaches_a_remembered_credential_within_the_bound,
    administrators_revoke_tokens_within_their_reach,
);

/// Signs in as `username` with `password` from client address `from`.
async fn login_from(
    app: &TestApp,
    client: &reqwest::Client,
    from: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login")
}

async fn parallel_wrong_passwords_never_get_more_than_the_limit_checked(app: TestApp) {
    app.user("roads.chief", Role::ContractorAdmin, None, Some(app.organization("路桥公司").await)).await;
    let client = TestApp::new_client();
    let attempts = (0..16).map(|_| login_from(&app, &client, "203.0.113.7", "roads.chief", "not the password"));
    let statuses: Vec<u16> = futures::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 11), "exactly the limit is checked: {statuses:?}");
    // Another round changes nothing: the pair stays refused, with the time it ends.
    for _ in 0..4 {
        let resp = login_from(&app, &client, "203.0.113.7", "roads.chief", "still not it").await;
        let retry: u64 = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("retry-after");
        assert!((1..=15 * 60).contains(&retry), "{retry}");
        assert_error(resp, 429, "rate_limited").await;
    }
    // The first refusal is in the audit log once; the checked failures each have their row.
    use app::db::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("sign_in_failed"))
        .all(&app.state.db)
        .await
        .expect("audit");
    let limited = rows.iter().filter(|r| r.after.as_deref().is_some_and(|a| a.contains("rate_limited"))).count();
    assert_eq!((rows.len(), limited), (6, 1), "{rows:?}");
    // After the window the pair may try again.
    app.clock.advance(chrono::Duration::minutes(16));
    let resp = login_from(&app, &client, "203.0.113.7", "roads.chief", PASSWORD).await;
    assert_eq!(resp.status(), 200);
}

async fn the_right_password_from_another_address_succeeds_during_an_attack(app: TestApp) {
    app.user("county.boss", Role::CountyInspector, Some("140105"), None).await;
    let attacker = TestApp::new_client();
    // Three addresses, five guesses each: fifteen failures of the account in the window.
    for from in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..5 {
            assert_eq!(login_from(&app, &attacker, from, "county.boss", "guess").await.status(), 401);
        }
        assert_eq!(login_from(&app, &attacker, from, "county.boss", PASSWORD).await.status(), 429);
    }
    // The real user, elsewhere: slowed down (the account is under attack), never refused.
    let user = TestApp::new_client();
    let started = Instant::now();
    let resp = login_from(&app, &user, "198.51.100.20", "county.boss", PASSWORD).await;
    let waited = started.elapsed();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap_or_default());
    assert!(waited >= Duration::from_millis(DELAY_MAX_MS), "the account's slow-down applies: {waited:?}");
    let me = json(user.get(app.url("/api/v1/auth/me")).send().await.expect("me")).await;
    assert_eq!(me["username"], "county.boss");
}

async fn other_accounts_behind_the_attackers_address_are_not_refused(app: TestApp) {
    let org = app.organization("同一出口公司").await;
    app.user("victim.admin", Role::ContractorAdmin, None, Some(org)).await;
    app.user("colleague.admin", Role::ContractorAdmin, None, Some(org)).await;
    app.user("the.root", Role::Sysadmin, None, None).await;
    let office = TestApp::new_client();
    let shared = "192.0.2.50"; // one office behind one NAT address
    for _ in 0..20 {
        let status = login_from(&app, &office, shared, "victim.admin", "wrong").await.status();
        assert!(status == 401 || status == 429, "{status}");
    }
    for name in ["colleague.admin", "the.root"] {
        let resp = login_from(&app, &TestApp::new_client(), shared, name, PASSWORD).await;
        assert_eq!(resp.status(), 200, "{name} behind the same address");
    }
    // The attacked account itself is refused only at that address.
    assert_eq!(login_from(&app, &TestApp::new_client(), shared, "victim.admin", PASSWORD).await.status(), 429);
    assert_eq!(login_from(&app, &TestApp::new_client(), "192.0.2.51", "victim.admin", PASSWORD).await.status(), 200);
}

async fn forged_forwarded_for_entries_are_ignored(app: TestApp) {
    app.user("liu.yang", Role::CityOfficer, Some("140100"), None).await;
    let client = TestApp::new_client();
    // The proxy appends the address it saw; the client forges a new first entry every time.
    for i in 0..5 {
        let forged = format!("10.9.8.{i}, 203.0.113.99");
        assert_eq!(login_from(&app, &client, &forged, "liu.yang", "wrong").await.status(), 401);
    }
    let resp = login_from(&app, &client, "10.9.8.200, 203.0.113.99", "liu.yang", "wrong").await;
    assert_error(resp, 429, "rate_limited").await;
    // Without a trusted proxy the header is not read at all.
    let plain = TestApp::spawn(crate::helpers::Backend::Sqlite).await;
    plain.user("liu.yang", Role::CityOfficer, Some("140100"), None).await;
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        assert_eq!(login_from(&plain, &client, &from, "liu.yang", "wrong").await.status(), 401);
    }
    assert_eq!(login_from(&plain, &client, "203.0.113.250", "liu.yang", "wrong").await.status(), 429);
}

async fn unknown_names_have_a_ceiling_per_address(app: TestApp) {
    app.user("real.person", Role::PartnerViewer, Some("140105"), None).await;
    let client = TestApp::new_client();
    for i in 0..3 {
        let resp = login_from(&app, &client, "203.0.113.40", &format!("guess{i}"), "whatever").await;
        assert_error(resp, 401, "invalid_credentials").await;
    }
    assert_error(login_from(&app, &client, "203.0.113.40", "guess9", "whatever").await, 429, "rate_limited").await;
    // Another address is not limited, and a real account behind the same one signs in.
    assert_eq!(login_from(&app, &client, "203.0.113.41", "guess9", "whatever").await.status(), 401);
    assert_eq!(login_from(&app, &client, "203.0.113.40", "real.person", PASSWORD).await.status(), 200);
    // Guesses of names nobody has leave no rows in the audit log.
    use app::db::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("sign_in_failed"))
        .count(&app.state.db)
        .await
        .expect("audit");
    assert_eq!(rows, 0);
}

async fn old_counters_are_pruned(app: TestApp) {
    use app::db::entities::login_throttle;
    use sea_orm::{EntityTrait, PaginatorTrait};
    app.user("prune.me", Role::PartnerViewer, Some("140105"), None).await;
    let client = TestApp::new_client();
    login_from(&app, &client, "203.0.113.60", "prune.me", "wrong").await;
    login_from(&app, &client, "203.0.113.61", "nobody.at.all", "wrong").await;
    let count = || async { login_throttle::Entity::find().count(&app.state.db).await.expect("count") };
    assert_eq!(count().await, 3, "pair, account and unknown-name counters");
    let window = app.state.settings.login.window;
    let pruned = app::auth::throttle::prune(&app.state.db, app.clock.now(), window).await.expect("prune");
    assert_eq!(pruned, 0, "nothing is old yet");
    app.clock.advance(chrono::Duration::minutes(16));
    let pruned = app::auth::throttle::prune(&app.state.db, app.clock.now(), window).await.expect("prune");
    assert_eq!((pruned, count().await), (3, 0));
}

/// The session layer saves the session after every request, but a page view that changes
/// nothing but the expiry, by less than a minute, is not a write.
async fn a_request_writes_the_session_only_when_it_moves_the_expiry_a_minute(app: TestApp) {
    use app::db::entities::session;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let uid = app.user("session.reader", Role::CountyInspector, Some("140105"), None).await;
    let client = app.signed_in("session.reader").await;
    let stored = || async {
        let rows =
            session::Entity::find().filter(session::Column::UserId.eq(uid)).all(&app.state.db).await.expect("read");
        assert_eq!(rows.len(), 1, "one session");
        rows[0].expires_at
    };
    let first = stored().await;
    for _ in 0..3 {
        app.clock.advance(chrono::Duration::seconds(15));
        expect_status(app.get_as(&client, "/api/v1/auth/me").await, 200).await;
    }
    assert_eq!(stored().await, first, "45 s of requests: the expiry is not written again");
    app.clock.advance(chrono::Duration::seconds(16));
    expect_status(app.get_as(&client, "/api/v1/auth/me").await, 200).await;
    let moved = stored().await;
    assert!(moved >= first + chrono::Duration::seconds(61), "a minute on, the expiry moves: {first} -> {moved}");
    // Signing out still ends it at once.
    expect_status(app.post_as(&client, "/api/v1/auth/logout", &json!({})).await, 204).await;
    assert_error(app.get_as(&client, "/api/v1/auth/me").await, 401, "unauthorized").await;
}

/// A request loads its session, the session is deleted meanwhile (signed out in another tab,
/// the account disabled), and the request's save at its end must not write the session back.
async fn a_request_running_when_its_session_ends_does_not_bring_it_back(app: TestApp) {
    use app::auth::session_store::DbSessionStore;
    use app::db::entities::session;
    use sea_orm::EntityTrait;
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};
    let store = DbSessionStore::new(
        app.state.db.clone(),
        app.clock.clone(),
        chrono::Duration::minutes(120),
        chrono::Duration::hours(12),
    );
    let mut record =
        Record { id: Id::default(), data: Default::default(), expiry_date: time::OffsetDateTime::now_utc() };
    record.data.insert("note".into(), json!("first"));
    store.create(&mut record).await.expect("create");
    let count = || async { session::Entity::find().all(&app.state.db).await.expect("read").len() };
    assert_eq!(count().await, 1);
    // The running request has its session; the other request deletes it.
    let mut running = store.load(&record.id).await.expect("load").expect("found");
    store.delete(&record.id).await.expect("delete");
    // The running request ends, with changed data and with its expiry moved on.
    running.data.insert("note".into(), json!("second"));
    app.clock.advance(chrono::Duration::minutes(5));
    store.save(&running).await.expect("save");
    assert_eq!(count().await, 0, "the deleted session stays deleted");
    assert!(store.load(&record.id).await.expect("load").is_none());
    // A session that is still there is saved as before.
    let mut other =
        Record { id: Id::default(), data: Default::default(), expiry_date: time::OffsetDateTime::now_utc() };
    store.create(&mut other).await.expect("create");
    other.data.insert("note".into(), json!("kept"));
    store.save(&other).await.expect("save");
    let loaded = store.load(&other.id).await.expect("load").expect("found");
    assert_eq!(loaded.data.get("note"), Some(&json!("kept")));
}

async fn sessions_end_when_idle_and_when_too_old(app: TestApp) {
    app.user("session.keeper", Role::CountyInspector, Some("140105"), None).await;
    // Idle: two hours without a request.
    let idle = app.signed_in("session.keeper").await;
    app.clock.advance(chrono::Duration::minutes(119));
    expect_status(app.get_as(&idle, "/api/v1/auth/me").await, 200).await;
    app.clock.advance(chrono::Duration::minutes(121));
    assert_error(app.get_as(&idle, "/api/v1/auth/me").await, 401, "unauthorized").await;
    // Busy: a request every hour keeps it alive until twelve hours after the sign-in.
    let busy = app.signed_in("session.keeper").await;
    for _ in 0..11 {
        app.clock.advance(chrono::Duration::minutes(60));
        expect_status(app.get_as(&busy, "/api/v1/auth/me").await, 200).await;
    }
    app.clock.advance(chrono::Duration::minutes(61));
    assert_error(app.get_as(&busy, "/api/v1/auth/me").await, 401, "unauthorized").await;
}

async fn sign_out_ends_only_that_session(app: TestApp) {
    app.user("two.phones", Role::CountyInspector, Some("140105"), None).await;
    let phone = app.signed_in("two.phones").await;
    let desk = app.signed_in("two.phones").await;
    expect_status(app.post_as(&phone, "/api/v1/auth/logout", &json!({})).await, 204).await;
    assert_error(app.get_as(&phone, "/api/v1/auth/me").await, 401, "unauthorized").await;
    let me = expect_status(app.get_as(&desk, "/api/v1/auth/me").await, 200).await;
    assert_eq!(me["username"], "two.phones");
}

async fn bearer(app: &TestApp, token: &str) -> u16 {
    TestApp::new_client().get(app.url("/api/v1/auth/me")).bearer_auth(token).send().await.expect("me").status().as_u16()
}

async fn tokens_expire_and_their_owner_lists_and_revokes_them(app: TestApp) {
    app.user("platform.owner", Role::ProvinceOfficer, Some("140000"), None).await;
    app.user("someone.else", Role::ProvinceOfficer, Some("140000"), None).await;
    let owner = app.signed_in("platform.owner").await;
    let t = "/api/v1/auth/tokens";
    for bad in [json!({"name": "x", "expires_in_days": 0}), json!({"name": "x", "expires_in_days": 366})] {
        assert_error(app.post_as(&owner, t, &bad).await, 422, "validation_failed").await;
    }
    let default = expect_status(app.post_as(&owner, t, &json!({"name": "platform"})).await, 201).await;
    let short =
        expect_status(app.post_as(&owner, t, &json!({"name": "script", "expires_in_days": 1})).await, 201).await;
    let lifetime = |v: &Value| {
        let at = |k: &str| chrono::DateTime::parse_from_rfc3339(v[k].as_str().unwrap_or_default()).expect("instant");
        (at("expires_at") - at("created_at")).num_days()
    };
    assert_eq!((lifetime(&default), lifetime(&short)), (90, 1));
    let default_token = default["token"].as_str().expect("token").to_owned();
    let short_token = short["token"].as_str().expect("token").to_owned();
    assert_eq!((bearer(&app, &default_token).await, bearer(&app, &short_token).await), (200, 200));

    // The owner's list: names, lifetimes, last use; never a secret.
    let list = expect_status(app.get_as(&owner, t).await, 200).await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|i| i.get("token").is_none() && i.get("token_hash").is_none()), "{list}");
    assert!(items.iter().any(|i| i["name"] == "platform" && i["last_used_at"].is_string()), "{list}");

    // A day later the short one is expired (and the owner's session too: sign in again).
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!((bearer(&app, &default_token).await, bearer(&app, &short_token).await), (200, 401));
    let owner = app.signed_in("platform.owner").await;

    // Someone else cannot see or revoke it; the owner can, and it stops at once.
    let other = app.signed_in("someone.else").await;
    let path = format!("{t}/{}", default["id"].as_str().expect("id"));
    assert_error(app.delete_as(&other, &path).await, 404, "not_found").await;
    assert_eq!(expect_status(app.get_as(&other, t).await, 200).await["items"], json!([]));
    let revoked = expect_status(app.delete_as(&owner, &path).await, 200).await;
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    assert_eq!(bearer(&app, &default_token).await, 401);
    // And after 90 days every token of the default lifetime is gone.
    let late = expect_status(app.post_as(&owner, t, &json!({"name": "late"})).await, 201).await;
    app.clock.advance(chrono::Duration::days(89));
    assert_eq!(bearer(&app, late["token"].as_str().expect("token")).await, 200);
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(bearer(&app, late["token"].as_str().expect("token")).await, 401);
}

/// A credential's account is remembered for a moment (`auth::cache`): a change made by this
/// server is seen at once (the tests above), one made elsewhere — another server on the same
/// database, or by hand in it — within `AccountCache::BOUND` (2 s).
async fn a_change_made_elsewhere_reaches_a_remembered_credential_within_the_bound(app: TestApp) {
    use app::db::entities::api_token;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let bound = app::auth::cache::AccountCache::BOUND;
    let id = app.user("elsewhere.insp", Role::CountyInspector, Some("140105"), None).await;
    let session = app.signed_in("elsewhere.insp").await;
    let token = expect_status(app.post_as(&session, "/api/v1/auth/tokens", &json!({"name": "field"})).await, 201).await;
    let token = token["token"].as_str().expect("token").to_owned();
    assert_eq!(bearer(&app, &token).await, 200);
    expect_status(app.get_as(&session, "/api/v1/auth/me").await, 200).await;

    // The account is disabled by another server: not yet seen here, then seen within the bound.
    set_active_elsewhere(&app, id, false).await;
    app.clock.advance(bound - chrono::Duration::milliseconds(100));
    assert_eq!(bearer(&app, &token).await, 200, "remembered for less than the bound");
    app.clock.advance(chrono::Duration::milliseconds(100));
    assert_eq!(bearer(&app, &token).await, 401, "seen once the bound has passed");
    assert_error(app.get_as(&session, "/api/v1/auth/me").await, 401, "unauthorized").await;

    // The same for a token revoked elsewhere, of an account that is active again.
    set_active_elsewhere(&app, id, true).await;
    let session = app.signed_in("elsewhere.insp").await;
    let second =
        expect_status(app.post_as(&session, "/api/v1/auth/tokens", &json!({"name": "second"})).await, 201).await;
    let second_token = second["token"].as_str().expect("token").to_owned();
    assert_eq!(bearer(&app, &second_token).await, 200);
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(app.clock.now())))
        .filter(api_token::Column::UserId.eq(id))
        .exec(&app.state.db)
        .await
        .expect("revoke elsewhere");
    app.clock.advance(bound);
    assert_eq!(bearer(&app, &second_token).await, 401);
}

/// Enables or disables account `id` in the database directly, as another server would.
async fn set_active_elsewhere(app: &TestApp, id: uuid::Uuid, active: bool) {
    use app::db::entities::user;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    user::Entity::update_many()
        .col_expr(user::Column::IsActive, Expr::value(active))
        .filter(user::Column::Id.eq(id))
        .exec(&app.state.db)
        .await
        .expect("account changed elsewhere");
}

async fn administrators_revoke_tokens_within_their_reach(app: TestApp) {
    let insp = app.user("reach.insp", Role::CountyInspector, Some("140105"), None).await;
    let far = app.user("far.insp", Role::CountyInspector, Some("140521"), None).await;
    app.user("taiyuan.boss", Role::CityOfficer, Some("140100"), None).await;
    let org = app.organization("令牌公司").await;
    app.user("token.builder", Role::ContractorAdmin, None, Some(org)).await;
    let app = &app;
    let mine = |name: &'static str| async move {
        let c = app.signed_in(name).await;
        expect_status(app.post_as(&c, "/api/v1/auth/tokens", &json!({"name": "field"})).await, 201).await
    };
    let near_token = mine("reach.insp").await;
    let far_token = mine("far.insp").await;
    let boss = app.signed_in("taiyuan.boss").await;
    let list = expect_status(app.get_as(&boss, &format!("/api/v1/admin/users/{insp}/tokens")).await, 200).await;
    assert_eq!(list["items"][0]["id"], near_token["id"]);
    // Another city's inspector is outside the reach: 404, and the token keeps working.
    let far_path = format!("/api/v1/admin/users/{far}/tokens/{}", far_token["id"].as_str().expect("id"));
    assert_error(app.delete_as(&boss, &far_path).await, 404, "not_found").await;
    assert_eq!(bearer(app, far_token["token"].as_str().expect("token")).await, 200);
    // A construction unit administers nobody.
    let builder = app.signed_in("token.builder").await;
    let near_path = format!("/api/v1/admin/users/{insp}/tokens/{}", near_token["id"].as_str().expect("id"));
    assert_error(app.delete_as(&builder, &near_path).await, 403, "forbidden").await;
    // Within reach: revoked.
    expect_status(app.delete_as(&boss, &near_path).await, 200).await;
    assert_eq!(bearer(app, near_token["token"].as_str().expect("token")).await, 401);
    // A token id of another account under this account's path is not found.
    let wrong = format!("/api/v1/admin/users/{insp}/tokens/{}", far_token["id"].as_str().expect("id"));
    assert_error(app.delete_as(&boss, &wrong).await, 404, "not_found").await;
}
