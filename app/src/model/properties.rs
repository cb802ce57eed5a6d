//! Properties of dists and releases (`name`, `codename`, `version`, ...):
//! the rules for keys and values, the audited changes, and `PropertyLog`,
//! which answers the set of a dist or release now or as of any instant and
//! its history with old and new values. No I/O lives here.
//!
//! A change takes effect at its `at` (the time of recording for edits;
//! `import-history` backdates to the release's first date). The value at
//! T is the one of the last change with `at <= T`, ties broken by id — the
//! same rule as membership — and a `null` value means the key was removed.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::name::{Dist, Release, MAX_NAME_CHARS};
use super::time::{self, Timestamp};

/// Longest accepted property key, in characters.
pub const MAX_KEY_CHARS: usize = 64;
/// Most properties one dist or release may carry.
pub const MAX_PROPERTIES: usize = 32;

/// A set of properties: key → value, keys in alphabetical order, so equal
/// sets serialise to byte-equal JSON.
pub type PropertySet = BTreeMap<String, String>;

/// A refused property, naming the key to blame (or none for the set as a
/// whole). Unlike [`super::ValidationError`] the field is a client's key,
/// so it is owned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct PropertyError {
    /// The key at fault (clipped and cleaned when the key itself is bad).
    pub field: Option<String>,
    /// What is wrong, in words fit for the client.
    pub message: String,
}

impl PropertyError {
    fn new(field: Option<String>, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// A hostile key made safe to echo: no control characters, at most 64 characters.
fn clip(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(MAX_KEY_CHARS).collect()
}

/// Checks a key: 1–64 characters of `a-z`, `0-9`, `_` and `-`, starting
/// with a letter or digit. Stricter than names, so keys stay usable as
/// CSV columns, query parameters and identifiers in scripts.
pub fn check_key(key: &str) -> Result<(), PropertyError> {
    let bad = |message: &str| Err(PropertyError::new(Some(clip(key)), message));
    if key.is_empty() {
        return bad("a property key must not be empty");
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return bad(&format!("a property key must be at most {MAX_KEY_CHARS} characters"));
    }
    if !key.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-')) {
        return bad("a property key may only contain a-z, 0-9, `_` and `-`");
    }
    if !key.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return bad("a property key must start with a letter or a digit");
    }
    Ok(())
}

/// Checks a value under `key`: the freeform rules of names (DESIGN.md §1):
/// non-empty, at most 128 characters, no control characters, no leading or
/// trailing white space.
pub fn check_value(key: &str, value: &str) -> Result<(), PropertyError> {
    let bad = |message: String| Err(PropertyError::new(Some(key.to_owned()), message));
    if value.is_empty() {
        return bad("must not be empty (leave the key out to remove it)".into());
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return bad(format!("must be at most {MAX_NAME_CHARS} characters"));
    }
    if value.chars().any(char::is_control) {
        return bad("must not contain control characters".into());
    }
    if value.trim() != value {
        return bad("must not start or end with white space".into());
    }
    Ok(())
}

/// Validates a whole set as a client sends it (`PUT .../properties`).
pub fn validate_set(set: PropertySet) -> Result<PropertySet, PropertyError> {
    if set.len() > MAX_PROPERTIES {
        return Err(PropertyError::new(None, format!("at most {MAX_PROPERTIES} properties are allowed")));
    }
    for (key, value) in &set {
        check_key(key)?;
        check_value(key, value)?;
    }
    Ok(set)
}

/// What turns `current` into `wanted`: one `(key, new value)` per key that
/// differs, `None` for a key to remove; keys in alphabetical order. Equal
/// values give no change, so a repeated PUT records nothing.
pub fn changes_between(current: &PropertySet, wanted: &PropertySet) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> =
        current.keys().filter(|k| !wanted.contains_key(*k)).map(|k| (k.clone(), None)).collect();
    out.extend(wanted.iter().filter(|(k, v)| current.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), Some(v.clone()))));
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One stored change of one property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyChange {
    /// Monotonic id, in its own sequence.
    pub id: i64,
    /// The dist.
    pub dist: Dist,
    /// The release; `None` for a property of the dist itself.
    pub release: Option<Release>,
    /// The key (passed [`check_key`]).
    pub key: String,
    /// The new value; `None` when the key was removed.
    pub value: Option<String>,
    /// When it takes effect.
    pub at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Login or token name.
    pub recorded_by: Arc<str>,
    /// Channel: `api`, `web`, `import`.
    pub source: Arc<str>,
}

/// One line of a property history, as `GET .../properties/history` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PropertyHistoryEntry {
    /// The change's id.
    pub id: i64,
    /// The key.
    pub key: String,
    /// The value before this change (`null`: unset).
    pub old: Option<String>,
    /// The value after it (`null`: removed).
    pub new: Option<String>,
    /// When it takes effect.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// When it was recorded.
    #[serde(with = "time::wire")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// Who recorded it.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub recorded_by: Arc<str>,
    /// Through what: `api`, `web` or `import`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub source: Arc<str>,
}

/// Why a change could not be applied: the stored log is inconsistent or
/// was fed out of order; never client input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("property change {0} arrived after change {1}")]
pub struct OutOfOrder(pub i64, pub i64);

/// Changes of one dist, by subject (`None`: the dist itself; releases in
/// natural order) and key: indices into the log, sorted by `(at, id)`.
type DistProperties = BTreeMap<Option<Release>, BTreeMap<String, Vec<usize>>>;

/// Every property change, in id order, indexed for answers at any instant.
#[derive(Debug, Default, Clone)]
pub struct PropertyLog {
    changes: Vec<PropertyChange>,
    index: BTreeMap<Dist, DistProperties>,
}

impl PropertyLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest id applied, 0 when empty.
    pub fn last_id(&self) -> i64 {
        self.changes.last().map_or(0, |c| c.id)
    }

    /// Every change, in id order.
    pub fn changes(&self) -> &[PropertyChange] {
        &self.changes
    }

    /// Applies a stored change. Ids must increase; `at` may lie anywhere.
    pub fn apply(&mut self, change: PropertyChange) -> Result<(), OutOfOrder> {
        let last = self.last_id();
        if change.id <= last {
            return Err(OutOfOrder(change.id, last));
        }
        let position = self.changes.len();
        let (at, id) = (change.at, change.id);
        let slots = self
            .index
            .entry(change.dist.clone())
            .or_default()
            .entry(change.release.clone())
            .or_default()
            .entry(change.key.clone())
            .or_default();
        // Ids only grow, so only `at` can put a change before others.
        let changes = &self.changes;
        let insert_at = slots.partition_point(|&i| (changes[i].at, changes[i].id) <= (at, id));
        slots.insert(insert_at, position);
        self.changes.push(change);
        Ok(())
    }

    fn subject(&self, dist: &Dist, release: Option<&Release>) -> Option<&BTreeMap<String, Vec<usize>>> {
        self.index.get(dist)?.get(&release.cloned())
    }

    /// The set of a dist (`release: None`) or a release at `at`.
    pub fn set_at(&self, dist: &Dist, release: Option<&Release>, at: Timestamp) -> PropertySet {
        let Some(keys) = self.subject(dist, release) else { return PropertySet::new() };
        keys.iter()
            .filter_map(|(key, slots)| {
                let upto = slots.partition_point(|&i| self.changes[i].at <= at);
                let last = slots[..upto].last()?;
                self.changes[*last].value.clone().map(|v| (key.clone(), v))
            })
            .collect()
    }

    /// The latest set, whatever the clock says: what an edit compares with.
    pub fn latest(&self, dist: &Dist, release: Option<&Release>) -> PropertySet {
        self.set_at(dist, release, Timestamp::MAX_UTC)
    }

    /// The change of `key` that takes effect last (the one behind its
    /// latest value), if the key was ever set.
    pub fn latest_change(&self, dist: &Dist, release: Option<&Release>, key: &str) -> Option<&PropertyChange> {
        let slots = self.subject(dist, release)?.get(key)?;
        slots.last().map(|&i| &self.changes[i])
    }

    /// Whether any change was ever recorded for this dist or release.
    pub fn has(&self, dist: &Dist, release: Option<&Release>) -> bool {
        self.subject(dist, release).is_some()
    }

    /// Whether any property of this dist or of one of its releases exists.
    pub fn has_dist(&self, dist: &Dist) -> bool {
        self.index.contains_key(dist)
    }

    /// Releases of `dist` with at least one recorded change, in natural order.
    pub fn releases(&self, dist: &Dist) -> impl Iterator<Item = &Release> {
        self.index.get(dist).into_iter().flat_map(|d| d.keys().flatten())
    }

    /// The change with this id as its history line shows it (with the
    /// value it replaced, in the order changes take effect), and the
    /// change itself for its subject.
    pub fn entry(&self, id: i64) -> Option<(&PropertyChange, PropertyHistoryEntry)> {
        let position = self.changes.binary_search_by_key(&id, |c| c.id).ok()?;
        let c = &self.changes[position];
        let slots = self.subject(&c.dist, c.release.as_ref())?.get(&c.key)?;
        let nth = slots.iter().position(|&i| i == position)?;
        let old = nth.checked_sub(1).and_then(|p| self.changes[slots[p]].value.clone());
        let entry = PropertyHistoryEntry {
            id: c.id,
            key: c.key.clone(),
            old,
            new: c.value.clone(),
            at: c.at,
            recorded_at: c.recorded_at,
            recorded_by: c.recorded_by.clone(),
            source: c.source.clone(),
        };
        Some((c, entry))
    }

    /// The history of a dist or release with old and new values, in the
    /// order the changes take effect (`at`, then id). Like `was_in_state`,
    /// `old` follows from the current log, so a backdated change can alter
    /// the `old` of a later one.
    pub fn history(&self, dist: &Dist, release: Option<&Release>) -> Vec<PropertyHistoryEntry> {
        let Some(keys) = self.subject(dist, release) else { return Vec::new() };
        let mut out: Vec<PropertyHistoryEntry> = keys
            .values()
            .flat_map(|slots| {
                let mut old: Option<String> = None;
                slots.iter().map(move |&i| {
                    let c = &self.changes[i];
                    let entry = PropertyHistoryEntry {
                        id: c.id,
                        key: c.key.clone(),
                        old: old.clone(),
                        new: c.value.clone(),
                        at: c.at,
                        recorded_at: c.recorded_at,
                        recorded_by: c.recorded_by.clone(),
                        source: c.source.clone(),
                    };
                    old = c.value.clone();
                    entry
                })
            })
            .collect();
        out.sort_by_key(|e| (e.at, e.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> Timestamp {
        time::parse_timestamp("at", s).unwrap()
    }

    fn change(id: i64, release: Option<&str>, key: &str, value: Option<&str>, at: &str) -> PropertyChange {
        PropertyChange {
            id,
            dist: Dist::parse("debian").unwrap(),
            release: release.map(|r| Release::parse(r).unwrap()),
            key: key.into(),
            value: value.map(Into::into),
            at: t(at),
            recorded_at: t(at),
            recorded_by: Arc::from("me"),
            source: Arc::from("api"),
        }
    }

    fn set(pairs: &[(&str, &str)]) -> PropertySet {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn keys_and_values_follow_the_rules() {
        assert!(check_key("codename").is_ok());
        assert!(check_key("eol-lts").is_ok());
        assert!(check_key("x_1").is_ok());
        assert!(check_key(&"k".repeat(64)).is_ok());
        assert!(check_key(&"k".repeat(65)).is_err());
        for bad in ["", "Codename", "code name", "-x", "_x", "é", "a.b", "a\u{7}"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_key("Bad\nKey").unwrap_err().field.as_deref(), Some("BadKey"));
        assert!(check_value("codename", "Bookworm").is_ok());
        assert!(check_value("codename", &"é".repeat(128)).is_ok());
        for bad in ["", " x", "x ", "a\tb", &"x".repeat(129)] {
            let err = check_value("codename", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("codename"), "{bad:?}");
        }
    }

    #[test]
    fn a_set_is_limited_and_errors_name_the_key() {
        let big: PropertySet = (0..33).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert_eq!(validate_set(big).unwrap_err().field, None);
        let err = validate_set(set(&[("codename", "ok"), ("version", " 12")])).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("version"));
        assert_eq!(err.to_string(), "version: must not start or end with white space");
        assert!(validate_set(set(&[])).is_ok());
    }

    #[test]
    fn only_differences_become_changes() {
        let current = set(&[("codename", "Trixie"), ("series", "trixie"), ("gone", "x")]);
        let wanted = set(&[("codename", "Trixie"), ("series", "forky"), ("version", "13")]);
        assert_eq!(
            changes_between(&current, &wanted),
            vec![("gone".into(), None), ("series".into(), Some("forky".into())), ("version".into(), Some("13".into())),]
        );
        assert!(changes_between(&wanted, &wanted).is_empty());
    }

    #[test]
    fn sets_as_of_an_instant_and_history_with_old_values() {
        let mut log = PropertyLog::new();
        log.apply(change(1, Some("12"), "codename", Some("Bookwrom"), "2023-01-01T00:00:00Z")).unwrap();
        log.apply(change(2, Some("12"), "codename", Some("Bookworm"), "2023-02-01T00:00:00Z")).unwrap();
        log.apply(change(3, None, "name", Some("Debian"), "2023-02-01T00:00:00Z")).unwrap();
        // Backdated: takes effect before the first one.
        log.apply(change(4, Some("12"), "version", Some("12"), "2021-08-14T00:00:00Z")).unwrap();
        log.apply(change(5, Some("12"), "version", None, "2024-01-01T00:00:00Z")).unwrap();
        let d = Dist::parse("debian").unwrap();
        let r = Release::parse("12").unwrap();
        assert_eq!(log.set_at(&d, Some(&r), t("2020-01-01T00:00:00Z")), set(&[]));
        assert_eq!(log.set_at(&d, Some(&r), t("2022-01-01T00:00:00Z")), set(&[("version", "12")]));
        assert_eq!(
            log.set_at(&d, Some(&r), t("2023-01-15T00:00:00Z")),
            set(&[("codename", "Bookwrom"), ("version", "12")])
        );
        assert_eq!(log.latest(&d, Some(&r)), set(&[("codename", "Bookworm")]));
        assert_eq!(log.latest(&d, None), set(&[("name", "Debian")]));
        assert!(log.has(&d, Some(&r)) && log.has(&d, None) && log.has_dist(&d));
        assert!(!log.has(&d, Some(&Release::parse("11").unwrap())));
        assert_eq!(log.releases(&d).map(|r| r.as_str()).collect::<Vec<_>>(), vec!["12"]);
        let history: Vec<(i64, Option<String>, Option<String>)> =
            log.history(&d, Some(&r)).into_iter().map(|e| (e.id, e.old, e.new)).collect();
        assert_eq!(
            history,
            vec![
                (4, None, Some("12".into())),
                (1, None, Some("Bookwrom".into())),
                (2, Some("Bookwrom".into()), Some("Bookworm".into())),
                (5, Some("12".into()), None),
            ]
        );
        assert_eq!(log.apply(change(5, None, "x", None, "2020-01-01T00:00:00Z")), Err(OutOfOrder(5, 5)));
    }

    /// `(release or dist, key, value or removal, day)`.
    fn arb_change() -> impl Strategy<Value = (Option<u8>, u8, Option<u8>, u8)> {
        (proptest::option::of(0u8..3), 0u8..3, proptest::option::of(0u8..3), 0u8..20)
    }

    proptest! {
        /// Whatever the order in which changes arrive relative to their
        /// `at`, the set at any instant equals a naive recomputation, and
        /// each history entry's `old` is the value just before it.
        #[test]
        fn equals_a_naive_recomputation(raw in proptest::collection::vec(arb_change(), 0..40), probe in 0u8..22) {
            let mut log = PropertyLog::new();
            let day = |d: u8| t("2020-01-01T00:00:00Z") + chrono::Duration::days(i64::from(d));
            let changes: Vec<PropertyChange> = raw.iter().enumerate().map(|(i, (rel, key, value, d))| {
                let mut c = change(i as i64 + 1, None, &format!("k{key}"), None, "2020-01-01T00:00:00Z");
                c.release = rel.map(|r| Release::parse(&r.to_string()).unwrap());
                c.value = value.map(|v| format!("v{v}"));
                c.at = day(*d);
                c
            }).collect();
            for c in &changes {
                log.apply(c.clone()).unwrap();
            }
            let d = Dist::parse("debian").unwrap();
            let at = day(probe);
            for subject in [None, Some(0u8), Some(1), Some(2)] {
                let release = subject.map(|r| Release::parse(&r.to_string()).unwrap());
                let mut naive: BTreeMap<String, (Timestamp, i64, Option<String>)> = BTreeMap::new();
                for c in changes.iter().filter(|c| c.release == release && c.at <= at) {
                    let newer = naive.get(&c.key).is_none_or(|(a, i, _)| (c.at, c.id) > (*a, *i));
                    if newer {
                        naive.insert(c.key.clone(), (c.at, c.id, c.value.clone()));
                    }
                }
                let expected: PropertySet = naive.into_iter().filter_map(|(k, (_, _, v))| v.map(|v| (k, v))).collect();
                prop_assert_eq!(log.set_at(&d, release.as_ref(), at), expected);
                for entry in log.history(&d, release.as_ref()) {
                    let before = changes.iter()
                        .filter(|c| c.release == release && c.key == entry.key && (c.at, c.id) < (entry.at, entry.id))
                        .max_by_key(|c| (c.at, c.id))
                        .and_then(|c| c.value.clone());
                    prop_assert_eq!(entry.old, before);
                }
            }
        }

        /// Applying the changes between two sets to the first gives the second.
        #[test]
        fn changes_between_reaches_the_wanted_set(
            a in proptest::collection::btree_map("[a-c]", "[xy]", 0..4),
            b in proptest::collection::btree_map("[a-c]", "[xy]", 0..4),
        ) {
            let mut current = a.clone();
            for (k, v) in changes_between(&a, &b) {
                match v {
                    Some(v) => { current.insert(k, v); }
                    None => { current.remove(&k); }
                }
            }
            prop_assert_eq!(current, b);
        }
    }
}
