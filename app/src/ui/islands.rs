//! The only interactive parts, shipped as wasm islands. Each one enhances a
//! form that already works without JavaScript.

use leptos::prelude::*;

/// The "as of" date picker: a GET form that works without JavaScript
/// (the button, or Enter in the field). With JavaScript, a day chosen in
/// the browser's calendar shows at once; a day typed key by key does not
/// (each typed segment changes the value: `0002-03-01`, `0020-03-01`, ...)
/// and waits for Enter or the button.
#[island]
pub fn AtPicker(
    /// Where the form goes (the current page's path).
    action: String,
    /// The current day (`YYYY-MM-DD`), if the page shows the past.
    at: Option<String>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    // Whether the last thing done to the field was a key (not the picker).
    let typed = StoredValue::new(false);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() != "Enter" {
            typed.set_value(true);
        }
    };
    let on_pointer = move |_| typed.set_value(false);
    let submit = move |ev: leptos::ev::Event| {
        if typed.get_value() || !plausible_day(&event_target_value(&ev)) {
            return;
        }
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
                <input type="date" name="at" value=at.unwrap_or_default() min=EARLIEST_DAY max=LATEST_DAY
                    on:keydown=on_key on:pointerdown=on_pointer on:change=submit/>
            </label>
            <button type="submit">"Show"</button>
        </form>
    }
}

/// The first and last day the picker offers (and pages accept).
pub const EARLIEST_DAY: &str = "1900-01-01";
/// See [`EARLIEST_DAY`].
pub const LATEST_DAY: &str = "2199-12-31";

/// Whether `value` (`YYYY-MM-DD` from a date field) is a whole day between
/// [`EARLIEST_DAY`] and [`LATEST_DAY`].
pub fn plausible_day(value: &str) -> bool {
    value.len() == 10 && (EARLIEST_DAY..=LATEST_DAY).contains(&value)
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

#[cfg(test)]
mod tests {
    use super::plausible_day;

    #[test]
    fn only_whole_days_from_1900_to_2199_are_plausible() {
        for day in ["1900-01-01", "1993-08-16", "2021-03-01", "2199-12-31"] {
            assert!(plausible_day(day), "{day}");
        }
        // What typing 03/01/2021 segment by segment passes through.
        for day in ["0002-03-01", "0020-03-01", "0202-03-01", "1899-12-31", "2200-01-01", "", "2021-03", "+10000-01-01"]
        {
            assert!(!plausible_day(day), "{day}");
        }
    }
}
