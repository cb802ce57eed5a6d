//! How the pages write names and instants: "Fedora", "Rawhide",
//! "2026-02-10 14:00 UTC". Pure functions, shared by every page.

use chrono::{NaiveTime, Timelike};

use crate::model::{Dist, Release, Timestamp};

/// A dist as a title: `fedora` → `Fedora`, `fedora-coreos` → `Fedora-coreos`.
pub fn dist_title(dist: &Dist) -> String {
    let mut chars = dist.as_str().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A release as people call it: release `"0"` is Rawhide.
pub fn release_label(release: &Release) -> String {
    if release.as_str() == "0" {
        "Rawhide".to_owned()
    } else {
        release.to_string()
    }
}

/// `Fedora 44`, `Fedora Rawhide`.
pub fn release_title(dist: &Dist, release: &Release) -> String {
    format!("{} {}", dist_title(dist), release_label(release))
}

/// An instant for people: the date alone at midnight UTC, else date and
/// minutes (seconds when they matter), always in UTC.
pub fn when(t: &Timestamp) -> String {
    let time = t.time();
    if time == NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else if time.second() == 0 && time.nanosecond() == 0 {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// The date part only, `2026-02-10`.
pub fn day(t: &Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// "entered" or "left".
pub fn verb(reached: bool) -> &'static str {
    if reached {
        "entered"
    } else {
        "left"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_timestamp;

    #[test]
    fn names_and_instants_read_well() {
        assert_eq!(dist_title(&Dist::parse("fedora").unwrap()), "Fedora");
        assert_eq!(release_label(&Release::parse("0").unwrap()), "Rawhide");
        assert_eq!(release_label(&Release::parse("44").unwrap()), "44");
        let t = |s| parse_timestamp("at", s).unwrap();
        assert_eq!(when(&t("2026-02-10T00:00:00Z")), "2026-02-10");
        assert_eq!(when(&t("2026-02-10T14:00:00Z")), "2026-02-10 14:00 UTC");
        assert_eq!(when(&t("2026-02-10T14:00:05.5Z")), "2026-02-10 14:00:05 UTC");
    }
}
