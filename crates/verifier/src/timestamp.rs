//! Instants as whole seconds since the Unix epoch (JWT NumericDate), and their RFC 3339 form.

use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The latest instant licet accepts: 9999-12-31T23:59:59Z, so that every instant has an RFC 3339 form.
pub const MAX_UNIX_TIME: i64 = 253_402_300_799;

/// An instant in whole seconds since 1970-01-01T00:00:00Z, between 0 and [`MAX_UNIX_TIME`].
///
/// Time is always an input to verification, never read inside it: callers pass
/// [`UnixTime::now`] or a fixed instant (tests, `licet verify --at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

/// An instant that licet cannot represent or parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The number of seconds is negative or after the year 9999.
    #[error(
        "{0} is outside the supported range of instants (0 to {MAX_UNIX_TIME} seconds since 1970)"
    )]
    OutOfRange(i64),
    /// The text is not an RFC 3339 timestamp.
    #[error("`{text}` is not an RFC 3339 timestamp such as 2027-01-31T12:00:00Z: {cause}")]
    NotRfc3339 {
        /// The text that was given.
        text: String,
        /// Why the parser refused it.
        cause: String,
    },
}

impl UnixTime {
    /// 1970-01-01T00:00:00Z.
    pub const EPOCH: UnixTime = UnixTime(0);

    /// The instant `seconds` after the epoch, if it is in range.
    pub fn from_secs(seconds: i64) -> Result<Self, TimeError> {
        if (0..=MAX_UNIX_TIME).contains(&seconds) {
            Ok(UnixTime(seconds))
        } else {
            Err(TimeError::OutOfRange(seconds))
        }
    }

    /// The current system time, clamped into the supported range.
    pub fn now() -> Self {
        let secs = OffsetDateTime::now_utc().unix_timestamp();
        UnixTime(secs.clamp(0, MAX_UNIX_TIME))
    }

    /// Parses an RFC 3339 timestamp (any offset; fractions of a second are dropped).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimeError> {
        let parsed =
            OffsetDateTime::parse(text.trim(), &Rfc3339).map_err(|e| TimeError::NotRfc3339 {
                text: text.to_owned(),
                cause: e.to_string(),
            })?;
        Self::from_secs(parsed.unix_timestamp())
    }

    /// Seconds since the epoch.
    pub fn as_secs(self) -> i64 {
        self.0
    }

    /// This instant moved by `delta` seconds, saturating at the ends of the supported range.
    pub fn saturating_add(self, delta: i64) -> Self {
        UnixTime(self.0.saturating_add(delta).clamp(0, MAX_UNIX_TIME))
    }

    /// The RFC 3339 / ISO 8601 form in UTC, such as `2027-01-31T00:00:00Z`.
    pub fn to_rfc3339(self) -> String {
        match OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
        {
            Some(text) => text,
            // Unreachable for values built through `from_secs`; still never panic.
            None => format!("@{}", self.0),
        }
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A duration in seconds as a person reads it: "3 days", "2 hours", "45 seconds".
pub(crate) fn human_duration(seconds: i64) -> String {
    let s = seconds.unsigned_abs();
    let (n, unit) = if s >= 86_400 {
        (s / 86_400, "day")
    } else if s >= 3_600 {
        (s / 3_600, "hour")
    } else if s >= 60 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_enforced() {
        assert!(UnixTime::from_secs(-1).is_err());
        assert!(UnixTime::from_secs(MAX_UNIX_TIME + 1).is_err());
        assert_eq!(
            UnixTime::from_secs(MAX_UNIX_TIME).unwrap().to_rfc3339(),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn rfc3339_round_trip_and_offsets() {
        let t = UnixTime::parse_rfc3339("2027-01-31T12:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2027-01-31T10:00:00Z");
        assert!(UnixTime::parse_rfc3339("2027-01-31").is_err());
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(1), "1 second");
        assert_eq!(human_duration(7200), "2 hours");
        assert_eq!(human_duration(-3 * 86_400), "3 days");
    }
}
