//! Extractors that turn every malformed request into an `ApiError` with the
//! offending field named: JSON bodies, query strings and form posts.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest accepted request body (DESIGN: 64 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body, deserialised with field paths in errors.
pub struct ApiJson<T>(pub T);

/// A query string, deserialised with field paths in errors.
pub struct ApiQuery<T>(pub T);

/// Reads the whole body, mapping limit overruns to 413.
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge(BODY_LIMIT)
        } else {
            ApiError::Malformed("the request body could not be read".into())
        }
    })
}

/// Names the field a serde error is about, from its path.
fn field_of(path: &serde_path_to_error::Path) -> Option<String> {
    let text = path.to_string();
    (text != ".").then_some(text)
}

/// Parses JSON with the field named in type errors.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|err| {
        let field = field_of(err.path());
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::InvalidInput { field, message: inner.to_string() },
            _ => ApiError::Malformed(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    // One JSON value and nothing after it: `{"reason":"x"} trailing` or two
    // objects in a row are not the body the client meant to send.
    de.end().map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim();
                m.eq_ignore_ascii_case("application/json") || m.to_ascii_lowercase().ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "send the body as JSON with `Content-Type: application/json`".into(),
            ));
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Decodes `a=1&b=2` pairs (a query string or an urlencoded form body),
/// refusing percent-escapes that are not UTF-8. `form_urlencoded::parse`
/// alone would turn them into U+FFFD, so a script that sent
/// `dist=%FF` would have an event recorded for a dist named "\u{FFFD}".
pub fn decode_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |part: &[u8]| -> Option<String> {
        let spaced: Vec<u8> = part.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
        let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(bytes).ok()
    };
    let mut pairs = Vec::new();
    for piece in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(i) => (&piece[..i], &piece[i + 1..]),
            None => (piece, &b""[..]),
        };
        let Some(name) = decode(name) else {
            return Err(ApiError::Malformed("a parameter name is not UTF-8".into()));
        };
        let Some(value) = decode(value) else {
            let field = name.chars().filter(|c| !c.is_control()).take(40).collect::<String>();
            return Err(ApiError::InvalidInput { message: format!("{field}: is not UTF-8"), field: Some(field) });
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Parses `a=1&b=2` pairs with the field named in errors.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // Checked first: the deserializer below decodes lossily.
    decode_pairs(query.as_bytes())?;
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let field = field_of(err.path());
        ApiError::InvalidInput { field, message: err.into_inner().to_string() }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}
