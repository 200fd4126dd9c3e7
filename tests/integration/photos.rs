//! Machine photos over HTTP: upload in each accepted format (raw body and browser form), read
//! back (original byte for byte, web copy as a small JPEG), replace, delete; oversized, foreign
//! and broken uploads leave nothing behind; other organisations and officials outside the
//! machine's scope see nothing.

use crate::db_tests;
use crate::helpers::{TestApp, assert_error, json};
use app::auth::Role;
use app::db::entities::machine_photo;
use app::machines::MachineInput;
use image::{ImageEncoder, Rgb, RgbImage};
use reqwest::Client;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

db_tests!(
    upload_each_format_read_back_replace_and_delete,
    form_posts_from_pages_redirect_back,
    oversized_uploads_are_refused_early_and_store_nothing,
    broken_and_foreign_files_are_422_and_store_nothing,
    photos_are_private_to_the_owner_and_the_officials_in_scope,
    concurrent_uploads_of_one_kind_leave_one_photo,
);

fn sample(w: u32, h: u32, seed: u8) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8 ^ seed, (y % 256) as u8, ((x + y) % 256) as u8]))
}

fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&sample(w, h, seed)).expect("jpeg");
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(sample(w, h, 7).as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("png");
    out
}

fn webp(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .write_image(sample(w, h, 9).as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("webp");
    out
}

/// A machine with identifiers unique to `tag`, created through the API by the signed-in client.
async fn machine(app: &TestApp, client: &Client, tag: &str) -> String {
    let mut input = MachineInput::example();
    input.name = format!("挖掘机{tag}");
    input.pin = Some(format!("PIN{tag}0001"));
    input.env_code = Some(format!("CN{tag:0>15}"));
    input.engine_serial = Some(format!("ENG-{tag}"));
    let resp = client.post(app.url("/api/v1/machines")).json(&input).send().await.expect("create");
    assert_eq!(resp.status(), 201);
    json(resp).await["id"].as_str().expect("id").to_owned()
}

/// An organisation with a contractor admin `name`, signed in on a client of its own.
async fn contractor(app: &TestApp, name: &str) -> Client {
    let org = app.organization(&format!("{name}公司")).await;
    app.user(name, Role::ContractorAdmin, None, Some(org)).await;
    sign_in(app, name).await
}

async fn sign_in(app: &TestApp, name: &str) -> Client {
    let client = TestApp::new_client();
    let resp = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": name, "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200, "login {name}");
    client
}

async fn put(app: &TestApp, client: &Client, path: &str, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
    client.put(app.url(path)).header("content-type", content_type).body(bytes).send().await.expect("put")
}

async fn get_bytes(app: &TestApp, client: &Client, path: &str) -> (u16, String, Vec<u8>) {
    let resp = client.get(app.url(path)).send().await.expect("get");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, ct, resp.bytes().await.expect("body").to_vec())
}

/// Every stored file under the data directory's file store.
pub fn stored_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() { walk(&p, out) } else { out.push(p.display().to_string()) }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.settings.data_dir.join("files"), &mut out);
    out.sort();
    out
}

async fn photo_rows(app: &TestApp) -> u64 {
    machine_photo::Entity::find().count(&app.state.db).await.expect("count")
}

async fn upload_each_format_read_back_replace_and_delete(app: TestApp) {
    let a = contractor(&app, "owner.a").await;
    let id = machine(&app, &a, "A1").await;
    let base = format!("/api/v1/machines/{id}/photos");
    let uploads = [
        ("machine_plate", jpeg(2000, 1500, 1), "image/jpeg", (2000, 1500)),
        ("engine_plate", png(300, 200), "image/png", (300, 200)),
        ("env_label", webp(900, 1600), "image/webp", (900, 1600)),
    ];
    for (kind, bytes, content_type, (w, h)) in &uploads {
        // The declared type is ignored: the bytes decide.
        let resp = put(&app, &a, &format!("{base}/{kind}"), "text/plain", bytes.clone()).await;
        assert_eq!(resp.status(), 201, "{kind}");
        let photo = json(resp).await;
        assert_eq!(photo["kind"], *kind);
        assert_eq!(photo["content_type"], *content_type);
        assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(u64::from(*w)), Some(u64::from(*h))));
        assert_eq!(photo["size_bytes"].as_u64(), Some(bytes.len() as u64));

        let original = photo["urls"]["original"].as_str().expect("url");
        let (status, ct, body) = get_bytes(&app, &a, original).await;
        assert_eq!((status, ct.as_str()), (200, *content_type));
        assert!(body == *bytes, "{kind}: the original comes back byte for byte");

        let resp = a.get(app.url(&format!("{base}/{kind}?size=web"))).send().await.expect("get");
        assert_eq!(resp.headers()["cache-control"], "private, max-age=3600");
        assert_eq!(resp.headers()["content-type"], "image/jpeg");
        let web = image::load_from_memory_with_format(&resp.bytes().await.expect("body"), image::ImageFormat::Jpeg)
            .expect("the web copy is a JPEG");
        assert!(web.width().max(web.height()) <= 1280, "{kind}: {}x{}", web.width(), web.height());
        let ratio = |w: u32, h: u32| f64::from(w) / f64::from(h);
        assert!((ratio(web.width(), web.height()) - ratio(*w, *h)).abs() < 0.01, "{kind}: aspect ratio kept");
    }
    // The default copy is the web one.
    let (_, ct, _) = get_bytes(&app, &a, &format!("{base}/env_label")).await;
    assert_eq!(ct, "image/jpeg");

    let m = json(a.get(app.url(&format!("/api/v1/machines/{id}"))).send().await.expect("get")).await;
    assert_eq!(m["photos"], json!(["machine_plate", "engine_plate", "env_label"]));
    let list = json(a.get(app.url(&base)).send().await.expect("list")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    assert_eq!(stored_files(&app).len(), 6, "an original and a web copy each");

    // Replacing: the new photo is served, the old files are gone.
    let old_url = list[0]["urls"]["original"].as_str().expect("url").to_owned();
    let replacement = jpeg(640, 480, 99);
    let resp = put(&app, &a, &format!("{base}/machine_plate"), "application/octet-stream", replacement.clone()).await;
    assert_eq!(resp.status(), 201);
    let photo = json(resp).await;
    assert_ne!(photo["urls"]["original"].as_str(), Some(old_url.as_str()), "a new URL for a new photo");
    let (_, _, body) = get_bytes(&app, &a, &format!("{base}/machine_plate?size=original")).await;
    assert!(body == replacement);
    assert_eq!(stored_files(&app).len(), 6);
    assert_eq!(photo_rows(&app).await, 3);

    // Deleting.
    let resp = a.delete(app.url(&format!("{base}/engine_plate"))).send().await.expect("delete");
    assert_eq!(resp.status(), 204);
    assert_error(a.get(app.url(&format!("{base}/engine_plate"))).send().await.expect("get"), 404, "not_found").await;
    assert_error(a.delete(app.url(&format!("{base}/engine_plate"))).send().await.expect("delete"), 404, "not_found")
        .await;
    assert_eq!(stored_files(&app).len(), 4);
    assert!(stored_files(&app).iter().all(|f| !f.contains("engine_plate")));
    let m = json(a.get(app.url(&format!("/api/v1/machines/{id}"))).send().await.expect("get")).await;
    assert_eq!(m["photos"], json!(["machine_plate", "env_label"]));

    // Unknown kinds name nothing.
    assert_error(put(&app, &a, &format!("{base}/selfie"), "image/jpeg", jpeg(8, 8, 0)).await, 404, "not_found").await;

    // Deleting the machine removes its photos' files.
    assert_eq!(a.delete(app.url(&format!("/api/v1/machines/{id}"))).send().await.expect("delete").status(), 204);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    assert_eq!(photo_rows(&app).await, 0);
}

fn form(bytes: Vec<u8>, file_name: &str, mime: &str) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()).mime_str(mime).expect("mime");
    reqwest::multipart::Form::new().text("note", "ignored").part("file", part)
}

async fn form_posts_from_pages_redirect_back(app: TestApp) {
    let a = contractor(&app, "owner.b").await;
    let id = machine(&app, &a, "B1").await;
    let path = format!("/api/v1/machines/{id}/photos/whole_machine");

    // A script gets JSON.
    let resp = a.post(app.url(&path)).multipart(form(png(50, 40), "x.png", "image/png")).send().await.expect("post");
    assert_eq!(resp.status(), 201);
    assert_eq!(json(resp).await["content_type"], "image/png");

    // A browser is sent back to the page it came from, told which photo was uploaded.
    let resp = a
        .post(app.url(&path))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .header("referer", app.url(&format!("/machines/{id}?tab=photos")))
        .multipart(form(jpeg(64, 64, 3), "IMG_0001.JPG", "image/jpeg"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], format!("/machines/{id}?tab=photos&uploaded=whole_machine").as_str());
    let (_, ct, _) = get_bytes(&app, &a, &format!("{path}?size=original")).await;
    assert_eq!(ct, "image/jpeg", "the second upload replaced the first");

    // … but never to another site.
    let resp = a
        .post(app.url(&path))
        .header("accept", "text/html")
        .header("referer", "https://evil.example/phish")
        .multipart(form(jpeg(64, 64, 4), "a.jpg", "image/jpeg"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], format!("/machines/{id}?uploaded=whole_machine").as_str());

    // A form without a file, or not a form at all.
    let resp =
        a.post(app.url(&path)).multipart(reqwest::multipart::Form::new().text("x", "y")).send().await.expect("post");
    let body = assert_error(resp, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["file"].is_array(), "{body}");
    let resp = a.post(app.url(&path)).header("content-type", "text/plain").body("hi").send().await.expect("post");
    assert_error(resp, 400, "malformed").await;
    assert_eq!(photo_rows(&app).await, 1);
    assert_eq!(stored_files(&app).len(), 2);
}

async fn oversized_uploads_are_refused_early_and_store_nothing(app: TestApp) {
    let a = contractor(&app, "owner.c").await;
    let id = machine(&app, &a, "C1").await;
    let path = format!("/api/v1/machines/{id}/photos/whole_machine");

    // 50 MB with a declared length: refused before the body is read (only its first bytes are
    // sent; the answer must come anyway). A client sending the whole body would race the close.
    let cookie = session_cookie(&app, "owner.c").await;
    let started = Instant::now();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        50 * 1024 * 1024
    );
    let answer = crate::helpers::raw_request(app.addr, &head, &[0xFF, 0xD8, 0xFF]).await;
    let elapsed = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("payload_too_large"), "{answer}");
    assert!(elapsed < Duration::from_secs(5), "refused quickly: {elapsed:?}");
    eprintln!("50 MB PUT refused in {elapsed:?}");

    // A browser form announcing an 11 MB file.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        11 * 1024 * 1024
    );
    let answer = crate::helpers::raw_request(app.addr, &head, b"--XyZ\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // Exactly one byte over 10 MiB in a raw body (within the route's limit for form framing).
    let resp = put(&app, &a, &path, "image/jpeg", vec![0u8; 10 * 1024 * 1024 + 1]).await;
    assert_error(resp, 413, "payload_too_large").await;

    // No declared length (chunked): reading stops at the limit.
    let status = chunked_put(&app, "owner.c", &path, 50).await;
    assert_eq!(status, 413);

    assert_eq!(photo_rows(&app).await, 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
}

/// Sends `megabytes` of zeros with chunked transfer encoding (no declared length) over a raw
/// connection, signed in as `username`, and returns the status of the answer.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let resp = TestApp::new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .expect("login");
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("nrmm_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned()
}

async fn chunked_put(app: &TestApp, username: &str, path: &str, megabytes: usize) -> u16 {
    let cookie = session_cookie(app, username).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let (mut reader, mut writer) = stream.into_split();
    let sender = tokio::spawn(async move {
        let chunk = vec![0u8; 1024 * 1024];
        for _ in 0..megabytes {
            let frame = format!("{:x}\r\n", chunk.len());
            if writer.write_all(frame.as_bytes()).await.is_err()
                || writer.write_all(&chunk).await.is_err()
                || writer.write_all(b"\r\n").await.is_err()
            {
                return;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(20), reader.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => response.extend_from_slice(&buf[..n]),
            other => panic!("no answer: {other:?}"),
        }
    }
    sender.abort();
    let text = String::from_utf8_lossy(&response);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

async fn broken_and_foreign_files_are_422_and_store_nothing(app: TestApp) {
    let a = contractor(&app, "owner.d").await;
    let id = machine(&app, &a, "D1").await;
    let path = format!("/api/v1/machines/{id}/photos/env_label");
    let file_error = |body: &Value| body["error"]["fields"]["file"][0].as_str().unwrap_or_default().to_owned();

    // Text named .jpg, sent as a JPEG.
    let resp = a
        .post(app.url(&path))
        .multipart(form(b"this is not a photo".to_vec(), "label.jpg", "image/jpeg"))
        .send()
        .await
        .expect("post");
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(file_error(&body), "Upload a JPEG, PNG or WebP image.");
    let resp = put(&app, &a, &path, "image/jpeg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(file_error(&body), "Upload a JPEG, PNG or WebP image.");

    // Truncated and damaged images.
    let whole = jpeg(800, 600, 5);
    for cut in [whole.len() / 2, whole.len() - 2] {
        let resp = put(&app, &a, &path, "image/jpeg", whole[..cut].to_vec()).await;
        let body = assert_error(resp, 422, "validation_failed").await;
        assert_eq!(file_error(&body), "This image is damaged or incomplete; please upload it again.", "cut {cut}");
    }
    let p = png(400, 300);
    let resp = put(&app, &a, &path, "image/png", p[..p.len() * 2 / 3].to_vec()).await;
    assert_error(resp, 422, "validation_failed").await;
    let w = webp(400, 300);
    let resp = put(&app, &a, &path, "image/webp", w[..w.len() / 2].to_vec()).await;
    assert_error(resp, 422, "validation_failed").await;

    // An empty body.
    let resp = put(&app, &a, &path, "image/jpeg", Vec::new()).await;
    let body = assert_error(resp, 422, "validation_failed").await;
    assert_eq!(file_error(&body), "This field is required.");

    assert_eq!(photo_rows(&app).await, 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));

    // A broken replacement keeps the photo on file.
    assert_eq!(put(&app, &a, &path, "image/jpeg", whole.clone()).await.status(), 201);
    assert_error(put(&app, &a, &path, "image/jpeg", whole[..100].to_vec()).await, 422, "validation_failed").await;
    let (status, _, body) = get_bytes(&app, &a, &format!("{path}?size=original")).await;
    assert_eq!(status, 200);
    assert!(body == whole);
    assert_eq!(stored_files(&app).len(), 2);
}

async fn photos_are_private_to_the_owner_and_the_officials_in_scope(app: TestApp) {
    let a = contractor(&app, "owner.e").await;
    let b = contractor(&app, "other.f").await;
    let id = machine(&app, &a, "E1").await;
    let path = format!("/api/v1/machines/{id}/photos/machine_plate");
    assert_eq!(put(&app, &a, &path, "image/jpeg", jpeg(32, 32, 1)).await.status(), 201);

    // Another construction unit: as if nothing were there.
    assert_error(b.get(app.url(&path)).send().await.expect("get"), 404, "not_found").await;
    assert_error(
        b.get(app.url(&format!("/api/v1/machines/{id}/photos"))).send().await.expect("list"),
        404,
        "not_found",
    )
    .await;
    assert_error(put(&app, &b, &path, "image/jpeg", jpeg(16, 16, 2)).await, 404, "not_found").await;
    let resp =
        b.post(app.url(&path)).multipart(form(jpeg(16, 16, 2), "a.jpg", "image/jpeg")).send().await.expect("post");
    assert_error(resp, 404, "not_found").await;
    assert_error(b.delete(app.url(&path)).send().await.expect("delete"), 404, "not_found").await;
    // Not signed in.
    assert_error(TestApp::new_client().get(app.url(&path)).send().await.expect("get"), 401, "unauthorized").await;

    // An inspector of a county where the machine was never filed.
    app.user("inspector.xd", Role::CountyInspector, Some("140105"), None).await;
    app.user("inspector.yz", Role::CountyInspector, Some("140106"), None).await;
    let xd = sign_in(&app, "inspector.xd").await;
    let yz = sign_in(&app, "inspector.yz").await;
    assert_error(xd.get(app.url(&path)).send().await.expect("get"), 404, "not_found").await;

    // Once filed for a site in 小店区, its inspector sees the photo; the other county still not.
    let today = app::dates::china_date(app.clock.now());
    let site = json(
        a.post(app.url("/api/v1/sites"))
            .json(&json!({
                "name": "测试工地", "county_code": "140105", "address": "太原市小店区某路1号",
                "starts_on": today, "ends_on": today + chrono::Days::new(90),
            }))
            .send()
            .await
            .expect("site"),
    )
    .await;
    let resp = a
        .post(app.url("/api/v1/filings"))
        .json(&json!({
            "site_id": site["id"], "machine_ids": [id],
            "planned_entry_on": today, "planned_exit_on": today + chrono::Days::new(30),
        }))
        .send()
        .await
        .expect("filing");
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
    let (status, ct, _) = get_bytes(&app, &xd, &path).await;
    assert_eq!((status, ct.as_str()), (200, "image/jpeg"));
    assert_error(yz.get(app.url(&path)).send().await.expect("get"), 404, "not_found").await;
    // Officials read, but never change.
    assert_error(put(&app, &xd, &path, "image/jpeg", jpeg(16, 16, 3)).await, 403, "forbidden").await;
    assert_error(xd.delete(app.url(&path)).send().await.expect("delete"), 403, "forbidden").await;
    assert_eq!(photo_rows(&app).await, 1);
    assert_eq!(stored_files(&app).len(), 2);
}

async fn concurrent_uploads_of_one_kind_leave_one_photo(app: TestApp) {
    let a = contractor(&app, "owner.h").await;
    let id = machine(&app, &a, "H1").await;
    let path = format!("/api/v1/machines/{id}/photos/env_label");
    let uploads = (0..6u8).map(|i| {
        let (client, url) = (a.clone(), app.url(&path));
        tokio::spawn(async move {
            let resp = client.put(url).body(jpeg(200 + u32::from(i), 100, i)).send().await.expect("put");
            (resp.status().as_u16(), resp.text().await.unwrap_or_default())
        })
    });
    for u in uploads.collect::<Vec<_>>() {
        let (status, body) = u.await.expect("task");
        assert_eq!(status, 201, "{body}");
    }
    assert_eq!(photo_rows(&app).await, 1);
    let files = stored_files(&app);
    assert_eq!(files.len(), 2, "only the winner's files remain: {files:?}");
    let photo = &json(a.get(app.url(&format!("/api/v1/machines/{id}/photos"))).send().await.expect("list")).await[0];
    let version = photo["urls"]["web"].as_str().and_then(|u| u.split("v=").nth(1)).expect("version").to_owned();
    assert!(files.iter().all(|f| f.replace('-', "").contains(&version)), "{files:?} vs {version}");
}

#[tokio::test]
async fn openapi_documents_the_photo_endpoints() {
    let app = TestApp::sqlite().await;
    let doc = json(app.get("/api/v1/openapi.json").await).await;
    let one = &doc["paths"]["/api/v1/machines/{id}/photos/{kind}"];
    for method in ["get", "put", "post", "delete"] {
        assert!(one[method].is_object(), "{method} missing");
    }
    assert!(one["post"]["requestBody"]["content"]["multipart/form-data"].is_object());
    assert!(doc["paths"]["/api/v1/machines/{id}/photos"]["get"].is_object());
    assert!(one["get"]["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == "size")));
    for schema in ["MachinePhoto", "PhotoUrls", "PhotoKind", "ImageBytes", "PhotoForm"] {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} missing");
    }
}

#[tokio::test]
async fn a_camera_sized_photo_is_scaled_down() {
    let app = TestApp::sqlite().await;
    let a = contractor(&app, "owner.g").await;
    let id = machine(&app, &a, "G1").await;
    let big = jpeg(4000, 3000, 11);
    let started = Instant::now();
    let resp = put(&app, &a, &format!("/api/v1/machines/{id}/photos/whole_machine"), "image/jpeg", big.clone()).await;
    let elapsed = started.elapsed();
    assert_eq!(resp.status(), 201);
    eprintln!("4000x3000 JPEG of {} bytes stored with its web copy in {elapsed:?}", big.len());
    let (_, _, web) = get_bytes(&app, &a, &format!("/api/v1/machines/{id}/photos/whole_machine?size=web")).await;
    let web = image::load_from_memory(&web).expect("web copy");
    assert_eq!((web.width(), web.height()), (1280, 960));
}
