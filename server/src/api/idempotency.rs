//! The `Idempotency-Key` request header of event writes: a caller that
//! sends one can repeat the request safely (after a timeout, a lost
//! connection or a `503`) and gets the event the first request stored
//! instead of a second one. Reading and checking the header and the
//! digest of a request live here; the keys are kept by the store.

use app::model::NewEvent;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::store::WriteKey;

/// The request header.
pub const HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// Set (to `true`) on an answer that repeats what an earlier request with the
/// same key stored.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Longest key accepted.
pub const MAX_LEN: usize = 255;

/// The caller's key, if it sent one: 1 to [`MAX_LEN`] visible ASCII
/// characters, taken literally (a structured-field string as the IETF
/// draft writes it, `"..."`, is a key with its quotes, which a client sends
/// the same way every time). Anything else, or the header twice, is a 422
/// naming the header.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(HEADER).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(invalid("given more than once"));
    }
    let text = value.to_str().map_err(|_| invalid("must be visible ASCII characters"))?.trim();
    if text.is_empty() || text.len() > MAX_LEN {
        return Err(invalid(&format!("must be 1 to {MAX_LEN} characters")));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid("must be visible ASCII characters (no spaces or control characters)"));
    }
    Ok(Some(text.to_owned()))
}

fn invalid(rule: &str) -> ApiError {
    ApiError::invalid("Idempotency-Key", format!("Idempotency-Key: {rule}"))
}

/// The key with a digest of what `event` asks for. `at_given`: whether the
/// request named its time — one that did not (meaning "now") matches its
/// own repetition whenever that comes.
pub fn write_key(key: String, event: &NewEvent, at_given: bool) -> WriteKey {
    let request = serde_json::json!([
        event.dist.as_str(),
        event.release.as_str(),
        event.state.as_str(),
        event.reached,
        at_given.then(|| event.at.to_rfc3339()),
        event.note,
        event.link,
    ]);
    WriteKey { key, fingerprint: hex::encode(Sha256::digest(request.to_string().as_bytes())) }
}

/// The header that marks a replayed answer.
pub fn replayed_header() -> (HeaderName, HeaderValue) {
    (REPLAYED, HeaderValue::from_static("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(HEADER, HeaderValue::from_bytes(v).expect("header value"));
        }
        h
    }

    #[test]
    fn keys_are_taken_literally() {
        assert_eq!(key(&headers(&[])).unwrap(), None);
        assert_eq!(key(&headers(&[b"abc-123"])).unwrap().as_deref(), Some("abc-123"));
        assert_eq!(key(&headers(&[b"\"abc-123\""])).unwrap().as_deref(), Some("\"abc-123\""));
        let longest = "k".repeat(MAX_LEN);
        assert_eq!(key(&headers(&[longest.as_bytes()])).unwrap(), Some(longest));
    }

    #[test]
    fn bad_keys_are_refused_naming_the_header() {
        let too_long = "k".repeat(MAX_LEN + 1);
        for bad in [&b""[..], b"   ", b"a b", b"\"a b\"", b"caf\xc3\xa9", b"\xff", too_long.as_bytes(), b"tab\there"] {
            let Ok(value) = HeaderValue::from_bytes(bad) else { continue };
            let mut h = HeaderMap::new();
            h.insert(HEADER, value);
            match key(&h) {
                Err(ApiError::InvalidInput { field, .. }) => assert_eq!(field.as_deref(), Some("Idempotency-Key")),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert!(key(&headers(&[b"a", b"b"])).is_err(), "two keys");
    }

    #[test]
    fn the_digest_tells_requests_apart() {
        let input = |state: &str, at: Option<&str>| app::model::event::EventInput {
            dist: Some("fedora".into()),
            release: Some("44".into()),
            state: Some(state.into()),
            reached: Some(true),
            at: at.map(str::to_owned),
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let a = input("branched", None).validate(now).unwrap();
        let later = input("branched", None).validate(now + chrono::Duration::seconds(30)).unwrap();
        let b = input("beta", None).validate(now).unwrap();
        let dated = input("branched", Some("2026-02-10T14:00:00Z")).validate(now).unwrap();
        let f = |e: &NewEvent, given| write_key("k".into(), e, given).fingerprint;
        assert_eq!(f(&a, false), f(&later, false), "no `at`: a later retry is the same request");
        assert_ne!(f(&a, false), f(&b, false));
        assert_ne!(f(&a, false), f(&dated, true));
        assert_eq!(
            f(&dated, true),
            f(&input("branched", Some("2026-02-10T15:00:00+01:00")).validate(now).unwrap(), true)
        );
    }
}
