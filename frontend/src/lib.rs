//! The wasm entry point: hydrates the server-rendered page. Nothing else lives here.

/// Called by the JS glue that cargo-leptos generates once the wasm is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
