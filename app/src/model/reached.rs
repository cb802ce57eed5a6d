//! Reading `reached` from text: the one rule for shell scripts
//! (`POST /event?reached=1`) and the web forms, which also send the words
//! of their choice (`entered`, `left`). JSON bodies carry a boolean and do
//! not come here.

/// Which words a reader accepts besides `1`/`0`/`true`/`false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachedWords {
    /// Only `1`, `0`, `true`, `false` (the documented script form).
    Script,
    /// Also `entered` and `left` (the editing forms).
    Form,
}

/// Reads `reached`: `1`/`true` (entered) or `0`/`false` (left), ignoring
/// case and surrounding space; with [`ReachedWords::Form`] also
/// `entered`/`left`. `None` for anything else.
pub fn parse_reached(value: &str, words: ReachedWords) -> Option<bool> {
    match (value.trim().to_ascii_lowercase().as_str(), words) {
        ("1" | "true", _) | ("entered", ReachedWords::Form) => Some(true),
        ("0" | "false", _) | ("left", ReachedWords::Form) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_forms_share_one_reading() {
        for (text, want) in [("1", true), (" TRUE ", true), ("0", false), ("false", false)] {
            assert_eq!(parse_reached(text, ReachedWords::Script), Some(want), "{text:?}");
            assert_eq!(parse_reached(text, ReachedWords::Form), Some(want), "{text:?}");
        }
        assert_eq!(parse_reached("entered", ReachedWords::Form), Some(true));
        assert_eq!(parse_reached("left", ReachedWords::Form), Some(false));
        for bad in ["entered", "left", "yes", "", "2"] {
            assert_eq!(parse_reached(bad, ReachedWords::Script), None, "{bad:?}");
        }
    }
}
