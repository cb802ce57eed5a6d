//! Abuse limits: a body limit on every route, per-client rate limits on
//! writes and on logins, a request timeout and a concurrency limit that
//! sheds load. Each refusal answers in the documented JSON error shape on
//! API paths and as a short sentence on pages, forms and server functions.
//!
//! Rate limiting uses the `governor` crate's keyed GCRA limiter directly
//! rather than `tower_governor`: its error handler cannot see the request
//! (so it cannot choose between JSON and a page), it rounds `Retry-After`
//! down to `0` for waits under a second, and it answers `500` when a
//! request has no peer address (the tests drive the router without one).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::BoxError;
use governor::clock::{Clock, DefaultClock};
use governor::DefaultKeyedRateLimiter;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::api::error::error_response;
use crate::api::extract::BODY_LIMIT;
use crate::api::outage::{DatabaseHealth, PROBE_TIMEOUT};
use crate::route_class::{classify, RouteClass};
use crate::settings::{
    Limits, Rate, DEFAULT_LOGIN_BURST, DEFAULT_LOGIN_RATE, DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_PER_CLIENT,
    DEFAULT_TOKEN_WRITE_BURST, DEFAULT_TOKEN_WRITE_RATE, DEFAULT_WRITE_BURST, DEFAULT_WRITE_RATE,
};
use crate::store::Store;

/// Flags of `serve` for [`Limits`].
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Writes (POST/PUT/PATCH/DELETE) per minute per client address,
    /// sustained, of requests without a valid API token (browsers,
    /// anonymous clients, failed authentication); 0 turns it off.
    #[arg(long, env = "WRITE_RATE_LIMIT", default_value_t = DEFAULT_WRITE_RATE)]
    pub write_rate_limit: u32,
    /// Writes a client may send at once before the sustained rate applies.
    #[arg(long, env = "WRITE_BURST", default_value_t = DEFAULT_WRITE_BURST)]
    pub write_burst: u32,
    /// Writes per minute, sustained, per identity with a valid API token
    /// (a personal token's owner, or a service token), wherever they come
    /// from; 0 turns it off.
    #[arg(long, env = "TOKEN_WRITE_RATE_LIMIT", default_value_t = DEFAULT_TOKEN_WRITE_RATE)]
    pub token_write_rate_limit: u32,
    /// Writes one identity may send at once before its sustained rate applies.
    #[arg(long, env = "TOKEN_WRITE_BURST", default_value_t = DEFAULT_TOKEN_WRITE_BURST)]
    pub token_write_burst: u32,
    /// Logins (`/login` and `/auth/callback` requests) per minute per client
    /// address; 0 turns the login limit off.
    #[arg(long, env = "LOGIN_RATE_LIMIT", default_value_t = DEFAULT_LOGIN_RATE)]
    pub login_rate_limit: u32,
    /// Login requests a client may send at once.
    #[arg(long, env = "LOGIN_BURST", default_value_t = DEFAULT_LOGIN_BURST)]
    pub login_burst: u32,
    /// Longest a request may take (`30s`, `2m`); `0s` turns the timeout off.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's head (`10s`); then
    /// the connection is closed. `0s` turns it off.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,
    /// Requests served at once; more are refused at once with 503; 0 = no limit.
    #[arg(long, env = "MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT)]
    pub max_concurrent_requests: usize,
    /// Requests served at once for one client address; more are refused at
    /// once with 429; 0 = no limit.
    #[arg(long, env = "MAX_REQUESTS_PER_CLIENT", default_value_t = DEFAULT_MAX_PER_CLIENT)]
    pub max_requests_per_client: usize,
    /// Reverse proxies (IP addresses, comma-separated) whose
    /// `X-Forwarded-For` header names the client for the rate limits.
    /// Empty: the peer address is the client, headers are ignored.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
}

impl LimitArgs {
    /// The limits these flags describe.
    pub fn limits(&self) -> Limits {
        Limits {
            writes: Rate::new(self.write_rate_limit, self.write_burst),
            token_writes: Rate::new(self.token_write_rate_limit, self.token_write_burst),
            logins: Rate::new(self.login_rate_limit, self.login_burst),
            request_timeout: (!self.request_timeout.is_zero()).then_some(self.request_timeout),
            header_read_timeout: (!self.header_read_timeout.is_zero()).then_some(self.header_read_timeout),
            max_concurrent: (self.max_concurrent_requests > 0).then_some(self.max_concurrent_requests),
            max_per_client: (self.max_requests_per_client > 0).then_some(self.max_requests_per_client),
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }
}

/// A refusal by one of the limits, in the shape `path` calls for.
pub fn refusal(path: &str, status: StatusCode, code: &str, message: &str, retry_after: Option<u64>) -> Response {
    let mut response = if RouteClass::of_path(path).answers_json() {
        error_response(status, code, message.to_owned(), None)
    } else {
        let mut r = (status, format!("{message}\n")).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        r
    };
    if let Some(secs) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn too_large(path: &str) -> Response {
    refusal(
        path,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &format!("the request body is larger than {BODY_LIMIT} bytes"),
        None,
    )
}

/// Middleware: refuses bodies over [`BODY_LIMIT`] on every route that takes one with
/// `413`. A declared `Content-Length` is checked before anything is read;
/// a body without one (chunked) is read up to the limit here, so that
/// handlers reading the raw body — Leptos server functions — never see a
/// truncated one and every route answers the same `413`.
pub async fn limit_body(request: Request, next: Next) -> Response {
    // Only methods that carry a body have one read here: a `GET` with a
    // body trickled in slowly would otherwise hold its request slot (and
    // the timeout's) for as long as the client likes. Handlers of other
    // methods never read a body.
    if !matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT as u64 => return too_large(request.uri().path()),
        // Hyper stops reading at the declared length.
        Some(_) => return next.run(request).await,
        None => {}
    }
    let (parts, body) = request.into_parts();
    match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => next.run(Request::from_parts(parts, Body::from(collected.to_bytes()))).await,
        Err(e) if e.is::<LengthLimitError>() => too_large(parts.uri.path()),
        Err(_) => refusal(
            parts.uri.path(),
            StatusCode::BAD_REQUEST,
            "malformed_request",
            "the request body could not be read",
            None,
        ),
    }
}

/// The per-client limiters of one router; cheap to clone.
#[derive(Clone)]
pub struct RateLimits(Arc<RateLimitsInner>);

struct RateLimitsInner {
    writes: Option<DefaultKeyedRateLimiter<IpAddr>>,
    token_writes: Option<DefaultKeyedRateLimiter<String>>,
    logins: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Vec<IpAddr>,
    /// Where API tokens are looked up, to key their writes by identity.
    store: Store,
    /// Whether the database is known to be down: then tokens are not
    /// looked up (the write is refused inside anyway, and must not wait).
    health: Arc<DatabaseHealth>,
    checks: AtomicU64,
}

/// How many checks between two sweeps of idle clients from the limiters.
const SWEEP_EVERY: u64 = 4096;

impl RateLimits {
    /// Limiters for `limits`, looking API tokens up in `store` while
    /// `health` does not say it is down; `None` when every rate is off.
    pub fn new(limits: &Limits, store: Store, health: Arc<DatabaseHealth>) -> Option<Self> {
        let writes = limits.writes.quota().map(DefaultKeyedRateLimiter::keyed);
        let token_writes = limits.token_writes.quota().map(DefaultKeyedRateLimiter::keyed);
        let logins = limits.logins.quota().map(DefaultKeyedRateLimiter::keyed);
        if writes.is_none() && token_writes.is_none() && logins.is_none() {
            return None;
        }
        Some(Self(Arc::new(RateLimitsInner {
            writes,
            token_writes,
            logins,
            trusted_proxies: limits.trusted_proxies.clone(),
            store,
            health,
            checks: AtomicU64::new(0),
        })))
    }

    /// The client a request comes from, as a rate-limit key: the peer
    /// address, or — from a trusted proxy — the rightmost address of
    /// `X-Forwarded-For` that is not a trusted proxy itself. IPv6 clients
    /// are keyed by their /64, which one host usually has whole. `None`
    /// without a peer address (a router driven in-process).
    fn client(&self, request: &Request) -> Option<IpAddr> {
        client_key(request, &self.0.trusted_proxies)
    }
}

/// The client of `request` as a limit key (see [`RateLimits::client`]).
fn client_key(request: &Request, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let ConnectInfo(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>()?;
    let forwarded = request.headers().get_all("x-forwarded-for");
    let client = forwarded_client(peer.ip(), forwarded.iter().map(|v| v.to_str().unwrap_or("")), trusted_proxies);
    Some(match client {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    })
}

/// Requests in progress per client address, for [`limit_per_client`];
/// cheap to clone.
#[derive(Clone)]
pub struct ClientSlots(Arc<ClientSlotsInner>);

struct ClientSlotsInner {
    max: usize,
    trusted_proxies: Vec<IpAddr>,
    in_progress: std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>,
}

/// One request's slot; given back when dropped.
struct ClientSlot {
    slots: ClientSlots,
    client: IpAddr,
}

impl ClientSlots {
    /// Slots for `limits`; `None` when the per-client limit is off.
    pub fn new(limits: &Limits) -> Option<Self> {
        Some(Self(Arc::new(ClientSlotsInner {
            max: limits.max_per_client?,
            trusted_proxies: limits.trusted_proxies.clone(),
            in_progress: Default::default(),
        })))
    }

    fn take(&self, client: IpAddr) -> Option<ClientSlot> {
        let mut map = self.0.in_progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(client).or_insert(0);
        if *n >= self.0.max {
            return None;
        }
        *n += 1;
        Some(ClientSlot { slots: self.clone(), client })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut map = self.slots.0.in_progress.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.client) {
            *n -= 1;
            // Addresses without requests in progress are forgotten.
            if *n == 0 {
                map.remove(&self.client);
            }
        }
    }
}

/// Middleware: at most `--max-requests-per-client` requests of one client
/// address in progress; more are refused at once with `429`, so that one
/// address holding many slow requests cannot take the slots every other
/// client needs.
pub async fn limit_per_client(State(slots): State<ClientSlots>, request: Request, next: Next) -> Response {
    let Some(client) = client_key(&request, &slots.0.trusted_proxies) else {
        return next.run(request).await;
    };
    let Some(slot) = slots.take(client) else {
        tracing::debug!(%client, path = request.uri().path(), "too many requests in progress");
        return refusal(
            request.uri().path(),
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests in progress from your address; retry in 1 s",
            Some(1),
        );
    };
    let response = next.run(request).await;
    drop(slot);
    response
}

/// The client of a request from `peer`: walking `X-Forwarded-For` from the
/// right while the hop that added an entry is a trusted proxy. An entry
/// that is not an address ends the walk at the proxy that passed it on: a
/// proxy that wrote it cannot be trusted to have written the entries left
/// of it (and skipping it would let the client's own entries count).
fn forwarded_client<'a>(peer: IpAddr, header_values: impl Iterator<Item = &'a str>, trusted: &[IpAddr]) -> IpAddr {
    let mut client = peer.to_canonical();
    if !trusted.contains(&client) {
        return client;
    }
    let entries: Vec<&str> = header_values.flat_map(|v| v.split(',')).collect();
    for entry in entries.into_iter().rev() {
        let Ok(address) = entry.trim().parse::<IpAddr>() else {
            break;
        };
        client = address.to_canonical();
        if !trusted.contains(&client) {
            break;
        }
    }
    client
}

/// Whether a request changes state (and counts against the write limit).
fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Which budget a request spends.
enum Budget<'a> {
    /// Writes with a valid API token: the identity's.
    Identity(&'a DefaultKeyedRateLimiter<String>, String),
    /// Other writes, and logins: the client address's.
    Address(&'a DefaultKeyedRateLimiter<IpAddr>, IpAddr, &'static str),
}

/// Middleware: `429` with `Retry-After` for a client over its write or
/// login rate. Writes with a valid API token spend their identity's
/// budget, wherever they come from; other writes (no token, or one that is
/// not valid) the address's. Reads pass untouched: the projection answers
/// them from memory.
pub async fn rate_limit(State(limits): State<RateLimits>, request: Request, next: Next) -> Response {
    let inner = &*limits.0;
    let class = classify(request.method(), request.uri().path());
    let (budget, request) = if class == RouteClass::Login {
        (inner.logins.as_ref().map(|l| (l, "too many requests from your address")), request)
    } else if is_write(request.method()) {
        // A database that is down (or slow to hand out a connection) must
        // not make every write wait here first: then the write is limited
        // per address, and refused inside by the outage check.
        let (mut parts, body) = request.into_parts();
        let identity = if inner.health.is_down() {
            None
        } else {
            tokio::time::timeout(PROBE_TIMEOUT, crate::auth::token_identity(&mut parts, &inner.store))
                .await
                .ok()
                .flatten()
        };
        let request = Request::from_parts(parts, body);
        match identity {
            Some(identity) => match &inner.token_writes {
                Some(limiter) => {
                    return limited(&limits, Budget::Identity(limiter, identity), request, next).await;
                }
                None => return next.run(request).await,
            },
            None => (inner.writes.as_ref().map(|l| (l, "too many requests from your address")), request),
        }
    } else {
        (None, request)
    };
    let Some((limiter, message)) = budget else { return next.run(request).await };
    let Some(client) = limits.client(&request) else { return next.run(request).await };
    limited(&limits, Budget::Address(limiter, client, message), request, next).await
}

/// Spends one request of `budget`: `429` when it is empty.
async fn limited(limits: &RateLimits, budget: Budget<'_>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let (checked, message) = match &budget {
        Budget::Identity(limiter, identity) => (limiter.check_key(identity), "too many writes with your API token"),
        Budget::Address(limiter, client, message) => (limiter.check_key(client), *message),
    };
    if let Err(not_until) = checked {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        // Whole seconds, rounded up: "0" would invite an immediate retry.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        // Debug, not info: a flood must not flood the log too.
        match &budget {
            Budget::Identity(_, identity) => tracing::debug!(%identity, path, retry_after = secs, "rate limited"),
            Budget::Address(_, client, _) => tracing::debug!(%client, path, retry_after = secs, "rate limited"),
        }
        return refusal(
            path,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("{message}; retry in {secs} s"),
            Some(secs),
        );
    }
    let inner = &*limits.0;
    if inner.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
        // Forget clients whose budget is full again, so the maps do not
        // grow with every address ever seen.
        for limiter in [&inner.writes, &inner.logins].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &inner.token_writes {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
    next.run(request).await
}

/// Seconds a client is asked to wait after a timeout or a shed request.
const RETRY_AFTER_OVERLOAD: u64 = 5;

/// Answers the errors of the timeout and load-shedding layers: both `503`
/// with `Retry-After` (a timeout is the server's fault — a stalled
/// database or overload — not the client's, so not `408`).
pub async fn overload_answer(uri: Uri, error: BoxError) -> Response {
    let path = uri.path();
    if error.is::<tower::timeout::error::Elapsed>() {
        tracing::warn!(path, "request timed out");
        refusal(
            path,
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long; retry later (a write may have been stored: check before repeating it)",
            Some(RETRY_AFTER_OVERLOAD),
        )
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        refusal(
            path,
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is busy; retry later",
            Some(RETRY_AFTER_OVERLOAD),
        )
    } else {
        tracing::error!(error = %error, path, "request failed in a limit layer");
        refusal(path, StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_walk_ends_at_an_entry_that_is_no_address() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let walk = |peer: &str, header: &[&str]| forwarded_client(ip(peer), header.iter().copied(), &proxies);
        // The rightmost untrusted entry is the client.
        assert_eq!(walk("10.0.0.1", &["6.6.6.6, 1.2.3.4"]), ip("1.2.3.4"));
        assert_eq!(walk("10.0.0.1", &["6.6.6.6, 1.2.3.4, 10.0.0.2"]), ip("1.2.3.4"));
        assert_eq!(walk("10.0.0.1", &["6.6.6.6", "1.2.3.4"]), ip("1.2.3.4"));
        // Not from a proxy: the header is ignored.
        assert_eq!(walk("1.2.3.4", &["6.6.6.6"]), ip("1.2.3.4"));
        // An entry that does not parse stops the walk at the proxy behind it,
        // instead of reaching the client-supplied entries left of it.
        assert_eq!(walk("10.0.0.1", &["6.6.6.6, unknown"]), ip("10.0.0.1"));
        assert_eq!(walk("10.0.0.1", &["6.6.6.6, 1.2.3.4:5678, 10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(walk("10.0.0.1", &["6.6.6.6, "]), ip("10.0.0.1"));
        // IPv4-mapped IPv6 counts as IPv4.
        assert_eq!(walk("::ffff:10.0.0.1", &["1.2.3.4"]), ip("1.2.3.4"));
    }

    #[test]
    fn api_paths() {
        let is_api_path = |p: &str| RouteClass::of_path(p).answers_json();
        for p in ["/api/v1/events", "/event", "/healthz", "/feed.atom", "/dists/fedora/feed.atom", "/calendar.ics"] {
            assert!(is_api_path(p), "{p}");
        }
        for p in ["/", "/ui/record_event", "/logout", "/login", "/dists/fedora", "/eventx"] {
            assert!(!is_api_path(p), "{p}");
        }
    }

    #[tokio::test]
    async fn flags_turn_limits_off() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            l: LimitArgs,
        }
        let on = T::try_parse_from(["t"]).unwrap().l.limits();
        assert_eq!(on, Limits { trusted_proxies: vec![], ..Limits::default() });
        let off = T::try_parse_from([
            "t",
            "--write-rate-limit",
            "0",
            "--token-write-rate-limit",
            "0",
            "--login-rate-limit",
            "0",
            "--request-timeout",
            "0s",
            "--header-read-timeout",
            "0s",
            "--max-concurrent-requests",
            "0",
            "--max-requests-per-client",
            "0",
        ])
        .unwrap()
        .l
        .limits();
        assert_eq!(off, Limits::off());
        let store = crate::store::Store::Sqlite(sqlx::SqlitePool::connect_lazy("sqlite::memory:").unwrap());
        let health = Arc::<DatabaseHealth>::default();
        assert!(RateLimits::new(&off, store.clone(), health.clone()).is_none());
        assert!(RateLimits::new(&Limits { token_writes: Rate::new(1, 1), ..Limits::off() }, store, health).is_some());
        assert!(ClientSlots::new(&off).is_none());
        let proxies = T::try_parse_from(["t", "--trusted-proxies", "127.0.0.1,::1"]).unwrap().l.limits();
        assert_eq!(proxies.trusted_proxies.len(), 2);
    }
}
