//! The wasm entry point: hydrates the islands of the server-rendered page.
//! Nothing else lives here.

/// Called by the JS glue that cargo-leptos generates once the wasm is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Naming an island links the `app` crate, whose islands export their
    // hydration functions to the JS glue.
    let _ = app::ui::islands::AtPicker;
    leptos::mount::hydrate_islands();
}
