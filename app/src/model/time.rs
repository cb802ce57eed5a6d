//! Instants: the timestamp type of the model, its wire format and the
//! parsing of `?at=` (RFC 3339 or a calendar date meaning the end of that day).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, SubsecRound, Timelike, Utc};

use super::name::ValidationError;

/// An instant in UTC, at microsecond precision (what both databases keep).
pub type Timestamp = DateTime<Utc>;

/// Truncates to the precision the log stores, so a value read back from
/// the database equals the one written.
pub fn to_stored_precision(t: Timestamp) -> Timestamp {
    t.trunc_subsecs(6)
}

/// Formats an instant the way every response does: RFC 3339 in UTC with
/// `Z`, and only as many fractional digits as needed.
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The years a stored instant may lie in, in UTC: what RFC 3339 can
/// write (four digits) and both databases keep. Year 0 with a positive
/// offset would otherwise become year -1 in UTC, which SQLite refused with
/// a 500 and PostgreSQL stored, answering a timestamp no RFC 3339 parser
/// (ours included) reads.
pub const STORED_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Parses an RFC 3339 timestamp (any offset) into UTC, for storing: in
/// [`STORED_YEARS`], and a leap second (`23:59:60`, which chrono keeps
/// but the databases do not: PostgreSQL reads it back as the next second)
/// counts as the last stored microsecond of the second before.
pub fn parse_timestamp(field: &'static str, value: &str) -> Result<Timestamp, ValidationError> {
    let t = DateTime::parse_from_rfc3339(value.trim()).map(|t| to_stored_precision(t.with_timezone(&Utc))).map_err(
        |_| {
            ValidationError::new(
                field,
                format!("`{}` is not an RFC 3339 timestamp such as 2026-02-10T14:00:00Z", clip(value)),
            )
        },
    )?;
    if !STORED_YEARS.contains(&t.year()) {
        return Err(ValidationError::new(field, "must lie between the years 0001 and 9999 (in UTC)"));
    }
    if t.nanosecond() >= 1_000_000_000 {
        return Ok(t.with_nanosecond(999_999_000).unwrap_or(t));
    }
    Ok(t)
}

/// Parses a view's `at`: an RFC 3339 timestamp, or `YYYY-MM-DD` meaning the
/// end of that day in UTC (its last microsecond).
pub fn parse_at(value: &str) -> Result<Timestamp, ValidationError> {
    let value = value.trim();
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        let end = NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN);
        return Ok(date.and_time(end).and_utc());
    }
    DateTime::parse_from_rfc3339(value).map(|t| to_stored_precision(t.with_timezone(&Utc))).map_err(|_| {
        ValidationError::new(
            "at",
            format!("`{}` is neither an RFC 3339 timestamp nor a date (YYYY-MM-DD)", clip(value)),
        )
    })
}

/// Parses the lower bound of a range (`since`): an RFC 3339 timestamp, or
/// `YYYY-MM-DD` meaning the start of that day in UTC.
pub fn parse_since(field: &'static str, value: &str) -> Result<Timestamp, ValidationError> {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(date) => Ok(date.and_time(NaiveTime::MIN).and_utc()),
        Err(_) => parse_at(value).map_err(|e| ValidationError { field, ..e }),
    }
}

/// Shortens a hostile value before it is echoed in an error message.
fn clip(value: &str) -> String {
    let clipped: String = value.chars().filter(|c| !c.is_control()).take(40).collect();
    if clipped.len() < value.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}

/// Serde adapter for `Timestamp` fields in the wire format of [`format`].
pub mod wire {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the timestamp as RFC 3339 UTC.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(t))
    }

    /// Reads an RFC 3339 timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        parse_timestamp("at", &text).map_err(serde::de::Error::custom)
    }

    /// The same for optional timestamps.
    pub mod option {
        use super::*;

        /// Writes `null` or the timestamp.
        pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&format(t)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_mean_the_end_of_the_day() {
        let t = parse_at("2021-03-01").unwrap();
        assert_eq!(format(&t), "2021-03-01T23:59:59.999999Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let t = parse_at("2026-02-10T15:00:00+01:00").unwrap();
        assert_eq!(format(&t), "2026-02-10T14:00:00Z");
        let t = parse_timestamp("at", "2026-02-10T14:00:00.1234567Z").unwrap();
        assert_eq!(format(&t), "2026-02-10T14:00:00.123456Z");
    }

    #[test]
    fn stored_instants_stay_in_four_digit_years_and_leap_seconds_fold() {
        assert_eq!(parse_timestamp("at", "0000-01-01T00:00:00+01:00").unwrap_err().field, "at");
        assert!(parse_timestamp("at", "0000-12-31T23:59:59Z").is_err());
        assert!(parse_timestamp("at", "9999-12-31T23:59:59-01:00").is_err());
        assert_eq!(format(&parse_timestamp("at", "0001-01-01T00:00:00Z").unwrap()), "0001-01-01T00:00:00Z");
        let leap = parse_timestamp("at", "2016-12-31T23:59:60.5Z").unwrap();
        assert_eq!(format(&leap), "2016-12-31T23:59:59.999999Z");
    }

    #[test]
    fn since_dates_start_the_day() {
        assert_eq!(format(&parse_since("since", "2021-03-01").unwrap()), "2021-03-01T00:00:00Z");
        assert_eq!(parse_since("since", "nope").unwrap_err().field, "since");
    }

    #[test]
    fn garbage_is_refused_with_the_field() {
        let err = parse_at("yesterday").unwrap_err();
        assert_eq!(err.field, "at");
        assert!(parse_at("2021-02-30").is_err());
        assert!(parse_timestamp("at", "2021-13-01T00:00:00Z").is_err());
        let long = "x".repeat(1000);
        assert!(parse_at(&long).unwrap_err().message.len() < 200);
    }
}
