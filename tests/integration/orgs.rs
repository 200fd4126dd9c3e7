//! Sign-up of construction units (the credit-code rule through the API) and the management of
//! their staff: adding, signing in, disabling, and the walls between organisations.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, assert_error, assert_field, contractor, expect_status, id_of};
use app::db::entities::{organization, user};
use app::error::{FieldCode, FieldError};
use app::orgs::Uscc;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

db_tests!(
    sign_up_creates_the_unit_and_its_admin,
    credit_code_rules_on_sign_up,
    duplicate_credit_code_is_409,
    concurrent_sign_ups_of_one_code_are_409_never_500,
    bad_contact_fields_are_named,
    sign_up_is_atomic,
    staff_are_added_signed_in_and_disabled,
    staff_endpoints_are_for_administrators,
    another_units_user_is_not_found,
);

/// The published example of GB 32100.
const EXAMPLE: &str = "91350100M000100Y43";

fn sign_up(uscc: &str, username: &str) -> Value {
    json!({
        "name": " 示范建设有限公司 ",
        "uscc": uscc,
        "contact_name": "王工",
        "contact_phone": "0351-1234567",
        "username": username,
        "password": PASSWORD,
    })
}

async fn organizations(app: &TestApp) -> u64 {
    organization::Entity::find().count(&app.state.db).await.expect("count")
}

async fn sign_up_creates_the_unit_and_its_admin(app: TestApp) {
    // Lower case and spaces are normalised, for the credit code and the user name alike.
    let body = sign_up(" 91350100m000100y43 ", "Demo.Admin");
    let created = expect_status(app.post_json("/api/v1/organizations/register", &body).await, 201).await;
    let org = &created["organization"];
    assert_eq!(org["uscc"], EXAMPLE);
    assert_eq!(org["name"], "示范建设有限公司");
    assert_eq!(org["contact_phone"], "0351-1234567");
    let admin = &created["user"];
    assert_eq!(admin["username"], "demo.admin");
    assert_eq!(admin["role"], "contractor_admin");
    assert_eq!(admin["organization_id"], org["id"]);
    assert!(admin.get("password_hash").is_none() && admin.get("password").is_none(), "{admin}");

    // The administrator can sign in and sees the organisation.
    let client = app.signed_in("demo.admin").await;
    let me = expect_status(app.get_as(&client, "/api/v1/auth/me").await, 200).await;
    assert_eq!(me["organization_id"], org["id"]);
    let mine = expect_status(app.get_as(&client, "/api/v1/organizations/me").await, 200).await;
    assert_eq!(mine["id"], org["id"]);
    assert_eq!(mine["uscc"], EXAMPLE);
    // Only the password given at sign-up works.
    let wrong = TestApp::new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "demo.admin", "password": "a long password"}))
        .send()
        .await
        .expect("login");
    assert_error(wrong, 401, "invalid_credentials").await;
}

async fn credit_code_rules_on_sign_up(app: TestApp) {
    let reject = |uscc: String, expected: FieldError| {
        let app = &app;
        async move {
            let resp = app.post_json("/api/v1/organizations/register", &sign_up(&uscc, "some.admin")).await;
            let body = assert_error(resp, 422, "validation_failed").await;
            assert_field(&body, "uscc", &expected);
        }
    };
    // A wrong check character names the right one.
    reject(
        "91350100M000100Y44".into(),
        FieldError::new(FieldCode::UsccCheckChar).with("expected", '3').with("char", '4'),
    )
    .await;
    // I, O, S, V and Z are not in the alphabet (position 10 here).
    for bad in ['I', 'O', 'S', 'V', 'Z'] {
        let mut code: Vec<char> = EXAMPLE.chars().collect();
        code[9] = bad;
        reject(
            code.into_iter().collect(),
            FieldError::new(FieldCode::UsccBadChar).with("position", 10).with("char", bad),
        )
        .await;
    }
    // Lower-case forbidden letters are refused as their upper-case selves.
    reject("91350100m000100y4o".into(), FieldError::new(FieldCode::UsccBadChar).with("position", 18).with("char", 'O'))
        .await;
    for (code, found) in [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("", 0)] {
        reject(code.into(), FieldError::new(FieldCode::UsccLength).with("found", found)).await;
    }
    assert_eq!(organizations(&app).await, 0, "nothing was created");
    assert_eq!(user::Entity::find().count(&app.state.db).await.expect("count"), 0);

    // A generated code with its check character passes.
    let good = Uscc::with_check_char("91140105MA0K12345").expect("uscc");
    let resp = app.post_json("/api/v1/organizations/register", &sign_up(good.as_str(), "good.admin")).await;
    expect_status(resp, 201).await;
}

async fn duplicate_credit_code_is_409(app: TestApp) {
    expect_status(app.post_json("/api/v1/organizations/register", &sign_up(EXAMPLE, "first.admin")).await, 201).await;
    // The same code again, even typed in lower case, by another person.
    let resp = app.post_json("/api/v1/organizations/register", &sign_up(&EXAMPLE.to_lowercase(), "second.admin")).await;
    let body = assert_error(resp, 409, "duplicate_uscc").await;
    assert_field(&body, "uscc", &FieldError::new(FieldCode::UsccTaken));
    assert_eq!(organizations(&app).await, 1);
    let resp = TestApp::new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "second.admin", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_error(resp, 401, "invalid_credentials").await;
}

async fn concurrent_sign_ups_of_one_code_are_409_never_500(app: TestApp) {
    let attempts = (0..6).map(|i| {
        let app = &app;
        async move {
            let resp = app.post_json("/api/v1/organizations/register", &sign_up(EXAMPLE, &format!("racer.{i}"))).await;
            (resp.status().as_u16(), crate::helpers::json(resp).await)
        }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409, "{body}");
        assert_field(body, "uscc", &FieldError::new(FieldCode::UsccTaken));
    }
    assert_eq!(organizations(&app).await, 1);
    assert_eq!(user::Entity::find().count(&app.state.db).await.expect("count"), 1, "only the winner's administrator");
}

async fn bad_contact_fields_are_named(app: TestApp) {
    let cases: Vec<(&str, Value, &str, FieldError)> = vec![
        ("contact_phone", json!("call me"), "contact_phone", FieldError::new(FieldCode::Phone)),
        ("contact_phone", json!("12345"), "contact_phone", FieldError::new(FieldCode::Phone)),
        ("username", json!("_admin"), "username", FieldError::new(FieldCode::UsernameChars)),
        (
            "username",
            json!("ab"),
            "username",
            FieldError::new(FieldCode::UsernameLength).with("min", 3).with("max", 64),
        ),
        ("username", json!("王经理"), "username", FieldError::new(FieldCode::UsernameChars)),
        ("password", json!("short"), "password", FieldError::new(FieldCode::PasswordTooShort).with("min", 10)),
        ("name", json!("   "), "name", FieldError::new(FieldCode::Length).with("min", 1).with("max", 200)),
    ];
    for (key, value, field, expected) in cases {
        let mut body = sign_up(EXAMPLE, "fine.admin");
        body[key] = value;
        let resp = app.post_json("/api/v1/organizations/register", &body).await;
        let err = assert_error(resp, 422, "validation_failed").await;
        assert_field(&err, field, &expected);
        assert!(err["error"]["fields"].get("uscc").is_none(), "the credit code was fine: {err}");
    }
    // Every broken rule is reported at once.
    let mut body = sign_up("91350100M000100Y44", "_x");
    body["contact_phone"] = json!("?");
    body["password"] = json!("short");
    let err =
        assert_error(app.post_json("/api/v1/organizations/register", &body).await, 422, "validation_failed").await;
    for field in ["uscc", "username", "contact_phone", "password"] {
        assert!(err["error"]["fields"][field].is_array(), "{field}: {err}");
    }
    // A malformed body is a 400, never a 500.
    let resp = app
        .client
        .post(app.url("/api/v1/organizations/register"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("post");
    assert_error(resp, 400, "malformed").await;
    assert_eq!(organizations(&app).await, 0);
}

async fn sign_up_is_atomic(app: TestApp) {
    // The user name is taken: the organisation must not be left behind without an administrator.
    let (_org, _client) = contractor(&app, "taken.name").await;
    let before = organizations(&app).await;
    let resp = app.post_json("/api/v1/organizations/register", &sign_up(EXAMPLE, "Taken.Name")).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_field(&body, "username", &FieldError::new(FieldCode::UsernameTaken));
    assert_eq!(organizations(&app).await, before, "no organisation without its administrator");
    // The credit code is still free.
    expect_status(app.post_json("/api/v1/organizations/register", &sign_up(EXAMPLE, "free.name")).await, 201).await;
}

fn staff(username: &str) -> Value {
    json!({"username": username, "display_name": " 李师傅 ", "password": PASSWORD, "phone": "13800138000"})
}

async fn staff_are_added_signed_in_and_disabled(app: TestApp) {
    let (org, admin) = contractor(&app, "unit.admin").await;
    let added = expect_status(app.post_as(&admin, "/api/v1/organizations/users", &staff("Li.Worker")).await, 201).await;
    assert_eq!(added["username"], "li.worker");
    assert_eq!(added["display_name"], "李师傅");
    assert_eq!(added["role"], "contractor_staff");
    assert_eq!(added["is_active"], true);

    // The staff user signs in, belongs to the organisation and may work with its fleet.
    let worker = app.signed_in("li.worker").await;
    let me = expect_status(app.get_as(&worker, "/api/v1/auth/me").await, 200).await;
    assert_eq!(me["organization_id"], org.to_string());
    expect_status(app.get_as(&worker, "/api/v1/machines").await, 200).await;

    let list = expect_status(app.get_as(&admin, "/api/v1/organizations/users").await, 200).await;
    let names: Vec<&str> = list.as_array().expect("list").iter().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, vec!["li.worker", "unit.admin"]);

    // Rules for staff accounts.
    let taken = app.post_as(&admin, "/api/v1/organizations/users", &staff("li.worker")).await;
    assert_field(
        &assert_error(taken, 422, "validation_failed").await,
        "username",
        &FieldError::new(FieldCode::UsernameTaken),
    );
    let mut bad = staff("zhang.worker");
    bad["phone"] = json!("no phone");
    let resp = app.post_as(&admin, "/api/v1/organizations/users", &bad).await;
    assert_field(&assert_error(resp, 422, "validation_failed").await, "phone", &FieldError::new(FieldCode::Phone));
    let mut bad = staff("zhang.worker");
    bad["display_name"] = json!(" ");
    let resp = app.post_as(&admin, "/api/v1/organizations/users", &bad).await;
    assert!(assert_error(resp, 422, "validation_failed").await["error"]["fields"]["display_name"].is_array());

    // Disabled: the live session stops working and signing in fails.
    let path = format!("/api/v1/organizations/users/{}/disable", id_of(&added));
    let disabled = expect_status(app.post_as(&admin, &path, &json!({})).await, 200).await;
    assert_eq!(disabled["is_active"], false);
    assert_error(app.get_as(&worker, "/api/v1/auth/me").await, 401, "unauthorized").await;
    assert_error(app.get_as(&worker, "/api/v1/machines").await, 401, "unauthorized").await;
    let resp = TestApp::new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "li.worker", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_error(resp, 401, "invalid_credentials").await;

    // Enabled again: a fresh sign-in works.
    let path = format!("/api/v1/organizations/users/{}/enable", id_of(&added));
    let enabled = expect_status(app.post_as(&admin, &path, &json!({})).await, 200).await;
    assert_eq!(enabled["is_active"], true);
    let worker = app.signed_in("li.worker").await;
    expect_status(app.get_as(&worker, "/api/v1/auth/me").await, 200).await;

    // An administrator cannot lock themselves out.
    let me = expect_status(app.get_as(&admin, "/api/v1/auth/me").await, 200).await;
    let path = format!("/api/v1/organizations/users/{}/disable", id_of(&me));
    assert_error(app.post_as(&admin, &path, &json!({})).await, 409, "cannot_disable_self").await;
}

async fn staff_endpoints_are_for_administrators(app: TestApp) {
    let (_org, admin) = contractor(&app, "boss.admin").await;
    let added = expect_status(app.post_as(&admin, "/api/v1/organizations/users", &staff("wu.worker")).await, 201).await;
    let worker = app.signed_in("wu.worker").await;
    assert_error(app.get_as(&worker, "/api/v1/organizations/users").await, 403, "forbidden").await;
    let resp = app.post_as(&worker, "/api/v1/organizations/users", &staff("wu.friend")).await;
    assert_error(resp, 403, "forbidden").await;
    let me = expect_status(app.get_as(&admin, "/api/v1/auth/me").await, 200).await;
    let path = format!("/api/v1/organizations/users/{}/disable", id_of(&me));
    assert_error(app.post_as(&worker, &path, &json!({})).await, 403, "forbidden").await;
    // Staff still see their own organisation.
    expect_status(app.get_as(&worker, "/api/v1/organizations/me").await, 200).await;

    // Officials have no organisation and no staff.
    let inspector = crate::helpers::inspector(&app, "insp.staff", "140105").await;
    assert_error(app.get_as(&inspector, "/api/v1/organizations/users").await, 403, "forbidden").await;
    assert_error(app.get_as(&inspector, "/api/v1/organizations/me").await, 403, "forbidden").await;
    let path = format!("/api/v1/organizations/users/{}/disable", id_of(&added));
    assert_error(app.post_as(&inspector, &path, &json!({})).await, 403, "forbidden").await;
    // Not signed in.
    let anonymous = TestApp::new_client();
    assert_error(app.get_as(&anonymous, "/api/v1/organizations/users").await, 401, "unauthorized").await;
}

async fn another_units_user_is_not_found(app: TestApp) {
    let (_a, admin_a) = contractor(&app, "a.admin").await;
    let (_b, admin_b) = contractor(&app, "b.admin").await;
    let worker =
        expect_status(app.post_as(&admin_a, "/api/v1/organizations/users", &staff("a.worker")).await, 201).await;
    let worker_client = app.signed_in("a.worker").await;
    for action in ["disable", "enable"] {
        let path = format!("/api/v1/organizations/users/{}/{action}", id_of(&worker));
        assert_error(app.post_as(&admin_b, &path, &json!({})).await, 404, "not_found").await;
    }
    let path = format!("/api/v1/organizations/users/{}/disable", uuid::Uuid::now_v7());
    assert_error(app.post_as(&admin_b, &path, &json!({})).await, 404, "not_found").await;
    assert_error(
        app.post_as(&admin_b, "/api/v1/organizations/users/not-a-uuid/disable", &json!({})).await,
        404,
        "not_found",
    )
    .await;
    // B's list does not show A's people, and A's worker is unaffected.
    let list = expect_status(app.get_as(&admin_b, "/api/v1/organizations/users").await, 200).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    expect_status(app.get_as(&worker_client, "/api/v1/auth/me").await, 200).await;
}
