//! Who is writing: API tokens (generated, hashed, checked), browser
//! sessions from an OpenID Connect login, CSRF protection, and the
//! `Editor` extractor that every write handler takes.

pub mod config;
pub mod csrf;
pub mod next;
pub mod oidc;
pub mod routes;
pub mod session;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::store::{Actor, Store, StoreError, TokenRow, UserKey};
use session::CurrentUser;
/// Prefix of every token, so leaked ones are easy to grep for.
const TOKEN_PREFIX: &str = "rt_";

/// How stale `last_used_at` may get before a use updates it; saves a write
/// per request for busy scripts.
const TOUCH_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);

/// A new random token (256 bits) and the hash to store for it.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

/// Whether `text` has the form of a token [`new_token`] makes.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX).is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stored form of a token: SHA-256, hex. Tokens are 256 random bits,
/// so a fast hash is enough; no salt or stretching is needed.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An authenticated writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A script with an API token.
    ApiToken {
        /// Token row id.
        id: i64,
        /// Token name, recorded as `recorded_by`.
        name: String,
    },
    /// A person signed in with a browser session.
    Person {
        /// Who.
        key: UserKey,
        /// Their nickname, recorded as `recorded_by`.
        nickname: String,
    },
}

impl Identity {
    /// Who and through what, as stored with each write.
    pub fn actor(&self) -> Actor {
        match self {
            Identity::ApiToken { name, .. } => Actor { name: name.clone(), source: "api".into() },
            Identity::Person { nickname, .. } => Actor { name: nickname.clone(), source: "web".into() },
        }
    }
}

/// Extractor for write handlers: an identity allowed to edit, or a 401/403
/// `ApiError`. A bearer token wins over a session cookie.
#[derive(Debug, Clone)]
pub struct Editor(pub Identity);

impl<S> FromRequestParts<S> for Editor
where
    Store: FromRef<S>,
    std::sync::Arc<config::AuthSettings>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let settings = std::sync::Arc::<config::AuthSettings>::from_ref(state);
            return token_editor(parts, &Store::from_ref(state), &settings).await.map(Editor);
        }
        session_editor(parts).map(Editor)
    }
}

/// The signed-in editor of a request that came through the session
/// middleware.
pub fn session_editor(parts: &Parts) -> Result<Identity, ApiError> {
    match parts.extensions.get::<CurrentUser>().and_then(|u| u.0.as_ref()) {
        Some(user) if user.editor => Ok(Identity::Person { key: user.key.clone(), nickname: user.nickname.clone() }),
        Some(user) => Err(ApiError::Forbidden(format!(
            "you are signed in as {}, who is not in an editor group; ask to be added to one and sign in again",
            user.nickname
        ))),
        None => Err(ApiError::Unauthenticated(
            "writes need an API token (`Authorization: Bearer <token>`) or a signed-in editor".into(),
        )),
    }
}

/// The API token row a request's bearer names, as looked up the first
/// time someone asked: the rate limiter, the CSRF check and the [`Editor`]
/// extractor all need it, and one write should cost one query for it, not
/// three. `None`: no bearer, not in the form of a token, or unknown.
#[derive(Debug, Clone)]
struct LookedUp(Option<TokenRow>);

/// The token row named by the request's `Authorization: Bearer` header,
/// revoked or not, looked up once per request (kept in its extensions). A
/// database error is not kept, so a later caller asks again.
pub async fn request_token(parts: &mut Parts, store: &Store) -> Result<Option<TokenRow>, StoreError> {
    if let Some(LookedUp(row)) = parts.extensions.get::<LookedUp>() {
        return Ok(row.clone());
    }
    let row = match bearer(&parts.headers) {
        Some(token) if looks_like_token(token) => store.token_by_hash(&hash_token(token)).await?,
        _ => None,
    };
    parts.extensions.insert(LookedUp(row.clone()));
    Ok(row)
}

/// Whether the token may be used now: not revoked, not expired.
fn usable(row: &TokenRow, now: app::model::Timestamp) -> bool {
    row.revoked_at.is_none() && row.expires_at.is_none_or(|t| t > now)
}

/// Whether the request carries `Authorization: Bearer` with a token that
/// is known, not revoked and not expired (whoever owns it). A database
/// that cannot answer counts as "no".
pub async fn bearer_is_valid(parts: &mut Parts, store: &Store) -> bool {
    token_identity(parts, store).await.is_some()
}

/// Who writes with the request's API token, for the per-identity write
/// limit: the person who owns a personal token (all their tokens share one
/// budget), or the service token by name. `None` without a valid token
/// (or when the database cannot say; the stricter per-address limit then
/// applies).
pub async fn token_identity(parts: &mut Parts, store: &Store) -> Option<String> {
    match request_token(parts, store).await {
        Ok(Some(row)) if usable(&row, Utc::now()) => Some(match (&row.owner_issuer, &row.owner_subject) {
            (Some(issuer), Some(subject)) => format!("person {subject} at {issuer}"),
            _ => format!("token {}", row.name),
        }),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot check an API token");
            None
        }
    }
}

/// The token of `Authorization: Bearer <token>`.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

async fn token_editor(parts: &mut Parts, store: &Store, settings: &config::AuthSettings) -> Result<Identity, ApiError> {
    if bearer(&parts.headers).is_none() {
        return Err(ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into()));
    }
    let row =
        request_token(parts, store).await?.ok_or_else(|| ApiError::Unauthenticated("unknown API token".into()))?;
    let now = Utc::now();
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated("this API token was revoked".into()));
    }
    if row.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::Unauthenticated("this API token has expired".into()));
    }
    if let (Some(issuer), Some(subject)) = (row.owner_issuer, row.owner_subject) {
        let owner = UserKey { issuer, subject };
        let standing = store.user_standing(&owner).await?;
        owner_may_write(&row.name, standing.as_ref(), settings.editor_confirmation, now)?;
    }
    if row.last_used_at.is_none_or(|t| now - t > TOUCH_INTERVAL) {
        if let Err(e) = store.touch_token(row.id, now).await {
            tracing::warn!(error = %e, token = %row.name, "could not record token use");
        }
    }
    Ok(Identity::ApiToken { id: row.id, name: row.name })
}

/// Whether a personal token may write, from its owner's standing: an
/// editor at their last sign-in, not disabled, and that sign-in recent
/// enough (`confirmation`) that it still says something about their groups.
fn owner_may_write(
    token: &str,
    standing: Option<&crate::store::UserStanding>,
    confirmation: std::time::Duration,
    now: app::model::Timestamp,
) -> Result<(), ApiError> {
    let Some(standing) = standing else {
        return Err(ApiError::Forbidden(format!("the owner of token `{token}` is unknown")));
    };
    if standing.disabled_at.is_some() {
        return Err(ApiError::Forbidden(format!("the owner of token `{token}` was disabled by an operator")));
    }
    if !standing.is_editor {
        return Err(ApiError::Forbidden(format!(
            "the owner of token `{token}` was not in an editor group at their last sign-in"
        )));
    }
    let window = chrono::Duration::from_std(confirmation).unwrap_or(chrono::Duration::MAX);
    if now - standing.last_login_at > window {
        return Err(ApiError::Forbidden(format!(
            "the owner of token `{token}` last confirmed their editor status by signing in on {}, longer ago \
             than this server allows ({}); sign in again to keep using it",
            standing.last_login_at.format("%Y-%m-%d"),
            humantime::format_duration(confirmation)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStanding;

    #[test]
    fn personal_tokens_need_a_recent_enabled_editor() {
        let now = Utc::now();
        let month = std::time::Duration::from_secs(30 * 24 * 3600);
        let standing = |is_editor, days_ago: i64, disabled: bool| UserStanding {
            is_editor,
            last_login_at: now - chrono::Duration::days(days_ago),
            disabled_at: disabled.then_some(now),
        };
        assert!(owner_may_write("t", Some(&standing(true, 29, false)), month, now).is_ok());
        for (why, s) in [
            ("not an editor", Some(standing(false, 1, false))),
            ("disabled", Some(standing(true, 1, true))),
            ("stale", Some(standing(true, 31, false))),
            ("unknown", None),
        ] {
            let e = owner_may_write("t", s.as_ref(), month, now).unwrap_err();
            assert!(matches!(e, ApiError::Forbidden(_)), "{why}: {e:?}");
        }
        let e = owner_may_write("t", Some(&standing(true, 31, false)), month, now).unwrap_err();
        assert!(e.to_string().contains("sign in again"), "{e}");
    }

    #[test]
    fn tokens_are_random_and_only_hashes_are_kept() {
        let (a, ha) = new_token();
        let (b, hb) = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with("rt_") && a.len() == 67);
        assert_eq!(hash_token(&a), ha);
        assert_ne!(ha, hb);
        assert!(!ha.contains(&a[3..]));
    }
}
