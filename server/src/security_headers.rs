//! The security headers of every answer: `nosniff` and a referrer policy
//! everywhere, a Content-Security-Policy on every HTML page (scripts only
//! from the site or with the page's nonce, no framing), HSTS when the site
//! is served over https, and `no-store` where pages carry secrets.

use axum::extract::{Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// What the middleware needs to know about the deployment.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders {
    /// The public URL is https: browsers are told to stay on https.
    pub https: bool,
}

/// One year, the usual HSTS lifetime. No `includeSubDomains`: the tracker
/// must not decide for its parent domain's other hosts.
const HSTS: &str = "max-age=31536000";

/// The policy of a page. Leptos writes the hydration script inline and
/// marks it with the request's nonce; the islands' wasm needs
/// `wasm-unsafe-eval` to be compiled. Without a nonce (pages not rendered
/// by Leptos, such as the login's message pages) no inline script runs.
pub fn page_policy(nonce: Option<&str>) -> String {
    let scripts = match nonce {
        Some(n) => format!("'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "'self' 'wasm-unsafe-eval'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Adds the headers to every answer, whoever made it (API, page, feed,
/// static file, or a limit's refusal).
pub async fn add(State(config): State<SecurityHeaders>, request: Request, next: Next) -> Response {
    let private = crate::route_class::shows_private_data(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if config.https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    // Pages rendered by Leptos set their policy (with their nonce) already.
    if is_html(headers) && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(policy) = HeaderValue::from_str(&page_policy(None)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"))
}

/// Called while Leptos renders a page: sets the page's policy with the
/// nonce Leptos gave this response's inline scripts.
pub fn for_leptos_page() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&page_policy(Some(&nonce))) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_forbids_framing_and_foreign_scripts() {
        let p = page_policy(Some("abc"));
        assert!(p.contains("frame-ancestors 'none'"), "{p}");
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"), "{p}");
        assert!(!p.contains("unsafe-inline"), "{p}");
        assert!(!page_policy(None).contains("nonce"));
    }
}
