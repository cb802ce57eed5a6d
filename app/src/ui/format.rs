//! How the pages write names and instants: "Fedora", "Rawhide",
//! "2026-02-10 14:00 UTC". The naming itself lives in the core
//! (`model::describe`, shared with the feeds); this adds what only pages
//! need.

pub use crate::model::describe::{dist_title, release_label, release_title, verb, when};
use crate::model::Timestamp;

/// The date part only, `2026-02-10`.
pub fn day(t: &Timestamp) -> String {
    t.format("%Y-%m-%d").to_string()
}
