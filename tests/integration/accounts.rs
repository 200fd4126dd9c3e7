//! Who may undo what (issue 9, part 5): a disabling carries the authority of whoever made it,
//! and only that authority or a higher one enables the account again (the unit's administrator
//! never undoes an official's decision); a unit keeps an active administrator whatever its
//! administrators do, one at a time or at once; promotions and demotions within a unit; and the
//! staff and accounts pages say whose decision a disabling was.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, assert_error, contractor, expect_status, id_of};
use crate::helpers::{page_html as page, signed_in_with_language as browser};
use app::auth::Role;
use app::auth::service::{Credential, Principal};
use app::error::AppError;
use serde_json::{Value, json};

db_tests!(
    an_officials_disabling_is_not_undone_by_the_unit,
    the_units_own_disabling_is_undone_by_the_unit,
    officials_undo_only_their_level_and_below,
    unit_administrators_promote_and_demote_within_their_unit,
    a_unit_keeps_an_active_administrator,
    unit_admins_demoting_each_other_at_once_leave_one,
    unit_admins_disabling_each_other_at_once_leave_one,
    pages_say_whose_decision_a_disabling_was,
    accounts_disabled_before_the_record_take_it_from_the_audit_log,
);

async fn login_status(app: &TestApp, username: &str) -> u16 {
    let resp = TestApp::new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    resp.status().as_u16()
}

/// A staff member of the unit administered by `admin` (added through the API); returns it.
async fn add_staff(app: &TestApp, admin: &reqwest::Client, username: &str) -> Value {
    let body = json!({"username": username, "display_name": "李师傅", "password": PASSWORD});
    expect_status(app.post_as(admin, "/api/v1/organizations/users", &body).await, 201).await
}

fn unit_path(user: &str, verb: &str) -> String {
    format!("/api/v1/organizations/users/{user}/{verb}")
}

fn admin_path(user: &str, verb: &str) -> String {
    format!("/api/v1/admin/users/{user}/{verb}")
}

/// The unit's list entry of `username`, as its administrator sees it.
async fn staff_entry(app: &TestApp, admin: &reqwest::Client, username: &str) -> Value {
    let list = expect_status(app.get_as(admin, "/api/v1/organizations/users").await, 200).await;
    list.as_array().expect("list").iter().find(|u| u["username"] == username).cloned().expect("listed")
}

/// The accounts page entry of `username`, as `admin` (an official) sees it.
async fn admin_entry(app: &TestApp, admin: &reqwest::Client, username: &str) -> Value {
    let page = expect_status(app.get_as(admin, &format!("/api/v1/admin/users?q={username}")).await, 200).await;
    page["items"].as_array().expect("items").iter().find(|u| u["username"] == username).cloned().expect("listed")
}

fn principal(id: uuid::Uuid, username: &str, role: Role, org: Option<uuid::Uuid>) -> Principal {
    Principal {
        user_id: id,
        username: username.into(),
        display_name: username.into(),
        role,
        organization_id: org,
        division_code: None,
        division_level: None,
        division_name: None,
        via: Credential::Session,
        session_epoch: 0,
    }
}

async fn an_officials_disabling_is_not_undone_by_the_unit(app: TestApp) {
    let (_org, builder) = contractor(&app, "builder.admin").await;
    let staff = add_staff(&app, &builder, "builder.staff").await;
    let id = id_of(&staff);
    app.user("root", Role::Sysadmin, None, None).await;
    let root = app.signed_in("root").await;

    // The system administrator disables the unit's staff member: the account says so.
    let disabled = expect_status(app.post_as(&root, &admin_path(&id, "disable"), &json!({})).await, 200).await;
    assert_eq!(disabled["is_active"], false);
    assert_eq!(disabled["disabled_by_role"], "sysadmin");
    assert_eq!(disabled["disabled_by_username"], "root");
    assert!(disabled["disabled_at"].is_string(), "{disabled}");
    let seen = staff_entry(&app, &builder, "builder.staff").await;
    assert_eq!(seen["disabled_by_role"], "sysadmin", "{seen}");
    assert_eq!(seen["disabled_by_name"], Value::Null, "an official's name is not the unit's to see: {seen}");

    // The unit's administrator can neither enable it again nor take the disabling over.
    for verb in ["enable", "disable"] {
        let err =
            assert_error(app.post_as(&builder, &unit_path(&id, verb), &json!({})).await, 409, "disabled_by_authority")
                .await;
        assert_eq!(err["error"]["details"]["role"], "sysadmin", "{err}");
    }
    assert_eq!(login_status(&app, "builder.staff").await, 401, "still disabled");
    assert_eq!(staff_entry(&app, &builder, "builder.staff").await["disabled_by_role"], "sysadmin", "unchanged");

    // The system administrator enables it again: the record of the disabling is cleared.
    let enabled = expect_status(app.post_as(&root, &admin_path(&id, "enable"), &json!({})).await, 200).await;
    assert_eq!(enabled["is_active"], true);
    for key in ["disabled_by_role", "disabled_by_username", "disabled_at"] {
        assert_eq!(enabled[key], Value::Null, "{key}: {enabled}");
    }
    assert_eq!(login_status(&app, "builder.staff").await, 200);
}

async fn the_units_own_disabling_is_undone_by_the_unit(app: TestApp) {
    let (_org, builder) = contractor(&app, "unit.boss").await;
    let staff = add_staff(&app, &builder, "unit.worker").await;
    let id = id_of(&staff);

    let disabled = expect_status(app.post_as(&builder, &unit_path(&id, "disable"), &json!({})).await, 200).await;
    assert_eq!(disabled["disabled_by_role"], "contractor_admin");
    assert_eq!(disabled["disabled_by_name"], "unit.boss", "a colleague's decision names the colleague");
    assert!(disabled["disabled_at"].is_string());
    let enabled = expect_status(app.post_as(&builder, &unit_path(&id, "enable"), &json!({})).await, 200).await;
    assert_eq!(enabled["is_active"], true);
    assert_eq!((enabled["disabled_by_role"].clone(), enabled["disabled_by_name"].clone()), (Value::Null, Value::Null));
    assert_eq!(login_status(&app, "unit.worker").await, 200);

    // A higher authority may undo the unit's decision, and may take a disabling over (after
    // which it is the higher authority's).
    app.user("root", Role::Sysadmin, None, None).await;
    let root = app.signed_in("root").await;
    expect_status(app.post_as(&builder, &unit_path(&id, "disable"), &json!({})).await, 200).await;
    let admin_view = admin_entry(&app, &root, "unit.worker").await;
    assert_eq!(
        (admin_view["disabled_by_role"].as_str(), admin_view["disabled_by_username"].as_str()),
        (Some("contractor_admin"), Some("unit.boss"))
    );
    expect_status(app.post_as(&root, &admin_path(&id, "enable"), &json!({})).await, 200).await;
    expect_status(app.post_as(&builder, &unit_path(&id, "disable"), &json!({})).await, 200).await;
    let taken = expect_status(app.post_as(&root, &admin_path(&id, "disable"), &json!({})).await, 200).await;
    assert_eq!(taken["disabled_by_role"], "sysadmin");
    assert_error(app.post_as(&builder, &unit_path(&id, "enable"), &json!({})).await, 409, "disabled_by_authority")
        .await;
}

async fn officials_undo_only_their_level_and_below(app: TestApp) {
    let inspector = app.user("xiaodian.insp", Role::CountyInspector, Some("140105"), None).await.to_string();
    app.user("shanxi.prov", Role::ProvinceOfficer, Some("140000"), None).await;
    app.user("taiyuan.city", Role::CityOfficer, Some("140100"), None).await;
    app.user("root", Role::Sysadmin, None, None).await;
    let (prov, city, root) =
        (app.signed_in("shanxi.prov").await, app.signed_in("taiyuan.city").await, app.signed_in("root").await);

    // The province's decision stands against the city officer, who reaches the account.
    expect_status(app.post_as(&prov, &admin_path(&inspector, "disable"), &json!({})).await, 200).await;
    let err = assert_error(
        app.post_as(&city, &admin_path(&inspector, "enable"), &json!({})).await,
        409,
        "disabled_by_authority",
    )
    .await;
    assert_eq!(err["error"]["details"]["role"], "province_officer");
    assert_error(
        app.post_as(&city, &admin_path(&inspector, "disable"), &json!({})).await,
        409,
        "disabled_by_authority",
    )
    .await;
    assert_eq!(login_status(&app, "xiaodian.insp").await, 401);
    expect_status(app.post_as(&prov, &admin_path(&inspector, "enable"), &json!({})).await, 200).await;

    // The city's decision the province may undo.
    expect_status(app.post_as(&city, &admin_path(&inspector, "disable"), &json!({})).await, 200).await;
    assert_eq!(admin_entry(&app, &prov, "xiaodian.insp").await["disabled_by_role"], "city_officer");
    expect_status(app.post_as(&prov, &admin_path(&inspector, "enable"), &json!({})).await, 200).await;
    assert_eq!(login_status(&app, "xiaodian.insp").await, 200);

    // A disabling nobody recorded (from before, or the command line) is a system administrator's.
    let uid = inspector.parse().expect("uuid");
    app::auth::service::set_active(&app.state.db, uid, false, app.clock.now()).await.expect("disable");
    let err = assert_error(
        app.post_as(&prov, &admin_path(&inspector, "enable"), &json!({})).await,
        409,
        "disabled_by_authority",
    )
    .await;
    assert_eq!(err["error"]["details"]["role"], "sysadmin");
    expect_status(app.post_as(&root, &admin_path(&inspector, "enable"), &json!({})).await, 200).await;
    assert_eq!(login_status(&app, "xiaodian.insp").await, 200);
}

async fn unit_administrators_promote_and_demote_within_their_unit(app: TestApp) {
    let (_org, admin) = contractor(&app, "role.admin").await;
    let staff = add_staff(&app, &admin, "role.staff").await;
    let path = unit_path(&id_of(&staff), "role");

    let promoted = expect_status(app.post_as(&admin, &path, &json!({"role": "contractor_admin"})).await, 200).await;
    assert_eq!(promoted["role"], "contractor_admin");
    // The promoted account administers the unit at once.
    let promoted_client = app.signed_in("role.staff").await;
    expect_status(app.get_as(&promoted_client, "/api/v1/organizations/users").await, 200).await;
    let demoted = expect_status(app.post_as(&admin, &path, &json!({"role": "contractor_staff"})).await, 200).await;
    assert_eq!(demoted["role"], "contractor_staff");
    assert_error(app.get_as(&promoted_client, "/api/v1/organizations/users").await, 403, "forbidden").await;

    // Only the unit's two roles; not one's own; not staff; not another unit's people.
    for role in ["county_inspector", "sysadmin", "province_officer"] {
        assert_error(app.post_as(&admin, &path, &json!({"role": role})).await, 403, "forbidden").await;
    }
    assert_error(app.post_as(&admin, &path, &json!({"role": "boss"})).await, 400, "malformed").await;
    assert_error(app.post_as(&admin, &path, &json!({})).await, 400, "malformed").await;
    let me = expect_status(app.get_as(&admin, "/api/v1/auth/me").await, 200).await;
    let own = unit_path(&id_of(&me), "role");
    assert_error(app.post_as(&admin, &own, &json!({"role": "contractor_staff"})).await, 409, "cannot_change_own_role")
        .await;
    let staff_client = app.signed_in("role.staff").await;
    assert_error(app.post_as(&staff_client, &own, &json!({"role": "contractor_staff"})).await, 403, "forbidden").await;
    let (_other, other_admin) = contractor(&app, "other.admin").await;
    assert_error(app.post_as(&other_admin, &path, &json!({"role": "contractor_admin"})).await, 404, "not_found").await;
    let inspector = crate::helpers::inspector(&app, "role.insp", "140105").await;
    assert_error(app.post_as(&inspector, &path, &json!({"role": "contractor_admin"})).await, 403, "forbidden").await;
    let still = staff_entry(&app, &admin, "role.staff").await;
    assert_eq!(still["role"], "contractor_staff", "nothing refused changed anything");
}

async fn a_unit_keeps_an_active_administrator(app: TestApp) {
    let (org, a_client) = contractor(&app, "keep.a").await;
    let b = app.user("keep.b", Role::ContractorAdmin, None, Some(org)).await;
    let worker = app.user("keep.staff", Role::ContractorStaff, None, Some(org)).await;
    let a_id = expect_status(app.get_as(&a_client, "/api/v1/auth/me").await, 200).await;
    let a_id: uuid::Uuid = a_id["id"].as_str().expect("id").parse().expect("uuid");
    let b_path = |verb: &str| unit_path(&b.to_string(), verb);

    // Two active administrators: one may disable or demote the other.
    expect_status(app.post_as(&a_client, &b_path("disable"), &json!({})).await, 200).await;
    expect_status(app.post_as(&a_client, &b_path("enable"), &json!({})).await, 200).await;
    expect_status(app.post_as(&a_client, &b_path("role"), &json!({"role": "contractor_staff"})).await, 200).await;
    expect_status(app.post_as(&a_client, &b_path("role"), &json!({"role": "contractor_admin"})).await, 200).await;
    // Staff are no administrators: disabling them never touches the rule.
    expect_status(app.post_as(&a_client, &unit_path(&worker.to_string(), "disable"), &json!({})).await, 200).await;

    // A request of an administrator whose own account was disabled meanwhile (read before the
    // unit's lock) cannot disable or demote the one active administrator left: under the lock
    // the caller is no administrator any more (403).
    app::auth::service::set_active(&app.state.db, a_id, false, app.clock.now()).await.expect("disable a");
    let stale = principal(a_id, "keep.a", Role::ContractorAdmin, Some(org));
    let err = app::orgs::service::set_staff_active(&app.state, &stale, b, false).await.map_err(AppError::from);
    assert_eq!(err.err().map(|e| e.code().to_owned()), Some("forbidden".into()));
    let demote = app::orgs::StaffRoleChange { role: Role::ContractorStaff };
    let err = app::orgs::service::change_staff_role(&app.state, &stale, b, demote).await.map_err(AppError::from);
    assert_eq!(err.err().map(|e| e.code().to_owned()), Some("forbidden".into()));
    assert_eq!(login_status(&app, "keep.b").await, 200, "still an active administrator");
    let b_client = app.signed_in("keep.b").await;
    let b_view = staff_entry(&app, &b_client, "keep.b").await;
    assert_eq!((b_view["role"].as_str(), b_view["is_active"].as_bool()), (Some("contractor_admin"), Some(true)));
    // Nor promote anyone: a caller who is no administrator any more changes nothing.
    let promote = app::orgs::StaffRoleChange { role: Role::ContractorAdmin };
    let err = app::orgs::service::change_staff_role(&app.state, &stale, worker, promote).await.map_err(AppError::from);
    assert_eq!(err.err().map(|e| e.code().to_owned()), Some("forbidden".into()));
    let worker_view = staff_entry(&app, &b_client, "keep.staff").await;
    assert_eq!(worker_view["role"].as_str(), Some("contractor_staff"));

    // An official with reach over the account may disable a unit's last administrator: an
    // enforcement decision, which the unit cannot undo.
    app.user("root", Role::Sysadmin, None, None).await;
    let root = app.signed_in("root").await;
    expect_status(app.post_as(&root, &admin_path(&b.to_string(), "disable"), &json!({})).await, 200).await;
    assert_eq!(login_status(&app, "keep.b").await, 401);
}

/// The two administrators `(a, b)` of a fresh unit, signed in.
async fn two_admins(app: &TestApp) -> (uuid::Uuid, uuid::Uuid) {
    let org = app.organization("并发建设").await;
    let a = app.user("race.a", Role::ContractorAdmin, None, Some(org)).await;
    let b = app.user("race.b", Role::ContractorAdmin, None, Some(org)).await;
    (a, b)
}

/// Which of `race.a` / `race.b` are active administrators now.
async fn active_admins(app: &TestApp) -> Vec<&'static str> {
    use sea_orm::EntityTrait;
    let mut out = vec![];
    for name in ["race.a", "race.b"] {
        let users = app::db::entities::user::Entity::find().all(&app.state.db).await.expect("users");
        let u = users.into_iter().find(|u| u.username == name).expect("user");
        if u.is_active && u.role == app::auth::Role::ContractorAdmin {
            out.push(name);
        }
    }
    out
}

async fn unit_admins_demoting_each_other_at_once_leave_one(app: TestApp) {
    let (a, b) = two_admins(&app).await;
    let staff = json!({"role": "contractor_staff"});
    for round in 0..4 {
        let (ca, cb) = (app.signed_in("race.a").await, app.signed_in("race.b").await);
        let (path_b, path_a) = (unit_path(&b.to_string(), "role"), unit_path(&a.to_string(), "role"));
        let (ra, rb) = tokio::join!(app.post_as(&ca, &path_b, &staff), app.post_as(&cb, &path_a, &staff));
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        // One wins; the other is refused as the last administrator, or was no administrator any
        // more when its request was read. Never two demoted, never a 500.
        assert!(statuses == [200, 409] || statuses == [200, 403], "round {round}: {statuses:?}");
        let left = active_admins(&app).await;
        assert_eq!(left.len(), 1, "round {round}: {left:?}");
        let (winner, loser) = if left[0] == "race.a" { ("race.a", b) } else { ("race.b", a) };
        let w = app.signed_in(winner).await;
        let back = json!({"role": "contractor_admin"});
        expect_status(app.post_as(&w, &unit_path(&loser.to_string(), "role"), &back).await, 200).await;
    }
}

async fn unit_admins_disabling_each_other_at_once_leave_one(app: TestApp) {
    let (a, b) = two_admins(&app).await;
    for round in 0..4 {
        let (ca, cb) = (app.signed_in("race.a").await, app.signed_in("race.b").await);
        let (path_b, path_a, empty) =
            (unit_path(&b.to_string(), "disable"), unit_path(&a.to_string(), "disable"), json!({}));
        let (ra, rb) = tokio::join!(app.post_as(&ca, &path_b, &empty), app.post_as(&cb, &path_a, &empty));
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        // The loser is refused as the last administrator, was signed out by the winner first, or
        // was disabled by the winner while its request waited for the unit's lock.
        assert!(matches!(statuses, [200, 409] | [200, 401] | [200, 403]), "round {round}: {statuses:?}");
        let left = active_admins(&app).await;
        assert_eq!(left.len(), 1, "round {round}: {left:?}");
        let (winner, loser) = if left[0] == "race.a" { ("race.a", b) } else { ("race.b", a) };
        let w = app.signed_in(winner).await;
        expect_status(app.post_as(&w, &unit_path(&loser.to_string(), "enable"), &json!({})).await, 200).await;
    }
}

async fn pages_say_whose_decision_a_disabling_was(app: TestApp) {
    let (_org, builder) = contractor(&app, "page.admin").await;
    let by_root = add_staff(&app, &builder, "page.byroot").await;
    let by_unit = add_staff(&app, &builder, "page.byunit").await;
    app.user("root", Role::Sysadmin, None, None).await;
    let root = app.signed_in("root").await;
    expect_status(app.post_as(&root, &admin_path(&id_of(&by_root), "disable"), &json!({})).await, 200).await;
    expect_status(app.post_as(&builder, &unit_path(&id_of(&by_unit), "disable"), &json!({})).await, 200).await;
    let today = app.today().to_string();

    let html = page(&app, &browser(&app, "page.admin", "zh").await, "/org/users").await;
    assert!(html.contains(&format!("{today} 由系统管理员停用")), "{html}");
    assert!(html.contains("只有系统管理员（或更高权限）可以重新启用。"), "the hint replaces the button");
    assert!(html.contains(&format!("{today} 由page.admin（施工单位管理员）停用")), "{html}");
    assert!(html.contains("设为管理员") && html.contains("data-testid=\"staff-item\""));
    let html = page(&app, &browser(&app, "page.admin", "en").await, "/org/users").await;
    assert!(html.contains(&format!("Disabled on {today} by System administrator")), "{html}");
    assert!(html.contains("Make administrator") && html.contains("Only this authority (System administrator)"));

    let html = page(&app, &browser(&app, "root", "zh").await, "/admin/users").await;
    assert!(html.contains(&format!("{today} 由root（系统管理员）停用")), "{html}");
    assert!(html.contains(&format!("{today} 由page.admin（施工单位管理员）停用")), "{html}");
}

async fn accounts_disabled_before_the_record_take_it_from_the_audit_log(app: TestApp) {
    use app::db::entities::user;
    use migrations::MigratorTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
    let root = app.user("root", Role::Sysadmin, None, None).await;
    let by_api = app.user("old.insp", Role::CountyInspector, Some("140105"), None).await;
    let unrecorded = app.user("older.insp", Role::CountyInspector, Some("140105"), None).await;
    let client = app.signed_in("root").await;
    expect_status(app.post_as(&client, &admin_path(&by_api.to_string(), "disable"), &json!({})).await, 200).await;
    app::auth::service::set_active(&app.state.db, unrecorded, false, app.clock.now()).await.expect("disable");
    // As before the columns existed: nothing recorded on the accounts, the migration not applied.
    let db = &app.state.db;
    user::Entity::update_many()
        .col_expr(user::Column::DisabledBy, Expr::value(None::<uuid::Uuid>))
        .col_expr(user::Column::DisabledByRole, Expr::value(None::<String>))
        .col_expr(user::Column::DisabledAt, Expr::value(None::<chrono::DateTime<chrono::Utc>>))
        .exec(db)
        .await
        .expect("clear");
    let forget = Query::delete()
        .from_table(Alias::new("seaql_migrations"))
        .and_where(Expr::col(Alias::new("version")).eq("m20261206_000040_accounts_disabled_by"))
        .to_owned();
    db.execute(&forget).await.expect("forget the migration");
    migrations::Migrator::up(db, None).await.expect("migrate again");

    let found = user::Entity::find().filter(user::Column::Id.eq(by_api)).one(db).await.expect("query").expect("user");
    assert_eq!((found.disabled_by, found.disabled_by_role.as_deref()), (Some(root), Some("sysadmin")));
    assert!(found.disabled_at.is_some());
    let none =
        user::Entity::find().filter(user::Column::Id.eq(unrecorded)).one(db).await.expect("query").expect("user");
    assert_eq!((none.disabled_by, none.disabled_by_role, none.disabled_at), (None, None, None));
    // Unrecorded: only a system administrator enables it again; recorded: the same here.
    let prov = {
        app.user("shanxi.prov", Role::ProvinceOfficer, Some("140000"), None).await;
        app.signed_in("shanxi.prov").await
    };
    for id in [by_api, unrecorded] {
        let path = admin_path(&id.to_string(), "enable");
        assert_error(app.post_as(&prov, &path, &json!({})).await, 409, "disabled_by_authority").await;
    }
}
