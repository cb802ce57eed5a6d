//! Validated newtypes for the freeform names of the model (dist, release,
//! state) and the rules for notes, links and reasons. A value of these types
//! has passed validation, so nothing past the edge checks again.

use std::{fmt, sync::Arc};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted dist, release or state name, in characters.
pub const MAX_NAME_CHARS: usize = 128;
/// Longest accepted note or retraction reason, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest accepted link, in characters.
pub const MAX_LINK_CHARS: usize = 2000;

/// A refused value: which field, and why, in words fit for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field as the client named it (`dist`, `at`, `link`, ...).
    pub field: &'static str,
    /// A sentence saying what is wrong.
    pub message: String,
}

impl ValidationError {
    /// A refusal of `field` with `message`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

/// Checks the rules every freeform name shares (DESIGN.md §1). Also the
/// rule for names that reach the log from elsewhere, such as the nickname
/// an identity provider gives (it becomes `recorded_by`).
pub fn check_name(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(ValidationError::new(field, format!("must be at most {MAX_NAME_CHARS} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    if value.trim() != value {
        return Err(ValidationError::new(field, "must not start or end with white space"));
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(Arc<str>);

        impl $name {
            /// The field name used in errors about this value.
            pub const FIELD: &'static str = $field;

            /// Validates `value` (non-empty, at most 128 characters, no
            /// control characters, no surrounding white space).
            pub fn parse(value: &str) -> Result<Self, ValidationError> {
                check_name($field, value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Shares this name's allocation with `other` when they are
            /// equal, so a large log keeps one copy of each name.
            pub fn intern_from(&mut self, other: &Self) {
                if self.0 == other.0 {
                    self.0 = Arc::clone(&other.0);
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        /// A name on the wire is a string (see [`check_name`] for the rules).
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_NAME_CHARS))
                    .description(Some(concat!(
                        "A ", $field, " name: at most 128 characters, no control characters, ",
                        "no leading or trailing white space."
                    )))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

name_type!(
    /// A product or release stream: `fedora`, `epel`, `debian`.
    Dist, "dist"
);
name_type!(
    /// A release inside a dist: `"34"`, `"10.1"`, `"eln"`; Rawhide is `"0"`.
    /// Ordered naturally (see [`crate::model::order`]).
    Release, "release"
);
name_type!(
    /// A state a release can be in: `active`, `branched`, `eol`. Ordered
    /// alphabetically.
    State, "state"
);

impl PartialOrd for Dist {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Dist {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for State {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for State {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for Release {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Release {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        crate::model::order::natural_cmp(&self.0, &other.0)
    }
}

/// Validates free text such as a note or a retraction reason: at most
/// 2,000 characters, no control characters except line breaks and tabs.
/// `required` refuses an empty (or all-blank) text.
pub fn check_text(field: &'static str, value: &str, required: bool) -> Result<(), ValidationError> {
    if required && value.trim().is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    if value.chars().count() > MAX_NOTE_CHARS {
        return Err(ValidationError::new(field, format!("must be at most {MAX_NOTE_CHARS} characters")));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(())
}

/// Validates a provenance link: an absolute `http` or `https` URL with a
/// host, at most 2,000 characters.
pub fn check_link(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.chars().count() > MAX_LINK_CHARS {
        return Err(ValidationError::new(field, format!("must be at most {MAX_LINK_CHARS} characters")));
    }
    let url = url::Url::parse(value).map_err(|_| ValidationError::new(field, "must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ValidationError::new(field, "must be an absolute http(s) URL"));
    }
    if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ValidationError::new(field, "must not contain white space"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules_and_errors_name_the_field() {
        assert!(Dist::parse("fedora").is_ok());
        assert!(Release::parse("10.1").is_ok());
        assert!(State::parse("beta-freeze").is_ok());
        assert_eq!(State::parse("").unwrap_err().field, "state");
        assert_eq!(Release::parse(" 34").unwrap_err().field, "release");
        assert!(Dist::parse("fe\u{7}dora").unwrap_err().message.contains("control"));
        assert!(Dist::parse(&"x".repeat(128)).is_ok());
        assert!(Dist::parse(&"x".repeat(129)).unwrap_err().message.contains("128"));
        // Characters, not bytes, are counted.
        assert!(Dist::parse(&"é".repeat(128)).is_ok());
        assert!(Dist::parse("34\n").is_err());
    }

    #[test]
    fn deserialising_validates() {
        let err = serde_json::from_str::<State>("\"  \"").unwrap_err();
        assert!(err.to_string().contains("state"));
        let ok: Release = serde_json::from_str("\"44\"").unwrap();
        assert_eq!(ok.as_str(), "44");
    }

    #[test]
    fn links_and_notes() {
        assert!(check_link("link", "https://meetbot.fedoraproject.org/x").is_ok());
        assert!(check_link("link", "javascript:alert(1)").is_err());
        assert!(check_link("link", "ftp://example.org/").is_err());
        assert!(check_link("link", "not a url").is_err());
        assert!(check_text("note", "line one\nline two", false).is_ok());
        assert!(check_text("note", "bell\u{7}", false).is_err());
        assert!(check_text("reason", "  ", true).is_err());
        assert!(check_text("note", &"n".repeat(2001), false).is_err());
    }
}
