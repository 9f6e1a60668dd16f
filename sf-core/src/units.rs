//! Durations and byte sizes as people write them in configuration: `90s`, `2m`, `512MB`, `2GiB`.

use std::time::Duration;

/// A duration or a size that does not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitError {
    /// Neither a number of seconds nor a humantime duration.
    #[error("`{text}` is not a duration; write for example \"90s\" or \"2m\"")]
    NotADuration {
        /// The text as written.
        text: String,
        /// What humantime made of it.
        #[source]
        source: humantime::DurationError,
    },
    /// Zero, negative or not finite.
    #[error("{0} is not a positive number of seconds")]
    NotPositiveSeconds(f64),
    /// Longer than any test may run.
    #[error("`{text}` is longer than {} days, the longest timeout sf takes", MAX_DURATION.as_secs() / 86_400)]
    TooLong {
        /// The text as written.
        text: String,
    },
    /// A number without its unit.
    #[error("`{0}` has no unit; write for example \"{0}MB\", \"512KiB\" or \"4096B\"")]
    NoUnit(String),
    /// No number where the size should start.
    #[error("`{0}` is not a size; write for example \"512MB\" or \"2GiB\"")]
    NotASize(String),
    /// A unit other than B, KB, MB, GB (or their binary spellings).
    #[error("unknown size unit `{unit}` in `{text}`; use KB, MB or GB")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole text.
        text: String,
    },
    /// Zero, negative or not finite.
    #[error("{0} MB is not a positive size")]
    NotPositiveSize(f64),
}

/// The longest duration sf takes (30 days): longer ones would overflow the clock arithmetic of a
/// run's deadline, and no test is meant to run that long.
pub const MAX_DURATION: Duration = sf_vocab::MAX_TIMEOUT;

/// Parses `"90s"`, `"2m"`, `"1h 30m"`, `"500ms"` (humantime syntax) or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let t = text.trim();
    let parsed = match t.strip_suffix('s').unwrap_or(t).parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > MAX_DURATION.as_secs_f64() => {
            return Err(UnitError::TooLong {
                text: text.to_owned(),
            });
        }
        Ok(secs) => seconds(secs)?,
        Err(_) => humantime::parse_duration(t).map_err(|source| UnitError::NotADuration {
            text: text.to_owned(),
            source,
        })?,
    };
    if parsed > MAX_DURATION {
        return Err(UnitError::TooLong {
            text: text.to_owned(),
        });
    }
    Ok(parsed)
}

/// A positive, finite number of seconds.
pub fn seconds(secs: f64) -> Result<Duration, UnitError> {
    if !(secs.is_finite() && secs > 0.0) {
        return Err(UnitError::NotPositiveSeconds(secs));
    }
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(UnitError::TooLong {
            text: format!("{secs:e} s"),
        });
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `"512MB"`, `"2GiB"`, `"1.5G"`, `"300 MiB"`, `"4096B"`. The unit is required: a bare
/// number could mean bytes or megabytes. Decimal and binary units are both read as powers of
/// 1024, the way memory is usually meant.
pub fn parse_bytes(text: &str) -> Result<u64, UnitError> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| UnitError::NotASize(text.to_owned()))?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => return Err(UnitError::NoUnit(text.to_owned())),
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "k" | "kb" | "kib" => 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "b" => 1.0,
        other => {
            return Err(UnitError::UnknownUnit {
                unit: other.to_owned(),
                text: text.to_owned(),
            });
        }
    };
    megabytes_to_bytes(value * factor / (1024.0 * 1024.0))
}

/// A positive number of MB (MiB) in bytes.
pub fn megabytes_to_bytes(mb: f64) -> Result<u64, UnitError> {
    if mb.is_finite() && mb > 0.0 {
        Ok((mb * 1024.0 * 1024.0) as u64)
    } else {
        Err(UnitError::NotPositiveSize(mb))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_longer_than_any_test_are_errors_not_panics() {
        for text in ["1e20", "1e19", "31 days", "100000000000y", "2592001"] {
            assert!(
                matches!(parse_duration(text), Err(UnitError::TooLong { .. })),
                "{text}: {:?}",
                parse_duration(text)
            );
        }
        assert_eq!(parse_duration("30 days"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert!(matches!(seconds(1e300), Err(UnitError::TooLong { .. })));
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        let err = parse_duration("soon").unwrap_err();
        assert!(matches!(&err, UnitError::NotADuration { text, .. } if text == "soon"));
        assert_eq!(
            err.to_string(),
            "`soon` is not a duration; write for example \"90s\" or \"2m\""
        );
        assert_eq!(parse_duration("0"), Err(UnitError::NotPositiveSeconds(0.0)));
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(parse_bytes("512MB"), Ok(512 << 20));
        assert_eq!(parse_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(
            parse_bytes("300").unwrap_err().to_string(),
            "`300` has no unit; write for example \"300MB\", \"512KiB\" or \"4096B\""
        );
        assert_eq!(parse_bytes("4096B"), Ok(4096));
        assert_eq!(parse_bytes("512KiB"), Ok(512 << 10));
        assert_eq!(parse_bytes("1.5 G"), Ok(1536 << 20));
        assert_eq!(
            parse_bytes("12 parsecs").unwrap_err().to_string(),
            "unknown size unit `parsecs` in `12 parsecs`; use KB, MB or GB"
        );
        assert_eq!(parse_bytes("0MB"), Err(UnitError::NotPositiveSize(0.0)));
        assert!(matches!(parse_bytes("MB"), Err(UnitError::NotASize(t)) if t == "MB"));
    }
}
