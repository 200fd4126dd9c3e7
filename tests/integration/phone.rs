//! The inspector's phone (issue 13), in headless Chromium at 360 × 740: the WASM split by page
//! (the field page fetches its own chunks only, another page fetches its own when visited), the
//! QR scanner reading a real label from a fake camera with and without the browser's
//! `BarcodeDetector` (and when that detector exists but fails), a refused camera, and the
//! label's address opening the official's view; the offline field mode (the service worker,
//! the outbox sent once when the network returns).

use crate::browser::{Browser, crane_site, demo_crane};
use crate::helpers::TestApp;
use std::collections::{BTreeMap, BTreeSet};

/// The built bundle: its main module and its split manifest (split point → chunk files).
struct Bundle {
    main: String,
    manifest: BTreeMap<String, Vec<String>>,
}

impl Bundle {
    /// `None` when the site is not built and Chromium is missing (the browser tests skip then);
    /// with Chromium the bundle must be there.
    fn load() -> Option<Bundle> {
        let path = crate::helpers::site_root().join("pkg/assets.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            assert!(
                !std::path::Path::new("/usr/bin/chromium").exists(),
                "{} is missing: build the site",
                path.display()
            );
            eprintln!("SKIPPED: {} is missing", path.display());
            return None;
        };
        let assets: serde_json::Value = serde_json::from_str(&text).expect("assets.json");
        let manifest = serde_json::from_value(assets["split_manifest"].clone()).expect("split manifest");
        Some(Bundle { main: assets["wasm"].as_str().expect("wasm").to_owned(), manifest })
    }

    /// The chunk files a split point needs; `name` is the lazy function's (`field_pages`,
    /// `decode_qr`), with which the split point's name begins.
    fn chunks(&self, name: &str) -> BTreeSet<String> {
        let prefix = format!("{name}_");
        let found: Vec<_> = self.manifest.iter().filter(|(k, _)| k.starts_with(&prefix)).collect();
        assert_eq!(found.len(), 1, "one split point named {name}: {:?}", self.manifest.keys());
        found[0].1.iter().map(|c| format!("{c}.wasm")).collect()
    }

    /// The split point's own module (the last of its chunks; the others are shared).
    fn own(&self, name: &str) -> String {
        let prefix = format!("{name}_");
        let (_, chunks) = self.manifest.iter().find(|(k, _)| k.starts_with(&prefix)).expect("split point");
        format!("{}.wasm", chunks.last().expect("a module"))
    }
}

/// The WASM files the page has fetched since it was loaded.
async fn wasm_fetched(b: &Browser) -> BTreeSet<String> {
    let names = b
        .eval(
            "return performance.getEntriesByType('resource').map(r => r.name.split('?')[0])\
             .filter(n => n.endsWith('.wasm')).map(n => n.split('/').pop())",
        )
        .await;
    names.as_array().expect("names").iter().map(|n| n.as_str().expect("name").to_owned()).collect()
}

/// The WASM files fetched once those in `awaited` are among them (Chromium lists a finished
/// fetch in the resource timeline a moment after the module it carried may already run), or
/// what was fetched after 10 s.
async fn wasm_fetched_with(b: &Browser, awaited: &[&String]) -> BTreeSet<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let fetched = wasm_fetched(b).await;
        if awaited.iter().all(|a| fetched.contains(*a)) || std::time::Instant::now() > deadline {
            return fetched;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_field_page_fetches_its_own_chunks_and_another_page_its_own_when_visited() {
    let Some(bundle) = Bundle::load() else { return };
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let code = demo_crane(&app).await.registration_code.expect("registered");
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.sign_in_demo_inspector(&app).await;

    // Every group hydrates what the server rendered, once: a page whose chunk was not there when
    // the router hydrated it was rendered a second time below the first.
    for path in ["/", "/inspections", "/cases", "/machines", "/notifications", "/dashboard", "/field"] {
        b.client.goto(&app.url(path)).await.expect("goto");
        b.wait_hydrated().await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let headings = b.eval("return document.querySelectorAll('main h1').length").await;
        assert_eq!(headings.as_u64(), Some(1), "{path}: one page\n{}", b.page_state().await);
    }
    // A cold load of /field: the main module and the field page's chunks, nothing else. The
    // browser's memory cache is off (a file it reuses from the pages above is not listed in the
    // resource timeline); the service worker still answers.
    b.cdp("Network.enable", serde_json::json!({})).await;
    b.cdp("Network.setCacheDisabled", serde_json::json!({"cacheDisabled": true})).await;
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    let field = bundle.chunks("field_pages");
    let fetched = wasm_fetched_with(&b, &[&bundle.main, &bundle.own("field_pages")]).await;
    let allowed: BTreeSet<String> = field.iter().cloned().chain([bundle.main.clone()]).collect();
    assert!(fetched.is_subset(&allowed), "fetched {fetched:?}, allowed {allowed:?}");
    assert!(fetched.contains(&bundle.main) && fetched.contains(&bundle.own("field_pages")), "{fetched:?}");
    // It works: a look-up answers.
    b.fill("#code", &code).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("main", "3号汽车起重机").await;

    // Another page, reached through the menu: its chunks arrive and it works.
    b.find("nav a[href='/inspections']").await.click().await.expect("menu");
    b.wait_text("main h1", "检查记录").await;
    let now = wasm_fetched_with(&b, &[&bundle.own("official_pages")]).await;
    let new: BTreeSet<String> = now.difference(&fetched).cloned().collect();
    let inspections = bundle.chunks("official_pages");
    assert!(new.is_subset(&inspections), "fetched {new:?} for the inspections page, its chunks {inspections:?}");
    assert!(new.contains(&bundle.own("official_pages")), "{new:?}");
    b.assert_no_page_errors().await;

    // The label's address, opened by an official: the field look-up of that machine, hydrated,
    // with its inspect button.
    b.client.goto(&app.url(&format!("/v/{code}"))).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("main", "3号汽车起重机").await;
    b.find("[data-testid=inspect]").await.click().await.expect("inspect");
    b.find("[data-testid=record-inspection]").await;
    b.assert_no_page_errors().await;
    b.close().await;
}

/// The label as the portal prints it, photographed: the label's SVG drawn by Chromium, as a
/// Y4M video file (one frame, repeated) for Chromium's fake camera.
async fn label_video(app: &TestApp, dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let crane = demo_crane(app).await;
    let unit = TestApp::new_client();
    let login = serde_json::json!({"username": "builder.admin", "password": server::seed::DEMO_PASSWORD});
    let resp = app.post_as(&unit, "/api/v1/auth/login", &login).await;
    assert_eq!(resp.status(), 200, "the unit signs in");
    let svg = unit.get(app.url(&format!("/api/v1/machines/{}/label.svg", crane.id))).send().await.expect("label");
    assert_eq!(svg.status(), 200);
    let svg_path = dir.join("label.svg");
    std::fs::write(&svg_path, svg.text().await.expect("svg")).expect("write svg");

    // On a white page, large enough that a camera frame holds it like a label held up to a phone.
    let page = dir.join("label.html");
    std::fs::write(&page, "<body style='margin:48px;background:#fff'><img src='label.svg' style='width:560px'></body>")
        .expect("write page");
    let b = Browser::start(656, 480).await?;
    b.client.goto(&format!("file://{}", page.display())).await.expect("open the label");
    let png = b.client.screenshot().await.expect("screenshot");
    b.close().await;
    let frame = image::load_from_memory(&png).expect("png").to_luma8();
    let (w, h) = (frame.width() & !1, frame.height() & !1);
    let frame = image::imageops::crop_imm(&frame, 0, 0, w, h).to_image();
    let mut check =
        rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| frame.as_raw()[y * w as usize + x]);
    let url = check.detect_grids().first().and_then(|g| g.decode().ok()).map(|(_, text)| text);
    assert_eq!(url, Some(format!("{}/v/{}", app.state.settings.public_url, crane.registration_code.expect("code"))));

    // YUV 4:2:0: the picture in Y, no colour in U and V.
    let mut y4m = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\nFRAME\n").into_bytes();
    y4m.extend_from_slice(frame.as_raw());
    y4m.extend(std::iter::repeat_n(128u8, (w * h / 2) as usize));
    let path = dir.join("label.y4m");
    std::fs::write(&path, y4m).expect("write y4m");
    Some(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scanner_reads_a_real_label_with_the_browsers_detector_or_in_wasm() {
    let Some(bundle) = Bundle::load() else { return };
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let crane = demo_crane(&app).await;
    let code = crane.registration_code.clone().expect("registered");
    let _ = crane_site(&app).await;
    let dir = tempfile::tempdir().expect("dir");
    let Some(video) = label_video(&app, dir.path()).await else { return };
    let camera = [
        "--use-fake-device-for-media-stream".to_owned(),
        "--use-fake-ui-for-media-stream".to_owned(),
        format!("--use-file-for-fake-video-capture={}", video.display()),
    ];
    let Some(b) = Browser::launch_with(360, 740, true, &camera).await else { return };
    b.sign_in_demo_inspector(&app).await;
    let decoder = bundle.own("decode_qr");
    let scan_and_find_the_crane = async |b: &Browser| {
        b.find("[data-testid=scan]").await.click().await.expect("scan");
        b.wait_text("main", "3号汽车起重机").await;
        let url = b.client.current_url().await.expect("url");
        assert!(url.as_str().contains(&code), "{url}");
    };

    // No detector in the browser: frames are decoded in WASM, whose chunk arrives only now.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    assert!(!wasm_fetched(&b).await.contains(&decoder), "the decoder waits for the camera");
    b.eval("delete window.BarcodeDetector; return true").await;
    scan_and_find_the_crane(&b).await;
    assert!(wasm_fetched(&b).await.contains(&decoder), "decoded in WASM");
    b.snap("scanned-wasm-360").await;

    // A detector that says it reads QR codes but fails (Android without Google Play services):
    // tried, then the WASM decoder takes over.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.eval(
        "window.__detects = 0; window.BarcodeDetector = class { \
            static async getSupportedFormats() { return ['qr_code']; } \
            async detect() { window.__detects++; throw new DOMException('Barcode detection service unavailable', 'NotSupportedError'); } }; \
         return true",
    )
    .await;
    scan_and_find_the_crane(&b).await;
    assert!(b.eval("return window.__detects").await.as_u64().unwrap_or(0) >= 1, "the detector was tried");
    assert!(wasm_fetched(&b).await.contains(&decoder), "then decoded in WASM");

    // A detector that works: used, and the WASM decoder is never fetched.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.eval(
        "window.BarcodeDetector = class { \
            static async getSupportedFormats() { return ['qr_code', 'ean_13']; } \
            async detect(video) { return video.videoWidth > 0 ? [{ rawValue: `${location.origin}/v/REPLACE` }] : []; } }; \
         return true"
            .replace("REPLACE", &code)
            .as_str(),
    )
    .await;
    scan_and_find_the_crane(&b).await;
    assert!(!wasm_fetched(&b).await.contains(&decoder), "the browser's detector read it");

    // The camera refused: said plainly, and the code can still be typed.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.eval(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError')); \
         return true",
    )
    .await;
    b.find("[data-testid=scan]").await.click().await.expect("scan");
    b.wait_text("[data-testid=scan-problem]", "摄像头权限被拒绝").await;
    b.snap("camera-refused-360").await;
    b.fill("#code", &code).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("main", "3号汽车起重机").await;
    b.assert_no_page_errors().await;
    b.close().await;
}

/// `/sw.js` is this build's service worker: versioned with the bundle's name, keeping the
/// shell, the field pages' chunks and the outbox script, and never cached stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_keeps_this_builds_field_files() {
    let Some(bundle) = Bundle::load() else { return };
    let app = TestApp::sqlite().await;
    let resp = app.get("/sw.js").await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(headers["content-type"].to_str().expect("type").starts_with("text/javascript"));
    let body = resp.text().await.expect("body");
    let precache: Vec<String> = {
        let line = body.lines().find(|l| l.starts_with("const PRECACHE = ")).expect("PRECACHE");
        serde_json::from_str(line.trim_start_matches("const PRECACHE = ").trim_end_matches(';')).expect("a list")
    };
    assert!(body.contains("addEventListener(\"fetch\""), "{body}");
    let pkg = |f: &str| format!("/pkg/{f}");
    for needed in
        [pkg(&bundle.main), "/outbox.js".into()].into_iter().chain(bundle.chunks("field_pages").iter().map(|c| pkg(c)))
    {
        assert!(precache.contains(&needed), "{needed} not kept: {precache:?}");
    }
    for c in bundle.chunks("inspect_pages").iter().chain(&bundle.chunks("decode_qr")) {
        assert!(precache.contains(&pkg(c)), "{c} not kept");
    }
    // Not the desk's or the officials' pages: a phone with a weak signal fetches what it needs.
    assert!(!precache.contains(&pkg(&bundle.own("desk_pages"))), "{precache:?}");
    for file in &precache {
        assert_eq!(app.get(file).await.status(), 200, "{file}");
    }
}

/// With no network (DevTools' offline emulation of the page and its service worker, at
/// 360 × 740): an inspection recorded on the phone waits in the outbox with the phone's
/// verdict (a pass by the table the phone kept); the city publishes a stricter table and the
/// session ends meanwhile, and the outbox keeps the inspection until the inspector signs in
/// again; then it is sent once, photo included, the server's verdict (a fail, by the new table)
/// is the one kept and the page says it differs, one case is opened, and sending the same
/// submission again gives the same inspection back. Offline, the field page comes from the
/// service worker and a look-up says it could not be checked (asked again on reconnect).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspection_recorded_offline_waits_in_the_outbox_and_is_sent_once() {
    use app::db::entities::{case, inspection};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let Some(_bundle) = Bundle::load() else { return };
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let crane = demo_crane(&app).await;
    let code = crane.registration_code.clone().expect("registered");
    let site_id = crane_site(&app).await;
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.sign_in_demo_inspector(&app).await;
    let inspections =
        || inspection::Entity::find().filter(inspection::Column::MachineId.eq(crane.id)).count(&app.state.db);
    let inspector = TestApp::new_client();
    let login = serde_json::json!({"username": "xiaodian.inspector", "password": server::seed::DEMO_PASSWORD});
    let signed = inspector.post(app.url("/api/v1/auth/login")).json(&login).send().await.expect("sign in");
    assert_eq!(signed.status(), 200);
    // Readings at 80 % of the crane's limit on its site in the table in force now: a pass, today.
    let site = crate::helpers::json(app.get_as(&inspector, &format!("/api/v1/sites/{site_id}")).await).await;
    let facts = serde_json::json!({
        "emission_stage": crane.emission_stage, "fuel_type": crane.fuel_type, "rated_power_kw": crane.rated_power_kw,
        "opacity_readings": [0.1, 0.1, 0.1], "county_code": "140105", "low_emission_zone": site["low_emission_zone"],
    });
    let evaluated = app.post_json("/api/v1/compliance/evaluate", &facts).await;
    let limit = crate::helpers::json(evaluated).await["limit_k"].as_f64().expect("a k limit");
    let reading = format!("{:.2}", limit * 0.8);
    let before = inspections().await.expect("count");

    // Online: the field page is visited; the service worker takes the field pages in hand.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    let kept = "const done = arguments[arguments.length - 1];\
        navigator.serviceWorker.ready.then(async () => {\
          for (let i = 0; i < 100 && !navigator.serviceWorker.controller; i++) await new Promise(r => setTimeout(r, 100));\
          done(Boolean(navigator.serviceWorker.controller) && Boolean(await caches.match('/field/inspect')));\
        });";
    let ready = b.client.execute_async(kept, vec![]).await.expect("service worker");
    assert_eq!(ready, serde_json::json!(true), "the service worker controls the page and kept the form");
    b.client.goto(&app.url(&format!("/field/inspect?code={code}&site={site_id}"))).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("main", "3号汽车起重机").await;
    b.wait_text("[data-testid=judging-table]", "GB").await;

    // No network: the form still judges, and the inspection goes to the outbox.
    b.set_offline(true).await;
    for i in 0..3 {
        b.fill(&format!("[data-testid=reading-{i}]"), &reading).await;
    }
    b.wait_text("[data-testid=verdict-preview] .status-big.ok", "合格").await;
    b.find("[data-testid=label-present] input[value=yes]").await.click().await.expect("label fitted");
    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().expect("temp file");
    std::fs::write(photo.path(), crate::evidence::jpeg(7)).expect("photo");
    b.find("[data-testid=inspection-photos]")
        .await
        .send_keys(&photo.path().display().to_string())
        .await
        .expect("choose a photo");
    let tap_twice = "const b = document.querySelector('[data-testid=record-inspection]'); b.click(); b.click();";
    b.client.execute(tap_twice, vec![]).await.expect("record");
    b.wait_text("[data-testid=inspection-queued]", "无网络").await;
    let phone_verdict = b.find("[data-testid=verdict-phone] .status-big").await.text().await.expect("verdict");
    assert_eq!(
        phone_verdict,
        "合格",
        "judged on the phone with the table it kept (limit {limit})\n{}",
        b.page_state().await
    );
    b.wait_text("[data-testid=outbox-count]", "1").await;
    b.find("[data-testid=outbox-item][data-state=waiting]").await;
    b.snap("outbox-waiting-360").await;
    assert_eq!(inspections().await.expect("count"), before, "nothing reached the server");

    // Still offline, the field page opens from the service worker: an address it never kept
    // gets the bare page it kept, at its own address. A look-up says it could not be checked
    // (and the outbox is on that page too).
    b.client.goto(&app.url("/field?code=NEVER-ASKED")).await.expect("goto");
    b.wait_hydrated().await;
    let at = b.eval("return location.pathname + location.search").await;
    assert_eq!(at.as_str(), Some("/field"), "served by the service worker\n{}", b.page_state().await);
    b.wait_text("[data-testid=outbox-count]", "1").await;
    b.fill("#code", &code).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("[data-testid=lookup-offline]", "无法核验").await;
    b.snap("lookup-offline-360").await;

    // A code the register does not know, looked up and inspected offline: recorded as typed,
    // with the nameplate's facts for the phone's verdict; the server will refuse it.
    let unknown = app::machines::regcode::RegistrationCode::issue("140105", 9_999_999).expect("a code").to_string();
    b.fill("#code", &unknown).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("[data-testid=lookup-offline]", &unknown).await;
    b.find("[data-testid=lookup-offline] ~ p [data-testid=inspect]").await.click().await.expect("inspect");
    b.wait_text("[data-testid=machine-unchecked]", &unknown).await;
    b.find(&format!("#site_id option[value='{site_id}']")).await.click().await.expect("site");
    b.fill("#rated_power_kw", "90").await;
    b.fill("[data-testid=reading-0]", &reading).await;
    b.find("[data-testid=label-present] input[value=no]").await.click().await.expect("no label");
    b.find("[data-testid=record-inspection]").await.click().await.expect("record");
    b.wait_text("[data-testid=inspection-queued]", "无网络").await;
    b.wait_text("[data-testid=outbox-count]", "2").await;

    // Meanwhile Taiyuan publishes a table half as lax, in force today: the server will judge
    // the inspection with it.
    let national = crate::helpers::json(app.get("/api/v1/limit-tables/current").await).await;
    let mut rows = national["rows"].clone();
    for row in rows.as_array_mut().expect("rows") {
        row["k_limit"] = serde_json::json!(row["k_limit"].as_f64().expect("k") / 2.0);
    }
    let city = TestApp::new_client();
    let login = serde_json::json!({"username": "taiyuan.officer", "password": server::seed::DEMO_PASSWORD});
    assert_eq!(city.post(app.url("/api/v1/auth/login")).json(&login).send().await.expect("sign in").status(), 200);
    let table = serde_json::json!({"version": "TY-OFFLINE", "effective_from": app.today(), "rows": rows});
    crate::helpers::expect_status(app.post_as(&city, "/api/v1/limit-tables", &table).await, 201).await;

    // The session ends while offline: back online, the outbox keeps the inspection for a sign-in.
    b.client.delete_cookie("nrmm_session").await.expect("end the session");
    b.set_offline(false).await;
    b.find("[data-testid=outbox-item][data-state=sign_in]").await;
    // The look-up asked offline is asked again now (the answer for a signed-out caller).
    b.wait_gone("[data-testid=lookup-offline]").await;
    assert_eq!(inspections().await.expect("count"), before);

    // Signed in again: the next page sends it, once, photo included.
    b.sign_in_demo_inspector(&app).await;
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("[data-testid=outbox-item][data-state=sent]").await;
    b.wait_text("[data-testid=outbox-server-verdict]", "不合格").await;
    b.find("[data-testid=outbox-differs]").await;
    // The unknown code is refused with the server's reason, and kept until removed.
    b.wait_text("[data-testid=outbox-item][data-state=refused] [data-testid=outbox-error]", "registration_code").await;
    b.wait_text("[data-testid=outbox-count]", "0").await;
    b.snap("outbox-sent-360").await;
    b.assert_no_page_errors().await;
    assert_eq!(inspections().await.expect("count"), before + 1, "one inspection");
    let recorded = inspection::Entity::find()
        .filter(inspection::Column::MachineId.eq(crane.id))
        .all(&app.state.db)
        .await
        .expect("inspections")
        .into_iter()
        .max_by_key(|i| i.created_at)
        .expect("the inspection");
    let cases = case::Entity::find().filter(case::Column::InspectionId.eq(recorded.id)).count(&app.state.db).await;
    assert_eq!(cases.expect("cases"), 1, "one case opened");
    let photos = app::db::entities::evidence_photo::Entity::find()
        .filter(app::db::entities::evidence_photo::Column::SubjectId.eq(recorded.id))
        .count(&app.state.db)
        .await
        .expect("photos");
    assert_eq!(photos, 1, "the photo, once");

    // The same submission again (a retry after a lost answer): the same inspection back.
    let list = "const done = arguments[arguments.length - 1]; nrmmOutbox.list().then(done);";
    let items: serde_json::Value =
        serde_json::from_str(b.client.execute_async(list, vec![]).await.expect("list").as_str().expect("json"))
            .expect("items");
    assert_eq!(items.as_array().map(Vec::len), Some(2), "{items}");
    let request_id = items[0]["id"].as_str().expect("request id").to_owned();
    assert_eq!(items[0]["inspection_id"].as_str(), Some(recorded.id.to_string().as_str()));
    assert_eq!(items[1]["state"].as_str(), Some("refused"), "{items}");
    assert_eq!(items[1]["code"].as_str(), Some(unknown.as_str()), "{items}");
    b.close().await;
    let readings: Vec<f64> = vec![reading.parse().expect("reading"); 3];
    let replay = serde_json::json!({
        "site_id": site_id, "machine_id": crane.id, "inspected_at": recorded.inspected_at,
        "opacity_readings": readings, "label_present": true, "request_id": request_id,
    });
    let again = crate::helpers::json(app.post_as(&inspector, "/api/v1/inspections", &replay).await).await;
    assert_eq!(again["id"].as_str(), Some(recorded.id.to_string().as_str()), "{again}");
    assert_eq!(inspections().await.expect("count"), before + 1);
}

/// An item of the outbox is sent only under the account that recorded it (another inspector
/// signed in on the same phone leaves it waiting), and a photo the server refuses for good is
/// set aside with its reason while the inspection and the other photos go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbox_item_waits_for_its_recorder_and_a_refused_photo_holds_nothing_back() {
    use app::db::entities::{evidence_photo, inspection};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let Some(_bundle) = Bundle::load() else { return };
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    app.user("second.inspector", app::auth::Role::CountyInspector, Some("140105"), None).await;
    let crane = demo_crane(&app).await;
    let code = crane.registration_code.clone().expect("registered");
    let site_id = crane_site(&app).await;
    let inspections =
        || inspection::Entity::find().filter(inspection::Column::MachineId.eq(crane.id)).count(&app.state.db);
    let before = inspections().await.expect("count");
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.sign_in_demo_inspector(&app).await;
    b.client.goto(&app.url(&format!("/field/inspect?code={code}&site={site_id}"))).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("main", "3号汽车起重机").await;

    // Recorded with no network, with two photos: the first is not an image.
    b.set_offline(true).await;
    for i in 0..3 {
        b.fill(&format!("[data-testid=reading-{i}]"), "0.10").await;
    }
    b.find("[data-testid=label-present] input[value=yes]").await.click().await.expect("label fitted");
    let dir = tempfile::tempdir().expect("temp dir");
    let (broken, good) = (dir.path().join("broken.jpg"), dir.path().join("good.jpg"));
    std::fs::write(&broken, b"not a picture at all").expect("photo");
    std::fs::write(&good, crate::evidence::jpeg(3)).expect("photo");
    b.find("[data-testid=inspection-photos]")
        .await
        .send_keys(&format!("{}\n{}", broken.display(), good.display()))
        .await
        .expect("choose the photos");
    b.find("[data-testid=record-inspection]").await.click().await.expect("record");
    b.wait_text("[data-testid=inspection-queued]", "无网络").await;
    b.wait_text("[data-testid=outbox-item][data-state=waiting] [data-testid=outbox-recorder]", "刘洋").await;

    // The session ends, the network returns: it waits for a sign-in.
    b.client.delete_cookie("nrmm_session").await.expect("end the session");
    b.set_offline(false).await;
    b.find("[data-testid=outbox-item][data-state=sign_in]").await;

    // Another inspector signs in on this phone: the item is not theirs to send.
    b.sign_in(&app, "second.inspector").await;
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("[data-testid=outbox-item][data-state=other_user] [data-testid=outbox-recorder]", "刘洋").await;
    b.snap("outbox-other-user-360").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(inspections().await.expect("count"), before, "nothing sent under the other account");

    // Its recorder signs in again: sent once; the broken photo is set aside with the server's
    // reason, the good one stored.
    b.client.delete_cookie("nrmm_session").await.expect("sign out");
    b.sign_in_demo_inspector(&app).await;
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("[data-testid=outbox-item][data-state=sent]").await;
    b.wait_text("[data-testid=outbox-photos-refused]", "broken.jpg").await;
    b.wait_text("[data-testid=outbox-count]", "0").await;
    b.snap("outbox-photo-refused-360").await;
    b.assert_no_page_errors().await;
    let recorded = inspection::Entity::find()
        .filter(inspection::Column::MachineId.eq(crane.id))
        .all(&app.state.db)
        .await
        .expect("inspections");
    assert_eq!(recorded.len() as u64, before + 1, "one inspection");
    let mine = recorded.into_iter().max_by_key(|i| i.created_at).expect("the inspection");
    let xiaodian = crate::helpers::principal_named(&app, "xiaodian.inspector").await;
    assert_eq!(mine.inspector_id, xiaodian.user_id, "recorded as its recorder's");
    let photos = evidence_photo::Entity::find()
        .filter(evidence_photo::Column::SubjectId.eq(mine.id))
        .count(&app.state.db)
        .await
        .expect("photos");
    assert_eq!(photos, 1, "the good photo, once");
    b.close().await;
}
