//! The only interactive parts, shipped as wasm islands. Each one enhances a
//! form that already works without JavaScript.

use leptos::prelude::*;

/// The "as of" date picker: a GET form that works without JavaScript; with
/// it, choosing a date submits the form at once.
#[island]
pub fn AtPicker(
    /// Where the form goes (the current page's path).
    action: String,
    /// The current day (`YYYY-MM-DD`), if the page shows the past.
    at: Option<String>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let submit = move |_| {
        if let Some(form) = form.get() {
            let _ = form.submit();
        }
    };
    view! {
        <form class="at-picker" method="get" action=action node_ref=form>
            <label>
                "Show as of "
                // A plain String: an `Option` value on this void element
                // breaks island hydration in leptos 0.8.23.
                <input type="date" name="at" value=at.unwrap_or_default() on:change=submit/>
            </label>
            <button type="submit">"Show"</button>
        </form>
    }
}

/// Live pages: follows `stream` (`GET /api/v1/stream` with the page's
/// filters) and, when the log changes, fetches the page again and swaps
/// its `[data-live]` regions in place, marking the rows (`[data-live-key]`)
/// that are new or changed. Scroll position and focus outside the regions
/// stay; the page stays whole without JavaScript (it shows the log as
/// loaded). Only for pages about "now": an "as of" page stays still.
#[island]
pub fn LiveUpdates(
    /// The stream to follow, with the page's filters.
    stream: String,
) -> impl IntoView {
    let status = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| crate::ui::live::follow(&stream, status));
    #[cfg(not(feature = "hydrate"))]
    let _ = stream;
    view! { <p class="live-status" role="status">{move || status.get()}</p> }
}
