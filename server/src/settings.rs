//! What `serve` configures beyond the store and the site, as plain values
//! checked once: [`Settings`] and its parts that have no other home — the
//! abuse [`Limits`] and the [`FeedAuthority`]. No I/O and no handlers here:
//! the state, the layers and the feeds depend on this module, never the
//! other way round.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use app::model::compat::CompatMapping;
use app::model::distro_info::DistroInfoConfig;
use governor::Quota;

use crate::auth::config::AuthSettings;

/// What `serve` configures beyond the store and the site: logins, the
/// compatibility exports (Bodhi/pkgdb and distro-info), the feeds and the
/// abuse limits.
/// [`Settings::defaults`] is what tests and tools use.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public URL, identity provider, editor groups, session lifetimes.
    pub auth: AuthSettings,
    /// How states read in Bodhi's and pkgdb's words.
    pub compat: CompatMapping,
    /// Which states the date columns of the distro-info export report.
    pub distro_info: DistroInfoConfig,
    /// Who mints feed entry and calendar ids (`--feed-authority`).
    pub feed_authority: FeedAuthority,
    /// Rate limits, timeout and concurrency limit. The rate limits apply
    /// only to requests with a peer address (served ones), so routers
    /// driven in-process are never rate limited.
    pub limits: Limits,
    /// How long past its date an unmet plan waits before it is overdue.
    pub plan_grace: chrono::Duration,
    /// The Bodhi the periodic audit reads (`--audit-bodhi-url`), if any.
    pub audit_bodhi: Option<url::Url>,
    /// Open streams allowed and their keep-alive (`--max-streams`, ...).
    pub streams: StreamSettings,
    /// The webhooks: sealing key, target policy, retries, retention.
    pub webhooks: crate::webhooks::WebhookSettings,
}

/// Limits of `GET /api/v1/stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSettings {
    /// Streams open at once; more are answered `503` with `Retry-After`.
    pub max_open: usize,
    /// How often an idle stream sends a keep-alive comment.
    pub keep_alive: Duration,
}

impl Default for StreamSettings {
    /// 2,048 streams (each costs a few kilobytes and a file descriptor);
    /// a keep-alive every 15 s, within every proxy's idle timeout.
    fn default() -> Self {
        Self { max_open: 2048, keep_alive: Duration::from_secs(15) }
    }
}

impl Settings {
    /// Login off, default mappings, feed authority and limits, served at
    /// `public_url`.
    pub fn defaults(public_url: url::Url) -> Self {
        Self {
            auth: AuthSettings::without_login(public_url),
            compat: CompatMapping::default(),
            distro_info: DistroInfoConfig::default(),
            feed_authority: FeedAuthority::default(),
            limits: Limits::default(),
            plan_grace: app::model::plans::DEFAULT_GRACE,
            audit_bodhi: None,
            streams: StreamSettings::default(),
            webhooks: crate::webhooks::WebhookSettings::default(),
        }
    }
}

/// A sustained rate and a burst, per client; `per_minute == 0` is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per minute a client may keep up forever.
    pub per_minute: u32,
    /// Requests a client may send at once after being quiet.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const OFF: Rate = Rate { per_minute: 0, burst: 0 };

    /// `per_minute` with `burst`; [`Rate::OFF`] when `per_minute` is 0.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        if per_minute == 0 {
            Self::OFF
        } else {
            Self { per_minute, burst }
        }
    }

    /// The limiter's quota; `None` when off.
    pub(crate) fn quota(self) -> Option<Quota> {
        let rate = NonZeroU32::new(self.per_minute)?;
        // A burst of 0 would refuse everything: it means "the rate itself".
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        Some(Quota::per_minute(rate).allow_burst(burst))
    }
}

/// What `serve` configures (`--write-rate-limit` and the other flags of
/// [`crate::limits::LimitArgs`]); [`Limits::default`] holds the defaults of a real service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// State-changing requests (`POST`, `PUT`, `PATCH`, `DELETE` on any path,
    /// server functions included), per client address, of everyone who does
    /// not present a valid API token: browsers, anonymous clients and
    /// failed authentication (token guessing).
    pub writes: Rate,
    /// State-changing requests with a valid API token, per identity (the
    /// person who owns a personal token, or the service token): an editor's
    /// script is limited by who runs it, not by where it runs.
    pub token_writes: Rate,
    /// `GET /login` and `GET /auth/callback`, per client.
    pub logins: Rate,
    /// Longest time a request may take before it is answered `503 timeout`.
    pub request_timeout: Option<Duration>,
    /// Longest time a client may take to send a request's head (HTTP/1);
    /// then the connection is closed. Counts from the connection's start
    /// or the end of the previous response.
    pub header_read_timeout: Option<Duration>,
    /// Requests served at once; more are answered `503 unavailable`.
    pub max_concurrent: Option<usize>,
    /// Requests served at once for one client address; more are answered
    /// `429`, so one client cannot take every slot of `max_concurrent`.
    pub max_per_client: Option<usize>,
    /// Proxies whose `X-Forwarded-For` names the client; nobody else's is read.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Default sustained write rate: 10 a second, which no release engineer's
/// script needs (the group commit makes batches cheap anyway) but a
/// runaway loop exceeds within seconds.
pub const DEFAULT_WRITE_RATE: u32 = 600;
/// Default write burst: a whole import-by-script of a release history.
pub const DEFAULT_WRITE_BURST: u32 = 120;
/// Default sustained write rate of one identity with an API token: 20 a
/// second.
pub const DEFAULT_TOKEN_WRITE_RATE: u32 = 1200;
/// Default write burst of one identity: a plain loop that posts a whole
/// release history (hundreds of events, as fast as the server answers)
/// goes through without a retry.
pub const DEFAULT_TOKEN_WRITE_BURST: u32 = 1000;
/// Default login rate: a login takes two requests (`/login`, the callback).
pub const DEFAULT_LOGIN_RATE: u32 = 10;
/// Default login burst.
pub const DEFAULT_LOGIN_BURST: u32 = 10;
/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default header-read timeout: far more than any client on any network
/// needs to send a request head, far less than a slow-loris attack wants.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default concurrency limit.
pub const DEFAULT_MAX_CONCURRENT: usize = 1024;
/// Default concurrency limit per client address: far above what a browser
/// (six connections) or a script needs, far below the global limit.
pub const DEFAULT_MAX_PER_CLIENT: usize = 64;

impl Default for Limits {
    fn default() -> Self {
        Self {
            writes: Rate { per_minute: DEFAULT_WRITE_RATE, burst: DEFAULT_WRITE_BURST },
            token_writes: Rate { per_minute: DEFAULT_TOKEN_WRITE_RATE, burst: DEFAULT_TOKEN_WRITE_BURST },
            logins: Rate { per_minute: DEFAULT_LOGIN_RATE, burst: DEFAULT_LOGIN_BURST },
            request_timeout: Some(DEFAULT_TIMEOUT),
            header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
            max_concurrent: Some(DEFAULT_MAX_CONCURRENT),
            max_per_client: Some(DEFAULT_MAX_PER_CLIENT),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Limits {
    /// Every limit off but the body limit (which is part of the API contract).
    pub fn off() -> Self {
        Self {
            writes: Rate::OFF,
            token_writes: Rate::OFF,
            logins: Rate::OFF,
            request_timeout: None,
            header_read_timeout: None,
            max_concurrent: None,
            max_per_client: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The default of `--feed-authority`.
pub const DEFAULT_AUTHORITY: &str = "releasetracker.fedoraproject.org";

/// The year in every `tag:` id: the tagging date of RFC 4151, fixed when
/// the id scheme was minted (ids must never change).
pub const TAG_YEAR: u16 = 2026;

/// Who mints the ids of entries and calendar events: a DNS name
/// (`fedoraproject.org`) or an e-mail address (`releng@example.org`), as
/// RFC 4151 asks of a tagging entity. Parsed once, so it is always valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedAuthority(String);

impl FeedAuthority {
    /// Checks `raw`: a DNS name, optionally preceded by `local-part@`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (local, domain) = match raw.rsplit_once('@') {
            Some((local, domain)) => (Some(local), domain),
            None => (None, raw),
        };
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let domain_ok = domain.len() <= 253 && domain.split('.').all(label_ok);
        let local_ok = local.is_none_or(|l| {
            !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b"!$&'()*+,;=-._~".contains(&b))
        });
        if domain_ok && local_ok {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(format!("{raw:?} is neither a domain name nor an e-mail address"))
        }
    }

    /// The authority as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `tag:AUTHORITY,2026:SPECIFIC`.
    pub fn tag(&self, specific: &str) -> String {
        format!("tag:{},{TAG_YEAR}:{specific}", self.0)
    }
}

impl Default for FeedAuthority {
    /// [`DEFAULT_AUTHORITY`], Fedora's.
    fn default() -> Self {
        // A literal that the tests check `parse` accepts.
        Self(DEFAULT_AUTHORITY.to_owned())
    }
}

impl FromStr for FeedAuthority {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl fmt::Display for FeedAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_domains_or_mail_addresses() {
        assert_eq!(FeedAuthority::parse("Example.ORG").unwrap().as_str(), "example.org");
        assert!(FeedAuthority::parse("releng@fedoraproject.org").is_ok());
        assert_eq!(FeedAuthority::parse(DEFAULT_AUTHORITY), Ok(FeedAuthority::default()));
        for bad in ["", "a b", "-x.org", "x..org", "http://x.org", "x.org/", "@x.org", "x:y"] {
            assert!(FeedAuthority::parse(bad).is_err(), "{bad:?}");
        }
        let a = FeedAuthority::parse("example.org").unwrap();
        assert_eq!(a.tag("event/42"), "tag:example.org,2026:event/42");
    }
}
