//! The names of the browser bundle's files, as the build wrote them in `pkg/assets.json`
//! (`tools/site`: every file named by its content, so it can be cached for a year), and the
//! tags that load them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use leptos::prelude::*;

/// Where the bundle is served from.
pub const PKG: &str = "/pkg";

/// The bundle's file names (within `/pkg`) and which chunks each lazy route needs.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct SiteAssets {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The loader of the lazily loaded chunks (absent when the WASM was not split).
    pub split_js: Option<String>,
    /// Split point → the chunks (file stems) it needs.
    #[serde(default)]
    pub split_manifest: HashMap<String, Vec<String>>,
}

impl SiteAssets {
    /// Reads `pkg/assets.json` under `site_root`. Without it (the bundle was not built: tests
    /// of the REST API, a server run before `scripts/run.sh` built the site) the pages still
    /// render, with the plain names, and are not hydrated.
    pub fn load(site_root: &Path) -> Arc<Self> {
        let path = site_root.join("pkg").join("assets.json");
        let parsed = std::fs::read_to_string(&path).ok().and_then(|text| serde_json::from_str(&text).ok());
        Arc::new(parsed.unwrap_or_else(|| SiteAssets {
            js: "nrmm.js".into(),
            wasm: "nrmm.wasm".into(),
            css: "nrmm.css".into(),
            split_js: None,
            split_manifest: HashMap::new(),
        }))
    }
}

/// The stylesheet, the preloads and the module script that hydrates the page. When the WASM is
/// split, the split manifest goes into context: Leptos' page render then preloads the chunks
/// of the lazy routes the page used.
#[component]
pub fn BundleTags(assets: Arc<SiteAssets>) -> impl IntoView {
    if let Some(split_js) = &assets.split_js {
        provide_context(leptos::WasmSplitManifest(leptos::reactive::owner::ArcStoredValue::new((
            PKG.to_owned(),
            assets.split_manifest.clone(),
            split_js.clone(),
        ))));
    }
    let js = format!("{PKG}/{}", assets.js);
    let wasm = format!("{PKG}/{}", assets.wasm);
    let script = format!(
        "import(\"{js}\").then(async m => {{ await m.default({{module_or_path: \"{wasm}\"}}); m.hydrate(); }});"
    );
    let nonce = leptos::nonce::use_nonce();
    view! {
        <link rel="stylesheet" href=format!("{PKG}/{}", assets.css) />
        <link rel="modulepreload" href=js.clone() />
        <link rel="preload" href=wasm.clone() r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>{script}</script>
    }
}
