//! Transfers and filings by the clock: the China day turning at 16:00 UTC, the buyer filing from
//! its first day only (never learning of the seller's filings), the seller's filings still in
//! review, a resubmission keeping the day a machine left, entries recorded late, and the name
//! both sides agreed on.

use super::{act, deal, ids, machine_path, start};
use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, assert_field, create_filing, create_machine, create_site, expect_status, id_of,
};
use app::error::{FieldCode, FieldError};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

db_tests!(
    the_day_turns_at_16_utc,
    the_buyer_files_from_the_day_it_took_over,
    the_sellers_filings_in_review_go_on_without_the_machine,
    a_resubmission_keeps_the_day_a_machine_left,
    an_entry_before_the_acceptance_is_still_recorded,
    the_transfer_keeps_the_name_it_was_offered_under,
    a_machine_handed_back_is_not_filed_where_it_left,
);

/// Sets the app clock to `at` (or a moment after: the clock keeps whole milliseconds).
fn set_clock(app: &TestApp, at: DateTime<Utc>) {
    app.clock.advance(at - app.clock.now() + Duration::milliseconds(1));
}

async fn filing(app: &TestApp, client: &reqwest::Client, id: &str) -> Value {
    expect_status(app.get_as(client, &format!("/api/v1/filings/{id}")).await, 200).await
}

/// The `left_on` of `machine` on a filing as shown.
fn left_on(f: &Value, machine: &Value) -> Value {
    let m = f["machines"].as_array().expect("machines").iter().find(|m| m["id"] == machine["id"]).expect("machine");
    m["left_on"].clone()
}

async fn the_day_turns_at_16_utc(app: TestApp) {
    let d = deal(&app).await;
    // 23:58 in China: a handover named for tomorrow.
    let now = app.clock.now();
    let mut evening = now.date_naive().and_hms_opt(15, 58, 0).expect("time").and_utc();
    if evening <= now {
        evening += Duration::days(1);
    }
    set_clock(&app, evening);
    let (seller, buyer, county) =
        (app.signed_in("insp.builder").await, app.signed_in("buyer.admin").await, app.signed_in("xiaodian.i").await);
    let day = app.today();
    let next = day + Duration::days(1);
    let t = start(&app, &seller, &d.machine, json!({"buyer_uscc": d.buyer_uscc, "transfer_on": next})).await;
    let code = d.machine["registration_code"].as_str().expect("code").to_owned();
    let lookup = format!("/api/v1/machines/lookup?code={code}");
    // 23:59: not due yet; the seller's filing still covers the machine.
    set_clock(&app, evening + Duration::minutes(1));
    let early = assert_error(act(&app, &buyer, &t, "accept", json!({})).await, 409, "transfer_not_due").await;
    assert_eq!(early["error"]["details"]["transfer_on"], json!(next.to_string()));
    let seen = expect_status(app.get_as(&county, &lookup).await, 200).await;
    assert_eq!(seen["status"], "registered_filed_here");
    let seller_filing = seen["current_filing"]["id"].as_str().expect("filing").to_owned();
    // 00:00 in China: due; the new day is the buyer's first and the seller's filing's end.
    set_clock(&app, evening + Duration::minutes(2));
    assert_eq!(app.today(), next);
    let done = expect_status(act(&app, &buyer, &t, "accept", json!({})).await, 200).await;
    assert_eq!(done["effective_on"], json!(next));
    assert_eq!(left_on(&filing(&app, &seller, &seller_filing).await, &d.machine), json!(next));
    let seen = expect_status(app.get_as(&county, &lookup).await, 200).await;
    assert_eq!((seen["status"].as_str(), &seen["current_filing"]), (Some("registered_not_filed_here"), &Value::Null));
    assert_eq!(seen["owner"]["uscc"], json!(d.buyer_uscc));
    // The seller's filing, still planned for later days, ended for this machine the day before.
    assert_eq!((seen["standing"].as_str(), &seen["ended_on"]), (Some("filing_ended"), &json!(day)));
    assert_eq!(seen["other_filing"]["id"], json!(seller_filing));
    // The buyer may file it from the new day, not from the old one.
    let site = create_site(&app, &buyer, "乙方工地", "140105").await;
    let body = json!({"site_id": site["id"], "machine_ids": [d.machine["id"]], "planned_entry_on": day, "planned_exit_on": next});
    let refused = assert_error(app.post_as(&buyer, "/api/v1/filings", &body).await, 422, "validation_failed").await;
    assert_eq!(refused["error"]["fields"]["planned_entry_on"].as_array().map(Vec::len), Some(1));
    create_filing(&app, &buyer, &site["id"], &[&d.machine["id"]], next, next + Duration::days(3)).await;
}

async fn the_buyer_files_from_the_day_it_took_over(app: TestApp) {
    let d = deal(&app).await;
    let today = app.today();
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    let seller_filings = expect_status(app.get_as(&d.w.builder, "/api/v1/filings").await, 200).await;
    let seller_filing = ids(&seller_filings).pop().expect("the seller's filing");
    let site = create_site(&app, &d.buyer, "乙方工地", "140121").await;
    // Days before it owned the machine: refused on the entry date, saying from when.
    let body = json!({
        "site_id": site["id"], "machine_ids": [d.machine["id"]],
        "planned_entry_on": today - Duration::days(3), "planned_exit_on": today + Duration::days(3),
    });
    for path in ["/api/v1/filings", "/api/v1/filings/precheck"] {
        let refused = assert_error(app.post_as(&d.buyer, path, &body).await, 422, "validation_failed").await;
        let name = d.machine["name"].as_str().expect("name");
        assert_field(
            &refused,
            "planned_entry_on",
            &FieldError::new(FieldCode::BeforeOwnership).with("machine", name).with("from", today),
        );
        // Nothing of the seller's filing (its id, site or dates) reaches the buyer.
        let text = refused.to_string();
        assert!(!text.contains(&seller_filing) && !text.contains("小店区外围工地"), "{text}");
    }
    let f = create_filing(&app, &d.buyer, &site["id"], &[&d.machine["id"]], today, today + Duration::days(3)).await;
    assert_eq!(f["status"], "submitted");
}

async fn the_sellers_filings_in_review_go_on_without_the_machine(app: TestApp) {
    let d = deal(&app).await;
    let today = app.today();
    let site = &d.w.plain_site["id"];
    // Two more filings of the seller with the machine and a new one: one submitted, one returned.
    let fresh = create_machine(&app, &d.w.builder, 3).await;
    let machines = [&d.machine["id"], &fresh["id"]];
    let submitted =
        create_filing(&app, &d.w.builder, site, &machines, today - Duration::days(1), today + Duration::days(10)).await;
    let returned = create_filing(&app, &d.w.builder, site, &machines, today, today + Duration::days(10)).await;
    let review = |f: &Value| format!("/api/v1/filings/{}/review", id_of(f));
    let back = json!({"decision": "return", "reason": "补充照片"});
    expect_status(app.post_as(&d.w.xiaodian, &review(&returned), &back).await, 200).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    // The buyer files it at its site from today, and the county accepts that.
    let buyer_site = create_site(&app, &d.buyer, "乙方工地", "140105").await;
    let theirs =
        create_filing(&app, &d.buyer, &buyer_site["id"], &[&d.machine["id"]], today, today + Duration::days(20)).await;
    expect_status(app.post_as(&d.w.xiaodian, &review(&theirs), &json!({"decision": "accept"})).await, 200).await;
    // The seller's submitted filing is accepted: it covered the machine only on the day before
    // it left, when the buyer's filing did not run; the new machine gets its code.
    let accepted =
        expect_status(app.post_as(&d.w.xiaodian, &review(&submitted), &json!({"decision": "accept"})).await, 200).await;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(left_on(&accepted, &d.machine), json!(today));
    assert_eq!(left_on(&accepted, &fresh), Value::Null);
    let fresh_now = expect_status(app.get_as(&d.w.builder, &machine_path(&fresh)).await, 200).await;
    assert!(fresh_now["registration_code"].is_string());
    // The machine that left is no longer the seller's to correct: its pre-checks are gone, and
    // the returned filing goes back without it (with it, it is not the seller's machine).
    let f = filing(&app, &d.w.builder, &id_of(&returned)).await;
    assert_eq!(left_on(&f, &d.machine), json!(today));
    let machine_id = d.machine["id"].as_str().expect("id");
    let prechecks = f["prechecks"].as_array().expect("prechecks");
    assert!(prechecks.iter().all(|p| p["machine_id"] != machine_id), "{f}");
    assert!(prechecks.iter().any(|p| p["machine_id"] == fresh["id"]), "the machine that stays is checked: {f}");
    let resubmit = format!("/api/v1/filings/{}", id_of(&returned));
    let with_it = json!({"machine_ids": machines, "planned_entry_on": today, "planned_exit_on": today + Duration::days(10), "version": f["version"]});
    let body = assert_error(app.put_as(&d.w.builder, &resubmit, &with_it).await, 422, "validation_failed").await;
    assert_field(&body, "machine_ids", &FieldError::new(FieldCode::UnknownMachine));
    let without = json!({"machine_ids": [fresh["id"]], "planned_entry_on": today, "planned_exit_on": today + Duration::days(10), "version": f["version"]});
    let again = expect_status(app.put_as(&d.w.builder, &resubmit, &without).await, 200).await;
    assert_eq!(again["machines"].as_array().map(Vec::len), Some(1));
}

async fn a_resubmission_keeps_the_day_a_machine_left(app: TestApp) {
    let d = deal(&app).await;
    let today = app.today();
    let f = create_filing(
        &app,
        &d.w.builder,
        &d.w.plain_site["id"],
        &[&d.machine["id"]],
        today,
        today + Duration::days(10),
    )
    .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&d.w.xiaodian, &review, &json!({"decision": "return", "reason": "日期有误"})).await, 200)
        .await;
    // The machine goes to the buyer and comes back the same day.
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    let seller_uscc =
        super::uscc_of(&app, uuid::Uuid::parse_str(t["from"]["id"].as_str().expect("id")).expect("uuid")).await;
    let back = start(&app, &d.buyer, &d.machine, json!({"buyer_uscc": seller_uscc})).await;
    expect_status(act(&app, &d.w.builder, &back, "accept", json!({})).await, 200).await;
    // Resubmitted with it, the filing still records that it left on that day.
    let current = filing(&app, &d.w.builder, &id_of(&f)).await;
    assert_eq!(left_on(&current, &d.machine), json!(today));
    let correction = json!({"machine_ids": [d.machine["id"]], "planned_entry_on": today, "planned_exit_on": today + Duration::days(10), "version": current["version"]});
    let again =
        expect_status(app.put_as(&d.w.builder, &format!("/api/v1/filings/{}", id_of(&f)), &correction).await, 200)
            .await;
    assert_eq!(left_on(&again, &d.machine), json!(today));
}

async fn an_entry_before_the_acceptance_is_still_recorded(app: TestApp) {
    let d = deal(&app).await;
    let seen = ids(&expect_status(app.get_as(&d.w.builder, "/api/v1/filings").await, 200).await);
    let mv = format!("/api/v1/filings/{}/movements", seen[0]);
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    let accepted_at = app.clock.now();
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    app.clock.advance(Duration::minutes(30));
    // Recorded late: it entered before the handover (the same day or not), and left after.
    let enter = |at: DateTime<Utc>| json!({"machine_id": d.machine["id"], "kind": "enter", "at": at});
    expect_status(app.post_as(&d.w.builder, &mv, &enter(accepted_at - Duration::minutes(20))).await, 201).await;
    let exit = json!({"machine_id": d.machine["id"], "kind": "exit", "at": accepted_at + Duration::minutes(5)});
    expect_status(app.post_as(&d.w.builder, &mv, &exit).await, 201).await;
    // Never entering once it had left.
    let body = assert_error(
        app.post_as(&d.w.builder, &mv, &enter(accepted_at + Duration::minutes(10))).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "machine_id", &FieldError::new(FieldCode::LeftFiling));
}

async fn the_transfer_keeps_the_name_it_was_offered_under(app: TestApp) {
    let d = deal(&app).await;
    let t = start(&app, &d.w.builder, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    let m = expect_status(app.get_as(&d.buyer, &machine_path(&d.machine)).await, 200).await;
    let patch = json!({"version": m["version"], "name": "乙方自用挖掘机"});
    expect_status(app.patch_as(&d.buyer, &machine_path(&d.machine), &patch).await, 200).await;
    let name = d.machine["name"].clone();
    let list = expect_status(app.get_as(&d.w.builder, "/api/v1/transfers").await, 200).await;
    assert_eq!(list["items"][0]["machine"]["name"], name, "the seller never learns the new name");
    let one = expect_status(app.get_as(&d.buyer, &format!("/api/v1/transfers/{}", id_of(&t))).await, 200).await;
    assert_eq!(one["machine"]["name"], name);
}

/// Handed to the buyer today and back again: the seller's old filing, which the machine left
/// today, is no overlap for the days after (the filing form would otherwise warn of a clash the
/// acceptance does not make).
async fn a_machine_handed_back_is_not_filed_where_it_left(app: TestApp) {
    let d = deal(&app).await;
    let seller = &d.w.builder;
    let today = app.today();
    let overlaps = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        format!("/api/v1/filings/overlaps?machine_ids={}&from={from}&to={to}", id_of(&d.machine))
    };
    let before =
        expect_status(app.get_as(seller, &overlaps(today + Duration::days(1), today + Duration::days(9))).await, 200)
            .await;
    assert_eq!(before.as_array().map(Vec::len), Some(1), "the accepted filing overlaps: {before}");
    let t = start(&app, seller, &d.machine, json!({"buyer_uscc": d.buyer_uscc})).await;
    expect_status(act(&app, &d.buyer, &t, "accept", json!({})).await, 200).await;
    let me = expect_status(app.get_as(seller, "/api/v1/organizations/me").await, 200).await;
    let back = start(&app, &d.buyer, &d.machine, json!({"buyer_uscc": me["uscc"]})).await;
    expect_status(act(&app, seller, &back, "accept", json!({})).await, 200).await;
    let after =
        expect_status(app.get_as(seller, &overlaps(today + Duration::days(1), today + Duration::days(9))).await, 200)
            .await;
    assert_eq!(after, json!([]), "the machine left that filing today");
    // It was on the filing before today: a range reaching back still finds it.
    let earlier =
        expect_status(app.get_as(seller, &overlaps(today - Duration::days(1), today + Duration::days(9))).await, 200)
            .await;
    assert_eq!(earlier.as_array().map(Vec::len), Some(1), "{earlier}");
    // And the form's own check agrees with the acceptance: a new filing from tomorrow is accepted.
    let f = create_filing(
        &app,
        seller,
        &d.w.plain_site["id"],
        &[&d.machine["id"]],
        today + Duration::days(1),
        today + Duration::days(9),
    )
    .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&d.w.xiaodian, &review, &json!({"decision": "accept"})).await, 200).await;
}
