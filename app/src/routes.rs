//! The document and the route table: `shell` (what the server sends
//! around every page) and `App` (header, the routes to each page, footer).
//! The only module that knows every page; pages never import it.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::links::{self, ApiView};
use crate::model::{Dist, LogFilter};
use crate::ui::{api_docs, NotFound};
use crate::{account, audit, calendar, edit, events, matrix, release, status};

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
                <link rel="alternate" type="application/atom+xml" title="releasetracker: all events" href=links::feed(&LogFilter::default(), None)/>
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

/// The footer's JSON links: the views of the dist the page is about
/// (Fedora's elsewhere, the dist most readers come for), as of the page's
/// `?at=` while it shows a past moment.
#[component]
fn FooterViews() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    let dist = path
        .strip_prefix("/dists/")
        .and_then(|rest| rest.split('/').next())
        .and_then(percent_decode)
        .and_then(|d| Dist::parse(&d).ok())
        .or_else(|| Dist::parse("fedora").ok());
    let at = crate::ui::query("at");
    dist.map(|dist| {
        let view = |v: ApiView| links::with_at(links::api_view(&dist, v), at.as_deref());
        view! {
            <a href=view(ApiView::StatesByRelease)>{format!("{dist} states by release")}</a>
            <a href=view(ApiView::ReleasesByState)>{format!("{dist} releases by state")}</a>
        }
    })
}

fn percent_decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment).decode_utf8().ok().map(|s| s.into_owned())
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
                    <a class="brand" href=links::home()>"releasetracker"</a>
                    <a href=links::home()>"State matrix"</a>
                    <a href=links::calendar_now()>"Calendar"</a>
                    <a href=links::lifecycle_now()>"Lifecycles"</a>
                    <a href=links::events()>"Event log"</a>
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
                    <Route path=StaticSegment("audit") view=audit::AuditPage/>
                    <Route path=StaticSegment("events") view=events::EventLogPage/>
                    <Route path=(StaticSegment("events"), StaticSegment("new")) view=edit::NewEventPage/>
                    <Route path=(StaticSegment("account"), StaticSegment("tokens")) view=account::tokens::TokensPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("events"), ParamSegment("id")) view=events::EventPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("webhooks") view=crate::webhooks::WebhooksPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("webhooks"), ParamSegment("id")) view=crate::webhooks::WebhookPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <footer class="site-footer">
                <span>"JSON: "</span>
                <a href=links::api_dists()>"dists"</a>
                <a href=links::api_events()>"event log"</a>
                <FooterViews/>
                <a href=links::api_docs()>"API docs"</a>
                <a href=links::feed(&LogFilter::default(), None) type="application/atom+xml">"Feed"</a>
                <a href=links::calendar_ics(None) type="text/calendar">"iCalendar"</a>
                <a href=links::status()>"Status"</a>
            </footer>
        </Router>
    }
}
