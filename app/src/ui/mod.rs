//! The frame of every page: the HTML shell, the routes, header and footer,
//! the "not found" page, and small helpers the pages share (query
//! parameters, `?at=`, HTTP status).

pub mod api_docs;
pub mod format;
pub mod islands;

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::model::{parse_at, Timestamp};
use crate::{account, calendar, edit, events, matrix, release, status};

/// The document around the app: what the server sends. Islands mode: only
/// the interactive islands load wasm; everything else is plain HTML.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                // Feed readers find the feed from any page.
                <link rel="alternate" type="application/atom+xml" title="releasetracker: all events" href="/feed.atom"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The text of `<title>` as the server must write it. leptos_meta 0.8
/// writes the title into the page without escaping it, so a release named
/// `</title><script>...` would have become markup; `<title>` is RCDATA,
/// so the browser decodes the entities back and the tab shows the name as
/// recorded. In the browser (`document.title`) the text stays as it is.
fn escaped_title(text: String) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
    } else {
        text
    }
}

/// The application: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/releasetracker.css"/>
        // Applies to the `<Title text=.../>` of every page.
        <Title formatter=escaped_title/>
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="site-header">
                <nav aria-label="Main">
                    <a class="brand" href="/">"releasetracker"</a>
                    <a href="/">"State matrix"</a>
                    <a href="/calendar">"Calendar"</a>
                    <a href="/events">"Event log"</a>
                </nav>
                <account::AccountNav/>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=matrix::MatrixPage/>
                    <Route path=(StaticSegment("dists"), ParamSegment("dist")) view=matrix::MatrixPage/>
                    <Route
                        path=(StaticSegment("dists"), ParamSegment("dist"), StaticSegment("releases"), ParamSegment("release"))
                        view=release::ReleasePage
                    />
                    <Route path=StaticSegment("calendar") view=calendar::CalendarPage/>
                    <Route path=StaticSegment("api") view=api_docs::ApiDocsPage/>
                    <Route path=StaticSegment("status") view=status::StatusPage/>
                    <Route path=StaticSegment("events") view=events::EventLogPage/>
                    <Route path=(StaticSegment("events"), StaticSegment("new")) view=edit::NewEventPage/>
                    <Route path=(StaticSegment("account"), StaticSegment("tokens")) view=account::tokens::TokensPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("events"), ParamSegment("id")) view=events::EventPage/>
                </Routes>
            </main>
            <footer class="site-footer">
                <span>"JSON: "</span>
                <a href="/api/v1/dists">"dists"</a>
                <a href="/api/v1/events">"event log"</a>
                <a href="/api/v1/views/fedora/states-by-release">"states by release"</a>
                <a href="/api/v1/views/fedora/releases-by-state">"releases by state"</a>
                <a href="/api">"API docs"</a>
                <a href="/feed.atom" type="application/atom+xml">"Feed"</a>
                <a href="/calendar.ics" type="text/calendar">"iCalendar"</a>
                <a href="/status">"Status"</a>
            </footer>
        </Router>
    }
}

/// The page for unknown paths and unknown dists, releases or events.
#[component]
pub fn NotFound(#[prop(optional, into)] what: Option<String>) -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found · releasetracker"/>
        <h1>"Not found"</h1>
        <p>{what.unwrap_or_else(|| "There is no page at this address.".to_owned())}</p>
        <p><a href="/">"Back to the state matrix"</a></p>
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

/// A query parameter of the current URL; empty counts as absent.
pub fn query(key: &str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(key)).filter(|v| !v.is_empty())
}

/// A path parameter of the current route.
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
