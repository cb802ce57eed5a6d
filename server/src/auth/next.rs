//! Where a login may send the browser back to: only paths on this site.
//! `next` comes from the query of `/login`, so anyone can craft it; an
//! answer that follows it blindly is an open redirect.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use url::Url;

/// How many layers of percent-encoding are unwrapped before giving up: a
/// value still encoded after that is refused rather than trusted.
const MAX_DECODINGS: usize = 4;

/// `next` if it is a path on the site at `public` (same origin), else `/`.
pub fn safe_next(next: Option<&str>, public: &Url) -> String {
    match next {
        Some(n) if is_local_path(n, public) => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Whether `next` is a path on this site. Browsers drop tabs and line
/// breaks inside URLs and read `\` as `/`, so `/\t/evil.example` and
/// `/\evil.example` mean `//evil.example`: another host. The same holds
/// once escapes are decoded (a redirect target may be decoded again on
/// its way), so every decoding of the value must pass too.
fn is_local_path(next: &str, public: &Url) -> bool {
    let mut text = Cow::Borrowed(next);
    for _ in 0..MAX_DECODINGS {
        if !text.starts_with('/') || text.starts_with("//") || text.chars().any(|c| c.is_control() || c == '\\') {
            return false;
        }
        let Ok(decoded) = percent_decode_str(&text).decode_utf8() else {
            return false;
        };
        if decoded == text {
            // Fully decoded and still a plain path: it must also stay on
            // the public URL's origin when resolved against it.
            return public.join(next).is_ok_and(|u| u.origin() == public.origin());
        }
        text = Cow::Owned(decoded.into_owned());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public() -> Url {
        Url::parse("https://releases.example.org/").unwrap()
    }

    #[test]
    fn paths_on_this_site_are_kept() {
        for good in ["/", "/events?dist=fedora", "/dists/fedora/releases/10%2F1", "/calendar?year=2026#may", "/é"] {
            assert_eq!(safe_next(Some(good), &public()), good, "{good:?}");
        }
        assert_eq!(safe_next(None, &public()), "/");
    }

    #[test]
    fn bypasses_are_refused() {
        let corpus = [
            "",
            "evil",
            "evil.example/x",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0A/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%255Cevil.example",
            "/%25252F/evil.example",
            "/%2525252525252F/evil.example",
            "%2F%2Fevil.example",
            "https://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "/\u{0}evil",
            "/%00evil",
            "/%ff",
            " /events",
        ];
        for bad in corpus {
            assert_eq!(safe_next(Some(bad), &public()), "/", "{bad:?}");
        }
    }
}
