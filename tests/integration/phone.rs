//! The inspector's phone (issue 13), in headless Chromium at 360 × 740: the WASM split by page
//! (the field page fetches its own chunks only, another page fetches its own when visited), the
//! QR scanner reading a real label from a fake camera with and without the browser's
//! `BarcodeDetector` (and when that detector exists but fails), a refused camera, and the
//! label's address opening the official's view.

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
    // A cold load of /field: the main module and the field page's chunks, nothing else.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    let field = bundle.chunks("field_pages");
    let fetched = wasm_fetched(&b).await;
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
    let now = wasm_fetched(&b).await;
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
