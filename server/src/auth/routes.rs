//! The login routes: `GET /login` (off to the provider), `GET
//! /auth/callback` (back from it: session id rotated, person stored) and
//! `/logout` (a page with the button; its POST destroys the session),
//! plus the small HTML page they answer with when something goes wrong.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

use super::config::{CALLBACK_PATH, LOGIN_PATH};
use super::next::safe_next;
use super::oidc::PendingLogin;
use super::session::{new_csrf_token, CurrentUser, SessionUser, PENDING_LOGIN, USER};
use crate::state::AppState;
use crate::store::{UserKey, UserLogin};

/// A login not finished within this many seconds must start again.
const LOGIN_TIMEOUT_SECS: i64 = 600;

/// How long the session of a login in progress lives.
fn login_window() -> time::Duration {
    time::Duration::seconds(LOGIN_TIMEOUT_SECS)
}

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(LOGIN_PATH, get(login))
        .route(CALLBACK_PATH, get(callback))
        .route("/logout", get(logout_page).post(logout))
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    Extension(user): Extension<CurrentUser>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let Some(provider) = state.login.as_ref() else {
        return message_page(
            StatusCode::NOT_FOUND,
            "No login here",
            "This server has no identity provider configured; changes are made with API tokens.",
        );
    };
    match provider.start(safe_next(q.next.as_deref(), &state.auth.public_url)).await {
        Ok((url, pending)) => {
            // A stranger's session exists only to finish this login: it
            // lives as long as the login may take, not the eight hours of
            // a signed-in one (the callback gives it those).
            if user.0.is_none() {
                session.set_expiry(Some(Expiry::OnInactivity(login_window())));
            }
            if let Err(e) = session.insert(PENDING_LOGIN, pending).await {
                tracing::error!(error = %e, "cannot store the login in the session");
                return unavailable();
            }
            Redirect::to(&url).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, issuer = provider.issuer(), "cannot start a login");
            unavailable()
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(State(state): State<AppState>, session: Session, Query(q): Query<CallbackQuery>) -> Response {
    let Some(provider) = state.login.as_ref() else {
        return message_page(
            StatusCode::NOT_FOUND,
            "No login here",
            "This server has no identity provider configured.",
        );
    };
    // Used once: whatever happens next, this login cannot be replayed.
    let pending: Option<PendingLogin> = match session.remove(PENDING_LOGIN).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the session at the login callback");
            return unavailable();
        }
    };
    let again = "Start again from the Sign in link.";
    let Some(pending) = pending.filter(|p| Utc::now().timestamp() - p.started <= LOGIN_TIMEOUT_SECS) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Login expired",
            &format!("This login has expired or was already used. {again}"),
        );
    };
    if let Some(error) = q.error {
        tracing::info!(error, "the provider refused the login");
        return message_page(
            StatusCode::FORBIDDEN,
            "Login refused",
            &format!("The identity provider did not log you in. {again}"),
        );
    }
    let (Some(code), Some(returned_state)) = (q.code, q.state) else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Login failed",
            &format!("The provider's answer was incomplete. {again}"),
        );
    };
    if returned_state != pending.state {
        tracing::warn!("login callback with a state that does not match the session");
        return message_page(
            StatusCode::BAD_REQUEST,
            "Login failed",
            &format!("This answer does not belong to your login. {again}"),
        );
    }
    let person = match provider.finish(&pending, code).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "login failed");
            return message_page(
                StatusCode::BAD_GATEWAY,
                "Login failed",
                &format!("The login could not be completed. {again}"),
            );
        }
    };
    let editor = person.groups.iter().any(|g| state.auth.editor_groups.contains(g));
    let now = Utc::now();
    let key = UserKey { issuer: person.issuer, subject: person.subject };
    let login = UserLogin {
        key: key.clone(),
        nickname: person.nickname.clone(),
        groups: person.groups.clone(),
        is_editor: editor,
        at: now,
    };
    if let Err(e) = state.store.record_login(&login).await {
        tracing::error!(error = %e, "cannot record the login");
        return unavailable();
    }
    match state.store.user_standing(&key).await {
        Ok(Some(standing)) if standing.disabled_at.is_some() => {
            tracing::warn!(user = %person.nickname, "a disabled person tried to sign in");
            return message_page(
                StatusCode::FORBIDDEN,
                "Account disabled",
                "The operators of this server disabled this account. Ask them if you think this is a mistake.",
            );
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "cannot read the person's standing");
            return unavailable();
        }
    }
    // A new session id at login: an id planted before it is worthless.
    if let Err(e) = session.cycle_id().await {
        tracing::error!(error = %e, "cannot rotate the session id");
        return unavailable();
    }
    let user = SessionUser {
        key,
        nickname: person.nickname,
        groups: person.groups,
        editor,
        login_at: now.timestamp(),
        seen_at: now.timestamp(),
        csrf: new_csrf_token(),
    };
    session.set_expiry(Some(Expiry::OnInactivity(super::session::idle_expiry(&state.auth))));
    tracing::info!(user = %user.nickname, editor, "signed in");
    if let Err(e) = session.insert(USER, &user).await {
        tracing::error!(error = %e, "cannot store the signed-in person");
        return unavailable();
    }
    // Checked again: the session row could predate the stricter check.
    Redirect::to(&safe_next(Some(&pending.next), &state.auth.public_url)).into_response()
}

/// `GET /logout`: a page with the sign-out button, for people who type
/// the address (signing out itself is a POST, never a GET).
async fn logout_page(Extension(user): Extension<CurrentUser>) -> Response {
    match user.0 {
        Some(user) => page(
            StatusCode::OK,
            "Sign out",
            &format!(
                "<p>Signed in as {}.</p><form method=\"post\" action=\"/logout\">\
                 <input type=\"hidden\" name=\"csrf_token\" value=\"{}\"><button type=\"submit\">Sign out</button></form>",
                escape(&user.nickname),
                escape(&user.csrf)
            ),
        ),
        None => message_page(StatusCode::OK, "Sign out", "You are not signed in."),
    }
}

async fn logout(session: Session) -> Response {
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "cannot end the session");
        return unavailable();
    }
    Redirect::to("/").into_response()
}

fn unavailable() -> Response {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again later",
        "Login is not possible right now. Try again in a minute.",
    )
}

/// A small standalone HTML page (text escaped) for login errors and
/// refused requests.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(status, title, &format!("<p>{}</p>", escape(message)))
}

/// The page around `html` (already escaped).
fn page(status: StatusCode, title: &str, html: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} · releasetracker</title>\
         <link rel=\"stylesheet\" href=\"/pkg/releasetracker.css\"></head><body><main id=\"main\">\
         <h1>{t}</h1>{html}<p><a href=\"/\">Back to the state matrix</a></p></main></body></html>",
        t = escape(title),
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_pages_escape_their_text() {
        let page = message_page(StatusCode::BAD_REQUEST, "<b>", "a & <script>");
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert_eq!(escape("a & <script>\""), "a &amp; &lt;script&gt;&quot;");
    }
}
