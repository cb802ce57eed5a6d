//! Which kind of route a request is for, decided in one place from its
//! method and path: the layers (limits, CSRF, fail-fast during outages)
//! ask here whether to answer in the API's JSON shape or as a page, and
//! whether a request is a login step, and the security headers whether its
//! answer is private. Routing itself stays with axum.

use axum::http::Method;

use crate::auth::config::{CALLBACK_PATH, LOGIN_PATH};

/// The kinds of route the layers tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// The versioned JSON API: paths starting with `/api/v1`.
    Api,
    /// Any other path under `/api/` (none is served; e.g. `/api/unknown`):
    /// errors in the JSON shape, and writes fail fast during an outage like
    /// the API's, but a CSRF refusal is a page, as it always was.
    OtherApi,
    /// `/event`: the form/query style of recording, for shell scripts.
    ScriptEvent,
    /// The Atom feeds (`/feed.atom`, `/dists/{dist}/feed.atom`) and the
    /// calendar (`/calendar.ics`).
    Feed,
    /// `/healthz` and `/readyz`.
    Health,
    /// A step of a browser login: `GET /login` or `GET /auth/callback`.
    Login,
    /// Everything else: pages, form posts and server functions (`/ui/...`),
    /// `/logout`, static files.
    Page,
}

/// The class of a request for `path` with `method`.
pub fn classify(method: &Method, path: &str) -> RouteClass {
    match RouteClass::of_path(path) {
        RouteClass::Page if *method == Method::GET && (path == LOGIN_PATH || path == CALLBACK_PATH) => {
            RouteClass::Login
        }
        class => class,
    }
}

/// Whether answers to `path` may show a secret (a new token) or
/// per-person data that no cache should keep: the account pages and the
/// forms' server functions (`/ui/...`).
pub fn shows_private_data(path: &str) -> bool {
    path == "/account" || path.starts_with("/account/") || path.starts_with("/ui/")
}

impl RouteClass {
    /// The class by path alone, for answers that do not depend on the
    /// method (a login step is then a [`RouteClass::Page`]).
    pub fn of_path(path: &str) -> RouteClass {
        if path.starts_with("/api/v1") {
            RouteClass::Api
        } else if path.starts_with("/api/") {
            RouteClass::OtherApi
        } else if path == "/event" {
            RouteClass::ScriptEvent
        } else if matches!(path, "/feed.atom" | "/calendar.ics")
            || (path.starts_with("/dists/") && path.ends_with("/feed.atom"))
        {
            RouteClass::Feed
        } else if matches!(path, "/healthz" | "/readyz") {
            RouteClass::Health
        } else {
            RouteClass::Page
        }
    }

    /// Whether errors answer in the API's JSON shape: everything the
    /// OpenAPI document describes (the API, `/event`, the feeds, the health
    /// checks) and unknown `/api/` paths. Pages, forms, server functions
    /// and the login routes answer with a sentence.
    pub fn answers_json(self) -> bool {
        matches!(self, Self::Api | Self::OtherApi | Self::ScriptEvent | Self::Feed | Self::Health)
    }

    /// Whether the JSON API serves the path (`/api/...` and `/event`):
    /// its writes are the ones that fail fast while the database is down.
    pub fn is_json_api(self) -> bool {
        matches!(self, Self::Api | Self::OtherApi | Self::ScriptEvent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_pages_and_form_answers_are_private() {
        for p in ["/account/tokens", "/ui/create_token", "/account"] {
            assert!(shows_private_data(p), "{p}");
        }
        for p in ["/", "/events", "/accounting", "/api/v1/events"] {
            assert!(!shows_private_data(p), "{p}");
        }
    }
    use RouteClass::*;

    #[test]
    fn every_layer_sees_the_same_classes() {
        // (path, class of a GET, class of a POST, JSON errors, JSON API)
        let table = [
            ("/api/v1/events", Api, Api, true, true),
            ("/api/v1/openapi.json", Api, Api, true, true),
            ("/api/unknown", OtherApi, OtherApi, true, true),
            ("/event", ScriptEvent, ScriptEvent, true, true),
            ("/eventx", Page, Page, false, false),
            ("/feed.atom", Feed, Feed, true, false),
            ("/dists/fedora/feed.atom", Feed, Feed, true, false),
            ("/calendar.ics", Feed, Feed, true, false),
            ("/healthz", Health, Health, true, false),
            ("/readyz", Health, Health, true, false),
            ("/", Page, Page, false, false),
            ("/dists/fedora", Page, Page, false, false),
            ("/ui/record_event", Page, Page, false, false),
            ("/logout", Page, Page, false, false),
            ("/login", Login, Page, false, false),
            ("/auth/callback", Login, Page, false, false),
        ];
        for (path, get, post, json, api) in table {
            assert_eq!(classify(&Method::GET, path), get, "GET {path}");
            assert_eq!(classify(&Method::POST, path), post, "POST {path}");
            assert_eq!(RouteClass::of_path(path).answers_json(), json, "{path}: JSON errors");
            assert_eq!(classify(&Method::GET, path).answers_json(), json, "GET {path}: JSON errors");
            assert_eq!(RouteClass::of_path(path).is_json_api(), api, "{path}: JSON API");
        }
    }
}
