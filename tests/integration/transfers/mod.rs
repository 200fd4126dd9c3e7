//! Ownership transfers: the buyer's administrator accepts and nobody else can; what each unit
//! sees before and after; the seller's filings stop covering the machine (the field look-up no
//! longer shows them); a machine with an unresolved case moves only once its county allows it;
//! notifications, audit rows and every kind of bad input. `races` runs the decisions against
//! each other and against inspections and filings; `history` what each owner sees afterwards.

mod filed;
mod gate;
mod history;
mod races;

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, contractor, create_filing, create_machine, expect_status, id_of, inspector,
};
use crate::inspections::{World, inspect, inspection, registered, world};
use app::auth::Role;
use app::db::entities::{audit_log, organization};
use app::error::{FieldCode, FieldError};
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

db_tests!(
    accepted_by_the_buyer,
    refused_by_anyone_else,
    declined_and_cancelled,
    bad_input,
    a_later_handover_is_accepted_from_its_day,
    scopes_before_and_after,
    the_sellers_filings_end_on_the_transfer_date,
    an_open_case_needs_the_countys_permission,
    a_case_opened_after_the_start_is_checked_at_acceptance,
    notifications_reach_both_units_and_the_county,
    concurrent_accepts_move_the_machine_once,
    two_counties_allow_in_turn_and_again_after_a_newer_case,
);

/// A seller (the world's builder) with a registered machine, a buyer unit and a third unit.
pub(super) struct Deal {
    pub(super) w: World,
    pub(super) machine: Value,
    pub(super) buyer: reqwest::Client,
    pub(super) buyer_org: Uuid,
    pub(super) buyer_uscc: String,
    pub(super) third: reqwest::Client,
}

pub(super) async fn uscc_of(app: &TestApp, org: Uuid) -> String {
    organization::Entity::find_by_id(org).one(&app.state.db).await.expect("db").expect("organization").uscc
}

pub(super) async fn deal(app: &TestApp) -> Deal {
    let w = world(app).await;
    let machine = registered(app, &w, &w.plain_site, 1, json!({})).await;
    let (buyer_org, buyer) = contractor(app, "buyer.admin").await;
    let (_, third) = contractor(app, "third.admin").await;
    Deal { buyer_uscc: uscc_of(app, buyer_org).await, w, machine, buyer, buyer_org, third }
}

pub(super) fn machine_path(m: &Value) -> String {
    format!("/api/v1/machines/{}", id_of(m))
}

/// Starts a transfer of `m` with the seller's client (201 expected).
pub(super) async fn start(app: &TestApp, seller: &reqwest::Client, m: &Value, body: Value) -> Value {
    expect_status(app.post_as(seller, &format!("{}/transfers", machine_path(m)), &body).await, 201).await
}

pub(super) async fn act(
    app: &TestApp,
    client: &reqwest::Client,
    t: &Value,
    verb: &str,
    body: Value,
) -> reqwest::Response {
    app.post_as(client, &format!("/api/v1/transfers/{}/{verb}", id_of(t)), &body).await
}

pub(super) fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(id_of).collect()
}

async fn accepted_by_the_buyer(app: TestApp) {
    let d = deal(&app).await;
    let code = d.machine["registration_code"].clone();
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc, "note": "整机出售"})).await;
    assert_eq!((t["status"].as_str(), t["county_code"].as_str()), (Some("pending"), Some("140105")));
    assert_eq!(t["transfer_on"], json!(app.today()), "defaults to today");
    assert_eq!(t["to"]["uscc"], json!(d.buyer_uscc));
    assert_eq!(t["awaiting_permission_from"], json!([]));
    let incoming = expect_status(app.get_as(&d.buyer, "/api/v1/transfers?direction=incoming").await, 200).await;
    assert_eq!(ids(&incoming), vec![id_of(&t)]);
    let outgoing = expect_status(app.get_as(&d.buyer, "/api/v1/transfers?direction=outgoing").await, 200).await;
    assert!(ids(&outgoing).is_empty());
    // Until it is accepted the machine stays the seller's.
    assert_error(app.get_as(&d.buyer, &machine_path(&d.machine)).await, 404, "not_found").await;

    let done = expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    assert_eq!((done["status"].as_str(), done["effective_on"].clone()), (Some("accepted"), json!(app.today())));
    // The machine is the buyer's, with its code and label; the seller no longer sees or edits it.
    let m = expect_status(app.get_as(&d.buyer, &machine_path(&d.machine)).await, 200).await;
    assert_eq!((m["registration_code"].clone(), m["organization_id"].clone()), (code, json!(d.buyer_org)));
    let label = app.get_as(&d.buyer, &format!("{}/label.svg", machine_path(&d.machine))).await;
    assert_eq!(label.status(), 200);
    assert_error(app.get_as(&d.w.builder, &machine_path(&d.machine)).await, 404, "not_found").await;
    let patch = json!({"version": m["version"], "name": "改名"});
    assert_error(app.patch_as(&d.w.builder, &machine_path(&d.machine), &patch).await, 404, "not_found").await;
    let fleet = expect_status(app.get_as(&d.w.builder, "/api/v1/machines").await, 200).await;
    assert!(!ids(&fleet).contains(&id_of(&d.machine)), "gone from the seller's fleet");
    let fleet = expect_status(app.get_as(&d.buyer, "/api/v1/machines").await, 200).await;
    assert_eq!(ids(&fleet), vec![id_of(&d.machine)]);
    // The buyer may edit it; the seller may not file it any more.
    let patch = json!({"version": m["version"], "name": "乙方挖掘机"});
    expect_status(app.patch_as(&d.buyer, &machine_path(&d.machine), &patch).await, 200).await;
    let today = app.today();
    let refiled = json!({"site_id": d.w.plain_site["id"], "machine_ids": [d.machine["id"]], "planned_entry_on": today, "planned_exit_on": today + Duration::days(5)});
    let body =
        assert_error(app.post_as(&d.w.builder, "/api/v1/filings", &refiled).await, 422, "validation_failed").await;
    assert_field(&body, "machine_ids", &FieldError::new(FieldCode::UnknownMachine));
    // Who owned it when: the seller until today, the buyer since.
    let owners = expect_status(app.get_as(&d.buyer, &format!("{}/owners", machine_path(&d.machine))).await, 200).await;
    let owners = owners.as_array().expect("owners");
    assert_eq!(owners.len(), 2);
    assert_eq!(
        (owners[0]["organization_name"].as_str(), owners[0]["until"].clone()),
        (Some("insp.builder"), json!(today))
    );
    assert_eq!(
        (owners[1]["organization_name"].as_str(), owners[1]["until"].clone()),
        (Some("buyer.admin"), Value::Null)
    );
    assert_eq!(owners[1]["transfer_id"], json!(id_of(&t)));
    // The audit log holds the owner change with before and after.
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id_of(&d.machine)))
        .filter(audit_log::Column::Action.eq("update"))
        .all(&app.state.db)
        .await
        .expect("rows");
    let moved = rows.iter().find(|r| r.after.as_deref().is_some_and(|a| a.contains("transfer_id"))).expect("owner row");
    let (before, after): (Value, Value) = (
        serde_json::from_str(moved.before.as_deref().expect("before")).expect("json"),
        serde_json::from_str(moved.after.as_deref().expect("after")).expect("json"),
    );
    assert_ne!(before["organization_id"], after["organization_id"]);
    assert_eq!(after["organization_id"], json!(d.buyer_org));
}

async fn refused_by_anyone_else(app: TestApp) {
    let d = deal(&app).await;
    let seller_org = expect_status(app.get_as(&d.w.builder, "/api/v1/auth/me").await, 200).await["organization_id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("org");
    app.user("seller.staff", Role::ContractorStaff, None, Some(seller_org)).await;
    let seller_staff = app.signed_in("seller.staff").await;
    app.user("buyer.staff", Role::ContractorStaff, None, Some(d.buyer_org)).await;
    let buyer_staff = app.signed_in("buyer.staff").await;
    let body = json!({"buyer_uscc": d.buyer_uscc});
    let start_path = format!("{}/transfers", machine_path(&d.machine));
    // Only the owning unit's administrator starts one.
    assert_error(app.post_as(&seller_staff, &start_path, &body).await, 403, "forbidden").await;
    assert_error(app.post_as(&d.w.xiaodian, &start_path, &body).await, 403, "forbidden").await;
    assert_error(app.post_as(&d.third, &start_path, &body).await, 404, "not_found").await;
    assert_error(app.post_as(&d.buyer, &start_path, &body).await, 404, "not_found").await;
    let t = start(&app, &d.w.builder, &d.machine, body).await;
    let path = format!("/api/v1/transfers/{}", id_of(&t));
    // Only the buyer's administrator accepts.
    assert_error(act(&app, &d.w.builder, &t, "accept", json!({})).await, 403, "forbidden").await;
    assert_error(act(&app, &seller_staff, &t, "accept", json!({})).await, 403, "forbidden").await;
    assert_error(act(&app, &buyer_staff, &t, "accept", json!({})).await, 403, "forbidden").await;
    assert_error(act(&app, &d.w.xiaodian, &t, "accept", json!({})).await, 403, "forbidden").await;
    app.user("root.t", Role::Sysadmin, None, None).await;
    let root = app.signed_in("root.t").await;
    assert_error(act(&app, &root, &t, "accept", json!({})).await, 403, "forbidden").await;
    assert_error(act(&app, &d.third, &t, "accept", json!({})).await, 404, "not_found").await;
    assert_error(app.get_as(&d.third, &path).await, 404, "not_found").await;
    assert_error(app.get_as(&d.w.qingxu, &path).await, 404, "not_found").await;
    // The buyer cannot withdraw it, the seller cannot decline it, staff read but never act.
    assert_error(act(&app, &d.buyer, &t, "cancel", json!({})).await, 403, "forbidden").await;
    assert_error(act(&app, &d.w.builder, &t, "decline", json!({"reason": "x"})).await, 403, "forbidden").await;
    expect_status(app.get_as(&buyer_staff, &path).await, 200).await;
    expect_status(app.get_as(&d.w.xiaodian, &path).await, 200).await;
    let listed = expect_status(app.get_as(&d.w.xiaodian, "/api/v1/transfers").await, 200).await;
    assert_eq!(ids(&listed), vec![id_of(&t)], "the issuing county sees it");
    let listed = expect_status(app.get_as(&d.third, "/api/v1/transfers").await, 200).await;
    assert!(ids(&listed).is_empty());
    // Nothing moved.
    expect_status(app.get_as(&d.w.builder, &machine_path(&d.machine)).await, 200).await;
    assert_eq!(expect_status(app.get_as(&d.w.builder, &path).await, 200).await["status"], "pending");
}

async fn declined_and_cancelled(app: TestApp) {
    let d = deal(&app).await;
    let body = json!({"buyer_uscc": d.buyer_uscc});
    let t = start(&app, &d.w.builder, &d.machine, body.clone()).await;
    let empty =
        assert_error(act(&app, &d.buyer, &t, "decline", json!({"reason": "  "})).await, 422, "validation_failed").await;
    assert_field(&empty, "reason", &FieldError::new(FieldCode::Required));
    let declined = expect_status(act(&app, &d.buyer, &t, "decline", json!({"reason": "价格未谈妥"})).await, 200).await;
    assert_eq!(
        (declined["status"].as_str(), declined["decline_reason"].as_str()),
        (Some("declined"), Some("价格未谈妥"))
    );
    let conflict = assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "illegal_transition").await;
    assert_eq!(conflict["error"]["details"]["from"], "declined");
    assert_error(act(&app, &d.w.builder, &t, "cancel", json!({})).await, 409, "illegal_transition").await;
    // A declined offer may be made again, and withdrawn.
    let again = start(&app, &d.w.builder, &d.machine, body).await;
    let cancelled = expect_status(act(&app, &d.w.builder, &again, "cancel", json!({})).await, 200).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_error(act(&app, &d.buyer, &again, "accept", json!({})).await, 409, "illegal_transition").await;
    expect_status(app.get_as(&d.w.builder, &machine_path(&d.machine)).await, 200).await;
    let list = expect_status(app.get_as(&d.w.builder, "/api/v1/transfers?status=cancelled").await, 200).await;
    assert_eq!(ids(&list), vec![id_of(&again)]);
}

async fn bad_input(app: TestApp) {
    let d = deal(&app).await;
    let path = format!("{}/transfers", machine_path(&d.machine));
    let unknown = app::orgs::Uscc::with_check_char("91140100M00000001").expect("uscc").to_string();
    let body =
        assert_error(app.post_as(&d.w.builder, &path, &json!({"buyer_uscc": unknown})).await, 422, "validation_failed")
            .await;
    assert_field(&body, "buyer_uscc", &FieldError::new(FieldCode::UnknownOrganization));
    let mut typo = d.buyer_uscc.clone();
    let last = typo.pop().expect("char");
    typo.push(if last == '0' { '1' } else { '0' });
    let body =
        assert_error(app.post_as(&d.w.builder, &path, &json!({"buyer_uscc": typo})).await, 422, "validation_failed")
            .await;
    assert_eq!(body["error"]["fields"]["buyer_uscc"].as_array().map(Vec::len), Some(1));
    let own = uscc_of(
        &app,
        expect_status(app.get_as(&d.w.builder, "/api/v1/auth/me").await, 200).await["organization_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok())
            .expect("org"),
    )
    .await;
    let body =
        assert_error(app.post_as(&d.w.builder, &path, &json!({"buyer_uscc": own})).await, 422, "validation_failed")
            .await;
    assert_field(&body, "buyer_uscc", &FieldError::new(FieldCode::OwnOrganization));
    let past = json!({"buyer_uscc": d.buyer_uscc, "transfer_on": app.today() - Duration::days(1)});
    let body = assert_error(app.post_as(&d.w.builder, &path, &past).await, 422, "validation_failed").await;
    assert_field(&body, "transfer_on", &FieldError::new(FieldCode::InThePast));
    let long = json!({"buyer_uscc": d.buyer_uscc, "note": "字".repeat(1001)});
    assert_error(app.post_as(&d.w.builder, &path, &long).await, 422, "validation_failed").await;
    assert_error(app.post_as(&d.w.builder, &path, &json!({"note": "x"})).await, 400, "malformed").await;
    // An unregistered machine: the buyer can simply register it itself.
    let fresh = create_machine(&app, &d.w.builder, 2).await;
    let resp = app
        .post_as(&d.w.builder, &format!("{}/transfers", machine_path(&fresh)), &json!({"buyer_uscc": d.buyer_uscc}))
        .await;
    assert_error(resp, 409, "not_registered").await;
    // One pending transfer per machine.
    start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let third_org = app.organization("丙公司").await;
    let other = json!({"buyer_uscc": uscc_of(&app, third_org).await});
    assert_error(app.post_as(&d.w.builder, &path, &other).await, 409, "transfer_pending").await;
    let none = format!("/api/v1/transfers/{}/accept", Uuid::now_v7());
    assert_error(app.post_as(&d.buyer, &none, &json!({})).await, 404, "not_found").await;
    assert_error(app.get_as(&d.buyer, "/api/v1/transfers/not-a-uuid").await, 404, "not_found").await;
}

async fn a_later_handover_is_accepted_from_its_day(app: TestApp) {
    let d = deal(&app).await;
    let day = app.today() + Duration::days(1);
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc, "transfer_on": day})).await;
    let early = assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "transfer_not_due").await;
    assert_eq!(early["error"]["details"]["transfer_on"], json!(day.to_string()));
    app.clock.advance(Duration::days(1));
    let buyer = app.signed_in("buyer.admin").await;
    let done = expect_status(act(&app, &buyer, &t, "accept", json!({})).await, 200).await;
    assert_eq!(done["effective_on"], json!(day));
}

async fn scopes_before_and_after(app: TestApp) {
    let d = deal(&app).await;
    let site = &d.w.plain_site;
    let before = inspect(&app, &d.w.xiaodian, &inspection(&app, site, &d.machine, &[0.5, 0.5, 0.5])).await;
    let seller_filings = expect_status(app.get_as(&d.w.builder, "/api/v1/filings").await, 200).await;
    let filing_id = ids(&seller_filings).pop().expect("the seller's filing");
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    app.clock.advance(Duration::minutes(5));
    // After the transfer: an inspection at the seller's site, and one at the buyer's.
    let buyer_site = expect_status(
        app.post_as(&d.buyer, "/api/v1/sites", &crate::helpers::site_input(&app, "乙方工地", "140105")).await,
        201,
    )
    .await;
    let failed = inspect(&app, &d.w.xiaodian, &inspection(&app, &buyer_site, &d.machine, &[2.0, 2.0, 2.0])).await;
    let case_after = failed["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    let at_sellers_site = inspect(&app, &d.w.xiaodian, &inspection(&app, site, &d.machine, &[0.5, 0.5, 0.5])).await;
    let mid = id_of(&d.machine);
    let list = |client: &reqwest::Client, what: &str| {
        let path = format!("/api/v1/{what}?machine_id={mid}");
        let client = client.clone();
        let app = &app;
        async move { ids(&expect_status(app.get_as(&client, &path).await, 200).await) }
    };
    // The buyer sees the machine's whole record; the seller what came before, and what happens
    // on its own site afterwards (as for any machine there).
    assert_eq!(list(&d.buyer, "inspections").await, vec![id_of(&at_sellers_site), id_of(&failed), id_of(&before)]);
    assert_eq!(list(&d.buyer, "cases").await, vec![case_after.clone()]);
    assert_eq!(list(&d.w.builder, "inspections").await, vec![id_of(&at_sellers_site), id_of(&before)]);
    assert!(list(&d.w.builder, "cases").await.is_empty());
    expect_status(app.get_as(&d.buyer, &format!("/api/v1/inspections/{}", id_of(&before))).await, 200).await;
    assert_error(app.get_as(&d.w.builder, &format!("/api/v1/inspections/{}", id_of(&failed))).await, 404, "not_found")
        .await;
    assert_error(app.get_as(&d.w.builder, &format!("/api/v1/cases/{case_after}")).await, 404, "not_found").await;
    // The filing stays the seller's record: the buyer never sees it.
    expect_status(app.get_as(&d.w.builder, &format!("/api/v1/filings/{filing_id}")).await, 200).await;
    assert_error(app.get_as(&d.buyer, &format!("/api/v1/filings/{filing_id}")).await, 404, "not_found").await;
    // A third unit sees none of it.
    assert!(list(&d.third, "inspections").await.is_empty());
    // The county still sees the machine (through the filings of its county).
    expect_status(app.get_as(&d.w.xiaodian, &machine_path(&d.machine)).await, 200).await;
}

async fn the_sellers_filings_end_on_the_transfer_date(app: TestApp) {
    let d = deal(&app).await;
    let today = app.today();
    let code = d.machine["registration_code"].as_str().expect("code").to_owned();
    let lookup = format!("/api/v1/machines/lookup?code={code}");
    let seen = expect_status(app.get_as(&d.w.xiaodian, &lookup).await, 200).await;
    assert_eq!(seen["status"], "registered_filed_here");
    let seller_filing = seen["current_filing"]["id"].as_str().expect("filing").to_owned();
    let public = format!("/api/v1/public/machines/{code}");
    assert_eq!(expect_status(app.get(&public).await, 200).await["status"], "registered_on_site");
    // A later filing of the seller at another site loses the machine too; a closed one does not.
    let other_site = crate::helpers::create_site(&app, &d.w.builder, "甲方二号工地", "140121").await;
    let done = create_filing(
        &app,
        &d.w.builder,
        &other_site["id"],
        &[&d.machine["id"]],
        today + Duration::days(60),
        today + Duration::days(70),
    )
    .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&done));
    expect_status(app.post_as(&d.w.qingxu, &review, &json!({"decision": "accept"})).await, 200).await;
    let close = format!("/api/v1/filings/{}/close", id_of(&done));
    assert_eq!(expect_status(app.post_as(&d.w.builder, &close, &json!({})).await, 200).await["status"], "closed");
    let later = create_filing(
        &app,
        &d.w.builder,
        &other_site["id"],
        &[&d.machine["id"]],
        today + Duration::days(40),
        today + Duration::days(50),
    )
    .await;
    let enter = json!({"machine_id": d.machine["id"], "kind": "enter", "at": app.clock.now() - Duration::minutes(30)});
    let mv = format!("/api/v1/filings/{seller_filing}/movements");
    expect_status(app.post_as(&d.w.builder, &mv, &enter).await, 201).await;

    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    // The look-up no longer shows the seller's filing; the owner is the buyer.
    let seen = expect_status(app.get_as(&d.w.xiaodian, &lookup).await, 200).await;
    assert_eq!(seen["status"], "registered_not_filed_here");
    assert_eq!(seen["current_filing"], Value::Null);
    assert_eq!(seen["owner"]["uscc"], json!(d.buyer_uscc));
    assert_eq!(expect_status(app.get(&public).await, 200).await["status"], "registered");
    let closed = expect_status(app.get_as(&d.w.builder, &format!("/api/v1/filings/{}", id_of(&done))).await, 200).await;
    assert_eq!((closed["status"].as_str(), &closed["machines"][0]["left_on"]), (Some("closed"), &Value::Null));
    let untouched = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id_of(&done)))
        .filter(audit_log::Column::Action.eq("update"))
        .all(&app.state.db)
        .await
        .expect("rows");
    assert!(untouched.is_empty(), "no audit row for the closed filing");
    // Both filings show the day the machine left them; the filing itself is unchanged.
    for id in [seller_filing.clone(), id_of(&later)] {
        let f = expect_status(app.get_as(&d.w.builder, &format!("/api/v1/filings/{id}")).await, 200).await;
        assert_eq!(f["machines"][0]["left_on"], json!(today), "{f}");
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::EntityId.eq(id.clone()))
            .filter(audit_log::Column::Action.eq("update"))
            .all(&app.state.db)
            .await
            .expect("rows");
        assert_eq!(rows.len(), 1, "one audit row for the filing the machine left");
    }
    let f = expect_status(app.get_as(&d.w.builder, &format!("/api/v1/filings/{seller_filing}")).await, 200).await;
    assert_eq!(f["status"], "accepted");
    // The seller may still record the machine leaving, never entering again.
    let exit = json!({"machine_id": d.machine["id"], "kind": "exit", "at": app.clock.now() - Duration::minutes(1)});
    expect_status(app.post_as(&d.w.builder, &mv, &exit).await, 201).await;
    let enter = json!({"machine_id": d.machine["id"], "kind": "enter", "at": app.clock.now()});
    let body = assert_error(app.post_as(&d.w.builder, &mv, &enter).await, 422, "validation_failed").await;
    assert_field(&body, "machine_id", &FieldError::new(FieldCode::LeftFiling));
    // The buyer files it for its own site from today: no overlap with the seller's filing.
    let site = crate::helpers::create_site(&app, &d.buyer, "乙方工地", "140105").await;
    let f = create_filing(&app, &d.buyer, &site["id"], &[&d.machine["id"]], today, today + Duration::days(20)).await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&d.w.xiaodian, &review, &json!({"decision": "accept"})).await, 200).await;
    let seen = expect_status(app.get_as(&d.w.xiaodian, &lookup).await, 200).await;
    assert_eq!(
        (seen["status"].as_str(), seen["current_filing"]["id"].clone()),
        (Some("registered_filed_here"), json!(id_of(&f)))
    );
}

/// A failing inspection of the deal's machine at the world's plain site: the case it opened.
pub(super) async fn open_case(app: &TestApp, d: &Deal) -> String {
    let failed = inspect(app, &d.w.xiaodian, &inspection(app, &d.w.plain_site, &d.machine, &[2.0, 2.0, 2.0])).await;
    failed["opened_cases"][0]["id"].as_str().expect("case").to_owned()
}

async fn an_open_case_needs_the_countys_permission(app: TestApp) {
    let d = deal(&app).await;
    let case = open_case(&app, &d).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    assert_eq!(t["awaiting_permission_from"], json!(["140105"]));
    let refused = assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "unresolved_case").await;
    assert_eq!(refused["error"]["details"]["counties"], "140105");
    // Only an inspector of the case's county allows it, with a reason.
    assert_error(act(&app, &d.w.qingxu, &t, "allow", json!({"reason": "x"})).await, 404, "not_found").await;
    assert_error(act(&app, &d.w.builder, &t, "allow", json!({"reason": "x"})).await, 403, "forbidden").await;
    let body =
        assert_error(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": ""})).await, 422, "validation_failed")
            .await;
    assert_field(&body, "reason", &FieldError::new(FieldCode::Required));
    let allowed = expect_status(
        act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "整改方案已备案，由受让方落实"})).await,
        200,
    )
    .await;
    assert_eq!(allowed["awaiting_permission_from"], json!([]));
    assert_eq!(allowed["permissions"][0]["county_code"], "140105");
    assert_error(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "再次"})).await, 409, "already_allowed").await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    // The case stays with the seller as the owner at the time; both units see it.
    expect_status(app.get_as(&d.w.builder, &format!("/api/v1/cases/{case}")).await, 200).await;
    let seen = expect_status(app.get_as(&d.buyer, &format!("/api/v1/cases/{case}")).await, 200).await;
    assert_eq!(seen["organization_name"], "insp.builder");
    let qingxu_only = inspector(&app, "qingxu.other", "140121").await;
    assert_error(act(&app, &qingxu_only, &t, "allow", json!({"reason": "x"})).await, 404, "not_found").await;
}

async fn a_case_opened_after_the_start_is_checked_at_acceptance(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    assert_eq!(t["awaiting_permission_from"], json!([]));
    // The issuing county has nothing to allow while no case is open.
    assert_error(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "x"})).await, 409, "nothing_to_allow").await;
    assert!(!kinds(&app, &d.w.xiaodian).await.contains(&"transfer_needs_permission".to_owned()));
    open_case(&app, &d).await;
    // The county whose first case opened after the start hears that its permission is needed.
    assert!(kinds(&app, &d.w.xiaodian).await.contains(&"transfer_needs_permission".to_owned()));
    assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "unresolved_case").await;
    let t = expect_status(app.get_as(&d.buyer, &format!("/api/v1/transfers/{}", id_of(&t))).await, 200).await;
    assert_eq!((t["status"].as_str(), t["awaiting_permission_from"].clone()), (Some("pending"), json!(["140105"])));
    expect_status(app.get_as(&d.w.builder, &machine_path(&d.machine)).await, 200).await;
    expect_status(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
}

/// The kinds of the notifications a client has.
pub(super) async fn kinds(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let page = expect_status(app.get_as(client, "/api/v1/notifications").await, 200).await;
    page["items"].as_array().expect("items").iter().map(|n| n["kind"].as_str().expect("kind").to_owned()).collect()
}

async fn notifications_reach_both_units_and_the_county(app: TestApp) {
    let d = deal(&app).await;
    let case = open_case(&app, &d).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    assert!(kinds(&app, &d.buyer).await.contains(&"transfer_requested".to_owned()));
    let county = kinds(&app, &d.w.xiaodian).await;
    assert!(county.contains(&"transfer_needs_permission".to_owned()), "{county:?}");
    let note = expect_status(app.get_as(&d.buyer, "/api/v1/notifications").await, 200).await;
    assert_eq!(note["items"][0]["link"], json!(format!("/transfers/{}", id_of(&t))));
    expect_status(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    assert!(kinds(&app, &d.w.builder).await.contains(&"transfer_allowed".to_owned()));
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    for client in [&d.w.builder, &d.buyer, &d.w.xiaodian] {
        assert!(kinds(&app, client).await.contains(&"transfer_accepted".to_owned()));
    }
    assert!(!kinds(&app, &d.w.qingxu).await.iter().any(|k| k.starts_with("transfer_")));
    assert!(kinds(&app, &d.third).await.is_empty());
    let sent = app.outbox.sent();
    assert!(sent.iter().any(|m| m.recipient.username == "buyer.admin" && m.body.contains("/transfers/")));
    // Declined and withdrawn offers reach the other side (the buyer now offers it back).
    let seller_uscc = uscc_of(&app, Uuid::parse_str(t["from"]["id"].as_str().expect("id")).expect("uuid")).await;
    let back = start(&app, &d.buyer, &d.machine, json!({"buyer_uscc": seller_uscc})).await;
    assert_eq!(back["awaiting_permission_from"], json!(["140105"]), "the case {case} is still open");
    expect_status(act(&app, &d.w.builder, &back, "decline", json!({"reason": "不要"})).await, 200).await;
    assert!(kinds(&app, &d.buyer).await.contains(&"transfer_declined".to_owned()));
    let again = start(&app, &d.buyer, &d.machine, json!({"buyer_uscc": seller_uscc})).await;
    expect_status(act(&app, &d.buyer, &again, "cancel", json!({})).await, 200).await;
    assert!(kinds(&app, &d.w.builder).await.contains(&"transfer_cancelled".to_owned()));
}

async fn concurrent_accepts_move_the_machine_once(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let other = app.signed_in("buyer.admin").await;
    let (a, b) = tokio::join!(act(&app, &d.buyer, &t, "accept", json!({})), act(&app, &other, &t, "accept", json!({})));
    let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityId.eq(id_of(&t)))
        .filter(audit_log::Column::Action.eq("accept"))
        .all(&app.state.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    let m = expect_status(app.get_as(&d.buyer, &machine_path(&d.machine)).await, 200).await;
    assert_eq!(m["version"], json!(d.machine["version"].as_i64().expect("version") + 1));
}

async fn two_counties_allow_in_turn_and_again_after_a_newer_case(app: TestApp) {
    let d = deal(&app).await;
    open_case(&app, &d).await;
    let qingxu_site = crate::helpers::create_site(&app, &d.w.builder, "甲方清徐工地", "140121").await;
    inspect(&app, &d.w.qingxu, &inspection(&app, &qingxu_site, &d.machine, &[2.0, 2.0, 2.0])).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    assert_eq!(t["awaiting_permission_from"], json!(["140105", "140121"]));
    assert!(kinds(&app, &d.w.qingxu).await.contains(&"transfer_needs_permission".to_owned()));
    let first = expect_status(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    assert_eq!(first["awaiting_permission_from"], json!(["140121"]));
    let refused = assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "unresolved_case").await;
    assert_eq!(refused["error"]["details"]["counties"], "140121");
    let second = expect_status(act(&app, &d.w.qingxu, &t, "allow", json!({"reason": "同意"})).await, 200).await;
    assert_eq!(second["awaiting_permission_from"], json!([]));
    assert_error(act(&app, &d.w.qingxu, &t, "allow", json!({"reason": "再次"})).await, 409, "already_allowed").await;
    // A newer case in 小店区: its permission covered only the cases open then. Its inspectors hear
    // of it (the county had allowed, so this is news), and must allow again.
    app.clock.advance(Duration::minutes(1));
    let xiaodian_before = kinds(&app, &d.w.xiaodian).await.iter().filter(|k| *k == "transfer_needs_permission").count();
    open_case(&app, &d).await;
    let xiaodian_after = kinds(&app, &d.w.xiaodian).await.iter().filter(|k| *k == "transfer_needs_permission").count();
    assert_eq!(xiaodian_after, xiaodian_before + 1);
    let path = format!("/api/v1/transfers/{}", id_of(&t));
    assert_eq!(
        expect_status(app.get_as(&d.buyer, &path).await, 200).await["awaiting_permission_from"],
        json!(["140105"])
    );
    assert_error(act(&app, &d.buyer, &t, "accept", json!({})).await, 409, "unresolved_case").await;
    app.clock.advance(Duration::minutes(1));
    let again =
        expect_status(act(&app, &d.w.xiaodian, &t, "allow", json!({"reason": "新案件已知悉"})).await, 200).await;
    assert_eq!(again["awaiting_permission_from"], json!([]));
    let reasons: Vec<&str> =
        again["permissions"].as_array().expect("permissions").iter().filter_map(|p| p["reason"].as_str()).collect();
    assert!(reasons.contains(&"新案件已知悉"), "{reasons:?}");
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
}
