//! The field look-up's answer is about the code typed, however it was typed, and says where the
//! machine stands with its filings (issue 10, part 1): filed for this site today, filed for
//! another site, filed from a later date, a filing that ended, registered but never filed, not
//! registered — the last only after the normalised code was checked against the register.

use crate::db_tests;
use crate::helpers::{TestApp, create_filing, expect_status, id_of, machine_input};
use crate::inspections::{registered, world};
use app::db::entities::machine;
use app::machines::regcode::RegistrationCode;
use chrono::Duration;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

db_tests!(
    each_filing_standing_is_named,
    codes_are_found_as_people_type_them,
    a_site_beyond_the_first_hundred_stays_chosen,
    the_label_opens_the_field_view_for_officials_and_the_public_page_for_others
);

async fn look(app: &TestApp, client: &reqwest::Client, code: &str, site: Option<&Value>) -> Value {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", code);
    if let Some(s) = site {
        query.append_pair("site_id", s["id"].as_str().expect("site id"));
    }
    expect_status(app.get_as(client, &format!("/api/v1/machines/lookup?{}", query.finish())).await, 200).await
}

fn code_of(m: &Value) -> String {
    m["registration_code"].as_str().expect("registered").to_owned()
}

/// A machine registered by a filing from `from` to `to` (accepted by 小店区's inspector).
async fn filed_from(app: &TestApp, w: &crate::inspections::World, n: u32, from: i64, to: i64) -> Value {
    let m = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(n)).await, 201).await;
    let today = app.today();
    let f = create_filing(
        app,
        &w.builder,
        &w.zone_site["id"],
        &[&m["id"]],
        today + Duration::days(from),
        today + Duration::days(to),
    )
    .await;
    let review = format!("/api/v1/filings/{}/review", id_of(&f));
    expect_status(app.post_as(&w.xiaodian, &review, &json!({"decision": "accept"})).await, 200).await;
    expect_status(app.get_as(&w.builder, &format!("/api/v1/machines/{}", id_of(&m))).await, 200).await
}

async fn each_filing_standing_is_named(app: TestApp) {
    let w = world(&app).await;
    let today = app.today();
    let here = registered(&app, &w, &w.plain_site, 1, json!({})).await;

    // Filed today: for the site asked about, or for another one (which is named).
    let at_plain = look(&app, &w.xiaodian, &code_of(&here), Some(&w.plain_site)).await;
    assert_eq!(
        (at_plain["standing"].as_str(), at_plain["status"].as_str()),
        (Some("filed_here"), Some("registered_filed_here"))
    );
    let at_zone = look(&app, &w.xiaodian, &code_of(&here), Some(&w.zone_site)).await;
    assert_eq!(at_zone["standing"], "filed_elsewhere");
    assert_eq!(at_zone["current_filing"]["site_id"], w.plain_site["id"]);
    assert_eq!(look(&app, &w.xiaodian, &code_of(&here), None).await["standing"], "filed_here", "any site in scope");

    // Filed from in three days: not "not filed", but the day it starts.
    let later = filed_from(&app, &w, 2, 3, 10).await;
    let got = look(&app, &w.xiaodian, &code_of(&later), Some(&w.zone_site)).await;
    assert_eq!(
        (got["standing"].as_str(), got["status"].as_str()),
        (Some("filing_upcoming"), Some("registered_not_filed_here"))
    );
    assert_eq!(got["other_filing"]["planned_entry_on"], json!(today + Duration::days(3)));
    assert_eq!(got["other_filing_on"], json!(today + Duration::days(3)));
    assert_eq!(filing_label(&app, &w.xiaodian, &code_of(&later)).await, "下次报备工地");
    assert_eq!(filing_label(&app, &w.xiaodian, &code_of(&here)).await, "当前报备工地");
    // Another county's inspector learns the day it starts, not where (only today's filing is
    // the look-up's exception to scope).
    let far = look(&app, &w.qingxu, &code_of(&later), None).await;
    assert_eq!((far["standing"].as_str(), &far["other_filing"]), (Some("filing_upcoming"), &Value::Null));
    assert_eq!(far["other_filing_on"], json!(today + Duration::days(3)));
    // So its page does not name a next site it cannot show: the line stays today's (none).
    assert_eq!(filing_label(&app, &w.qingxu, &code_of(&later)).await, "当前报备工地");
    assert_eq!((&got["current_filing"], &got["ended_on"]), (&Value::Null, &Value::Null));

    // Registered, never filed (a code given outside a filing, e.g. by an earlier register).
    let bare = expect_status(app.post_as(&w.builder, "/api/v1/machines", &machine_input(3)).await, 201).await;
    let given = RegistrationCode::issue("140105", 9_000_001).expect("code").to_string();
    machine::Entity::update(machine::ActiveModel {
        id: Set(id_of(&bare).parse().expect("uuid")),
        registration_code: Set(Some(given.clone())),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .expect("give a code");
    let got = look(&app, &w.xiaodian, &given, None).await;
    assert_eq!((got["standing"].as_str(), &got["other_filing"]), (Some("never_filed"), &Value::Null));

    // Not registered: a well-formed code nobody holds.
    let nobody = RegistrationCode::issue("140105", 9_000_002).expect("code").to_string();
    let got = look(&app, &w.xiaodian, &nobody, None).await;
    assert_eq!((got["standing"].as_str(), got["status"].as_str()), (Some("not_registered"), Some("not_registered")));

    // A short filing that has ended: the day it ended. (The upcoming one has begun by then.)
    let short = filed_from(&app, &w, 4, 0, 2).await;
    app.clock.advance(Duration::days(5));
    let inspector = app.signed_in("xiaodian.i").await;
    let got = look(&app, &inspector, &code_of(&short), None).await;
    assert_eq!(got["standing"], "filing_ended");
    assert_eq!(got["ended_on"], json!(today + Duration::days(2)));
    assert_eq!(got["other_filing"]["planned_exit_on"], json!(today + Duration::days(2)));
    // The page names an ended filing as such, never as today's.
    assert_eq!(filing_label(&app, &inspector, &code_of(&short)).await, "上次报备工地");
    assert_eq!(look(&app, &inspector, &code_of(&later), None).await["standing"], "filed_here");
}

/// How the look-up page (rendered on the server, in Chinese) names the filing it shows.
async fn filing_label(app: &TestApp, client: &reqwest::Client, code: &str) -> String {
    let html = crate::helpers::page_html(app, client, &format!("/v/{code}")).await;
    let at = html.find(r#"data-testid="lookup-filing""#).unwrap_or_else(|| panic!("no filing line: {html}"));
    let strong = &html[at..];
    let start = strong.find("<strong>").expect("label") + "<strong>".len();
    let end = strong[start..].find(':').expect("colon") + start;
    strong[start..end].replace("<!>", "").trim().to_owned()
}

async fn codes_are_found_as_people_type_them(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let code = code_of(&m);
    let grouped = format!("{} {} {} {}", &code[..4], &code[4..8], &code[8..12], &code[12..]);
    let dashed = format!("{}-{}-{}", &code[..6], &code[6..13], &code[13..]);
    let wide: String = code.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).expect("full width")).collect();
    for typed in [grouped.clone(), dashed, wide, format!("  {}  ", code.to_lowercase())] {
        let got = look(&app, &w.xiaodian, &typed, Some(&w.plain_site)).await;
        assert_eq!(
            (got["standing"].as_str(), got["machine"]["id"].as_str()),
            (Some("filed_here"), m["id"].as_str()),
            "{typed}"
        );
    }
    // The same code with a wrong check character, grouped: refused as such, never "not registered".
    let mut bad: Vec<char> = grouped.chars().collect();
    let last = bad.len() - 1;
    bad[last] = if bad[last] == '0' { '1' } else { '0' };
    let bad: String = bad.into_iter().collect();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &bad);
    let resp = app.get_as(&w.xiaodian, &format!("/api/v1/machines/lookup?{}", query.finish())).await;
    let err = crate::helpers::assert_error(resp, 422, "validation_failed").await;
    let expected = app::machines::regcode::RegistrationCode::parse(&code)
        .map(|_| ())
        .and(RegistrationCode::parse(&bad.replace(' ', "")).map(|_| ()));
    let Err(wrong) = expected else { panic!("the altered code must fail its check") };
    crate::helpers::assert_field(&err, "code", &wrong.field_error());
}

/// The field pages list the county's latest 100 sites (the inspection form in the page the
/// server renders; the look-up page fetches them in the browser, `field/sites`, and its page
/// carries none); a site further down, named in the address (a link from a case, or a look-up
/// asked there), stays chosen.
async fn a_site_beyond_the_first_hundred_stays_chosen(app: TestApp) {
    let (_org, unit) = crate::helpers::contractor(&app, "field.many.sites").await;
    let oldest = crate::helpers::create_site(&app, &unit, "最早的工地", "140105").await;
    for n in 0..100 {
        crate::helpers::create_site(&app, &unit, &format!("工地 {n:03}"), "140105").await;
    }
    let inspector = crate::helpers::inspector(&app, "field.sites.insp", "140105").await;
    let id = id_of(&oldest);
    let form = crate::helpers::page_html(&app, &inspector, "/field/inspect").await;
    assert!(form.contains("工地 099") && !form.contains("最早的工地"), "the latest 100 only");
    let lookup = crate::helpers::page_html(&app, &inspector, "/field").await;
    assert!(!lookup.contains("工地 099"), "the look-up page's list comes after hydration");
    let resp = inspector.post(app.url("/api/field/sites")).json(&json!({})).send().await.expect("server fn");
    let fetched: Vec<serde_json::Value> = resp.json().await.expect("sites");
    let names: Vec<&str> = fetched.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names.len(), 100, "{names:?}");
    assert!(names.contains(&"工地 099") && !names.contains(&"最早的工地"), "the latest 100 only");
    for page in [format!("/field?site={id}"), format!("/field/inspect?site={id}")] {
        let html = crate::helpers::page_html(&app, &inspector, &page).await;
        let at = html.find(&format!("value=\"{id}\"")).unwrap_or_else(|| panic!("{page}: the site is offered"));
        let option = &html[at..at + html[at..].find("</option>").expect("option end")];
        assert!(option.contains("selected") && option.contains("最早的工地"), "{page}: {option}");
    }
    // A site outside the inspector's county is not offered for being named.
    let elsewhere = crate::helpers::create_site(&app, &unit, "清徐工地", "140121").await;
    let html = crate::helpers::page_html(&app, &inspector, &format!("/field?site={}", id_of(&elsewhere))).await;
    assert!(!html.contains("清徐工地"));
}

/// `/v/{code}` (what the label's QR code opens): an official who may look machines up gets the
/// field look-up of that machine, rendered on the server — with the inspect button for an
/// inspector only; a construction unit and anyone signed out get the public page.
async fn the_label_opens_the_field_view_for_officials_and_the_public_page_for_others(app: TestApp) {
    let w = world(&app).await;
    let m = registered(&app, &w, &w.plain_site, 1, json!({})).await;
    let path = format!("/v/{}", code_of(&m));
    let field_view = r#"data-testid="lookup-status""#;
    let public_view = r#"<p class="code" data-testid="code">"#;

    let html = crate::helpers::page_html(&app, &w.xiaodian, &path).await;
    assert!(html.contains(field_view) && !html.contains(public_view), "{html}");
    assert!(html.contains(r#"data-testid="inspect""#), "an inspector may inspect it");
    assert!(html.contains(&code_of(&m)), "the machine's code");

    app.user("partner.v", app::auth::Role::PartnerViewer, Some("140105"), None).await;
    let partner = app.signed_in("partner.v").await;
    let html = crate::helpers::page_html(&app, &partner, &path).await;
    assert!(html.contains(field_view) && !html.contains(r#"data-testid="inspect""#), "looks up, does not inspect");

    for client in [&w.builder, &TestApp::new_client()] {
        let html = crate::helpers::page_html(&app, client, &path).await;
        assert!(html.contains(public_view) && !html.contains(field_view), "{html}");
    }
}
