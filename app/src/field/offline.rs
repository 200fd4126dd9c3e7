//! The field pages with no signal: copies of what the phone last fetched (the sites in scope,
//! the limit table it judges with) kept in the browser's storage, and the outbox of inspections
//! recorded offline (`/outbox.js`: IndexedDB, sent with their request ids when the network
//! returns). On the server every function here is inert.

use crate::error::AppError;
use crate::inspections::compliance::Verdict;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the copies live in the browser's `localStorage`.
pub const SITES_KEY: &str = "nrmm.field-sites";
/// The limit table last fetched for a county (`nrmm.limits.{county code}`), and for any county.
pub fn limits_key(county: &str) -> String {
    format!("nrmm.limits.{county}")
}
pub const LAST_LIMITS_KEY: &str = "nrmm.limits.last";

/// Keeps a copy of `value` under `key` (the browser's storage; nothing on the server).
pub fn remember<T: Serialize>(key: &str, value: &T) {
    #[cfg(feature = "hydrate")]
    if let (Some(storage), Ok(text)) =
        (web_sys::window().and_then(|w| w.local_storage().ok().flatten()), serde_json::to_string(value))
    {
        let _ = storage.set_item(key, &text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key, value);
}

/// The copy kept under `key`, if any.
pub fn recall<T: DeserializeOwned>(key: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        let storage = web_sys::window()?.local_storage().ok().flatten()?;
        serde_json::from_str(&storage.get_item(key).ok().flatten()?).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key;
        None
    }
}

/// A fetched answer, or with no network the copy kept from the last one that arrived.
pub fn or_kept<T: DeserializeOwned>(fetched: Result<T, AppError>, keys: &[&str]) -> Result<T, AppError> {
    match fetched {
        Err(AppError::Network) => keys.iter().find_map(|k| recall(k)).ok_or(AppError::Network),
        other => other,
    }
}

/// Keeps a copy of a value whenever one arrives (a resource rendered by the server and
/// hydrated, or fetched in the browser), under the keys `keys` gives for it. Effects run in the
/// browser only.
pub fn keep_copies<T: Serialize + 'static>(
    value: impl Fn() -> Option<T> + 'static,
    keys: impl Fn() -> Vec<String> + 'static,
) {
    Effect::new(move |_| {
        if let Some(value) = value() {
            for key in keys() {
                remember(&key, &value);
            }
        }
    });
}

/// The sites in scope, asked of the server, or with no network the copy kept from the last
/// answer.
async fn sites_or_kept() -> Result<Vec<super::FieldSite>, AppError> {
    or_kept(super::server_fns::field_sites().await, &[SITES_KEY])
}

/// Keeps each answer about the sites in scope as the copy used with no network.
fn keep_sites(sites: impl Fn() -> Option<Vec<super::FieldSite>> + 'static) {
    keep_copies(sites, || vec![SITES_KEY.to_owned()]);
}

/// The sites in scope: fetched, or with no network the copy kept from the last answer (which
/// each answer replaces).
pub fn kept_sites() -> Resource<Result<Vec<super::FieldSite>, AppError>> {
    let sites = Resource::new(|| (), |_| sites_or_kept());
    keep_sites(move || sites.get().and_then(|r| r.ok()));
    sites
}

/// The sites in scope as the look-up page offers them: fetched in the browser once the page
/// has hydrated (the page rendered on the server, the one a label opens, carries none: it is
/// the answer that matters there), or with no network the copy kept from the last answer.
pub fn sites_fetched_in_browser() -> Signal<Option<Vec<super::FieldSite>>> {
    let sites = RwSignal::new(None);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(list) = sites_or_kept().await {
                sites.set(Some(list));
            }
        });
    });
    keep_sites(move || sites.get());
    sites.into()
}

/// The county of a site in the kept copy of the sites in scope.
pub fn kept_site_county(site: uuid::Uuid) -> Option<String> {
    let sites: Vec<super::FieldSite> = recall(SITES_KEY)?;
    sites.into_iter().find(|s| s.id == site).map(|s| s.county_code)
}

/// When the county's limit table was last fetched (ms since 1970), beside its copy.
fn fetched_key(county: &str) -> String {
    format!("nrmm.limits.fetched.{county}")
}

/// How long a kept limit table is used before `/field` asks for it again: a table published
/// meanwhile reaches the phone within this, and the server's verdict (with the table in force
/// when the inspection arrives) is the one kept either way.
const LIMITS_REFRESH_MS: f64 = 60.0 * 60.0 * 1000.0;

/// Keeps a copy of the limit table in force for the signed-in official's county, fetched in
/// the browser when a field page opens with a network and the copy is older than an hour, so
/// an inspection recorded later with none is judged on the phone.
pub fn keep_county_limits() {
    let auth = crate::ui::use_auth();
    Effect::new(move |_| {
        if offline() {
            return;
        }
        let Some(county) = auth.user.get().and_then(|u| u.ok()).flatten().and_then(|u| u.division_code) else {
            return;
        };
        let now = now_ms();
        let fresh =
            recall::<f64>(&fetched_key(&county)).is_some_and(|at| (0.0..LIMITS_REFRESH_MS).contains(&(now - at)));
        if fresh && recall::<serde_json::Value>(&limits_key(&county)).is_some() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(table) = crate::inspections::server_fns::current_limit_table(None, Some(county.clone())).await {
                remember(&limits_key(&county), &table);
                remember(LAST_LIMITS_KEY, &table);
                remember(&fetched_key(&county), &now);
            }
        });
    });
}

/// The phone's clock (ms since 1970; 0 on the server).
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// Whether the browser says it has no network (never on the server).
pub fn offline() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().is_some_and(|w| !w.navigator().on_line())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// One inspection in the phone's outbox, as `/outbox.js` lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutboxItem {
    /// The inspection's request id: the server records it once, however often it is sent.
    pub id: Uuid,
    pub state: OutboxState,
    /// When it was recorded on the phone (ms since 1970).
    pub created: f64,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub site: Option<String>,
    /// The verdict the phone computed with the limit table it had.
    #[serde(default)]
    pub phone_verdict: Option<Verdict>,
    /// The server's verdict, once sent: the one kept.
    #[serde(default)]
    pub server_verdict: Option<Verdict>,
    #[serde(default)]
    pub inspection_id: Option<Uuid>,
    /// Who recorded it (only that account sends it).
    #[serde(default)]
    pub recorder_name: Option<String>,
    #[serde(default)]
    pub cases: u32,
    #[serde(default)]
    pub photos: u32,
    #[serde(default)]
    pub photos_left: u32,
    /// The photos the server refused for good, each `name: reason` (the inspection stands).
    #[serde(default)]
    pub photos_refused: Vec<String>,
    /// Why the server refused it (its message, in the page's language when it sent one).
    #[serde(default)]
    pub error: Option<String>,
}

/// Where an outbox item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for the network.
    Waiting,
    /// Being sent.
    Sending,
    /// The session ended: kept until the inspector signs in again.
    SignIn,
    /// Another account is signed in on this phone: kept until its recorder signs in.
    OtherUser,
    /// The server refused it (e.g. a code that is not registered): kept until removed.
    Refused,
    /// Recorded by the server (photos included).
    Sent,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Waiting => "waiting",
            OutboxState::Sending => "sending",
            OutboxState::SignIn => "sign_in",
            OutboxState::OtherUser => "other_user",
            OutboxState::Refused => "refused",
            OutboxState::Sent => "sent",
        }
    }
}

/// What the page puts in the outbox: the inspection as the server takes it, and what the
/// outbox shows of it.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntry<'a, I: Serialize> {
    pub id: Uuid,
    pub input: &'a I,
    pub code: Option<String>,
    pub site: Option<String>,
    pub phone_verdict: Option<Verdict>,
    /// The signed-in account that recorded it: the only one that sends it.
    pub recorder: Option<Uuid>,
    pub recorder_name: Option<String>,
}

/// The signed-in account as the page knows it (also offline, from the page it kept): its id
/// and name, for the outbox's items.
pub fn recorder(auth: crate::ui::Auth) -> (Option<Uuid>, Option<String>) {
    let me = auth.user.get_untracked().and_then(|u| u.ok()).flatten();
    (me.as_ref().map(|m| m.id), me.map(|m| m.display_name))
}

#[cfg(feature = "hydrate")]
mod js {
    use wasm_bindgen::{JsCast, JsValue};

    /// Calls `window.nrmmOutbox[method](args…)` and awaits its promise.
    pub async fn call(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        let outbox = js_sys::Reflect::get(&window, &"nrmmOutbox".into())?;
        if outbox.is_undefined() {
            return Err(JsValue::from_str("outbox.js is not loaded"));
        }
        let f: js_sys::Function = js_sys::Reflect::get(&outbox, &method.into())?.dyn_into()?;
        let array = js_sys::Array::new();
        for a in args {
            array.push(a);
        }
        let promise: js_sys::Promise = f.apply(&outbox, &array)?.dyn_into()?;
        wasm_bindgen_futures::JsFuture::from(promise).await
    }
}

/// Puts an inspection (an [`OutboxEntry`] as JSON, and the photos chosen for it) in the
/// outbox; `/outbox.js` sends it at once when it can. `Err` when the browser's storage refused.
pub async fn outbox_add_json(entry: String, photos: Option<PhotoFiles>) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        let files = photos.map(|p| p.0.take()).unwrap_or(wasm_bindgen::JsValue::NULL);
        js::call("add", &[entry.into(), files]).await.map(|_| ()).map_err(|e| format!("{e:?}"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (entry, photos);
        Err("offline outbox is a browser feature".into())
    }
}

/// Sends the photos chosen on the form for an inspection the server has just recorded
/// (through the outbox, each with its own request id).
pub async fn outbox_add_photos(
    inspection: Uuid,
    photos: PhotoFiles,
    (recorder, name): (Option<Uuid>, Option<String>),
) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        let recorder = recorder.map(|r| r.to_string());
        js::call("addPhotos", &[inspection.to_string().into(), photos.0.take(), recorder.into(), name.into()])
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (inspection, photos, recorder, name);
        Err("offline outbox is a browser feature".into())
    }
}

/// The outbox, oldest first (empty on the server or when the script is missing).
pub async fn outbox_list() -> Vec<OutboxItem> {
    #[cfg(feature = "hydrate")]
    {
        match js::call("list", &[]).await {
            Ok(v) => v.as_string().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Vec::new()
    }
}

/// Asks `/outbox.js` to send what waits (it asks the server who is signed in first).
pub async fn outbox_sync() {
    #[cfg(feature = "hydrate")]
    let _ = js::call("sync", &[]).await;
}

/// Removes an item (a refused one, or a sent one the inspector has read).
pub async fn outbox_remove(id: Uuid) {
    #[cfg(feature = "hydrate")]
    let _ = js::call("remove", &[id.to_string().into()]).await;
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// The files picked in a file input (a `FileList` in the browser, where there is one thread:
/// wrapped so it can sit in the page's state, which must be `Send`).
#[derive(Clone)]
pub struct PhotoFiles(#[cfg(feature = "hydrate")] send_wrapper::SendWrapper<wasm_bindgen::JsValue>);

impl PhotoFiles {
    /// The files picked in `input`, if any.
    pub fn of(input: &NodeRef<leptos::html::Input>) -> Option<Self> {
        #[cfg(feature = "hydrate")]
        {
            let files = input.get_untracked()?.files()?;
            (files.length() > 0).then(|| PhotoFiles(send_wrapper::SendWrapper::new(files.into())))
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = input;
            None
        }
    }
}
