//! Administration: accounts within each administrator's reach (and never beyond it), disabling
//! that ends sessions and tokens, password resets, the machine-type list, and the division
//! import with each kind of bad row.

use crate::db_tests;
use crate::helpers::{
    PASSWORD, TestApp, assert_error, assert_field, contractor, expect_status, id_of, inspector, machine_input,
};
use crate::helpers::{page_html as page, signed_in_with_language as browser};
use app::auth::Role;
use app::auth::service::{Credential, Principal};
use app::error::{AppError, FieldCode, FieldError};
use serde_json::{Value, json};

db_tests!(
    sysadmin_creates_lists_and_filters_accounts,
    province_officer_stays_within_its_province_and_role,
    city_officer_stays_within_its_city_and_role,
    non_administrators_are_refused,
    disabling_ends_sessions_and_tokens,
    nobody_disables_or_demotes_themselves,
    the_last_active_sysadmin_is_kept,
    sysadmins_disabling_each_other_at_once_leave_one,
    password_reset_replaces_the_old_password,
    machine_types_are_added_renamed_and_deactivated,
    division_import_upserts_and_serves_new_counties,
    division_import_rejects_each_bad_row_class,
    division_import_is_for_sysadmins_and_readable_files,
    admin_pages_render_on_the_server,
);

/// A new account as the API takes it.
fn new_user(username: &str, role: &str, division: Option<&str>) -> Value {
    json!({"username": username, "password": PASSWORD, "role": role, "division_code": division})
}

async fn sysadmin(app: &TestApp, name: &str) -> reqwest::Client {
    app.user(name, Role::Sysadmin, None, None).await;
    app.signed_in(name).await
}

async fn official(app: &TestApp, name: &str, role: Role, division: &str) -> reqwest::Client {
    app.user(name, role, Some(division), None).await;
    app.signed_in(name).await
}

async fn usernames(app: &TestApp, client: &reqwest::Client, query: &str) -> Vec<String> {
    let page = expect_status(app.get_as(client, &format!("/api/v1/admin/users{query}")).await, 200).await;
    page["items"].as_array().expect("items").iter().map(|u| u["username"].as_str().unwrap_or("").to_owned()).collect()
}

async fn me_status(app: &TestApp, client: &reqwest::Client) -> u16 {
    app.get_as(client, "/api/v1/auth/me").await.status().as_u16()
}

async fn login_status(app: &TestApp, username: &str, password: &str) -> u16 {
    let client = TestApp::new_client();
    let resp = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    resp.status().as_u16()
}

async fn sysadmin_creates_lists_and_filters_accounts(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    let created = expect_status(
        app.post_as(
            &root,
            "/api/v1/admin/users",
            &json!({
                "username": "Xiaodian.Li", "display_name": "李检查", "password": PASSWORD,
                "role": "county_inspector", "division_code": "140105", "phone": "13800138000"
            }),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(created["username"], "xiaodian.li");
    assert_eq!(created["division_name"], "小店区");
    assert_eq!(created["is_active"], true);
    assert!(created.get("password_hash").is_none() && !created.to_string().contains("argon2"));
    assert_eq!(login_status(&app, "xiaodian.li", PASSWORD).await, 200);

    expect_status(
        app.post_as(&root, "/api/v1/admin/users", &new_user("shanxi.prov", "province_officer", Some("140000"))).await,
        201,
    )
    .await;
    let org = app.organization("示范建设").await;
    let body =
        json!({"username": "builder.boss", "password": PASSWORD, "role": "contractor_admin", "organization_id": org});
    expect_status(app.post_as(&root, "/api/v1/admin/users", &body).await, 201).await;

    // The placement rules of account creation apply.
    let wrong_level = new_user("wrong.level", "county_inspector", Some("140100"));
    let body = expect_status(app.post_as(&root, "/api/v1/admin/users", &wrong_level).await, 422).await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::WrongDivisionLevel).with("level", "county"));
    let body =
        expect_status(app.post_as(&root, "/api/v1/admin/users", &new_user("no.div", "city_officer", None)).await, 422)
            .await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::Required));
    let body = expect_status(
        app.post_as(&root, "/api/v1/admin/users", &new_user("xiaodian.li", "county_inspector", Some("140106"))).await,
        422,
    )
    .await;
    assert_field(&body, "username", &FieldError::new(FieldCode::UsernameTaken));
    let body = expect_status(
        app.post_as(&root, "/api/v1/admin/users", &json!({"username": "no.role", "password": PASSWORD})).await,
        422,
    )
    .await;
    assert_field(&body, "role", &FieldError::new(FieldCode::Required));

    let all = usernames(&app, &root, "").await;
    for name in ["root", "xiaodian.li", "shanxi.prov", "builder.boss"] {
        assert!(all.contains(&name.to_owned()), "{name} in {all:?}");
    }
    assert_eq!(usernames(&app, &root, "?role=county_inspector").await, vec!["xiaodian.li"]);
    assert_eq!(usernames(&app, &root, "?q=%E6%9D%8E").await, vec!["xiaodian.li"], "display name search");
    assert_eq!(usernames(&app, &root, "?q=PROV").await, vec!["shanxi.prov"]);
    let mut in_taiyuan = usernames(&app, &root, "?division=140100").await;
    in_taiyuan.sort();
    assert_eq!(in_taiyuan, vec!["xiaodian.li"]);
    assert_error(app.get_as(&root, "/api/v1/admin/users?role=king").await, 422, "validation_failed").await;

    // Keyset pages: two at a time, no repeats, everything once.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/users?limit=2&cursor={c}"),
            None => "/api/v1/admin/users?limit=2".into(),
        };
        let page = expect_status(app.get_as(&root, &path).await, 200).await;
        seen.extend(
            page["items"].as_array().expect("items").iter().map(|u| u["username"].as_str().unwrap_or("").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len());
    assert_eq!(seen.len(), all.len());
}

async fn province_officer_stays_within_its_province_and_role(app: TestApp) {
    app.user("root", Role::Sysadmin, None, None).await;
    expect_status(import(&app, HEBEI).await, 200).await;
    let prov = official(&app, "shanxi.prov", Role::ProvinceOfficer, "140000").await;

    for (name, role, division) in [
        ("taiyuan.off", "city_officer", "140100"),
        ("datong.insp", "county_inspector", "140212"),
        ("other.prov", "province_officer", "140000"),
        ("transport", "partner_viewer", "140100"),
    ] {
        expect_status(app.post_as(&prov, "/api/v1/admin/users", &new_user(name, role, Some(division))).await, 201)
            .await;
    }
    // A role above its own, or a contractor role: 403.
    assert_error(
        app.post_as(&prov, "/api/v1/admin/users", &new_user("boss", "sysadmin", None)).await,
        403,
        "forbidden",
    )
    .await;
    let org = app.organization("示范建设").await;
    let body = json!({"username": "c.admin", "password": PASSWORD, "role": "contractor_admin", "organization_id": org});
    assert_error(app.post_as(&prov, "/api/v1/admin/users", &body).await, 403, "forbidden").await;
    // Another province's division: 403.
    let hebei = new_user("hebei.insp", "county_inspector", Some("130102"));
    assert_error(app.post_as(&prov, "/api/v1/admin/users", &hebei).await, 403, "forbidden").await;

    // Accounts outside its reach are not found: a sysadmin, contractors, another province.
    let root_id = app.user("root2", Role::Sysadmin, None, None).await;
    let staff_id = app.user("c.staff", Role::ContractorStaff, None, Some(org)).await;
    let hebei_id = app.user("hebei.off", Role::CityOfficer, Some("130100"), None).await;
    let listed = usernames(&app, &prov, "").await;
    for hidden in ["root", "root2", "c.staff", "hebei.off"] {
        assert!(!listed.contains(&hidden.to_owned()), "{hidden} listed: {listed:?}");
    }
    assert!(listed.contains(&"datong.insp".to_owned()) && listed.contains(&"shanxi.prov".to_owned()));
    for id in [root_id, staff_id, hebei_id] {
        assert_error(
            app.post_as(&prov, &format!("/api/v1/admin/users/{id}/disable"), &json!({})).await,
            404,
            "not_found",
        )
        .await;
        let reset = app
            .post_as(&prov, &format!("/api/v1/admin/users/{id}/password"), &json!({"password": "a new password 1"}))
            .await;
        assert_error(reset, 404, "not_found").await;
        let promote = app
            .post_as(
                &prov,
                &format!("/api/v1/admin/users/{id}/role"),
                &json!({"role": "county_inspector", "division_code": "140105"}),
            )
            .await;
        assert_error(promote, 404, "not_found").await;
    }
    assert_error(app.post_as(&prov, "/api/v1/admin/users/not-a-uuid/disable", &json!({})).await, 404, "not_found")
        .await;

    // Promoting within the province is fine; to sysadmin is not.
    let insp = usernames_ids(&app, &prov, "datong.insp").await;
    let to_city = json!({"role": "city_officer", "division_code": "140200"});
    let changed =
        expect_status(app.post_as(&prov, &format!("/api/v1/admin/users/{insp}/role"), &to_city).await, 200).await;
    assert_eq!((changed["role"].as_str(), changed["division_code"].as_str()), (Some("city_officer"), Some("140200")));
    let to_root = json!({"role": "sysadmin"});
    assert_error(app.post_as(&prov, &format!("/api/v1/admin/users/{insp}/role"), &to_root).await, 403, "forbidden")
        .await;
    let to_hebei = json!({"role": "city_officer", "division_code": "130100"});
    assert_error(app.post_as(&prov, &format!("/api/v1/admin/users/{insp}/role"), &to_hebei).await, 403, "forbidden")
        .await;
    let wrong_level = json!({"role": "county_inspector", "division_code": "140200"});
    let body =
        expect_status(app.post_as(&prov, &format!("/api/v1/admin/users/{insp}/role"), &wrong_level).await, 422).await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::WrongDivisionLevel).with("level", "county"));
}

/// The id of the account called `username`, as listed for `client`.
async fn usernames_ids(app: &TestApp, client: &reqwest::Client, username: &str) -> String {
    let page = expect_status(app.get_as(client, &format!("/api/v1/admin/users?q={username}")).await, 200).await;
    page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|u| u["username"] == username))
        .map(id_of)
        .unwrap_or_else(|| panic!("{username} not listed: {page}"))
}

async fn city_officer_stays_within_its_city_and_role(app: TestApp) {
    let city = official(&app, "taiyuan.off", Role::CityOfficer, "140100").await;
    let own = expect_status(
        app.post_as(&city, "/api/v1/admin/users", &new_user("xiaodian.insp", "county_inspector", Some("140105"))).await,
        201,
    )
    .await;
    expect_status(
        app.post_as(&city, "/api/v1/admin/users", &new_user("ty.transport", "partner_viewer", Some("140100"))).await,
        201,
    )
    .await;
    expect_status(
        app.post_as(&city, "/api/v1/admin/users", &new_user("xd.transport", "partner_viewer", Some("140105"))).await,
        201,
    )
    .await;

    // Roles above a city officer's, or equal to it: 403.
    assert_error(
        app.post_as(&city, "/api/v1/admin/users", &new_user("prov", "province_officer", Some("140000"))).await,
        403,
        "forbidden",
    )
    .await;
    assert_error(
        app.post_as(&city, "/api/v1/admin/users", &new_user("peer", "city_officer", Some("140100"))).await,
        403,
        "forbidden",
    )
    .await;
    // A county of another city, or a province-level partner: 403.
    assert_error(
        app.post_as(&city, "/api/v1/admin/users", &new_user("datong", "county_inspector", Some("140212"))).await,
        403,
        "forbidden",
    )
    .await;
    assert_error(
        app.post_as(&city, "/api/v1/admin/users", &new_user("p.partner", "partner_viewer", Some("140000"))).await,
        403,
        "forbidden",
    )
    .await;
    // An unknown division is a field error, not a 403.
    let body = expect_status(
        app.post_as(&city, "/api/v1/admin/users", &new_user("nowhere", "county_inspector", Some("149999"))).await,
        422,
    )
    .await;
    assert_field(&body, "division_code", &FieldError::new(FieldCode::UnknownDivision));

    // Another city's inspector, a province officer, a peer: not found, and not listed.
    let datong = app.user("datong.insp", Role::CountyInspector, Some("140212"), None).await;
    let prov = app.user("shanxi.prov", Role::ProvinceOfficer, Some("140000"), None).await;
    let peer = app.user("taiyuan.peer", Role::CityOfficer, Some("140100"), None).await;
    for id in [datong, prov, peer] {
        assert_error(
            app.post_as(&city, &format!("/api/v1/admin/users/{id}/disable"), &json!({})).await,
            404,
            "not_found",
        )
        .await;
        let to = json!({"role": "county_inspector", "division_code": "140106"});
        assert_error(app.post_as(&city, &format!("/api/v1/admin/users/{id}/role"), &to).await, 404, "not_found").await;
    }
    let mut listed = usernames(&app, &city, "").await;
    listed.sort();
    assert_eq!(listed, vec!["ty.transport", "xd.transport", "xiaodian.insp"]);

    // Its own inspector: moved within the city, never promoted or moved out.
    let own_id = id_of(&own);
    let move_ok = json!({"role": "county_inspector", "division_code": "140106"});
    expect_status(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/role"), &move_ok).await, 200).await;
    let promote = json!({"role": "province_officer", "division_code": "140000"});
    assert_error(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/role"), &promote).await, 403, "forbidden")
        .await;
    let to_city = json!({"role": "city_officer", "division_code": "140100"});
    assert_error(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/role"), &to_city).await, 403, "forbidden")
        .await;
    let move_out = json!({"role": "county_inspector", "division_code": "140212"});
    assert_error(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/role"), &move_out).await, 403, "forbidden")
        .await;
    expect_status(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/disable"), &json!({})).await, 200).await;
    let again =
        expect_status(app.post_as(&city, &format!("/api/v1/admin/users/{own_id}/enable"), &json!({})).await, 200).await;
    assert_eq!(again["is_active"], true);
}

async fn non_administrators_are_refused(app: TestApp) {
    assert_error(app.get("/api/v1/admin/users").await, 401, "unauthorized").await;
    let (_, builder) = contractor(&app, "builder").await;
    let insp = inspector(&app, "xiaodian.insp", "140105").await;
    let partner = official(&app, "partner", Role::PartnerViewer, "140000").await;
    let target = app.user("someone", Role::CountyInspector, Some("140105"), None).await;
    for client in [&builder, &insp, &partner] {
        assert_error(app.get_as(client, "/api/v1/admin/users").await, 403, "forbidden").await;
        let create = new_user("new.one", "county_inspector", Some("140105"));
        assert_error(app.post_as(client, "/api/v1/admin/users", &create).await, 403, "forbidden").await;
        assert_error(
            app.post_as(client, &format!("/api/v1/admin/users/{target}/disable"), &json!({})).await,
            403,
            "forbidden",
        )
        .await;
        assert_error(app.get_as(client, "/api/v1/admin/machine-types").await, 403, "forbidden").await;
    }
    // Officers are administrators of accounts, not of the machine-type list.
    let prov = official(&app, "shanxi.prov", Role::ProvinceOfficer, "140000").await;
    assert_error(app.get_as(&prov, "/api/v1/admin/machine-types").await, 403, "forbidden").await;
    let body = json!({"code": "snow_plough", "name_zh": "扫雪机", "name_en": "Snow plough"});
    assert_error(app.post_as(&prov, "/api/v1/admin/machine-types", &body).await, 403, "forbidden").await;
}

async fn disabling_ends_sessions_and_tokens(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    let insp = inspector(&app, "xiaodian.insp", "140105").await;
    let second_device = app.signed_in("xiaodian.insp").await;
    let token = expect_status(app.post_as(&insp, "/api/v1/auth/tokens", &json!({"name": "script"})).await, 201).await;
    let token = token["token"].as_str().expect("token").to_owned();
    let bearer = |t: &str| {
        let t = t.to_owned();
        let url = app.url("/api/v1/auth/me");
        async move { TestApp::new_client().get(url).bearer_auth(t).send().await.expect("me").status().as_u16() }
    };
    assert_eq!(bearer(&token).await, 200);
    assert_eq!(me_status(&app, &insp).await, 200);

    let id = usernames_ids(&app, &root, "xiaodian.insp").await;
    let disabled =
        expect_status(app.post_as(&root, &format!("/api/v1/admin/users/{id}/disable"), &json!({})).await, 200).await;
    assert_eq!(disabled["is_active"], false);
    assert_eq!(me_status(&app, &insp).await, 401, "the session ended");
    assert_eq!(me_status(&app, &second_device).await, 401, "every session ended");
    assert_eq!(bearer(&token).await, 401, "the token was revoked");
    assert_eq!(login_status(&app, "xiaodian.insp", PASSWORD).await, 401);
    let sessions = {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let uid = uuid::Uuid::parse_str(&id).expect("uuid");
        app::db::entities::session::Entity::find()
            .filter(app::db::entities::session::Column::UserId.eq(uid))
            .count(&app.state.db)
            .await
            .expect("count")
    };
    assert_eq!(sessions, 0, "stored sessions are deleted");

    // Enabled again: the password works, the old token stays revoked.
    expect_status(app.post_as(&root, &format!("/api/v1/admin/users/{id}/enable"), &json!({})).await, 200).await;
    assert_eq!(login_status(&app, "xiaodian.insp", PASSWORD).await, 200);
    assert_eq!(bearer(&token).await, 401);
    assert_eq!(me_status(&app, &insp).await, 401, "an ended session does not come back");
}

async fn nobody_disables_or_demotes_themselves(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    app.user("root2", Role::Sysadmin, None, None).await;
    let root_id = usernames_ids(&app, &root, "root").await;
    assert_error(
        app.post_as(&root, &format!("/api/v1/admin/users/{root_id}/disable"), &json!({})).await,
        409,
        "cannot_disable_self",
    )
    .await;
    assert_error(
        app.post_as(&root, &format!("/api/v1/admin/users/{root_id}/password"), &json!({})).await,
        409,
        "cannot_reset_own_password",
    )
    .await;
    app.get_as(&root, "/api/v1/auth/me").await.error_for_status().expect("still signed in after the refused reset");
    let demote = json!({"role": "province_officer", "division_code": "140000"});
    assert_error(
        app.post_as(&root, &format!("/api/v1/admin/users/{root_id}/role"), &demote).await,
        409,
        "cannot_change_own_role",
    )
    .await;

    let prov = official(&app, "shanxi.prov", Role::ProvinceOfficer, "140000").await;
    let prov_id = usernames_ids(&app, &prov, "shanxi.prov").await;
    assert_error(
        app.post_as(&prov, &format!("/api/v1/admin/users/{prov_id}/disable"), &json!({})).await,
        409,
        "cannot_disable_self",
    )
    .await;
    assert_eq!(me_status(&app, &prov).await, 200);

    // Another sysadmin may be disabled and demoted while one stays active.
    let other = usernames_ids(&app, &root, "root2").await;
    expect_status(app.post_as(&root, &format!("/api/v1/admin/users/{other}/role"), &demote).await, 200).await;
    expect_status(app.post_as(&root, &format!("/api/v1/admin/users/{other}/disable"), &json!({})).await, 200).await;
}

fn principal(id: uuid::Uuid, username: &str) -> Principal {
    Principal {
        user_id: id,
        username: username.into(),
        display_name: username.into(),
        role: Role::Sysadmin,
        organization_id: None,
        division_code: None,
        division_level: None,
        division_name: None,
        via: Credential::Session,
        session_epoch: 0,
    }
}

async fn the_last_active_sysadmin_is_kept(app: TestApp) {
    // A request from an administrator whose own account was disabled meanwhile (the race the
    // rule guards) must not disable or demote the one active system administrator left.
    let a = app.user("root.a", Role::Sysadmin, None, None).await;
    let b = app.user("root.b", Role::Sysadmin, None, None).await;
    app::auth::service::set_active(&app.state.db, a, false, app.clock.now()).await.expect("disable a");
    let stale = principal(a, "root.a");
    let err = app::admin::users::set_user_active(&app.state, &stale, b, false).await.map_err(AppError::from);
    assert_eq!(err.err().map(|e| e.code().to_owned()), Some("last_sysadmin".into()));
    let demote = app::admin::RoleChange {
        role: Role::ProvinceOfficer,
        division_code: Some("140000".into()),
        organization_id: None,
    };
    let err = app::admin::users::change_role(&app.state, &stale, b, demote).await.map_err(AppError::from);
    assert_eq!(err.err().map(|e| e.code().to_owned()), Some("last_sysadmin".into()));
    assert_eq!(login_status(&app, "root.b", PASSWORD).await, 200, "still a working administrator");
}

async fn sysadmins_disabling_each_other_at_once_leave_one(app: TestApp) {
    let a = app.user("root.a", Role::Sysadmin, None, None).await;
    let b = app.user("root.b", Role::Sysadmin, None, None).await;
    for round in 0..4 {
        let (ca, cb) = (app.signed_in("root.a").await, app.signed_in("root.b").await);
        let (path_b, path_a, empty) =
            (format!("/api/v1/admin/users/{b}/disable"), format!("/api/v1/admin/users/{a}/disable"), json!({}));
        let (ra, rb) = tokio::join!(app.post_as(&ca, &path_b, &empty), app.post_as(&cb, &path_a, &empty));
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        // One wins; the other is refused as the last administrator, or was signed out by the
        // winner before it ran. Never two disabled, never a 500.
        assert!(statuses == [200, 409] || statuses == [200, 401], "round {round}: {statuses:?}");
        let active = [login_status(&app, "root.a", PASSWORD).await, login_status(&app, "root.b", PASSWORD).await];
        assert_eq!(active.iter().filter(|s| **s == 200).count(), 1, "round {round}: {active:?}");
        let (winner, loser) = if active[0] == 200 { ("root.a", b) } else { ("root.b", a) };
        let w = app.signed_in(winner).await;
        expect_status(app.post_as(&w, &format!("/api/v1/admin/users/{loser}/enable"), &json!({})).await, 200).await;
    }
}

async fn password_reset_replaces_the_old_password(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    let insp = inspector(&app, "xiaodian.insp", "140105").await;
    let token = expect_status(app.post_as(&insp, "/api/v1/auth/tokens", &json!({"name": "script"})).await, 201).await;
    let id = usernames_ids(&app, &root, "xiaodian.insp").await;
    let path = format!("/api/v1/admin/users/{id}/password");

    let body = expect_status(app.post_as(&root, &path, &json!({"password": "short"})).await, 422).await;
    assert_field(&body, "password", &FieldError::new(FieldCode::PasswordTooShort).with("min", 10));
    assert_eq!(login_status(&app, "xiaodian.insp", PASSWORD).await, 200, "a refused reset changes nothing");

    let typed = "a brand new password";
    let done = expect_status(app.post_as(&root, &path, &json!({"password": typed})).await, 200).await;
    assert!(done.get("generated_password").is_none(), "nothing secret comes back: {done}");
    assert!(!done.to_string().contains(typed));
    assert_eq!(login_status(&app, "xiaodian.insp", PASSWORD).await, 401, "the old password no longer works");
    assert_eq!(login_status(&app, "xiaodian.insp", typed).await, 200);
    assert_eq!(me_status(&app, &insp).await, 401, "sessions of the old password ended");
    let t = token["token"].as_str().expect("token");
    let resp = TestApp::new_client().get(app.url("/api/v1/auth/me")).bearer_auth(t).send().await.expect("me");
    assert_eq!(resp.status().as_u16(), 401, "tokens were revoked");

    // Without a password one is generated and shown once.
    let done = expect_status(app.post_as(&root, &path, &json!({})).await, 200).await;
    let generated = done["generated_password"].as_str().expect("generated").to_owned();
    assert_eq!(generated.chars().count(), 16);
    assert_eq!(login_status(&app, "xiaodian.insp", typed).await, 401);
    assert_eq!(login_status(&app, "xiaodian.insp", &generated).await, 200);
    let again = expect_status(app.post_as(&root, &path, &json!({"password": null})).await, 200).await;
    assert_ne!(again["generated_password"], done["generated_password"]);
}

async fn machine_types_are_added_renamed_and_deactivated(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    let (_, builder) = contractor(&app, "builder").await;
    let with_type = |n: u32, t: &str| {
        let mut m = machine_input(n);
        m["machine_type"] = json!(t);
        m
    };
    let body = expect_status(app.post_as(&builder, "/api/v1/machines", &with_type(1, "snow_plough")).await, 422).await;
    assert_field(&body, "machine_type", &FieldError::new(FieldCode::UnknownMachineType));

    let new = json!({"code": "snow_plough", "name_zh": "扫雪机", "name_en": "Snow plough"});
    let created = expect_status(app.post_as(&root, "/api/v1/admin/machine-types", &new).await, 201).await;
    assert_eq!(created["is_active"], true);
    let seeded = expect_status(app.get_as(&root, "/api/v1/admin/machine-types").await, 200).await;
    let codes: Vec<&str> = seeded.as_array().expect("list").iter().filter_map(|t| t["code"].as_str()).collect();
    assert_eq!(codes.len(), 20, "the 19 seeded types and the new one: {codes:?}");
    assert_eq!(codes.last(), Some(&"snow_plough"), "a new type goes last");
    assert_error(app.post_as(&root, "/api/v1/admin/machine-types", &new).await, 409, "duplicate_machine_type").await;
    let bad = json!({"code": "Snow Plough", "name_zh": "", "name_en": "x"});
    let body = expect_status(app.post_as(&root, "/api/v1/admin/machine-types", &bad).await, 422).await;
    assert_field(&body, "code", &FieldError::new(FieldCode::MachineTypeCode));
    assert_field(&body, "name_zh", &FieldError::new(FieldCode::Length).with("min", 1).with("max", 60));

    // Valid for machines at once.
    let machine =
        expect_status(app.post_as(&builder, "/api/v1/machines", &with_type(2, "snow_plough")).await, 201).await;

    // Renamed: the public list shows the new label under the same code.
    let renamed = json!({"name_en": "Snowplough", "sort_order": 5});
    let entry =
        expect_status(app.patch_as(&root, "/api/v1/admin/machine-types/snow_plough", &renamed).await, 200).await;
    assert_eq!(
        (entry["code"].as_str(), entry["name_en"].as_str(), entry["name_zh"].as_str()),
        (Some("snow_plough"), Some("Snowplough"), Some("扫雪机"))
    );
    let public = expect_status(app.get("/api/v1/machine-types").await, 200).await;
    assert_eq!(public[0]["code"], "snow_plough", "sort order 5 puts it first");
    assert_eq!(public[0]["name_en"], "Snowplough");

    // Deactivated: refused for new machines, gone from the public list, kept on the old machine.
    let off = json!({"is_active": false});
    expect_status(app.patch_as(&root, "/api/v1/admin/machine-types/snow_plough", &off).await, 200).await;
    let body = expect_status(app.post_as(&builder, "/api/v1/machines", &with_type(3, "snow_plough")).await, 422).await;
    assert_field(&body, "machine_type", &FieldError::new(FieldCode::UnknownMachineType));
    let public = expect_status(app.get("/api/v1/machine-types").await, 200).await;
    assert!(public.as_array().expect("list").iter().all(|t| t["code"] != "snow_plough"));
    let mut edit = with_type(2, "snow_plough");
    edit["name"] = json!("改名的扫雪机");
    edit["version"] = machine["version"].clone();
    let path = format!("/api/v1/machines/{}", id_of(&machine));
    let edited = expect_status(app.patch_as(&builder, &path, &edit).await, 200).await;
    assert_eq!(edited["machine_type"], "snow_plough", "a machine keeps its deactivated type through an edit");
    // Switching another machine to the deactivated type is still refused.
    let other = expect_status(app.post_as(&builder, "/api/v1/machines", &with_type(4, "excavator")).await, 201).await;
    let mut switch = with_type(4, "snow_plough");
    switch["version"] = other["version"].clone();
    let body =
        expect_status(app.patch_as(&builder, &format!("/api/v1/machines/{}", id_of(&other)), &switch).await, 422).await;
    assert_field(&body, "machine_type", &FieldError::new(FieldCode::UnknownMachineType));

    let on = json!({"is_active": true});
    expect_status(app.patch_as(&root, "/api/v1/admin/machine-types/snow_plough", &on).await, 200).await;
    expect_status(app.post_as(&builder, "/api/v1/machines", &with_type(3, "snow_plough")).await, 201).await;
    assert_error(app.patch_as(&root, "/api/v1/admin/machine-types/no_such_type", &on).await, 404, "not_found").await;
    let body = expect_status(
        app.patch_as(&root, "/api/v1/admin/machine-types/snow_plough", &json!({"sort_order": -1})).await,
        422,
    )
    .await;
    assert_field(&body, "sort_order", &FieldError::new(FieldCode::SortOrderRange).with("max", 1_000_000));
}

/// A small Hebei list: the province, a city and two of its districts.
const HEBEI: &str = "code,name,level,parent_code\n\
130000,河北省,province,\n\
130100,石家庄市,city,130000\n\
130102,长安区,county,130100\n\
130104,桥西区,county,130100\n";

async fn import(app: &TestApp, csv: &str) -> reqwest::Response {
    let root = app.signed_in("root").await;
    root.post(app.url("/api/v1/admin/divisions/import"))
        .header("content-type", "text/csv")
        .body(csv.as_bytes().to_vec())
        .send()
        .await
        .expect("import")
}

async fn division_import_upserts_and_serves_new_counties(app: TestApp) {
    let root = sysadmin(&app, "root").await;
    let report = expect_status(import(&app, HEBEI).await, 200).await;
    assert_eq!(report, json!({"rows": 4, "inserted": 4, "updated": 0, "unchanged": 0}));
    let counties = expect_status(app.get("/api/v1/divisions?parent=130100").await, 200).await;
    let codes: Vec<&str> = counties.as_array().expect("list").iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, vec!["130102", "130104"]);
    let roots = expect_status(app.get("/api/v1/divisions").await, 200).await;
    assert_eq!(roots.as_array().map(Vec::len), Some(2), "Shanxi and Hebei: {roots}");

    // An inspector for a Hebei county, who signs in and is placed there.
    let body = new_user("changan.insp", "county_inspector", Some("130102"));
    let created = expect_status(app.post_as(&root, "/api/v1/admin/users", &body).await, 201).await;
    assert_eq!(created["division_name"], "长安区");
    let insp = app.signed_in("changan.insp").await;
    let me = expect_status(app.get_as(&insp, "/api/v1/auth/me").await, 200).await;
    assert_eq!(me["division_code"], "130102");
    // And a Hebei province officer administers it; Shanxi's does not.
    let hebei = official(&app, "hebei.prov", Role::ProvinceOfficer, "130000").await;
    let mut listed = usernames(&app, &hebei, "").await;
    listed.sort();
    assert_eq!(listed, vec!["changan.insp", "hebei.prov"]);
    let shanxi = official(&app, "shanxi.prov", Role::ProvinceOfficer, "140000").await;
    assert!(!usernames(&app, &shanxi, "").await.contains(&"changan.insp".to_owned()));

    // The same file again changes nothing; a renamed district is an update; rows may come in any
    // order (a county before its city).
    let report = expect_status(import(&app, HEBEI).await, 200).await;
    assert_eq!(report, json!({"rows": 4, "inserted": 0, "updated": 0, "unchanged": 4}));
    let reordered = "code,name,level,parent_code\n130181,辛集市,county,130100\n130104,桥西新区,county,130100\n";
    let report = expect_status(import(&app, reordered).await, 200).await;
    assert_eq!(report, json!({"rows": 2, "inserted": 1, "updated": 1, "unchanged": 0}));
    let child_first = "code,name,level,parent_code\n130202,路南区,county,130200\n130200,唐山市,city,130000\n";
    let report = expect_status(import(&app, child_first).await, 200).await;
    assert_eq!(report["inserted"], 2);
    let columns_reordered = "name,code,parent_code,level\n路北区,130203,130200,county\n";
    let report = expect_status(import(&app, columns_reordered).await, 200).await;
    assert_eq!(report["inserted"], 1);

    // The bundled Shanxi file is already there, row for row.
    let shanxi_csv = migrations::SHANXI_DIVISIONS_CSV;
    let report = expect_status(import(&app, shanxi_csv).await, 200).await;
    let rows = shanxi_csv.lines().count() - 1;
    assert_eq!(report, json!({"rows": rows, "inserted": 0, "updated": 0, "unchanged": rows}));
}

/// Imports `csv` and returns the bad rows as (line, code) pairs, checking nothing was stored.
async fn rejected(app: &TestApp, csv: &str) -> Vec<(u64, String)> {
    let body = expect_status(import(app, csv).await, 422).await;
    assert_eq!(body["error"]["code"], "import_rejected", "{body}");
    let rows = body["rows"].as_array().expect("rows");
    assert!(rows.iter().all(|r| r["message"].as_str().is_some_and(|m| !m.is_empty())));
    let stored = expect_status(app.get("/api/v1/divisions").await, 200).await;
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "all or nothing: only Shanxi is on file");
    rows.iter().map(|r| (r["line"].as_u64().unwrap_or(0), r["code"].as_str().unwrap_or("").to_owned())).collect()
}

async fn division_import_rejects_each_bad_row_class(app: TestApp) {
    app.user("root", Role::Sysadmin, None, None).await;
    let head = "code,name,level,parent_code\n130000,河北省,province,\n130100,石家庄市,city,130000\n";
    let cases: [(&str, &str); 9] = [
        ("13010X,长安区,county,130100\n", "bad_code"),
        ("1301021,长安区,county,130100\n", "bad_code"),
        ("130102,长安区,town,130100\n", "bad_level"),
        ("130102,长安区,city,130100\n", "level_mismatch"),
        ("130102,,county,130100\n", "bad_name"),
        ("130102,长安区,county,130900\n", "unknown_parent"),
        ("130102,长安区,county,140100\n", "parent_mismatch"),
        ("130102,长安区,county,\n", "parent_mismatch"),
        ("130100,石家庄市,city,130000\n", "duplicate_code"),
    ];
    for (row, code) in cases {
        let csv = format!("{head}{row}");
        assert_eq!(rejected(&app, &csv).await, vec![(4, code.to_owned())], "{row}");
    }
    // A province with a parent, and a city whose parent is a county.
    let csv = "code,name,level,parent_code\n130000,河北省,province,140000\n";
    assert_eq!(rejected(&app, csv).await, vec![(2, "parent_mismatch".to_owned())]);
    let csv = format!("{head}130102,长安区,county,130100\n130200,唐山市,city,130102\n");
    assert_eq!(rejected(&app, &csv).await, vec![(5, "parent_mismatch".to_owned())]);
    // Several bad rows are all reported, by line, with the column at fault.
    let csv = format!("{head}130102,长安区,county,130100\n\n13010,长安区,county,130100\n130104,,village,130100\n");
    let body = expect_status(import(&app, &csv).await, 422).await;
    let rows: Vec<(u64, String, String)> = body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap_or(0),
                r["column"].as_str().unwrap_or("").to_owned(),
                r["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (6, "code".into(), "bad_code".into()),
            (7, "level".into(), "bad_level".into()),
            (7, "name".into(), "bad_name".into()),
        ]
    );
    // Windows line ends and blank lines keep the count.
    let crlf = "code,name,level,parent_code\r\n\r\n130000,河北省,province,\r\n\r\n\r\n13010,x,county,130000\r\n";
    let body = expect_status(import(&app, crlf).await, 422).await;
    assert_eq!(body["rows"][0]["line"], 6, "{body}");
    // A missing column is named on line 1.
    let csv = "code,name,level\n130000,河北省,province\n";
    let body = expect_status(import(&app, csv).await, 422).await;
    assert_eq!(body["rows"][0]["line"], 1);
    assert_eq!(body["rows"][0]["column"], "parent_code");
    assert_eq!(body["rows"][0]["code"], "missing_column");
}

async fn division_import_is_for_sysadmins_and_readable_files(app: TestApp) {
    app.user("root", Role::Sysadmin, None, None).await;
    let prov = official(&app, "shanxi.prov", Role::ProvinceOfficer, "140000").await;
    let resp = prov
        .post(app.url("/api/v1/admin/divisions/import"))
        .header("content-type", "text/csv")
        .body(HEBEI.as_bytes().to_vec())
        .send()
        .await
        .expect("import");
    assert_error(resp, 403, "forbidden").await;
    assert_error(import(&app, "").await, 400, "unreadable_file").await;
    let root = app.signed_in("root").await;
    let resp = root
        .post(app.url("/api/v1/admin/divisions/import"))
        .body(vec![0xff, 0xfe, 0x00, 0x00, 0x41, 0x00])
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 400);
    let big = "x".repeat(1024 * 1024 + 1);
    let resp = root.post(app.url("/api/v1/admin/divisions/import")).body(big).send().await.expect("import");
    assert_eq!(resp.status().as_u16(), 413);
    // GBK-encoded files are read too.
    let (gbk, _, _) = encoding_rs::GBK.encode(HEBEI);
    let resp =
        root.post(app.url("/api/v1/admin/divisions/import")).body(gbk.into_owned()).send().await.expect("import");
    let report = expect_status(resp, 200).await;
    assert_eq!(report["inserted"], 4);
    let names = expect_status(app.get("/api/v1/divisions?parent=130000").await, 200).await;
    assert_eq!(names[0]["name"], "石家庄市");

    // A province-sized file (1 province, 30 cities, 2,970 counties) in one go.
    let mut big = String::from("code,name,level,parent_code\n650000,测试省,province,\n");
    for c in 1..=30 {
        big.push_str(&format!("65{c:02}00,市{c},city,650000\n"));
        for n in 1..=99 {
            big.push_str(&format!("65{c:02}{n:02},县{c}-{n},county,65{c:02}00\n"));
        }
    }
    let resp = root.post(app.url("/api/v1/admin/divisions/import")).body(big).send().await.expect("import");
    let report = expect_status(resp, 200).await;
    assert_eq!(report["inserted"], 3001);
    let counties = expect_status(app.get("/api/v1/divisions?parent=653000").await, 200).await;
    assert_eq!(counties.as_array().map(Vec::len), Some(99));
    // More than 10,000 rows: refused before any check.
    let mut huge = String::from("code,name,level,parent_code\n");
    for i in 0..10_001 {
        huge.push_str(&format!("66{i:04},x,county,660100\n"));
    }
    let resp = root.post(app.url("/api/v1/admin/divisions/import")).body(huge).send().await.expect("import");
    assert_error(resp, 422, "too_many_rows").await;

    // The OpenAPI document lists the administration endpoints.
    let doc = expect_status(app.get("/api/v1/openapi.json").await, 200).await;
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}/disable",
        "/api/v1/admin/users/{id}/enable",
        "/api/v1/admin/users/{id}/password",
        "/api/v1/admin/users/{id}/role",
        "/api/v1/admin/machine-types",
        "/api/v1/admin/machine-types/{code}",
        "/api/v1/admin/divisions/import",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
}

async fn admin_pages_render_on_the_server(app: TestApp) {
    app.user("root", Role::Sysadmin, None, None).await;
    app.user("xiaodian.insp", Role::CountyInspector, Some("140105"), None).await;
    let (zh, en) = (browser(&app, "root", "zh").await, browser(&app, "root", "en").await);
    let html = page(&app, &zh, "/admin").await;
    for link in ["href=\"/admin\"", "/admin/users", "/admin/machine-types", "/admin/divisions", "/limits"] {
        assert!(html.contains(link), "{link} on the admin menu");
    }
    let html = page(&app, &zh, "/admin/users").await;
    assert!(html.contains("账号管理") && html.contains("xiaodian.insp") && html.contains("小店区"), "{html}");
    assert!(html.contains("data-testid=\"user-item\""), "the list itself is rendered on the server");
    // Every account but one's own offers a password reset (the server refuses resetting one's own).
    let (items, resets) =
        (html.matches("data-testid=\"user-item\"").count(), html.matches("data-testid=\"reset-password\"").count());
    assert_eq!((items, resets), (2, 1), "root and xiaodian.insp listed, a reset form for the other only");
    assert!(html.contains("新增账号"));
    let html = page(&app, &en, "/admin/users").await;
    assert!(html.contains("Accounts") && html.contains("Add an account"));
    let html = page(&app, &en, "/admin/machine-types").await;
    assert!(html.contains("rotary_drilling_rig") && html.contains("Add a machine type"));
    let html = page(&app, &zh, "/admin/divisions").await;
    assert!(html.contains("山西省") && html.contains("导入行政区划"));

    // A city officer's menu has accounts and limits, not the sysadmin's lists.
    app.user("taiyuan.off", Role::CityOfficer, Some("140100"), None).await;
    let html = page(&app, &browser(&app, "taiyuan.off", "en").await, "/admin").await;
    assert!(html.contains("/admin/users") && html.contains("/limits") && !html.contains("/admin/machine-types"));
    // A contractor gets no admin menu entry and a refusal on the page.
    let org = app.organization("示范建设").await;
    app.user("builder", Role::ContractorAdmin, None, Some(org)).await;
    let html = page(&app, &browser(&app, "builder", "en").await, "/admin").await;
    assert!(!html.contains("href=\"/admin\"") && html.contains("You are not allowed to do this."));
}
