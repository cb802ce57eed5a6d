//! The filters of the event log — `dist`, `release`, `state`, `since`,
//! `until` — read one way for every reader of the log: the JSON log
//! (`GET /api/v1/events`), the Atom feeds, the calendar export and the
//! `/events` page. Paging and limits differ per endpoint and stay there.

use super::log::LogQuery;
use super::time::{parse_at, parse_since};
use super::{Dist, Release, State, Timestamp, ValidationError};

/// A bound of the log as given (`2026-02-10`) and as read (an instant):
/// links and feed ids repeat what the client wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The text as given.
    pub given: String,
    /// The instant it means.
    pub at: Timestamp,
}

/// Validated filters of the event log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only this dist.
    pub dist: Option<Dist>,
    /// Only this release.
    pub release: Option<Release>,
    /// Only this state.
    pub state: Option<State>,
    /// Only events with `at` at or after this (a date means its start).
    pub since: Option<Bound>,
    /// Only events with `at` at or before this (a date means its end).
    pub until: Option<Bound>,
}

/// The filters as text, before validation; `None` is absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterText<'a> {
    /// `dist`.
    pub dist: Option<&'a str>,
    /// `release`.
    pub release: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `since`.
    pub since: Option<&'a str>,
    /// `until`.
    pub until: Option<&'a str>,
}

impl LogFilter {
    /// The names of the filter parameters, in the order links write them.
    pub const KEYS: [&'static str; 5] = ["dist", "release", "state", "since", "until"];

    /// Validates the filters. The errors name the parameter: a bad name
    /// says why (`dist: must not be empty`), a bad bound says what it
    /// expected (`until: ... neither an RFC 3339 timestamp nor a date`).
    pub fn parse(text: FilterText<'_>) -> Result<Self, ValidationError> {
        let bound = |given: &str, at: Timestamp| Bound { given: given.to_owned(), at };
        Ok(Self {
            dist: text.dist.map(Dist::parse).transpose()?,
            release: text.release.map(Release::parse).transpose()?,
            state: text.state.map(State::parse).transpose()?,
            since: text.since.map(|s| parse_since("since", s).map(|t| bound(s, t))).transpose()?,
            until: text
                .until
                .map(|s| parse_at(s).map(|t| bound(s, t)).map_err(|e| ValidationError { field: "until", ..e }))
                .transpose()?,
        })
    }

    /// Reads the filters from query pairs (a page's query string): other
    /// keys are left to the caller, and an empty value counts as absent
    /// (what an untouched field of a GET form sends).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ValidationError> {
        let mut text = FilterText::default();
        for (key, value) in pairs {
            let value = Some(value).filter(|v| !v.is_empty());
            match key {
                "dist" => text.dist = value,
                "release" => text.release = value,
                "state" => text.state = value,
                "since" => text.since = value,
                "until" => text.until = value,
                _ => {}
            }
        }
        Self::parse(text)
    }

    /// The filters as query pairs, in [`Self::KEYS`] order; without the
    /// dist when `with_dist` is false (it is in the path).
    pub fn pairs(&self, with_dist: bool) -> Vec<(&'static str, &str)> {
        let mut pairs = Vec::new();
        if let (true, Some(d)) = (with_dist, &self.dist) {
            pairs.push(("dist", d.as_str()));
        }
        if let Some(r) = &self.release {
            pairs.push(("release", r.as_str()));
        }
        if let Some(s) = &self.state {
            pairs.push(("state", s.as_str()));
        }
        if let Some(b) = &self.since {
            pairs.push(("since", b.given.as_str()));
        }
        if let Some(b) = &self.until {
            pairs.push(("until", b.given.as_str()));
        }
        pairs
    }

    /// The log query with these filters, the first `limit` events.
    pub fn log_query(&self, limit: usize) -> LogQuery {
        LogQuery {
            dist: self.dist.clone(),
            release: self.release.clone(),
            state: self.state.clone(),
            since: self.since.as_ref().map(|b| b.at),
            until: self.until.as_ref().map(|b| b.at),
            limit,
            ..LogQuery::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_alike_from_text_and_pairs() {
        let f = LogFilter::from_pairs([("dist", "fedora"), ("release", ""), ("since", "2026-02-10"), ("limit", "5")])
            .unwrap();
        assert_eq!(f.dist.as_ref().map(Dist::as_str), Some("fedora"));
        assert_eq!(f.release, None, "empty is absent");
        assert_eq!(f.since.as_ref().unwrap().at.to_rfc3339(), "2026-02-10T00:00:00+00:00");
        assert_eq!(f.pairs(true), [("dist", "fedora"), ("since", "2026-02-10")]);
        assert_eq!(f.pairs(false), [("since", "2026-02-10")]);
        let q = f.log_query(7);
        assert_eq!((q.limit, q.since.is_some(), q.until), (7, true, None));
    }

    #[test]
    fn errors_name_the_parameter() {
        let err = |text| LogFilter::parse(text).unwrap_err().to_string();
        assert_eq!(err(FilterText { dist: Some(""), ..Default::default() }), "dist: must not be empty");
        assert!(err(FilterText { since: Some("yesterday"), ..Default::default() }).starts_with("since: "));
        assert!(err(FilterText { until: Some("yesterday"), ..Default::default() }).starts_with("until: "));
        let end = LogFilter::parse(FilterText { until: Some("2026-02-10"), ..Default::default() }).unwrap();
        assert_eq!(end.until.unwrap().at.to_rfc3339(), "2026-02-10T23:59:59.999999+00:00");
    }
}
