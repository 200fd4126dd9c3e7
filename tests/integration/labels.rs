//! Registration labels: the SVG of one machine (its QR code decodes back to the public
//! verification URL), the A4 sheet, and the scope rules of both.

use crate::db_tests;
use crate::helpers::{PASSWORD, TestApp, assert_error, json};
use app::auth::Role;
use serde_json::{Value, json};

db_tests!(label_svg_carries_a_scannable_url_and_respects_scope, a4_sheet_shows_only_machines_in_scope);

/// A client of its own, signed in as `username`.
async fn client_for(app: &TestApp, username: &str) -> reqwest::Client {
    let client = TestApp::new_client();
    let resp = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200, "login {username}");
    client
}

async fn post(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> Value {
    let resp = client.post(app.url(path)).json(&body).send().await.expect("request");
    let status = resp.status();
    let body = json(resp).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

struct World {
    a: reqwest::Client,
    b: reqwest::Client,
    registered: String,
    second: String,
    unregistered: String,
    code: String,
}

/// Two construction units; A has two machines registered through an accepted filing and one
/// that is not registered; B has nothing.
async fn world(app: &TestApp) -> World {
    let org_a = app.organization("太原市甲&乙建设<工程>有限公司").await;
    let org_b = app.organization("乙公司").await;
    app.user("a.admin", Role::ContractorAdmin, None, Some(org_a)).await;
    app.user("b.admin", Role::ContractorAdmin, None, Some(org_b)).await;
    app.user("inspector", Role::CountyInspector, Some("140105"), None).await;
    let a = client_for(app, "a.admin").await;
    let b = client_for(app, "b.admin").await;
    let inspector = client_for(app, "inspector").await;

    let today = app::dates::china_date(app.clock.now());
    let site = post(
        app,
        &a,
        "/api/v1/sites",
        json!({"name": "一号工地", "county_code": "140105", "address": "小店区某路1号",
               "starts_on": today, "ends_on": today + chrono::Days::new(90)}),
    )
    .await;
    let mut ids = Vec::new();
    for (pin, env, serial) in [
        ("LBL-0001", "CN0000000000LBL01", "ENG-LBL-1"),
        ("LBL-0002", "CN0000000000LBL02", "ENG-LBL-2"),
        ("LBL-0003", "CN0000000000LBL03", "ENG-LBL-3"),
    ] {
        let mut m = serde_json::to_value(app::machines::MachineInput::example()).expect("json");
        m["pin"] = json!(pin);
        m["env_code"] = json!(env);
        m["engine_serial"] = json!(serial);
        ids.push(post(app, &a, "/api/v1/machines", m).await["id"].as_str().expect("id").to_owned());
    }
    let filing = post(
        app,
        &a,
        "/api/v1/filings",
        json!({"site_id": site["id"], "machine_ids": [ids[0], ids[1]], "planned_entry_on": today,
               "planned_exit_on": today + chrono::Days::new(30)}),
    )
    .await;
    let fid = filing["id"].as_str().expect("filing id");
    post(app, &inspector, &format!("/api/v1/filings/{fid}/review"), json!({"decision": "accept"})).await;
    let machine: Value = json(a.get(app.url(&format!("/api/v1/machines/{}", ids[0]))).send().await.expect("get")).await;
    let code = machine["registration_code"].as_str().expect("registered").to_owned();
    World { a, b, registered: ids[0].clone(), second: ids[1].clone(), unregistered: ids[2].clone(), code }
}

/// The value of attribute `name` in the tag text `tag`.
fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_owned())
}

/// Reads the QR code of a label: the `<rect>` modules of its `class="qr"` drawing, painted
/// into a greyscale raster at 8 pixels a module and handed to a QR decoder.
fn decode_label_qr(svg: &str) -> String {
    let start = svg.find("<svg class=\"qr\"").expect("a QR drawing");
    let qr = &svg[start..start + svg[start..].find("</svg>").expect("end of QR")];
    let head = &qr[..qr.find('>').expect("tag")];
    let view_box = attr(head, "viewBox").expect("viewBox");
    let modules: usize = view_box.split(' ').nth(2).and_then(|v| v.parse().ok()).expect("width in modules");
    const SCALE: usize = 8;
    let size = modules * SCALE;
    let mut pixels = vec![255u8; size * size];
    let mut count = 0;
    for tag in qr.split("<rect").skip(1) {
        let tag = &tag[..tag.find("/>").expect("self-closing rect")];
        if tag.contains("qr-bg") {
            continue;
        }
        let num = |n: &str| -> usize { attr(tag, n).and_then(|v| v.parse().ok()).expect("integer attribute") };
        let (x, y, w, h) = (num("x"), num("y"), num("width"), num("height"));
        for py in y * SCALE..(y + h) * SCALE {
            for px in x * SCALE..(x + w) * SCALE {
                pixels[py * size + px] = 0;
            }
        }
        count += 1;
    }
    assert!(count > 50, "too few modules: {count}");
    // The quiet zone: nothing dark within four modules of the edge.
    for i in 0..size {
        for j in 0..4 * SCALE {
            assert_eq!(pixels[j * size + i], 255, "quiet zone (top) at {i}");
            assert_eq!(pixels[i * size + j], 255, "quiet zone (left) at {i}");
        }
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| pixels[y * size + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, content) = grids[0].decode().expect("decodes");
    content
}

async fn label_svg_carries_a_scannable_url_and_respects_scope(app: TestApp) {
    let w = world(&app).await;
    let resp = w.a.get(app.url(&format!("/api/v1/machines/{}/label.svg", w.registered))).send().await.expect("svg");
    assert_eq!(resp.status(), 200);
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(ct.starts_with("image/svg+xml"), "{ct}");
    let svg = resp.text().await.expect("body");
    assert!(svg.starts_with("<?xml"), "{svg}");
    assert_eq!(decode_label_qr(&svg), format!("{}/v/{}", app.state.settings.public_url, w.code));
    // The code in large type, the type's and the stage's Chinese names, the owner — escaped.
    assert!(svg.contains(&format!(">{}</text>", w.code)));
    assert!(svg.contains("挖掘机") && svg.contains("国四"));
    assert!(svg.contains("太原市甲&amp;乙建设&lt;工程&gt;"), "{svg}");
    assert!(!svg.contains("<工程>"));

    // B cannot see A's machine; an unregistered machine has no label; nobody signed in is 401.
    let resp = w.b.get(app.url(&format!("/api/v1/machines/{}/label.svg", w.registered))).send().await.expect("b");
    assert_error(resp, 404, "not_found").await;
    let resp = w.a.get(app.url(&format!("/api/v1/machines/{}/label.svg", w.unregistered))).send().await.expect("u");
    assert_error(resp, 409, "not_registered").await;
    let resp = app.get(&format!("/api/v1/machines/{}/label.svg", w.registered)).await;
    assert_error(resp, 401, "unauthorized").await;
    let resp = w.a.get(app.url("/api/v1/machines/not-a-uuid/label.svg")).send().await.expect("bad id");
    assert_error(resp, 404, "not_found").await;
}

async fn a4_sheet_shows_only_machines_in_scope(app: TestApp) {
    let w = world(&app).await;
    let url = |ids: &str| app.url(&format!("/labels?ids={ids}"));
    let resp = w.a.get(url(&format!("{},{}", w.registered, w.second))).send().await.expect("sheet");
    assert_eq!(resp.status(), 200);
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = resp.text().await.expect("html");
    assert!(html.contains("<html lang=\"zh\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("@page { size: A4; margin: 10mm }"));
    assert!(html.contains("Noto Sans CJK SC"));
    assert_eq!(html.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"nrmm-label\"").count(), 2);
    // Each label's QR decodes to its own machine's URL.
    let first = &html[html.find("class=\"nrmm-label\"").expect("label")..];
    assert_eq!(decode_label_qr(first), format!("{}/v/{}", app.state.settings.public_url, w.code));

    // Another organisation's machine, an unknown id, a malformed id: 404 for the whole page.
    let resp = w.b.get(url(&w.registered)).send().await.expect("b");
    assert_eq!(resp.status(), 404);
    let resp = w.a.get(url(&format!("{},{}", w.registered, uuid::Uuid::now_v7()))).send().await.expect("unknown");
    assert_eq!(resp.status(), 404);
    let resp = w.a.get(url("nope")).send().await.expect("malformed");
    assert_eq!(resp.status(), 404);
    // Nothing selected, an unregistered machine, nobody signed in.
    assert_eq!(w.a.get(url("")).send().await.expect("empty").status(), 400);
    assert_eq!(w.a.get(url(&w.unregistered)).send().await.expect("unregistered").status(), 409);
    let resp = app.get(&format!("/labels?ids={}", w.registered)).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers().get("location").and_then(|v| v.to_str().ok()), Some("/login"));
}
