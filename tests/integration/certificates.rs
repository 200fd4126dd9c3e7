//! A site's compliance certificate (issue 15): the unit issues it for a site with accepted
//! filings in force; anyone checks it by its code (JSON and the printable page), sees it
//! current, then superseded after a new failing inspection of one of its machines or when a
//! filing ends; who may issue and list.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, contractor, expect_status, id_of};
use crate::inspections::{inspect, inspection, registered, world};
use chrono::Duration;
use serde_json::{Value, json};

db_tests!(a_certificate_verifies_until_a_failure_or_an_ended_filing_supersedes_it, who_may_issue_and_read_certificates);

async fn public(app: &TestApp, code: &str) -> Value {
    expect_status(app.get(&format!("/api/v1/public/certificates/{code}")).await, 200).await
}

async fn page(app: &TestApp, code: &str) -> (u16, String) {
    let resp = app.get(&format!("/c/{code}")).await;
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

async fn a_certificate_verifies_until_a_failure_or_an_ended_filing_supersedes_it(app: TestApp) {
    let w = world(&app).await;
    let m1 = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let m2 = registered(&app, &w, &w.plain_site, 2, json!({})).await;
    let path = format!("/api/v1/sites/{}/certificates", id_of(&w.plain_site));
    let c = expect_status(app.post_as(&w.builder, &path, &json!({})).await, 201).await;
    let code = c["code"].as_str().expect("code").to_owned();
    assert_eq!(code.len(), 10);
    assert_eq!(c["status"], "current");
    assert_eq!(c["verify_url"].as_str().map(|u| u.ends_with(&format!("/c/{code}"))), Some(true));
    let facts = &c["facts"];
    assert_eq!((facts["site_name"].as_str(), facts["county_name"].as_str()), (Some("小店区外围工地"), Some("小店区")));
    let codes: Vec<&str> = facts["filings"]
        .as_array()
        .expect("filings")
        .iter()
        .flat_map(|f| {
            f["machines"].as_array().expect("machines").iter().filter_map(|m| m["registration_code"].as_str())
        })
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&m1["registration_code"].as_str().expect("code")));
    assert_eq!(facts["unresolved_cases"], json!([]));

    // Anyone checks it, in either case, as JSON or on the printable page with its QR code.
    let checked = public(&app, &code.to_lowercase()).await;
    assert_eq!((checked["status"].as_str(), &checked["facts"]), (Some("current"), facts));
    let (status, html) = page(&app, &code).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-status=\"current\"") && html.contains("<svg class=\"qr\""), "{html}");
    assert!(html.contains(m2["registration_code"].as_str().expect("code")));
    assert!(html.contains("@page{size:A4"), "print-ready on A4");
    assert!(!html.contains("xiaodian.i") && !checked.to_string().contains("xiaodian.i"), "no official's account");

    // A new failing inspection of one of its machines supersedes it; it still shows what it
    // printed. A new certificate states the failure and the case it opened.
    app.clock.advance(Duration::minutes(5));
    let failed = inspect(&app, &w.xiaodian, &inspection(&app, &w.plain_site, &m1, &[2.5, 2.6, 2.4])).await;
    assert_eq!(failed["verdict"], "fail");
    let old = public(&app, &code).await;
    assert_eq!((old["status"].as_str(), &old["facts"]), (Some("superseded"), facts));
    let (_, html) = page(&app, &code).await;
    assert!(html.contains("data-status=\"superseded\""));
    let new = expect_status(app.post_as(&w.builder, &path, &json!({})).await, 201).await;
    assert_eq!(new["status"], "current");
    assert_ne!(new["code"], c["code"]);
    let verdicts: Vec<Value> = new["facts"]["filings"]
        .as_array()
        .expect("filings")
        .iter()
        .flat_map(|f| f["machines"].as_array().expect("machines").clone())
        .filter(|m| m["registration_code"] == m1["registration_code"])
        .map(|m| m["last_verdict"].clone())
        .collect();
    assert_eq!(verdicts, [json!("fail")]);
    let cases = new["facts"]["unresolved_cases"].as_array().expect("cases");
    assert_eq!((cases.len(), cases[0]["registration_code"].clone()), (1, m1["registration_code"].clone()));
    // The site's list: newest first, each with its standing; audited.
    let list = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    let standing: Vec<&str> = list.as_array().expect("list").iter().filter_map(|c| c["status"].as_str()).collect();
    assert_eq!(standing, ["current", "superseded"]);
    let log = expect_status(app.get_as(&w.xiaodian, "/api/v1/audit?entity=certificate").await, 200).await;
    assert_eq!(log["items"].as_array().map(Vec::len), Some(2));

    // The filings end: nothing printed is in force any more, and nothing new can be certified.
    app.clock.advance(Duration::days(31));
    let new_code = new["code"].as_str().expect("code");
    assert_eq!(public(&app, new_code).await["status"], "superseded");
    let builder = app.signed_in("insp.builder").await;
    assert_error(app.post_as(&builder, &path, &json!({})).await, 409, "no_filing_in_force").await;
}

async fn who_may_issue_and_read_certificates(app: TestApp) {
    let w = world(&app).await;
    registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let path = format!("/api/v1/sites/{}/certificates", id_of(&w.plain_site));
    // Officials do not issue a unit's certificate; another unit does not see the site.
    assert_error(app.post_as(&w.xiaodian, &path, &json!({})).await, 403, "forbidden").await;
    let (_, other) = contractor(&app, "cert.other").await;
    assert_error(app.post_as(&other, &path, &json!({})).await, 404, "not_found").await;
    assert_error(app.get_as(&other, &path).await, 404, "not_found").await;
    // A site with no accepted filing in force has nothing to certify.
    let empty = format!("/api/v1/sites/{}/certificates", id_of(&w.zone_site));
    assert_error(app.post_as(&w.builder, &empty, &json!({})).await, 409, "no_filing_in_force").await;
    // The county reads the site's certificates; another county does not see the site.
    let c = expect_status(app.post_as(&w.builder, &path, &json!({})).await, 201).await;
    let seen = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    assert_eq!(seen[0]["code"], c["code"]);
    assert_error(app.get_as(&w.qingxu, &path).await, 404, "not_found").await;
    // Unknown and malformed codes: 404, as JSON and as a page.
    for code in ["0000000000", "not-a-code", "ILOU000000"] {
        assert_error(app.get(&format!("/api/v1/public/certificates/{code}")).await, 404, "not_found").await;
        let (status, html) = page(&app, code).await;
        assert_eq!(status, 404);
        assert!(html.contains("certificate-unknown"));
    }
}

/// Checking certificates is rate-limited per address (429 with `Retry-After`, page and JSON),
/// counted apart from label look-ups, so checking a certificate does not use up a visitor's
/// label checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_checks_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.public_burst = 3;
        c.public_rate_per_minute = 1;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/public/certificates/0000000000").await.status().as_u16(), 404);
    }
    let limited = app.get("/api/v1/public/certificates/0000000000").await;
    assert_eq!(limited.status().as_u16(), 429);
    assert!(limited.headers().get("retry-after").is_some());
    let (status, html) = page(&app, "0000000000").await;
    assert_eq!(status, 429, "{html}");
    assert_eq!(
        app.get("/api/v1/public/machines/140105000000X").await.status().as_u16(),
        404,
        "label checks are counted apart"
    );
}
