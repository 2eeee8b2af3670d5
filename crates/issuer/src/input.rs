//! Parsing what a vendor types: dates, feature assignments.

use licet_verifier::{TimeError, UnixTime};
use serde_json::Value;
use time::macros::format_description;
use time::{Date, Duration};

/// A date or time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Neither RFC 3339 nor `YYYY-MM-DD`.
    #[error(
        "`{0}` is not a date: expected YYYY-MM-DD or an RFC 3339 time such as 2027-01-31T12:00:00Z"
    )]
    Date(String),
    /// Out of the supported range.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// A feature assignment without `=`.
    #[error(
        "`{0}` is not a feature assignment: expected NAME=VALUE, such as seats=10 or tier=gold"
    )]
    Feature(String),
}

/// How a bare `YYYY-MM-DD` date is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateMeaning {
    /// Valid through that whole day in UTC: the instant is the next day at 00:00:00Z (for `exp`).
    ThroughEndOfDay,
    /// From the start of that day: 00:00:00Z (for `nbf`).
    StartOfDay,
}

/// Parses RFC 3339, or `YYYY-MM-DD` read as `meaning` says.
pub fn parse_date(text: &str, meaning: DateMeaning) -> Result<UnixTime, InputError> {
    let text = text.trim();
    if text.len() == 10 {
        let date = Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map_err(|_| InputError::Date(text.to_owned()))?;
        let start = date.midnight().assume_utc().unix_timestamp();
        let secs = match meaning {
            DateMeaning::StartOfDay => start,
            DateMeaning::ThroughEndOfDay => start + Duration::DAY.whole_seconds(),
        };
        return Ok(UnixTime::from_secs(secs)?);
    }
    UnixTime::parse_rfc3339(text).map_err(|_| InputError::Date(text.to_owned()))
}

/// Parses `NAME=VALUE`. VALUE is read as JSON when it is valid JSON (`10`, `true`, `"x"`,
/// `{"a":1}`), else taken as a plain string (`gold`).
pub fn parse_feature(text: &str) -> Result<(String, Value), InputError> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| InputError::Feature(text.to_owned()))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(InputError::Feature(text.to_owned()));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_dates() {
        let exp = parse_date("2027-01-31", DateMeaning::ThroughEndOfDay).unwrap();
        assert_eq!(exp.to_rfc3339(), "2027-02-01T00:00:00Z");
        let nbf = parse_date("2027-01-31", DateMeaning::StartOfDay).unwrap();
        assert_eq!(nbf.to_rfc3339(), "2027-01-31T00:00:00Z");
        let leap = parse_date("2028-02-29", DateMeaning::ThroughEndOfDay).unwrap();
        assert_eq!(leap.to_rfc3339(), "2028-03-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_and_errors() {
        let t = parse_date("2027-01-31T12:00:00Z", DateMeaning::ThroughEndOfDay).unwrap();
        assert_eq!(t.to_rfc3339(), "2027-01-31T12:00:00Z");
        assert!(parse_date("2027-02-30", DateMeaning::StartOfDay).is_err());
        assert!(parse_date("31/01/2027", DateMeaning::StartOfDay).is_err());
        assert!(parse_date("tomorrow", DateMeaning::StartOfDay).is_err());
    }

    #[test]
    fn features() {
        assert_eq!(
            parse_feature("seats=10").unwrap(),
            ("seats".into(), json!(10))
        );
        assert_eq!(
            parse_feature("sso=true").unwrap(),
            ("sso".into(), json!(true))
        );
        assert_eq!(
            parse_feature("tier=gold").unwrap(),
            ("tier".into(), json!("gold"))
        );
        assert_eq!(
            parse_feature("note=a=b").unwrap(),
            ("note".into(), json!("a=b"))
        );
        assert_eq!(
            parse_feature("limits={\"cpu\":4}").unwrap(),
            ("limits".into(), json!({"cpu":4}))
        );
        assert!(parse_feature("novalue").is_err());
        assert!(parse_feature("=1").is_err());
    }
}
