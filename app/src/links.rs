//! Every URL of the site, built from typed values: pages, feeds and the
//! API links that pages show. Names are freeform (`10/1 & 100%`, `é`), so
//! each path segment and each query value is percent-encoded here, once;
//! nothing else in the app or the server writes a URL by hand.
//!
//! Paths encode every byte but ASCII letters, digits and `-._~` (a `/` in
//! a name must not become a path separator); queries are
//! `application/x-www-form-urlencoded`, which every reader of ours
//! (axum, the page's `query()`) decodes.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::model::filter::LogFilter;
use crate::model::{Dist, EventId, Release, State, Timestamp};

/// What a path segment may carry unencoded: RFC 3986's unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `/` followed by `segments`, each percent-encoded.
fn path(segments: &[&str]) -> String {
    segments.iter().fold(String::new(), |mut out, segment| {
        out.push('/');
        out.extend(utf8_percent_encode(segment, SEGMENT));
        out
    })
}

/// `href` with `?at=` (or `&at=`) added while a page shows a past moment,
/// so that time travel survives the next click; `href` itself otherwise.
pub fn with_at(href: String, at: Option<&str>) -> String {
    match at {
        Some(at) => {
            let sep = if href.contains('?') { '&' } else { '?' };
            format!("{href}{sep}{}", query_string([("at", at)]))
        }
        None => href,
    }
}

/// `pairs` as a query string (`a=1&b=x+y`), without the `?`.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// `base?query`, or `base` alone when there are no pairs.
fn with_query<'a>(base: String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let query = query_string(pairs);
    if query.is_empty() {
        base
    } else {
        format!("{base}?{query}")
    }
}

/// `href` showing the moment `at` (`?at=` in RFC 3339), for the pages
/// that travel in time (matrix, release page, views).
pub fn at(href: &str, at: &Timestamp) -> String {
    let sep = if href.contains('?') { '&' } else { '?' };
    format!("{href}{sep}{}", query_string([("at", crate::model::time::format(at).as_str())]))
}

/// `/`: the state matrix of every dist.
pub fn home() -> String {
    "/".to_owned()
}

/// `/dists/{dist}`: one dist's matrix.
pub fn dist(dist: &Dist) -> String {
    path(&["dists", dist.as_str()])
}

/// `/dists/{dist}/releases/{release}`: the release page.
pub fn release(dist: &Dist, release: &Release) -> String {
    path(&["dists", dist.as_str(), "releases", release.as_str()])
}

/// `/events`: the event log, newest first.
pub fn events() -> String {
    "/events".to_owned()
}

/// `/events?before_id=&dist=...`: a page of the log with `filter`, older
/// than `before_id` when given.
pub fn events_filtered(filter: &LogFilter, before_id: Option<EventId>) -> String {
    let before = before_id.map(|id| id.to_string());
    let pairs = before.as_deref().map(|id| ("before_id", id)).into_iter().chain(filter.pairs(true));
    with_query(events(), pairs)
}

/// `/events?...` sorted by when events were recorded (`order=recorded`)
/// or, the default, by when they happened; `before_id` is the last event
/// of the page before.
pub fn events_in_order(filter: &LogFilter, recorded: bool, before_id: Option<EventId>) -> String {
    let before = before_id.map(|id| id.to_string());
    let pairs = filter
        .pairs(true)
        .into_iter()
        .chain(recorded.then_some(("order", "recorded")))
        .chain(before.as_deref().map(|id| ("before_id", id)));
    with_query(events(), pairs)
}

/// `/events/{id}`: one event.
pub fn event(id: EventId) -> String {
    path(&["events", &id.to_string()])
}

/// What the record form starts with (`/events/new?dist=&release=&state=`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Prefill<'a> {
    /// The dist.
    pub dist: Option<&'a Dist>,
    /// The release.
    pub release: Option<&'a Release>,
    /// The state.
    pub state: Option<&'a State>,
    /// Entered (`true`) or left.
    pub reached: Option<bool>,
}

/// `/events/new?...`: the record form, prefilled.
pub fn new_event(prefill: Prefill<'_>) -> String {
    let pairs = [
        prefill.dist.map(|d| ("dist", d.as_str())),
        prefill.release.map(|r| ("release", r.as_str())),
        prefill.state.map(|s| ("state", s.as_str())),
        prefill.reached.map(|r| ("reached", if r { "true" } else { "false" })),
    ];
    with_query(path(&["events", "new"]), pairs.into_iter().flatten())
}

/// Which page of the calendar.
#[derive(Debug, Clone, Copy)]
pub struct CalendarPage<'a> {
    /// The year.
    pub year: i32,
    /// The month (1–12), for the month view; `None` in the year view.
    pub month: Option<u32>,
    /// Only this dist.
    pub dist: Option<&'a Dist>,
    /// The year view (bars) instead of the month grid.
    pub year_view: bool,
}

/// `/calendar?view=lifecycle&from=&to=&dist=`: the lifecycle chart of the
/// years `from` to `to`.
pub fn lifecycle(dist: Option<&Dist>, from: i32, to: i32) -> String {
    let (from, to) = (from.to_string(), to.to_string());
    let pairs = [
        Some(("view", "lifecycle")),
        Some(("from", from.as_str())),
        Some(("to", to.as_str())),
        dist.map(|d| ("dist", d.as_str())),
    ];
    with_query(calendar_now(), pairs.into_iter().flatten())
}

/// `/calendar?view=lifecycle`: the lifecycle chart around today (five
/// years back, two ahead).
pub fn lifecycle_now() -> String {
    "/calendar?view=lifecycle".to_owned()
}

/// `/calendar`: this month, every dist.
pub fn calendar_now() -> String {
    "/calendar".to_owned()
}

/// `/calendar?year=&month=&view=year&dist=`.
pub fn calendar(page: CalendarPage<'_>) -> String {
    let (year, month) = (page.year.to_string(), page.month.map(|m| m.to_string()));
    let pairs = [
        Some(("year", year.as_str())),
        month.as_deref().map(|m| ("month", m)),
        page.year_view.then_some(("view", "year")),
        page.dist.map(|d| ("dist", d.as_str())),
    ];
    with_query(calendar_now(), pairs.into_iter().flatten())
}

/// `/account/tokens`: the editor's API tokens.
pub fn account_tokens() -> String {
    path(&["account", "tokens"])
}

/// `/login`, coming back to `next` (a path and query of this site).
pub fn login(next: Option<&str>) -> String {
    with_query("/login".to_owned(), next.map(|n| ("next", n)))
}

/// `/logout` (a POST form's action).
pub fn logout() -> String {
    "/logout".to_owned()
}

/// `/audit`: where Bodhi and the tracker disagree.
pub fn audit() -> String {
    "/audit".to_owned()
}

/// `/api/v1/audit`: the last audit report as JSON.
pub fn api_audit() -> String {
    "/api/v1/audit".to_owned()
}

/// `/status`: how the server is doing.
pub fn status() -> String {
    "/status".to_owned()
}

/// `/api`: the API overview for people.
pub fn api_docs() -> String {
    "/api".to_owned()
}

/// `/feed.atom?...`: the Atom feed of the log with `filter`, and `limit`
/// entries when not the default.
pub fn feed(filter: &LogFilter, limit: Option<usize>) -> String {
    let limit = limit.map(|l| l.to_string());
    with_query("/feed.atom".to_owned(), filter.pairs(true).into_iter().chain(limit.as_deref().map(|l| ("limit", l))))
}

/// `/dists/{dist}/feed.atom?...`: the Atom feed of one dist; the dist of
/// `filter` is ignored (it is in the path).
pub fn dist_feed(dist: &Dist, filter: &LogFilter, limit: Option<usize>) -> String {
    let limit = limit.map(|l| l.to_string());
    with_query(
        path(&["dists", dist.as_str(), "feed.atom"]),
        filter.pairs(false).into_iter().chain(limit.as_deref().map(|l| ("limit", l))),
    )
}

/// `/calendar.ics?dist=`: the iCalendar export, of one dist or all.
pub fn calendar_ics(dist: Option<&Dist>) -> String {
    with_query("/calendar.ics".to_owned(), dist.map(|d| ("dist", d.as_str())))
}

/// `/api/v1/dists`.
pub fn api_dists() -> String {
    path(&["api", "v1", "dists"])
}

/// `/api/v1/events`: the JSON log.
pub fn api_events() -> String {
    path(&["api", "v1", "events"])
}

/// `/api/v1/events/{id}`: one event as JSON.
pub fn api_event(id: EventId) -> String {
    path(&["api", "v1", "events", &id.to_string()])
}

/// `/api/v1/stream?...`: the live stream of the log with `filter`, from
/// `after` (a page passes the cursor it was rendered at, so nothing
/// recorded before its stream opens is missed).
pub fn api_stream(filter: &LogFilter, after: &crate::model::activity::Cursor) -> String {
    let after = after.to_string();
    with_query(path(&["api", "v1", "stream"]), filter.pairs(true).into_iter().chain([("after", after.as_str())]))
}

/// `/api/v1/plans`: the current plan of every transition key.
pub fn api_plans() -> String {
    path(&["api", "v1", "plans"])
}

/// `/api/v1/webhooks/{id}`: one webhook subscription.
pub fn api_webhook(id: i64) -> String {
    path(&["api", "v1", "webhooks", &id.to_string()])
}

/// `/webhooks`: the webhook subscriptions page (editors).
pub fn webhooks() -> String {
    path(&["webhooks"])
}

/// `/webhooks/{id}`: one subscription with its delivery log (editors).
pub fn webhook(id: i64) -> String {
    path(&["webhooks", &id.to_string()])
}

/// `/api/v1/views/{dist}/schedule`: a dist's plans per release.
pub fn api_schedule(dist: &Dist) -> String {
    path(&["api", "v1", "views", dist.as_str(), "schedule"])
}

/// A view of a dist in the JSON API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiView {
    /// `states-by-release`.
    StatesByRelease,
    /// `releases-by-state`.
    ReleasesByState,
    /// `detailed`.
    Detailed,
}

/// `/api/v1/views/{dist}/{view}`.
pub fn api_view(dist: &Dist, view: ApiView) -> String {
    let view = match view {
        ApiView::StatesByRelease => "states-by-release",
        ApiView::ReleasesByState => "releases-by-state",
        ApiView::Detailed => "detailed",
    };
    path(&["api", "v1", "views", dist.as_str(), view])
}

/// `/api/v1/views/{dist}/releases/{release}`: one release as JSON.
pub fn api_release(dist: &Dist, release: &Release) -> String {
    path(&["api", "v1", "views", dist.as_str(), "releases", release.as_str()])
}

/// `/api/v1/openapi.json`.
pub fn api_openapi() -> String {
    path(&["api", "v1", "openapi.json"])
}

/// `/readyz`: readiness for machines.
pub fn readyz() -> String {
    "/readyz".to_owned()
}

/// Decodes one percent-encoded path segment, as routers hand them over
/// raw: `10%2F1` → `10/1`. `None` when the bytes are not UTF-8.
pub fn decode_segment(raw: &str) -> Option<String> {
    percent_encoding::percent_decode_str(raw).decode_utf8().ok().map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::filter::FilterText;

    fn dist(s: &str) -> Dist {
        Dist::parse(s).unwrap()
    }

    fn rel(s: &str) -> Release {
        Release::parse(s).unwrap()
    }

    #[test]
    fn path_segments_are_encoded_once() {
        assert_eq!(super::dist(&dist("fedora")), "/dists/fedora");
        assert_eq!(
            release(&dist("odd/dist?#"), &rel("10/1 & 100%")),
            "/dists/odd%2Fdist%3F%23/releases/10%2F1%20%26%20100%25"
        );
        assert_eq!(release(&dist("fedora"), &rel("10.1")), "/dists/fedora/releases/10.1");
        assert_eq!(super::dist(&dist("é")), "/dists/%C3%A9");
        assert_eq!(event(42), "/events/42");
        assert_eq!(api_event(42), "/api/v1/events/42");
        assert_eq!(api_view(&dist("a b"), ApiView::StatesByRelease), "/api/v1/views/a%20b/states-by-release");
        assert_eq!(api_release(&dist("fedora"), &rel("10/1")), "/api/v1/views/fedora/releases/10%2F1");
        assert_eq!(
            dist_feed(&dist("a b/c?"), &LogFilter::default(), None),
            "/dists/a%20b%2Fc%3F/feed.atom",
            "the feed's path, as the server encoded it before"
        );
    }

    #[test]
    fn query_values_are_encoded_once() {
        let d = dist("odd/dist?#");
        assert_eq!(calendar_ics(Some(&d)), "/calendar.ics?dist=odd%2Fdist%3F%23");
        assert_eq!(calendar_ics(None), "/calendar.ics");
        let state = State::parse("frozen é").unwrap();
        let prefill =
            Prefill { dist: Some(&d), release: Some(&rel("10/1 & 100%")), state: Some(&state), reached: None };
        assert_eq!(
            new_event(prefill),
            "/events/new?dist=odd%2Fdist%3F%23&release=10%2F1+%26+100%25&state=frozen+%C3%A9"
        );
        assert_eq!(login(Some("/events?dist=a&b")), "/login?next=%2Fevents%3Fdist%3Da%26b");
        assert_eq!(login(None), "/login");
        let cal = CalendarPage { year: 2026, month: Some(2), dist: Some(&d), year_view: false };
        assert_eq!(calendar(cal), "/calendar?year=2026&month=2&dist=odd%2Fdist%3F%23");
        let year = CalendarPage { year: 2026, month: None, dist: None, year_view: true };
        assert_eq!(calendar(year), "/calendar?year=2026&view=year");
        let t = crate::model::time::parse_timestamp("at", "2026-02-10T14:00:00Z").unwrap();
        assert_eq!(at("/dists/fedora", &t), "/dists/fedora?at=2026-02-10T14%3A00%3A00Z");
    }

    #[test]
    fn filters_keep_their_order() {
        let text =
            FilterText { dist: Some("a&b"), state: Some("x y"), since: Some("2026-02-10"), ..Default::default() };
        let filter = LogFilter::parse(text).unwrap();
        assert_eq!(events_filtered(&filter, Some(9)), "/events?before_id=9&dist=a%26b&state=x+y&since=2026-02-10");
        assert_eq!(events_filtered(&LogFilter::default(), None), "/events");
        assert_eq!(feed(&filter, Some(5)), "/feed.atom?dist=a%26b&state=x+y&since=2026-02-10&limit=5");
        assert_eq!(dist_feed(&dist("a&b"), &filter, None), "/dists/a%26b/feed.atom?state=x+y&since=2026-02-10");
    }

    #[test]
    fn links_round_trip() {
        for name in ["odd/dist?#", "10/1 & 100%", "frozen é", "a+b", "%2F", ".x", "日本"] {
            let href = release(&dist("d"), &rel(name));
            let segment = href.rsplit('/').next().unwrap();
            assert!(!segment.contains(['/', '?', '#', ' ', '&']), "{segment}");
            assert_eq!(decode_segment(segment).as_deref(), Some(name));
            let href = calendar_ics(Some(&dist(name)));
            let query = href.split_once('?').unwrap().1;
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            assert_eq!(pairs, [("dist".to_owned(), name.to_owned())]);
        }
    }
}
