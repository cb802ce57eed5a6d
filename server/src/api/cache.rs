//! Conditional GET for JSON reads: an `ETag` over the exact bytes sent,
//! `Cache-Control`, `304 Not Modified` on a match — and `ViewCache`, which
//! keeps the encoded answers for "now" until the log changes.

use std::collections::HashMap;
use std::sync::RwLock;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use app::model::Timestamp;

use super::error::ApiError;

/// Whether an `If-None-Match` header matches `etag` (weak comparison, as
/// RFC 9110 asks for GET). The feeds use it too.
pub(crate) fn matches(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == ours)
}

/// The entity tag of `body`: weak, because compression may change the
/// bytes on the wire, and 128 bits of its SHA-256. The feeds use it too.
pub(crate) fn etag_of(body: &[u8]) -> String {
    format!("W/\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// A body ready to send (JSON unless made with [`Encoded::typed`]), with
/// its tag.
#[derive(Debug, Clone)]
pub struct Encoded {
    body: Bytes,
    etag: HeaderValue,
    content_type: &'static str,
}

impl Encoded {
    /// Serialises `value` and tags the bytes.
    pub fn of<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(Box::new(e)))?;
        Self::typed(body, "application/json")
    }

    /// Tags `body`, sent as `content_type`.
    pub fn typed(body: Vec<u8>, content_type: &'static str) -> Result<Self, ApiError> {
        let etag = HeaderValue::from_str(&etag_of(&body)).map_err(|e| ApiError::Internal(Box::new(e)))?;
        Ok(Self { body: Bytes::from(body), etag, content_type })
    }

    /// Answers the body, or `304` when the client already has these bytes.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let cache = HeaderValue::from_static("public, no-cache");
        if matches(request, self.etag.to_str().unwrap_or_default()) {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, self.etag.clone()), (header::CACHE_CONTROL, cache)])
                .into_response();
        }
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
                (header::ETAG, self.etag.clone()),
                (header::CACHE_CONTROL, cache),
            ],
            self.body.clone(),
        )
            .into_response()
    }
}

/// Serialises `value` and answers it with an `ETag`, or `304` when the
/// client already has these bytes.
pub fn json_response<T: Serialize>(request: &HeaderMap, value: &T) -> Result<Response, ApiError> {
    Ok(Encoded::of(value)?.respond(request))
}

/// Encoded answers for "now", each valid for one version of the log and,
/// for answers that also depend on the clock (plan statuses), up to an
/// instant. Keys name a view of a dist that exists, so the cache is
/// bounded by the log.
#[derive(Debug, Default)]
pub struct ViewCache {
    entries: RwLock<HashMap<String, CacheEntry>>,
}

#[derive(Debug)]
struct CacheEntry {
    version: u64,
    until: Option<Timestamp>,
    encoded: Encoded,
}

impl ViewCache {
    /// The cached answer for `key` if it was made at `version` and is still
    /// true at `now`.
    pub fn get(&self, key: &str, version: u64, now: Timestamp) -> Option<Encoded> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries
            .get(key)
            .filter(|e| e.version == version && e.until.is_none_or(|until| now <= until))
            .map(|e| e.encoded.clone())
    }

    /// Remembers the answer for `key` at `version`, true until `until`
    /// (inclusive; `None`: as long as the version).
    pub fn put(&self, key: String, version: u64, until: Option<Timestamp>, encoded: Encoded) {
        let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.insert(key, CacheEntry { version, until, encoded });
    }
}
