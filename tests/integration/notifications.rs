//! In-app notifications: a review notifies the filing's unit (its administrators and the one who
//! submitted it) and nobody else; the case-deadline sweep notifies "near" and "overdue" once per
//! case, kind and recipient however often it runs; users read and mark only their own; every
//! notification reaches the outbound channel.

use crate::db_tests;
use crate::helpers::{
    TestApp, assert_error, contractor, create_filing, expect_status, id_of, inspector, machine_input,
};
use crate::inspections::{inspect, inspection, opened_kinds, registered, world};
use app::auth::Role;
use app::notifications::service::sweep_deadlines;
use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

db_tests!(
    review_notifies_the_unit_only,
    reading_is_own_only_and_unread_first,
    deadline_sweep_is_idempotent,
    each_step_of_a_case_and_a_filing_tells_exactly_its_recipients
);

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn list(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    items(&expect_status(app.get_as(client, "/api/v1/notifications").await, 200).await)
}

async fn unread(app: &TestApp, client: &reqwest::Client) -> u64 {
    expect_status(app.get_as(client, "/api/v1/notifications/unread-count").await, 200).await["unread"]
        .as_u64()
        .expect("count")
}

/// A unit with an administrator and a staff member (who files), another unit, and the
/// inspector of 小店区. Returns (admin, staff, staff id, other unit, inspector, site).
struct Unit {
    admin: reqwest::Client,
    admin_id: Uuid,
    staff: reqwest::Client,
    staff_id: Uuid,
    other: reqwest::Client,
    inspector: reqwest::Client,
    site: Value,
}

async fn unit(app: &TestApp) -> Unit {
    let (org, admin) = contractor(app, "n.admin").await;
    let staff_id = app.user("n.staff", Role::ContractorStaff, None, Some(org)).await;
    let staff = app.signed_in("n.staff").await;
    let (_, other) = contractor(app, "n.other").await;
    let inspector = inspector(app, "n.inspector", "140105").await;
    let site = expect_status(
        app.post_as(&admin, "/api/v1/sites", &crate::helpers::site_input(app, "通知工地", "140105")).await,
        201,
    )
    .await;
    let me = expect_status(app.get_as(&admin, "/api/v1/auth/me").await, 200).await;
    let admin_id = Uuid::parse_str(me["id"].as_str().expect("id")).expect("uuid");
    Unit { admin, admin_id, staff, staff_id, other, inspector, site }
}

/// A filing of machine `n`, filed by the staff member; returns its review path.
async fn filed(app: &TestApp, u: &Unit, n: u32) -> String {
    let m = expect_status(app.post_as(&u.admin, "/api/v1/machines", &machine_input(n)).await, 201).await;
    let today = app.today();
    let f = create_filing(app, &u.staff, &u.site["id"], &[&m["id"]], today, today + Duration::days(20)).await;
    format!("/api/v1/filings/{}/review", id_of(&f))
}

async fn review_notifies_the_unit_only(app: TestApp) {
    let u = unit(&app).await;
    let returned = filed(&app, &u, 1).await;
    let accepted = filed(&app, &u, 2).await;
    assert!(list(&app, &u.admin).await.is_empty(), "submitting notifies nobody");
    let reason = json!({"decision": "return", "reason": "铭牌照片不清晰"});
    expect_status(app.post_as(&u.inspector, &returned, &reason).await, 200).await;
    expect_status(app.post_as(&u.inspector, &accepted, &json!({"decision": "accept"})).await, 200).await;

    for who in [&u.admin, &u.staff] {
        let got = list(&app, who).await;
        let kinds: Vec<&str> = got.iter().map(|n| n["kind"].as_str().unwrap_or("")).collect();
        assert_eq!(kinds, vec!["filing_accepted", "filing_returned"], "newest first");
        assert_eq!(got[1]["params"]["reason"], "铭牌照片不清晰");
        assert_eq!(got[1]["params"]["site_name"], "通知工地");
        assert!(
            got[1]["link"].as_str().is_some_and(|l| returned.contains(&l.replace("/filings/", "/api/v1/filings/")))
        );
        assert_eq!(got[0]["read"], false);
        assert_eq!(unread(&app, who).await, 2);
    }
    assert!(list(&app, &u.other).await.is_empty(), "another unit hears nothing");
    // The reviewer heard of the two filings when they were submitted, and nothing of the review.
    let kinds: Vec<Value> = list(&app, &u.inspector).await.iter().map(|n| n["kind"].clone()).collect();
    assert_eq!(kinds, vec![json!("filing_submitted"), json!("filing_submitted")]);

    // Each notification went out once, to its recipient, in Chinese, with the reason.
    let sent = app.outbox.sent();
    assert_eq!(sent.len(), 6, "{sent:?}");
    for id in [u.admin_id, u.staff_id] {
        let mine: Vec<_> = sent.iter().filter(|m| m.recipient.user_id == id).collect();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().any(|m| m.subject == "报备被退回" && m.body.contains("铭牌照片不清晰")), "{mine:?}");
        assert!(mine.iter().any(|m| m.subject == "报备已通过"));
    }

    // Signed out: 401.
    assert_error(
        TestApp::new_client().get(app.url("/api/v1/notifications")).send().await.expect("r"),
        401,
        "unauthorized",
    )
    .await;
}

async fn reading_is_own_only_and_unread_first(app: TestApp) {
    let u = unit(&app).await;
    let first = filed(&app, &u, 1).await;
    let second = filed(&app, &u, 2).await;
    let third = filed(&app, &u, 3).await;
    for path in [&first, &second, &third] {
        expect_status(app.post_as(&u.inspector, path, &json!({"decision": "accept"})).await, 200).await;
    }
    let mine = list(&app, &u.admin).await;
    assert_eq!(mine.len(), 3);
    let newest = mine[0]["id"].as_str().expect("id").to_owned();
    let oldest = mine[2]["id"].as_str().expect("id").to_owned();

    // Someone else's notification is 404 — another unit's, and a colleague's.
    let staff_note = list(&app, &u.staff).await[0]["id"].as_str().expect("id").to_owned();
    for (who, id) in [(&u.other, &newest), (&u.staff, &newest), (&u.admin, &staff_note)] {
        assert_error(app.post_as(who, &format!("/api/v1/notifications/{id}/read"), &json!({})).await, 404, "not_found")
            .await;
    }
    assert_error(app.post_as(&u.admin, "/api/v1/notifications/nope/read", &json!({})).await, 404, "not_found").await;
    assert_eq!(list(&app, &u.staff).await.iter().filter(|n| n["read"] == true).count(), 0, "nothing changed");

    // Reading the newest moves it behind the unread ones.
    let read =
        expect_status(app.post_as(&u.admin, &format!("/api/v1/notifications/{newest}/read"), &json!({})).await, 200)
            .await;
    assert_eq!(read["read"], true);
    assert!(read["read_at"].is_string());
    let again =
        expect_status(app.post_as(&u.admin, &format!("/api/v1/notifications/{newest}/read"), &json!({})).await, 200)
            .await;
    assert_eq!(again["read_at"], read["read_at"], "reading twice changes nothing");
    let order: Vec<(String, bool)> = list(&app, &u.admin)
        .await
        .iter()
        .map(|n| (n["id"].as_str().unwrap_or("").to_owned(), n["read"].as_bool().unwrap_or(false)))
        .collect();
    assert_eq!(order[2], (newest.clone(), true));
    assert!(!order[0].1 && !order[1].1);
    assert_eq!(order[1].0, oldest);

    // Pages of one follow the same order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/notifications?limit=1&cursor={c}"),
            None => "/api/v1/notifications?limit=1".to_owned(),
        };
        let page = expect_status(app.get_as(&u.admin, &path).await, 200).await;
        seen.extend(items(&page).iter().map(|n| n["id"].as_str().unwrap_or("").to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, order.iter().map(|o| o.0.clone()).collect::<Vec<_>>());
    assert_error(app.get_as(&u.admin, "/api/v1/notifications?cursor=bogus").await, 422, "validation_failed").await;

    // Read all: only the caller's.
    let done = expect_status(app.post_as(&u.admin, "/api/v1/notifications/read-all", &json!({})).await, 200).await;
    assert_eq!(done["updated"], 2);
    assert_eq!(unread(&app, &u.admin).await, 0);
    assert_eq!(unread(&app, &u.staff).await, 3);

    // The page renders on the server for the signed-in user.
    let html = app.get_as(&u.staff, "/notifications").await.text().await.expect("html");
    assert!(html.contains("报备已通过") && html.contains("通知工地"), "{html}");
}

async fn deadline_sweep_is_idempotent(app: TestApp) {
    let w = world(&app).await;
    let builder_me = expect_status(app.get_as(&w.builder, "/api/v1/auth/me").await, 200).await;
    let builder_id = builder_me["id"].as_str().expect("id").to_owned();
    let today = app.today();
    let mut cases = Vec::new();
    for (n, days) in [(1, 2), (2, 10)] {
        let m = registered(&app, &w, &w.plain_site, n, json!({})).await;
        let fail = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[2.0, 2.0, 2.0])).await;
        assert_eq!(opened_kinds(&fail), vec!["failed_inspection"]);
        let case = format!("/api/v1/cases/{}", fail["opened_cases"][0]["id"].as_str().expect("case"));
        let order = json!({"to": "rectification_ordered", "deadline_on": today + Duration::days(days)});
        expect_status(app.post_as(&w.xiaodian, &format!("{case}/transition"), &order).await, 200).await;
        cases.push(fail["opened_cases"][0]["id"].as_str().expect("case").to_owned());
    }
    // A case still open (no deadline) is never swept.
    let m = registered(&app, &w, &w.plain_site, 3, json!({})).await;
    inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[2.0, 2.0, 2.0])).await;
    let sent_before = app.outbox.sent().len();

    let now = app.clock.now();
    let first = sweep_deadlines(&app.state, now).await.expect("sweep");
    assert_eq!((first.near, first.overdue, first.created), (1, 0, 1), "only the case due in 2 days is near");
    let again = sweep_deadlines(&app.state, now + Duration::hours(1)).await.expect("sweep");
    assert_eq!(again.created, 0, "idempotent");
    let notes = list(&app, &w.builder).await;
    let near: Vec<_> = notes.iter().filter(|n| n["kind"] == "case_deadline_near").collect();
    assert_eq!(near.len(), 1);
    assert_eq!(near[0]["subject_id"], cases[0].as_str());
    assert_eq!(near[0]["params"]["deadline_on"], (today + Duration::days(2)).to_string());
    assert!(list(&app, &w.xiaodian).await.iter().all(|n| n["kind"] != "case_deadline_near"), "near is for the unit");

    // Five days on: the first is overdue (unit and county inspectors), the second is near.
    let later = now + Duration::days(5);
    let r = sweep_deadlines(&app.state, later).await.expect("sweep");
    assert_eq!((r.near, r.overdue), (0, 1), "{r:?}");
    let r = sweep_deadlines(&app.state, now + Duration::days(8)).await.expect("sweep");
    assert_eq!((r.near, r.overdue, r.created), (1, 0, 1), "the second comes near: {r:?}");
    for _ in 0..2 {
        assert_eq!(sweep_deadlines(&app.state, now + Duration::days(9)).await.expect("sweep").created, 0);
    }
    let r = sweep_deadlines(&app.state, now + Duration::days(11)).await.expect("sweep");
    assert_eq!((r.near, r.overdue), (0, 1));
    let count = |list: &[Value], kind: &str| list.iter().filter(|n| n["kind"] == kind).count();
    let builder = list(&app, &w.builder).await;
    assert_eq!((count(&builder, "case_deadline_near"), count(&builder, "case_deadline_overdue")), (2, 2));
    let inspector = list(&app, &w.xiaodian).await;
    assert_eq!(count(&inspector, "case_deadline_overdue"), 2);
    assert!(list(&app, &w.qingxu).await.is_empty(), "another county's inspector hears nothing");

    // The outbound channel got exactly the new ones.
    let sent = app.outbox.sent();
    let swept = &sent[sent_before..];
    assert_eq!(swept.len(), 6, "{swept:?}");
    assert_eq!(swept.iter().filter(|m| m.recipient.user_id.to_string() == builder_id).count(), 4);
    assert!(swept.iter().any(|m| m.subject == "整改已逾期"));
}

/// Kinds of the notifications a user has, oldest first.
async fn kinds_of(app: &TestApp, client: &reqwest::Client) -> Vec<String> {
    let mut kinds: Vec<String> =
        list(app, client).await.iter().map(|n| n["kind"].as_str().unwrap_or_default().to_owned()).collect();
    kinds.reverse();
    kinds
}

/// Issue 10, part 4: the county's inspectors hear of a filing submitted and of a unit's evidence
/// on a case; the unit (its administrators) hears of a case opened against it, the order to
/// correct with its deadline, the penalty and the closing. Nobody else hears anything, and each
/// notification also goes out through the outbound channel.
async fn each_step_of_a_case_and_a_filing_tells_exactly_its_recipients(app: TestApp) {
    let w = world(&app).await;
    let second = inspector(&app, "xiaodian.second", "140105").await;
    let (_other_org, other_unit) = contractor(&app, "n.bystander").await;
    let staff_org = {
        let me = expect_status(app.get_as(&w.builder, "/api/v1/organizations/me").await, 200).await;
        Uuid::parse_str(me["id"].as_str().expect("org id")).expect("uuid")
    };
    app.user("insp.staff", Role::ContractorStaff, None, Some(staff_org)).await;
    let staff = app.signed_in("insp.staff").await;

    // A filing submitted: both inspectors of 小店区, nobody else.
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    for who in [&w.xiaodian, &second] {
        assert_eq!(kinds_of(&app, who).await, vec!["filing_submitted"]);
    }
    assert!(kinds_of(&app, &w.qingxu).await.is_empty(), "another county hears nothing");
    assert_eq!(kinds_of(&app, &w.builder).await, vec!["filing_accepted"]);

    // A failing inspection opens a case: the unit's administrator hears of it (its staff and
    // other units do not; the inspector who opened it neither).
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m, &[1.5, 1.5, 1.5])).await;
    assert_eq!(opened_kinds(&failed), vec!["failed_inspection"]);
    let case = failed["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    let got = list(&app, &w.builder).await;
    assert_eq!(
        (got[0]["kind"].as_str(), got[0]["link"].as_str()),
        (Some("case_opened"), Some(format!("/cases/{case}").as_str()))
    );
    assert_eq!(
        (got[0]["params"]["case_kind"].as_str(), got[0]["params"]["site_name"].as_str()),
        (Some("failed_inspection"), w.plain_site["name"].as_str())
    );
    assert!(kinds_of(&app, &staff).await.is_empty() && kinds_of(&app, &other_unit).await.is_empty());
    assert_eq!(kinds_of(&app, &w.xiaodian).await, vec!["filing_submitted"]);

    // The order to correct, with its deadline.
    let deadline = app.today() + Duration::days(10);
    let path = format!("/api/v1/cases/{case}/transition");
    let ordered = json!({"to": "rectification_ordered", "deadline_on": deadline});
    expect_status(app.post_as(&w.xiaodian, &path, &ordered).await, 200).await;
    let got = list(&app, &w.builder).await;
    assert_eq!(
        (got[0]["kind"].as_str(), got[0]["params"]["deadline_on"].as_str()),
        (Some("case_rectification_ordered"), Some(deadline.to_string().as_str()))
    );

    // The unit answers with evidence: both inspectors of the county hear of it.
    let evidence = format!("/api/v1/cases/{case}/evidence");
    let resp = crate::evidence::post_photo(&app, &w.builder, &evidence, crate::amendments::png(), Some("已加装")).await;
    expect_status(resp, 201).await;
    for who in [&w.xiaodian, &second] {
        assert_eq!(kinds_of(&app, who).await, vec!["filing_submitted", "case_evidence_added"]);
    }
    assert!(kinds_of(&app, &w.qingxu).await.is_empty());

    // A penalty, then the closing.
    let penalty = json!({"to": "penalized", "penalty_yuan": 5000, "legal_basis": "《大气污染防治法》第一百一十四条"});
    let r = app.post_as(&w.xiaodian, &path, &penalty).await;
    expect_status(r, 200).await;
    let got = list(&app, &w.builder).await;
    assert_eq!(
        (got[0]["kind"].as_str(), got[0]["params"]["penalty_yuan"].as_str()),
        (Some("case_penalized"), Some("5000"))
    );
    expect_status(app.post_as(&w.xiaodian, &path, &json!({"to": "closed", "note": "已缴纳罚款"})).await, 200).await;
    assert_eq!(
        kinds_of(&app, &w.builder).await,
        vec!["filing_accepted", "case_opened", "case_rectification_ordered", "case_penalized", "case_closed"]
    );
    assert!(kinds_of(&app, &staff).await.is_empty() && kinds_of(&app, &other_unit).await.is_empty());

    // Every one of them went out through the outbound channel too.
    let sent = app.outbox.sent();
    let subjects: Vec<&str> = sent.iter().map(|m| m.subject.as_str()).collect();
    for title in ["有待审核的报备", "已立案", "责令整改", "有待查看的整改材料", "已作出处罚", "案件已结案"]
    {
        assert!(subjects.contains(&title), "{title} in {subjects:?}");
    }
}
