//! Who is writing: API tokens (generated, hashed, checked) and the
//! `Editor` extractor that every write handler takes. Browser sessions will
//! become a second `Identity` variant beside the token.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts};
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::store::{Actor, Store};

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
}

impl Identity {
    /// Who and through what, as stored with each write.
    pub fn actor(&self) -> Actor {
        match self {
            Identity::ApiToken { name, .. } => Actor { name: name.clone(), source: "api".into() },
        }
    }
}

/// Extractor for write handlers: an identity allowed to edit, or a 401/403
/// `ApiError`.
#[derive(Debug, Clone)]
pub struct Editor(pub Identity);

impl<S> FromRequestParts<S> for Editor
where
    Store: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthenticated(
                "writes need an API token: send `Authorization: Bearer <token>`".into(),
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into()))?;
        let store = Store::from_ref(state);
        let row = store
            .token_by_hash(&hash_token(token))
            .await?
            .ok_or_else(|| ApiError::Unauthenticated("unknown API token".into()))?;
        let now = Utc::now();
        if row.revoked_at.is_some() {
            return Err(ApiError::Unauthenticated("this API token was revoked".into()));
        }
        if row.expires_at.is_some_and(|t| t <= now) {
            return Err(ApiError::Unauthenticated("this API token has expired".into()));
        }
        if row.last_used_at.is_none_or(|t| now - t > TOUCH_INTERVAL) {
            if let Err(e) = store.touch_token(row.id, now).await {
                tracing::warn!(error = %e, token = %row.name, "could not record token use");
            }
        }
        Ok(Editor(Identity::ApiToken { id: row.id, name: row.name }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
