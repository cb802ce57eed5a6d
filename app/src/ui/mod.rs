//! What every page shares: the "not found" and error pages, input error
//! banners, the `?at=` banner, and helpers for query and path parameters
//! and the HTTP status. The shell and the routes live in `routes`. This
//! module never imports a page module (pages import it).

pub mod api_docs;
pub mod format;
pub mod islands;
#[cfg(feature = "hydrate")]
mod live;

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use crate::error::AppError;
use crate::links;
use crate::model::{parse_at, Timestamp};

/// The page for unknown paths and unknown dists, releases or events.
#[component]
pub fn NotFound(#[prop(optional, into)] what: Option<String>) -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · releasetracker"/>
        <h1>"Not found"</h1>
        <p>{what.unwrap_or_else(|| "There is no page at this address.".to_owned())}</p>
        <p><a href=links::home()>"Back to the state matrix"</a></p>
    }
}

/// The page shown when something the page needs failed on our side, such
/// as context the server did not provide: the error's status (500) and
/// its message, instead of a panic.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    set_status(error.status());
    view! {
        <Title text="Error · releasetracker"/>
        <h1>"Something went wrong"</h1>
        <p class="error" role="alert">{error.to_string()}</p>
        <p><a href=links::home()>"Back to the state matrix"</a></p>
    }
}

/// A readable error above a page's content (bad `?at=`, bad filters).
#[component]
pub fn InputError(message: String) -> impl IntoView {
    view! { <p class="error" role="alert">{message}</p> }
}

/// Sets the HTTP status of the page being rendered (server only).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(code) {
            options.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// The query of the current URL as decoded pairs, in order. Read from the
/// raw query string: leptos_router's own query map percent-decodes the
/// already decoded values a second time (`100%2541` would become `100A`).
pub fn query_pairs() -> Vec<(String, String)> {
    let search = use_location().search.get_untracked();
    url::form_urlencoded::parse(search.as_bytes()).into_owned().collect()
}

/// A query parameter of the current URL (the last, if repeated); empty
/// counts as absent.
pub fn query(key: &str) -> Option<String> {
    query_pairs().into_iter().rev().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| !v.is_empty())
}

/// A path parameter of the current route, decoded (`10%2F1` → `10/1`:
/// leptos_router decodes each segment once).
pub fn param(key: &str) -> Option<String> {
    use_params_map().with_untracked(|p| p.get(key))
}

/// The instant a page shows: `?at=` or now. A bad value is reported and
/// the page shows now, with status 400.
pub struct AsOf {
    /// The instant.
    pub at: Timestamp,
    /// The raw `?at=` when one was given and valid.
    pub given: Option<String>,
    /// The error when `?at=` could not be read.
    pub error: Option<String>,
}

impl AsOf {
    /// Reads `?at=` of the current URL.
    pub fn from_query() -> Self {
        match query("at") {
            None => Self { at: Utc::now(), given: None, error: None },
            Some(raw) => match parse_at(&raw) {
                Ok(at) if !islands::plausible_day(&format::day(&at)) => {
                    set_status(400);
                    let message = format!(
                        "Could not read the date: choose a day between {} and {}.",
                        &islands::EARLIEST_DAY[..4],
                        &islands::LATEST_DAY[..4]
                    );
                    Self { at: Utc::now(), given: None, error: Some(message) }
                }
                Ok(at) => Self { at, given: Some(raw), error: None },
                Err(e) => {
                    set_status(400);
                    Self { at: Utc::now(), given: None, error: Some(format!("Could not read the date: {}", e.message)) }
                }
            },
        }
    }

    /// The value for a date input: the day of `?at=`, if given.
    pub fn input_value(&self) -> Option<String> {
        self.given.as_ref().map(|_| format::day(&self.at))
    }
}

impl AsOf {
    /// How the banner names the moment: the date as given (`2021-03-01`,
    /// meaning the end of that day), else the instant in UTC.
    pub fn label(&self) -> Option<String> {
        let given = self.given.as_deref()?;
        Some(if given.len() == 10 { given.to_owned() } else { format::when(&self.at) })
    }
}

/// The banner that says which moment a page shows, with a way back to now.
#[component]
pub fn AsOfBanner(as_of: Option<String>, now_href: String) -> impl IntoView {
    as_of.map(|label| {
        view! {
            <p class="as-of" role="status">
                "As of " <strong>{label}</strong> ". "
                <a href=now_href>"Back to now"</a>
            </p>
        }
    })
}
