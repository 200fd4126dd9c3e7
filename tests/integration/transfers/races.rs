//! Transfers against each other and against the records that decide them. On PostgreSQL each
//! test puts the two requests in a chosen order with [`gate`] (the second starts while the first
//! is inside its transaction), so the rules' locks are what is tested; on SQLite, which runs one
//! writer at a time, the two run at once and either legal outcome is accepted.

use super::gate;
use super::{Deal, act, deal, machine_path, start, uscc_of};
use crate::db_tests;
use crate::helpers::{Backend, TestApp, assert_error, create_site, expect_status, id_of, json};
use crate::inspections::inspection;
use app::db::entities::{filing_machine, inspection as inspection_row, machine_transfer};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

db_tests!(
    an_inspection_opening_a_case_stops_a_later_acceptance,
    an_inspection_after_an_acceptance_belongs_to_the_buyer,
    the_sellers_new_filing_ends_with_an_acceptance,
    the_sellers_filing_after_an_acceptance_is_refused,
    a_resubmission_after_an_acceptance_is_refused,
    two_starts_at_once_leave_one_pending,
    a_transfer_from_a_former_owner_is_void,
    starts_and_acceptances_at_once_never_leave_a_stale_transfer,
    a_permission_given_first_lets_the_acceptance_through,
    a_permission_after_a_decline_is_refused,
);

fn postgres(app: &TestApp) -> bool {
    app.backend != Backend::Sqlite
}

async fn status_and_body(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, json(resp).await)
}

/// The stored status of a transfer.
async fn stored_status(app: &TestApp, t: &Value) -> String {
    let id = Uuid::parse_str(&id_of(t)).expect("uuid");
    machine_transfer::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("transfer")
        .status
        .as_str()
        .to_owned()
}

/// Who owns the deal's machine now, as the county sees it.
async fn owner_of(app: &TestApp, d: &Deal) -> Value {
    expect_status(app.get_as(&d.w.xiaodian, &machine_path(&d.machine)).await, 200).await["organization_id"].clone()
}

async fn an_inspection_opening_a_case_stops_a_later_acceptance(app: TestApp) {
    let d = deal(&app).await;
    let seller = owner_of(&app, &d).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let failing = inspection(&app, &d.w.plain_site, &d.machine, &[2.0, 2.0, 2.0]);
    let (inspected, accepted) = gate::in_order(
        &app,
        app.post_as(&d.w.xiaodian, "/api/v1/inspections", &failing),
        act(&app, &d.buyer, &t, "accept", json!({})),
    )
    .await;
    let inspected = expect_status(inspected, 201).await;
    let case = inspected["opened_cases"][0]["id"].as_str().expect("a case").to_owned();
    let (status, body) = status_and_body(accepted).await;
    if postgres(&app) || status == 409 {
        // The case was opened first: the acceptance saw it and waits for the county.
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("unresolved_case")), "{body}");
        assert_eq!(owner_of(&app, &d).await, seller);
        assert_eq!(stored_status(&app, &t).await, "pending");
        // The county hears that its permission is needed.
        assert!(super::kinds(&app, &d.w.xiaodian).await.contains(&"transfer_needs_permission".to_owned()));
        let seen = expect_status(app.get_as(&d.buyer, &format!("/api/v1/transfers/{}", id_of(&t))).await, 200).await;
        assert_eq!(seen["awaiting_permission_from"], json!(["140105"]));
    } else {
        // SQLite ran the acceptance first: the machine moved, and the case came after.
        assert_eq!(status, 200, "{body}");
        assert_eq!(owner_of(&app, &d).await, json!(d.buyer_org));
    }
    // Either way the case stays with the owner at the time of the test, the seller.
    let c = expect_status(app.get_as(&d.w.xiaodian, &format!("/api/v1/cases/{case}")).await, 200).await;
    assert_eq!(c["organization_id"], seller, "{c}");
}

async fn an_inspection_after_an_acceptance_belongs_to_the_buyer(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    // Tested five minutes from now (a phone a little ahead): after the acceptance below.
    let mut failing = inspection(&app, &d.w.plain_site, &d.machine, &[2.0, 2.0, 2.0]);
    failing["inspected_at"] = json!(app.clock.now() + Duration::minutes(5));
    let (accepted, inspected) = gate::in_order(
        &app,
        act(&app, &d.buyer, &t, "accept", json!({})),
        app.post_as(&d.w.xiaodian, "/api/v1/inspections", &failing),
    )
    .await;
    let inspected = expect_status(inspected, 201).await;
    let (status, body) = status_and_body(accepted).await;
    let id = Uuid::parse_str(&id_of(&inspected)).expect("uuid");
    let row = inspection_row::Entity::find_by_id(id).one(&app.state.db).await.expect("db").expect("row");
    let case = inspected["opened_cases"][0]["id"].as_str().expect("a case").to_owned();
    let c = expect_status(app.get_as(&d.w.xiaodian, &format!("/api/v1/cases/{case}")).await, 200).await;
    if postgres(&app) || status == 200 {
        // The machine was the buyer's when it was tested: the buyer answers for what was found,
        // though the inspection read the machine before the acceptance committed.
        assert_eq!(status, 200, "{body}");
        assert_eq!(row.organization_id.map(|o| o.to_string()), Some(d.buyer_org.to_string()));
        assert_eq!(c["organization_id"], json!(d.buyer_org));
    } else {
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("unresolved_case")), "{body}");
        assert_ne!(c["organization_id"], json!(d.buyer_org));
    }
}

/// A filing of the deal's machine by the seller at another site, after its current filing.
async fn later_filing_body(app: &TestApp, d: &Deal) -> Value {
    let site = create_site(app, &d.w.builder, "甲方二号工地", "140121").await;
    let today = app.today();
    json!({
        "site_id": site["id"], "machine_ids": [d.machine["id"]],
        "planned_entry_on": today + Duration::days(40), "planned_exit_on": today + Duration::days(50),
    })
}

/// The days the machine left a filing, read from the database.
async fn left_on(app: &TestApp, filing: &str, machine: &Value) -> Option<chrono::NaiveDate> {
    let (f, m) = (Uuid::parse_str(filing).expect("uuid"), Uuid::parse_str(&id_of(machine)).expect("uuid"));
    filing_machine::Entity::find_by_id((f, m)).one(&app.state.db).await.expect("db").expect("link").left_on
}

async fn the_sellers_new_filing_ends_with_an_acceptance(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let body = later_filing_body(&app, &d).await;
    let (filed, accepted) = gate::in_order(
        &app,
        app.post_as(&d.w.builder, "/api/v1/filings", &body),
        act(&app, &d.buyer, &t, "accept", json!({})),
    )
    .await;
    let (status, accepted) = status_and_body(accepted).await;
    assert_eq!(status, 200, "{accepted}");
    let (status, filed) = status_and_body(filed).await;
    if postgres(&app) || status == 201 {
        // The filing came first; the acceptance waited for it and ended the machine on it too.
        assert_eq!(status, 201, "{filed}");
        assert_eq!(left_on(&app, &id_of(&filed), &d.machine).await, Some(app.today()));
    } else {
        assert!(status == 409 || status == 422, "{filed}");
    }
}

async fn the_sellers_filing_after_an_acceptance_is_refused(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let body = later_filing_body(&app, &d).await;
    let (accepted, filed) = gate::in_order(
        &app,
        act(&app, &d.buyer, &t, "accept", json!({})),
        app.post_as(&d.w.builder, "/api/v1/filings", &body),
    )
    .await;
    expect_status(accepted, 200).await;
    let (status, filed) = status_and_body(filed).await;
    if postgres(&app) {
        // It checked the machine before the acceptance committed, and again under the lock.
        assert_eq!((status, filed["error"]["code"].as_str()), (409, Some("owner_changed")), "{filed}");
    } else if status == 201 {
        assert_eq!(left_on(&app, &id_of(&filed), &d.machine).await, Some(app.today()));
    } else {
        assert!(status == 409 || status == 422, "{filed}");
    }
    // No filing of the seller covers the machine from today on.
    let filings = expect_status(app.get_as(&d.w.builder, "/api/v1/filings").await, 200).await;
    for f in filings["items"].as_array().expect("items") {
        assert_eq!(left_on(&app, &id_of(f), &d.machine).await, Some(app.today()), "{f}");
    }
}

async fn a_resubmission_after_an_acceptance_is_refused(app: TestApp) {
    let d = deal(&app).await;
    let body = later_filing_body(&app, &d).await;
    let f = expect_status(app.post_as(&d.w.builder, "/api/v1/filings", &body).await, 201).await;
    let qingxu = &d.w.qingxu;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(qingxu, &review, &json!({"decision": "return", "reason": "补充材料"})).await, 200).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let correction = json!({
        "machine_ids": body["machine_ids"], "planned_entry_on": body["planned_entry_on"],
        "planned_exit_on": body["planned_exit_on"], "version": f["version"].as_i64().expect("version") + 1,
    });
    let path = format!("/api/v1/filings/{}", id_of(&f));
    let (accepted, resubmitted) = gate::in_order(
        &app,
        act(&app, &d.buyer, &t, "accept", json!({})),
        app.put_as(&d.w.builder, &path, &correction),
    )
    .await;
    expect_status(accepted, 200).await;
    let (status, body) = status_and_body(resubmitted).await;
    if postgres(&app) {
        // It checked the machine before the acceptance committed, and again under the lock.
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("owner_changed")), "{body}");
    } else if status == 200 {
        assert_eq!(left_on(&app, &id_of(&f), &d.machine).await, Some(app.today()));
    } else {
        assert!(status == 409 || status == 422, "{body}");
    }
    // Whatever happened, the returned filing never covers the machine from today on.
    assert_eq!(left_on(&app, &id_of(&f), &d.machine).await, Some(app.today()));
}

async fn two_starts_at_once_leave_one_pending(app: TestApp) {
    let d = deal(&app).await;
    let third_org = app.organization("丙公司").await;
    let path = format!("{}/transfers", machine_path(&d.machine));
    let (to_buyer, to_third) =
        (json!({"buyer_uscc": d.buyer_uscc}), json!({"buyer_uscc": uscc_of(&app, third_org).await}));
    let (a, b) =
        gate::in_order(&app, app.post_as(&d.w.builder, &path, &to_buyer), app.post_as(&d.w.builder, &path, &to_third))
            .await;
    let (a, b) = (status_and_body(a).await, status_and_body(b).await);
    let mut codes = vec![(a.0, a.1["error"]["code"].clone()), (b.0, b.1["error"]["code"].clone())];
    if postgres(&app) {
        // The second passed the check before the first committed: the unique index refused it.
        assert_eq!(a.0, 201, "{}", a.1);
    }
    codes.sort_by_key(|c| c.0);
    assert_eq!(codes, vec![(201, Value::Null), (409, json!("transfer_pending"))]);
    let pending = machine_transfer::Entity::find()
        .filter(machine_transfer::Column::Status.eq("pending"))
        .all(&app.state.db)
        .await
        .expect("db");
    assert_eq!(pending.len(), 1);
}

async fn a_transfer_from_a_former_owner_is_void(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    // What a start racing that acceptance could leave behind before it was fixed: a pending
    // transfer from the seller, who no longer owns the machine.
    let first = machine_transfer::Entity::find_by_id(Uuid::parse_str(&id_of(&t)).expect("uuid"))
        .one(&app.state.db)
        .await
        .expect("db")
        .expect("row");
    let third_org = app.organization("丙公司").await;
    app.user("third.boss", app::auth::Role::ContractorAdmin, None, Some(third_org)).await;
    let third = app.signed_in("third.boss").await;
    let stale_id = Uuid::now_v7();
    machine_transfer::ActiveModel {
        id: Set(stale_id),
        to_organization_id: Set(third_org),
        status: Set(app::transfers::TransferStatus::Pending),
        decided_by: Set(None),
        decided_at: Set(None),
        effective_on: Set(None),
        ..first.clone().into()
    }
    .insert(&app.state.db)
    .await
    .expect("insert");
    let stale = json!({"id": stale_id.to_string()});
    assert_error(act(&app, &third, &stale, "accept", json!({})).await, 409, "owner_changed").await;
    // It is void now, and no longer blocks the real owner.
    assert_eq!(stored_status(&app, &stale).await, "void");
    let seen = expect_status(app.get_as(&third, &format!("/api/v1/transfers/{stale_id}")).await, 200).await;
    assert_eq!(seen["status"], "void");
    let back = start(&app, &d.buyer, &d.machine, json!({"buyer_uscc": uscc_of(&app, third_org).await})).await;
    assert_eq!(back["from"]["id"], json!(d.buyer_org));
    assert_eq!(owner_of(&app, &d).await, json!(d.buyer_org));
}

async fn starts_and_acceptances_at_once_never_leave_a_stale_transfer(app: TestApp) {
    let d = deal(&app).await;
    let third_org = app.organization("丙公司").await;
    let to_third = json!({"buyer_uscc": uscc_of(&app, third_org).await});
    let path = format!("{}/transfers", machine_path(&d.machine));
    // The buyer accepts while the seller, who still sees the machine as its own, starts another.
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let (accepted, started) =
        tokio::join!(act(&app, &d.buyer, &t, "accept", json!({})), app.post_as(&d.w.builder, &path, &to_third));
    expect_status(accepted, 200).await;
    let (status, body) = status_and_body(started).await;
    assert!(status == 404 || status == 409, "{status}: {body}");
    // Every pending transfer is from the machine's owner.
    for p in machine_transfer::Entity::find()
        .filter(machine_transfer::Column::Status.eq("pending"))
        .all(&app.state.db)
        .await
        .expect("db")
    {
        assert_eq!(p.from_organization_id, d.buyer_org);
    }
    // The buyer can offer it on.
    start(&app, &d.buyer, &d.machine, to_third).await;
}

/// The deal with a case open in 小店区 and a pending transfer: the transfer.
async fn awaiting_xiaodian(app: &TestApp, d: &Deal) -> Value {
    super::open_case(app, d).await;
    let t = start(app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    assert_eq!(t["awaiting_permission_from"], json!(["140105"]));
    t
}

async fn a_permission_given_first_lets_the_acceptance_through(app: TestApp) {
    let d = deal(&app).await;
    let t = awaiting_xiaodian(&app, &d).await;
    let (allowed, accepted) = gate::in_order(
        &app,
        act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})),
        act(&app, &d.buyer, &t, "accept", json!({})),
    )
    .await;
    let (a, b) = (status_and_body(allowed).await, status_and_body(accepted).await);
    if postgres(&app) {
        // The acceptance waited for the permission's transaction and saw it.
        assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    } else {
        assert_eq!(a.0, 200, "{}", a.1);
        assert!(b.0 == 200 || b.1["error"]["code"] == "unresolved_case", "{}", b.1);
    }
}

async fn a_permission_after_a_decline_is_refused(app: TestApp) {
    let d = deal(&app).await;
    let t = awaiting_xiaodian(&app, &d).await;
    let (declined, allowed) = gate::in_order(
        &app,
        act(&app, &d.buyer, &t, "decline", json!({"reason": "不要了"})),
        act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})),
    )
    .await;
    expect_status(declined, 200).await;
    let (status, body) = status_and_body(allowed).await;
    if postgres(&app) || status == 409 {
        // It checked the transfer before the decline committed; its first write found it declined,
        // and nothing was written to a transfer that is no longer pending.
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("illegal_transition")), "{body}");
        assert_eq!(body["error"]["details"]["from"], "declined");
        let permissions = app::db::entities::transfer_permission::Entity::find().all(&app.state.db).await.expect("db");
        assert!(permissions.is_empty());
    } else {
        assert_eq!(status, 200, "{body}");
    }
}
