//! Browser sessions: what a session holds (the person, their CSRF token,
//! a login in progress, a flash), the tower-sessions layer over the
//! database, and the middleware that reads the person for every request
//! and enforces the idle and absolute lifetimes.

use std::sync::Arc;

use app::account::{Flash, SignedIn, Viewer};
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use super::config::AuthSettings;
use crate::store::{SessionBackend, Store, UserKey};

/// The session cookie's name on a site served over http.
pub const COOKIE_NAME: &str = "releasetracker_session";
/// Its name over https: with the `__Host-` prefix, browsers accept it only
/// when `Secure`, for path `/` and without a domain, so a sibling host
/// cannot plant or shadow it.
pub const SECURE_COOKIE_NAME: &str = "__Host-releasetracker_session";

/// The session cookie's name for a site served over https or not.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// Session keys.
pub(crate) const USER: &str = "user";
pub(crate) const PENDING_LOGIN: &str = "oidc_login";
pub(crate) const FLASH: &str = "flash";

/// How stale `seen_at` may get before a request refreshes it (and with it
/// the idle expiry); saves a database write per request.
const SEEN_INTERVAL: i64 = 60;

/// The signed-in person, as the session stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    /// Who, at which provider.
    pub key: UserKey,
    /// Shown and recorded as `recorded_by`.
    pub nickname: String,
    /// Groups at login.
    pub groups: Vec<String>,
    /// In an editor group at login.
    pub editor: bool,
    /// Unix seconds of the login (absolute lifetime).
    pub login_at: i64,
    /// Unix seconds of the last refresh (idle timeout).
    pub seen_at: i64,
    /// The synchronizer token forms must carry.
    pub csrf: String,
}

/// The person of this request, put into request extensions by
/// [`load_viewer`] for the `Editor` extractor and the CSRF check.
#[derive(Debug, Clone, Default)]
pub struct CurrentUser(pub Option<SessionUser>);

/// A new random CSRF token (256 bits, hex).
pub fn new_csrf_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// How long a signed-in session lives without a request.
pub fn idle_expiry(settings: &AuthSettings) -> time::Duration {
    time::Duration::try_from(settings.idle_timeout).unwrap_or(time::Duration::hours(8))
}

/// The session layer: server-side sessions in the database, cookie
/// `HttpOnly`, `SameSite=Lax` (Strict would drop the cookie on the return
/// from the provider), `Secure` when served over https, idle expiry.
pub fn layer(store: SessionBackend, settings: &AuthSettings) -> SessionManagerLayer<SessionBackend> {
    let idle = idle_expiry(settings);
    SessionManagerLayer::new(store)
        .with_name(cookie_name(settings.https()))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

/// The cookie that carries a new API token's secret from a plain (no
/// JavaScript) form post to the tokens page it redirects to, so the secret
/// is never written to the session store. Sent only to that page, for five
/// minutes at most, and cleared by the page that shows it.
pub const REVEAL_COOKIE: &str = "releasetracker_new_token";
const REVEAL_SECONDS: u32 = 300;

/// `Set-Cookie` for [`REVEAL_COOKIE`] holding `secret`, sent only to
/// `path` (the tokens page, or a webhook subscription's page).
pub fn reveal_cookie(secret: &str, path: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{REVEAL_COOKIE}={secret}; Path={path}; Max-Age={REVEAL_SECONDS}; HttpOnly; SameSite=Strict{secure}")
}

/// `Set-Cookie` that clears [`REVEAL_COOKIE`] of the page `path`.
fn cleared_reveal_cookie(path: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{REVEAL_COOKIE}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Strict{secure}")
}

/// Whether a value in [`REVEAL_COOKIE`] is a secret worth showing: an API
/// token or a webhook secret, never anything else a page could be made to
/// print.
fn looks_like_secret(value: &str) -> bool {
    super::looks_like_token(value) || crate::webhooks::SigningSecret::parse(value).is_ok()
}

/// The value of the request's [`REVEAL_COOKIE`], if it has one.
fn reveal_cookie_value(request: &Request) -> Option<String> {
    request.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|s| {
        s.split(';').find_map(|c| Some(c.trim_start().strip_prefix(REVEAL_COOKIE)?.strip_prefix('=')?.to_owned()))
    })
}

/// Whether the request carries our session cookie (only then can it act
/// with a person's authority, and only then does CSRF matter).
pub fn has_session_cookie(request: &Request) -> bool {
    request.headers().get_all(header::COOKIE).iter().any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(';').any(|c| {
                let c = c.trim_start();
                [COOKIE_NAME, SECURE_COOKIE_NAME]
                    .iter()
                    .any(|name| c.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')))
            })
        })
    })
}

/// Reads the person from the session (ending it if it outlived its
/// absolute lifetime), refreshes the idle timer, takes the flash for the
/// page about to be rendered, and puts [`CurrentUser`], [`Viewer`] and
/// [`Flash`] into the request.
pub async fn load_viewer(
    State((auth, store)): State<(Arc<AuthSettings>, Store)>,
    mut request: Request,
    next: Next,
) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let mut user = None;
    let mut flash = Flash::default();
    if let (Some(session), true) = (session, has_session_cookie(&request)) {
        user = match session.get::<SessionUser>(USER).await {
            Ok(user) => user,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the session; treating the visitor as signed out");
                None
            }
        };
        let now = Utc::now().timestamp();
        if let Some(u) = user.as_ref() {
            // Disabled by an operator: the session ends now, not when it
            // expires. (If the database cannot say, the session goes on:
            // its writes fail anyway while the database is away.)
            match store.user_standing(&u.key).await {
                Ok(Some(standing)) if standing.disabled_at.is_some() => {
                    tracing::info!(user = %u.nickname, "session of a disabled person ended");
                    if let Err(e) = session.flush().await {
                        tracing::warn!(error = %e, "cannot end a disabled person's session");
                    }
                    user = None;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot check whether the signed-in person is disabled"),
            }
        }
        if let Some(u) = user.as_mut() {
            if now - u.login_at > auth.lifetime.as_secs() as i64 {
                tracing::info!(user = %u.nickname, "session reached its absolute lifetime");
                if let Err(e) = session.flush().await {
                    tracing::warn!(error = %e, "cannot end an expired session");
                }
                user = None;
            } else if now - u.seen_at > SEEN_INTERVAL {
                u.seen_at = now;
                if let Err(e) = session.insert(USER, &*u).await {
                    tracing::warn!(error = %e, "cannot refresh the session");
                }
            }
        }
        let page_view = request.method() == Method::GET
            && request
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
        if page_view {
            match session.remove::<Flash>(FLASH).await {
                Ok(Some(f)) => flash = f,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the flash"),
            }
        }
    }
    // A new token's secret: shown once, on a page, to a signed-in person,
    // if it has the form of one of our tokens (a planted or stale cookie
    // shows nothing); cleared by the first GET that carries it.
    let reveal = if request.method() == Method::GET { reveal_cookie_value(&request) } else { None };
    // The cookie was sent only to the page it was set for: clear it there.
    let path = request.uri().path().to_owned();
    if user.is_some() {
        flash.secret = reveal.clone().filter(|s| looks_like_secret(s));
    }
    let viewer = Viewer {
        user: user.as_ref().map(|u| SignedIn { nickname: u.nickname.clone(), editor: u.editor, csrf: u.csrf.clone() }),
        login_enabled: auth.oidc.is_some(),
        editor_groups: auth.editor_groups.clone(),
    };
    request.extensions_mut().insert(CurrentUser(user));
    request.extensions_mut().insert(viewer);
    request.extensions_mut().insert(flash);
    let mut response = next.run(request).await;
    if reveal.is_some() {
        if let Ok(clear) = header::HeaderValue::from_str(&cleared_reveal_cookie(&path, auth.https())) {
            response.headers_mut().append(header::SET_COOKIE, clear);
        }
    }
    response
}
