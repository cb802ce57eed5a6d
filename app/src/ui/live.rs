//! The browser half of the live pages ([`super::islands::LiveUpdates`]):
//! an `EventSource` on the stream, and on each change a fetch of the page
//! whose `[data-live]` regions replace the shown ones. Changes that arrive
//! together are taken in one fetch.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomParser, Element, EventSource, SupportedType};

/// How long to wait after a change for others that belong with it (a
/// correction is a retraction and an event).
const GATHER: Duration = Duration::from_millis(80);

/// The kinds of change the stream names.
const KINDS: [&str; 4] = ["event", "retraction", "property", "plan"];

/// How long after hydration the stream opens: the page's own resources
/// load first (and tools that wait for an idle network see one). Nothing
/// is missed meanwhile: the stream URL carries the cursor the page was
/// rendered at.
const OPEN_AFTER: Duration = Duration::from_millis(1500);

/// Follows `url` (after [`OPEN_AFTER`]); `status` says what happened, for
/// people and screen readers, and `data-live-state="open"` on the status
/// element says the stream is open.
pub fn follow(url: &str, status: RwSignal<String>) {
    let url = url.to_owned();
    set_timeout(move || open(&url, status), OPEN_AFTER);
}

fn open(url: &str, status: RwSignal<String>) {
    let Ok(source) = EventSource::new(url) else {
        return;
    };
    let on_open = Closure::<dyn FnMut()>::new(move || mark_open(true));
    let on_error = Closure::<dyn FnMut()>::new(move || mark_open(false));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_open.forget();
    on_error.forget();
    let busy = Rc::new(Cell::new(false));
    let again = Rc::new(Cell::new(false));
    let on_change = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
        if busy.replace(true) {
            // A refresh is under way; one more after it picks this up.
            again.set(true);
            return;
        }
        schedule(busy.clone(), again.clone(), status);
    });
    for kind in KINDS {
        let _ = source.add_event_listener_with_callback(kind, on_change.as_ref().unchecked_ref());
    }
    // Both live as long as the page.
    on_change.forget();
    std::mem::forget(source);
}

fn schedule(busy: Rc<Cell<bool>>, again: Rc<Cell<bool>>, status: RwSignal<String>) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                match refresh().await {
                    Ok(0) => {}
                    Ok(1) => status.set("Updated: 1 change.".into()),
                    Ok(n) => status.set(format!("Updated: {n} changes.")),
                    Err(_) => status.set("Could not update; reload the page to see the latest.".into()),
                }
                if again.replace(false) {
                    schedule(busy, again, status);
                } else {
                    busy.set(false);
                }
            });
        },
        GATHER,
    );
}

/// Says on the status element whether the stream is open (it reconnects
/// by itself after an error).
fn mark_open(open: bool) {
    let status =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(".live-status").ok().flatten());
    if let Some(status) = status {
        let _ = status.set_attribute("data-live-state", if open { "open" } else { "connecting" });
    }
}

/// Fetches the page again and swaps its live regions; answers how many
/// rows are new or changed.
async fn refresh() -> Result<usize, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let href = window.location().href()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&href)).await?.dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str("the page did not load"));
    }
    let text = JsFuture::from(response.text()?).await?.as_string().unwrap_or_default();
    let fresh = DomParser::new()?.parse_from_string(&text, SupportedType::TextHtml)?;
    let regions = document.query_selector_all("[data-live]")?;
    let mut changed = 0;
    for i in 0..regions.length() {
        let Some(shown) = regions.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        let name = shown.get_attribute("data-live").unwrap_or_default();
        let Some(replacement) = fresh.query_selector(&format!("[data-live=\"{name}\"]"))? else {
            continue;
        };
        let before = keyed(&shown)?;
        shown.set_inner_html(&replacement.inner_html());
        let rows = shown.query_selector_all("[data-live-key]")?;
        for j in 0..rows.length() {
            let Some(row) = rows.item(j).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
            let key = row.get_attribute("data-live-key").unwrap_or_default();
            if before.get(&key) != Some(&row.inner_html()) {
                let _ = row.class_list().add_1("live-new");
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// The rows of `region` by key, with their content.
fn keyed(region: &Element) -> Result<HashMap<String, String>, JsValue> {
    let rows = region.query_selector_all("[data-live-key]")?;
    let mut out = HashMap::new();
    for j in 0..rows.length() {
        if let Some(row) = rows.item(j).and_then(|n| n.dyn_into::<Element>().ok()) {
            out.insert(row.get_attribute("data-live-key").unwrap_or_default(), row.inner_html());
        }
    }
    Ok(out)
}
