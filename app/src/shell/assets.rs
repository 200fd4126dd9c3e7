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

impl SiteAssets {
    /// The files the field pages need with no network: the shell (glue, main module, chunk
    /// loader, stylesheet, the outbox script) and the chunks of the field look-up, the
    /// inspection form and the QR decoder.
    pub fn offline_files(&self) -> Vec<String> {
        let mut files: Vec<String> = [Some(&self.js), Some(&self.wasm), Some(&self.css), self.split_js.as_ref()]
            .into_iter()
            .flatten()
            .map(|f| format!("{PKG}/{f}"))
            .collect();
        let mut chunks: Vec<&String> = self
            .split_manifest
            .iter()
            .filter(|(point, _)| ["field", "inspect", "decode_qr"].iter().any(|w| point.contains(w)))
            .flat_map(|(_, chunks)| chunks)
            .collect();
        chunks.sort();
        chunks.dedup();
        files.extend(chunks.into_iter().map(|c| format!("{PKG}/{c}.wasm")));
        files.extend(["/outbox.js".to_owned(), "/favicon.svg".to_owned()]);
        files
    }

    /// `/sw.js`: the service worker of this build (see `field/sw.js`).
    pub fn service_worker(&self) -> String {
        let precache = serde_json::to_string(&self.offline_files()).unwrap_or_else(|_| "[]".into());
        // The build's version: a digest of the files it keeps (every file is named by its
        // content, so another build has another list).
        let version = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            precache.hash(&mut h);
            format!("\"{:016x}\"", h.finish())
        };
        format!("const VERSION = {version};\nconst PRECACHE = {precache};\n{}", include_str!("../field/sw.js"))
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
