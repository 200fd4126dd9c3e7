//! Evidence photos over HTTP: the inspector adds photos to an inspection, the construction unit
//! adds rectification evidence to its case, and both read them back; everyone else is refused
//! (403 to add, 404 outside scope); broken files, long captions and a full gallery are refused
//! and store nothing; a closed case takes no more. Also the zone exemption of an inspection.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, assert_field, expect_status};
use crate::inspections::{World, inspect, inspection, opened_kinds, registered, world};
use app::db::entities::evidence_photo;
use app::error::{FieldCode, FieldError};
use image::{Rgb, RgbImage};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

db_tests!(
    inspectors_add_photos_to_inspections,
    units_add_rectification_evidence_to_their_cases,
    bad_evidence_is_refused_and_stores_nothing,
    zone_exemptions_apply_only_where_the_zone_lists_them,
);

pub fn jpeg(seed: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(64, 48, |x, y| Rgb([x as u8 ^ seed, y as u8, seed]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&img).expect("jpeg");
    out
}

fn form(bytes: Vec<u8>, note: Option<&str>) -> Form {
    let mut f = Form::new().part("file", Part::bytes(bytes).file_name("photo.jpg"));
    if let Some(n) = note {
        f = f.text("note", n.to_owned());
    }
    f
}

pub async fn post_photo(
    app: &TestApp,
    client: &Client,
    path: &str,
    bytes: Vec<u8>,
    note: Option<&str>,
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("accept", "application/json")
        .multipart(form(bytes, note))
        .send()
        .await
        .expect("upload")
}

async fn stored(app: &TestApp) -> u64 {
    evidence_photo::Entity::find().count(&app.state.db).await.expect("count")
}

/// A failing inspection at the site outside the zone, and the case it opened.
async fn failed(app: &TestApp, w: &World, n: u32) -> (Value, String) {
    let m = registered(app, w, &w.plain_site, n, json!({})).await;
    let fail = inspect(app, &w.xiaodian, &inspection(app, &w.plain_site, &m, &[2.0, 2.0, 2.0])).await;
    assert_eq!(opened_kinds(&fail), vec!["failed_inspection"]);
    let case = fail["opened_cases"][0]["id"].as_str().expect("case").to_owned();
    (fail, case)
}

async fn inspectors_add_photos_to_inspections(app: TestApp) {
    let w = world(&app).await;
    let (ins, _case) = failed(&app, &w, 1).await;
    let path = format!("/api/v1/inspections/{}/photos", ins["id"].as_str().expect("id"));

    let added = expect_status(post_photo(&app, &w.xiaodian, &path, jpeg(1), Some("  烟度计读数  ")).await, 201).await;
    assert_eq!(added["note"], "烟度计读数");
    assert_eq!(added["uploaded_by_role"], "county_inspector");
    assert_eq!((added["width"].as_u64(), added["height"].as_u64()), (Some(64), Some(48)));
    expect_status(post_photo(&app, &w.xiaodian, &path, jpeg(2), None).await, 201).await;

    let listed = expect_status(app.get_as(&w.xiaodian, &path).await, 200).await;
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], added["id"], "oldest first");
    // The web copy is a JPEG; the original comes back byte for byte.
    let web = w.xiaodian.get(app.url(added["urls"]["web"].as_str().expect("web"))).send().await.expect("web");
    assert_eq!(web.status(), 200);
    assert_eq!(web.headers()["content-type"], "image/jpeg");
    let original =
        w.xiaodian.get(app.url(added["urls"]["original"].as_str().expect("original"))).send().await.expect("original");
    assert_eq!(original.bytes().await.expect("bytes").to_vec(), jpeg(1));

    // The unit whose machine it is sees them but cannot add; the other county sees nothing.
    let seen = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!(seen.as_array().map(Vec::len), Some(2));
    assert_error(post_photo(&app, &w.builder, &path, jpeg(3), None).await, 403, "forbidden").await;
    assert_error(app.get_as(&w.qingxu, &path).await, 404, "not_found").await;
    assert_error(post_photo(&app, &w.qingxu, &path, jpeg(3), None).await, 404, "not_found").await;
    let photo = format!("{path}/{}", added["id"].as_str().expect("id"));
    assert_error(app.get_as(&w.qingxu, &photo).await, 404, "not_found").await;
    // A photo id under another subject is not found; anonymous callers are 401.
    let other = format!("/api/v1/cases/{}/evidence/{}", uuid::Uuid::now_v7(), added["id"].as_str().expect("id"));
    assert_error(app.get_as(&w.xiaodian, &other).await, 404, "not_found").await;
    assert_error(app.get(&path).await, 401, "unauthorized").await;
    assert_eq!(stored(&app).await, 2);
}

async fn units_add_rectification_evidence_to_their_cases(app: TestApp) {
    let w = world(&app).await;
    let (_ins, case) = failed(&app, &w, 2).await;
    let path = format!("/api/v1/cases/{case}/evidence");
    expect_status(
        app.post_as(
            &w.xiaodian,
            &format!("/api/v1/cases/{case}/transition"),
            &json!({"to": "rectification_ordered", "deadline_on": app.today() + chrono::Duration::days(7)}),
        )
        .await,
        200,
    )
    .await;
    let added = expect_status(post_photo(&app, &w.builder, &path, jpeg(4), Some("已加装颗粒捕集器")).await, 201).await;
    assert_eq!(added["uploaded_by_role"], "contractor_admin");
    assert_eq!(added["subject_kind"], "case");

    // Another unit and the other county: 404; a partner department of the county reads only.
    let (_org, stranger) = crate::helpers::contractor(&app, "evidence.stranger").await;
    assert_error(post_photo(&app, &stranger, &path, jpeg(5), None).await, 404, "not_found").await;
    assert_error(app.get_as(&stranger, &path).await, 404, "not_found").await;
    assert_error(app.get_as(&w.qingxu, &path).await, 404, "not_found").await;
    app.user("evidence.partner", app::auth::Role::PartnerViewer, Some("140105"), None).await;
    let partner = app.signed_in("evidence.partner").await;
    let seen = expect_status(app.get_as(&partner, &path).await, 200).await;
    assert_eq!(seen.as_array().map(Vec::len), Some(1));
    assert_error(post_photo(&app, &partner, &path, jpeg(5), None).await, 403, "forbidden").await;

    // A browser's form post comes back to the case page, which says the photo was added.
    let resp = w
        .builder
        .post(app.url(&path))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/cases/{case}")))
        .multipart(form(jpeg(6), None))
        .send()
        .await
        .expect("form");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], format!("/cases/{case}?uploaded=evidence").as_str());

    // Closed: nothing more is added, what is there stays readable.
    expect_status(
        app.post_as(
            &w.xiaodian,
            &format!("/api/v1/cases/{case}/transition"),
            &json!({"to": "penalized", "penalty_yuan": 5000}),
        )
        .await,
        200,
    )
    .await;
    expect_status(
        app.post_as(&w.xiaodian, &format!("/api/v1/cases/{case}/transition"), &json!({"to": "closed"})).await,
        200,
    )
    .await;
    assert_error(post_photo(&app, &w.builder, &path, jpeg(7), None).await, 403, "forbidden").await;
    assert_error(post_photo(&app, &w.xiaodian, &path, jpeg(7), None).await, 403, "forbidden").await;
    let listed = expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

async fn bad_evidence_is_refused_and_stores_nothing(app: TestApp) {
    let w = world(&app).await;
    let (ins, _case) = failed(&app, &w, 3).await;
    let path = format!("/api/v1/inspections/{}/photos", ins["id"].as_str().expect("id"));
    let storage_files = || walk(app.state.settings.data_dir.join("files"));

    let body = assert_error(
        post_photo(&app, &w.xiaodian, &path, b"not an image".to_vec(), None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_field(&body, "file", &FieldError::new(FieldCode::UnsupportedImage));
    let mut broken = jpeg(1);
    broken.truncate(broken.len() / 2);
    let body = assert_error(post_photo(&app, &w.xiaodian, &path, broken, None).await, 422, "validation_failed").await;
    assert_eq!(body["error"]["fields"]["file"].as_array().map(Vec::len), Some(1));
    let long = "长".repeat(501);
    let body =
        assert_error(post_photo(&app, &w.xiaodian, &path, jpeg(1), Some(&long)).await, 422, "validation_failed").await;
    assert_field(&body, "note", &FieldError::new(FieldCode::Length).with("min", 0).with("max", 500));
    let no_file = w.xiaodian.post(app.url(&path)).multipart(Form::new().text("note", "x")).send().await.expect("post");
    let body = assert_error(no_file, 422, "validation_failed").await;
    assert_field(&body, "file", &FieldError::new(FieldCode::Required));
    let not_a_form = app.post_as(&w.xiaodian, &path, &json!({"file": "x"})).await;
    assert_error(not_a_form, 400, "malformed").await;
    assert_eq!(stored(&app).await, 0);
    assert_eq!(storage_files(), 0, "no file left behind");

    // A gallery holds at most 20 photos.
    for i in 0..20u8 {
        expect_status(post_photo(&app, &w.xiaodian, &path, jpeg(i), None).await, 201).await;
    }
    let body = assert_error(post_photo(&app, &w.xiaodian, &path, jpeg(99), None).await, 409, "evidence_full").await;
    assert_eq!(body["error"]["details"]["max"], "20");
    assert_eq!(stored(&app).await, 20);
    assert_eq!(storage_files(), 40, "an original and a web copy each");
}

fn walk(dir: std::path::PathBuf) -> usize {
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { walk(e.path()) } else { 1 }).sum()
}

async fn zone_exemptions_apply_only_where_the_zone_lists_them(app: TestApp) {
    let w = world(&app).await;
    // A stage II diesel machine in 小店区's zone (stage III and later only) fails there...
    let old = registered(&app, &w, &w.zone_site, 4, json!({"emission_stage": "stage_2"})).await;
    let body = inspection(&app, &w.zone_site, &old, &[0.5, 0.5, 0.5]);
    let judged = inspect(&app, &w.xiaodian, &body).await;
    assert_eq!(judged["verdict"], "fail");
    assert!(opened_kinds(&judged).contains(&"zone_violation".to_owned()));
    assert_eq!(judged["zone_exemption"], Value::Null);
    // ...but not on emergency rescue work, which the zone exempts: the national limits still apply.
    let mut exempt = body.clone();
    exempt["zone_exemption"] = json!(" Emergency_Rescue ");
    let judged = inspect(&app, &w.xiaodian, &exempt).await;
    assert_eq!((judged["verdict"].as_str(), judged["limit_class"].as_str()), (Some("pass"), Some("I")));
    assert_eq!(judged["zone_exemption"], "emergency_rescue");
    assert!(opened_kinds(&judged).is_empty());
    exempt["opacity_readings"] = json!([2.0, 2.0, 2.0]);
    let judged = inspect(&app, &w.xiaodian, &exempt).await;
    assert_eq!(judged["verdict"], "fail");
    assert_eq!(opened_kinds(&judged), vec!["failed_inspection"]);
    // An exemption the zone does not list, or one claimed off a zone, is refused.
    let mut unlisted = body.clone();
    unlisted["zone_exemption"] = json!("night_work");
    let resp =
        assert_error(app.post_as(&w.xiaodian, "/api/v1/inspections", &unlisted).await, 422, "validation_failed").await;
    assert_field(&resp, "zone_exemption", &FieldError::new(FieldCode::ExemptionNotListed));
    let plain = registered(&app, &w, &w.plain_site, 5, json!({})).await;
    let mut off_zone = inspection(&app, &w.plain_site, &plain, &[0.5, 0.5, 0.5]);
    off_zone["zone_exemption"] = json!("emergency_rescue");
    let resp =
        assert_error(app.post_as(&w.xiaodian, "/api/v1/inspections", &off_zone).await, 422, "validation_failed").await;
    assert_field(&resp, "zone_exemption", &FieldError::new(FieldCode::NotInZone));
}
