//! The HTML shell and the routes of the web UI. For now one placeholder
//! page that renders on the server and hydrates in the browser.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    StaticSegment,
};

/// The document around the app: what the server sends before hydration.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/releasetracker.css"/>
        <Title text="releasetracker"/>
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"releasetracker"</a>
            </header>
            <main>
                <Routes fallback=|| view! { <p>"Page not found."</p> }>
                    <Route path=StaticSegment("") view=HomePage/>
                </Routes>
            </main>
            <footer class="site-footer">
                <a href="/api/v1/dists">"JSON: dists"</a>
            </footer>
        </Router>
    }
}

/// Placeholder home page. The button only counts once the wasm has
/// hydrated the page, which is what the end-to-end test checks.
#[component]
fn HomePage() -> impl IntoView {
    let (count, set_count) = signal(0u32);
    view! {
        <h1>"releasetracker"</h1>
        <p>
            "The source of truth for Linux distribution release cycles. "
            "Scripts read the JSON views under " <code>"/api/v1/views/{dist}/"</code> "."
        </p>
        <button id="hydration-check" on:click=move |_| set_count.update(|n| *n += 1)>
            "Clicked " {count} " times"
        </button>
    }
}
