//! Real headless Chromium through chromedriver: the page flows, and proof that the page
//! hydrated (the language switch only works once the WASM runs).

use crate::helpers::{PASSWORD, TestApp};
use app::auth::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A chromedriver process and a WebDriver session on it; both end when dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// chromedriver's address, for the Chrome DevTools commands WebDriver lacks.
    driver_url: String,
    _profile: tempfile::TempDir,
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl Browser {
    /// Starts Chromium with a fresh profile at `width` × `height`; `None` (with the reason
    /// printed) when chromedriver is missing outside CI.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        Self::launch(width, height, false).await
    }

    /// Like [`Browser::start`], emulating a phone screen of exactly `width` × `height` CSS pixels
    /// (a headless window cannot be narrower than about 500 px).
    pub async fn start_phone(width: u32, height: u32) -> Option<Browser> {
        Self::launch(width, height, true).await
    }

    async fn launch(width: u32, height: u32, phone: bool) -> Option<Browser> {
        Self::launch_with(width, height, phone, &[]).await
    }

    /// Like [`Browser::start_phone`] (or [`Browser::start`] when `phone` is false), with more
    /// Chromium switches (a fake camera, say).
    pub async fn launch_with(width: u32, height: u32, phone: bool, extra: &[String]) -> Option<Browser> {
        let driver_path = std::env::var("NRMM_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("NRMM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if !std::path::Path::new(&driver_path).exists() || !std::path::Path::new(&chromium).exists() {
            assert!(!ci(), "CI=true requires {driver_path} and {chromium} (apt-get install chromium chromium-driver)");
            eprintln!("SKIPPED browser test: {driver_path} or {chromium} is missing");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ]
        .into_iter()
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>();
        let mut caps = serde_json::Map::new();
        let mut options = serde_json::json!({"binary": chromium, "args": args});
        if phone {
            options["mobileEmulation"] =
                serde_json::json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1}});
        }
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let mut last_err = String::new();
        for _ in 0..50 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Some(Browser { client, driver, driver_url: url, _profile: profile }),
                Err(e) => {
                    last_err = e.to_string();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start a WebDriver session: {last_err}");
    }

    /// Waits up to 15 s for an element.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Waits up to 15 s until `css` contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let mut last = String::new();
        while std::time::Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(text) {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {text:?} (last: {last:?})\n{}", self.page_state().await);
    }

    /// Waits up to 15 s until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            match self.client.find_all(Locator::Css(css)).await {
                Ok(found) if found.is_empty() => return,
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        panic!("{css} is still on the page\n{}", self.page_state().await);
    }

    /// Fails when the page reported an error (a panic in the WASM, say) since it hydrated.
    pub async fn assert_no_page_errors(&self) {
        let errors = self.client.execute("return (window.__errors || []).join(' | ')", vec![]).await.expect("script");
        assert_eq!(errors.as_str(), Some(""), "errors on the page\n{}", self.page_state().await);
    }

    /// What the page shows and holds, for a failure message: the errors, fetches and clicks kept
    /// since hydration (see `wait_hydrated`), every API request the browser timed (those before
    /// hydration too), every form control's value (or checked state), and the page's text.
    pub async fn page_state(&self) -> String {
        let script = "const fields = Array.from(document.querySelectorAll('input, select, textarea'))\
            .map(e => `${e.id || e.name || e.tagName}=${e.type === 'checkbox' ? e.checked : e.value}`).join(' ');\
            const calls = performance.getEntriesByType('resource').filter(r => r.name.includes('/api/'))\
            .map(r => `${r.name.replace(location.origin, '')} at ${Math.round(r.startTime)} ms took ${Math.round(r.duration)} ms`).join('; ');\
            return `url: ${location.href} (${Math.round(performance.now())} ms since load)\\nerrors: ${(window.__errors || []).join(' | ')}\\nfetches: ${JSON.stringify(window.__calls || [])}\\nclicks: ${(window.__clicks || []).join(' ')}\\nrequests: ${calls}\\nfields: ${fields}\\ntext: ${document.body.innerText.slice(0, 3000)}`;";
        match self.client.execute(script, vec![]).await {
            Ok(v) => v.as_str().unwrap_or_default().to_owned(),
            Err(e) => format!("(page state unavailable: {e})"),
        }
    }

    /// Types into a field (cleared first).
    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    /// Evaluates `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits until the WASM bundle has hydrated the page.
    pub async fn wait_hydrated(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let v = self
                .client
                .execute("return document.documentElement.dataset.hydrated || ''", vec![])
                .await
                .expect("script");
            if v.as_str() == Some("true") {
                // Keep what the page reports as errors (a panic in the WASM, say), the requests it
                // makes and the clicks it gets, for failure messages.
                let keep = "window.__errors = []; const err = console.error;\
                    console.error = (...a) => { window.__errors.push(a.join(' ')); err(...a); };\
                    window.addEventListener('error', e => window.__errors.push(String(e.message)));\
                    window.__calls = []; const f = window.fetch;\
                    window.fetch = (...a) => { const c = { url: String(a[0].url || a[0]), at: Math.round(performance.now()) };\
                        window.__calls.push(c); const p = f.apply(window, a);\
                        p.then(r => { c.status = r.status; c.end = Math.round(performance.now()); }, e => { c.error = String(e); });\
                        return p; };\
                    window.__clicks = []; document.addEventListener('click', e => window.__clicks.push(\
                        `${e.target.tagName}#${e.target.id || e.target.dataset.testid || ''}@${Math.round(performance.now())}`), true);";
                self.client.execute(keep, vec![]).await.expect("script");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never hydrated (is target/site/pkg built? run scripts/build-site.sh)");
    }

    /// Saves a screenshot as `$NRMM_SCREENSHOTS/<name>.png` when that variable names a folder
    /// (for looking at the pages a test walks); does nothing otherwise.
    pub async fn snap(&self, name: &str) {
        let Some(dir) = std::env::var_os("NRMM_SCREENSHOTS") else { return };
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Signs in through the login page.
    pub async fn sign_in(&self, app: &TestApp, username: &str) {
        self.client.goto(&app.url("/login")).await.expect("goto");
        self.wait_hydrated().await;
        self.fill("#username", username).await;
        self.fill("#password", PASSWORD).await;
        self.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("submit");
        self.find("[data-testid=current-user]").await;
    }

    /// Signs the demo data's 小店区 inspector (刘洋) in through the login page.
    pub async fn sign_in_demo_inspector(&self, app: &TestApp) {
        self.client.goto(&app.url("/login")).await.expect("goto");
        self.wait_hydrated().await;
        self.fill("#username", "xiaodian.inspector").await;
        self.fill("#password", server::seed::DEMO_PASSWORD).await;
        self.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("sign in");
        self.wait_text("[data-testid=current-user]", "刘洋").await;
    }

    /// Runs a Chrome DevTools Protocol command on the page (chromedriver's `goog/cdp/execute`).
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> serde_json::Value {
        let session = self.client.session_id().await.expect("session").expect("a session id");
        let resp = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.driver_url))
            .json(&serde_json::json!({"cmd": cmd, "params": params}))
            .send()
            .await
            .expect("cdp");
        let body: serde_json::Value = resp.json().await.expect("cdp answer");
        assert!(body["value"].get("error").is_none(), "{cmd}: {body}");
        body["value"].clone()
    }

    /// Cuts the page's network (DevTools' offline emulation: `navigator.onLine` turns false
    /// and the `offline` event fires) or gives it back (`online` fires).
    pub async fn set_offline(&self, offline: bool) {
        let conditions =
            serde_json::json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1});
        self.cdp("Network.enable", serde_json::json!({})).await;
        self.cdp("Network.emulateNetworkConditions", conditions.clone()).await;
        // A service worker fetches for the page through its own network stack: cut it too.
        let targets = self.cdp("Target.getTargets", serde_json::json!({})).await;
        for target in targets["targetInfos"].as_array().into_iter().flatten() {
            if target["type"] != "service_worker" {
                continue;
            }
            let attached = self
                .cdp("Target.attachToTarget", serde_json::json!({"targetId": target["targetId"], "flatten": false}))
                .await;
            let session = attached["sessionId"].clone();
            for (id, (method, params)) in
                [("Network.enable", serde_json::json!({})), ("Network.emulateNetworkConditions", conditions.clone())]
                    .into_iter()
                    .enumerate()
            {
                let message = serde_json::json!({"id": id + 1, "method": method, "params": params}).to_string();
                self.cdp("Target.sendMessageToTarget", serde_json::json!({"sessionId": session, "message": message}))
                    .await;
            }
        }
        let expected = (!offline).to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while self.eval("return String(navigator.onLine)").await.as_str() != Some(expected.as_str()) {
            assert!(std::time::Instant::now() < deadline, "navigator.onLine never became {expected}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_page_and_switch_language() {
    let app = TestApp::sqlite().await;
    app.user("browser.user", Role::CountyInspector, Some("140105"), None).await;
    let Some(b) = Browser::start(1280, 900).await else { return };

    b.client.goto(&app.url("/login")).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("h1", "登录").await;

    // Wrong password: the message appears, in Chinese, without leaving the page.
    b.fill("#username", "browser.user").await;
    b.fill("#password", "wrong password").await;
    b.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("submit");
    b.wait_text(".banner-error", "用户名或密码不正确").await;

    b.fill("#password", PASSWORD).await;
    b.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("submit");
    b.wait_text("[data-testid=current-user]", "browser.user").await;
    b.wait_text(".nav-user-role", "县级执法人员").await;

    // The language switch only works with the WASM running.
    b.find("[data-testid=lang-switch]").await.click().await.expect("switch");
    b.wait_text(".nav-user-role", "County inspector").await;
    b.wait_text("[data-testid=lang-switch]", "中文").await;

    // The choice persists: a fresh page load is rendered in English by the server.
    b.client.goto(&app.url("/")).await.expect("goto");
    b.wait_text("h1", "Welcome").await;
    let title = b.client.title().await.expect("title");
    assert!(title.ends_with("NRMM Registry"), "{title}");

    // Sign out through the page.
    b.client.goto(&app.url("/logout")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("form[data-testid=logout-form] button[type=submit]").await.click().await.expect("sign out");
    b.wait_text("[data-testid=signed-out]", "signed out").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_wasm_the_switch_does_nothing() {
    // The control for the hydration proof: serve the pages without the bundle and the same
    // click changes nothing, so the test above can only pass with the WASM running.
    let empty = tempfile::tempdir().expect("dir");
    let root = empty.path().to_path_buf();
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |c| c.site_root = root).await;
    let Some(b) = Browser::start(360, 740).await else { return };
    b.client.goto(&app.url("/login")).await.expect("goto");
    b.wait_text("[data-testid=lang-switch]", "English").await;
    b.find("[data-testid=lang-switch]").await.click().await.expect("click");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let label = b.find("[data-testid=lang-switch]").await.text().await.expect("text");
    assert_eq!(label, "English", "nothing can switch the language without the WASM");
    let hydrated =
        b.client.execute("return document.documentElement.dataset.hydrated || ''", vec![]).await.expect("script");
    assert_eq!(hydrated.as_str(), Some(""));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_wasm_an_inspector_signs_in_and_looks_up_a_code() {
    // The bundle is not served: the sign-in form posts to the server, the look-up form is a
    // plain GET form the server answers.
    let empty = tempfile::tempdir().expect("dir");
    let root = empty.path().to_path_buf();
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, move |c| c.site_root = root).await;
    server::seed::demo(&app.state).await.expect("demo data");
    let crane = demo_crane(&app).await;
    let code = crane.registration_code.expect("registered");
    let Some(b) = Browser::start(360, 740).await else { return };
    // Signing in through the plain form (the browser posts it to the server function).
    b.client.goto(&app.url("/login")).await.expect("goto");
    b.fill("#username", "xiaodian.inspector").await;
    b.fill("#password", server::seed::DEMO_PASSWORD).await;
    b.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("sign in");
    b.wait_text("[data-testid=current-user]", "刘洋").await;
    b.client.goto(&app.url("/field")).await.expect("goto");
    let grouped = format!("{} {} {} {}", &code[..4], &code[4..8], &code[8..12], &code[12..]);
    b.fill("#code", &grouped).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("[data-testid=lookup-status]", "今日已在本辖区工地报备").await;
    let url = b.client.current_url().await.expect("url");
    assert!(url.path() == "/field" && url.query().is_some_and(|q| q.contains("code=")), "{url}");
    assert_eq!(b.find("#code").await.prop("value").await.expect("value").as_deref(), Some(grouped.as_str()));
    b.snap("field-no-wasm-360").await;
    // A wrong check character: the server says so and answers nothing.
    let mut typo: Vec<char> = code.chars().collect();
    typo[8] = if typo[8] == '9' { '8' } else { '9' };
    b.client.goto(&app.url(&format!("/field?code={}", typo.iter().collect::<String>()))).await.expect("goto");
    b.wait_text("#code-error", "校验位错误").await;
    b.wait_gone("[data-testid=lookup-status]").await;
    let hydrated =
        b.client.execute("return document.documentElement.dataset.hydrated || ''", vec![]).await.expect("script");
    assert_eq!(hydrated.as_str(), Some(""), "no WASM ran");

    // Reviewing a filing: the buttons post the form to the server, which sends the browser
    // back to the filing, now accepted.
    use app::db::entities::{filing, user};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let builder = user::Entity::find()
        .filter(user::Column::Username.eq("builder.admin"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("demo unit admin");
    let builder = crate::helpers::principal_of(&app, builder.id).await;
    let input = app::filings::FilingInput {
        site_id: crane_site(&app).await,
        machine_ids: vec![crane.id],
        planned_entry_on: app.today() + chrono::Duration::days(200),
        planned_exit_on: app.today() + chrono::Duration::days(210),
        request_id: None,
    };
    let pending = app::filings::service::create(&app.state, &builder, input).await.expect("a filing for later");
    b.client.goto(&app.url(&format!("/filings/{}", pending.id))).await.expect("goto");
    b.find("[data-testid=review-accept]").await.click().await.expect("accept");
    b.wait_gone("[data-testid=review]").await;
    b.snap("review-no-wasm-360").await;
    let now = filing::Entity::find_by_id(pending.id).one(&app.state.db).await.expect("query").expect("filing");
    assert_eq!(now.status, app::filings::FilingStatus::Accepted);
    b.close().await;
}

/// The 小店区 demo site the crane is filed for.
pub(crate) async fn crane_site(app: &TestApp) -> uuid::Uuid {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let site = app::db::entities::site::Entity::find()
        .filter(app::db::entities::site::Column::Name.eq("龙城大街改造示范工地"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("demo site");
    site.id
}

/// The demo data's registered crane (3号汽车起重机), filed in 小店区.
pub(crate) async fn demo_crane(app: &TestApp) -> app::db::entities::machine::Model {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    app::db::entities::machine::Entity::find()
        .filter(app::db::entities::machine::Column::Name.eq("3号汽车起重机"))
        .one(&app.state.db)
        .await
        .expect("query")
        .expect("demo crane")
}

/// A valid credit code for the browser flow.
fn uscc() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 1_000_000_000;
    app::orgs::Uscc::with_check_char(&format!("91140100{n:09}")).expect("uscc").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn construction_unit_signs_up_adds_a_site_and_a_machine_and_files_it() {
    let app = TestApp::sqlite().await;
    let Some(b) = Browser::start(1280, 900).await else { return };

    // Sign up, with the credit code checked as it is typed.
    b.client.goto(&app.url("/signup")).await.expect("goto");
    b.wait_hydrated().await;
    b.fill("#name", "浏览器测试建设有限公司").await;
    let good = uscc();
    let mut wrong = good.clone();
    let last = wrong.pop().expect("char");
    wrong.push(if last == '0' { '1' } else { '0' });
    b.fill("#uscc", &wrong).await;
    b.wait_text("#uscc-error", "校验位错误").await;
    b.fill("#uscc", &good).await;
    b.find("[data-testid=uscc-ok]").await;
    b.fill("#contact_name", "张工").await;
    b.fill("#contact_phone", "13900001111").await;
    b.fill("#username", "browser.builder").await;
    b.fill("#password", PASSWORD).await;
    b.find("form[data-testid=signup-form] button[type=submit]").await.click().await.expect("register");
    b.wait_text("[data-testid=current-user]", "张工").await;

    // A site in Xiaodian: the county's zone is shown, never chosen by the unit; a position
    // outside the county's rough bounds is refused on the page (the server's own rule).
    b.client.goto(&app.url("/sites/new")).await.expect("goto");
    b.wait_hydrated().await;
    b.fill("#name", "浏览器测试工地").await;
    b.find("#city option[value='140100']").await.click().await.expect("city");
    b.find("#county_code option[value='140105']").await.click().await.expect("county");
    b.fill("#address", "小店区测试路1号").await;
    let today = app::dates::china_date(app.clock.now());
    let date = |d: chrono::NaiveDate| d.format("%m%d%Y").to_string();
    b.fill("#starts_on", &date(today)).await;
    b.fill("#ends_on", &date(today + chrono::Duration::days(90))).await;
    b.wait_text("[data-testid=zone-note]", "当前有生效的低排放区").await;
    assert!(b.client.find(Locator::Css("#low_emission_zone")).await.is_err(), "the unit has no zone checkbox");
    b.wait_text("[data-testid=county-bounds]", "37.57").await;
    b.fill("#lat", "38.3").await;
    b.fill("#lng", "112.55").await;
    b.find("form[data-testid=site-form] button[type=submit]").await.click().await.expect("save site");
    b.wait_text("#lat-error", "大致范围").await;
    b.fill("#lat", "37.8").await;
    b.find("form[data-testid=site-form] button[type=submit]").await.click().await.expect("save site");
    b.wait_text("[data-testid=site-list]", "浏览器测试工地").await;

    // A machine; a bad environmental code is refused beside the field first.
    b.client.goto(&app.url("/machines/new")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("#machine_type option[value='excavator']").await.click().await.expect("type");
    b.fill("#name", "测试挖掘机").await;
    b.fill("#pin", "BRWS-000123").await;
    b.fill("#env_code", "CN123").await;
    b.fill("#engine_serial", "ENG-BRWS-1").await;
    b.fill("#rated_power_kw", "118").await;
    b.fill("#manufactured_on", &date(today - chrono::Duration::days(400))).await;
    b.find("form[data-testid=machine-form] button[type=submit]").await.click().await.expect("save");
    b.wait_text("#env_code-error", "17").await;
    b.fill("#env_code", "CN1234567890ABCDE").await;
    b.find("form[data-testid=machine-form] button[type=submit]").await.click().await.expect("save");
    b.wait_text("h1", "测试挖掘机").await;

    // File it for the site: the pre-checks warn about the missing photos; submit.
    b.client.goto(&app.url("/filings/new")).await.expect("goto");
    b.wait_hydrated().await;
    let site_option = b.find("#site_id option:nth-child(2)").await;
    site_option.click().await.expect("site");
    b.fill("#planned_entry_on", &date(today + chrono::Duration::days(1))).await;
    b.fill("#planned_exit_on", &date(today + chrono::Duration::days(30))).await;
    b.find("label.pick input").await.click().await.expect("pick machine");
    b.find("[data-testid=run-precheck]").await.click().await.expect("precheck");
    b.wait_text("[data-testid=prechecks]", "缺少照片").await;
    // The language switches on a signed-in page with its results, and back (the bell in the
    // navigation once panicked the WASM on a switch).
    b.find("[data-testid=lang-switch]").await.click().await.expect("to English");
    b.wait_text("[data-testid=prechecks]", "Missing photos").await;
    b.find("[data-testid=lang-switch]").await.click().await.expect("to Chinese");
    b.wait_text("[data-testid=prechecks]", "缺少照片").await;
    b.assert_no_page_errors().await;
    // Submitting with warnings asks first and sends nothing until confirmed.
    b.find("form[data-testid=filing-form] button[type=submit]").await.click().await.expect("submit");
    b.wait_text("[data-testid=confirm-submit]", "预检发现 1 个问题").await;
    b.snap("filing-confirm-360").await;
    let sent =
        b.client.execute("return (window.__calls || []).filter(c => c.url.includes('/filings/create')).length", vec![]);
    assert_eq!(sent.await.expect("script").as_u64(), Some(0), "nothing sent before the confirmation");
    b.find("[data-testid=submit-anyway]").await.click().await.expect("submit anyway");
    b.wait_text("[data-testid=filing-status]", "已提交").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_on_a_phone_looks_up_a_code_and_records_a_failing_inspection() {
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let crane = demo_crane(&app).await;
    let code = crane.registration_code.expect("registered");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let site_id = crane_site(&app).await;
    let Some(b) = Browser::start(360, 740).await else { return };

    b.sign_in_demo_inspector(&app).await;

    // A mistyped code is caught on the phone, before any request.
    b.client.goto(&app.url("/field")).await.expect("goto");
    b.wait_hydrated().await;
    let mut typo: Vec<char> = code.chars().collect();
    typo[8] = if typo[8] == '9' { '8' } else { '9' };
    b.fill("#code", &typo.iter().collect::<String>()).await;
    b.wait_text("#code-error", "校验位错误").await;

    // The right code: the answer is readable at a glance.
    b.fill("#code", &code).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("[data-testid=lookup-status]", "今日已在本辖区工地报备").await;
    b.snap("field-answer-360").await;
    // A code with a wrong check character: the error shows and the answer goes at once, with
    // its "inspect" button — nobody inspects the previous machine by mistake.
    b.fill("#code", &typo.iter().collect::<String>()).await;
    b.wait_text("#code-error", "校验位错误").await;
    b.wait_gone("[data-testid=lookup-status]").await;
    b.wait_gone("[data-testid=inspect]").await;
    // The code as printed on a label, in groups of four: the machine, not "not registered".
    let grouped = format!("{} {} {} {}", &code[..4], &code[4..8], &code[8..12], &code[12..]);
    b.fill("#code", &grouped).await;
    b.find("[data-testid=lookup]").await.click().await.expect("look up");
    b.wait_text("[data-testid=lookup-status]", "今日已在本辖区工地报备").await;
    b.wait_text("main", "3号汽车起重机").await;
    b.find("[data-testid=inspect]").await.click().await.expect("inspect");

    // Failing readings: the verdict shows before submitting, then the server opens a case.
    b.wait_hydrated().await;
    b.find(&format!("#site_id option[value='{site_id}']")).await.click().await.expect("site");
    for (i, v) in ["1.10", "1.20", "1.05"].iter().enumerate() {
        b.fill(&format!("[data-testid=reading-{i}]"), v).await;
    }
    b.wait_text("[data-testid=verdict-preview]", "不合格").await;
    b.wait_text("[data-testid=mean-k]", "1.12").await;
    let count = || {
        app::db::entities::inspection::Entity::find()
            .filter(app::db::entities::inspection::Column::MachineId.eq(crane.id))
            .count(&app.state.db)
    };
    use sea_orm::PaginatorTrait;
    let before = count().await.expect("count");
    // Whether the label is fitted is asked, never assumed: nothing is ticked, and submitting
    // without an answer asks for it.
    let ticked = "return document.querySelectorAll('[data-testid=label-present] input:checked').length";
    assert_eq!(b.client.execute(ticked, vec![]).await.expect("script").as_u64(), Some(0));
    b.find("[data-testid=record-inspection]").await.click().await.expect("submit");
    b.find("#label_present-error").await;
    assert_eq!(count().await.expect("count"), before, "nothing recorded");
    b.find("[data-testid=label-present] input[value=yes]").await.click().await.expect("label fitted");
    // A double tap: two clicks in the same instant record one inspection.
    let tap_twice = "const b = document.querySelector('[data-testid=record-inspection]'); b.click(); b.click();";
    b.client.execute(tap_twice, vec![]).await.expect("double tap");
    b.wait_text("[data-testid=verdict-confirmed]", "不合格").await;
    b.find("[data-testid=case-opened]").await;
    b.snap("inspection-recorded-360").await;
    // The button stays off once the inspection is recorded; a third tap changes nothing.
    let disabled = b.find("[data-testid=record-inspection]").await.prop("disabled").await.expect("prop");
    assert_eq!(disabled.as_deref(), Some("true"));
    b.client.execute(tap_twice, vec![]).await.expect("tap again");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count().await.expect("count"), before + 1, "one inspection");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_marks_a_site_out_of_the_zone_on_a_phone() {
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let site_id = crane_site(&app).await;
    let Some(b) = Browser::start(360, 740).await else { return };
    b.sign_in_demo_inspector(&app).await;

    // In the zone by the zone data; the inspector marks it out, with a reason (required: checked
    // on the page first).
    b.client.goto(&app.url(&format!("/sites/{site_id}"))).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("[data-testid=zone-status]", "低排放区").await;
    b.wait_text("[data-testid=zone-source]", "区域数据").await;
    b.find("#zone_in option[value='out']").await.click().await.expect("out");
    b.find("form[data-testid=zone-form] button[type=submit]").await.click().await.expect("save");
    b.wait_text("#reason-error", "必填").await;
    b.fill("#reason", "工地位于建成区以外").await;
    b.find("form[data-testid=zone-form] button[type=submit]").await.click().await.expect("save");
    b.wait_text("[data-testid=zone-saved]", "认定已保存").await;
    b.wait_text("[data-testid=zone-status]", "不在低排放区").await;
    b.wait_text("[data-testid=zone-source]", "刘洋").await;
    b.wait_text("[data-testid=zone-reason]", "建成区以外").await;
    b.assert_no_page_errors().await;
    b.close().await;
}

/// On a phone: issue an API token on the account page (its secret shown once), see it in the
/// list, revoke it; the secret stops working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_issued_and_revoked_on_the_account_page() {
    let app = TestApp::sqlite().await;
    app.user("browser.platform", Role::ProvinceOfficer, Some("140000"), None).await;
    let Some(b) = Browser::start(360, 740).await else { return };
    b.sign_in(&app, "browser.platform").await;
    b.find("[data-testid=current-user]").await.click().await.expect("to the account page");
    b.wait_hydrated().await;
    b.wait_text("h1", "API 令牌").await;
    b.fill("#name", "省平台").await;
    b.fill("#expires_in_days", "30").await;
    b.find("form button[type=submit]").await.click().await.expect("create");
    b.wait_text("[data-testid=issued-token]", "nrmm_").await;
    b.wait_text("[data-testid=token-list]", "有效").await;
    b.snap("account-token-issued-360").await;
    let secret = b.find("[data-testid=issued-token] code").await.text().await.expect("secret");
    let me = |token: String| {
        let url = app.url("/api/v1/auth/me");
        async move { TestApp::new_client().get(url).bearer_auth(token).send().await.expect("me").status().as_u16() }
    };
    assert_eq!(me(secret.clone()).await, 200);
    b.find("[data-testid=token-list] button").await.click().await.expect("revoke");
    b.wait_text("[data-testid=token-list]", "已撤销").await;
    b.snap("account-token-revoked-360").await;
    assert_eq!(me(secret).await, 401);
    b.assert_no_page_errors().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_on_a_phone_resets_another_accounts_password_not_its_own() {
    let app = TestApp::sqlite().await;
    app.user("browser.root", Role::Sysadmin, None, None).await;
    app.user("browser.insp", Role::CountyInspector, Some("140105"), None).await;
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.sign_in(&app, "browser.root").await;
    b.client.goto(&app.url("/admin/users")).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("[data-testid=user-list]", "browser.insp").await;
    // Which accounts offer a reset, once the page runs: every one but one's own.
    let script = "return Array.from(document.querySelectorAll('[data-testid=user-item]')).map(li => \
        [li.textContent.includes('browser.root'), !!li.querySelector('[data-testid=reset-password]')])";
    let offers = b.client.execute(script, vec![]).await.expect("script");
    let mut offers: Vec<(bool, bool)> = serde_json::from_value(offers).expect("pairs");
    offers.sort();
    assert_eq!(offers, vec![(false, true), (true, false)], "(own account, reset offered) per account");
    let widths = b
        .client
        .execute("return [document.documentElement.clientWidth, document.documentElement.scrollWidth]", vec![])
        .await
        .expect("script");
    assert_eq!(widths, serde_json::json!([360, 360]), "nothing wider than the screen");
    // The other account's reset works and shows the generated password once.
    let other = "[data-testid=user-item]:has([data-testid=reset-password])";
    b.find(&format!("{other} summary")).await.click().await.expect("open the actions");
    b.snap("admin-users-actions-360").await;
    b.find(&format!("{other} [data-testid=reset-password] button[type=submit]")).await.click().await.expect("reset");
    let shown = b.find("[data-testid=generated-password] strong").await.text().await.expect("password");
    assert!(shown.len() >= 10, "a generated password: {shown:?}");
    let login = serde_json::json!({"username": "browser.insp", "password": shown});
    assert_eq!(app.post_json("/api/v1/auth/login", &login).await.status().as_u16(), 200, "the shown password works");
    b.snap("admin-users-reset-360").await;
    b.assert_no_page_errors().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_on_a_phone_accepts_an_amendment() {
    let app = TestApp::sqlite().await;
    // The unit's side through REST: a registered machine and its amendment, with a photo.
    let w = crate::inspections::world(&app).await;
    let m = crate::inspections::registered(&app, &w, &w.zone_site, 1, serde_json::json!({})).await;
    let changes = serde_json::json!({"emission_stage": "stage_3", "dpf_fitted": false});
    let a = crate::amendments::pending(&app, &w.builder, &m, changes).await;
    let Some(b) = Browser::start_phone(360, 740).await else { return };

    b.client.goto(&app.url("/login")).await.expect("goto");
    b.wait_hydrated().await;
    b.fill("#username", "xiaodian.i").await;
    b.fill("#password", PASSWORD).await;
    b.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("sign in");
    b.wait_text("[data-testid=current-user]", "xiaodian.i").await;

    // The review queue shows the pending amendment beside the filings.
    b.client.goto(&app.url("/filings?status=submitted")).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("[data-testid=pending-amendments]", "1号挖掘机").await;
    b.find("[data-testid=pending-amendments] [data-testid=amendment-item] a").await.click().await.expect("open");

    // Old and new values side by side, readable on the phone without scrolling sideways.
    b.wait_text("[data-testid=amendment-changes] tr[data-field=emission_stage] td.old", "国四").await;
    b.wait_text("[data-testid=amendment-changes] tr[data-field=emission_stage] td.new", "国三").await;
    b.wait_text("[data-testid=amendment-changes] tr[data-field=dpf_fitted] td.new", "否").await;
    b.wait_text("[data-testid=amendment-reason]", "更换发动机").await;
    b.find("[data-testid=evidence-list] img").await;
    let script = "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]";
    let widths = b.client.execute(script, vec![]).await.expect("script");
    assert_eq!(widths, serde_json::json!([360, 360]), "a 360 px screen, nothing wider than it");

    b.find("[data-testid=accept]").await.click().await.expect("accept");
    b.wait_text("[data-testid=amendment-status]", "已通过").await;
    b.assert_no_page_errors().await;
    b.close().await;

    let path = format!("/api/v1/amendments/{}", crate::helpers::id_of(&a));
    let done = crate::helpers::expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!(done["status"], "accepted");
    let path = format!("/api/v1/machines/{}", crate::helpers::id_of(&m));
    let now = crate::helpers::expect_status(app.get_as(&w.builder, &path).await, 200).await;
    assert_eq!((now["emission_stage"].as_str(), now["dpf_fitted"].as_bool()), (Some("stage_3"), Some(false)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_with_120_machines_files_its_oldest_and_corrects_a_returned_filing_from_the_page() {
    use crate::helpers::{create_filing, create_machine, create_site, expect_status, id_of, inspector};
    let app = TestApp::sqlite().await;
    let org = app.organization("百台机械建设有限公司").await;
    app.user("fleet.admin", Role::ContractorAdmin, None, Some(org)).await;
    let rest = app.signed_in("fleet.admin").await;
    let site = create_site(&app, &rest, "百台工地", "140105").await;
    // One at a time, so the first is the oldest: the list shows the newest first, 50 a page.
    let mut machines = Vec::new();
    for n in 1..=120 {
        machines.push(create_machine(&app, &rest, n).await);
    }
    let today = app.today();
    let day = |n: i64| today + chrono::Duration::days(n);
    // The newest is already filed for these days: the picker says so beside it.
    create_filing(&app, &rest, &site["id"], &[&machines[119]["id"]], day(1), day(30)).await;
    let Some(b) = Browser::start(1280, 900).await else { return };

    b.client.goto(&app.url("/login")).await.expect("goto");
    b.wait_hydrated().await;
    b.fill("#username", "fleet.admin").await;
    b.fill("#password", PASSWORD).await;
    b.find("form[data-testid=login-form] button[type=submit]").await.click().await.expect("sign in");
    b.wait_text("[data-testid=current-user]", "fleet.admin").await;

    b.client.goto(&app.url("/filings/new")).await.expect("goto");
    b.wait_hydrated().await;
    b.find(&format!("#site_id option[value='{}']", site["id"].as_str().expect("id")))
        .await
        .click()
        .await
        .expect("site");
    let date = |d: chrono::NaiveDate| d.format("%m%d%Y").to_string();
    b.fill("#planned_entry_on", &date(day(1))).await;
    // The page checks the shared rule before sending anything: an exit before the entry and no
    // machine are refused beside the fields, and the messages follow the corrections.
    b.fill("#planned_exit_on", &date(today)).await;
    b.find("form[data-testid=filing-form] button[type=submit]").await.click().await.expect("submit");
    b.wait_text("#planned_exit_on-error", "结束日期不能早于开始日期").await;
    b.wait_text("#machine_ids-error", "此项必填").await;
    let sent =
        b.client.execute("return (window.__calls || []).filter(c => c.url.includes('/filings/create')).length", vec![]);
    assert_eq!(sent.await.expect("script").as_u64(), Some(0), "nothing was sent");
    b.fill("#planned_exit_on", &date(day(20))).await;
    for _ in 0..50 {
        if b.client.find(fantoccini::Locator::Css("#planned_exit_on-error")).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(b.client.find(fantoccini::Locator::Css("#planned_exit_on-error")).await.is_err(), "corrected");
    b.wait_text("[data-testid=picker-list]", "120号挖掘机").await;
    b.wait_text("[data-testid=picker-list]", "已报备：百台工地").await;

    // Page to the oldest machine (page 3) and choose it.
    let oldest = id_of(&machines[0]);
    for page in ["第 2 页", "第 3 页"] {
        b.find("[data-testid=picker-next]").await.click().await.expect("next page");
        b.wait_text("[data-testid=picker-page]", page).await;
    }
    b.wait_text("[data-testid=picker-list]", "PIN-00000001").await;
    b.find(&format!("input[data-machine='{oldest}']")).await.click().await.expect("choose the oldest");
    b.wait_text("[data-testid=chosen]", "1号挖掘机 · PIN-00000001").await;
    b.wait_text("[data-testid=chosen-count]", "已选 1 台").await;
    assert!(b.client.find(fantoccini::Locator::Css("#machine_ids-error")).await.is_err(), "a machine is chosen");
    // A search finds it too, still chosen; the selection survives searches and pages.
    b.fill("#machine_q", "PIN-00000001").await;
    b.find("[data-testid=picker-search]").await.click().await.expect("search");
    b.wait_text("[data-testid=picker-page]", "第 1 页").await;
    let found = b.find(&format!("input[data-machine='{oldest}']")).await;
    assert!(found.is_selected().await.expect("checked"), "still chosen after a search");
    b.wait_text("[data-testid=chosen-count]", "已选 1 台").await;
    b.assert_no_page_errors().await;
    b.find("form[data-testid=filing-form] button[type=submit]").await.click().await.expect("submit");
    b.find("[data-testid=submit-anyway]").await.click().await.expect("submit despite the missing photos");
    b.wait_text("[data-testid=filing-status]", "已提交").await;
    let url = b.client.current_url().await.expect("url");
    let filing_id = url.path().rsplit('/').next().expect("id").to_owned();
    let filing = expect_status(app.get_as(&rest, &format!("/api/v1/filings/{filing_id}")).await, 200).await;
    let filed: Vec<String> = filing["machines"].as_array().expect("machines").iter().map(id_of).collect();
    assert_eq!(filed, vec![oldest.clone()], "the filing holds exactly the oldest machine");

    // Returned by the county; corrected on the page: another machine instead, a later exit.
    let county = inspector(&app, "fleet.insp", "140105").await;
    let body = serde_json::json!({"decision": "return", "reason": "请改报2号挖掘机"});
    let review = format!("/api/v1/filings/{filing_id}/review");
    expect_status(app.post_as(&county, &review, &body).await, 200).await;
    b.client.goto(url.as_ref()).await.expect("goto");
    b.wait_hydrated().await;
    b.wait_text("[data-testid=correct-filing] [data-testid=chosen]", "1号挖掘机").await;
    let second = id_of(&machines[1]);
    b.fill("#machine_q", "PIN-00000002").await;
    b.find("[data-testid=picker-search]").await.click().await.expect("search");
    b.wait_text("[data-testid=picker-list]", "PIN-00000002").await;
    b.find(&format!("input[data-machine='{second}']")).await.click().await.expect("choose the second");
    b.wait_text("[data-testid=chosen]", "2号挖掘机").await;
    b.find("[data-testid=chosen] li:first-child button").await.click().await.expect("remove the first");
    b.wait_text("[data-testid=chosen-count]", "已选 1 台").await;
    b.fill("#planned_exit_on", &date(day(25))).await;
    b.find("[data-testid=resubmit]").await.click().await.expect("resubmit");
    b.wait_text("[data-testid=filing-status]", "已提交").await;
    b.assert_no_page_errors().await;
    let filing = expect_status(app.get_as(&rest, &format!("/api/v1/filings/{filing_id}")).await, 200).await;
    let filed: Vec<String> = filing["machines"].as_array().expect("machines").iter().map(id_of).collect();
    assert_eq!(filed, vec![second], "corrected to the second machine");
    assert_eq!(filing["planned_exit_on"], serde_json::json!(day(25)));
    b.close().await;
}

/// On a phone: the demo's 小店区 inspector opens the inspection plan, reads why the first site
/// ranks first, picks two sites into today's route, puts the second first, saves once (the
/// button is off until something changes and while it saves), and finds the route again after
/// a reload, with each stop opening the field check for its site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspector_on_a_phone_plans_a_route_from_the_ranked_sites() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    // A second site in force in 小店区: another unit's, with a stage IV machine.
    let (_, unit) = crate::helpers::contractor(&app, "plan.unit").await;
    let site = crate::helpers::create_site(&app, &unit, "小店区第二工地", "140105").await;
    let m = crate::helpers::create_machine(&app, &unit, 901).await;
    let today = app.today();
    let f = crate::helpers::create_filing(
        &app,
        &unit,
        &site["id"],
        &[&m["id"]],
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(20),
    )
    .await;
    let colleague = crate::helpers::inspector(&app, "plan.colleague", "140105").await;
    let review = format!("/api/v1/filings/{}/review", crate::helpers::id_of(&f));
    crate::helpers::expect_status(
        app.post_as(&colleague, &review, &serde_json::json!({"decision": "accept"})).await,
        200,
    )
    .await;
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.sign_in_demo_inspector(&app).await;
    b.client.goto(&app.url("/plan")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("[data-testid=plan-site]").await;
    let sites = b
        .eval("return Array.from(document.querySelectorAll('[data-testid=plan-site]')).map(e => e.dataset.site)")
        .await;
    let sites: Vec<String> = serde_json::from_value(sites).expect("ids");
    assert!(sites.len() >= 2, "the demo's 小店区 has sites in force: {sites:?}");
    let reasons = b
        .eval(
            "return document.querySelectorAll('[data-testid=plan-site]:first-child [data-testid=plan-reason]').length",
        )
        .await;
    assert!(reasons.as_u64().unwrap_or(0) >= 1, "the first site says why");
    b.wait_text("[data-testid=route-empty]", "尚未选择工地").await;
    let save = "[data-testid=route-save]";
    assert_eq!(b.find(save).await.attr("disabled").await.expect("attr").as_deref(), Some("true"), "nothing to save");
    for id in &sites[..2] {
        b.find(&format!("[data-testid=plan-site][data-site='{id}'] [data-testid=plan-add]"))
            .await
            .click()
            .await
            .expect("add");
    }
    b.wait_text("[data-testid=route-unsaved]", "尚未保存").await;
    // The second stop up: the order is now [second, first].
    b.find("[data-testid=route-stop]:nth-child(2) button[aria-label='上移']").await.click().await.expect("up");
    let order = "return Array.from(document.querySelectorAll('[data-testid=route-stop]')).map(e => e.dataset.site)";
    assert_eq!(b.eval(order).await, serde_json::json!([sites[1], sites[0]]));
    let widths = b.eval("return [document.documentElement.clientWidth, document.documentElement.scrollWidth]").await;
    assert_eq!(widths, serde_json::json!([360, 360]), "nothing wider than the screen");
    b.snap("plan-route-360").await;
    b.client
        .execute("const s = document.querySelector(arguments[0]); s.click(); s.click();", vec![save.into()])
        .await
        .expect("tap twice");
    b.wait_text("[data-testid=route-saved]", "路线已保存").await;
    assert_eq!(b.find(save).await.attr("disabled").await.expect("attr").as_deref(), Some("true"), "saved: off again");
    let saves = app::db::entities::audit_log::Entity::find()
        .filter(app::db::entities::audit_log::Column::EntityKind.eq("inspection_route"))
        .all(&app.state.db)
        .await
        .expect("rows");
    assert_eq!(saves.len(), 1, "saved once");
    // After a reload the route is the server's, in order, and each stop opens the field check.
    b.client.goto(&app.url("/plan")).await.expect("goto");
    b.wait_hydrated().await;
    b.find("[data-testid=route-stop]").await;
    assert_eq!(b.eval(order).await, serde_json::json!([sites[1], sites[0]]));
    let href = b.find("[data-testid=route-stop] a").await.attr("href").await.expect("attr");
    assert_eq!(href, Some(format!("/field?site={}", sites[1])));
    b.assert_no_page_errors().await;
    b.close().await;
}

/// On a phone, signed out: a member of the public opens a machine's label page, follows
/// "report this machine", fills the form with a photo, sends it once, and gets a reference;
/// the report is in the county of the machine's filing (小店区), with its photo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_reports_a_machine_from_its_label_page_on_a_phone() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::sqlite().await;
    server::seed::demo(&app.state).await.expect("demo data");
    let code = app::db::entities::machine::Entity::find()
        .filter(app::db::entities::machine::Column::Name.eq("1号挖掘机"))
        .one(&app.state.db)
        .await
        .expect("query")
        .and_then(|m| m.registration_code)
        .expect("a registered demo machine");
    let photo = tempfile::Builder::new().suffix(".png").tempfile().expect("temp file");
    std::fs::write(photo.path(), crate::amendments::png()).expect("write photo");
    let Some(b) = Browser::start_phone(360, 740).await else { return };
    b.client.goto(&app.url(&format!("/v/{code}"))).await.expect("goto");
    b.find("[data-testid=report-link]").await.click().await.expect("report link");
    b.find("form[data-testid=report-form]").await;
    assert_eq!(b.find("#registration_code").await.prop("value").await.expect("value"), Some(code.clone()));
    b.find("input[name=kind][value=black_smoke]").await.click().await.expect("kind");
    b.fill("#description", "龙城大街工地北门的挖掘机冒黑烟，今天上午九点左右").await;
    b.find("#photo").await.send_keys(&photo.path().display().to_string()).await.expect("attach photo");
    b.fill("#phone", "13800138000").await;
    let widths = b.eval("return [document.documentElement.clientWidth, document.documentElement.scrollWidth]").await;
    assert_eq!(widths, serde_json::json!([360, 360]), "nothing wider than the screen");
    b.snap("report-form-360").await;
    b.find("[data-testid=report-send]").await.click().await.expect("send");
    b.wait_text("[data-testid=report-sent]", "小店区").await;
    let reference = b.find("[data-testid=report-reference]").await.text().await.expect("reference");
    assert_eq!(reference.len(), 8, "{reference}");
    b.snap("report-sent-360").await;
    let stored = app::db::entities::public_report::Entity::find()
        .filter(app::db::entities::public_report::Column::Reference.eq(reference.as_str()))
        .all(&app.state.db)
        .await
        .expect("reports");
    assert_eq!(stored.len(), 1, "sent once");
    assert_eq!(
        (stored[0].county_code.as_str(), stored[0].photos, stored[0].kind.as_str()),
        ("140105", 1, "black_smoke")
    );
    b.close().await;
}
