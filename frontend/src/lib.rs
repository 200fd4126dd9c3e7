//! The browser entry point: hydrates the server-rendered page with the app compiled to WASM.

/// Called by the script the server puts in every page.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes: the chunk of the page being hydrated is loaded before hydration starts.
    leptos::mount::hydrate_lazy(app::App);
}
